"""The Streamlit app through AppTest: every page, with a real SQLite store (ANNOTATOR_DB) and a real model."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from annotator import queue, score, training
from annotator.ui import common
from apptest import APP, start
from conftest import REPO_DIR
from annotator.records import Article
from annotator.scheme import load_scheme
from annotator.store import Store

SCHEME = load_scheme()
FIRST, SECOND, THIRD = SCHEME.keys[:3]
TEXT = (
    "The ministry said on Monday that the bridge will reopen.\n\n"
    "Officials added that repairs cost two million. Local traders welcomed the news. "
    "A <script>alert(1)</script> tag & <img src=x onerror=alert(1)> stay text."
)


@pytest.fixture
def model_path(trained_model) -> Path:
    """The session's real model (trained on the shipped labels, with cross-validated metrics on its card)."""
    return trained_model


@pytest.fixture
def db(tmp_path, monkeypatch) -> Path:
    """A store holding one article, named by ANNOTATOR_DB; no model unless a test sets ANNOTATOR_MODEL."""
    path = tmp_path / "annotations.db"
    with Store(path) as store:
        store.add_articles([Article(id="art1", text=TEXT, title="Bridge <b>news</b>", outlet="Example Daily")])
    monkeypatch.setenv("ANNOTATOR_DB", str(path))
    monkeypatch.setenv("ANNOTATOR_MODEL", str(tmp_path / "no-model.skops"))
    return path


def shown(at: AppTest) -> str:
    """The HTML of the sentence in context on the Label page."""
    return at.get("html")[0].proto.body


def labels(path: Path):
    with Store(path) as store:
        return store.current_labels()


def test_the_reviewer_is_asked_before_labelling(db) -> None:
    at = start(reviewer=None)
    assert "Reviewer" in at.info[0].value
    assert not at.button


def test_the_name_field_gives_way_to_the_name_so_hotkeys_never_type_into_it(db) -> None:
    at = start("ann")
    assert not at.sidebar.text_input and "ann" in at.sidebar.markdown[0].value
    at.sidebar.button(key="reviewer_change").click().run()
    at.sidebar.text_input(key="reviewer_field").input("bob").run()
    at.button(key=f"label-{FIRST}").click().run()
    assert labels(db)["reviewer"].tolist() == ["bob"]


def test_a_click_stores_the_label_then_shows_the_next_sentence(db) -> None:
    at = start()
    ids = Store(db).sentences()["sentence_id"].tolist()
    assert "<mark" in shown(at) and "The ministry said" in shown(at)
    assert [b.label for b in at.button][:4] == [label.name for label in (*SCHEME.labels, SCHEME.skip)]
    at.button(key=f"label-{SECOND}").click().run()
    stored = labels(db)
    assert stored[["sentence_id", "label", "reviewer"]].values.tolist() == [[ids[0], SECOND, "ann"]]
    assert "<mark" in shown(at) and "Officials added" in shown(at).split("<mark")[1]
    assert "1 of 4" in at.get("progress")[0].proto.text


def test_article_text_is_escaped(db) -> None:
    at = start()
    for key in (FIRST, FIRST, SECOND):
        at.button(key=f"label-{key}").click().run()
    body = shown(at)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body and "<script" not in body
    assert "&lt;img src=x onerror=alert(1)&gt;" in body and "<img" not in body
    assert "Bridge &lt;b&gt;news&lt;/b&gt;" in body and "<b>news" not in body


def test_undo_takes_back_the_last_label_and_shows_it_again(db) -> None:
    at = start()
    ids = Store(db).sentences()["sentence_id"].tolist()
    at.button(key=f"label-{FIRST}").click().run()
    at.button(key=f"label-{SCHEME.skip.key}").click().run()
    assert at.button(key="undo").label == "Undo (2)"
    at.button(key="undo").click().run()
    stored = labels(db)
    assert stored["sentence_id"].tolist() == [ids[0]]
    assert "Officials added" in shown(at).split("<mark")[1]
    at.button(key=f"label-{THIRD}").click().run()
    assert dict(zip(labels(db)["sentence_id"], labels(db)["label"])) == {ids[0]: FIRST, ids[1]: THIRD}


