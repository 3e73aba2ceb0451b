"""The Import page: upload article files or paste one; its sentences join the store at once."""

from __future__ import annotations

import streamlit as st

from annotator import read
from annotator.records import Article
from annotator.ui import common

UPLOAD_TYPES = ["txt", "html", "htm", "jsonl", "csv"]


def render() -> None:
    st.title("Import articles")
    store = common.store()
    with st.form("upload", clear_on_submit=True):
        files = st.file_uploader(
            "Article files (.txt, .html, .jsonl, .csv)", type=UPLOAD_TYPES, accept_multiple_files=True
        )
        uploaded = st.form_submit_button("Import files", key="import_files")
    with st.form("paste", clear_on_submit=True):
        title = st.text_input("Title", key="import_title")
        outlet = st.text_input("Outlet", key="import_outlet", help="Its kind (state media, official, independent) comes from the registry.")
        url = st.text_input("URL (optional)", key="import_url")
        text = st.text_area("Article text", height=240, key="import_text")
        pasted = st.form_submit_button("Import pasted article", key="import_pasted")
    if uploaded and files:
        articles, problems = [], []
        for file in files:
            try:
                items = read.articles_from_upload(file.name, file.getvalue())
            except ValueError as error:  # a file that cannot be read at all: say so, import the others
                problems.append(str(error))
                continue
            for item in items:
                if isinstance(item, Article):
                    articles.append(item)
                else:
                    problems.append(f"{item.source}: {item.reason}")
        _add(store, articles, problems)
    if pasted:
        if not text.strip():
            st.error("Paste the article text first.")
        else:
            _add(store, [read.article_from_text(text, title=title, outlet=outlet, url=url)], [])
    st.caption(f"The store holds {len(common.article_titles(store))} articles.")


def _add(store, articles: list[Article], problems: list[str]) -> None:
    counts = store.add_articles(articles)
    st.success(
        f"Articles: {counts.articles_new} new, {counts.articles_known} already known · "
        f"sentences: {counts.sentences_new} new, {counts.sentences_known} already known"
    )
    for problem in [*problems, *counts.skipped]:
        st.warning(common.plain(problem))  # names files and their headers: untrusted


if __name__ == "__main__":  # run as a page by st.navigation
    render()
