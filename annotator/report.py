"""The highlighted HTML report: one self-contained file (inline CSS, no script, no network), every article text escaped
(the markup comes from the autoescaped templates of `annotator/render.py`; this module computes what goes in).

Sentences are tinted in their label's scheme colour, stronger the more confident the model; a tooltip gives the
probabilities and the cues. Boilerplate (label skip, with a `skip_reason`) is shown faint grey and is left out of
every share, count of claims and mean confidence. Only the first `max_articles` articles are rendered in full, so the file stays bounded
on huge runs; the per-outlet tables and chart are built from running totals and cover every article.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from annotator import outputs, why
from annotator.render import render, trusted
from annotator.records import Article
from annotator.scheme import Scheme, load_scheme

MAX_ARTICLES = 200
SKIP_ALPHA = 0.15
UNKNOWN_OUTLET = "(unknown outlet)"

STYLE = """
.ann-report { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222; max-width: 60rem;
  margin: 0 auto; padding: 1rem;  background: #fff;}
.ann-report h1, .ann-report h2, .ann-report h3 { line-height: 1.25; }
.ann-meta { color: #666; font-size: 0.9em; }
.ann-legend { display: flex; flex-wrap: wrap; gap: 0.5rem 1.25rem; margin: 0.5rem 0 1rem; padding: 0; list-style: none; }
.ann-legend li { display: flex; align-items: center; gap: 0.4rem; }
.ann-swatch { display: inline-block; width: 1rem; height: 1rem; border-radius: 3px; flex: none; }
.ann-text { white-space: pre-wrap; overflow-wrap: anywhere; }
.ann-s { border-radius: 3px; padding: 0.05em 0; border-bottom: 2px solid transparent; cursor: help; }
.ann-s:hover { outline: 1px solid #555; }
.ann-table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; font-size: 0.9em; }
.ann-table th, .ann-table td { border-bottom: 1px solid #ddd; padding: 0.25rem 0.6rem; text-align: left; }
.ann-table td.num, .ann-table th.num { text-align: right; font-variant-numeric: tabular-nums; }
.ann-chart { display: grid; grid-template-columns: minmax(8rem, 14rem) 1fr; gap: 0.3rem 0.75rem; align-items: center;
  margin: 0.5rem 0 1.5rem; font-size: 0.9em; }
.ann-bar { display: flex; height: 1.1rem; border-radius: 3px; overflow: hidden; background: #eee; }
.ann-bar span { display: block; height: 100%; }
.ann-article { border-top: 1px solid #ccc; margin-top: 1.5rem; padding-top: 0.5rem; }
""" + why.CSS


def _rgb(colour: str) -> tuple[int, int, int]:
    """`#rrggbb` (or `#rgb`) as an RGB triple."""
    digits = colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def _alpha(confidence: float, labels: int) -> float:
    """Tint strength: faint at chance level (1/labels), strong at certainty."""
    chance = 1 / max(labels, 2)
    strength = min(max((confidence - chance) / (1 - chance), 0.0), 1.0)
    return round(0.12 + 0.58 * strength, 3)


def legend_html(scheme: Scheme | None = None) -> str:
    """The label legend: a swatch, the display name and the definition (as a tooltip) per label."""
    scheme = scheme or load_scheme()
    return render("legend.html", labels=scheme.labels, skip=scheme.skip)


def _tooltip(row: dict, sentence: str, scheme: Scheme) -> str:
    if row["label"] == scheme.skip.key:
        return f"boilerplate, not a claim ({row.get('skip_reason') or 'skip'})"
    label = scheme.get(row["label"])
    probabilities = " · ".join(f"{item.name} {float(row[f'p_{item.key}']):.2f}" for item in scheme.labels)
    lines = [f"{label.name} (confidence {float(row['confidence']):.2f})", probabilities]
    if row.get("cues"):
        lines.append(f"why: {why.reason(sentence, why.terms_of(row['cues']))}")
    return "\n".join(lines)


def highlight_html(text: str, scored: pd.DataFrame, scheme: Scheme | None = None) -> str:
    """`text` as escaped HTML, each scored sentence (rows with start, end, label, confidence, p_*) a tinted span
    with the words behind its label marked (when the rows have cues).

    The text between sentences is kept as is (escaped); wrap the result in an element with class `ann-text` (or
    `white-space: pre-wrap`) to keep its line breaks.
    """
    return render("highlight.html", segments=_segments(text, scored, scheme or load_scheme()))


def _segments(text: str, scored: pd.DataFrame, scheme: Scheme) -> list[dict]:
    """The text between sentences (`plain`) and each sentence with its tint, tooltip and marked parts."""
    colours = {label.key: _rgb(label.colour) for label in (*scheme.labels, scheme.skip)}
    segments: list[dict] = []
    cursor = 0
    for row in scored.sort_values("start", kind="stable").to_dict("records"):
        start, end = int(row["start"]), int(row["end"])
        if start < cursor:  # overlapping spans cannot both be highlighted; keep the first
            continue
        alpha = SKIP_ALPHA if row["label"] == scheme.skip.key else _alpha(float(row["confidence"]), len(scheme.labels))
        segments.append({"plain": text[cursor:start]})
        segments.append({
            "plain": None, "label": row["label"], "title": _tooltip(row, text[start:end], scheme), "alpha": alpha,
            "rgb": ",".join(map(str, colours[row["label"]])),
            "parts": why.marked_parts(text[start:end], why.terms_of(row.get("cues"))),
        })
        cursor = end
    segments.append({"plain": text[cursor:]})
    return segments


def summary_row(article: Article, scored: pd.DataFrame, scheme: Scheme | None = None) -> dict:
    """One article's summary: identity, outlet, sentence and boilerplate counts, then count and share per label and
    mean confidence over the claims alone (boilerplate is no claim, so it is in no share)."""
    scheme = scheme or load_scheme()
    claims = scored[scored["label"] != scheme.skip.key] if len(scored) else scored
    total = len(claims)
    counts = claims["label"].value_counts() if total else pd.Series(dtype=int)
    row = {
        "article_id": article.id,
        "title": article.title,
        "outlet": article.outlet,
        "outlet_kind": str(scored["outlet_kind"].iloc[0]) if len(scored) else "",
        "source": article.source,
        "sentences": len(scored),
        "boilerplate": len(scored) - total,
    }
    for key in scheme.keys:
        row[f"n_{key}"] = int(counts.get(key, 0))
    for key in scheme.keys:
        row[f"share_{key}"] = round(row[f"n_{key}"] / total, 4) if total else 0.0
    row["mean_confidence"] = round(float(claims["confidence"].mean()), 4) if total else 0.0
    return row


def summary_schema(scheme: Scheme | None = None) -> dict[str, str]:
    """Column types of `summary_row`, for the table writers."""
    scheme = scheme or load_scheme()
    schema = {name: "str" for name in ("article_id", "title", "outlet", "outlet_kind", "source")}
    schema["sentences"] = "int"
    schema["boilerplate"] = "int"
    schema.update({f"n_{key}": "int" for key in scheme.keys})
    schema.update({f"share_{key}": "float" for key in scheme.keys})
    schema["mean_confidence"] = "float"
    return schema


@dataclass
class _OutletTotals:
    kind: str = ""
    articles: int = 0
    sentences: int = 0
    claims: int = 0
    confidence: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)


class ReportBuilder:
    """Collects scored articles one at a time; keeps the first `max_articles` in full and running totals for all."""

    def __init__(self, *, scheme: Scheme | None = None, max_articles: int = MAX_ARTICLES) -> None:
        self.scheme = scheme or load_scheme()
        self.max_articles = max_articles
        self.articles = 0
        self.sentences = 0
        self.failures = 0
        self._outlets: dict[str, _OutletTotals] = {}
        self._rows: list[dict] = []
        self._sections: list[str] = []

    def add(self, article: Article, scored: pd.DataFrame, summary: dict | None = None) -> None:
        """Count one scored article (its `summary_row` may be passed when already computed) and render it if room."""
        summary = summary or summary_row(article, scored, self.scheme)
        self.count(summary)
        if self.wants_articles:
            self._rows.append(summary)
            self._sections.append(self._article_html(len(self._sections), article, scored))

    def count(self, summary: dict) -> None:
        """Count one scored article in the totals from its `summary_row` alone, without rendering it."""
        self.articles += 1
        self.sentences += summary["sentences"]
        totals = self._outlets.setdefault(summary["outlet"] or UNKNOWN_OUTLET, _OutletTotals())
        totals.kind = totals.kind or summary["outlet_kind"]
        totals.articles += 1
        totals.sentences += summary["sentences"]
        claims = summary["sentences"] - summary.get("boilerplate", 0)
        totals.claims += claims
        totals.confidence += summary["mean_confidence"] * claims
        for key in self.scheme.keys:
            totals.counts[key] = totals.counts.get(key, 0) + summary[f"n_{key}"]

    @property
    def wants_articles(self) -> bool:
        """Whether the next article added is rendered in full (the first `max_articles` are)."""
        return len(self._sections) < self.max_articles

    def add_failure(self) -> None:
        self.failures += 1

    def _article_html(self, number: int, article: Article, scored: pd.DataFrame) -> str:
        meta = [article.outlet or UNKNOWN_OUTLET, *([scored["outlet_kind"].iloc[0]] if len(scored) else []),
                *([article.date] if article.date else [])]
        return render("article.html", number=number, title=article.title or article.id, meta=meta,
                      url=article.url if article.url.startswith(("http://", "https://")) else "",
                      segments=_segments(article.text, scored, self.scheme))

    def _shares(self, counts: dict[str, int], total: int) -> list[str]:
        return [f"{counts.get(key, 0) / total:.0%}" if total else "–" for key in self.scheme.keys]

    def _outlet_rows(self) -> list[dict]:
        return [
            {"name": outlet, "kind": totals.kind, "articles": totals.articles, "sentences": totals.sentences,
             "shares": self._shares(totals.counts, totals.claims),
             "mean": f"{totals.confidence / totals.claims:.2f}" if totals.claims else "–"}
            for outlet, totals in sorted(self._outlets.items(), key=lambda item: (-item[1].sentences, item[0]))
        ]

    def _article_rows(self) -> list[dict]:
        return [
            {"title": row["title"] or row["article_id"], "outlet": row["outlet"] or UNKNOWN_OUTLET,
             "sentences": row["sentences"], "mean": f"{row['mean_confidence']:.2f}",
             "shares": self._shares({key: row[f"n_{key}"] for key in self.scheme.keys},
                                    row["sentences"] - row.get("boilerplate", 0))}
            for row in self._rows
        ]

    def _chart(self) -> list[dict]:
        """Stacked bars of label shares per outlet, as plain CSS boxes."""
        return [
            {"name": outlet, "parts": [
                {"width": 100 * totals.counts.get(label.key, 0) / totals.claims, "colour": label.colour,
                 "title": f"{label.name}: {totals.counts.get(label.key, 0) / totals.claims:.0%}"}
                for label in self.scheme.labels]}
            for outlet, totals in sorted(self._outlets.items(), key=lambda item: (-item[1].sentences, item[0]))
            if totals.claims
        ]

    def html(self, *, title: str = "Annotator report", note: str = "") -> str:
        """The whole report as one HTML document."""
        return render(
            "report.html", title=title, note=note, style=trusted(STYLE), articles=self.articles,
            sentences=self.sentences, failures=self.failures, labels=self.scheme.labels, skip=self.scheme.skip,
            chart=self._chart(), outlets=self._outlet_rows(), rows=self._article_rows(), shown=len(self._sections),
            sections=[trusted(section) for section in self._sections],  # rendered by article.html
        ) + "\n"

    def write(self, path: str | Path, **kwargs: str) -> Path:
        """Write the report to `path`, through a temporary file (see `outputs`)."""
        return outputs.write_text(path, self.html(**kwargs))


def render_report(
    scored_articles: Iterable[tuple[Article, pd.DataFrame]],
    *,
    scheme: Scheme | None = None,
    max_articles: int = MAX_ARTICLES,
    title: str = "Annotator report",
    note: str = "",
) -> str:
    """The report for (article, scored sentences) pairs, as an HTML string (see `ReportBuilder`)."""
    builder = ReportBuilder(scheme=scheme, max_articles=max_articles)
    for article, scored in scored_articles:
        builder.add(article, scored)
    return builder.html(title=title, note=note)