def test_the_end_of_the_queue_is_said_and_undo_still_works(db) -> None:
    at = start()
    for _ in range(4):
        at.button(key=f"label-{SCHEME.skip.key}").click().run()
    assert "Nothing left" in at.success[0].value
    assert "4 of 4" in at.get("progress")[0].proto.text
    at.button(key="undo").click().run()
    assert "<mark" in shown(at) and len(labels(db)) == 3


def test_the_model_suggestion_is_preselected_and_recorded(db, model_path, monkeypatch) -> None:
    monkeypatch.setenv("ANNOTATOR_MODEL", str(model_path))
    at = start()
    page = shown(at)
    suggestion = page.split('class="ann-suggestion"')[1]
    key = next(label.key for label in SCHEME.labels if f">{label.name}</b>" in suggestion)
    label = SCHEME.get(key)
    assert f"border:2px solid {label.colour}" in suggestion  # in the scheme's colour
    assert f".st-key-label-{key} button {{background: {label.colour}33" in page  # so is its button, not red
    assert all(b.proto.type != "primary" for b in at.button if b.key.startswith("label-"))
    # why, in words quoting the sentence, and the same words marked inside it
    assert "attributed to an official: ministry … said" in suggestion
    assert '<b class="ann-why ann-why-speaker" title="official">ministry</b>' in page.split("<mark")[1]
    at.button(key="accept").click().run()
    stored = labels(db).iloc[0]
    assert stored["label"] == stored["suggestion"] == key
    assert 0 < stored["suggestion_confidence"] <= 1


def test_most_useful_next_caches_predictions_and_draws_from_them(db, model_path, monkeypatch) -> None:
    monkeypatch.setenv("ANNOTATOR_MODEL", str(model_path))
    at = start()
    at.radio(key="queue_mode").set_value(queue.USEFUL).run()
    assert not at.exception, at.exception
    with Store(db) as store:
        cached = store.predictions(queue.model_id(model_path))
        assert len(cached) == 4
        least_sure = cached.sort_values(["margin", "sentence_id"])["sentence_id"].iloc[0]
        text = store.sentence(least_sure)["text"]
    # the fill scored with the model the pages use, not a second copy of it in memory
    assert list(score._MODELS.values()) == [common.current_model().pipeline]
    assert "<mark" in shown(at)
    at.button(key=f"label-{FIRST}").click().run()
    assert len(labels(db)) == 1 and text  # labelled one of the queue's sentences


def test_import_page_adds_a_pasted_article_at_once(db) -> None:
    at = start()
    at.switch_page("annotator/ui/import_page.py").run()
    at.text_input(key="import_title").input("Second story")
    at.text_input(key="import_outlet").input("TASS")
    at.text_area(key="import_text").input("Moscow said the talks went well. The talks ended at noon.")
    at.button(key="import_pasted").click().run()
    assert not at.exception, at.exception
    assert "2 new" in at.success[0].value
    with Store(db) as store:
        articles = store.articles().set_index("title")
        assert articles.loc["Second story", "sentences"] == 2
        assert articles.loc["Second story", "outlet_kind"] == "state_media"


def test_import_page_reads_uploaded_files_and_reports_problems(db) -> None:
    at = start()
    at.switch_page("annotator/ui/import_page.py").run()
    lines = [
        json.dumps({"text": "Officials met on Tuesday. The meeting ended early.", "title": "One", "outlet": "TASS"}),
        "{not json",
        json.dumps({"text": "Rain fell all day.", "title": "Two"}),
    ]
    at.file_uploader[0].set_value([
        ("batch.jsonl", "\n".join(lines).encode(), "application/json"),
        ("note.txt", b"A short note. It has two sentences.", "text/plain"),
    ])
    at.button(key="import_files").click().run()
    assert not at.exception, at.exception
    assert "Articles: 3 new" in at.success[0].value and "sentences: 5 new" in at.success[0].value
    assert len(at.warning) == 1 and "batch.jsonl:2" in at.warning[0].value
    with Store(db) as store:
        assert set(store.articles()["title"]) >= {"One", "Two"}


