"""Waiting for a served app: a free local port and the app's health check, for whatever starts `annotator app` in a
process of its own (the tests, the benchmarks, the screenshot script) and must know when it answers."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request


def free_port() -> int:
    """A TCP port that is free on 127.0.0.1 now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen | None = None, timeout: float = 60) -> None:
    """Return once the Streamlit app at `url` answers its health check; RuntimeError if `process` (the app's, when
    given) ends first or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the app at {url} ended (exit code {process.returncode}) before it answered")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the app at {url} did not answer within {timeout:.0f} s")
        time.sleep(0.2)
