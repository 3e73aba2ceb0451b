"""The labelling app on a PostgreSQL store (ANNOTATOR_DB a postgresql:// URL): labels land in the shared history, and a
second connection (another app server) sees them at once."""

from __future__ import annotations

from annotator.records import Article
from annotator.scheme import load_scheme
from annotator.store import Store
from apptest import start
from conftest import pg_database

FIRST = load_scheme().keys[0]
TEXT = "The ministry said on Monday that the bridge will reopen.\n\nOfficials added that repairs cost two million."


def test_the_app_labels_into_a_postgresql_store(pg_server, tmp_path, monkeypatch) -> None:
    url = pg_database(pg_server)
    with Store(url) as store:
        store.add_articles([Article(id="art1", text=TEXT, title="Bridge news", outlet="Example Daily")])
    monkeypatch.setenv("ANNOTATOR_DB", url)
    monkeypatch.setenv("ANNOTATOR_MODEL", str(tmp_path / "no-model.skops"))
    at = start("ann")
    at.button(key=f"label-{FIRST}").click().run()
    assert not at.exception, at.exception
    with Store(url) as other:  # as another app server would read it
        assert other.current_labels()["label"].tolist() == [FIRST]
        assert other.progress("ann") == (1, len(other.sentences()))


def test_annotator_app_takes_the_url_as_it_is_and_never_prints_its_password(pg_server, tmp_path) -> None:
    """`annotator app --db URL`: the URL reaches Streamlit unchanged (not made a path), the password stays unprinted."""
    import os
    import subprocess
    import sys
    import time
    from pathlib import Path
    from urllib.parse import urlsplit, urlunsplit

    url = pg_database(pg_server)
    parts = urlsplit(url)
    secret = urlunsplit(parts._replace(netloc=f"{parts.username}:s3cret@{parts.hostname or ''}"))  # trust: ignored
    process = subprocess.Popen([sys.executable, "-m", "annotator", "app", "--db", secret, "--port", "0"],
                               cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        first = process.stdout.readline()
        assert "annotator app on" in first and "s3cret" not in first and ":***@" in first, first
        deadline = time.monotonic() + 30  # the line is printed just before the command becomes Streamlit (exec)
        while b"streamlit" not in Path(f"/proc/{process.pid}/cmdline").read_bytes() and time.monotonic() < deadline:
            time.sleep(0.05)
        environ = Path(f"/proc/{process.pid}/environ").read_bytes().split(b"\0")
        assert f"ANNOTATOR_DB={secret}".encode() in environ
    finally:
        process.kill()
        process.wait(timeout=30)
    assert os.listdir(tmp_path) == []  # nothing was made of the URL as a path
