from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.records import Article, sentence_id_for
from annotator.segment import split_article, split_sentences, split_spans

SEED = Path(__file__).resolve().parents[1] / "seeds" / "000_d2e7d545ee594781.txt"


def assert_partition(text: str, spans: list[tuple[int, int]]) -> None:
    """Spans are ordered, non-empty, stripped, and every non-whitespace character lies in exactly one of them."""
    previous = 0
    for start, end in spans:
        assert previous <= start < end <= len(text)
        assert text[previous:start].strip() == ""
        body = text[start:end]
        assert not body[0].isspace() and not body[-1].isspace()
        previous = end
    assert text[previous:].strip() == ""


def sentences_of(text: str) -> list[str]:
    return [text[start:end] for start, end in split_spans(text)]


FRAGMENTS = [
    "Russia proposed a 2–3 day ceasefire",
    " the U.S. and the U.N. said",
    " Gen. Smith",
    " Lt. Col. Brandt",
    " Dr. Ivanova",
    " on Jan. 24",
    " 6,000 bodies",
    " up 3.5%",
    " No. 5",
    " Vladimir V. Putin",
    ".",
    ". ",
    "?",
    "!",
    "...",
    "…",
    ', he said. ',
    ",” she said. ",
    " “We agreed.” ",
    ' "All-for-all." ',
    "\n",
    "\n\n",
    "\r\n",
    "\u2028",
    "– We agreed on exchanges, emphasized Umerov.",
    "MOSCOW, March 3. /TASS/. ",
    "KYIV (Reuters) - ",
    "Москва заявила.",
    "😀",
    "e\u0301",
    "\x00",
    "\t",
    "\u00a0",
    "\u3000",
]
news_like = st.lists(st.sampled_from(FRAGMENTS), max_size=40).map("".join)
# Any code point (lone surrogates too: `st.text` leaves them out, a list of characters does not), mixed with
# the characters that matter to a splitter.
any_text = st.lists(
    st.one_of(st.characters(exclude_categories=()), st.sampled_from(list(" .?!A\n\r\x00\ud800\u2028\u00a0“”–"))),
    max_size=300,
).map("".join)


@settings(max_examples=200, deadline=None)
@given(st.one_of(any_text, news_like))
def test_spans_partition_any_text(text: str) -> None:
    assert_partition(text, split_spans(text))


@settings(max_examples=200, deadline=None)
@given(news_like)
def test_sentences_match_their_offsets(text: str) -> None:
    sentences = split_sentences("a1", text)
    assert [s.index for s in sentences] == list(range(len(sentences)))
    assert all(s.text == text[s.start : s.end] and s.article_id == "a1" for s in sentences)
    assert len({s.id for s in sentences}) == len(sentences)


@pytest.mark.parametrize("text", ["", " ", "\n\r\n\t \u2028 ", "\x00\x01\x02"])
def test_blank_and_control_only_text(text: str) -> None:
    assert_partition(text, split_spans(text))
    assert sentences_of(text) == [chunk for chunk in [text.strip(" \n\r\t\u2028")] if chunk]


@pytest.mark.parametrize(
    "expected",
    [
        ["The U.S. and the U.N. issued a joint statement on Monday.", "It called for restraint."],
        ["Gen. Mark Hollis said the line was stable.", "His deputy, Lt. Col. Anna Brandt, disagreed."],
        ["The hearing lasted four hours.", "Dr. Carter answered every question."],
        ["Russia proposed a 2–3 day pause.", "Ukraine rejected it."],
        ["Officials said 6,000 bodies would be returned.", "Inflation rose 3.5% in March."],
        ["The offensive began on Jan. 24 and Regiment No. 5 moved.", "Analysts blamed the mud."],
        ["Was anyone hurt?", "No.", "Rescuers found the shelter intact."],
        ["Vladimir V. Putin signed the decree.", "It takes effect at once."],
        ["MOSCOW, March 3. /TASS/.", "Russian air defenses shot down 12 drones."],
        ["KYIV (Reuters) - Ukraine said it struck a depot.", "Moscow did not comment."],
        ["– We agreed on exchanges, emphasized Umerov.", "He said the lists would be checked."],
        ["“The ceasefire must hold,” the envoy said.", '"Nobody wants that," he added.'],
    ],
)
def test_tricky_news_boundaries(expected: list[str]) -> None:
    assert sentences_of(" ".join(expected)) == expected


