"""Compare sentence splitters: boundary F1 on our gold passages and on PTC articles, and sentences per second.

Run: `PYTHONPATH=. .venv/bin/python bench/segment.py [--articles 500] [--only blingfire annotator.segment]`.
PTC and the press releases are read from `../shared` (skipped when missing). Prints one row per splitter;
`annotator.segment` is blingfire plus our rules. A gold boundary is the end of every sentence but the last.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import blingfire
import pysbd
from nltk.tokenize.punkt import PunktSentenceTokenizer
from syntok import segmenter

from annotator.segment import split_spans

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
GOLD = REPO / "bench" / "data" / "segment_gold.jsonl"
Spans = list[tuple[int, int]]

_REGEX_BREAK = re.compile(r"(?<=[.!?])[\"'”’)]*\s+(?=[\"'“‘(]?[A-Z0-9])|\n+")


def _stripped(text: str, spans: Iterable[tuple[int, int]]) -> Spans:
    """The spans with surrounding whitespace removed and empty ones dropped."""
    out = []
    for start, end in spans:
        chunk = text[start:end]
        body = chunk.strip()
        if body:
            first = start + len(chunk) - len(chunk.lstrip())
            out.append((first, first + len(body)))
    return out


def _locate(text: str, pieces: Iterable[str]) -> Spans:
    """Spans of the pieces found in order in `text` (for libraries that return strings only)."""
    spans, cursor = [], 0
    for piece in pieces:
        piece = piece.strip()
        found = text.find(piece, cursor) if piece else -1
        if found >= 0:
            spans.append((found, found + len(piece)))
            cursor = found + len(piece)
    return spans


def regex_spans(text: str) -> Spans:
    cuts = [0, *(m.start() for m in _REGEX_BREAK.finditer(text)), len(text)]
    return _stripped(text, zip(cuts, cuts[1:]))


def blingfire_spans(text: str) -> Spans:
    return _locate(text, blingfire.text_to_sentences(text).split("\n"))


_PYSBD = pysbd.Segmenter(language="en", clean=False, char_span=True)


def pysbd_spans(text: str) -> Spans:
    return _stripped(text, ((s.start, s.end) for s in _PYSBD.segment(text)))


def syntok_spans(text: str) -> Spans:
    spans = []
    for paragraph in segmenter.analyze(text):
        for sentence in paragraph:
            spans.append((sentence[0].offset, sentence[-1].offset + len(sentence[-1].value)))
    return _stripped(text, spans)


_PUNKT = PunktSentenceTokenizer()


def punkt_spans(text: str) -> Spans:
    return _stripped(text, _PUNKT.span_tokenize(text))


CANDIDATES: dict[str, Callable[[str], Spans]] = {
    "regex baseline": regex_spans,
    "nltk punkt (untrained)": punkt_spans,
    "syntok": syntok_spans,
    "pysbd": pysbd_spans,
    "blingfire": blingfire_spans,
    "annotator.segment": split_spans,
}


def gold_cases() -> list[tuple[str, set[int]]]:
    """(text, boundary offsets) from our gold file: a boundary is the end of every sentence but the last."""
    cases = []
    for line in GOLD.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        spans = _locate(item["text"], item["sentences"])
        cases.append((item["text"], {end for _, end in spans[:-1]}))
    return cases


def ptc_cases() -> list[tuple[str, set[int]]]:
    """PTC articles (one sentence per line) joined with spaces; the title line is left out, as nothing marks its end."""
    cases = []
    for path in sorted((SHARED / "corpus" / "ptc" / "train-articles").glob("*.txt")):
        lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()[2:] if line.strip()]
        text = " ".join(lines)
        cases.append((text, {end for _, end in _locate(text, lines)[:-1]}))
    return cases


def boundary_f1(splitter: Callable[[str], Spans], cases: list[tuple[str, set[int]]]) -> tuple[float, float, float]:
    """Micro precision, recall and F1 of predicted sentence ends against gold ones."""
    hits = predicted = expected = 0
    for text, gold in cases:
        found = {end for _, end in splitter(text)[:-1]}
        hits += len(found & gold)
        predicted += len(found)
        expected += len(gold)
    precision = hits / predicted if predicted else 0.0
    recall = hits / expected if expected else 0.0
    return precision, recall, 2 * precision * recall / (precision + recall) if hits else 0.0


def press_texts(limit: int) -> list[str]:
    texts = []
    for path in sorted((SHARED / "corpus" / "press_releases").glob("*.jsonl")):
        with path.open(encoding="utf-8") as lines:
            texts.extend(json.loads(line)["text"] for line, _ in zip(lines, range(limit)))
    return texts[:limit]


def sentences_per_second(splitter: Callable[[str], Spans], texts: list[str], budget: float = 10.0) -> float:
    """Best of up to three timed passes (fewer when a pass is slow), as other work shares the cores."""
    best, spent = 0.0, 0.0
    for _ in range(3):
        began = time.perf_counter()
        count = sum(len(splitter(text)) for text in texts)
        took = time.perf_counter() - began
        best, spent = max(best, count / took), spent + took
        if spent > budget:
            break
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=500, help="press releases timed (default 500)")
    parser.add_argument("--only", nargs="*", default=list(CANDIDATES), help="splitters to run")
    args = parser.parse_args()
    gold = gold_cases()
    ptc = ptc_cases() if SHARED.exists() else []
    texts = press_texts(args.articles) if SHARED.exists() else []
    print(f"gold: {len(gold)} passages; PTC: {len(ptc)} articles; speed: {len(texts)} press releases")
    columns = ("gold P", "gold R", "gold F1", "PTC P", "PTC R", "PTC F1")
    print(f"{'splitter':<24} " + " ".join(f"{column:>7}" for column in columns) + f" {'sent/s':>9}")
    for name in args.only:
        splitter = CANDIDATES[name]
        gold_scores = boundary_f1(splitter, gold)
        ptc_scores = boundary_f1(splitter, ptc) if ptc else (float("nan"),) * 3
        speed = sentences_per_second(splitter, texts) if texts else float("nan")
        row = " ".join(f"{value:7.3f}" for value in (*gold_scores, *ptc_scores))
        print(f"{name:<24} {row} {speed:9,.0f}", flush=True)


if __name__ == "__main__":
    main()
