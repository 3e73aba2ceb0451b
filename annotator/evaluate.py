"""How good a model is: cross-validation grouped by article, per-class metrics, calibration, a confusion matrix.

Sentences of one article are never on both sides of a split: neighbouring sentences share names, topic and
wording, so a random split would reward memorising articles.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.metrics import accuracy_score, confusion_matrix, log_loss, precision_recall_fscore_support
from sklearn.model_selection import StratifiedGroupKFold

from annotator import classifier, features, model, sources
from annotator.scheme import load_scheme

CALIBRATION_BINS = 10


@dataclass
class Evaluation:
    """Metrics of predictions against gold labels. `folds` is 0 for a held-out evaluation."""

    labels: list[str]
    per_class: pd.DataFrame  # index: labels; columns: precision, recall, f1, support
    confusion: pd.DataFrame  # index: gold label; columns: predicted label
    macro_f1: float
    accuracy: float
    n: int
    folds: int = 0
    calibration: dict[str, float] = field(default_factory=dict)  # log_loss, brier, ece (when probabilities known)

    @property
    def counted(self) -> list[str]:
        """The labels macro-F1 is taken over (`counted_labels`)."""
        return counted_labels(self.per_class, self.confusion)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able form (the model card's metrics); `from_dict` reads it back."""
        return {
            "labels": list(self.labels),
            "n": self.n,
            "folds": self.folds,
            "macro_f1": round(self.macro_f1, 4),
            "accuracy": round(self.accuracy, 4),
            "per_class": {
                label: {k: (int(v) if k == "support" else round(float(v), 4)) for k, v in row.items()}
                for label, row in self.per_class.to_dict(orient="index").items()
            },
            "confusion": self.confusion.astype(int).values.tolist(),
            "calibration": {k: round(float(v), 4) for k, v in self.calibration.items()},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Evaluation:
        labels = list(data["labels"])
        return cls(
            labels=labels,
            per_class=pd.DataFrame.from_dict(data["per_class"], orient="index").reindex(labels),
            confusion=pd.DataFrame(data["confusion"], index=labels, columns=labels),
            macro_f1=float(data["macro_f1"]),
            accuracy=float(data["accuracy"]),
            n=int(data["n"]),
            folds=int(data.get("folds", 0)),
            calibration=dict(data.get("calibration", {})),
        )

    def table(self) -> str:
        """A plain-text report: per-class metrics, summary, calibration and the confusion matrix."""
        width = max(len(label) for label in self.labels) + 2
        lines = [f"{'label':<{width}}{'precision':>10}{'recall':>8}{'F1':>8}{'support':>9}"]
        for label, row in self.per_class.iterrows():
            lines.append(
                f"{label:<{width}}{row['precision']:>10.3f}{row['recall']:>8.3f}{row['f1']:>8.3f}{int(row['support']):>9d}"
            )
        how = f"{self.folds}-fold cross-validation grouped by article" if self.folds else "held-out evaluation"
        lines += ["", f"macro-F1 {self.macro_f1:.3f}   accuracy {self.accuracy:.3f}   ({how}, {self.n} sentences)"]
        if self.calibration:
            lines.append("calibration: " + "   ".join(f"{k.replace('_', ' ')} {v:.3f}" for k, v in self.calibration.items()))
        lines += ["", "confusion (rows: gold, columns: predicted)"]
        column = max(len(label) for label in self.labels) + 2  # whole label names: none is cut
        lines.append(f"{'':<{width}}" + "".join(f"{label:>{column}}" for label in self.labels))
        for label, row in self.confusion.iterrows():
            lines.append(f"{label:<{width}}" + "".join(f"{int(v):>{column}d}" for v in row))
        return "\n".join(lines)


def score(gold: pd.Series | np.ndarray, predicted: pd.Series | np.ndarray, proba: np.ndarray | None = None, *, folds: int = 0) -> Evaluation:
    """An Evaluation of predicted labels (and, in scheme order, their probabilities) against gold labels."""
    labels = load_scheme().keys
    gold = np.asarray(gold, dtype=object)
    predicted = np.asarray(predicted, dtype=object)
    precision, recall, f1, support = precision_recall_fscore_support(gold, predicted, labels=labels, zero_division=0)
    per_class = pd.DataFrame({"precision": precision, "recall": recall, "f1": f1, "support": support}, index=labels)
    confusion = pd.DataFrame(confusion_matrix(gold, predicted, labels=labels), index=labels, columns=labels)
    counted = counted_labels(per_class, confusion)
    return Evaluation(
        labels=list(labels),
        per_class=per_class,
        confusion=confusion,
        macro_f1=float(per_class.loc[counted, "f1"].mean()) if counted else 0.0,
        accuracy=float(accuracy_score(gold, predicted)),
        n=len(gold),
        folds=folds,
        calibration=calibration(gold, proba) if proba is not None else {},
    )


def counted_labels(per_class: pd.DataFrame, confusion: pd.DataFrame) -> list[str]:
    """The labels that the gold labels or the predictions have, which macro-F1 is taken over: a label that a test
    set never has and the model never predicts (no independent fact in a TASS wire, none predicted) has no F1 to
    count as 0; one the model predicts wrongly there still counts, with F1 0."""
    present = (per_class["support"] > 0) | (confusion.sum(axis=0) > 0)
    return present[present].index.tolist()


def calibration(gold: np.ndarray, proba: np.ndarray) -> dict[str, float]:
    """Log loss, Brier score and expected calibration error (of the top label, 10 equal-width bins)."""
    labels = load_scheme().keys
    onehot = (np.asarray(gold, dtype=object)[:, None] == np.asarray(labels, dtype=object)[None, :]).astype(float)
    confidence = proba.max(axis=1)
    correct = onehot[np.arange(len(proba)), proba.argmax(axis=1)]
    bins = np.minimum((confidence * CALIBRATION_BINS).astype(int), CALIBRATION_BINS - 1)
    gap = np.abs(np.bincount(bins, confidence - correct, minlength=CALIBRATION_BINS))
    return {
        "log_loss": float(log_loss(onehot, np.clip(proba, 1e-15, 1))),
        "brier": float(((proba - onehot) ** 2).sum(axis=1).mean()),
        "ece": float(gap.sum() / max(len(proba), 1)),
    }


def article_groups(frame: pd.DataFrame) -> np.ndarray:
    """The split group of every row: its article id, or a group of its own when it has none."""
    return classifier.group_codes(frame["article_id"] if "article_id" in frame else None, len(frame))


def grouped_folds(frame: pd.DataFrame, folds: int = 5, *, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, test) row positions of `folds` splits, stratified by label and grouped by article."""
    groups = article_groups(frame)
    if len(set(groups)) < folds:
        raise ValueError(f"{folds}-fold cross-validation needs at least {folds} articles; the frame has {len(set(groups))}")
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros(len(frame)), frame["label"].astype(str).to_numpy(), groups))


Estimator = Callable[[], Any]

# Folds run in parallel processes from this many training sentences on: below it, starting the workers (each imports
# scikit-learn) costs more than the fits. On the real labels, 5 folds on 2 cores take 3 rounds of fits instead of 5.
PARALLEL_ROWS = 2_000


def cross_validate(
    frame: pd.DataFrame,
    *,
    folds: int = 5,
    params: dict[str, Any] | None = None,
    make: Estimator | None = None,
    train_size: int | None = None,
    seed: int = 0,
    extra: pd.DataFrame | None = None,
) -> Evaluation:
    """Grouped `folds`-fold cross-validation of the model (or of `make()`, any estimator over model input frames).

    With `train_size`, each fold trains on that many sentences drawn from its training part (a learning curve).
    With `extra`, every fold also trains on those rows (never tested on them): does more data of another kind help?
    """
    return _cross_validate(frame, folds=folds, params=params, make=make, train_size=train_size, seed=seed, extra=extra)[0]


def cross_validate_and_train(frame: pd.DataFrame, *, folds: int = 5) -> tuple[Evaluation, Any, float]:
    """`cross_validate` and the model trained on every row, with the seconds that training took. The final fit runs
    in the same pool of processes as the folds, beside them rather than after them: on 2 cores and 5 folds, three
    rounds of fits instead of four."""
    evaluation, (pipeline, seconds) = _cross_validate(frame, folds=folds, train_all=True)
    return evaluation, pipeline, seconds


def _cross_validate(
    frame: pd.DataFrame,
    *,
    folds: int,
    params: dict[str, Any] | None = None,
    make: Estimator | None = None,
    train_size: int | None = None,
    seed: int = 0,
    extra: pd.DataFrame | None = None,
    train_all: bool = False,
) -> tuple[Evaluation, tuple[Any, float] | None]:
    rows = model.training_rows(frame).reset_index(drop=True)
    added = model.training_rows(extra).reset_index(drop=True) if extra is not None else None
    labels = load_scheme().keys
    gold = rows["label"].astype(str).to_numpy()
    proba = np.zeros((len(rows), len(labels)))
    rng = np.random.default_rng(seed)
    splits = []
    for train, test in grouped_folds(rows, folds, seed=seed):
        if train_size is not None and train_size < len(train):
            train = np.sort(rng.choice(train, size=train_size, replace=False))
        splits.append((train, test))
    tasks = [delayed(_fold)(make, params, rows, gold, added, train, test) for train, test in splits]
    if train_all:  # the longest fit first, so that the folds fill the other cores meanwhile
        tasks.insert(0, delayed(_train_all)(rows))
    jobs = min(len(tasks), os.cpu_count() or 1) if len(rows) >= PARALLEL_ROWS else 1
    results = Parallel(n_jobs=jobs)(tasks)
    trained = results.pop(0) if train_all else None
    for test, classes, found in results:
        for column, label in enumerate(classes):
            proba[test, labels.index(label)] = found[:, column]
    predicted = np.asarray(labels, dtype=object)[proba.argmax(axis=1)]
    return score(gold, predicted, proba, folds=folds), trained


def _train_all(rows: pd.DataFrame) -> tuple[Any, float]:
    """The model trained on every row, and how many seconds that took."""
    started = time.perf_counter()
    pipeline = model.train(rows)
    return pipeline, time.perf_counter() - started


def _fold(make: Estimator | None, params: dict[str, Any] | None, rows: pd.DataFrame, gold: np.ndarray,
          added: pd.DataFrame | None, train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One fold: fit on `train` (and `added`), return the test rows, the estimator's classes and its probabilities."""
    with model.single_threaded():
        estimator = make() if make else model.build_pipeline(**(params or {}))
        fit_rows, fit_gold = rows.iloc[train], gold[train]
        if added is not None:
            fit_rows = pd.concat([fit_rows, added[list(fit_rows.columns.intersection(added.columns))]], ignore_index=True)
            fit_gold = np.concatenate([fit_gold, added["label"].astype(str).to_numpy()])
        model.fit(estimator, fit_rows, fit_gold)
        return test, np.asarray(estimator.classes_), model.probabilities(estimator, rows.iloc[test])


def held_out(frame: pd.DataFrame, column: str, value: str, *, params: dict[str, Any] | None = None) -> Evaluation:
    """Train on every row whose `column` is not `value`, test on those that are: e.g. leave one outlet out, the
    figure that says whether the model generalises to an outlet it has never seen."""
    rows = model.training_rows(frame).reset_index(drop=True)
    test = rows[column].astype(str) == value
    with model.single_threaded():
        pipeline = model.fit(model.build_pipeline(**(params or {})), rows[~test], rows.loc[~test, "label"].astype(str).to_numpy())
    return evaluate(pipeline, rows[test])


def evaluate(pipeline, frame: pd.DataFrame) -> Evaluation:
    """A trained model's metrics on a labelled frame (skips dropped)."""
    rows = frame[frame["label"] != load_scheme().skip.key]
    predicted = model.predict(pipeline, rows)
    return score(rows["label"].astype(str), predicted["label"], predicted[load_scheme().prob_columns()].to_numpy())


def rule_baseline(frame: pd.DataFrame) -> np.ndarray:
    """The codebook's decision order as a rule over cue words and the outlet kind (a baseline, no learning).

    State-media outlet: an official with a cue is an official statement, anything else a state-media claim;
    official channel: an official statement; elsewhere a state-media or narrative phrase makes a state-media
    claim, a cue an official statement, and the rest is an independent fact.
    """
    claim, statement, fact = load_scheme().keys[:3]  # the scheme lists the labels in the codebook's decision order
    state_media, official, _ = sources.KINDS
    frame = frame if set(features.MODEL_COLUMNS) <= set(frame) else features.context_frame(frame)
    parse = features.Parse().fit(frame)
    batch = parse.transform(frame)
    flags = pd.DataFrame(batch.flags[batch.text], columns=batch.flag_names).astype(bool)
    kind = batch.outlet_kind
    cued = flags["cue"] | flags["quote"]
    return np.select(
        [
            kind == state_media,
            kind == official,
            flags["state_media"] | flags["narrative"],
            cued,
        ],
        [
            np.where(cued & flags["role"], statement, claim),
            statement,
            claim,
            statement,
        ],
        default=fact,
    ).astype(object)