def test_highlight_page_tints_sentences_and_stores_a_correction(db, model_path, monkeypatch) -> None:
    monkeypatch.setenv("ANNOTATOR_MODEL", str(model_path))
    at = start()
    at.switch_page("annotator/ui/highlight_page.py").run()
    at.text_area[0].input("The minister said the port is open. Ships arrived at dawn. A <script>alert(1)</script> stays.")
    at.button[0].click().run()
    body = at.get("html")[0].proto.body
    corrections = at.button_group
    assert body.count('class="ann-s"') == len(corrections) == 3 and "ann-legend" in body
    assert "&lt;script&gt;" in body and "<script>" not in body
    corrections[2].set_value(THIRD).run()
    assert not at.exception, at.exception
    stored = labels(db)
    assert stored[["label", "reviewer", "origin"]].values.tolist() == [[THIRD, "ann", "highlight"]]
    assert stored["text"].iloc[0].startswith("A <script>")


def test_model_page_shows_counts_metrics_and_card(db, model_path, monkeypatch) -> None:
    monkeypatch.setenv("ANNOTATOR_MODEL", str(model_path))
    with Store(db) as store:
        first = store.sentences()["sentence_id"].iloc[0]
        store.annotate(first, FIRST, "ann")
        store.annotate(first, SECOND, "bob")
    at = start()
    at.switch_page("annotator/ui/model_page.py").run()
    assert not at.exception, at.exception
    assert len(at.get("vega_lite_chart")) >= 3  # per class, per reviewer, confusion matrix
    names = [m.label for m in at.metric]
    assert "macro-F1" in names and "accuracy" in names
    assert at.json[0].value  # the card
    assert any(button.label == "Train now" for button in at.button)


def test_model_page_without_a_model_offers_training(db) -> None:
    at = start()
    at.switch_page("annotator/ui/model_page.py").run()
    assert not at.exception, at.exception
    assert "Train now" in at.info[0].value


def test_agreement_page_measures_and_lists_the_disputes_by_name(db) -> None:
    with Store(db) as store:
        ids = store.sentences()["sentence_id"].tolist()
        for sid, a, b in zip(ids, [FIRST, SECOND, THIRD, FIRST], [FIRST, SECOND, FIRST, SCHEME.skip.key]):
            store.annotate(sid, a, "ann")
            store.annotate(sid, b, "bob")
    at = start("judge")
    at.switch_page("annotator/ui/agreement_page.py").run()
    assert not at.exception, at.exception
    assert at.metric[1].value == "4"
    assert float(at.metric[0].value) < 1
    assert len(at.dataframe) == 3  # kappa per pair, per label, disagreements
    disputes = at.dataframe[2].value
    assert disputes["sentence_id"].tolist() == ids[2:]
    assert disputes["votes"].iloc[0] == f"ann: {SCHEME.get(THIRD).name}, bob: {SCHEME.get(FIRST).name}"
    assert "Settle the 2 open disputes" in at.get("page_link")[0].proto.label  # one by one, on the Review page


def test_overlap_share_setting_reaches_the_label_queue(db) -> None:
    at = start()
    at.switch_page("annotator/ui/agreement_page.py").run()
    at.slider(key="overlap_slider").set_value(0.5).run()
    at.switch_page("annotator/ui/label_page.py").run()
    assert not at.exception, at.exception
    assert at.session_state["queue_key"][1].overlap_share == 0.5
    at.switch_page("annotator/ui/agreement_page.py").run()
    assert at.slider(key="overlap_slider").value == 0.5  # kept while on other pages


@pytest.mark.slow
def test_train_now_trains_in_the_background_and_shows_the_new_metrics(db, tmp_path, monkeypatch) -> None:
    from annotator import formats
    from annotator.ui import common

    labels = tmp_path / "labels"
    labels.mkdir()
    for name in ("scheme.toml", "sources.csv"):
        shutil.copy(REPO_DIR / "labels" / name, labels / name)
    records = [record for path in training.shipped_label_files() for record in formats.read_labels(path)]
    rng = random.Random(0)
    small = [r for key in SCHEME.keys for r in rng.sample([r for r in records if r.label == key], 12)]
    formats.write_labels(small, labels / training.SHIPPED_LABEL_FILES[0])
    monkeypatch.setenv("ANNOTATOR_LABELS", str(labels))
    out = tmp_path / "trained" / "model.skops"
    monkeypatch.setenv("ANNOTATOR_MODEL", str(out))
    at = start()
    at.switch_page("annotator/ui/model_page.py").run()
    next(button for button in at.button if button.label == "Train now").click().run()
    job = common.training_job(str(db), str(out))
    job.thread.join(timeout=60)
    assert job.error is None and out.exists()
    at.run()
    assert not at.exception, at.exception
    assert "New model trained" in at.success[0].value
    assert {"macro-F1", "accuracy"} <= {metric.label for metric in at.metric}


