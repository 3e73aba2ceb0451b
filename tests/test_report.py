"""The HTML report: untrusted text escaped, highlights that keep the text, legend, tables, the article cap."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from test_score import ARTICLES, write_inputs

from annotator import model, report, score
from annotator.records import Article
from annotator.scheme import load_scheme

HOSTILE = (
    "Officials said <script>alert(1)</script> was found in the statement.\n\n"
    "The minister added that <img src=x onerror=alert(1)> appeared twice. "
    'A reporter wrote "><b>bold</b> in the headline.'
)


def test_hostile_text_appears_escaped_never_as_tags(tmp_path: Path, trained_model: Path):
    folder = tmp_path / "in"
    folder.mkdir()
    article = {"title": '<script>alert("t")</script>', "outlet": '"><b>outlet', "url": "javascript:alert(1)", "text": HOSTILE}
    (folder / "hostile.jsonl").write_text(json.dumps(article) + "\n", encoding="utf-8")
    out = tmp_path / "report.html"
    score.score_paths([folder], trained_model, tmp_path / "out.jsonl", html=out, jobs=1, cues=True, progress=False)
    page = out.read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&#34;&gt;&lt;b&gt;bold&lt;/b&gt;" in page  # the quote escaped too (markupsafe writes &#34;)
    assert "<script" not in page.lower() and "<img" not in page.lower() and "<b>" not in page
    assert "javascript:" not in page  # only http(s) urls are shown, as links
    assert "http://" not in page and "https://" not in page and "<link" not in page  # self-contained


def test_highlight_keeps_the_text_and_tints_each_sentence(trained_model: Path):
    article = Article(id="h1", text=HOSTILE, outlet="Example Daily")
    scored = score.score_article(article, model.load(trained_model))
    fragment = report.highlight_html(article.text, scored)
    assert html.unescape(re.sub(r"<[^>]+>", "", fragment)) == article.text
    assert fragment.count('class="ann-s"') == len(scored)
    first = scored.iloc[0]
    colour = load_scheme().get(first["label"]).colour.lstrip("#")
    rgb = ",".join(str(int(colour[i:i + 2], 16)) for i in (0, 2, 4))
    assert f"rgba({rgb}," in fragment
    assert f"confidence {first['confidence']:.2f}" in fragment


def test_stronger_tint_for_higher_confidence():
    assert report._alpha(0.95, 3) > report._alpha(0.6, 3) > report._alpha(0.34, 3)


def test_legend_names_every_label_with_its_colour():
    legend = report.legend_html()
    for label in load_scheme().labels:
        assert html.escape(label.name) in legend and label.colour in legend


def test_report_caps_articles_but_counts_every_outlet(tmp_path: Path, trained_model: Path):
    inputs = write_inputs(tmp_path / "in", ARTICLES * 2)
    out = tmp_path / "report.html"
    result = score.score_paths([inputs], trained_model, tmp_path / "out.jsonl", html=out, max_report_articles=3,
                               jobs=1, progress=False)
    page = out.read_text(encoding="utf-8")
    assert page.count('<section class="ann-article"') == 3
    assert f"Showing the first 3 of {len(ARTICLES) * 2} articles" in page
    assert f"{result.articles} articles, {result.sentences} sentences" in page
    outlets = re.search(r"<h2>Per outlet</h2>(.*?)</table>", page, re.S).group(1)
    for outlet in {a["outlet"] or report.UNKNOWN_OUTLET for a in ARTICLES}:
        assert f"<td>{html.escape(outlet)}</td>" in outlets
    article_counts = [int(n) for n in re.findall(r'</td><td>[^<]*</td><td class="num">(\d+)</td><td class="num">\d+</td>', outlets)]
    assert sum(article_counts) == len(ARTICLES) * 2
    assert page.count('class="ann-bar"') == len({a["outlet"] for a in ARTICLES})


def test_render_report_from_scored_articles(trained_model: Path):
    pipeline = model.load(trained_model)
    articles = [Article(id=str(n), text=a["text"], title=a["title"], outlet=a["outlet"]) for n, a in enumerate(ARTICLES)]
    page = report.render_report([(a, score.score_article(a, pipeline)) for a in articles], title="Demo <run>")
    assert page.startswith("<!doctype html>") and "<title>Demo &lt;run&gt;</title>" in page
    assert report.STYLE.strip()[:20] in page
    assert page.count('<section class="ann-article"') == len(ARTICLES)


def test_report_says_why_in_words_and_marks_the_words_even_when_the_records_have_no_cues(tmp_path: Path,
                                                                                         trained_model: Path):
    inputs = write_inputs(tmp_path / "in")
    out = tmp_path / "report.html"
    score.score_paths([inputs], trained_model, tmp_path / "out.jsonl", html=out, jobs=1, progress=False)
    report = out.read_text(encoding="utf-8")
    assert "why: " in html.unescape(report) and "attributed to an official" in html.unescape(report)
    assert '<b class="ann-why ann-why-cue" title="reporting cue">' in report
    first = json.loads((tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert list(first) == list(score.record_schema())


def test_every_template_escapes_by_default() -> None:
    from annotator.render import render

    hostile = '<img src=x onerror=alert(1)>"'
    for name, values in [("heading.html", {"title": hostile, "outlet": hostile, "kind": hostile}),
                         ("marked.html", {"parts": [(hostile, "cue", hostile), (hostile, None, None)]}),
                         ("context.html", {"before": hostile, "after": hostile, "parts": [(hostile, None, None)]})]:
        page = render(name, **values)
        assert "<img" not in page and "&lt;img src=x onerror=alert(1)&gt;&#34;" in page, name
