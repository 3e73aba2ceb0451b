"""Store speed on real text, on SQLite and on PostgreSQL side by side: importing ~50,000 sentences of press releases,
writing labels (one transaction each, as the app does, and a batch import), the queue's next batch, current and
final labels, and the export.

Run: .venv/bin/python bench/store.py [--sentences 50000] [--pg postgresql://...]   (reads
../shared/corpus/press_releases; without --pg, a throwaway PostgreSQL is started with pgserver: see pgserve.py)
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import pandas as pd

from annotator import formats, queue, segment
from annotator.records import Article, LabelRecord
from annotator.scheme import load_scheme
from annotator.store import Store
from pgserve import postgresql
from timing import best

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "press_releases"
SINGLE = 500  # labels written one transaction each


def press_releases(sentences: int) -> list[Article]:
    """Press releases until they hold `sentences` sentences; the corpus again, under new ids, if it holds fewer."""
    articles, total, rounds = [], 0, 0
    while total < sentences:
        for path in sorted(CORPUS.glob("*.jsonl")):
            with open(path, encoding="utf-8") as lines:
                for line in lines:
                    item = json.loads(line)
                    article = Article(id=item["id"] + (f"-{rounds}" if rounds else ""), text=item["text"],
                                      title=item.get("title", ""), outlet=item.get("outlet", ""),
                                      url=item.get("url", ""), date=item.get("date", ""))
                    articles.append(article)
                    total += len(segment.split_sentences(article.id, article.text))
                    if total >= sentences:
                        return articles
        rounds += 1
    return articles


def measure(db: str | Path, articles: list[Article]) -> dict[str, str]:
    """Every figure for one store (an empty SQLite file or PostgreSQL database), as printed cells."""
    out: dict[str, str] = {}
    keys = load_scheme().all_keys
    rng = random.Random(0)
    with Store(db) as store:
        started = time.perf_counter()
        counts = store.add_articles(articles)
        seconds = time.perf_counter() - started
        out["sentences"] = f"{counts.sentences_new:,}"
        out["import articles (sentences/s)"] = f"{counts.sentences_new / seconds:,.0f}"
        sentences = store.sentences()
        # Two reviewers label the first 25% of the sentences each (a batch import), so queries see a history.
        labelled = sentences.iloc[: len(sentences) // 4]
        records = [
            LabelRecord(text=row.text, label=rng.choice(keys), article_id=row.article_id, sentence_id=row.sentence_id,
                        start=row.start, end=row.end, reviewer=reviewer, time=f"2026-01-01T00:00:{i % 60:02d}Z")
            for reviewer in ("ann", "bob") for i, row in enumerate(labelled.itertuples())
        ]
        started = time.perf_counter()
        store.import_label_records(records)
        out["labels: batch import (labels/s)"] = f"{len(records) / (time.perf_counter() - started):,.0f}"
        ids = sentences["sentence_id"].tolist()
        started = time.perf_counter()
        for sid in ids[-SINGLE:]:
            store.annotate(sid, rng.choice(keys), "ann", suggestion=keys[0], suggestion_confidence=0.5)
        seconds = time.perf_counter() - started
        out["labels: one at a time, as the app (labels/s)"] = f"{SINGLE / seconds:,.0f}"
        out["  one label (ms)"] = f"{seconds / SINGLE * 1000:.2f}"
        predictions = pd.DataFrame({"sentence_id": ids})
        for i, column in enumerate(store.scheme.prob_columns()):
            predictions[column] = [(0.3 + 0.4 * ((n * 7919 + i) % 97) / 97) for n in range(len(ids))]
        store.save_predictions(predictions, "bench")
        order = queue.QueueSettings(size=50)
        useful = replace(order, mode=queue.USEFUL, model_id="bench")
        ranked = store.predicted_ids("bench")
        out["  labels of reviewer ann"] = f"{store.progress('ann')[0]:,}"
        for name, reviewer, settings in (("ann, all articles", "ann", order),
                                         ("a new reviewer, all articles", "carol", order),
                                         ("ann, most useful next", "ann", useful)):
            seconds = best(lambda: queue.next_batch(store, reviewer, settings, ranked=ranked))
            out[f"next batch of 50: {name} (ms)"] = f"{seconds * 1000:.1f}"
        last = sentences["article_id"].iloc[-1]
        out["current_labels, one article (ms)"] = f"{best(lambda: store.current_labels('ann', article_id=last)) * 1000:.1f}"
        out["current_labels, all (ms)"] = f"{best(store.current_labels, 3) * 1000:.0f}"
        out["final_labels (ms)"] = f"{best(store.final_labels, 3) * 1000:.0f}"
        out["progress(reviewer) (ms)"] = f"{best(lambda: store.progress('ann')) * 1000:.2f}"
        out["sentence with context (ms)"] = f"{best(lambda: store.sentence(ids[len(ids) // 2])) * 1000:.2f}"
        exported = Path(tempfile.mkdtemp()) / "labels.jsonl"
        started = time.perf_counter()
        written = formats.write_labels(store.label_records(), exported)
        out["export JSONL (labels/s)"] = f"{written / (time.perf_counter() - started):,.0f}"
        out["  labels exported"] = f"{written:,}"
        shutil.rmtree(exported.parent, ignore_errors=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=50_000)
    parser.add_argument("--pg", help="an empty PostgreSQL database (default: a throwaway pgserver)")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        raise SystemExit(f"{CORPUS} is not there: this bench reads the real press releases")
    articles = press_releases(args.sentences)
    folder = Path(tempfile.mkdtemp(prefix="annotator-bench-"))
    columns = {"SQLite": measure(folder / "bench.db", articles)}
    with postgresql(args.pg) as url:
        columns["PostgreSQL"] = measure(url, articles)
    shutil.rmtree(folder, ignore_errors=True)
    rows = list(columns["SQLite"])
    print(f"\n| measure | {' | '.join(columns)} |\n|---|{'---|' * len(columns)}")
    for row in rows:
        print(f"| {row} | {' | '.join(column[row] for column in columns.values())} |")


if __name__ == "__main__":
    main()
