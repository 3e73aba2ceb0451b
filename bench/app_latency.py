"""Server time from a label click to the next sentence drawn, in the real app (AppTest) over a 50,000-sentence store.

Builds a temp store of synthetic articles (made-up text, no corpus), trains a small model on the shipped labels,
then clicks through the Label page and prints the median and p95 per click for each queue, plus the one-off costs
(import, first prediction of every sentence). Target: median < 150 ms. Each queue is clicked back to back and
again with a reviewer's reading time before each click (the model's suggestions for the next sentences are
prefetched in the background meanwhile).

    .venv/bin/python bench/app_latency.py [--sentences 50000] [--clicks 120] [--think 1.0]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

from annotator import training
from annotator.records import Article
from annotator.scheme import load_scheme
from annotator.store import Store

REPO = Path(__file__).resolve().parents[1]
SUBJECTS = ["The minister", "A spokesperson", "The agency", "Local residents", "The army", "Analysts", "The mayor",
            "State television", "The ministry", "Witnesses", "The governor", "Officials", "The committee"]
VERBS = ["said", "reported", "announced", "claimed", "noted", "denied", "confirmed", "stated", "insisted"]
OBJECTS = ["the bridge reopened", "prices rose again", "the talks will continue", "the shelling stopped",
           "new aid arrived", "the border stayed closed", "the vote was fair", "losses were heavy",
           "the port resumed work", "the plan failed", "schools reopened", "the harvest grew"]
OUTLETS = ["TASS", "RIA Novosti", "Example Daily", "Kyiv Independent", "Reuters", "kremlin.ru", "City Herald"]


def synthetic_articles(sentences: int, per_article: int = 20, seed: int = 0) -> list[Article]:
    rng = random.Random(seed)
    articles = []
    for number in range(sentences // per_article):
        lines = [
            f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} that {rng.choice(OBJECTS)} in district {rng.randint(1, 999)}"
            f" on day {number % 28 + 1}."
            for _ in range(per_article)
        ]
        paragraphs = "\n\n".join(" ".join(lines[i : i + 4]) for i in range(0, per_article, 4))
        articles.append(Article(id=f"bench{number:06d}", text=paragraphs, title=f"Synthetic story {number}",
                                outlet=rng.choice(OUTLETS)))
    return articles


def clicks(at, label_keys: list[str], count: int, think: float = 0.0) -> list[float]:
    """Milliseconds per click: the label is stored and the next sentence drawn (one script run).

    `think` seconds pass before each click, as a reviewer reads; background prefetching uses them."""
    timings = []
    rng = random.Random(1)
    for _ in range(count):
        time.sleep(think)
        button = at.button(key=f"label-{rng.choice(label_keys)}")
        started = time.perf_counter()
        button.click().run()
        timings.append((time.perf_counter() - started) * 1000)
        if at.exception:
            raise RuntimeError(at.exception[0].message)
    return timings


def describe(name: str, timings: list[float]) -> str:
    ordered = sorted(timings)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"{name:<52} median {statistics.median(ordered):7.1f} ms   p95 {p95:7.1f} ms   ({len(ordered)} clicks)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=50_000)
    parser.add_argument("--clicks", type=int, default=120)
    parser.add_argument("--think", type=float, default=1.0, help="seconds a reviewer reads before each click")
    args = parser.parse_args()
    from streamlit.testing.v1 import AppTest

    folder = Path(tempfile.mkdtemp(prefix="annotator-bench-"))
    db, model_path = folder / "bench.db", folder / "model.skops"
    started = time.perf_counter()
    with Store(db) as store:
        counts = store.add_articles(synthetic_articles(args.sentences))
    print(f"store: {counts} in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    training.fit(training.training_frame(label_files=training.shipped_label_files()), model_path, folds=2)
    print(f"model trained on the shipped labels in {time.perf_counter() - started:.1f} s")
    os.environ["ANNOTATOR_DB"] = str(db)
    keys = [label.key for label in (*load_scheme().labels, load_scheme().skip)]
    results = []
    for name, model, mode in (("article order, no model", False, None),
                              ("article order, model suggestions", True, None),
                              ("most useful next, model", True, "useful")):
        os.environ["ANNOTATOR_MODEL"] = str(model_path if model else folder / "none.skops")
        at = AppTest.from_file(str(REPO / "app.py"), default_timeout=600).run()
        at.sidebar.text_input(key="reviewer_field").input(f"bench-{len(results)}").run()
        if mode:
            started = time.perf_counter()
            at.radio(key="queue_mode").set_value(mode).run()
            print(f"first switch to '{name}' (predicts all {args.sentences} sentences once): "
                  f"{time.perf_counter() - started:.1f} s")
        clicks(at, keys, 5)  # warm the caches
        results.append(describe(f"{name}, back to back", clicks(at, keys, args.clicks)))
        if args.think:
            results.append(describe(f"{name}, {args.think:g} s to read", clicks(at, keys, args.clicks, args.think)))
    print("\n".join(results))


if __name__ == "__main__":
    main()
