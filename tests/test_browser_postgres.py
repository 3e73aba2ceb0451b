"""Two app servers on one PostgreSQL store, a reviewer on each in a real headless Chromium: each server sees the
other's labels at once (progress, team figures, agreement, the queue), the overlap share meets the other server's
labels, and reviewers labelling at once on the two servers are handed disjoint sentences."""

from __future__ import annotations

from contextlib import ExitStack

import pytest

from annotator import queue
from annotator.records import Article
from annotator.scheme import load_scheme
from annotator.store import Store
from browsing import CHROMIUM, changed, label_by_key, loaded, marked, serving, settle, sign_in
from conftest import pg_database

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]
if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)

SCHEME = load_scheme()
ARTICLES, SENTENCES = 80, 5  # 400 sentences: more than the five reviewers' queues hold (a batch of 50 each)


@pytest.fixture(scope="module")
def servers(pg_server, tmp_path_factory):
    """One PostgreSQL store of 200 sentences and two `annotator app` servers on it; yields (url A, url B, db)."""
    db = pg_database(pg_server)
    with Store(db) as store:
        store.add_articles([
            Article(id=f"art{a:02d}", title=f"Story {a}", outlet="Example Daily",
                    text=" ".join(f"Item {a} number {i} happened in town {a * 7 + i}." for i in range(SENTENCES)))
            for a in range(ARTICLES)])
    model = tmp_path_factory.mktemp("no-model") / "none.skops"
    with ExitStack() as stack:
        first, second = (stack.enter_context(serving(db, model)) for _ in range(2))
        yield first, second, db


@pytest.fixture
def context(browser):
    opened = browser.new_context()
    yield opened
    opened.close()


def free_ids(db: str) -> list[str]:
    """The sentences no reviewer has labelled and no queue holds, in article order."""
    with Store(db) as store:
        return store.unlabelled("", limit=None, free=True)["sentence_id"].tolist()


def unlabelled_by_anyone(db: str) -> int:
    with Store(db) as store:
        counts = store.counts()
    return counts["sentences"] - counts["labelled_sentences"]


def labelled(db: str, reviewer: str) -> list[str]:
    """The sentences the reviewer labelled, in the order labelled."""
    with Store(db) as store:
        return store.current_labels(reviewer).sort_values("seq")["sentence_id"].tolist()


def texts(db: str, ids: list[str]) -> list[str]:
    with Store(db) as store:
        return [store.sentence(sid)["text"] for sid in ids]


def metric(page, name: str) -> str:
    """The value of the metric called `name` on the page."""
    box = page.get_by_test_id("stMetric").filter(has_text=name)
    box.wait_for(timeout=15000)
    return box.get_by_test_id("stMetricValue").inner_text()


def test_each_server_sees_the_others_labels_at_once(servers, context) -> None:
    a, b, db = servers
    free, nobodys = free_ids(db), unlabelled_by_anyone(db)
    ann, bob = context.new_page(), context.new_page()
    sign_in(ann, a, "ann")
    assert label_by_key(ann, SCHEME.labels[0].hotkey, 3) == texts(db, free[:3])
    sign_in(bob, b, "bob")  # server B's queue skips every sentence ann's queue on server A holds (its batch of 50)
    assert label_by_key(bob, SCHEME.labels[1].hotkey, 3) == texts(db, free[50:53])
    assert labelled(db, "ann") == free[:3] and labelled(db, "bob") == free[50:53]

    # ann on server B: her progress counts her labels from server A, and her queue goes on where she was
    ann.goto(f"{b}/?reviewer=ann")
    ann.locator(".ann-context mark").wait_for(timeout=15000)
    settle(ann)
    ann.get_by_text(f"ann, all articles: 3 of {ARTICLES * SENTENCES} sentences labelled").wait_for(timeout=15000)
    assert marked(ann) == texts(db, free[3:4])[0]
    # The team's figures on server A count bob's labels from server B
    bob.goto(f"{a}/team?reviewer=bob")
    assert metric(bob, "Sentences no one has labelled") == f"{nobodys - 6:,}"


def test_the_overlap_share_meets_the_other_servers_labels(servers, context) -> None:
    a, b, db = servers
    with Store(db) as store:  # labels from the other server (or a third one), in case this test runs alone
        for sid in free_ids(db)[:2]:
            store.annotate(sid, SCHEME.labels[2].key, "fay")
        theirs = set(store.current_labels()["sentence_id"])
    cy = context.new_page()
    cy.goto(f"{a}/agreement?reviewer=cy")
    cy.get_by_role("button", name="Change reviewer").wait_for(timeout=15000)  # the name taken from the URL
    settle(cy)
    cy.get_by_role("slider").focus()
    cy.keyboard.press("End")  # the slider's top: half of each batch from sentences others labelled
    cy.wait_for_function("() => document.querySelector('input[type=range]')?.value === '0.5'")
    settle(cy)
    with Store(db) as store:  # the batch the Label page will draw: the queue is seeded, so it is the same
        batch = queue.next_batch(store, "cy", queue.QueueSettings(overlap_share=0.5))
    met = [i for i, sid in enumerate(batch) if sid in theirs]
    assert len(met) == len(theirs) and len(batch) == 50  # every sentence labelled so far (fewer than 25)
    cy.get_by_role("link", name="Label").click()  # within the session: the setting stays
    cy.locator(".ann-context mark").wait_for(timeout=15000)
    settle(cy)
    cy.evaluate("document.activeElement.blur()")
    assert label_by_key(cy, SCHEME.labels[2].hotkey, met[0] + 1) == texts(db, batch[: met[0] + 1])
    assert labelled(db, "cy") == batch[: met[0] + 1]
    # Server B's agreement page counts the sentence labelled on server A by cy and elsewhere by another
    other = context.new_page()
    other.goto(f"{b}/agreement?reviewer=dan")
    assert metric(other, "Sentences with ≥2 reviewers") == "1"


def test_reviewers_labelling_at_once_on_two_servers_get_disjoint_sentences(servers, context, browser) -> None:
    a, b, db = servers
    other = browser.new_context()  # two reviewers, two browsers: each page is the one in front in its own
    pages = {"dee": context.new_page(), "eli": other.new_page()}
    for (name, page), url in zip(pages.items(), (a, b)):
        page.goto(f"{url}/?reviewer={name}")  # both sessions draw their first batch at about the same time
    for page in pages.values():
        loaded(page)
        page.evaluate("document.activeElement.blur()")
    shown = {name: [marked(page)] for name, page in pages.items()}
    for _ in range(5):
        for page in pages.values():
            page.keyboard.press(SCHEME.skip.hotkey)
        for name, page in pages.items():
            shown[name].append(changed(page, shown[name][-1]))
    dee, eli = labelled(db, "dee"), labelled(db, "eli")
    assert len(dee) == len(eli) == 5 and not set(dee) & set(eli)
    assert texts(db, dee) == shown["dee"][:5] and texts(db, eli) == shown["eli"][:5]
    with Store(db) as store:
        current = store.current_labels()
    per_sentence = current.groupby("sentence_id")["reviewer"].nunique()
    assert not set(per_sentence[per_sentence > 1].index) & (set(dee) | set(eli))  # no one else labelled theirs
    other.close()
