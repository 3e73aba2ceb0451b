"""Boilerplate: datelines, bylines, credits, prompts and fragments are marked, and never a claim in any output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotator import boilerplate, queue, report, score
from annotator.records import Article
from annotator.scheme import load_scheme
from annotator.store import Store

LABELS = Path(__file__).resolve().parents[1] / "labels"
SKIP = load_scheme().skip.key

# Invented lines in the shapes of real wire copy and web captures.
BOILERPLATE = {
    "MOSCOW, March 3. /TASS/.": "dateline",
    "KYIV, Ukraine (AP) —": "dateline",
    "Pyongyang, May 2 (KCNA) --": "dateline",
    "TEHRAN –": "dateline",
    "MINSK, 27 January (BelTA)": "dateline",
    "By Anna Example and Ivan Sample": "byline",
    "Reporting by Anna Example; Editing by Ivan Sample": "byline",
    "Follow him on Twitter @example_writer.": "prompt",
    "The views expressed here are solely those of the author and do not reflect the views of the institute.": "byline",
    "Anna Example contributed reporting from Odesa.": "credit",
    "Photo: Example Agency": "credit",
    "© Example Agency / Ivan Sample": "credit",
    "Advertisement": "advert",
    "Sign up for our morning newsletter": "prompt",
    "12 minutes ago 12 mins ago Minister resigns after vote": "prompt",
    "Q: What did the minister say about the talks?": "question",
    '<tweet tweet-id="123"><tweet/>.': "fragment",
    "ABSTRACT.": "fragment",
    "Ukraine": "fragment",
    "Facebook.": "navigation",
    "Get our stories by email.": "prompt",
    "Exclusively for Example subscribers.": "prompt",
    "(Example Defense Ministry Press Service via AP)": "credit",
    "(Source: The Associated Press)": "credit",
    "Source: Reuters.": "credit",
    "The views don't necessarily reflect those of Example Daily.": "byline",
    "The views do not necessarily represent those of Example Daily.": "byline",
    "Contact the writers at anna@example.com.": "byline",
    "If you have a specific expertise, or would like to share your thought about our stories, then send us your "
    "writings at opinion@example.com, and comment@example.com.": "prompt",
}
CLAIMS = [
    "Bridge reopens",
    "Putin: West wants war",
    "Ukraine will sign up to the deal, the minister said.",
    "By the way, the deposits were not listed either, he added.",
    "Thank you.",
    "Glory to Ukraine!",
    "The photo showed damage to the roof of the school.",
    "MOSCOW and Kyiv exchanged prisoners on Friday, officials said.",
    "Men must now update their personal data with the military within 60 days.",
    "For new subscribers, prices rise by a tenth.",
    "More than 50 people died.",
    "Telegram said it would comply with the court order.",
    "The photograph was distributed via AP.",
    "Sources: the ministry said the plan would hold.",
    "The views of the two ministers do not necessarily differ, the spokesman said.",
    "If you have a permit, you may cross, the border guard said.",
    "The source said the talks failed.",
]


@pytest.mark.parametrize("text, why", BOILERPLATE.items())
def test_boilerplate_shapes_are_marked_with_their_reason(text: str, why: str):
    assert boilerplate.reason(text) == why


@pytest.mark.parametrize("text", CLAIMS)
def test_content_is_never_boilerplate(text: str):
    assert boilerplate.reason(text) == ""


def test_reasons_of_a_batch_match_one_by_one():
    texts = [*BOILERPLATE, *CLAIMS, *BOILERPLATE]
    assert boilerplate.reasons(texts).tolist() == [boilerplate.reason(text) for text in texts]


def test_on_the_real_labels_every_marked_sentence_is_a_reviewers_skip():
    records = [json.loads(line) for line in (LABELS / "real.jsonl").read_text(encoding="utf-8").splitlines()]
    marked = [r for r in records if boilerplate.reason(r["text"])]
    assert [r["text"] for r in marked if r["label"] != SKIP] == []
    skips = sum(r["label"] == SKIP for r in records)
    assert len(marked) >= 0.25 * skips


WIRE = Article(id="wire", title="Grain talks", outlet="TASS", text=(
    "Grain talks resume\n\nMOSCOW, March 3. /TASS/. The agriculture ministry announced new export quotas on Monday.\n\n"
    "Western claims about the blockade are a provocation, the agency wrote.\n\nAdvertisement\n\n"
    "Sign up for our morning newsletter"))


def test_scoring_marks_boilerplate_as_skip_and_leaves_it_out_of_the_summary(trained_model: Path, tmp_path: Path):
    from annotator import model

    scored = score.score_article(WIRE, model.load(trained_model))
    boiler = scored[scored["label"] == SKIP]
    assert boiler["text"].tolist() == ["MOSCOW, March 3. /TASS/.", "Advertisement", "Sign up for our morning newsletter"]
    assert boiler["skip_reason"].tolist() == ["dateline", "advert", "prompt"]
    summary = report.summary_row(WIRE, scored)
    assert summary["sentences"] == len(scored) and summary["boilerplate"] == 3
    keys = load_scheme().keys
    assert sum(summary[f"n_{key}"] for key in keys) == len(scored) - 3
    assert sum(summary[f"share_{key}"] for key in keys) == pytest.approx(1, abs=1e-3)
    html = report.render_report([(WIRE, scored)])
    assert 'data-label="skip"' in html and "boilerplate, not a claim (dateline)" in html


def test_the_queue_offers_boilerplate_last(trained_model: Path, tmp_path: Path):
    with Store(tmp_path / "queue.db") as store:
        store.add_articles([WIRE])
        queue.fill_predictions(store, trained_model)
        ranked = store.predicted_ids(queue.model_id(trained_model))
        texts = store.sentences().set_index("sentence_id")["text"]
        assert {texts[sid] for sid in ranked[-3:]} == {
            "MOSCOW, March 3. /TASS/.", "Advertisement", "Sign up for our morning newsletter"}
        assert {boilerplate.reason(texts[sid]) for sid in ranked[:-3]} == {""}


def test_a_headline_with_a_colon_and_a_question_is_no_interview_question():
    assert boilerplate.reason("Election rumours: Is the president mulling a summer poll?") == ""
    assert boilerplate.reason("Sputnik: Who are the key players in this unit?") == "question"
