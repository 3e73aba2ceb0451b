"""Never a traceback, never one bad record ending the run: damaged stores, deep JSON, wrong models, bad encodings."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import joblib
import pytest
import skops.io as skops_io
from typer.testing import CliRunner

from annotator import formats, model, read
from annotator.cli import app
from annotator.records import Article

REPO = Path(__file__).resolve().parents[1]
SEED_LABELS = REPO / "labels" / "seed.jsonl"
runner = CliRunner()
DEEP = "[" * 100_000 + "]" * 100_000


def annotator(*args, cwd: Path) -> subprocess.CompletedProcess:
    """The installed command line, through its real entry point (`python -m annotator`)."""
    return subprocess.run([sys.executable, "-m", "annotator", *map(str, args)], capture_output=True, text=True, cwd=cwd)


def test_a_store_that_is_not_sqlite_or_is_a_folder_is_one_error_line(tmp_path: Path):
    (tmp_path / "junk.db").write_bytes(b"this is not a database, just some bytes " * 100)
    (tmp_path / "folder.db").mkdir()
    for db in ("junk.db", "folder.db"):
        for command in (["sentences"], ["export", "--out", "x.jsonl"], ["import", REPO / "seeds"]):
            result = annotator(*command, "--db", db, cwd=tmp_path)
            assert result.returncode == 1, (db, command, result.stderr)
            assert result.stderr.startswith("Error:") and "Traceback" not in result.stderr, (db, command, result.stderr)


def test_deeply_nested_json_is_one_bad_line_not_the_end_of_the_run(tmp_path: Path, trained_model: Path):
    articles = tmp_path / "in.jsonl"
    good = json.dumps({"id": "good", "text": "The minister said the talks would resume."})
    articles.write_text(f"{good}\n{DEEP}\n{good.replace('good', 'also')}\n", encoding="utf-8")
    items = list(read.iter_articles([articles]))
    assert [type(item).__name__ for item in items] == ["Article", "Problem", "Article"]
    assert "nested too deeply" in items[1].reason and items[1].source.endswith(":2")
    result = annotator("score", articles, "--out", "s.jsonl", "--model", trained_model, "--jobs", "1", "-q", cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr and ":2: JSON nested too deeply" in result.stderr
    assert {json.loads(line)["article_id"] for line in (tmp_path / "s.jsonl").read_text().splitlines()} == {"good", "also"}
    labels = tmp_path / "labels.jsonl"
    labels.write_text(SEED_LABELS.read_text(encoding="utf-8").splitlines()[0] + f"\n{DEEP}\n", encoding="utf-8")
    problems = []
    assert len(list(formats.read_labels(labels, on_error=problems.append))) == 1
    assert "labels.jsonl:2: JSON nested too deeply" in str(problems[0])


def _forge_card(fake: Path, trained_model: Path) -> None:
    """A card that vouches for `fake`: a real card with the fake file's sha256 (the hash proves integrity, not origin)."""
    card = json.loads(Path(f"{trained_model}.card.json").read_text())
    card["model_sha256"] = model.file_sha256(fake)
    Path(f"{fake}.card.json").write_text(json.dumps(card))


class _WritesMarker:
    """Unpickling this runs code: it would create the marker file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_a_model_file_cannot_run_code(tmp_path: Path, trained_model: Path):
    marker = tmp_path / "marker"
    pickled = tmp_path / "evil.skops"
    joblib.dump(_WritesMarker(marker), pickled)  # an old-style pickle model
    _forge_card(pickled, trained_model)
    (tmp_path / "a.txt").write_text("Talks resume\n\nThe minister said the talks would resume.", encoding="utf-8")
    for command in (["score", "a.txt", "--out", "s.jsonl", "-q"], ["explain", "The minister said so."]):
        result = annotator(*command, "--model", pickled, cwd=tmp_path)
        assert result.returncode == 1 and "not a model file annotator can read" in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
    assert not marker.exists() and not (tmp_path / "s.jsonl").exists()
    # a skops file that holds a type outside the trusted list is refused by name, before anything of it is built
    from sklearn.preprocessing import FunctionTransformer

    untrusted = tmp_path / "untrusted.skops"
    skops_io.dump(FunctionTransformer(func=os.system), untrusted)
    _forge_card(untrusted, trained_model)
    with pytest.raises(model.ModelLoadError, match="refusing to load type"):
        model.load(untrusted)


def test_a_model_file_of_another_type_is_refused_in_one_line(tmp_path: Path, trained_model: Path):
    fake = tmp_path / "fake.skops"
    skops_io.dump({"not": "a pipeline"}, fake)
    _forge_card(fake, trained_model)
    result = annotator("explain", "The minister said so.", "--model", fake, cwd=tmp_path)
    assert result.returncode == 1 and "not an annotator model" in result.stderr and "Traceback" not in result.stderr


def test_label_lines_that_are_not_utf8_are_named_and_the_rest_imported(tmp_path: Path):
    lines = SEED_LABELS.read_bytes().splitlines()
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"\n".join([lines[0], lines[1].replace(b"Russia", b"R\xfassia"), lines[2]]) + b"\n")
    problems = []
    records = list(formats.read_labels(path, on_error=problems.append))
    assert len(records) == 2 and len(problems) == 1 and "mixed.jsonl:2: not valid UTF-8" in str(problems[0])
    csv_path = tmp_path / "mixed.csv"
    formats.write_labels(formats.read_labels(SEED_LABELS), csv_path)
    data = csv_path.read_bytes().replace(b"Additionally", b"Additi\xf3nally", 1)
    csv_path.write_bytes(data)
    problems = []
    assert len(list(formats.read_labels(csv_path, on_error=problems.append))) == 37
    assert "not valid UTF-8" in str(problems[0])


def test_utf16_files_with_a_byte_order_mark_are_read(tmp_path: Path):
    record = {"id": "u16", "title": "Київ", "text": "Київ заявив про переговори. The talks resume on Monday."}
    for name, body in (("a.jsonl", json.dumps(record, ensure_ascii=False) + "\n"),
                       ("b.csv", "id,title,text\nu16c,Київ,\"Київ заявив про переговори. The talks resume.\"\n")):
        (tmp_path / name).write_text(body, encoding="utf-16")  # Python writes the byte-order mark
    items = list(read.iter_articles([tmp_path / "a.jsonl", tmp_path / "b.csv"]))
    assert all(isinstance(item, Article) for item in items), items
    assert [item.id for item in items] == ["u16", "u16c"] and items[0].text.startswith("Київ")
    labels = tmp_path / "l.jsonl"
    labels.write_text(SEED_LABELS.read_text(encoding="utf-8"), encoding="utf-16")
    assert len(list(formats.read_labels(labels))) == 38


def test_a_time_that_is_not_a_time_is_a_bad_record(tmp_path: Path):
    record = json.loads(SEED_LABELS.read_text(encoding="utf-8").splitlines()[0])
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps({**record, "time": "not-a-time"}) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["import-labels", str(path), "--db", str(tmp_path / "s.db")])
    assert result.exit_code == 1 and "t.jsonl:1: 'time' must be an ISO 8601" in result.output
    shutil.rmtree(tmp_path / "s.db", ignore_errors=True)
