"""Features: tokens, lexicon phrases, n-grams, the model input frames (context and outlet kind)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from annotator import features, lexicons
from annotator.records import Article, Sentence
from annotator.segment import split_article, split_sentences


def _tokens(text: str) -> list[str]:
    found = features.tokenize([text])
    return found.vocab[found.codes].tolist()


def test_tokens_are_normalised_and_every_text_opens_with_start():
    assert _tokens("He said: “We’ll pay 1,250 rubles”") == [
        features.START, "he", "said", '"', "we", "ll", "pay", "0", "000", "rubles", '"'
    ]


def test_texts_keep_their_own_tokens_even_when_empty_or_holding_the_separator():
    found = features.tokenize(["One two.", "", "three\x01four", "five"])
    assert found.n_docs == 4
    per_doc = [found.vocab[found.codes[found.doc == d]].tolist()[1:] for d in range(4)]
    assert per_doc == [["one", "two"], [], ["three", "four"], ["five"]]
    assert features.tokenize([]).n_docs == 0


def test_phrases_match_within_a_sentence_and_anchors_hold_the_start():
    matcher = features.PhraseMatcher({"cue": ["according to", "said"], "continuation": ["^he"]})
    texts = ["According to the mayor, he left.", "He said so.", "It was according", "to plan."]
    hits = pd.DataFrame(matcher.match(features.tokenize(texts)).toarray(), columns=matcher.entry_names)
    assert hits['cue: "according to"'].tolist() == [1, 0, 0, 0]  # not across the two last texts
    assert hits['continuation: "^he"'].tolist() == [0, 1, 0, 0]  # "he" mid-sentence does not count
    assert hits['cue: "said"'].tolist() == [0, 1, 0, 0]


def test_shipped_lexicons_are_clean_data_files():
    found = lexicons.load_all()
    assert {"cue", "role", "state_media", "hedge", "narrative"} <= set(found)
    for name, phrases in found.items():
        assert phrases, name
        assert all(phrase == phrase.lower().strip() and not phrase.startswith("#") for phrase in phrases)


def test_default_lexicons_add_the_registry_state_media_outlets():
    assert "sputnik" in features.default_lexicons()["state_media"]


def test_context_frame_orders_neighbours_by_offset_within_each_article():
    frame = pd.DataFrame(
        {
            "text": ["B", "A", "C", "X", "lone"],
            "article_id": ["a1", "a1", "a1", "a2", ""],
            "start": [10, 0, 20, 0, None],
            "outlet_kind": ["official"] * 5,
        }
    )
    out = features.context_frame(frame)
    assert out["prev_text"].tolist() == ["A", "", "B", "", ""]
    assert out["next_text"].tolist() == ["C", "B", "", "", ""]
    assert out["lead_text"].tolist() == ["", "", "", "", ""]  # one-letter lines are fragments: no lead
    words = frame.assign(text=frame["text"] + " is a sentence.")
    leads = features.context_frame(words)["lead_text"].tolist()  # the article's first two sentences
    assert leads == ["A is a sentence. B is a sentence."] * 3 + ["X is a sentence.", ""]
    assert out.index.equals(frame.index)


def test_a_sentence_labelled_twice_is_not_its_own_neighbour():
    frame = pd.DataFrame({"text": ["A", "B", "B"], "article_id": ["a"] * 3, "start": [0, 5, 5], "outlet_kind": ["official"] * 3})
    out = features.context_frame(frame)
    assert out["prev_text"].tolist() == ["", "A", "A"]
    assert out["next_text"].tolist() == ["B", "", ""]


def test_context_frame_looks_up_missing_outlet_kinds_and_keeps_given_ones():
    frame = pd.DataFrame(
        {"text": ["x", "y", "z"], "outlet": ["TASS", "Some Blog", "TASS"], "url": ["", "", ""],
         "outlet_kind": ["", "", "official"]}
    )
    assert features.context_frame(frame)["outlet_kind"].tolist() == ["state_media", "independent", "official"]
    assert features.context_frame(frame.drop(columns=["outlet_kind"]))["outlet_kind"].tolist()[0] == "state_media"


def test_article_frame_gives_model_input_for_a_new_article():
    text = "Peskov said the talks had stalled. The talks resume on Monday. Rain fell."
    article = Article(id="a1", text=text, outlet="RT", url="https://www.rt.com/news/1")
    sentences = split_sentences(article.id, text)
    frame = features.article_frame(article, sentences)
    assert frame["text"].tolist() == [s.text for s in sentences]
    assert frame["prev_text"].tolist() == ["", *frame["text"].tolist()[:-1]]
    assert frame["next_text"].tolist() == [*frame["text"].tolist()[1:], ""]
    assert frame["lead_text"].tolist() == ["Peskov said the talks had stalled. The talks resume on Monday."] * 3
    assert set(frame["outlet_kind"]) == {"state_media"}
    assert set(features.MODEL_COLUMNS) <= set(frame.columns)


def test_articles_frame_of_several_articles_keeps_them_apart():
    one = Article(id="a", text="x")
    two = Article(id="b", text="y")
    frame = features.articles_frame([
        (one, [Sentence("s1", "a", 0, 0, 1, "First."), Sentence("s2", "a", 1, 2, 3, "Second.")]),
        (two, [Sentence("s3", "b", 0, 0, 1, "Third.")]),
    ])
    assert frame["prev_text"].tolist() == ["", "First.", ""]
    assert frame["next_text"].tolist() == ["Second.", "", ""]
    assert frame["lead_text"].tolist() == ["First. Second.", "First. Second.", "Third."]


def _batch(texts: list[str], parse: features.Parse | None = None) -> tuple[features.Parse, features.Batch]:
    frame = pd.DataFrame({"text": texts, "prev_text": "", "next_text": "", "lead_text": "", "intro_text": "", "outlet_kind": "independent"})
    parse = parse or features.Parse(lexicons={"cue": ["said"]}).fit(frame)
    return parse, parse.transform(frame)


def test_word_ngrams_name_sentence_openings_and_skip_rare_terms():
    parse, batch = _batch(["He said yes.", "He said no.", "She left."])
    words = features.WordNgrams(ngram_range=(1, 2), min_df=2).fit(batch)
    names = set(words.get_feature_names_out())
    assert {"word: he", "word: said", "word: he said", "start: he"} <= names
    assert "word: yes" not in names and "word: she" not in names
    matrix = words.transform(batch)
    assert np.allclose(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel(), [1, 1, 0])  # l2 rows; nothing known


def test_neighbour_words_are_the_sentences_words_seen_in_the_previous_and_next_sentence():
    frame = pd.DataFrame({"text": ["The statement said talks failed.", "Talks failed.", "The statement was long."],
                          "prev_text": ["", "The statement said talks failed.", "Talks failed."],
                          "next_text": ["Talks failed.", "The statement was long.", ""], "lead_text": "", "intro_text": "",
                          "outlet_kind": "state_media"})
    parse = features.Parse(lexicons={"cue": ["said"]}).fit(frame)
    batch = parse.transform(frame)
    words = features.WordNgrams(min_df=2, sides=("text", "prev", "next")).fit(batch)
    found = pd.DataFrame(words.transform(batch).toarray(), columns=words.get_feature_names_out())
    # unigrams only for the neighbours, in the sentence's vocabulary: "statement" and "talks" occur twice, "said" once
    assert {"prev word: statement", "next word: talks"} <= set(found.columns)
    assert not {"prev word: said", "prev word: talks failed", "prev start: talks"} & set(found.columns)
    assert (found["prev word: statement"] > 0).tolist() == [False, True, False]  # "Talks failed." follows the statement
    assert (found["next word: statement"] > 0).tolist() == [False, True, False]
    assert (found["word: statement"] > 0).tolist() == [True, False, True]
    with pytest.raises(ValueError, match="sides"):
        features.WordNgrams(sides=("before",)).fit(batch)


def test_char_ngrams_reach_unseen_words_and_do_not_depend_on_the_batch():
    parse, batch = _batch(["The Kremlin said.", "Kremlin aides said."])
    chars = features.CharNgrams(ngram_range=(2, 4), min_df=1).fit(batch)
    _, new = _batch(["Kremlinology grows.", "Other words."], parse)
    _, alone = _batch(["Kremlinology grows."], parse)
    together = chars.transform(new)
    assert together[0].nnz > 0  # shares ' kr', 'kre', ... with "kremlin"
    assert np.allclose(together[0].toarray(), chars.transform(alone).toarray())
    assert 'char: " kre"' in set(chars.get_feature_names_out())


def test_parse_refuses_a_frame_without_the_model_columns():
    parse, _ = _batch(["x"])
    with pytest.raises(ValueError, match="context_frame"):
        parse.transform(pd.DataFrame({"text": ["x"]}))


def test_features_of_a_batch_do_not_depend_on_what_the_process_tokenised_before():
    parse, batch = _batch(["The Kremlin said yes.", "Kremlin aides said no."])
    words = features.WordNgrams(min_df=1).fit(batch)
    chars = features.CharNgrams(min_df=1).fit(batch)
    before = [step.transform(batch).toarray() for step in (words, chars)]
    _batch(["Brand new tokens: zyxwvut, 42 “quoted” ones."], parse)  # grows the process's token table
    _, again = _batch(["The Kremlin said yes.", "Kremlin aides said no."], parse)
    assert all(np.array_equal(b, step.transform(again).toarray()) for b, step in zip(before, (words, chars)))
    refit = words.fit(_batch(["Other words entirely.", "Other words again."], parse)[1])  # same object, new fit
    assert set(refit.get_feature_names_out()) >= {"word: other", "word: words"}
    assert refit.transform(again).nnz == 0


def _flags(texts: list[str], prev: list[str] | None = None) -> pd.DataFrame:
    frame = pd.DataFrame({"text": texts, "prev_text": prev or [""] * len(texts), "next_text": "", "lead_text": "", "intro_text": "", "outlet_kind": "independent"})
    parse = features.Parse().fit(frame)
    batch = parse.transform(frame)
    return pd.DataFrame(batch.flags[batch.text], columns=batch.flag_names).astype(bool)


def test_who_speaks_an_official_role_or_a_non_official_speaker_near_the_cue():
    flags = _flags([
        "Foreign Minister Anna Example said the talks would resume.",
        "The economist said inflation would slow next year.",
        "A former minister said the plan would fail.",
        "The minister arrived in Geneva on Monday, weeks after the company announced its results.",
    ])
    assert flags["speaker: role"].tolist() == [True, False, True, False]
    assert flags["speaker: nonofficial"].tolist() == [False, True, True, False]


def test_the_channel_is_not_the_source_and_united_states_is_no_cue():
    flags = _flags(["Zelenskiy told Reuters that he wanted a deal.", "Peskov told TASS the plan was under review.",
                    "The United States sent more aid."])
    assert flags["channel"].tolist() == [True, True, False]
    assert flags["channel+role"].tolist() == [True, True, False]
    assert flags["cue"].tolist() == [True, True, False]  # "states" in "United States" is no reporting cue
    # the outlet a speaker talks through is no source of its own: no independent or state-media flag for it
    assert flags["independent"].tolist() == [False, False, False]
    assert flags["state_media"].tolist() == [False, False, False]
    sources = _flags(["According to Reuters, the talks stalled.", "TASS said the talks stalled.",
                      "He told journalists that Reuters had the story first."])
    assert sources["independent"].tolist() == [True, False, True]
    assert sources["state_media"].tolist() == [False, True, False]
    assert sources["generic"].tolist() == [False, False, False]  # "journalists" were told, they are not the source


def test_wire_copys_participles_and_titles_of_office_attribute_to_an_official():
    flags = _flags(["China will deploy the task force, the ministry said, adding that it posed no threat.",
                    "The launch is set for November, the space administration revealed.",
                    "The Chinese premier raised four proposals.",
                    "The weather was cold, adding to the misery."])
    assert flags["cue+role"].tolist() == [True, True, False, False]
    assert flags["role"].tolist() == [True, True, True, False]
    assert flags["cue"].tolist() == [True, True, False, True]  # a cue alone says someone speaks, not who


def test_a_continuation_is_seen_with_the_previous_attribution():
    frame = pd.DataFrame({"text": ["He added that talks would resume.", "He added that talks would resume."],
                          "prev_text": ["The foreign minister said Russia was ready.", "The weather was cold."],
                          "next_text": "", "lead_text": "", "intro_text": "", "outlet_kind": "state_media"})
    parse = features.Parse().fit(frame)
    batch = parse.transform(frame)
    context = features.Context().fit(batch)
    found = pd.DataFrame(context.transform(batch).toarray(), columns=context.get_feature_names_out())
    assert found["continuation & prev: cue+role"].tolist() == [1.0, 0.0]


def test_speaker_words_are_those_near_a_cue():
    frame = pd.DataFrame({"text": ["Peskov said the plan was ready.", "Peskov visited the plant.", "Peskov said so."],
                          "prev_text": "", "next_text": "", "lead_text": "", "intro_text": "", "outlet_kind": "official"})
    batch = features.Parse().fit(frame).transform(frame)
    speaker = features.Speaker(min_df=2).fit(batch)
    found = pd.DataFrame(speaker.transform(batch).toarray(), columns=speaker.get_feature_names_out())
    assert found["near cue: peskov"].tolist() == [1.0, 0.0, 1.0]


def test_lead_marks_every_sentence_of_an_article_that_opens_by_relaying_a_statement():
    relayed = "The Foreign Ministry released the following press statement:"
    frame = pd.DataFrame({"text": ["The sanctions are a crime.", "The sanctions are a crime."], "prev_text": "", "next_text": "",
                          "lead_text": [relayed, "Talks resumed on Monday."], "intro_text": "", "outlet_kind": ["state_media", "independent"]})
    parse = features.Parse(lexicons={"cue": ["said"], "relay": ["the following", "press statement"]}).fit(frame)
    batch = parse.transform(frame)
    lead = features.Lead().fit(batch)
    names = lead.get_feature_names_out().tolist()
    values = pd.DataFrame(lead.transform(batch).toarray(), columns=names)
    assert values.loc[0, "lead: relay"] == 1 and values.loc[0, "lead: relay & outlet: state_media"] == 1
    assert values.loc[0].sum() == 2  # by kind: only its own outlet kind
    assert values.loc[1].sum() == 0  # the same sentence under an ordinary opening


def test_an_articles_lead_passes_over_boilerplate_such_as_a_dateline_on_its_own_line():
    texts = ["Xi expounds on the plan", "BEIJING, Nov. 3 (Xinhua) --", "The party unveiled the plan in full text.", "More."]
    assert features.lead(texts) == "Xi expounds on the plan The party unveiled the plan in full text."
    frame = pd.DataFrame({"text": texts, "article_id": "a", "start": [0, 30, 60, 100], "outlet_kind": "state_media"})
    assert set(features.context_frame(frame)["lead_text"]) == {features.lead(texts)}
    article = Article(id="a", text="\n\n".join(texts))
    assert set(features.article_frame(article, split_article(article))["lead_text"]) == {features.lead(texts)}


def test_the_latest_introduction_before_a_sentence_is_its_intro_and_marks_the_block_under_it():
    texts = ["Talks resumed.", "The following is the full text of his speech:", "We want peace.", "Thank you.",
             "Analysts were not convinced."]
    assert features.introductions(texts) == ["", "", texts[1], texts[1], texts[1]]
    frame = pd.DataFrame({"text": texts, "article_id": "a", "start": [0, 20, 70, 90, 110], "outlet_kind": "state_media"})
    built = features.context_frame(frame)
    assert built["intro_text"].tolist() == features.introductions(texts)
    article = Article(id="a", text="\n\n".join(texts), outlet="Tehran Times")
    assert features.article_frame(article, split_article(article))["intro_text"].tolist() == features.introductions(texts)
    parse = features.Parse(lexicons={"cue": ["said"], "relay": ["full text"]}).fit(built)
    batch = parse.transform(built)
    intro = features.Lead(flags=("relay",), side="intro").fit(batch)
    values = pd.DataFrame(intro.transform(batch).toarray(), columns=intro.get_feature_names_out())
    assert values["intro: any"].tolist() == [0, 0, 1, 1, 1]
    assert values["intro: relay & outlet: state_media"].tolist() == [0, 0, 1, 1, 1]


def test_a_line_glued_to_the_quote_it_introduces_is_an_introduction_but_a_closed_quote_is_not():
    glued = 'The full text of her remarks is as follows: "The situation in occupied Palestine remains dire.'
    texts = ["Iran's envoy addressed the Council.", glued, "Settlements continue.", 'She said: "We want peace."',
             "Analysts were not convinced."]
    assert features.introduces(glued) and features.introduces("The message reads, in part:\u201cIt is gratifying.")
    assert not features.introduces('She said: "We want peace."') and not features.introduces("Talks resumed.")
    assert features.introductions(texts) == ["", "", glued, glued, glued]
