"""What a reviewer labels next: article order, or the sentences the model is least sure of mixed with a random share.

A queue is drawn in batches (a list of sentence ids) so that a label click costs one insert and one read, not a
ranking of every sentence. A share of each batch can go to sentences another reviewer labelled and this one has
not, so that agreement can be measured. The model's predictions are cached in the store per model id.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from annotator.store import Store

ORDER = "order"
USEFUL = "useful"
MODES = (ORDER, USEFUL)
SCORE_ARTICLES = 64  # articles predicted per call when filling the prediction cache

# The store's `latest` table holds each reviewer's current (not undone) label or skip per sentence: the store's one
# rule for "labelled". Live labels of all reviewers, and the same for reviewer `?` on sentence `s`.
_LIVE_LABELS = "SELECT n.sentence_id, n.reviewer FROM latest n WHERE n.action = 'label'"
_LABELLED_BY = "SELECT 1 FROM latest n WHERE n.reviewer = ? AND n.action = 'label' AND n.sentence_id = s.id"


@dataclass(frozen=True)
class QueueSettings:
    """How to draw a batch: `mode` is ORDER (one article, or all, in order) or USEFUL (least sure first, all articles).

    `random_share` applies to USEFUL, `overlap_share` to both; `size` is the batch length.
    """

    mode: str = ORDER
    article_id: str | None = None
    model_id: str | None = None
    size: int = 50
    random_share: float = 0.15
    overlap_share: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"unknown queue mode {self.mode!r}; use one of {', '.join(MODES)}")
        if self.mode == USEFUL and not self.model_id:
            raise ValueError("the 'most useful next' queue needs a model")
        if self.mode == USEFUL and self.article_id:
            raise ValueError("the 'most useful next' queue ranks every article; pick an article in article order")
        for name in ("random_share", "overlap_share"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {getattr(self, name)}")


def _column(store: Store, sql: str, params: list) -> list[str]:
    """The first column of a read-only query on the store's connection (queries the Store has no method for)."""
    frame = store._frame(sql, params)
    return frame.iloc[:, 0].tolist() if len(frame) else []


def _article_filter(article_id: str | None) -> tuple[str, list]:
    return ("AND s.article_id = ?", [article_id]) if article_id else ("", [])


def labelled_ids(store: Store, reviewer: str) -> set[str]:
    """The sentences the reviewer has a live label (or skip) on."""
    return set(_column(store, _LIVE_LABELS + " AND n.reviewer = ?", [reviewer]))


def ranking(store: Store, model_id: str) -> list[str]:
    """Every sentence the model has a cached prediction for, smallest margin (least sure) first."""
    return _column(store, "SELECT sentence_id FROM predictions WHERE model_id = ? ORDER BY margin, sentence_id", [model_id])


def overlap_ids(store: Store, reviewer: str, article_id: str | None = None) -> list[str]:
    """Sentences another reviewer has a live label on and this reviewer has none: the pool for overlap."""
    where, params = _article_filter(article_id)
    return _column(
        store,
        f"""SELECT DISTINCT s.id FROM ({_LIVE_LABELS} AND n.reviewer != ?) o JOIN sentences s ON s.id = o.sentence_id
            WHERE NOT EXISTS ({_LABELLED_BY}) {where} ORDER BY s.id""",
        [reviewer, reviewer, *params],
    )


def random_unlabelled(store: Store, reviewer: str, count: int, rng: random.Random, exclude: set[str]) -> list[str]:
    """Up to `count` unlabelled sentences drawn uniformly by rowid (cheap on a big store; seeded by `rng`)."""
    top = int(_column(store, "SELECT coalesce(max(rowid), 0) FROM sentences", [])[0])
    if not top or count <= 0:
        return []
    labelled = labelled_ids(store, reviewer) | exclude
    chosen: list[str] = []
    for _ in range(8):  # a few rounds of candidates, in case most are labelled already
        candidates = [rng.randint(1, top) for _ in range(4 * count)]
        marks = ",".join("?" * len(candidates))
        found = dict(store._frame(f"SELECT rowid, id FROM sentences WHERE rowid IN ({marks})", candidates).values)
        for rowid in candidates:
            sid = found.get(rowid)
            if sid is not None and sid not in labelled and sid not in chosen:
                chosen.append(sid)
                if len(chosen) == count:
                    return chosen
    return chosen


def is_labelled(store: Store, reviewer: str, sentence_id: str) -> bool:
    """Whether the reviewer has a live label (or skip) on the sentence."""
    sql = f"SELECT 1 FROM sentences s WHERE s.id = ? AND EXISTS ({_LABELLED_BY})"
    return bool(_column(store, sql, [sentence_id, reviewer]))


