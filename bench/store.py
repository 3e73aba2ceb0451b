"""Store speed on real text: importing the press releases, then the app's queries over ~50,000+ sentences.

Run: .venv/bin/python bench/store.py [--db /tmp/bench.db]   (reads ../shared/corpus/press_releases)
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

from annotator.records import Article, LabelRecord
from annotator.scheme import load_scheme
from annotator.store import Store

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "press_releases"


def press_releases() -> list[Article]:
    articles = []
    for path in sorted(CORPUS.glob("*.jsonl")):
        with open(path, encoding="utf-8") as lines:
            for line in lines:
                item = json.loads(line)
                articles.append(
                    Article(id=item["id"], text=item["text"], title=item.get("title", ""),
                            outlet=item.get("outlet", ""), url=item.get("url", ""), date=item.get("date", ""))
                )
    return articles


def timed(label: str, call, repeat: int = 5):
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        result = call()
        best = min(best, time.perf_counter() - started)
    print(f"{label:<48} {best * 1000:9.1f} ms (best of {repeat})")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, default=Path(tempfile.mkdtemp()) / "bench.db")
    args = parser.parse_args()
    articles = press_releases()
    started = time.perf_counter()
    with Store(args.db) as store:
        counts = store.add_articles(articles)
        seconds = time.perf_counter() - started
        print(f"import: {counts.articles_new} articles, {counts.sentences_new} sentences in {seconds:.1f} s "
              f"({counts.sentences_new / seconds:,.0f} sentences/s)")
        started = time.perf_counter()
        again = store.add_articles(articles)
        print(f"re-import (all known): {again.articles_known} articles in {time.perf_counter() - started:.1f} s")

        sentences = store.sentences()
        keys = load_scheme().all_keys
        rng = random.Random(0)
        # Two reviewers label the first 40% of the sentences (batched import), so queries see a realistic history.
        labelled = sentences.iloc[: len(sentences) * 2 // 5]
        records = [
            LabelRecord(text=row.text, label=rng.choice(keys), article_id=row.article_id, sentence_id=row.sentence_id,
                        start=row.start, end=row.end, reviewer=reviewer, time=f"2026-01-01T00:00:{i % 60:02d}Z")
            for reviewer in ("ann", "bob") for i, row in enumerate(labelled.itertuples())
        ]
        started = time.perf_counter()
        store.import_label_records(records)
        print(f"import-labels: {len(records)} records in {time.perf_counter() - started:.1f} s")
        ids = list(sentences["sentence_id"])
        started = time.perf_counter()
        for sid in ids[-200:]:
            store.annotate(sid, rng.choice(keys), "ann")
        print(f"annotate (one transaction each): {(time.perf_counter() - started) / 200 * 1000:.2f} ms per label")
        for _ in range(10):
            store.undo("ann")
        print(f"store: {len(sentences):,} sentences, {store.counts()['annotations']:,} annotation rows")
        timed("unlabelled('ann', limit=50)", lambda: store.unlabelled("ann", limit=50))
        timed("unlabelled('carol', limit=50) (fresh reviewer)", lambda: store.unlabelled("carol", limit=50))
        last_article = sentences["article_id"].iloc[-1]
        timed("unlabelled('ann', article_id=...)", lambda: store.unlabelled("ann", article_id=last_article))
        timed("current_labels('ann', article_id=...)", lambda: store.current_labels("ann", article_id=last_article))
        timed("current_labels('ann')", lambda: store.current_labels("ann"), repeat=3)
        timed("current_labels() (all reviewers)", lambda: store.current_labels(), repeat=3)
        timed("final_labels()", store.final_labels, repeat=3)
        timed("progress('ann')", lambda: store.progress("ann"))
        timed("sentence(id) with context", lambda: store.sentence(ids[len(ids) // 2]))
        timed("stats()", store.stats, repeat=3)


if __name__ == "__main__":
    main()
