"""The Agreement page: kappa per reviewer pair, Krippendorff's alpha, per-label agreement, adjudication."""

from __future__ import annotations

import math

import streamlit as st

from annotator import agreement
from annotator.ui import common


def render() -> None:
    st.title("Agreement")
    store = common.store()
    scheme = common.scheme()
    _overlap_setting()
    labels = store.current_labels(shared=True)[["sentence_id", "reviewer", "label", "text"]]
    shared = agreement.overlap(labels)
    if shared.empty:
        st.info("No sentence has labels from two reviewers yet. Raise the overlap share so reviewers meet.")
        return
    alpha = agreement.krippendorff_alpha(labels)
    left, right = st.columns(2)
    left.metric("Krippendorff's alpha (nominal)", "–" if math.isnan(alpha) else f"{alpha:.3f}")
    right.metric("Sentences with ≥2 reviewers", len(shared))
    st.subheader("Cohen's kappa per pair")
    st.dataframe(agreement.pairwise_kappa(labels), hide_index=True)
    st.subheader("Agreement per label")
    per_label = agreement.per_label_agreement(labels)
    per_label["label"] = [scheme.get(key).name for key in per_label["label"]]
    st.dataframe(per_label, hide_index=True)
    _disagreements(store, labels)


def _overlap_setting() -> None:
    def keep() -> None:
        st.session_state[common.OVERLAP_SHARE] = st.session_state["overlap_slider"]

    st.slider(
        "Overlap share of your queue", 0.0, 0.5, float(st.session_state.get(common.OVERLAP_SHARE, 0.0)), 0.05,
        key="overlap_slider", on_change=keep,
        help="This share of your Label queue comes from sentences another reviewer labelled and you have not.",
    )


def _disagreements(store, labels) -> None:
    scheme = common.scheme()
    st.subheader("Disagreements")
    found = agreement.disagreements(labels[["sentence_id", "reviewer", "label"]])
    if found.empty:
        st.success("The reviewers agree on every shared sentence.")
        return
    final = store.final_labels()
    adjudicated = dict(zip(final.loc[final["decided_by"] == "adjudication", "sentence_id"],
                           final.loc[final["decided_by"] == "adjudication", "label"]))
    texts = dict(zip(labels["sentence_id"], labels["text"]))
    found.insert(1, "text", [texts[sid] for sid in found["sentence_id"]])
    found.insert(2, "final", [adjudicated.get(sid, "") for sid in found["sentence_id"]])
    found["labels"] = [", ".join(values) for values in found["labels"]]
    st.dataframe(found, hide_index=True)
    name = common.reviewer()
    if name is None:
        return
    if not common.may_adjudicate():
        st.info("Only adjudicators settle disputes (`annotator reviewer add NAME --role adjudicator`).")
        return
    with st.form("adjudicate"):
        st.selectbox("Sentence", found["sentence_id"], format_func=lambda sid: texts[sid][:120], key="adjudicate_sentence")
        st.radio("Final label", scheme.all_keys, format_func=lambda key: scheme.get(key).name, horizontal=True,
                 key="adjudicate_label")
        st.form_submit_button(f"Set final label as {name}", on_click=_adjudicate, args=(name,))


def _adjudicate(adjudicator: str) -> None:
    """Record the adjudicator's final label before the page redraws, so the table shows it."""
    label = st.session_state["adjudicate_label"]
    common.store().adjudicate(st.session_state["adjudicate_sentence"], label, adjudicator)
    st.toast(f"Final label set: {common.scheme().get(label).name} (by {common.plain(adjudicator)})")


if __name__ == "__main__":  # run as a page by st.navigation
    render()
