"""Helpers for the tests that drive the app in a real headless Chromium (test_browser*.py): a real `annotator app`
server over a store, and the Label page's moves (sign in, press a key, wait for the next sentence)."""

from __future__ import annotations

import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

from annotator.serve import free_port, wait_until_up
from conftest import REPO_DIR

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


@contextmanager
def serving(db: Path | str, model: Path):
    """`annotator app` over the store `db` (a file or a postgresql:// URL) and the model file `model` (missing:
    no model) on a free local port; yields its URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "annotator", "app", "--db", str(db), "--model", str(model), "--port", str(port)],
        cwd=REPO_DIR, env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_until_up(url, process)
        except RuntimeError as error:
            raise RuntimeError(f"{error}: {process.stderr.read().decode()[-2000:]}") from None
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def marked(page) -> str:
    """The sentence to label, as shown."""
    return page.locator(".ann-context mark").inner_text()


def settle(page) -> None:
    """Wait until the app's script run is over, so a key press reaches a page that is drawn and listening."""
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(timeout=15000)


def loaded(page) -> None:
    """Wait until a page just opened is drawn and has stayed idle for a second: a key pressed within about a second
    of the first run's end was at times lost (about one run of the two-server test in five; see the closing notes)."""
    page.locator(".ann-context mark").wait_for(timeout=15000)
    settle(page)
    page.wait_for_timeout(1000)
    settle(page)


def sign_in(page, url: str, name: str) -> None:
    page.goto(url)
    reviewer = page.get_by_role("textbox", name="Reviewer")
    reviewer.fill(name)
    reviewer.press("Enter")
    page.locator(".ann-context mark").wait_for(timeout=15000)
    page.get_by_role("heading", name="Label").click()  # move focus out of the text field
    settle(page)


def changed(page, previous: str) -> str:
    """Wait until another sentence is marked; return it. When none comes, fail with what the page shows instead
    (an error, a notice, the script still running), so that a failure seen once says why."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(
            "previous => document.querySelector('.ann-context mark')?.innerText !== previous", arg=previous
        )
    except PlaywrightTimeout:
        state = page.evaluate("document.querySelector('[data-testid=stApp]')?.dataset.testScriptState")
        shown = page.evaluate("document.body.innerText")[:1500]
        raise AssertionError(f"still {previous!r} after 30 s; script {state}; the page shows:\n{shown}") from None
    settle(page)
    return marked(page)


def label_by_key(page, key: str, times: int) -> list[str]:
    """Press a label's hotkey `times` times on the Label page, each after the next sentence is shown; the sentences
    labelled, as shown."""
    shown = [marked(page)]
    for _ in range(times):
        page.keyboard.press(key)
        shown.append(changed(page, shown[-1]))
    return shown[:-1]
