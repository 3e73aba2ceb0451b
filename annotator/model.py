"""The model: one scikit-learn Pipeline of named steps, trained on labelled sentences, saved with a card.

    parse -> features (words, attribution, speaker, context, outlet; chars off)
          -> classifier (logistic regression in two passes, the second also seeing its article's profile)

A model trained with `--encoder` also carries `encoder_`, a fine-tuned text encoder (annotator/encoder.py): its
probabilities are averaged with the pipeline's, and explanations stay the pipeline's weights.

Logistic regression minimises log loss, a proper scoring rule, so its probabilities are calibrated without a
held-out calibration split (which CalibratedClassifierCV would take from a small labelled set); the cross-validated
calibration error is reported in every evaluation. Its linear weights also give the explanations. The classifier
reads which article each row belongs to (`article_id`), so the functions here pass it along: an article's sentences
are scored together, and a sentence alone is an article of its own.
"""

from __future__ import annotations

import hashlib
import json
import platform
import weakref
import zipfile
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
import sklearn
from sklearn.pipeline import FeatureUnion, Pipeline
from threadpoolctl import ThreadpoolController

from annotator import classifier as article_classifier
from annotator import encoder, features, outputs
from annotator.outputs import card_path
from annotator.scheme import load_scheme

CARD_FORMAT = 2  # 2: models are skops files (1: joblib pickles, no longer loaded)
MIN_EXAMPLES = 5
# Chosen by grouped 5-fold cross-validation on the real labels (bench/accuracy.py): C 0.3-3, class_weight None or
# balanced, word 1-3-grams and character n-grams (2-5, 3-4, none) all moved macro-F1 within 0.786-0.793. Character
# n-grams are off: they added nothing and cost a fifth of the scoring time (`features__chars=None` brings them back).
# The word n-grams count twice (a weaker penalty on them than on the cue and context flags): +0.004 macro-F1 over
# three fold seeds and +0.02 leave-one-outlet-out against weight 1; 1.5 and 3 did as well, 0.5 and 0.7 worse.
DEFAULT_PARAMS: dict[str, Any] = {
    "features__words__ngram_range": (1, 2),
    "features__words__sides": ("text", "prev", "next"),
    "features__transformer_weights": {"words": 2.0},
    "features__chars": "drop",
    "classifier__C": 1.0,
    "classifier__class_weight": "balanced",
}


# What the latest introduction before a sentence says about the block under it: a relayed text, a speaker (an
# official or not) or a named independent source ("Burleigh started his article saying:").
INTRO_FLAGS = ("relay", "cue", "role", "independent", "nonofficial")

STEPS = ("parse", "features", "classifier")  # the named steps of every annotator model


class TrainingError(ValueError):
    """The labelled data cannot train a model (empty, a class too small, a label outside the scheme)."""


class ModelLoadError(ValueError):
    """A model file that must not be used: no card, changed since it was saved, or made by other library versions."""


def build_pipeline(**params: Any) -> Pipeline:
    """The untrained model; `params` are `step__param` keys over `DEFAULT_PARAMS` (e.g. classifier__C=3.0);
    a feature step set to "drop" is left out (e.g. features__words="drop"), and None restores one the defaults
    leave out (features__chars=None: character 3-4-grams)."""
    pipeline = Pipeline(
        [
            ("parse", features.Parse()),
            (
                "features",
                FeatureUnion(
                    [
                        ("words", features.WordNgrams()),
                        ("chars", features.CharNgrams(ngram_range=(3, 4))),
                        ("attribution", features.Attribution()),
                        ("context", features.Context()),
                        ("lead", features.Lead()),
                        ("intro", features.Lead(flags=INTRO_FLAGS, side="intro")),
                        ("outlet", features.OutletKind()),
                        ("speaker", features.Speaker()),
                    ],
                    verbose_feature_names_out=False,
                ),
            ),
            ("classifier", article_classifier.ArticleProfile()),
        ]
    )
    dropped = [key for key, value in params.items() if value == "drop"]
    defaults = {k: v for k, v in DEFAULT_PARAMS.items() if not any(k.startswith(f"{step}__") for step in dropped)}
    params = {k: v for k, v in {**defaults, **params}.items() if v is not None}  # None: keep the step as built
    return pipeline.set_params(**params)


