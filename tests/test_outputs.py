"""No command destroys its own inputs or a previous result: refused output paths, outputs written atomically."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from typer.testing import CliRunner

from annotator import formats, outputs, writers
from annotator.cli import app
from annotator.store import Store

REPO = Path(__file__).resolve().parents[1]
runner = CliRunner()


def run(*args) -> object:
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "store.db"
    with Store(path) as opened:
        opened.import_label_records(formats.read_labels(REPO / "labels" / "seed.jsonl"))
    return path


def test_export_refuses_to_write_over_the_store(store: Path):
    before = store.read_bytes()
    result = run("export", "--out", store, "--format", "jsonl", "--db", store)
    assert result.exit_code == 1 and "refusing to write" in result.output and "the store" in result.output
    assert store.read_bytes() == before
    with Store(store) as opened:
        assert len(list(opened.label_records())) == 38


def test_score_refuses_outputs_that_are_inputs_or_the_model(tmp_path: Path, trained_model: Path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    article = inputs / "a.jsonl"
    article.write_text(json.dumps({"text": "The minister said the talks would resume."}) + "\n", encoding="utf-8")
    before = article.read_bytes()
    for args in (["--out", article], ["--out", inputs / "scores.jsonl"], ["--out", tmp_path / "s.jsonl", "--summary", article],
                 ["--out", tmp_path / "s.jsonl", "--html", trained_model]):
        result = run("score", article, inputs, *args, "--model", trained_model, "--quiet", "--jobs", "1")
        assert result.exit_code == 1 and "refusing to write" in result.output, result.output
    assert article.read_bytes() == before and not (tmp_path / "s.jsonl").exists()


def test_a_failed_export_leaves_the_previous_export_as_it_was(store: Path, tmp_path: Path):
    out = tmp_path / "labels.jsonl"
    assert run("export", "--out", out, "--db", store).exit_code == 0
    before = out.read_bytes()
    data = bytearray(store.read_bytes())  # damage the pages after the schema: the store opens, reading fails
    for at in range(len(data) // 3, len(data), 512):
        data[at:at + 64] = os.urandom(64)
    store.write_bytes(bytes(data))
    result = run("export", "--out", out, "--db", store)
    assert result.exit_code == 1 and "Error:" in result.output and "Traceback" not in result.output
    assert out.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".partial")] == []


def test_a_writer_left_on_an_error_keeps_the_previous_file(tmp_path: Path):
    schema = {"text": "str", "n": "int"}
    for name in ("t.jsonl", "t.csv", "t.parquet"):
        path = tmp_path / name
        path.write_bytes(b"previous result")
        with pytest.raises(RuntimeError), writers.open_writer(path, schema) as writer:
            writer.write(__import__("pandas").DataFrame({"text": ["a"], "n": [1]}))
            raise RuntimeError("stopped")
        assert path.read_bytes() == b"previous result"
        assert not outputs.temporary_path(path).exists()


@pytest.mark.parametrize("stop, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_stopping_scoring_leaves_no_complete_looking_output(tmp_path: Path, trained_model: Path, stop, code):
    big = tmp_path / "big.jsonl"
    sentence = "The minister said on Monday that the talks would resume in Geneva next week. "
    with big.open("w", encoding="utf-8") as handle:
        for i in range(6000):
            handle.write(json.dumps({"id": f"a{i}", "text": f"Story {i}.\n\n" + sentence * 40}) + "\n")
    out = tmp_path / "scores.jsonl"
    process = subprocess.Popen(
        [sys.executable, "-m", "annotator", "score", str(big), "--out", str(out), "--model", str(trained_model),
         "--jobs", "2", "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path)
    temporary = outputs.temporary_path(out).with_name(f".{out.name}.{process.pid}.partial")
    deadline = time.monotonic() + 60
    while not (temporary.exists() and temporary.stat().st_size > 0) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert temporary.exists(), "scoring never started writing"
    workers = psutil.Process(process.pid).children(recursive=True)
    process.send_signal(stop)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == code
    assert not [w for w in workers if w.is_running() and w.status() != psutil.STATUS_ZOMBIE], "orphaned workers"
    assert "Interrupted" in stderr.decode() and "were not written" in stderr.decode()
    assert not out.exists() and not temporary.exists()
