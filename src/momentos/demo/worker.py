"""The demo's worker: ``momentos worker`` as a child process of ``momentos demo``, with the same environment (the
local mailbox on), started before the server and stopped when it stops. A watcher thread starts it again if it
exits on its own (at most ``MAX_RESTARTS`` times), so the demo keeps moving."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from collections.abc import Sequence
from types import TracebackType

log = logging.getLogger("momentos.demo")
MAX_RESTARTS = 5
STOP_SECONDS = 15.0
"""How long a stopping worker may take to finish its round before it is killed."""


def worker_command(name: str) -> list[str]:
    return [sys.executable, "-m", "momentos.cli", "worker", "--name", name]


class DemoWorker:
    """A supervised ``momentos worker`` child process (a context manager: started on enter, stopped on exit)."""

    def __init__(self, command: Sequence[str] | None = None, env: dict[str, str] | None = None) -> None:
        self.command = list(command or worker_command(f"demo-worker:{os.getpid()}"))
        self.env = dict(os.environ if env is None else env)
        self.restarts = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()
        self._watcher: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def start(self) -> None:
        with self._lock:
            self._process = subprocess.Popen(self.command, env=self.env)  # noqa: S603 - our own command
        self._watcher = threading.Thread(target=self._watch, name="demo-worker-watch", daemon=True)
        self._watcher.start()

    def _watch(self) -> None:
        while not self._stopping.is_set():
            process = self._process
            if process is None:
                return
            code = process.wait()
            if self._stopping.is_set():
                return
            if self.restarts >= MAX_RESTARTS:
                log.error("the demo worker exited (%s) %s times: not started again", code, self.restarts + 1)
                return
            self.restarts += 1
            log.warning("the demo worker exited (%s): starting it again", code)
            with self._lock:
                if self._stopping.is_set():
                    return
                self._process = subprocess.Popen(self.command, env=self.env)  # noqa: S603 - our own command

    def stop(self) -> None:
        """SIGTERM (the worker ends its round and exits), then SIGKILL after ``STOP_SECONDS``."""
        self._stopping.set()
        with self._lock:
            process = self._process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._watcher is not None:
            self._watcher.join(STOP_SECONDS)

    def __enter__(self) -> DemoWorker:
        self.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()
