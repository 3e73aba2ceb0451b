"""The Highlight page: a new article's sentences tinted by predicted label (as in the HTML report), each correctable."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from annotator import read, report, score
from annotator.records import Article
from annotator.ui import common

ARTICLE = "highlight_article"


def render() -> None:
    st.title("Highlight")
    loaded = common.current_model()
    if loaded is None:
        st.warning("No model yet: train one on the Model page (or `annotator train`), then come back.")
        return
    with st.form("highlight"):
        title = st.text_input("Title")
        outlet = st.text_input("Outlet")
        text = st.text_area("Article text", height=200)
        upload = st.file_uploader("... or one article file", type=["txt", "html", "htm"])
        if st.form_submit_button("Highlight"):
            st.session_state[ARTICLE] = _article(text, title, outlet, upload)
    article: Article | None = st.session_state.get(ARTICLE)
    if article is None:
        return
    scored = _scored(loaded.id, article)
    st.html(
        f"<style>{report.STYLE}</style><div class='ann-report'>{report.legend_html(common.scheme())}"
        f"<div class='ann-text'>{report.highlight_html(article.text, scored, common.scheme())}</div></div>"
    )
    _corrections(article, scored)


@st.cache_data(show_spinner="Scoring ...", max_entries=16)
def _scored(model_id: str, article: Article) -> pd.DataFrame:
    """The article scored by the current model (cached per model and article, so each correction is instant)."""
    return score.score_article(article, common.current_model().pipeline)


def _article(text: str, title: str, outlet: str, upload) -> Article | None:
    if upload is not None:
        found = [item for item in read.articles_from_upload(upload.name, upload.getvalue()) if isinstance(item, Article)]
        if not found:
            st.error(f"{common.plain(upload.name)}: no article text found")
            return None
        return Article(**{**found[0].to_dict(), "title": title or found[0].title, "outlet": outlet or found[0].outlet})
    if not text.strip():
        st.error("Paste an article or choose a file.")
        return None
    return read.article_from_text(text, title=title, outlet=outlet)


def _corrections(article: Article, scored: pd.DataFrame) -> None:
    """Per sentence, one click on a label stores the article and that sentence with the label chosen."""
    scheme = common.scheme()
    st.subheader("Correct the model")
    name = common.reviewer()
    if name is None:
        return
    keys = scheme.all_keys
    for row in scored.itertuples(index=False):
        left, right = st.columns([3, 2])
        left.text(row.text)
        predicted = (f"boilerplate ({row.skip_reason})" if row.label == scheme.skip.key
                     else f"{scheme.get(row.label).name} ({row.confidence:.0%})")
        right.pills(
            f"predicted: {predicted}",
            keys,
            format_func=lambda key: scheme.get(key).name,
            key=f"correct-{row.sentence_id}",
            on_change=_store_correction,
            args=(article, row.sentence_id, name, row.label, float(row.confidence)),
        )


def _store_correction(article: Article, sentence_id: str, reviewer: str, predicted: str, confidence: float) -> None:
    label = st.session_state.get(f"correct-{sentence_id}")
    if label is None:
        return
    store = common.store()
    store.add_articles([article])
    store.annotate(sentence_id, label, reviewer, suggestion=predicted, suggestion_confidence=confidence,
                   origin="highlight")
    st.toast(f"Stored: {common.scheme().get(label).name}")


if __name__ == "__main__":  # run as a page by st.navigation
    render()
