"""Why the model said what it said, in words and in the text.

A sentence's explanation terms (`model.explain`: feature names such as `cue: "said"`, `near cue: lavrov`,
`outlet: state_media & narrative`) become the words they stand for inside the sentence (spans to mark: the
reporting cue, the speaker, narrative wording, a named source) and one line of plain words ("attributed to an
official: Lavrov … said"). A term that counts a lexicon without naming a phrase (`speaker: role`, `narrative`,
`prev: cue+role` is about the neighbour and marks nothing) marks the lexicon's phrases found in the sentence;
`article: official_statement` (what the rest of the article reads as, the classifier's profile) marks nothing. Word
n-grams are not marked: they are many, and say little on their own. The app's Label and Highlight pages and the HTML report all mark the same spans.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache

# Each lexicon: the kind of evidence its words are (a CSS class) and how to say it.
LEXICONS = {
    "cue": ("cue", "reporting cue"),
    "hedge": ("cue", "distancing word"),
    "channel": ("cue", "said through"),
    "continuation": ("cue", "continues a quote"),
    "relay": ("cue", "announces a relayed text"),
    "role": ("speaker", "official"),
    "nonofficial": ("speaker", "non-official speaker"),
    "first_person": ("speaker", "first person"),
    "narrative": ("narrative", "narrative wording"),
    "state_media": ("source", "state-media source"),
    "independent": ("source", "independent source or evidence"),
}
OUTLETS = {"state_media": "published by a state-media outlet", "official": "published by an official channel",
           "independent": "published by an independent outlet"}
NEIGHBOURS = {"cue": "a reporting cue", "role": "an official", "nonofficial": "a non-official speaker",
              "quote": "a quotation", "narrative": "narrative wording", "continuation": "a continued quote"}
WHOLE = {("lead", "relay"): "the article opens by relaying a text in full",
         ("intro", "relay"): "it comes under a line that announces a relayed text",
         ("intro", "any"): "it comes under a line that introduces a quote or a text (ending with a colon, or opening a quote after one)"}
_WORD = re.compile(r"\w+")
_TERM = re.compile(r'(?:[^,"]|"[^"]*")+')


@dataclass(frozen=True)
class Span:
    """Characters [start, end) of a sentence that stand behind an explanation, and what kind of evidence they are."""

    start: int
    end: int
    kind: str  # cue, speaker, narrative or source
    lexicon: str  # the lexicon the words belong to


def terms_of(cues: str | None) -> list[str]:
    """The terms of a `cues` column value (comma-separated; commas inside quoted phrases stay)."""
    return [term.strip() for term in _TERM.findall(cues or "") if term.strip()]


@cache
def _lexicons() -> dict[str, frozenset[str]]:
    from annotator.features import default_lexicons

    return {name: frozenset(" ".join(_WORD.findall(phrase.lower())) for phrase in phrases if not phrase.startswith("^"))
            for name, phrases in default_lexicons().items() if name in LEXICONS}


def _parts(terms: list[str]) -> list[tuple[str, str | None]]:
    """Each term cut into (topic, phrase or None): `outlet: state_media & narrative` gives ("outlet", "state_media")
    and ("narrative", None); `role: "lavrov"` gives ("role", "lavrov"); `near cue: minister` gives ("near", ...)."""
    found = []
    for term in terms:
        for part in (piece.strip() for piece in term.split(" & ")):
            name, sep, value = part.partition(": ")
            value = value.strip().strip('"').strip().lower()
            if not sep:
                found += [(piece, None) for piece in name.split("+")]
            elif name == "speaker":
                found.append((value, None))
            elif name in ("outlet", "prev", "next", "lead", "intro", "article"):
                found.append((name, value))
            elif name == "near cue":
                found.append(("near", value))
            elif name in LEXICONS and value:
                found.append((name, value))
    return list(dict.fromkeys(found))


@lru_cache(maxsize=256)
def _starts(groups: tuple[frozenset[str], ...]) -> dict[str, int]:
    """Each word that starts a phrase of the groups, and the longest such phrase in words."""
    found: dict[str, int] = {}
    for phrases in groups:
        for phrase in phrases:
            words = phrase.split()
            if words:
                found[words[0]] = max(found.get(words[0], 0), len(words))
    return found


def spans(text: str, terms: list[str]) -> list[Span]:
    """The words of `text` behind the terms, longest first where they overlap, in text order."""
    return list(_spans(text, tuple(terms)))


@lru_cache(maxsize=4096)
def _spans(text: str, terms: tuple[str, ...]) -> tuple[Span, ...]:
    lexicons = _lexicons()
    wanted: dict[str, set[str] | None] = {}  # lexicon -> its phrases to find (None: any of the lexicon)
    for topic, phrase in _parts(list(terms)):
        if topic == "near":  # a word near a cue: the speaker or source when a lexicon knows it
            topic = next((name for name in ("role", "nonofficial", "state_media", "independent")
                          if phrase in lexicons.get(name, ())), "")
        if topic in LEXICONS:
            if phrase is None:
                wanted[topic] = None
            elif wanted.get(topic, set()) is not None:
                wanted.setdefault(topic, set()).add(phrase)
    if {"role", "nonofficial"} & set(wanted):
        wanted.setdefault("cue", None)  # a speaker is evidence through the verb that attributes to them
    if not wanted:
        return ()
    sought = [(topic, lexicons.get(topic, frozenset()) if phrases is None else frozenset(phrases))
              for topic, phrases in wanted.items()]
    longest = _starts(tuple(known for _, known in sought))
    words = [(m.start(), m.end(), m.group().lower()) for m in _WORD.finditer(text)]
    found: list[Span] = []
    first = 0
    while first < len(words):  # left to right, the longest phrase at each word: "foreign minister", not "minister"
        for size in range(min(longest.get(words[first][2], 0), len(words) - first), 0, -1):
            key = " ".join(word for _, _, word in words[first:first + size])
            topic = next((topic for topic, known in sought if key in known), None)
            if topic is not None:
                found.append(Span(words[first][0], words[first + size - 1][1], LEXICONS[topic][0], topic))
                first += size - 1
                break
        first += 1
    return tuple(sorted(found, key=lambda span: span.start))


def reason(text: str, terms: list[str]) -> str:
    """The explanation in plain words, quoting the sentence's own words where the terms point at them."""
    found = spans(text, terms)
    quoted = lambda span: text[span.start:span.end]  # noqa: E731
    said: list[str] = []
    speakers = [s for s in found if s.kind == "speaker" and s.lexicon != "first_person"]
    cues = [s for s in found if s.lexicon == "cue"]
    if speakers and cues:
        who = "an official" if any(s.lexicon == "role" for s in speakers) else "a non-official speaker"
        first, second = sorted([speakers[0], cues[0]], key=lambda span: span.start)
        said.append(f"attributed to {who}: {quoted(first)} … {quoted(second)}")
        found = [s for s in found if s not in (speakers[0], cues[0])]
    for lexicon, (_, name) in LEXICONS.items():
        words = list(dict.fromkeys(quoted(s) for s in found if s.lexicon == lexicon))
        if words:
            said.append(f"{name}: {', '.join(words)}")
    for topic, value in _parts(terms):
        if topic == "outlet" and value in OUTLETS:
            said.append(OUTLETS[value])
        elif topic in ("prev", "next", "lead", "intro") and value and value != "none":
            what = " and ".join(NEIGHBOURS.get(piece, piece.replace("_", " ")) for piece in value.split("+"))
            where = {"prev": "the sentence before", "next": "the sentence after", "lead": "the article's opening",
                     "intro": "the line that introduces it"}[topic]
            said.append(WHOLE.get((topic, value)) or f"{where} has {what}")
        elif topic == "article" and value:
            said.append(f"its article as a whole leans to {value.replace('_', ' ')}")
        elif topic == "quote" and value is None:
            said.append("a quotation")
    return "; ".join(dict.fromkeys(said))


def marked_parts(text: str, terms: list[str]) -> list[tuple[str, str | None, str | None]]:
    """`text` cut into (piece, kind, what it is) with kind None between the words behind the terms."""
    parts, cursor = [], 0
    for span in spans(text, terms):
        parts.append((text[cursor:span.start], None, None))
        parts.append((text[span.start:span.end], span.kind, LEXICONS[span.lexicon][1]))
        cursor = span.end
    parts.append((text[cursor:], None, None))
    return [part for part in parts if part[0]]


def marked_html(text: str, terms: list[str]) -> str:
    """`text` escaped, with the words behind the terms wrapped in `<b class="ann-why ann-why-KIND">`."""
    from annotator.render import render

    return render("marked.html", parts=marked_parts(text, terms))


# Shared by the report and the app: the marked words stand out without hiding the label's tint.
CSS = """
.ann-why { font-weight: 600; text-decoration: underline dotted; text-underline-offset: 0.2em; }
.ann-why-speaker { text-decoration-style: solid; }
.ann-why-narrative { text-decoration-style: wavy; }
"""
