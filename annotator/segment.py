"""Sentence splitting with exact character offsets and stable ids.

Blingfire finds the candidate boundaries (fastest of the measured splitters, see `bench/segment.py`); a few
rules fix what it gets wrong in news text: every line break ends a sentence, a TASS-style dateline is its own
sentence, and no sentence ends after a title ("Dr.", "Lt. Col."), a month or "No." before a number, or an
initial before a capital. Offsets never come from blingfire: its sentences are found again in the original text.
"""

from __future__ import annotations

import ctypes
import re
import threading

import blingfire

from annotator.records import Article, Sentence, sentence_id_for

# Everything `str.splitlines` breaks at: a line break always ends a sentence (headlines, paragraphs).
_LINE_BREAKS = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"
# Characters blingfire rewrites or rejects (controls, lone surrogates): replaced by a space before calling it.
_UNSAFE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# "MOSCOW, March 3. /TASS/." opening a paragraph.
_DATELINE = re.compile(r"[A-Z][A-Z .'\-]*, [A-Z][a-z]+\.? \d{1,2}\. ?/[A-Za-z][A-Za-z\-]*/\.")
# The longest stretch handed to blingfire at once, so that one huge paragraph costs bounded memory.
_WINDOW = 100_000
_TITLES = frozenset(
    "Adm Brig Capt Cmdr Col Dr Fr Gen Gov Hon Lt Maj Messrs Mr Mrs Ms Prof Rep Rev Sen Sgt St Supt v vs".split()
)
# Abbreviations that end no sentence when a number follows ("Jan. 24", "No. 5"); "No." alone is an answer.
_BEFORE_NUMBER = frozenset("Jan Feb Mar Apr Aug Sep Sept Oct Nov Dec No Nos".split())


def _abbreviation_before(text: str, end: int) -> bool:
    """Whether the period ending at `end` closes a title, a month or "No." before a number, or an initial."""
    low = max(0, end - 9)
    space = text.rfind(" ", low, end)
    if space < 0 < low:
        return False
    word = text[space + 1 if space >= 0 else 0 : end - 1].lstrip("\"'“‘([")
    if word in _TITLES:
        return True
    after = text[end : end + 4].lstrip()[:1]
    if word in _BEFORE_NUMBER:
        return after.isdigit()
    return len(word) == 1 and word.isupper() and after.isupper()


class _Blingfire(threading.local):
    """`blingfire.text_to_sentences` with one output buffer reused across calls: the library allocates a new
    ctypes buffer per call, which cost as much as the splitting itself on short paragraphs. One buffer per thread:
    the library call releases the GIL, so a shared buffer let the app's threads (sessions scoring suggestions and
    filling the prediction cache at once) overwrite each other's sentences, and sentences went missing."""

    def __init__(self) -> None:
        self._buffer = ctypes.create_string_buffer(1 << 16)

    def __call__(self, text: str) -> str:
        data = text.encode("utf-8")
        size = len(data) * 2  # the capacity the library gives, so the outcome is the same
        if size > len(self._buffer):
            self._buffer = ctypes.create_string_buffer(size)
        written = blingfire.blingfire.TextToSentences(data, len(data), self._buffer, size)
        if written <= 0 or written > size:
            return ""
        return ctypes.string_at(self._buffer, written).partition(b"\0")[0].decode("utf-8")


_text_to_sentences = _Blingfire()


def _paragraph_ends(paragraph: str) -> list[int]:
    """Sentence end positions within one paragraph (a run of text without line breaks).

    Blingfire's sentences are found again in the paragraph (after the same-length cleaning), so the positions
    are exact character offsets whatever blingfire does to the text.
    """
    clean = paragraph if paragraph.isprintable() else _UNSAFE.sub(" ", paragraph)  # printable: nothing unsafe
    dateline = _DATELINE.match(clean, len(clean) - len(clean.lstrip()))
    ends = [dateline.end()] if dateline else []
    after = ends[0] if dateline else 0  # no sentence ends inside the dateline
    cursor = 0
    for piece in _text_to_sentences(clean).split("\n"):
        if not piece:
            continue
        found = clean.find(piece, cursor)
        if found < 0:  # blingfire changed the text: keep the ends found so far, the rest is one sentence
            break
        cursor = found + len(piece)
        if cursor > after and not (piece[-1] == "." and _abbreviation_before(clean, cursor)):
            ends.append(cursor)
    return ends


def _long_paragraph_ends(paragraph: str) -> list[int]:
    """`_paragraph_ends` window by window; each window restarts at the last sentence end found in the one before."""
    ends: list[int] = []
    done = 0
    while len(paragraph) - done > _WINDOW:
        window = paragraph[done : done + _WINDOW]
        inner = _paragraph_ends(window)[:-1]  # the window's last sentence may go on past it
        if not inner:  # one sentence longer than a window: cut it at its last space
            space = window.rfind(" ")
            inner = [space if space > 0 else _WINDOW]
        ends.extend(done + end for end in inner)
        done += inner[-1]
    ends.extend(done + end for end in _paragraph_ends(paragraph[done:]))
    return ends


def split_spans(text: str) -> list[tuple[int, int]]:
    """Ordered, non-overlapping `(start, end)` sentence spans of `text`, each stripped of surrounding whitespace.

    Every non-whitespace character lies in exactly one span. Works paragraph by paragraph (a huge paragraph
    window by window), so time stays linear in the text's size and working memory bounded.
    """
    spans: list[tuple[int, int]] = []
    start = 0
    for line in text.splitlines(keepends=True):
        paragraph = line.rstrip(_LINE_BREAKS)  # a line holds no break but the one that ends it ("\r\n" is one)
        if paragraph and not paragraph.isspace():
            cut = 0
            for end in (*_long_paragraph_ends(paragraph), len(paragraph)):
                chunk = paragraph[cut:end]
                body = chunk.lstrip()
                if body:
                    first = start + cut + len(chunk) - len(body)
                    spans.append((first, first + len(body.rstrip())))
                cut = end
        start += len(line)
    return spans


def split_sentences(article_id: str, text: str) -> list[Sentence]:
    """The sentences of one article's text, with offsets into `text` and ids unique within the article.

    A sentence's id hashes the article id, its text and how many identical sentences came before it, so
    re-importing the same article gives the same ids.
    """
    seen: dict[str, int] = {}
    sentences = []
    for index, (start, end) in enumerate(split_spans(text)):
        body = text[start:end]
        occurrence = seen.get(body, 0)
        seen[body] = occurrence + 1
        sentences.append(Sentence(sentence_id_for(article_id, body, occurrence), article_id, index, start, end, body))
    return sentences


def split_article(article: Article) -> list[Sentence]:
    """The sentences of an article (`split_sentences` on its id and text)."""
    return split_sentences(article.id, article.text)
