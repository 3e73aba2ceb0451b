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


def lingering(processes: list) -> list:
    """The processes still alive (not gone, not zombies)."""
    found = []
    for process in processes:
        try:
            if process.status() != psutil.STATUS_ZOMBIE:
                found.append(process)
        except psutil.NoSuchProcess:
            pass
    return found


@pytest.mark.parametrize("engine, stop, code, group", [
    (["--jobs", "2"], signal.SIGINT, 130, False),
    (["--jobs", "2"], signal.SIGTERM, 143, False),
    (["--jobs", "2"], signal.SIGINT, 130, True),
    # group: the signal goes to the whole process group, as Ctrl+C in a terminal does (workers included).
    (["--dask", "local", "--jobs", "2"], signal.SIGINT, 130, True),
    (["--dask", "local", "--jobs", "2"], signal.SIGTERM, 143, False),
])
def test_stopping_scoring_leaves_no_complete_looking_output(tmp_path: Path, trained_model: Path, engine, stop, code,
                                                           group):
    big = tmp_path / "big.jsonl"
    sentence = "The minister said on Monday that the talks would resume in Geneva next week. "
    with big.open("w", encoding="utf-8") as handle:
        for i in range(6000):
            handle.write(json.dumps({"id": f"a{i}", "text": f"Story {i}.\n\n" + sentence * 40}) + "\n")
    out = tmp_path / "scores.jsonl"
    # A test run started in the background of a shell without job control (`... &`, nohup) ignores Ctrl+C, and a
    # child inherits that: the child here must get Ctrl+C as a terminal's process would (a handled signal is reset
    # to its default by exec, an ignored one is not).
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "annotator", "score", str(big), "--out", str(out), "--model", str(trained_model),
             *engine, "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path, start_new_session=True)
    finally:
        signal.signal(signal.SIGINT, previous)
    temporary = outputs.temporary_path(out).with_name(f".{out.name}.{process.pid}.partial")
    deadline = time.monotonic() + 60
    while not (temporary.exists() and temporary.stat().st_size > 0) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert temporary.exists(), "scoring never started writing"
    workers = psutil.Process(process.pid).children(recursive=True)
    os.killpg(process.pid, stop) if group else process.send_signal(stop)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == code
    # A process that has closed its pipes may still be exiting on a loaded machine: orphans are what stays.
    _, alive = psutil.wait_procs(workers, timeout=10)
    assert not lingering(alive), "orphaned workers"
    assert "Interrupted" in stderr.decode() and "were not written" in stderr.decode()
    assert "Traceback" not in stderr.decode() and "ERROR" not in stderr.decode(), stderr.decode()
    assert not out.exists() and not temporary.exists()


@pytest.fixture
def small_disk(tmp_path: Path):
    """A 1 MB filesystem of its own (tmpfs), to fill up or make read-only; skipped where mounting is not allowed."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)],
                                           capture_output=True).returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root and the mount capability)")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)


def cli(*args, cwd: Path) -> subprocess.CompletedProcess:
    """The real console entry (`main`, with its last-resort error lines), as a user runs it."""
    return subprocess.run([sys.executable, "-m", "annotator", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=120)


def articles_file(folder: Path, count: int) -> Path:
    path = folder / "articles.jsonl"
    story = "The ministry said on Monday that the bridge would reopen. Local traders welcomed the news. " * 30
    path.write_text("".join(json.dumps({"id": f"a{i}", "text": f"{i} {story}"}) + "\n" for i in range(count)))
    return path


def test_a_full_disk_is_one_line_and_leaves_nothing_half_written(small_disk: Path, tmp_path: Path, trained_model):
    articles = articles_file(tmp_path, 400)  # about 1.3 MB of sentences: more than the disk holds
    imported = cli("import", articles, "--db", small_disk / "store.db", cwd=tmp_path)
    assert imported.returncode == 1 and "Traceback" not in imported.stderr
    assert "disk is full" in imported.stderr and "run it again" in imported.stderr

    (small_disk / "store.db").unlink()
    for extra in small_disk.glob("store.db-*"):
        extra.unlink()
    scored = cli("score", articles, "--model", trained_model, "--out", small_disk / "scores.jsonl", "--jobs", "1",
                 "-q", cwd=tmp_path)
    assert scored.returncode == 1 and "Traceback" not in scored.stderr
    assert "No space left on device" in scored.stderr and "were not written" in scored.stderr
    assert list(small_disk.iterdir()) == []  # no partial output left to fill the disk


def test_a_read_only_store_or_output_folder_is_one_line(small_disk: Path, tmp_path: Path, trained_model):
    with Store(small_disk / "store.db"):
        pass
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    stats = cli("stats", "--db", small_disk / "store.db", cwd=tmp_path)
    assert stats.returncode == 1 and "read-only" in stats.stderr and "Traceback" not in stats.stderr
    articles = articles_file(tmp_path, 2)
    scored = cli("score", articles, "--model", trained_model, "--out", small_disk / "scores.jsonl", "--jobs", "1",
                 "-q", cwd=tmp_path)
    assert scored.returncode == 1 and "Traceback" not in scored.stderr
    assert f"{small_disk / 'scores.jsonl'}: Read-only file system" in scored.stderr
