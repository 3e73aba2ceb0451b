"""Server time from a label click to the next sentence drawn, in the real app (AppTest) over a 50,000-sentence store.

Builds a temp store of synthetic articles (made-up text, no corpus), trains a small model on the shipped labels,
then clicks through the Label page and prints the median and p95 per click for each queue, plus the one-off costs
(import, first prediction of every sentence). Target: median < 150 ms. Each queue is clicked back to back and
again with a reviewer's reading time before each click (the model's suggestions for the next sentences are
prefetched in the background meanwhile).

    .venv/bin/python bench/app_latency.py [--sentences 50000] [--clicks 120] [--think 1.0] [--engine postgresql]

`--engine postgresql` builds the store in PostgreSQL instead of an SQLite file: a throwaway pgserver, or the empty
database `--pg URL` names (see pgserve.py).

With `--browser N`: also the same in Debian's headless Chromium against a real `annotator app` server, key press to
the next sentence shown, for N reviewers at once and then 1 on "most useful next" (the N switch to it together on a
store nothing has predicted yet, so their sessions fill the cache at the same time), first back to back (the next key
as soon as the page is still), then with `--think` seconds (±50%) to read each sentence; then checks that every key
press stored exactly one label and that every sentence was predicted exactly once. The browsers run on the same
machine as the server, so their own work is in the figures: each Chromium page spends about 80-100 ms of CPU on
Streamlit's redraw per key, and three of them share two cores with the server.
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
from annotator.serve import free_port, wait_until_up
from annotator.store import Store
from pgserve import postgresql

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
    p90, p95 = (ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] for share in (0.90, 0.95))
    return (f"{name:<64} median {statistics.median(ordered):6.1f} ms   p90 {p90:6.1f} ms   p95 {p95:6.1f} ms"
            f"   ({len(ordered)} clicks)")


async def _reviewer(browser, url: str, name: str, hotkeys: list[str], count: int, think: float) -> list[float]:
    """One reviewer in their own browser context: sign in, switch to "most useful next", press `count` keys, each
    `think` seconds (give or take half) after the page is still again, as a reviewer reads."""
    import asyncio

    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(f"{url}/?reviewer={name}")
    await page.locator(".ann-context mark").wait_for(timeout=120_000)
    await page.get_by_text("Most useful next").click()
    await page.locator(".ann-suggestion").wait_for(timeout=600_000)  # the shared prediction fill, then a suggestion
    idle = '[data-testid="stApp"][data-test-script-state="notRunning"]'
    await page.locator(idle).wait_for(timeout=60_000)
    await page.evaluate("document.activeElement.blur()")
    rng, timings = random.Random(name), []
    for _ in range(count):
        await asyncio.sleep(think * rng.uniform(0.5, 1.5))
        before = await page.locator(".ann-context mark").inner_text()
        started = time.perf_counter()
        await page.keyboard.press(rng.choice(hotkeys))
        await page.wait_for_function(
            "before => document.querySelector('.ann-context mark')?.innerText !== before", arg=before, timeout=60_000)
        timings.append((time.perf_counter() - started) * 1000)
        await page.locator(idle).wait_for(timeout=60_000)
    await context.close()
    return timings


def browser_run(db: Path | str, model_path: Path, reviewers: int, count: int, think: float) -> list[str]:
    """Key-to-next-sentence in Chromium for `reviewers` at once, then 1, back to back and with `think` seconds to
    read; checks that every key press stored one label and that every sentence was predicted once."""
    import asyncio
    import subprocess
    import sys

    from playwright.async_api import async_playwright

    from annotator import queue

    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "annotator", "app", "--port", str(port), "--db", str(db),
                               "--model", str(model_path)], stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    hotkeys = [label.hotkey for label in (*load_scheme().labels, load_scheme().skip)]
    lines = []
    try:
        wait_until_up(url, server)

        async def run(names: list[str], pause: float) -> list[list[float]]:
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
                try:
                    return await asyncio.gather(*(_reviewer(browser, url, name, hotkeys, count, pause)
                                                  for name in names))
                finally:
                    await browser.close()

        # The team first, on a store no session has predicted yet: their sessions fill the cache at the same time.
        names = []
        for size, pause in dict.fromkeys(((reviewers, 0.0), (1, 0.0), (reviewers, think), (1, think))):
            group = [f"{'team' if size > 1 else 'solo'}{i}-{'read' if pause else 'fast'}" for i in range(size)]
            names += group
            started = time.perf_counter()
            timings = asyncio.run(run(group, pause))
            label = (f"Chromium, {size} reviewer{'s' if size > 1 else ''} at once, "
                     + (f"{pause:g} s to read" if pause else "back to back"))
            lines.append(describe(label, [t for each in timings for t in each])
                         + f"  [{time.perf_counter() - started:.0f} s in all]")
        with Store(db) as store:
            history = store.history()
            for name in names:
                rows = history[history["reviewer"] == name]
                current = store.current_labels(reviewer=name)
                ok = len(rows) == count == len(current) and rows["sentence_id"].is_unique
                lines.append(f"  {name}: {count} key presses, {len(rows)} label rows, {len(current)} current labels"
                             f" ({'exactly once each' if ok else 'MISMATCH'})")
            predicted = store.predictions(queue.model_id(model_path))
            sentences = store.size()[1]
            lines.append(f"  predictions: {len(predicted)} rows for {sentences} sentences, "
                         f"{predicted['sentence_id'].nunique()} distinct")
    finally:
        server.terminate()
        server.wait(timeout=30)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=50_000)
    parser.add_argument("--clicks", type=int, default=120)
    parser.add_argument("--think", type=float, default=1.0, help="seconds a reviewer reads before each click")
    parser.add_argument("--browser", type=int, default=0, metavar="N",
                        help="also measure in Chromium: 1 reviewer, then N reviewers at once")
    parser.add_argument("--only-browser", action="store_true", help="skip the AppTest rows")
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite", help="the store's engine")
    parser.add_argument("--pg", help="with --engine postgresql: an empty database (default: a throwaway pgserver)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="annotator-bench-"))
    if args.engine == "sqlite":
        run(args, folder, folder / "bench.db")
    else:
        with postgresql(args.pg) as url:
            run(args, folder, url)


def run(args: argparse.Namespace, folder: Path, db: Path | str) -> None:
    from streamlit.testing.v1 import AppTest

    model_path = folder / "model.skops"
    print(f"engine: {args.engine}")
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
    if args.browser:  # first, on a store no session has predicted yet: the sessions share one fill
        results += browser_run(db, model_path, args.browser, args.clicks, args.think)
    for name, model, mode in () if args.only_browser else (("article order, no model", False, None),
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
