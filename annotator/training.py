"""What a model learns from: the shipped label files and the store's final labels, gathered into one frame, then fit."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd

from annotator import encoder, evaluate, features, formats, model
from annotator.config import labels_dir
from annotator.records import digest
from annotator.scheme import load_scheme

# The label files that ship in `labels/` and train the default model: the seed article and the real corpus (first
# reviewer's labels, then the adjudicated disagreements, which win). The authored starter set (`starter.jsonl`) is
# not among them: on the real labels it did not help (bench/accuracy.py, README "Accuracy").
SHIPPED_LABEL_FILES = ("seed.jsonl", "real.jsonl", "real_adjudicated.jsonl")

Progress = Callable[[float, str], None]


def shipped_label_files() -> list[Path]:
    """The shipped label files that exist in the labels folder, in a fixed order."""
    return [path for name in SHIPPED_LABEL_FILES if (path := labels_dir() / name).exists()]


def read_label_files(paths: Iterable[str | Path]) -> pd.DataFrame:
    """All records of the given label files as one training frame (see `formats.labels_frame`)."""
    frames = [formats.labels_frame(formats.read_labels(path)) for path in paths]
    return pd.concat(frames, ignore_index=True) if frames else formats.labels_frame([])


def training_frame(store=None, label_files: Iterable[str | Path] | None = None) -> pd.DataFrame:
    """The labelled sentences to train on, with the model's context columns, skips dropped, one per sentence.

    With `label_files`, exactly those files. Otherwise the shipped label files plus the store's final labels
    (adjudicated, or agreed by every reviewer); a sentence in both counts once, with the store's label.
    """
    if label_files is not None:
        frame = read_label_files(label_files)
    else:
        frames = [read_label_files(shipped_label_files())]
        if store is not None:
            frames.append(_store_frame(store))
        frame = pd.concat(frames, ignore_index=True)
    key = frame["sentence_id"].where(frame["sentence_id"].astype(bool), frame["text"])
    frame = features.context_frame(frame[~key.duplicated(keep="last")])
    # Context first, skips after: a sentence's neighbour is the sentence beside it, even a skipped dateline.
    return frame[frame["label"] != load_scheme().skip.key].reset_index(drop=True)


def _store_frame(store) -> pd.DataFrame:
    """The store's final labels as training rows, each with its context read from its whole article: a reviewer
    labels sentences here and there, so the labelled neighbour of a sentence is often not the sentence beside it."""
    final = store.final_labels()
    columns = list(formats.labels_frame([]).columns)
    for column in columns:
        if column not in final:
            final[column] = ""
    context = list(features.CONTEXT)
    if final.empty:
        return final[columns]
    whole = features.context_frame(store.sentences_of(final["article_id"])).set_index("sentence_id")[context]
    return final[columns].join(whole, on="sentence_id")


def sentence_keys(frame: pd.DataFrame) -> list[str]:
    """Per row, its sentence id, or for rows without one the `digest` of its text: what `evaluate` compares with
    a model card's `training_data.sentence_ids` to tell whether a test sentence was seen in training."""
    ids = frame["sentence_id"].fillna("").astype(str) if "sentence_id" in frame else pd.Series("", index=frame.index)
    return [sid or digest(text) for sid, text in zip(ids, frame["text"].astype(str))]


def data_hash(frame: pd.DataFrame) -> str:
    """sha256 of the training rows (text, label, article, offsets), so a card says exactly what a model saw."""
    digest = hashlib.sha256()
    for row in frame[["article_id", "start", "end", "text", "label"]].astype(str).itertuples(index=False):
        digest.update("\x1f".join(row).encode("utf-8") + b"\x1e")
    return digest.hexdigest()


def fit(frame: pd.DataFrame, out: str | Path, *, folds: int = 5, encoder_epochs: int = 0,
        progress: Progress | None = None) -> dict:
    """Cross-validate (grouped by article), train on everything, save the model and its card; return the card.
    With `encoder_epochs`, also fine-tune a text encoder on everything (model.add_encoder); the card's
    cross-validation stays the pipeline's (fine-tuning once per fold would take hours: bench/finetune.py does it)."""
    report = progress or (lambda fraction, message: None)
    if encoder_epochs:
        encoder.libraries()  # missing extras are said now, not after the cross-validation
    report(0.05, f"cross-validating on {len(frame)} sentences ({folds} folds, grouped by article) and training on all")
    evaluation, pipeline, seconds = evaluate.cross_validate_and_train(frame, folds=folds)
    if encoder_epochs:
        started = time.perf_counter()

        def steps(done: int, total: int) -> None:
            report(0.3 + 0.6 * done / total, f"fine-tuning the encoder: step {done:,} of {total:,}")

        model.add_encoder(pipeline, frame, epochs=encoder_epochs, progress=steps)
        seconds += time.perf_counter() - started
    card = {
        "training_data": {
            "sha256": data_hash(frame),
            "sentences": int(len(frame)),
            "articles": int(frame["article_id"].nunique()),
            "per_label": {k: int(v) for k, v in frame["label"].value_counts().sort_index().items()},
            "sentence_ids": sorted(set(sentence_keys(frame))),
        },
        "metrics": {"cross_validation": evaluation.to_dict()},
        "train_seconds": round(seconds, 2),
    }
    report(0.9, "saving the model and its card")
    model.save(pipeline, out, card=card)
    report(1.0, "done")
    return model.read_card(out)