def next_batch(store: Store, reviewer: str, settings: QueueSettings, *, ranked: list[str] | None = None) -> list[str]:
    """The next `settings.size` sentence ids for the reviewer (fewer when fewer are left).

    ORDER: the unlabelled sentences in article order. USEFUL: the least sure predicted sentences (from `ranked`,
    the model's `ranking`, which callers may cache) plus a random share of all unlabelled ones. In both, an
    `overlap_share` of the batch comes from sentences another reviewer labelled. Random picks are seeded by the
    settings, the reviewer and how much is done, so a run is repeatable.
    """
    size = settings.size
    done = store.progress(reviewer)[0]
    rng = random.Random(f"{settings.seed}:{reviewer}:{settings.mode}:{settings.article_id}:{done}")
    chosen: list[str] = []
    if settings.overlap_share:
        pool = overlap_ids(store, reviewer, settings.article_id)
        chosen += rng.sample(pool, min(len(pool), round(size * settings.overlap_share)))
    if settings.mode == ORDER:
        main = store.unlabelled(reviewer, article_id=settings.article_id, limit=size + len(chosen))["sentence_id"].tolist()
    else:
        labelled = labelled_ids(store, reviewer)
        wanted = round(size * settings.random_share)
        target = max(size - len(chosen) - wanted, 0)
        main = []
        for sid in ranking(store, settings.model_id) if ranked is None else ranked:
            if len(main) >= target:
                break
            if sid not in labelled and sid not in chosen:
                main.append(sid)
        chosen += random_unlabelled(store, reviewer, wanted, rng, set(chosen) | set(main))
        if len(main) + len(chosen) < size:  # sentences without a cached prediction yet still get their turn
            more = store.unlabelled(reviewer, limit=2 * size)["sentence_id"].tolist()
            main += [sid for sid in more if sid not in set(main) | set(chosen)]
    seen = set(chosen)
    rest = [sid for sid in main if sid not in seen][: max(size - len(chosen), 0)]
    return _interleave(rest, chosen, rng)


def _interleave(main: list[str], extra: list[str], rng: random.Random) -> list[str]:
    """`main` in its order with `extra` scattered through it at random positions."""
    out = list(main)
    for sid in extra:
        out.insert(rng.randint(0, len(out)), sid)
    return out


def model_id(path: str | Path) -> str:
    """The id under which a model's predictions are cached: the start of its file's sha256 (from its card)."""
    from annotator import model  # scikit-learn loads only when a model is used, so the app starts fast

    return str(model.read_card(path)["model_sha256"])[:16]


def article_count(store: Store) -> int:
    """How many articles the store holds (cheap: a cache key for article lists)."""
    return int(_column(store, "SELECT count(*) FROM articles", [])[0])


def predicted_count(store: Store, model_id: str) -> int:
    """How many sentences have a cached prediction from this model."""
    return int(_column(store, "SELECT count(*) FROM predictions WHERE model_id = ?", [model_id])[0])


def unpredicted_count(store: Store, model_id: str) -> int:
    """How many sentences have no cached prediction from this model (a cheap check before `fill_predictions`)."""
    return int(_column(store, "SELECT count(*) FROM sentences", [])[0]) - predicted_count(store, model_id)


def unpredicted_article_ids(store: Store, model_id: str) -> list[str]:
    """Articles with at least one sentence that has no cached prediction from this model."""
    return _column(
        store,
        """SELECT DISTINCT s.article_id FROM sentences s
           WHERE NOT EXISTS (SELECT 1 FROM predictions p WHERE p.sentence_id = s.id AND p.model_id = ?)""",
        [model_id],
    )


def fill_predictions(
    store: Store, model_path: str | Path, *, on_progress: Callable[[float, str], None] | None = None
) -> int:
    """Predict every sentence the model has not scored yet and cache the results in the store; return how many."""
    from annotator import model, score

    ident = model_id(model_path)
    todo = unpredicted_article_ids(store, ident)
    if not todo:
        return 0
    digest = str(model.read_card(model_path)["model_sha256"])
    frames = [store.predictions(ident)]
    for first in range(0, len(todo), SCORE_ARTICLES):
        articles = [store.article(aid) for aid in todo[first : first + SCORE_ARTICLES]]
        scored, _ = score.score_chunk(model_path=str(model_path), digest=digest, cues=False, items=articles)
        frames.append(scored)
        if on_progress:
            done = first + len(articles)
            on_progress(done / len(todo), f"predicted the sentences of {done} of {len(todo)} articles")
    new = sum(len(frame) for frame in frames[1:])
    columns = ["sentence_id", *store.scheme.prob_columns()]
    store.save_predictions(pd.concat([frame[columns] for frame in frames if len(frame)], ignore_index=True), ident)
    return new
