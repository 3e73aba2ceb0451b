"""The app in a real headless Chromium: hotkeys, a button, undo, and escaped article text that runs nothing."""

from __future__ import annotations

import pytest

from browsing import CHROMIUM, changed, marked, serving, settle, sign_in
from annotator.records import Article
from annotator.scheme import load_scheme
from annotator.store import Store

HOSTILE = "Look: <script>alert(1)</script> and <img src=x onerror=alert(1)> are only text here."
TEXT = (
    f"{HOSTILE} The mayor said the bridge will reopen in May.\n\n"
    "Repairs cost two million euros. Traders welcomed the news. The river is calm today."
)

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]
if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The app over a temp store with a hostile article, two repeats and one dispute; yields (url, db)."""
    db = tmp_path_factory.mktemp("browser") / "annotations.db"
    with Store(db) as store:
        store.add_articles([Article(id="hostile", text=TEXT, title="<img src=x onerror=alert(2)> Bridge",
                                    outlet="<b>Example</b> Daily")])
        store.add_articles([Article(id=f"speech{i}", text="Glory to Ukraine!\n\nThe mayor spoke.", title=f"Speech {i}",
                                    outlet="Example Daily") for i in range(2)])
        disputed = store.sentences("speech1")["sentence_id"].iloc[1]  # two reviewers disagree on it
        store.annotate(disputed, load_scheme().keys[0], "x")
        store.annotate(disputed, load_scheme().keys[1], "y")
    with serving(db, db.parent / "no-model.skops") as url:
        yield url, db


@pytest.fixture
def page(browser):
    """A fresh page that fails the test if anything opens a dialog (an alert from injected script)."""
    context = browser.new_context()
    opened = context.new_page()
    dialogs: list[str] = []
    opened.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    yield opened
    context.close()
    assert not dialogs, f"article text ran script: {dialogs}"


def test_label_by_hotkey_and_button_then_undo(server, page) -> None:
    url, db = server
    scheme = load_scheme()
    sign_in(page, url, "ann")
    shown = [marked(page)]
    for label in scheme.labels[:2]:
        page.keyboard.press(label.hotkey)
        shown.append(changed(page, shown[-1]))
    page.get_by_role("button", name=scheme.labels[2].name).click()
    changed(page, shown[-1])
    page.keyboard.press("u")
    page.wait_for_function("expected => document.querySelector('.ann-context mark')?.innerText === expected",
                           arg=shown[2])
    with Store(db) as store:
        stored = store.current_labels(reviewer="ann")
    assert stored[["text", "label", "reviewer"]].values.tolist() == [
        [shown[0], scheme.labels[0].key, "ann"],
        [shown[1], scheme.labels[1].key, "ann"],
    ]


def test_hostile_article_text_shows_as_text_and_runs_nothing(server, page) -> None:
    url, _ = server
    sign_in(page, url, "eve")
    context = page.locator(".ann-context")
    assert "<script>alert(1)</script>" in context.inner_text()
    assert "<img src=x onerror=alert(1)>" in context.inner_text()
    assert page.locator(".ann-context img, .ann-context script").count() == 0
    assert page.locator("img[src=x]").count() == 0
    page.wait_for_timeout(300)  # give an injected handler the time to fire


def test_hotkeys_work_after_any_control_was_used(server, page) -> None:
    url, db = server
    scheme = load_scheme()
    sign_in(page, url, "kim")
    shown = [marked(page)]
    page.get_by_text("Article order").click()  # the queue radio keeps the focus
    assert page.evaluate("document.activeElement.type") == "radio"
    page.keyboard.press(scheme.labels[0].hotkey)
    shown.append(changed(page, shown[-1]))

    page.get_by_role("combobox").first.click()  # the article picker
    page.get_by_role("option").nth(1).click()
    page.get_by_text("kim, this article:").wait_for(timeout=15000)  # drawn by the run the choice started
    settle(page)
    assert page.evaluate("document.activeElement.tagName") == "INPUT"
    page.keyboard.press(scheme.labels[1].hotkey)
    shown.append(changed(page, shown[-1]))

    page.get_by_text("Guidelines (codebook)").click()  # an expander
    page.keyboard.press(scheme.labels[0].hotkey)
    shown.append(changed(page, shown[-1]))

    # The filter's search field: there keys type, and Escape leaves it for the hotkeys.
    page.get_by_text("Filter the queue").click()
    typed = page.get_by_role("textbox", name="Text contains")
    typed.click()
    page.keyboard.press(scheme.labels[2].hotkey)
    page.wait_for_timeout(300)
    assert marked(page) == shown[-1] and typed.input_value() == scheme.labels[2].hotkey
    page.keyboard.press("Backspace")
    page.keyboard.press("Escape")
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") != "Text contains"
    page.keyboard.press(scheme.labels[2].hotkey)
    changed(page, shown[-1])
    with Store(db) as store:
        stored = store.current_labels(reviewer="kim")
    assert stored["label"].tolist() == [label.key for label in (scheme.labels[0], scheme.labels[1], scheme.labels[0],
                                                               scheme.labels[2])]


def test_shift_and_a_label_key_labels_a_group_of_repeats(server, page) -> None:
    url, db = server
    scheme = load_scheme()
    sign_in(page, url, "lee")
    page.get_by_role("combobox").first.click()
    page.get_by_role("option", name="Speech 0").click()
    page.wait_for_function("() => document.querySelector('.ann-context mark')?.innerText === 'Glory to Ukraine!'")
    settle(page)
    page.keyboard.press(f"Shift+{scheme.labels[0].hotkey}")
    changed(page, "Glory to Ukraine!")
    with Store(db) as store:
        stored = store.current_labels(reviewer="lee")
        history = store.history()
    assert stored["text"].tolist() == ["Glory to Ukraine!"] * 2 and set(stored["label"]) == {scheme.labels[0].key}
    assert set(history[history["reviewer"] == "lee"]["origin"]) == {"bulk"}


def test_an_adjudicator_settles_a_dispute_on_the_review_page_by_key(server, page) -> None:
    url, db = server
    scheme = load_scheme()
    sign_in(page, url, "lead")
    page.goto(f"{url}/review?reviewer=lead")
    page.locator(".ann-votes").wait_for(timeout=15000)
    settle(page)
    assert marked(page) == "The mayor spoke."
    page.keyboard.press(scheme.labels[2].hotkey)
    page.get_by_text("No open disputes").wait_for(timeout=15000)
    with Store(db) as store:
        final = store.final_labels()
    settled = final[final["decided_by"] == "adjudication"]
    assert settled[["text", "label", "reviewer"]].values.tolist() == [["The mayor spoke.", scheme.labels[2].key, "lead"]]


def test_enter_after_a_mouse_click_is_not_a_second_click(server, page) -> None:
    url, db = server
    scheme = load_scheme()
    sign_in(page, url, "mo")
    first = marked(page)
    page.get_by_role("button", name=scheme.labels[1].name).click()
    second = changed(page, first)
    page.keyboard.press("Enter")  # no model, so no suggestion to accept: Enter does nothing
    page.wait_for_timeout(500)
    settle(page)
    assert marked(page) == second
    with Store(db) as store:
        assert store.current_labels(reviewer="mo")["label"].tolist() == [scheme.labels[1].key]


def test_tab_starts_at_the_labelling_buttons_and_two_tabs_never_relabel(server, browser) -> None:
    url, db = server
    scheme = load_scheme()
    context = browser.new_context()
    first, second = context.new_page(), context.new_page()  # two tabs, one reviewer
    try:
        for tab in (first, second):
            sign_in(tab, url, "tt")
        first.goto(f"{url}/?reviewer=tt")  # a fresh load: the first Tab reaches the first label button
        first.locator(".ann-context mark").wait_for(timeout=15000)
        settle(first)
        first.wait_for_function(  # the page's own script has put the label buttons first in the tab order
            "() => document.querySelector(\"[class*='st-key-label-'] button\")?.tabIndex === 1", timeout=15000)
        first.keyboard.press("Tab")
        assert first.evaluate("document.activeElement.innerText").startswith(scheme.labels[0].name)
        first.evaluate("document.activeElement.blur()")
        shown = marked(first)
        assert marked(second) == shown
        first.keyboard.press(scheme.labels[0].hotkey)
        changed(first, shown)
        second.keyboard.press(scheme.labels[1].hotkey)  # the same sentence, already labelled in the first tab
        second.get_by_text("You had already labelled that sentence").wait_for(timeout=15000)
        with Store(db) as store:
            assert store.current_labels(reviewer="tt")["label"].tolist() == [scheme.labels[0].key]
        second.get_by_role("button", name=f"Change it to {scheme.labels[1].name}").click()
        second.wait_for_function("() => !document.body.innerText.includes('You had already labelled')")
        with Store(db) as store:
            assert store.current_labels(reviewer="tt")["label"].tolist() == [scheme.labels[1].key]
            assert store.history()["origin"].tolist()[-1] == "change"
    finally:
        context.close()


def test_in_team_mode_reviewers_sign_in_and_label_under_their_name(tmp_path, page) -> None:
    from annotator import accounts

    scheme = load_scheme()
    db = tmp_path / "team.db"
    with Store(db) as store:
        store.add_articles([Article(id="t1", text="The mayor said the bridge will reopen. Traders welcomed it.")])
        password = accounts.add(store, "maria", "annotator")
    with serving(db, tmp_path / "no-model.skops") as url:
        page.goto(url)
        page.get_by_role("textbox", name="Reviewer").fill("maria")
        page.get_by_role("textbox", name="Password").fill("not the password")
        page.get_by_role("button", name="Sign in").click()
        page.get_by_text("Unknown name or wrong password.").wait_for(timeout=15000)
        assert page.locator(".ann-context").count() == 0  # nothing to label before signing in
        page.get_by_role("textbox", name="Reviewer").fill("maria")
        page.get_by_role("textbox", name="Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.locator(".ann-context mark").wait_for(timeout=15000)
        settle(page)
        page.evaluate("document.activeElement.blur()")
        page.keyboard.press(scheme.labels[2].hotkey)
        changed(page, "The mayor said the bridge will reopen.")
    with Store(db) as store:
        assert store.current_labels()[["reviewer", "label"]].values.tolist() == [["maria", scheme.labels[2].key]]