def single_threaded():
    """Run numeric libraries on one thread: on a small shared machine their OpenMP threads spin against other
    processes (grouped CV measured 54 s with them, 6 s without), and batch scoring parallelises by process.
    The libraries are found once per process (a scan of the loaded libraries costs 5 ms, once per predict call)."""
    global _CONTROLLER
    if _CONTROLLER is None:
        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER.limit(limits=1)


_CONTROLLER: ThreadpoolController | None = None


def training_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows that train a model: skips dropped, model input columns filled; TrainingError when they cannot."""
    scheme = load_scheme()
    if "label" not in frame or "text" not in frame:
        raise TrainingError("the training frame needs the columns text and label")
    rows = frame[frame["label"] != scheme.skip.key]
    unknown = sorted(set(rows["label"].astype(str)) - set(scheme.keys))
    if unknown:
        raise TrainingError(f"label(s) not in the scheme: {', '.join(unknown)}; the scheme allows {', '.join(scheme.all_keys)}")
    if rows.empty:
        raise TrainingError("no labelled sentences to train on (skips do not count)")
    counts = rows["label"].value_counts()
    small = [f"{key} ({int(counts.get(key, 0))})" for key in scheme.keys if counts.get(key, 0) < MIN_EXAMPLES]
    if small:
        raise TrainingError(f"every label needs at least {MIN_EXAMPLES} examples; too few: {', '.join(small)}")
    return features.context_frame(rows) if not set(features.MODEL_COLUMNS) <= set(rows) else rows


def train(frame: pd.DataFrame, *, params: dict[str, Any] | None = None) -> Pipeline:
    """Fit a new pipeline on a label frame (text, label and, for context and outlet, article_id/start/outlet...)."""
    rows = training_rows(frame)
    with single_threaded():
        return fit(build_pipeline(**(params or {})), rows, rows["label"].astype(str).to_numpy())


def add_encoder(pipeline: Pipeline, frame: pd.DataFrame, *, epochs: int = 2,
                progress: encoder.Steps | None = None) -> Pipeline:
    """Fine-tune a text encoder on the rows that trained `pipeline` and attach it: the model then averages the two
    models' probabilities. EncoderUnavailable without the optional extra."""
    rows = training_rows(frame)
    tuned = encoder.TextEncoder(epochs=epochs).fit(rows, rows["label"].astype(str).to_numpy(), progress=progress)
    if list(tuned.classes_) != list(pipeline.classes_):
        raise TrainingError(f"the encoder learnt labels {list(tuned.classes_)}, the pipeline {list(pipeline.classes_)}")
    pipeline.encoder_ = tuned
    return pipeline


def encoder_of(pipeline: Pipeline) -> encoder.TextEncoder | None:
    """The model's fine-tuned encoder, or None for a pipeline alone (the default)."""
    return getattr(pipeline, "encoder_", None)


def _blended(pipeline: Pipeline, frame: pd.DataFrame, proba: np.ndarray) -> np.ndarray:
    """The pipeline's probabilities, averaged with its encoder's when it has one (both in `classes_` order)."""
    tuned = encoder_of(pipeline)
    return proba if tuned is None or not len(proba) else (proba + tuned.predict_proba(frame)) / 2


def fit(estimator, rows: pd.DataFrame, labels: np.ndarray):
    """`estimator.fit(rows, labels)`, telling an annotator model which article each row belongs to."""
    return estimator.fit(rows, labels, **_routed(estimator, rows, "classifier__"))


def probabilities(estimator, rows: pd.DataFrame) -> np.ndarray:
    """`estimator.predict_proba(rows)`, scoring an annotator model's rows with their articles."""
    return estimator.predict_proba(rows, **_routed(estimator, rows))


def _routed(estimator, rows: pd.DataFrame, prefix: str = "") -> dict[str, Any]:
    """The article ids as the parameter an annotator model's classifier reads (nothing for other estimators)."""
    if isinstance(estimator, Pipeline) and isinstance(estimator.steps[-1][1], article_classifier.ArticleProfile):
        return {f"{prefix}groups": article_ids(rows)}
    return {}