def test_names_and_file_names_are_shown_as_text_not_markdown(db) -> None:
    payload = "![x](http://example.invalid/track.png)<img src=x>"
    at = start(payload)
    shown_name = at.sidebar.markdown[0].value
    assert "](" not in shown_name and "<img" not in shown_name and "\\!\\[x\\]" in shown_name
    at.switch_page("annotator/ui/import_page.py").run()
    at.file_uploader[0].set_value([(f"{payload}.csv", b"title,body\nA,B\n", "text/csv")])
    at.button(key="import_files").click().run()
    assert not at.exception, at.exception
    warning = at.warning[0].value
    assert "](" not in warning and "<img" not in warning


def test_the_packaged_entry_that_annotator_app_runs_serves_the_same_pages(db) -> None:
    from annotator import config

    at = AppTest.from_file(str(config.APP_PATH), default_timeout=30).run()
    assert not at.exception, at.exception
    at.sidebar.text_input(key="reviewer_field").input("ann").run()
    assert "ministry" in shown(at)  # the Label page, with the store's article
    at.switch_page("import_page.py").run()
    assert not at.exception and at.file_uploader


def test_boilerplate_is_pre_marked_as_skip_without_a_model(tmp_path, monkeypatch) -> None:
    path = tmp_path / "b.db"
    with Store(path) as store:
        store.add_articles([Article(id="b1", text="Advertisement\n\nThe mayor said the bridge will reopen.",
                                    title="Bridge", outlet="Example Daily")])
    monkeypatch.setenv("ANNOTATOR_DB", str(path))
    monkeypatch.setenv("ANNOTATOR_MODEL", str(tmp_path / "no-model.skops"))
    at = start()
    suggestion = shown(at).split('class="ann-suggestion"')[1]
    assert "Boilerplate (advert), not a claim: pre-marked" in suggestion and SCHEME.skip.name in suggestion
    at.button(key="accept").click().run()
    assert labels(path)["label"].tolist() == [SCHEME.skip.key]
    assert 'class="ann-suggestion"' not in shown(at)  # the claim after it has no suggestion without a model


def test_repeats_are_shown_once_and_labelled_as_a_group_undone_together(tmp_path, monkeypatch) -> None:
    path = tmp_path / "r.db"
    with Store(path) as store:
        store.add_articles([Article(id=f"r{i}", text=f"Glory to Ukraine!\n\nThe mayor of town {i} spoke today.",
                                    title=f"Speech {i}", outlet="Example Daily") for i in range(3)])
    monkeypatch.setenv("ANNOTATOR_DB", str(path))
    monkeypatch.setenv("ANNOTATOR_MODEL", str(tmp_path / "no-model.skops"))
    at = start()
    assert "Glory to Ukraine!" in shown(at).split("<mark")[1]
    assert any("2 more" in md.value for md in at.markdown)
    at.button(key=f"group-{FIRST}").click().run()
    stored = labels(path)
    assert len(stored) == 3 and set(stored["label"]) == {FIRST} and set(stored["text"]) == {"Glory to Ukraine!"}
    with Store(path) as store:
        assert set(store.history()["origin"]) == {"bulk"}
    for _ in range(3):  # the queue goes on with the other sentences, never the labelled repeats
        assert "Glory" not in shown(at).split("<mark")[1]
        at.button(key=f"label-{SECOND}").click().run()
    at.button(key="undo").click().run()  # the last single label
    at.button(key="undo").click().run()
    at.button(key="undo").click().run()
    at.button(key="undo").click().run()  # the group, in one step
    assert len(labels(path)) == 0 and "Glory to Ukraine!" in shown(at).split("<mark")[1]


