"""What a reviewer labels next: article order, or the sentences the model is least sure of mixed with a random share.

A queue is drawn in batches (a list of sentence ids) so that a label click costs one insert and one read, not a
ranking of every sentence. A share of each batch can go to sentences another reviewer labelled and this one has
not, so that agreement can be measured. The model's predictions are cached in the store per model id.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path


from annotator import boilerplate
from annotator.store import Filters, Store

ORDER = "order"
USEFUL = "useful"
MODES = (ORDER, USEFUL)
SCORE_ARTICLES = 64  # articles predicted per call when filling the prediction cache
HOLD = timedelta(minutes=20)  # how long a batch's sentences are held for its reviewer (see `next_batch`)

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
    filters: Filters = Filters()  # when set, the queue draws only from the sentences they let through
    divide: bool = True  # share the work: see `next_batch`

    @property
    def divides(self) -> bool:
        """Whether this queue shares the work between reviewers: all articles, no filters (an article or a filter
        picked by hand is labelled whole, as a second pass over it would be)."""
        return self.divide and self.article_id is None and not self.filters

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


def random_unlabelled(store: Store, reviewer: str, count: int, rng: random.Random, exclude: set[str],
                      labelled: set[str] | None = None) -> list[str]:
    """Up to `count` sentences the reviewer has not labelled (nor in `labelled`, if given), drawn uniformly (cheap on
    a big store; seeded by `rng`).

    Boilerplate (datelines, "Advertisement") is never drawn: a random pick may come first in the batch, and
    boilerplate comes last (its cached prediction is skip, ranked after every claim).
    """
    if count <= 0:
        return []
    labelled = (store.labelled_ids(reviewer) if labelled is None else labelled) | exclude
    chosen: list[str] = []
    for _ in range(8):  # a few rounds of candidates, in case most are labelled already
        for sid, text in store.random_sentences(4 * count, rng).items():
            if sid not in labelled and sid not in chosen and not boilerplate.reason(text):
                chosen.append(sid)
                if len(chosen) == count:
                    return chosen
    return chosen


def next_batch(store: Store, reviewer: str, settings: QueueSettings, *, ranked: list[str] | None = None) -> list[str]:
    """The next `settings.size` sentence ids for the reviewer (fewer when fewer are left).

    ORDER: the unlabelled sentences in article order. USEFUL: the least sure predicted sentences (from `ranked`,
    the store's `predicted_ids` for the model, which callers may cache) plus a random share of all unlabelled ones. In both, an
    `overlap_share` of the batch comes from sentences another reviewer labelled. Random picks are seeded by the
    settings, the reviewer and how much is done, so a run is repeatable. With `filters`, only the sentences they let
    through, in article order or least sure first, with no random or overlap share.

    A queue that divides the work (`settings.divides`) draws the rest of the batch from sentences no reviewer has
    labelled and no other reviewer's queue holds, and holds them for this reviewer (`HOLD`, in the store), so
    reviewers on one store, on any server, are handed disjoint sentences; only the overlap share meets another's.
    When no free sentence is left, it goes on with the ones others hold or labelled, as a queue that does not divide.
    """
    if settings.divides:
        batch = _batch(store, reviewer, settings, ranked, free=True)
        if batch:
            return batch
    return _batch(store, reviewer, settings, ranked, free=False)


def _batch(store: Store, reviewer: str, settings: QueueSettings, ranked: list[str] | None, *, free: bool) -> list[str]:
    size = settings.size
    done = store.progress(reviewer)[0]
    rng = random.Random(f"{settings.seed}:{reviewer}:{settings.mode}:{settings.article_id}:{done}")
    chosen: list[str] = []
    if settings.overlap_share and not settings.filters:
        pool = store.overlap_ids(reviewer, settings.article_id)
        chosen += rng.sample(pool, min(len(pool), round(size * settings.overlap_share)))
    overlap = list(chosen)
    if settings.filters:
        model = settings.model_id if settings.mode == USEFUL else None
        main = store.unlabelled(reviewer, article_id=settings.article_id, limit=size, model_id=model,
                                filters=settings.filters)["sentence_id"].tolist()
    elif settings.mode == ORDER:
        main = store.unlabelled(reviewer, article_id=settings.article_id, limit=size + len(chosen),
                                free=free)["sentence_id"].tolist()
    else:
        taken = store.taken_ids(reviewer) if free else store.labelled_ids(reviewer)
        wanted = round(size * settings.random_share)
        target = max(size - len(chosen) - wanted, 0)
        main = []
        for sid in store.predicted_ids(settings.model_id) if ranked is None else ranked:
            if len(main) >= target:
                break
            if sid not in taken and sid not in chosen:
                main.append(sid)
        chosen += random_unlabelled(store, reviewer, wanted, rng, set(chosen) | set(main), taken)
        if len(main) + len(chosen) < size:  # sentences without a cached prediction yet still get their turn
            more = store.unlabelled(reviewer, limit=2 * size, free=free)["sentence_id"].tolist()
            main += [sid for sid in more if sid not in set(main) | set(chosen)]
    seen = set(chosen)
    rest = [sid for sid in main if sid not in seen][: max(size - len(chosen), 0)]
    if free:
        own = [sid for sid in (*rest, *chosen) if sid not in overlap]
        if not own:
            return []
        held = set(store.claim(reviewer, own, HOLD))
        rest, chosen = [sid for sid in rest if sid in held], [sid for sid in chosen if sid in held or sid in overlap]
    return one_per_repeat_group(store, _interleave(rest, chosen, rng))


def one_per_repeat_group(store: Store, batch: list[str]) -> list[str]:
    """The batch with only the first sentence of each group of repeats ("Glory to Ukraine!" from 32 articles): the
    reviewer sees it once, with the group's size, and can label the whole group with one key."""
    if len(batch) < 2:
        return batch
    groups = store.repeat_keys(batch)
    firsts: dict[tuple[str, str], str] = {}
    return [sid for sid in batch if firsts.setdefault(groups.get(sid, ("", sid)), sid) == sid]


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


def fill_predictions(
    store: Store, model_path: str | Path, *, on_progress: Callable[[float, str], None] | None = None
) -> int:
    """Predict every sentence the model has not scored yet and add the results to the store's cache, a chunk of
    articles at a time (so a stopped or concurrent fill keeps what was done); return how many were predicted."""
    from annotator import model, score

    ident = model_id(model_path)
    todo = store.unpredicted_article_ids(ident)
    digest = str(model.read_card(model_path)["model_sha256"]) if todo else ""
    columns = ["sentence_id", "label", *store.scheme.prob_columns()]  # label: boilerplate comes as skip
    new = 0
    for first in range(0, len(todo), SCORE_ARTICLES):
        articles = [store.article(aid) for aid in todo[first : first + SCORE_ARTICLES]]
        scored, _ = score.score_chunk(model_path=str(model_path), digest=digest, cues=False, items=articles)
        if len(scored):
            new += store.save_predictions(scored[columns], ident)
        if on_progress:
            done = first + len(articles)
            on_progress(done / len(todo), f"predicted the sentences of {done} of {len(todo)} articles")
    return new
