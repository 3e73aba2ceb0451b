"""Several processes labelling one store at once lose nothing, on both engines: SQLite (WAL mode, `BEGIN IMMEDIATE`
writes) and PostgreSQL (BEGIN plus one advisory lock per write); and a writer killed mid-burst (kill -9) loses none of
the labels it was told were written."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time

from annotator.records import Article
from annotator.scheme import load_scheme
from annotator.store import Store

WORKERS = 8
LABELS_EACH = 500


def label_many(db: str, reviewer: str, sentence_ids: list[str], count: int, acks: str | None = None) -> None:
    """Label `count` times; with `acks`, write each label's seq to that file once `annotate` has returned."""
    keys = load_scheme().all_keys
    with Store(db) as store, open(acks or os.devnull, "w") as out:
        for number in range(count):
            seq = store.annotate(sentence_ids[number % len(sentence_ids)], keys[number % len(keys)], reviewer)
            out.write(f"{seq}\n")
            out.flush()


def filled_store(db) -> list[str]:
    text = " ".join(f"Sentence {i} says something new." for i in range(50))
    with Store(db) as store:
        store.add_articles([Article(id="many", text=text)])
        return list(store.sentences()["sentence_id"])


def test_eight_processes_writing_at_once_lose_nothing(new_db):
    db = str(new_db("shared.db"))
    ids = filled_store(db)
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=label_many, args=(db, f"r{n}", ids, LABELS_EACH)) for n in range(WORKERS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=240)
    assert [worker.exitcode for worker in workers] == [0] * WORKERS
    with Store(db) as store:
        history = store.history()
        assert len(history) == WORKERS * LABELS_EACH
        assert history.groupby("reviewer").size().tolist() == [LABELS_EACH] * WORKERS
        assert history["seq"].is_unique
        assert len(store.current_labels()) == WORKERS * len(ids)


def test_writers_killed_mid_burst_lose_no_acknowledged_label(new_db, tmp_path):
    db = str(new_db("shared.db"))
    ids = filled_store(db)
    context = multiprocessing.get_context("spawn")
    acks = [tmp_path / f"acks-{n}.txt" for n in range(WORKERS)]
    workers = [context.Process(target=label_many, args=(db, f"r{n}", ids, 100_000, str(acks[n])))
               for n in range(WORKERS)]
    for worker in workers:
        worker.start()
    deadline = time.monotonic() + 120
    # Mid-burst: every writer has had some labels acknowledged, and all are still writing.
    while not all(path.exists() and path.read_text().count("\n") >= 20 for path in acks):
        assert time.monotonic() < deadline and all(worker.is_alive() for worker in workers)
        time.sleep(0.05)
    for worker in workers:
        os.kill(worker.pid, signal.SIGKILL)
    for worker in workers:
        worker.join(timeout=30)
    assert [worker.exitcode for worker in workers] == [-signal.SIGKILL] * WORKERS
    with Store(db) as store:
        history = store.history()
        for n, path in enumerate(acks):
            acknowledged = {int(line) for line in path.read_text().split("\n")[:-1]}  # the last may be cut short
            mine = set(history.loc[history["reviewer"] == f"r{n}", "seq"])
            assert acknowledged and acknowledged <= mine
        assert history["seq"].is_unique
        # The store goes on working: the killed writers left no lock or transaction behind.
        store.annotate(ids[0], store.scheme.keys[0], "after")
        assert store.label_of("after", ids[0]) == store.scheme.keys[0]
