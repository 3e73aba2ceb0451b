"""`annotator store copy`: a whole store into an empty one, SQLite to PostgreSQL and back, and SQLite to SQLite; the
history (with its seqs), undos, adjudications, predictions and reviewers survive, and the counts are checked."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from annotator.cli import app
from annotator.records import Article
from annotator.store import Store
from conftest import pg_database

ARTICLES = [
    Article(id="one", title="Talks", outlet="Example Daily", url="https://example.org/t",
            text="The talks ended on Friday. The minister said a deal was close. Observers were doubtful."),
    Article(id="two", title="Harvest", outlet="Example Daily", text="Farmers gathered a record harvest. Prices fell."),
]


def filled(path) -> None:
    with Store(path) as store:
        store.add_articles(ARTICLES)
        ids = list(store.sentences()["sentence_id"])
        first, second, third = store.scheme.keys[:3]
        for sid in ids:
            store.annotate(sid, first, "ann", suggestion=second, suggestion_confidence=0.8125)
        store.annotate(ids[0], second, "bob")
        store.annotate(ids[1], first, "bob")
        store.annotate(ids[2], third, "bob")
        store.undo("bob")  # bob's third label taken back
        store.undo("ann", ids[3])
        store.adjudicate(ids[0], third, "lead")
        store.adjudicate(ids[4], first, "lead")
        store.undo("lead")  # the second adjudication taken back
        store.put_reviewer("lead", "adjudicator", "scrypt$hash")
        frame = pd.DataFrame({"sentence_id": ids[:3]})
        for i, column in enumerate(store.scheme.prob_columns()):
            frame[column] = [0.6 if i == 0 else 0.4 / (len(store.scheme.keys) - 1)] * 3
        store.save_predictions(frame, "m1")


def snapshot(db) -> dict[str, pd.DataFrame]:
    with Store(db) as store:
        return {
            "articles": store.articles(),
            "sentences": store.sentences(),
            "history": store.history(),
            "current": store.current_labels(),
            "final": store.final_labels(),
            "predictions": store.predictions("m1"),
            "reviewers": store.reviewers(),
        }


def assert_same(left: dict[str, pd.DataFrame], right: dict[str, pd.DataFrame]) -> None:
    for name in left:
        pd.testing.assert_frame_equal(left[name], right[name], check_dtype=False, obj=name)


def copy(source, target) -> str:
    result = CliRunner().invoke(app, ["store", "copy", str(source), str(target)])
    assert result.exit_code == 0, result.output
    return result.output


def test_sqlite_to_postgresql_and_back_keeps_everything(tmp_path, pg_server):
    source, url, back = tmp_path / "source.db", pg_database(pg_server), tmp_path / "back.db"
    filled(source)
    before = snapshot(source)
    assert len(before["history"]) == 13 and before["history"]["undone"].sum() == 3
    output = copy(source, url)
    assert "annotations 13" in output and "adjudications 2" in output and "reviewers 1" in output
    assert_same(before, snapshot(url))
    import psycopg
    with psycopg.connect(url) as db:  # analysed at once (reltuples is -1 until a table is first analysed)
        assert db.execute("SELECT reltuples FROM pg_class WHERE relname = 'annotations'").fetchone()[0] == 13
    copy(url, back)
    assert_same(before, snapshot(back))
    with Store(url) as store:  # the history goes on after the copied seqs
        seq = store.annotate(before["sentences"]["sentence_id"][0], store.scheme.keys[0], "carl")
        assert seq == before["history"]["seq"].max() + 1


def test_sqlite_to_sqlite_and_a_non_empty_destination_is_refused(tmp_path):
    source, target = tmp_path / "source.db", tmp_path / "copy.db"
    filled(source)
    copy(source, target)
    assert_same(snapshot(source), snapshot(target))
    again = CliRunner().invoke(app, ["store", "copy", str(source), str(target)])
    assert again.exit_code == 1 and "not empty" in again.output
    missing = CliRunner().invoke(app, ["store", "copy", str(tmp_path / "nothing.db"), str(tmp_path / "new.db")])
    assert missing.exit_code == 1 and "no such store" in missing.output


def test_a_url_password_is_never_printed_and_a_bad_server_is_one_line(tmp_path):
    pytest.importorskip("psycopg")
    url = "postgresql://ann:s3cret@127.0.0.1:1/nowhere"
    result = CliRunner().invoke(app, ["stats", "--db", url])
    assert result.exit_code == 1 and "s3cret" not in result.output and "ann:***@127.0.0.1:1" in result.output
    assert len(result.output.strip().splitlines()) == 1 and "server running" in result.output


def test_postgresql_refusals_are_one_line(tmp_path, pg_server):
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    missing = urlunsplit(urlsplit(pg_server.get_uri())._replace(path="/no_such_database"))
    result = CliRunner().invoke(app, ["stats", "--db", missing])
    assert result.exit_code == 1 and "create the database first" in result.output
    url = pg_database(pg_server)
    backup = CliRunner().invoke(app, ["store", "backup", str(tmp_path / "b.db"), "--db", url])
    assert backup.exit_code == 1 and "pg_dump" in backup.output and not (tmp_path / "b.db").exists()
    foreign = pg_database(pg_server)
    with psycopg.connect(foreign, autocommit=True) as db:
        db.execute("CREATE TABLE other (x integer)")
    result = CliRunner().invoke(app, ["stats", "--db", foreign])
    assert result.exit_code == 1 and "not an annotator store" in result.output


def test_pg_dump_and_pg_restore_back_up_a_postgresql_store(tmp_path, pg_server):
    """The README's backup for PostgreSQL: a custom-format pg_dump restored into a new database is the same store,
    and its history goes on after the restored seqs."""
    import subprocess

    from pgserver._commands import POSTGRES_BIN_PATH

    source, restored, dump = pg_database(pg_server), pg_database(pg_server), tmp_path / "annotations.dump"
    filled(tmp_path / "seed.db")
    copy(tmp_path / "seed.db", source)
    subprocess.run([POSTGRES_BIN_PATH / "pg_dump", "--format=custom", "--file", dump, source], check=True)
    subprocess.run([POSTGRES_BIN_PATH / "pg_restore", "--dbname", restored, dump], check=True)
    before = snapshot(source)
    assert_same(before, snapshot(restored))
    with Store(restored) as store:
        seq = store.annotate(before["sentences"]["sentence_id"][0], store.scheme.keys[0], "carl")
        assert seq == before["history"]["seq"].max() + 1
