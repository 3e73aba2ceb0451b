"""The README's screenshots of the app (Label, Review and Team pages), taken in Debian's headless Chromium.

Builds a temp store of made-up articles (written here, no corpus text), trains the default model on the shipped
labels, labels a little as two reviewers, starts the app and saves docs/label.png, docs/review.png, docs/team.png.

    .venv/bin/python docs/screenshots.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from annotator import training
from annotator.records import Article
from annotator.scheme import load_scheme
from annotator.serve import free_port, wait_until_up
from annotator.store import Store

DOCS = Path(__file__).resolve().parent
REPO = DOCS.parent
ARTICLES = [
    Article(id="demo1", title="Talks on the grain corridor stall", outlet="Example Daily", text=(
        "Foreign Minister Sergei Lavrov said on Tuesday that the talks would not resume until sanctions were lifted.\n\n"
        "Satellite images reviewed by reporters show that two of the three ports have been idle since March.\n\n"
        "State television claimed that the Kiev regime had mined the harbour, without giving evidence.\n\n"
        "Glory to Ukraine!")),
    Article(id="demo2", title="Evening address", outlet="Example Daily", text=(
        "The president thanked the soldiers at the front.\n\nGlory to Ukraine!")),
]


def main() -> None:
    folder = Path(tempfile.mkdtemp())
    db, model = folder / "annotations.db", folder / "model.skops"
    scheme = load_scheme()
    with Store(db) as store:
        store.add_articles(ARTICLES)
        ids = store.sentences("demo1")["sentence_id"].tolist()
        for sid, first, second in zip(ids, scheme.keys, [scheme.keys[1], scheme.keys[2], scheme.keys[0]]):
            store.annotate(sid, first, "ann")
            store.annotate(sid, second, "bob")
    training.fit(training.training_frame(), model, folds=2)
    port = free_port()
    env = dict(os.environ, ANNOTATOR_DB=str(db), ANNOTATOR_MODEL=str(model))
    server = subprocess.Popen([sys.executable, "-m", "annotator", "app", "--port", str(port), "--db", str(db),
                               "--model", str(model)], cwd=folder, env=env, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, server)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1280, "height": 860})
            for name, path in [("label", "/?reviewer=cy"), ("review", "/review?reviewer=lead"),
                               ("team", "/team?reviewer=lead")]:
                page.goto(url + path)
                page.wait_for_timeout(1500)
                page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(timeout=60000)
                page.wait_for_timeout(2500)  # suggestions and charts drawn
                page.screenshot(path=str(DOCS / f"{name}.png"))
                print(f"wrote {DOCS / f'{name}.png'}")
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
