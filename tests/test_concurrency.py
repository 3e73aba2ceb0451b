"""Several processes labelling one store file at once lose nothing (WAL mode, `BEGIN IMMEDIATE` writes)."""

from __future__ import annotations

import multiprocessing

from annotator.records import Article
from annotator.scheme import load_scheme
from annotator.store import Store

WORKERS = 4
LABELS_EACH = 250


def label_many(path: str, reviewer: str, sentence_ids: list[str]) -> None:
    keys = load_scheme().all_keys
    with Store(path) as store:
        for number in range(LABELS_EACH):
            store.annotate(sentence_ids[number % len(sentence_ids)], keys[number % len(keys)], reviewer)


def test_four_processes_writing_at_once_lose_nothing(tmp_path):
    path = tmp_path / "shared.db"
    text = " ".join(f"Sentence {i} says something new." for i in range(50))
    with Store(path) as store:
        store.add_articles([Article(id="many", text=text)])
        ids = list(store.sentences()["sentence_id"])
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=label_many, args=(str(path), f"r{n}", ids)) for n in range(WORKERS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert [worker.exitcode for worker in workers] == [0] * WORKERS
    with Store(path) as store:
        history = store.history()
        assert len(history) == WORKERS * LABELS_EACH
        assert history.groupby("reviewer").size().tolist() == [LABELS_EACH] * WORKERS
        assert history["seq"].is_unique
        assert len(store.current_labels()) == WORKERS * len(ids)