def article_ids(rows: pd.DataFrame) -> np.ndarray | None:
    """Each row's article id (None without the column: then every row is an article of its own). Rows of
    `features.articles_frame` get the number of their run instead, a new one wherever the id or the article's number
    changes, so that two inputs sharing an id are two articles."""
    if "article_number" in rows and "article_id" in rows and len(rows):
        ids, numbers = rows["article_id"].to_numpy(dtype=object), rows["article_number"].to_numpy()
        return np.cumsum(np.r_[True, (ids[1:] != ids[:-1]) | (numbers[1:] != numbers[:-1])])
    return rows["article_id"].to_numpy(dtype=object) if "article_id" in rows else None


# ---------------------------------------------------------------------------------------------------- persistence


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def versions(extra: tuple[str, ...] = ()) -> dict[str, str]:
    """The versions of what made a model (and of the `extra` packages): a model is loaded only by the same
    scikit-learn major.minor."""
    found = {"python": platform.python_version()}
    for name in ("annotator", "scikit-learn", "numpy", "scipy", "pandas", "skops", *extra):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "unknown"
    found["scikit-learn"] = sklearn.__version__
    return found


def hyperparameters(pipeline: Pipeline) -> dict[str, Any]:
    """The pipeline's parameters that are plain values (JSON-able), by `step__param` key."""
    plain = (str, int, float, bool, type(None))
    found = {}
    for key, value in sorted(pipeline.get_params(deep=True).items()):
        if isinstance(value, tuple) and all(isinstance(v, plain) for v in value):
            found[key] = list(value)
        elif isinstance(value, plain) or (isinstance(value, dict) and all(isinstance(v, plain) for v in value.values())):
            found[key] = value
    return found


def save(pipeline: Pipeline, path: str | Path, *, card: dict[str, Any]) -> dict[str, Any]:
    """Write the model (skops, no pickle) and its card beside it; return the card.

    `card` adds to what is known here (format, time, versions, labels, hyperparameters, model sha256): the
    caller gives training_data (sha256, counts per label) and metrics.
    """
    import skops.io  # imported when needed: it takes a second to import

    path = Path(path)
    # the model first, then its card: a run stopped between them leaves a card that refuses the new file
    with outputs.atomic(path) as temporary:
        skops.io.dump(pipeline, temporary, compression=zipfile.ZIP_DEFLATED, compresslevel=6)
        digest = file_sha256(temporary)
    tuned = encoder_of(pipeline)
    full = {
        "format": CARD_FORMAT,
        "features_version": features.VERSION,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "model_file": path.name,
        "model_sha256": digest,
        "versions": versions(("torch", "transformers", encoder.BASE) if tuned else ()),
        "labels": [key for key in load_scheme().keys if key in set(pipeline.classes_)],
        "hyperparameters": hyperparameters(pipeline),
        **({"encoder": {"base": tuned.base_, "epochs": tuned.epochs, "learning_rate": tuned.learning_rate,
                        "seed": tuned.seed, "sentences": tuned.sentences_, "max_tokens": encoder.MAX_TOKENS,
                        "combined": "mean of the pipeline's and the encoder's probabilities"}} if tuned else {}),
        **card,
    }
    outputs.write_text(card_path(path), json.dumps(full, indent=2, default=_plain) + "\n")
    return full


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (set, tuple)):
        return list(value)
    raise TypeError(f"cannot write {type(value).__name__} to a model card")


