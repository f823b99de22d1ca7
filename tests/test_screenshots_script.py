"""scripts/screenshots.py finds every page of the app in its route table: none forgotten, none without a value for
its path parameters (no screenshot is taken here)."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

from momentos.app import create_app
from tests import conftest
from tests.web.test_role_walk import API_PREFIXES, routes_of

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "screenshots.py"


@pytest.fixture(scope="module")
def script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("screenshots", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks its module up
    spec.loader.exec_module(module)
    return module


def test_every_get_page_of_the_app_is_photographed_or_named_as_a_download(script: ModuleType) -> None:
    app = create_app(conftest.test_settings())
    pages = {path for method, path in routes_of(app) if method == "GET" and not path.startswith(API_PREFIXES)}
    values = {name: f"v-{name}" for name in script.PARAMS}
    shots, left_out = script.plan(app, values)
    assert {shot.route for shot in shots} | set(left_out) == pages
    assert not {shot.route for shot in shots} & set(left_out)
    # only downloads and the API's docs are left out; the map, the report and the PDF are among the downloads
    assert all(re.search(r"\.(pdf|html|json)$|^/(docs|redoc)$", route) for route in left_out), left_out
    assert {"/", "/login", "/services/{key}/map", "/customers/{external_id:path}"} <= {s.route for s in shots}
    for shot in shots:
        assert "{" not in shot.url and shot.url.endswith("lang=es"), shot.url
    names = [shot.name for shot in shots]
    assert len(names) == len(set(names)) and all(re.fullmatch(r"[a-z0-9-]+", n) for n in names), names


def test_a_page_with_an_unknown_path_parameter_stops_the_run(script: ModuleType) -> None:
    app = create_app(conftest.test_settings())
    with pytest.raises(KeyError, match="key"):
        script.plan(app, {name: "x" for name in script.PARAMS if name != "key"})