def test_a_reload_keeps_the_name_in_the_url_and_the_undo_history(db) -> None:
    at = start("ann")
    assert at.query_params["reviewer"] == "ann"
    at.button(key=f"label-{FIRST}").click().run()
    at.button(key=f"label-{SECOND}").click().run()
    reloaded = AppTest.from_file(APP, default_timeout=30)  # a new session on the same URL
    reloaded.query_params["reviewer"] = "ann"
    reloaded.run()
    assert not reloaded.exception and "ann" in reloaded.sidebar.markdown[0].value
    assert reloaded.button(key="undo").label == "Undo (2)"
    reloaded.button(key="undo").click().run()
    assert labels(db)["label"].tolist() == [FIRST]


def test_a_sentence_labelled_in_another_tab_is_not_relabelled_by_a_key_press(db) -> None:
    first, second = start("ann"), start("ann")  # two tabs, one name, both showing the first sentence
    first.button(key=f"label-{FIRST}").click().run()
    second.button(key=f"label-{SECOND}").click().run()
    assert labels(db)["label"].tolist() == [FIRST]
    assert "already labelled that sentence as" in second.warning[0].value
    second.button(key="change_label").click().run()  # the change, when meant, is explicit and recorded as such
    assert labels(db)["label"].tolist() == [SECOND]
    with Store(db) as store:
        assert store.history()["origin"].tolist()[-1] == "change"


def test_team_mode_signs_reviewers_in_and_only_adjudicators_settle_disputes(db) -> None:
    from annotator import accounts

    with Store(db) as store:
        passwords = {name: accounts.add(store, name, role) for name, role in
                     [("ann", "annotator"), ("bob", "annotator"), ("lead", "adjudicator")]}
        sid = store.sentences()["sentence_id"].iloc[0]
        store.annotate(sid, FIRST, "ann")
        store.annotate(sid, SECOND, "bob")
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert "Sign in" in at.info[0].value and not [b for b in at.button if (b.key or "").startswith("label-")]
    assert not at.sidebar.text_input(key="sign_in_name").value  # no name field that takes any name
    at.sidebar.text_input(key="sign_in_name").input("ann")
    at.sidebar.text_input(key="sign_in_password").input("wrong").run()
    at.sidebar.button[0].click().run()
    assert "wrong password" in at.sidebar.error[0].value and "reviewer" not in at.session_state
    at.sidebar.text_input(key="sign_in_name").input("ann")
    at.sidebar.text_input(key="sign_in_password").input(passwords["ann"])
    at.sidebar.button[0].click().run()
    assert "ann" in at.sidebar.markdown[0].value and "(annotator)" in at.sidebar.markdown[0].value
    at.switch_page("annotator/ui/review_page.py").run()
    assert any("Only adjudicators" in info.value for info in at.info) and not at.main.button
    lead = AppTest.from_file(APP, default_timeout=30).run()
    lead.sidebar.text_input(key="sign_in_name").input("lead")
    lead.sidebar.text_input(key="sign_in_password").input(passwords["lead"])
    lead.sidebar.button[0].click().run()
    lead.switch_page("annotator/ui/review_page.py").run()
    assert not lead.exception and lead.button(key=f"review-{FIRST}")
    reloaded = AppTest.from_file(APP, default_timeout=30)  # a reload: the URL's session token signs her in again
    reloaded.query_params["session"] = lead.query_params["session"]
    reloaded.run()
    assert "lead" in reloaded.sidebar.markdown[0].value and "(adjudicator)" in reloaded.sidebar.markdown[0].value
    reloaded.sidebar.button(key="reviewer_change").click().run()  # signing out drops the token from the URL
    assert "session" not in reloaded.query_params and "reviewer" not in reloaded.session_state
    forged = AppTest.from_file(APP, default_timeout=30)
    _, expires, signature = lead.query_params["session"].split(".")
    forged.query_params["session"] = f"YW5u.{expires}.{signature}"  # "ann" with the lead's signature
    forged.run()
    assert "reviewer" not in forged.session_state and "Sign in" in forged.info[0].value


def test_the_model_page_offers_the_current_labels_as_the_export_file(db, tmp_path) -> None:
    from typer.testing import CliRunner

    from annotator.cli import app
    from annotator.ui import model_page

    with Store(db) as store:
        for sid, key in zip(store.sentences()["sentence_id"], (FIRST, SECOND)):
            store.annotate(sid, key, "ann")
    at = start()
    at.switch_page("annotator/ui/model_page.py").run()
    assert not at.exception and at.get("download_button")
    for fmt in ("jsonl", "csv"):
        out = tmp_path / f"cli.{fmt}"
        CliRunner().invoke(app, ["export", "--out", str(out), "--db", str(db)])
        assert model_page.export_text(fmt, None) == out.read_text(encoding="utf-8")
    assert model_page.export_text("jsonl", "nobody") == ""