def read_card(path: str | Path) -> dict[str, Any]:
    """The card of the model at `path`; ModelLoadError when it is missing or unreadable."""
    where = card_path(path)
    if not Path(path).exists():
        raise ModelLoadError(f"no model at {path} (train one with `annotator train`)")
    try:
        return json.loads(where.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelLoadError(f"{path}: no model card ({where.name}); only models saved by annotator are loaded") from None
    except (OSError, json.JSONDecodeError) as error:
        raise ModelLoadError(f"{where}: unreadable model card ({error})") from None


def trusted_types() -> list[str]:
    """The only types a model file may hold beyond what skops trusts by itself: our own feature steps and their
    helpers, and scipy's CSR matrix. Anything else (code a forged file wants run) is refused."""
    own = [f"{cls.__module__}.{cls.__qualname__}"
           for cls in (*features.SAVED_TYPES, article_classifier.ArticleProfile, encoder.TextEncoder)]
    return [*own, f"{sp.csr_matrix.__module__}.{sp.csr_matrix.__name__}"]


def load(path: str | Path) -> Pipeline:
    """A saved model, after checking its card: the file is unchanged, and the card format, the feature code
    version and scikit-learn major.minor are those of this installation. Models are skops files, not pickles:
    loading one runs no code of the file's, and a type outside `trusted_types` is refused by name. A model with a
    fine-tuned encoder needs the optional extra, and its weights must fit the installed base model."""
    path = Path(path)
    card = read_card(path)
    if card.get("format") != CARD_FORMAT:
        raise ModelLoadError(f"{path}: model card format {card.get('format')!r}, this annotator reads format {CARD_FORMAT}")
    if card.get("features_version") != features.VERSION:
        raise ModelLoadError(
            f"{path}: made by feature code version {card.get('features_version', 'unknown')}, this annotator computes "
            f"version {features.VERSION}; retrain the model (annotator train)"
        )
    made_with = str(card.get("versions", {}).get("scikit-learn", "unknown"))
    if _major_minor(made_with) != _major_minor(sklearn.__version__):
        raise ModelLoadError(
            f"{path}: made with scikit-learn {made_with}, this is {sklearn.__version__}; retrain the model (annotator train)"
        )
    if not path.exists():
        raise ModelLoadError(f"{path}: no such model file")
    if file_sha256(path) != card.get("model_sha256"):
        raise ModelLoadError(f"{path}: the file does not match the sha256 in its card (changed since it was saved)")
    keys = load_scheme().keys
    if sorted(card.get("labels", [])) != sorted(keys):
        raise ModelLoadError(f"{path}: trained for labels {card.get('labels')}, the scheme has {keys}; retrain the model")
    if "encoder" in card:
        try:
            encoder.libraries()
        except encoder.EncoderUnavailable as error:
            raise ModelLoadError(f"{path}: {error}") from None
    import skops.io
    from skops.io.exceptions import UntrustedTypesFoundException

    try:
        found = skops.io.load(path, trusted=trusted_types())
    except UntrustedTypesFoundException as error:
        raise ModelLoadError(f"{path}: refusing to load type(s) a model must not hold: {error}") from None
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, AttributeError, ImportError) as error:
        raise ModelLoadError(f"{path}: not a model file annotator can read ({type(error).__name__}: {error})") from None
    if not isinstance(found, Pipeline) or [name for name, _ in found.steps] != list(STEPS):
        raise ModelLoadError(f"{path}: not an annotator model (it holds a {type(found).__name__}); train one with "
                             "`annotator train`")
    tuned = encoder_of(found)
    if ("encoder" in card) != (tuned is not None) or not isinstance(tuned, encoder.TextEncoder | None):
        raise ModelLoadError(f"{path}: the file and its card disagree on the fine-tuned encoder")
    if tuned is not None:
        try:
            tuned.network()  # now, so that a broken encoder is refused here and not at its first sentence
        except ValueError as error:
            raise ModelLoadError(f"{path}: {error}") from None
    return found


def _major_minor(version: str) -> tuple[str, ...]:
    return tuple(version.split(".")[:2])


# ---------------------------------------------------------------------------------------------------- using a model


def _inputs(frame: pd.DataFrame | pd.Series) -> pd.DataFrame:
    frame = frame.to_frame().T if isinstance(frame, pd.Series) else frame
    return frame if set(features.MODEL_COLUMNS) <= set(frame) else features.context_frame(frame)


def predict(pipeline: Pipeline, frame: pd.DataFrame) -> pd.DataFrame:
    """Per row of `frame`: `p_<label>` for every scheme label, `label` (the most probable) and `confidence`."""
    frame = _inputs(frame)
    with single_threaded():
        proba = probabilities(pipeline, frame) if len(frame) else np.zeros((0, len(pipeline.classes_)))
    return _predictions(pipeline, _blended(pipeline, frame, proba), frame.index)