def test_line_breaks_end_headlines_and_paragraphs() -> None:
    text = "Peace talks stall again\r\nNegotiators left Geneva.\n\nThe next round\u2028is not set"
    assert sentences_of(text) == ["Peace talks stall again", "Negotiators left Geneva.", "The next round", "is not set"]


def test_offsets_are_characters_not_bytes() -> None:
    text = "Москва “заявила” о паузе на 2–3 дня 😀😀. Второе предложение e\u0301! Third one."
    spans = split_spans(text)
    assert [text[start:end] for start, end in spans] == [
        "Москва “заявила” о паузе на 2–3 дня 😀😀.",
        "Второе предложение e\u0301!",
        "Third one.",
    ]


def test_ids_are_stable_and_unique_for_repeated_sentences() -> None:
    text = "Shelling resumed. The governor spoke. Shelling resumed."
    first, again = split_sentences("art", text), split_sentences("art", text)
    assert [s.id for s in first] == [s.id for s in again]
    assert first[0].text == first[2].text and first[0].id != first[2].id
    assert first[0].id == sentence_id_for("art", "Shelling resumed.")
    assert first[2].id == sentence_id_for("art", "Shelling resumed.", 1)
    assert split_sentences("other", text)[0].id != first[0].id


def test_split_article_uses_article_id_and_text() -> None:
    article = Article(id="x9", text="One. Two.")
    assert [(s.article_id, s.text) for s in split_article(article)] == [("x9", "One."), ("x9", "Two.")]


def test_seed_article_gives_the_codebook_sentences() -> None:
    text = SEED.read_text(encoding="utf-8")
    sentences = sentences_of(text)
    assert sentences[0] == "Russia proposes ceasefire, prisoner exchange amid talks"
    assert sentences[1].startswith("Russia proposed a 2–3 day ceasefire to Ukraine")
    assert sentences[1].endswith("head of the Russian delegation in Istanbul.")
    assert sentences[2].startswith("Additionally, Russia and Ukraine will exchange seriously ill")
    for expected in [
        "The talks lasted for an hour.",
        "Russia does not kidnap a single child, only children rescued by Russian soldiers.",
        "Medinsky showed journalists a list with the names of 339 children supplied by Ukraine.",
    ]:
        assert expected in sentences
    assert any(s.startswith("“We have all legal grounds") and s.endswith("at that time.") for s in sentences)
    assert any(s.startswith("The Russian side announced") and "6,000 frozen bodies" in s for s in sentences)
    assert_partition(text, split_spans(text))


def test_huge_article_splits_in_bounded_time() -> None:
    paragraph = "The U.S. Gen. Smith said 6,000 troops left. “Москва” agreed to 2–3 days. " * 200
    text = "\n\n".join([paragraph] * 100) + paragraph * 50  # about 2 MB, one paragraph of 0.7 MB
    began = time.perf_counter()
    spans = split_spans(text)
    assert time.perf_counter() - began < 20
    assert len(spans) == 2 * 200 * 150
    assert text[spans[-1][0] : spans[-1][1]] == "“Москва” agreed to 2–3 days."
    assert_partition(text, spans)


@pytest.mark.parametrize("text", ["word " * 70_000, "x" * 350_000 + " y"])
def test_overlong_sentence_is_cut_but_nothing_is_lost(text: str) -> None:
    spans = split_spans(text)
    assert len(spans) > 1
    assert_partition(text, spans)


def test_splitting_from_several_threads_at_once_gives_the_same_sentences() -> None:
    """The app splits in several threads at once (sessions, the suggestion thread, cache fills); blingfire's call
    releases the GIL, so a buffer shared between threads once lost sentences."""
    import threading

    texts = [" ".join(f"Sentence {n} of text {i} says the talks went on in district {n * i}." for n in range(40))
             for i in range(12)]
    expected = [split_spans(text) for text in texts]
    wrong: list[int] = []

    def work(offset: int) -> None:
        for _ in range(4):
            for i in range(len(texts)):
                k = (i + offset) % len(texts)
                if split_spans(texts[k]) != expected[k]:
                    wrong.append(k)

    threads = [threading.Thread(target=work, args=(offset,)) for offset in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not wrong
