"""The highlighted HTML report: one self-contained file (inline CSS, no script, no network), every article text escaped.

Sentences are tinted in their label's scheme colour, stronger the more confident the model; a tooltip gives the
probabilities and the cues. Boilerplate (label skip, with a `skip_reason`) is shown faint grey and is left out of
every share, count of claims and mean confidence. Only the first `max_articles` articles are rendered in full, so the file stays bounded
on huge runs; the per-outlet tables and chart are built from running totals and cover every article.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from annotator import outputs, why
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


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


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
    items = "".join(
        f'<li title="{_esc(label.definition)}"><span class="ann-swatch" style="background:{_esc(label.colour)}"></span>'
        f"{_esc(label.name)}</li>"
        for label in scheme.labels
    )
    skip = scheme.skip
    items += (f'<li title="datelines, bylines, credits, adverts, prompts: not claims"><span class="ann-swatch" '
              f'style="background:{_esc(skip.colour)};opacity:0.4"></span>boilerplate (not a claim)</li>')
    return f'<ul class="ann-legend">{items}<li class="ann-meta">stronger colour = more confident</li></ul>'


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
    """`text` as escaped HTML, each scored sentence (rows with start, end, label, confidence, p_*) a tinted span.

    The text between sentences is kept as is (escaped); wrap the result in an element with class `ann-text` (or
    `white-space: pre-wrap`) to keep its line breaks.
    """
    scheme = scheme or load_scheme()
    colours = {label.key: _rgb(label.colour) for label in (*scheme.labels, scheme.skip)}
    parts: list[str] = []
    cursor = 0
    for row in scored.sort_values("start", kind="stable").to_dict("records"):
        start, end = int(row["start"]), int(row["end"])
        if start < cursor:  # overlapping spans cannot both be highlighted; keep the first
            continue
        red, green, blue = colours[row["label"]]
        alpha = SKIP_ALPHA if row["label"] == scheme.skip.key else _alpha(float(row["confidence"]), len(scheme.labels))
        parts.append(_esc(text[cursor:start]))
        parts.append(
            f'<span class="ann-s" data-label="{_esc(row["label"])}" title="{_esc(_tooltip(row, text[start:end], scheme))}" '
            f'style="background:rgba({red},{green},{blue},{alpha});border-bottom-color:rgb({red},{green},{blue})">'
            f"{why.marked_html(text[start:end], why.terms_of(row.get('cues')))}</span>"
        )
        cursor = end
    parts.append(_esc(text[cursor:]))
    return "".join(parts)


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
        title = article.title or article.id
        meta = [_esc(article.outlet or UNKNOWN_OUTLET)]
        if len(scored):
            meta.append(_esc(scored["outlet_kind"].iloc[0]))
        if article.date:
            meta.append(_esc(article.date))
        if article.url.startswith(("http://", "https://")):
            meta.append(f'<a href="{_esc(article.url)}" rel="noopener noreferrer nofollow">{_esc(article.url)}</a>')
        return (
            f'<section class="ann-article" id="article-{number}"><h3>{_esc(title)}</h3>'
            f'<p class="ann-meta">{" · ".join(meta)}</p>'
            f'<div class="ann-text">{highlight_html(article.text, scored, self.scheme)}</div></section>'
        )

    def _share_cells(self, counts: dict[str, int], total: int) -> str:
        return "".join(f'<td class="num">{counts.get(key, 0) / total:.0%}</td>' if total else '<td class="num">–</td>'
                       for key in self.scheme.keys)

    def _label_headers(self) -> str:
        return "".join(f'<th class="num">{_esc(label.name)}</th>' for label in self.scheme.labels)

    def _outlet_table(self) -> str:
        rows = []
        for outlet, totals in sorted(self._outlets.items(), key=lambda item: (-item[1].sentences, item[0])):
            mean = f"{totals.confidence / totals.claims:.2f}" if totals.claims else "–"
            rows.append(
                f"<tr><td>{_esc(outlet)}</td><td>{_esc(totals.kind)}</td><td class=\"num\">{totals.articles}</td>"
                f'<td class="num">{totals.sentences}</td>{self._share_cells(totals.counts, totals.claims)}'
                f'<td class="num">{mean}</td></tr>'
            )
        return (
            '<table class="ann-table"><thead><tr><th>outlet</th><th>kind</th><th class="num">articles</th>'
            f'<th class="num">sentences</th>{self._label_headers()}<th class="num">mean confidence</th></tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>"
        )

    def _article_table(self) -> str:
        rows = []
        for number, row in enumerate(self._rows):
            counts = {key: row[f"n_{key}"] for key in self.scheme.keys}
            rows.append(
                f'<tr><td><a href="#article-{number}">{_esc(row["title"] or row["article_id"])}</a></td>'
                f'<td>{_esc(row["outlet"] or UNKNOWN_OUTLET)}</td><td class="num">{row["sentences"]}</td>'
                f'{self._share_cells(counts, row["sentences"] - row.get("boilerplate", 0))}<td class="num">{row["mean_confidence"]:.2f}</td></tr>'
            )
        return (
            '<table class="ann-table"><thead><tr><th>article</th><th>outlet</th><th class="num">sentences</th>'
            f'{self._label_headers()}<th class="num">mean confidence</th></tr></thead><tbody>{"".join(rows)}</tbody></table>'
        )

    def _chart(self) -> str:
        """Stacked bars of label shares per outlet, as plain CSS boxes."""
        colours = {label.key: label.colour for label in self.scheme.labels}
        names = {label.key: label.name for label in self.scheme.labels}
        cells = []
        for outlet, totals in sorted(self._outlets.items(), key=lambda item: (-item[1].sentences, item[0])):
            if not totals.claims:
                continue
            segments = "".join(
                f'<span style="width:{100 * totals.counts.get(key, 0) / totals.claims:.2f}%;background:{_esc(colours[key])}" '
                f'title="{_esc(names[key])}: {totals.counts.get(key, 0) / totals.claims:.0%}"></span>'
                for key in self.scheme.keys
            )
            cells.append(f'<div>{_esc(outlet)}</div><div class="ann-bar">{segments}</div>')
        return f'<div class="ann-chart">{"".join(cells)}</div>'

    def html(self, *, title: str = "Annotator report", note: str = "") -> str:
        """The whole report as one HTML document."""
        shown = len(self._sections)
        more = (
            f"<p class=\"ann-meta\">Showing the first {shown} of {self.articles} articles; the per-outlet tables "
            "cover all of them, and the per-article summary file lists every article.</p>"
            if shown < self.articles else ""
        )
        failed = f", {self.failures} inputs failed" if self.failures else ""
        return (
            f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{_esc(title)}</title>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{STYLE}</style></head>'
            f'<body><main class="ann-report"><h1>{_esc(title)}</h1>'
            f'<p class="ann-meta">{self.articles} articles, {self.sentences} sentences{failed}. {_esc(note)}</p>'
            f"{legend_html(self.scheme)}<h2>Label shares per outlet</h2>{self._chart()}"
            f"<h2>Per outlet</h2>{self._outlet_table()}<h2>Per article</h2>{more}{self._article_table()}"
            f"<h2>Articles</h2>{''.join(self._sections)}</main></body></html>\n"
        )

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
