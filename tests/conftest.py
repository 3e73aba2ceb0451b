"""Generic test fixtures shared by several test files (keep this small)."""

from __future__ import annotations

import logging
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

SHARED_DIR = Path(__file__).resolve().parents[2] / "shared"


@pytest.fixture
def shared_dir() -> Path:
    """`../shared` beside the repository (the real corpora); the test is skipped where it is missing."""
    if not SHARED_DIR.is_dir():
        pytest.skip(f"{SHARED_DIR} is not there")
    return SHARED_DIR


REPO_DIR = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def label_files() -> list[Path]:
    """The shipped label files that train the default model: the seed article's labels and the real corpus."""
    from annotator.training import shipped_label_files

    files = shipped_label_files()
    assert [f.name for f in files] == ["seed.jsonl", "real.jsonl", "real_adjudicated.jsonl"]
    return files


@dataclass(frozen=True)
class Quickstart:
    """What `annotator quickstart --no-app` printed and wrote in its folder."""

    output: str
    model: Path
    report: Path


@pytest.fixture(scope="session")
def quickstarted(tmp_path_factory, label_files) -> Quickstart:
    """The main job, run once per test session in a new folder: `annotator quickstart --no-app` imports the seed
    article and labels, trains the default model on the shipped labels (5-fold cross-validation, as a user gets it)
    and writes the report. Its model is the session's `trained_model`: training it twice would double the suite's
    longest step."""
    from typer.testing import CliRunner

    from annotator.cli import app

    folder = tmp_path_factory.mktemp("quickstart")
    model, report = folder / "model.skops", folder / "report.html"
    result = CliRunner().invoke(app, ["quickstart", "--no-app", "--db", str(folder / "q.db"), "--model", str(model),
                                      "--report", str(report)])
    assert result.exit_code == 0, result.output
    return Quickstart(result.output, model, report)


@pytest.fixture(scope="session")
def trained_model(quickstarted) -> Path:
    """The default model, trained on the shipped labels by the session's quickstart, saved with its card (tests
    read it, and copy it before they change anything)."""
    return quickstarted.model


# The store on both engines: SQLite files in tmp folders, and a real PostgreSQL started from pip (pgserver) once per
# session, with a fresh database for every test. PostgreSQL cases skip, with the reason, only where it cannot start.

ENGINES = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def pg_server():
    """A PostgreSQL server of the test session (pgserver: no system install); stopped when the session ends."""
    try:
        import pgserver
        import psycopg
    except ImportError as error:
        pytest.skip(f"PostgreSQL tests need pgserver and psycopg: {error}")
    # Its own folder in /tmp, not under pytest's: pytest makes /tmp/pytest-of-USER private again whenever a session
    # starts (another one may, meanwhile), and the server runs as its own user (pgserver's, when started as root).
    folder = Path(tempfile.mkdtemp(prefix="annotator-pg-"))
    try:
        server = pgserver.get_server(folder / "pgdata", cleanup_mode="stop")
    except Exception as error:  # noqa: BLE001 - whatever stops it, the reason is the skip message
        shutil.rmtree(folder, ignore_errors=True)
        pytest.skip(f"pgserver cannot start a PostgreSQL server here: {error}")
    # A throwaway server: no fsync (the tests kill clients, never the server), so that each test's CREATE DATABASE
    # and the thousands of commits of the concurrency tests cost little.
    with psycopg.connect(server.get_uri(), autocommit=True) as db:
        for setting in ("fsync = off", "full_page_writes = off", "synchronous_commit = off"):
            db.execute(f"ALTER SYSTEM SET {setting}")
        db.execute("SELECT pg_reload_conf()")
    yield server
    from pgserver._commands import pg_ctl

    # Stopped at once: a clean shutdown would first write out every test database (a checkpoint of many seconds).
    logging.getLogger("pgserver").disabled = True  # its own stop, finding the server stopped, would log an error
    try:
        pg_ctl(["-m", "immediate", "-w", "stop"], pgdata=server.pgdata, user=server.system_user)
    except Exception:  # noqa: BLE001 - then cleanup() below stops or kills it
        pass
    server.cleanup()
    shutil.rmtree(folder, ignore_errors=True)


def pg_database(server) -> str:
    """A new empty database on `server`, as a URL."""
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    pg_database.count = getattr(pg_database, "count", 0) + 1
    name = f"test_{pg_database.count}"
    url = server.get_uri()
    with psycopg.connect(url, autocommit=True) as db:
        db.execute(f"DROP DATABASE IF EXISTS {name}")
        db.execute(f"CREATE DATABASE {name}")
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


@pytest.fixture(params=ENGINES)
def engine(request) -> str:
    """Each engine in turn, for the tests that must hold on both."""
    return request.param


@pytest.fixture
def new_db(engine, tmp_path, request):
    """A factory: each call names a new, empty store on the test's engine (an SQLite file, or a PostgreSQL URL)."""
    server = request.getfixturevalue("pg_server") if engine == "postgresql" else None
    made = iter(range(1, 1000))

    def make(name: str = "store.db"):
        return pg_database(server) if server is not None else tmp_path / f"{next(made)}" / name

    return make


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium driven by Playwright, one for the session; skips where either is missing."""
    from browsing import ARGS, CHROMIUM

    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield launched
        launched.close()
