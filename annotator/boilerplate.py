"""Boilerplate: sentences that are not claims (datelines, bylines, credits, adverts, prompts, fragments).

The codebook says boilerplate is never a claim: reviewers skip it, scoring marks it with the scheme's skip key and
a reason instead of a label, and it is left out of every share and summary. Detection is by rules on the sentence
alone, written against real article shapes (wire datelines, web captures); `bench/accuracy.py` measures them
against the reviewers' skips. A sentence of real content is never marked for being short alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np

REASONS = ("dateline", "byline", "credit", "advert", "prompt", "navigation", "caption", "question", "fragment")

_CAPS_PLACE = r"[A-Z][A-Z'.\-]+(?:[ \-][A-Z][A-Z'.\-]+){0,3}"
_PLACE = r"[A-Z][A-Za-z'.\-]+(?: [A-Z][A-Za-z'.\-]+){0,3}"
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
_DATE = rf"(?:{_MONTH} \d{{1,2}}|\d{{1,2}} {_MONTH})(?:,? \d{{4}})?"
_AGENCY = r"(?:/[A-Za-z][A-Za-z\- ]*/|\([A-Za-z][A-Za-z .\-]*\))"
_DASH = r"(?:--|[-–—])"
# "MOSCOW, December 26. /TASS/."  "MINSK, 27 January (BelTA)"  "TEHRAN –"  "TEHRAN (Tasnim) -"  "KYIV, Ukraine (AP) —"
# "NANJING, May 23 (Xinhua) --"  "MOSCOW, November 28 – RIA Novosti.": a capitals place, then a date, an agency or
# a dash (at least one, so that a line in capitals alone is not a dateline).
_DATELINE = re.compile(
    rf"{_CAPS_PLACE}(?:, {_PLACE})?"
    rf"(?=.*(?:\d|/|\(|{_DASH}))(?:,? {_DATE})?\.?(?: ?{_AGENCY}\.?)?(?: ?{_DASH}(?: ?{_PLACE}\.?)?)?"
)
# "Pyongyang, March 19 (KCNA) --": a place in any case when a date follows.
_DATED = re.compile(rf"{_PLACE}(?:, {_PLACE})?,? {_DATE}\.?(?: ?{_AGENCY}\.?)?(?: ?{_DASH}(?: ?{_PLACE}\.?)?)?")
_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("dateline", _DATELINE),
    ("dateline", _DATED),
    *(
        (name, re.compile(pattern, re.IGNORECASE))
        for name, pattern in (
            ("byline", r"(?-i:(?i:by|written by|reporting by|writing by|editing by|edited by|additional reporting by|"
                       r"compiled by|translated by|text by|story by|words by)\s+[A-Z][\w.'\-]+"
                       r"(?:[ ,]+(?:and\s+)?[A-Z][\w.'\-]+){0,8}\.?(?:\s*[;/,|].{0,80})?)"),
            ("credit", r"[(\[]?(?:photo|image|file photo|picture|video|illustration|graphic|infographic)s?"
                       r"(?:\s*[:|/]\s*.{0,120}|\.?)"),
            ("credit", r"[A-Z][\w.\-]*(?: [A-Z][\w.\-]*){0,3} / [A-Z][\w.\-]*(?: [A-Z][\w.\-]*){0,3}"),
            ("advert", r"(?:advertisement|advertising|sponsored(?: content)?|story continues below(?: advertisement)?|"
                       r"scroll to continue(?: with content)?|paid (?:content|partner))\.?"),
            ("prompt", r"(?:sign up|subscribe|follow us|share (?:this|on)|click here|read more|copy link|"
                       r"listen to this (?:article|story)|download (?:the|our) app|join (?:us|our)(?: on)? "
                       r"(?:telegram|whatsapp|twitter|x)|(?:get|receive) (?:our|the) newsletter)\b.{0,100}"),
            ("prompt", r"(?:\d+ (?:min|mins|minutes?|hours?|hrs?|days?) (?:ago|read)\b.{0,120})|"
                       r"(?:updated|published|posted|last updated)\s*:?\s*.{0,40}\d.{0,40}|"
                       r"(?:related|more from|see also|also read|recommended|most read|trending)\s*:.{0,100}"),
            ("navigation", r"(?:home|menu|search|skip to (?:main )?content|back to top|next article|previous article|"
                           r"print|email|share|comments?|log ?in|sign in|info|more|(?:tags?|topics?)\s*:.*|"
                           r"facebook|twitters?|instagram|telegram|whatsapp|linkedin|youtube|reddit|tiktok)\.?"),
            # a share bar's or a newsletter box's line: "Get our stories by email."  "Like the page:"
            ("prompt", r"(?:get (?:our|the latest) (?:stories|news|headlines|updates)|like (?:the|our) page|"
                       r"like us on|click ?here ?to)\b.{0,100}|"
                       r"(?:exclusively|only) for (?:\w+ ){0,2}subscribers\.?|for (?:\w+ ){0,2}subscribers only\.?"),
            # a photo credit on a line of its own: "(Russian Defense Ministry Press Service via AP)"
            ("credit", r"\(.{0,100}\b(?:via|for) (?:ap|afp|reuters|getty images|epa|tass|xinhua|anadolu)\)\.?"),
            # "Follow him on Twitter @joelpollak."  "Twitter: @Milbank."  "@erikalaing."
            ("prompt", r"(?:follow (?:\w+ ){0,3}on (?:twitter|x|facebook|instagram|telegram)|twitter:|watch the (?:full )?video|"
                       r"write to us|email us|contact us|support (?:us|our journalism)|donate)\b.{0,100}"),
            ("byline", r"[-–—]?\s*@\w+\.?|the author is .{0,160}"),
            # an outlet's standing disclaimer, a contact line, an invitation to write in: "The views don't necessarily
            # reflect those of China Daily."  "Contact the writers at ...@..."  "If you have a specific expertise, ..."
            ("byline", r"the views (?:do not|don't|does not|doesn't|are not|aren't) necessarily (?:reflect|represent) .{0,100}|"
                       r"contact the (?:writer|writers|author|authors|reporter|reporters) at .{0,100}"),
            ("prompt", r"if you (?:have|would like|want)\b.{0,120}\b(?:send us|write to us|email us|contact us)\b.{0,120}"),
            ("credit", r"(?:h/t|hat tip:?)\s.{0,60}|this (?:article|story|post) (?:has been|was) updated\b.{0,140}"),
            # a reprint's closing credit: "(Source: The Associated Press)"  "Source: Reuters"
            ("credit", r"[(\[]sources?\s*:\s*[^()\[\]]{1,80}[)\]]\.?|"
                       r"sources?\s*:\s*(?-i:[A-Z][\w.&'\-]*(?: (?:[A-Z][\w.&'\-]*|of|and|the)){0,5})\.?"),
            # a reporter's question in a transcript: "Q: ...?"  "Sputnik: Who are ...?"  "WALLACE: Governor, ..."
            ("question", r"(?:q|question|interviewer)\s*[:.]\s.{0,400}"),
            # ... a speaker's name of one or two capitalised words, so a headline ("Ukraine election rumours: Is ...?") is not
            ("question", r"(?-i:[A-Z][A-Za-z.]*(?: [A-Z][A-Za-z.]*)?): (?:who|what|when|where|why|how|do|does|did|is|are|can|will|would|should)\b.{0,400}\?"),
            # markup and stage directions left by a scraper: "<tweet .../>", "(CROSSTALK.)", "[...]"
            ("fragment", r"<[a-z]+[ >].{0,400}|\(?(?-i:[A-Z]{3,})\.?\)?\.?|\[(?:\.\.\.|…)\]"),
            # a section marker in capitals: "ABSTRACT."  "FULL TEXT."
            ("fragment", r"(?-i:[A-Z]{2,}(?: [A-Z]{2,}){0,2})[.:]"),
        )
    ),
)
# Rules that find a phrase inside a line: (reason, phrase pattern, most characters before it, most after it).
_CONTAINS: tuple[tuple[str, re.Pattern[str], int, int], ...] = tuple(
    (name, re.compile(pattern, re.IGNORECASE), before, after)
    for name, pattern, before, after in (
        ("credit", r"\b(?:contributed (?:reporting|from|to this (?:report|story|article))|(?:photo|image|video|picture)s? "
                   r"(?:credit|by|courtesy)|getty images|via reuters)\b", 120, 60),
        ("credit", r"©", 100, 60),
        ("prompt", r"\b(?:newsletter|our telegram channel|all rights reserved|cookie policy|cookie settings|"
                   r"terms of (?:use|service)|privacy policy)\b", 60, 60),
        ("byline", r"\bviews expressed\b", 60, 200),
        ("prompt", r"\b(?:your personal data|javascript|analysis tool|advertising and content measurement)\b", 120, 200),
    )
)
# Every whole-line rule in one pattern, so that a line is matched in one call; the group that matched names the rule.
_ANY_RULE = re.compile("|".join(
    f"(?P<r{i}>{pattern.pattern if not pattern.flags & re.IGNORECASE else f'(?i:{pattern.pattern})'})"
    for i, (_, pattern) in enumerate(_RULES)
))
# A line with fewer than this many words of two or more letters and no closing punctuation is a fragment.
_MIN_WORDS = 2  # "Bridge reopens" is a headline; "Advertisement" or "NATO" alone is not a claim
_FRAGMENT_CHARS = 80  # longer lines always hold three words
_WORD = re.compile(r"[^\W\d_]{2,}")
_CLOSED = re.compile(r"[.!?\"”»)]$")
_TIME_ONLY = re.compile(r"[\d:.,/\-\s]*(?:[ap]\.?m\.?|gmt|utc|cet|et|msk)?[\d:.,/\-\s]*", re.IGNORECASE)


# Cheap tests first (batch scoring runs this on every sentence): a line longer than this that neither opens with
# one of the openings nor holds one of the inner words matches no rule (datelines are shorter).
_SHORT = 60
_OPENINGS = ("by ", "written by", "reporting by", "writing by", "editing by", "edited by", "additional reporting",
             "compiled by", "translated by", "text by", "story by", "words by", "photo", "infographic", "image", "file photo", "picture", "video", "illustration",
             "graphic", "(", "[", "sign up", "subscribe", "follow us", "share ", "click here", "read more", "copy link",
             "listen to", "download", "join ", "get ", "receive ", "updated", "published", "posted", "last updated",
             "related", "more from", "see also", "also read", "recommended", "most read", "trending", "tags", "topics",
             "story continues", "scroll to", "q:", "q.", "question", "interviewer", "the author is", "h/t", "hat tip",
             "watch the", "write to us", "email us", "contact us", "support", "donate", "@", "-", "–", "—",
             "this article", "this story", "this post", "<", "twitter", "follow", "the views", "views expressed",
             "like ", "clickhere", "contact the", "if you ")
# Words of which one must occur in a longer line for an inner rule to match it (the rules decide; these only let
# a line through to them): credits, cookie and newsletter prompts, disclaimers.
_INNER_WORDS = frozenset(
    f"{before}{word}{after}"  # with the punctuation that may stick to it: "newsletter.", "(photo:"
    for word in ("© contributed photo photos image images video picture courtesy getty reuters / newsletter "
                 "newsletters telegram reserved cookie cookies terms privacy expressed personal javascript analysis "
                 "advertising").split()
    for before in ("", "(", "[", '"', "“", "_")
    for after in ("", ".", ",", ":", ";", ")", "]", '"', "”", ".”", ").", "),", "_")
)


def reason(text: str) -> str:
    """Why a sentence is boilerplate ("dateline", "byline", ...), or "" when it is content."""
    stripped = text.strip().strip("*_#>|•·").strip()
    if not stripped:
        return "fragment"
    size = len(stripped)
    if size <= 200:
        low = stripped.lower()
        inner = not _INNER_WORDS.isdisjoint(low.split())
        if inner or size <= _SHORT or stripped[:1].isdigit() or low.startswith(_OPENINGS):
            match = _ANY_RULE.fullmatch(stripped)
            if match:
                return _RULES[int(match.lastgroup[1:])][0]
            for name, pattern, before, after in _CONTAINS if inner else ():
                found = pattern.search(stripped)
                if found and found.start() <= before and size - found.end() <= after:
                    return name
    if size <= _FRAGMENT_CHARS and (
        _TIME_ONLY.fullmatch(stripped) or (len(_WORD.findall(stripped)) < _MIN_WORDS and not _CLOSED.search(stripped))
    ):
        return "fragment"
    return ""


def reasons(texts: Iterable[str]) -> np.ndarray:
    """`reason` of each text, as an object array ("" for content)."""
    found = [reason(text) for text in texts]
    out = np.empty(len(found), dtype=object)
    out[:] = found
    return out
