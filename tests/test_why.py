"""Explanations in words and in the text: the words behind a suggestion, marked and quoted."""

from __future__ import annotations

from annotator import why


def test_an_attributed_official_is_said_in_words_and_both_words_are_marked() -> None:
    text = "Foreign Minister Sergei Lavrov said the talks would go on."
    terms = ['outlet: state_media & speaker: role', 'role: "lavrov"']
    kinds = {text[s.start:s.end]: s.kind for s in why.spans(text, terms)}
    assert kinds == {"Foreign Minister": "speaker", "Lavrov": "speaker", "said": "cue"}
    assert why.reason(text, terms).startswith("attributed to an official: Foreign Minister … said")
    assert "published by a state-media outlet" in why.reason(text, terms)


def test_a_lexicon_count_marks_the_lexicon_words_the_sentence_has() -> None:
    text = "The Kiev regime shells civilians, a resident told reporters."
    assert [text[s.start:s.end] for s in why.spans(text, ["narrative"])] == ["Kiev regime"]
    said = why.reason(text, ["speaker: nonofficial", "prev: cue+role"])
    assert said.startswith("attributed to a non-official speaker: resident … told")
    assert "the sentence before has a reporting cue and an official" in said


def test_terms_split_on_commas_outside_quotes_and_words_only_count_whole() -> None:
    assert why.terms_of('cue: "said", narrative: "kiev, regime", outlet: independent') == [
        'cue: "said"', 'narrative: "kiev, regime"', "outlet: independent"]
    assert why.terms_of(None) == [] and why.spans("Ministers resaid it.", ['cue: "said"']) == []


def test_marked_text_is_escaped_around_and_inside_the_marks() -> None:
    text = '<img src=x onerror=alert(1)> the minister said "<b>no</b>"'
    marked = why.marked_html(text, ['role: "minister"'])
    assert "<img" not in marked and "<b>no" not in marked and "&lt;img src=x" in marked
    assert '<b class="ann-why ann-why-speaker" title="official">minister</b>' in marked
    assert '<b class="ann-why ann-why-cue" title="reporting cue">said</b>' in marked


def test_an_article_that_opens_by_relaying_a_text_is_said_in_words_and_marks_nothing_in_the_sentence() -> None:
    text = "The sanctions are a crime against our people."
    terms = ["lead: relay & outlet: state_media", "outlet: state_media"]
    assert why.reason(text, terms) == "the article opens by relaying a text in full; published by a state-media outlet"
    assert why.spans(text, terms) == []


def test_a_sentence_under_an_introduction_is_said_in_words() -> None:
    said = why.reason("We want peace.", ["intro: relay & outlet: state_media", "intro: role"])
    assert said == ("it comes under a line that announces a relayed text; published by a state-media outlet; "
                    "the line that introduces it has an official")


def test_the_article_profile_is_said_in_words_and_marks_nothing() -> None:
    text = "The minister said the talks would resume."
    terms = ["article: official_statement", 'cue: "said"']
    assert why.reason(text, terms) == "reporting cue: said; its article as a whole leans to official statement"
    assert [text[s.start:s.end] for s in why.spans(text, terms)] == ["said"]
