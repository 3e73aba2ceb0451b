"""A PostgreSQL database for the benches that compare the engines: the one given, or a new one on a throwaway
pgserver (its defaults kept: fsync and synchronous commits on, as a real server has them)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def postgresql(url: str | None = None) -> Iterator[str]:
    """`url`, or the URL of a new server's database, stopped and removed afterwards."""
    if url:
        yield url
        return
    import pgserver

    folder = Path(tempfile.mkdtemp(prefix="annotator-bench-pg-"))
    server = pgserver.get_server(folder / "pgdata", cleanup_mode="stop")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()
        shutil.rmtree(folder, ignore_errors=True)
