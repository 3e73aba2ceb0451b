"""The optional fine-tuned encoder end to end: `annotator train --encoder` on real labels writes it into the model
file, loading it averages its probabilities with the pipeline's, scoring and explanations go on working, and a
missing extra or a broken encoder is one clear error. CI installs the extra (torch and `embeddings`); the tests
that need it skip, saying so, where it is not installed."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from apptest import start
from test_cli import SEEDS, every_nth_article, run

from annotator import encoder, model, training
from annotator.records import Article
from annotator.scheme import load_scheme
from annotator.store import Store

needs_extra = pytest.mark.skipif(not encoder.available(), reason=f"the optional extra is not installed: {encoder.INSTALL}")


@pytest.fixture(scope="module")
def labels(tmp_path_factory, label_files: list[Path]) -> Path:
    """A small real label file, for a fine-tuning of a few steps: the seed article's labels and every 200th real
    article's (every label has five examples or more)."""
    folder = tmp_path_factory.mktemp("encoder")
    some = every_nth_article(label_files[1], 200, folder / "some.jsonl")
    both = folder / "labels.jsonl"
    both.write_text(label_files[0].read_text(encoding="utf-8") + some.read_text(encoding="utf-8"), encoding="utf-8")
    return both


@pytest.fixture(scope="module")
def tuned(labels: Path) -> Path:
    """A model trained by the command line with a fine-tuned encoder (one epoch)."""
    out = labels.parent / "tuned.skops"
    result = run("train", "--labels", labels, "--out", out, "--folds", 2, "--encoder", "--encoder-epochs", 1)
    assert "macro" in result.output.lower()
    assert "cross-validation is the pipeline's alone" in result.output  # the table printed is not of the pair
    return out


@needs_extra
def test_the_model_averages_the_encoder_and_the_pipeline(tuned: Path, labels: Path):
    card = json.loads(Path(f"{tuned}.card.json").read_text(encoding="utf-8"))
    frame = training.training_frame(label_files=[labels])
    assert card["encoder"]["epochs"] == 1 and card["encoder"]["sentences"] == len(frame)
    assert card["versions"]["torch"] and card["versions"]["transformers"]
    loaded = model.load(tuned)
    both = model.predict(loaded, frame)
    tuned_alone = loaded.encoder_.predict_proba(frame)
    del loaded.encoder_
    pipeline_alone = model.predict(loaded, frame)
    columns = load_scheme().prob_columns()
    order = [list(loaded.classes_).index(column.removeprefix("p_")) for column in columns]
    mean = (pipeline_alone[columns].to_numpy() + tuned_alone[:, order]) / 2
    np.testing.assert_allclose(both[columns].to_numpy(), mean, atol=1e-9)
    assert np.abs(both[columns].to_numpy() - pipeline_alone[columns].to_numpy()).max() > 0.01  # it counts


@needs_extra
def test_scoring_and_explaining_with_an_encoder_model(tuned: Path, tmp_path: Path):
    """On two worker processes: started afresh, as torch does not survive a fork (a forked worker hung)."""
    out, html = tmp_path / "scores.jsonl", tmp_path / "report.html"
    run("score", SEEDS, "--model", tuned, "--out", out, "--html", html, "--cues", "--jobs", 2, "--quiet")
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    columns = load_scheme().prob_columns()
    assert len(records) > 10 and all(abs(sum(r[c] for c in columns) - 1) < 1e-3 for r in records)
    assert any(record["cues"] for record in records) and html.read_text(encoding="utf-8").count('class="ann-s"') > 10
    explained = run("explain", "--model", tuned, "The minister said the talks would resume, according to Reuters.")
    assert "because:" in explained.output


@needs_extra
def test_an_encoder_that_does_not_fit_the_base_model_is_refused_at_load(tuned: Path, tmp_path: Path):
    loaded = model.load(tuned)
    loaded.encoder_.state_.pop(sorted(loaded.encoder_.state_)[0])
    broken = tmp_path / "broken.skops"
    model.save(loaded, broken, card={})
    with pytest.raises(model.ModelLoadError, match="does not fit"):
        model.load(broken)


@needs_extra
def test_a_model_with_an_encoder_needs_the_extra_to_load(tuned: Path, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # as on an installation without torch
    with pytest.raises(model.ModelLoadError, match=r"pip install torch==2\.13\.0"):
        model.load(tuned)


def test_train_with_encoder_but_without_the_extra_is_one_line_before_any_work(labels: Path, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    out = labels.parent / "never.skops"
    result = run("train", "--labels", labels, "--out", out, "--encoder", ok=False)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "pip install torch==2.13.0" in result.output and not out.exists()


@needs_extra
def test_the_app_says_its_model_has_an_encoder_and_retrains_with_it(tuned: Path, tmp_path: Path, monkeypatch):
    db = tmp_path / "annotations.db"
    with Store(db) as store:
        store.add_articles([Article(id="a1", text="The ministry said the bridge will reopen.", outlet="TASS")])
    monkeypatch.setenv("ANNOTATOR_DB", str(db))
    monkeypatch.setenv("ANNOTATOR_MODEL", str(tuned))
    at = start()
    at.switch_page("annotator/ui/model_page.py").run()
    assert not at.exception, at.exception
    assert any("fine-tuned encoder" in caption.value for caption in at.caption)
    train = next(button for button in at.button if button.label == "Train now")
    assert "with its fine-tuned encoder (1 epoch:" in train.help
