"""The command line end to end: real files, a real SQLite store in a temp dir, a real trained model."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from annotator.cli import app
from annotator.outputs import card_path
from annotator.serve import free_port, wait_until_up

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"
SEED_LABELS = REPO / "labels" / "seed.jsonl"

runner = CliRunner()


def run(*args: str, ok: bool = True):
    result = runner.invoke(app, [str(a) for a in args])
    if ok:
        assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "store.db"


def test_python_dash_m_runs_the_cli():
    out = subprocess.run([sys.executable, "-m", "annotator", "--help"], capture_output=True, text=True, check=True)
    assert "import-labels" in out.stdout and "score" in out.stdout


def test_import_reports_new_then_known(db: Path):
    first = run("import", SEEDS, "--db", db)
    assert "articles: 1 new, 0 already known" in first.output
    second = run("import", SEEDS, "--db", db)
    assert "articles: 0 new, 1 already known" in second.output
    assert "sentences: 0 new" in second.output


def test_sentences_prints_ids_and_offsets(db: Path):
    run("import", SEEDS, "--db", db)
    out = run("sentences", "--db", db).output
    text = (SEEDS / "000_d2e7d545ee594781.txt").read_text(encoding="utf-8")
    assert "sentence_id" in out and "start" in out
    assert "The talks lasted for an hour." in out
    start = text.index("The talks lasted for an hour.")
    assert f"{start}" in out


def test_bad_input_is_one_clear_line_and_exit_1(db: Path, tmp_path: Path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    result = run("import", empty, "--db", db, ok=False)
    assert result.exit_code == 1
    assert "empty.txt" in result.output and "Traceback" not in result.output


def test_export_import_labels_round_trip(db: Path, tmp_path: Path):
    run("import-labels", SEED_LABELS, "--db", db)
    for fmt in ("jsonl", "csv"):
        first = tmp_path / f"first.{fmt}"
        run("export", "--format", fmt, "--out", first, "--db", db)
        other = tmp_path / f"other-{fmt}.db"
        run("import-labels", first, "--db", other)
        second = tmp_path / f"second.{fmt}"
        run("export", "--format", fmt, "--out", second, "--db", other)
        assert first.read_bytes() == second.read_bytes()
        assert first.stat().st_size > 0


def test_import_labels_rejects_unknown_label(db: Path, tmp_path: Path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"text": "A sentence.", "label": "propaganda"}) + "\n", encoding="utf-8")
    result = run("import-labels", bad, "--db", db, ok=False)
    assert result.exit_code == 1 and "propaganda" in result.output


def test_stats_on_label_files_and_store(db: Path):
    out = run("stats", SEED_LABELS).output
    assert "official_statement" in out and "independent" in out
    run("import-labels", SEED_LABELS, "--db", db)
    assert "seed" in run("stats", "--db", db).output


def every_nth_article(path: Path, n: int, out: Path) -> Path:
    """The label records of every `n`-th article of a shipped label file, as a label file of their own."""
    order: dict[str, int] = {}
    lines = path.read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines if order.setdefault(json.loads(line)["article_id"], len(order)) % n == 0]
    out.write_text("\n".join(kept) + "\n", encoding="utf-8")
    return out


def test_train_evaluate_explain(tmp_path: Path, label_files: list[Path]):
    """The train, evaluate and explain commands on real labels: the seed article's and every fourth real article
    (the default model's full training is `quickstart`'s test)."""
    model = tmp_path / "m.skops"
    metrics = tmp_path / "cv.json"
    seed, real = label_files[0], every_nth_article(label_files[1], 4, tmp_path / "real.jsonl")
    out = run("train", "--labels", seed, "--labels", real, "--out", model, "--folds", 2, "--json", metrics)
    assert "macro" in out.output.lower() and "pipeline's alone" not in out.output  # no encoder, no such note
    assert (tmp_path / "m.skops.card.json").exists()
    assert 0 <= json.loads(metrics.read_text())["macro_f1"] <= 1
    evaluated = run("evaluate", "--model", model, SEED_LABELS, "--json", tmp_path / "eval.json")
    assert "macro" in evaluated.output.lower()
    explained = run("explain", "--model", model, "The minister said the talks would resume, according to Reuters.")
    assert "because:" in explained.output and "why: " in explained.output
    relayed = run("explain", "--model", model, "The talks will resume.", "--outlet", "KCNA", "--top", 200,
                  "--lead", "The Foreign Ministry released the following press statement:")
    assert "lead: relay & outlet: state_media" in relayed.output


def test_train_refuses_an_empty_training_set(tmp_path: Path):
    empty = tmp_path / "none.jsonl"
    empty.write_text("", encoding="utf-8")
    result = run("train", "--labels", empty, "--out", tmp_path / "m.skops", ok=False)
    assert result.exit_code == 1 and "Traceback" not in result.output


def test_evaluate_refuses_a_tampered_model(trained_model: Path, tmp_path: Path):
    copy = tmp_path / "m.skops"
    copy.write_bytes(trained_model.read_bytes() + b"\0")
    (tmp_path / "m.skops.card.json").write_text(Path(f"{trained_model}.card.json").read_text())
    result = run("evaluate", "--model", copy, SEED_LABELS, ok=False)
    assert result.exit_code == 1 and "sha256" in result.output


def test_score_exit_codes(trained_model: Path, tmp_path: Path):
    out = tmp_path / "scores.jsonl"
    run("score", SEEDS, "--model", trained_model, "--out", out, "--quiet", "--cues")
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(records) > 10 and all(record["cues"] is not None for record in records)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "good.txt").write_text("Title\nThe minister said the talks went well.", encoding="utf-8")
    (tmp_path / "in" / "empty.txt").write_bytes(b"")
    result = run("score", tmp_path / "in", "--model", trained_model, "--out", tmp_path / "s2.jsonl", "--quiet", ok=False)
    assert result.exit_code == 1 and "Traceback" not in result.output


def test_source_lookup():
    assert "state_media" in run("source", "https://tass.com/politics/1").output
    assert "independent" in run("source", "Some Local Paper").output


def test_quickstart_without_app(quickstarted):
    assert "<html" in quickstarted.report.read_text(encoding="utf-8").lower()
    assert "The talks lasted for an hour." in quickstarted.output  # the seed sentences, with their ids
    assert "training the default model on the shipped labels" in quickstarted.output
    assert "cross-validated macro-F1: 0." in quickstarted.output
    card = json.loads(card_path(quickstarted.model).read_text())
    assert card["metrics"]["cross_validation"]["folds"] == 5
    assert card["training_data"]["articles"] > 1000  # the shipped real labels, not the seed article alone


def test_quickstart_again_keeps_the_model_and_the_labels(quickstarted, tmp_path: Path):
    model = tmp_path / "m.skops"
    for source, copy in ((quickstarted.model, model), (card_path(quickstarted.model), card_path(model))):
        shutil.copyfile(source, copy)
    db = tmp_path / "q.db"
    first = run("quickstart", "--no-app", "--db", db, "--model", model, "--report", tmp_path / "r.html").output
    again = run("quickstart", "--no-app", "--db", db, "--model", model, "--report", tmp_path / "r.html").output
    assert "training" not in first + again and model.read_bytes() == quickstarted.model.read_bytes()
    assert "annotations: 38 new" in first and "annotations: 0 new, 38 already known" in again  # nothing twice
    assert "The talks lasted for an hour." in again and (tmp_path / "r.html").is_file()


def test_agreement_history_and_adjudication(db: Path):
    from annotator.scheme import load_scheme
    from annotator.store import Store

    first, second, third = load_scheme().keys
    run("import", SEEDS, "--db", db)
    with Store(db) as store:
        ids = list(store.sentences()["sentence_id"][:4])
        for sentence in ids:
            store.annotate(sentence, first, "ann")
        for sentence, label in zip(ids, [first, first, first, second]):
            store.annotate(sentence, label, "bob")
    out = run("agreement", "--db", db).output
    assert "alpha" in out and "ann" in out and "bob" in out and ids[3] in out
    run("adjudicate", ids[3], third, "--by", "lead", "--db", db)
    assert "adjudicate" in run("history", "--sentence", ids[3], "--db", db).output
    with Store(db) as store:
        final = store.final_labels().set_index("sentence_id")["label"]
    assert final[ids[3]] == third and final[ids[0]] == first
    bad = run("adjudicate", ids[3], "propaganda", "--by", "lead", "--db", db, ok=False)
    assert bad.exit_code == 1 and "propaganda" in bad.output


# --- outputs mean what they say ----------------------------------------------------------------------------------


def _one_article(tmp_path: Path) -> Path:
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps({"id": "a1", "title": "Talks", "text": "Talks\n\nThe minister said talks would resume."}) + "\n",
                    encoding="utf-8")
    return path


def test_summary_format_follows_the_extension_and_stdout_works(tmp_path: Path, trained_model: Path):
    article = _one_article(tmp_path)
    run("score", article, "--out", tmp_path / "s.jsonl", "--summary", tmp_path / "sum.json", "--model", trained_model,
        "-q", "--jobs", "1")
    summary = json.loads((tmp_path / "sum.json").read_text(encoding="utf-8"))
    assert isinstance(summary, list) and summary[0]["article_id"] == "a1"
    result = run("score", article, "--out", "-", "--model", trained_model, "-q", "--jobs", "1")
    records = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [r["text"] for r in records] == ["Talks", "The minister said talks would resume."]
    assert not (Path.cwd() / "-").exists()


def test_a_format_contradicting_the_extension_is_an_error(tmp_path: Path, trained_model: Path):
    result = run("score", _one_article(tmp_path), "--out", tmp_path / "s.jsonl", "--format", "parquet",
                 "--model", trained_model, "-q", ok=False)
    assert result.exit_code == 1 and "contradicts" in result.output and not (tmp_path / "s.jsonl").exists()


def test_evaluate_warns_when_the_sentences_were_in_training(tmp_path: Path):
    model_path = tmp_path / "m.skops"
    run("train", "--labels", SEED_LABELS, "--labels", REPO / "labels" / "starter.jsonl", "--out", model_path,
        "--folds", "2")
    result = run("evaluate", "--model", model_path, SEED_LABELS)
    assert "38 of 38 evaluated sentences were in this model's training data" in result.output
    assert "official_statement" in result.output.split("confusion")[-1]  # whole label names in the matrix header


def test_plain_answers_where_there_is_nothing_to_show(db: Path):
    run("import", SEEDS, "--db", db)
    assert "articles: 1, sentences: 38" in run("stats", "--db", db).output
    assert "No sentence has labels from two reviewers" in run("agreement", "--db", db).output
    assert "nan" not in run("agreement", "--db", db).output
    empty = run("explain", "", ok=False)
    assert empty.exit_code == 1 and "empty" in empty.output
    missing = run("explain", "The minister said so.", "--model", db.parent / "none.skops", ok=False)
    assert "no model at" in missing.output and "annotator train" in missing.output


def test_import_labels_lists_every_bad_record(tmp_path: Path, db: Path):
    record = json.loads(SEED_LABELS.read_text(encoding="utf-8").splitlines()[1])
    clash = {**record, "text": "Another text under the same sentence id.", "start": None, "end": None}
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in (record, clash, {"text": "x", "label": "nope"})) + "\n",
                    encoding="utf-8")
    result = run("import-labels", path, "--db", db, ok=False)
    assert result.exit_code == 1 and "2 bad record(s)" in result.output
    assert "held with another article or text" in result.output and "unknown label 'nope'" in result.output


def test_usage_lines_name_their_arguments():
    assert "FILE" in run("evaluate", "--help").output and "{file}" not in run("evaluate", "--help").output


def test_app_becomes_the_server_so_stopping_it_stops_the_server(tmp_path: Path):
    """`annotator app` execs Streamlit: SIGTERM to the command's pid stops the server, and a relative --db is
    taken from the current folder, not the repository's."""
    import signal
    import urllib.request

    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "annotator", "app", "--db", "rel/store.db", "--port", str(port)],
                               cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_up(f"http://127.0.0.1:{port}", process)
        environ = Path(f"/proc/{process.pid}/environ").read_bytes().split(b"\0")
        assert f"ANNOTATOR_DB={tmp_path / 'rel' / 'store.db'}".encode() in environ
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) is not None
        with pytest.raises(OSError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
    finally:
        process.kill()