def test_the_queue_can_be_filtered_by_outlet_and_text(db) -> None:
    with Store(db) as store:
        store.add_articles([Article(id="rt1", text="The Kiev regime fell. Grain prices rose.", title="Grain",
                                    outlet="RT")])
    at = start()
    assert "The ministry said" in shown(at)
    at.multiselect(key="filter_outlets").select("RT").run()
    assert "The Kiev regime fell." in shown(at).split("<mark")[1] and "Filter the queue (on)" in at.expander[0].label
    at.text_input(key="filter_text").input("grain").run()
    assert "Grain prices rose." in shown(at).split("<mark")[1]
    at.button(key=f"label-{FIRST}").click().run()
    assert "Nothing left" in at.success[0].value  # the filter's only sentence is done
    at.multiselect(key="filter_outlets").unselect("RT")
    at.text_input(key="filter_text").input("").run()
    assert "The ministry said" in shown(at)


def test_the_review_page_steps_through_disputes_and_settles_them_by_key(db) -> None:
    with Store(db) as store:
        ids = store.sentences()["sentence_id"].tolist()
        for sid, (ann, bob) in zip(ids, [(FIRST, SECOND), (FIRST, FIRST), (FIRST, THIRD), (SECOND, THIRD)]):
            store.annotate(sid, ann, "ann")
            store.annotate(sid, bob, "bob")
    at = start("lead")
    at.switch_page("annotator/ui/review_page.py").run()
    assert not at.exception, at.exception
    page = at.get("html")[0].proto.body
    assert "The ministry said" in page.split("<mark")[1]  # the first dispute, in its context
    assert "<b>ann</b>: <span" in page and SCHEME.get(SECOND).name in page.split('class="ann-votes"')[1]
    assert "3 open disputes here, 3 in all" in at.get("progress")[0].proto.text
    figures = at.dataframe[0].value.set_index("reviewer")
    assert figures.loc["ann", "disputes"] == 3 and figures.loc["ann", "shared"] == 4
    at.button(key=f"review-{FIRST}").click().run()  # settled with the label's own key
    with Store(db) as store:
        final = store.final_labels().set_index("sentence_id")
    assert final.loc[ids[0], "label"] == FIRST and final.loc[ids[0], "reviewer"] == "lead"
    marked = lambda: at.get("html")[0].proto.body.split("<mark")[1]  # noqa: E731
    assert "Local traders" in marked()  # the next dispute (the second sentence is agreed)
    at.button(key="review-later").click().run()
    assert "tag &amp;" in marked()
    at.selectbox(key="review_pair").select(tuple(sorted((FIRST, THIRD)))).run()  # a filter: one pair of labels
    assert "1 open disputes here, 2 in all" in at.get("progress")[0].proto.text
    assert "Nothing left to settle here" in at.success[0].value  # the one there was passed over
    at.button(key="review_again").click().run()
    assert "Local traders" in marked()


def test_the_team_page_shows_pace_agreement_and_when_the_store_will_be_done(db) -> None:
    at = start("ann")
    for _ in range(3):
        at.button(key=f"label-{FIRST}").click().run()
    assert "/hour, the rest in about" in at.get("progress")[-1].proto.text  # this session's pace on the Label page
    with Store(db) as store:
        store.annotate(store.sentences()["sentence_id"].iloc[0], SECOND, "bob")
    at.switch_page("annotator/ui/team_page.py").run()
    assert not at.exception, at.exception
    assert at.metric[0].value == "1"  # of 4 sentences, 3 labelled
    table = at.dataframe[0].value.set_index("reviewer")
    assert table.loc["ann", "total"] == 3 and table.loc["bob", "total"] == 1
    assert table.loc["ann", "agreement"] == 0.0  # the one shared sentence: ann and bob differ
    assert len(at.get("vega_lite_chart")) == 2  # labels per day, labels per hour