def _predictions(pipeline: Pipeline, proba: np.ndarray, index: pd.Index) -> pd.DataFrame:
    scheme = load_scheme()
    order = [list(pipeline.classes_).index(key) for key in scheme.keys]
    proba = proba[:, order]
    best = proba.argmax(axis=1) if len(proba) else np.zeros(0, dtype=int)
    columns = dict(zip(scheme.prob_columns(), proba.T))
    columns["label"] = np.asarray(scheme.keys, dtype=object)[best]
    columns["confidence"] = proba.max(axis=1) if len(proba) else np.zeros(0)
    return pd.DataFrame(columns, index=index)


def feature_names(pipeline: Pipeline) -> np.ndarray:
    """Readable names of the classifier's inputs, in column order ('word: kremlin', 'cue: "said"', 'prev: cue'),
    the article profile last ('article: official_statement')."""
    names = pipeline.named_steps["features"].get_feature_names_out()
    return np.concatenate([names, pipeline.named_steps["classifier"].profile_names()]).astype(object)


def explain(pipeline: Pipeline, frame: pd.DataFrame | pd.Series, top: int = 5) -> list[list[tuple[str, float]]]:
    """Per sentence, up to `top` features that pushed it most toward its predicted label, with their weight
    (coefficient x feature value, largest first, ties in feature order; only positive pushes)."""
    return predict_explain(pipeline, frame, top)[1]


def predict_explain(
    pipeline: Pipeline, frame: pd.DataFrame | pd.Series, top: int = 5
) -> tuple[pd.DataFrame, list[list[tuple[str, float]]]]:
    """`predict` and `explain` of the same rows at the cost of one: the features are computed once for both."""
    frame = _inputs(frame)
    if not len(frame):
        return _predictions(pipeline, np.zeros((0, len(pipeline.classes_))), frame.index), []
    classifier = pipeline.named_steps["classifier"]
    with single_threaded():
        X = classifier.augmented(pipeline[:-1].transform(frame), article_ids(frame))  # features, then the profile
        proba = classifier.second_.predict_proba(X)
    proba = _blended(pipeline, frame, proba)
    return _predictions(pipeline, proba, frame.index), _explanations(pipeline, X, proba.argmax(axis=1), top)


def _explanations(pipeline: Pipeline, X, predicted: np.ndarray, top: int) -> list[list[tuple[str, float]]]:
    classifier = pipeline.named_steps["classifier"]
    coef = classifier.coef_ if classifier.coef_.shape[0] > 1 else np.vstack([-classifier.coef_, classifier.coef_])
    rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
    push = X.data * coef[predicted[rows], X.indices]
    positive = np.flatnonzero(push > 0)
    # A cheap sort first (one float key per entry, which may merge nearly equal pushes of a row): no push smaller
    # than the smallest among a row's first `top` can be in its top, so only the rest is sorted exactly.
    coarse = positive[np.argsort(rows[positive] + 1.0 / (1.0 + push[positive]), kind="stable")]
    leading = coarse[_ranks(rows[coarse], X.shape[0]) < top]
    floor = np.full(X.shape[0], np.inf)
    np.minimum.at(floor, rows[leading], push[leading])
    candidates = positive[push[positive] >= floor[rows[positive]]]
    # rows ascending; within a row the largest push first, equal pushes in feature order (whatever the batch)
    order = candidates[np.lexsort((X.indices[candidates], -push[candidates], rows[candidates]))]
    chosen = order[_ranks(rows[order], X.shape[0]) < top]
    names = _feature_names(pipeline)
    found: list[list[tuple[str, float]]] = [[] for _ in range(X.shape[0])]
    for row, column, weight in zip(rows[chosen].tolist(), X.indices[chosen].tolist(), np.round(push[chosen], 4).tolist()):
        found[row].append((names[column], weight))
    return found


def _ranks(rows: np.ndarray, n_rows: int) -> np.ndarray:
    """Each entry's position within its row, for entries grouped by row (ascending)."""
    return np.arange(len(rows)) - np.searchsorted(rows, np.arange(n_rows))[rows]


def _feature_names(pipeline: Pipeline) -> np.ndarray:
    """`feature_names`, computed once per fitted classifier (scoring explains many batches with one model)."""
    classifier = pipeline.named_steps["classifier"]
    cached = _NAMES.get(classifier)
    if cached is None or cached[0] is not classifier.coef_:
        cached = _NAMES[classifier] = (classifier.coef_, feature_names(pipeline))
    return cached[1]


_NAMES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
