"""The Agreement page: kappa per reviewer pair, Krippendorff's alpha, per-label agreement, adjudication."""

from __future__ import annotations

import math
from pathlib import Path

import streamlit as st

from annotator import agreement
from annotator.ui import common


def render() -> None:
    st.title("Agreement")
    store = common.store()
    scheme = common.scheme()
    _overlap_setting()
    labels = store.current_labels(shared=True)[["sentence_id", "reviewer", "label", "text"]]
    figures = agreement.summarize(labels)
    if not figures.shared:
        st.info("No sentence has labels from two reviewers yet. Raise the overlap share so reviewers meet.")
        return
    left, right = st.columns(2)
    left.metric("Krippendorff's alpha (nominal)", "–" if math.isnan(figures.alpha) else f"{figures.alpha:.3f}")
    right.metric("Sentences with ≥2 reviewers", figures.shared)
    st.subheader("Cohen's kappa per pair")
    st.dataframe(figures.pairwise, hide_index=True)
    st.subheader("Agreement per label")
    per_label = figures.per_label.assign(label=[scheme.get(key).name for key in figures.per_label["label"]])
    st.dataframe(per_label, hide_index=True)
    _disagreements(store, labels, figures.disputes)


def _overlap_setting() -> None:
    def keep() -> None:
        st.session_state[common.OVERLAP_SHARE] = st.session_state["overlap_slider"]

    st.slider(
        "Overlap share of your queue", 0.0, 0.5, float(st.session_state.get(common.OVERLAP_SHARE, 0.0)), 0.05,
        key="overlap_slider", on_change=keep,
        help="This share of your Label queue comes from sentences another reviewer labelled and you have not.",
    )


def _disagreements(store, labels, found) -> None:
    """The disputes as a table (display names, each reviewer's label), settled one by one on the Review page."""
    scheme = common.scheme()
    st.subheader("Disagreements")
    settled = store.adjudications().set_index("sentence_id")["label"]
    disputes = agreement.to_settle(labels, set(), found)
    if disputes.empty:
        st.success("The reviewers agree on every shared sentence.")
        return
    names = {key: scheme.get(key).name for key in scheme.all_keys}
    table = disputes[["sentence_id", "text"]].assign(
        votes=[", ".join(f"{who}: {names[label]}" for who, label in sorted(votes.items())) for votes in disputes["votes"]],
        final=[names.get(settled.get(sid), "") for sid in disputes["sentence_id"]],
    )
    st.dataframe(table, hide_index=True, column_config={"text": st.column_config.TextColumn(width="large")})
    open_count = int((table["final"] == "").sum())
    st.page_link(Path(__file__).resolve().parent / "review_page.py",
                 label=f"Settle the {open_count} open disputes one by one on the Review page")


if __name__ == "__main__":  # run as a page by st.navigation
    render()
