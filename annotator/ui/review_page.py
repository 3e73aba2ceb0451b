"""The Review page: the open disputes one at a time, in context, with each reviewer's label and the model's; an
adjudicator settles each with the labelling hotkeys. Filters by label pair, outlet and reviewer; agreement per
reviewer beside it."""

from __future__ import annotations

import streamlit as st

from annotator import agreement
from annotator.ui import common, keys

SKIPPED = "review_skipped"  # session key: disputes this adjudicator passed over for now


def render() -> None:
    st.title("Review")
    name = common.reviewer()
    if name is None:
        return
    if not common.may_adjudicate():
        st.info("Only adjudicators settle disputes (`annotator reviewer add NAME --role adjudicator`).")
        return
    store = common.store()
    scheme = common.scheme()
    labels = store.current_labels(shared=True)
    settled = set(store.adjudications()["sentence_id"])
    disputes = agreement.to_settle(labels, settled) if len(labels) else None
    main, side = st.columns([3, 1])
    with side:
        st.subheader("Agreement per reviewer")
        figures = agreement.per_reviewer(labels[["sentence_id", "reviewer", "label"]]) if len(labels) else None
        if figures is None or figures.empty:
            st.caption("No sentence has two reviewers yet.")
        else:
            st.dataframe(figures, hide_index=True, column_config={
                "agreement": st.column_config.NumberColumn(format="percent")})
    with main:
        if disputes is None or disputes.empty:
            st.success("No open disputes: every sentence two reviewers labelled differently is settled.")
            return
        chosen = _filtered(disputes, scheme)
        waiting = chosen[~chosen["sentence_id"].isin(st.session_state.get(SKIPPED, set()))]
        st.progress(1 - len(chosen) / max(len(disputes), 1),
                    text=f"{len(chosen)} open disputes here, {len(disputes)} in all; {len(settled)} settled")
        if waiting.empty:
            st.success("Nothing left to settle here." + (" (Some were passed over: **Start again** shows them.)"
                                                         if len(chosen) else ""))
            if len(chosen):
                st.button("Start again", key="review_again", on_click=lambda: st.session_state.pop(SKIPPED, None))
            return
        _show(store, name, waiting.iloc[0].to_dict())


def _filtered(disputes, scheme):
    """The disputes the filters let through: a pair of labels, an outlet, a reviewer."""
    names = {key: scheme.get(key).name for key in scheme.all_keys}
    pairs = sorted(set(disputes["pair"]))
    left, middle, right = st.columns(3)
    pair = left.selectbox("Labels in dispute", [None, *pairs], key="review_pair",
                          format_func=lambda p: "any" if p is None else " vs ".join(names[k] for k in p))
    outlet = middle.selectbox("Outlet", [None, *sorted(set(disputes["outlet"]))], key="review_outlet",
                              format_func=lambda o: "any" if o is None else (o or "(unknown)"))
    reviewers = sorted({name for votes in disputes["votes"] for name in votes})
    who = right.selectbox("Reviewer", [None, *reviewers], key="review_reviewer",
                          format_func=lambda r: "any" if r is None else r)
    keep = [(pair is None or row.pair == pair) and (outlet is None or row.outlet == outlet)
            and (who is None or who in row.votes) for row in disputes.itertuples()]
    return disputes[keep]


def _show(store, adjudicator: str, dispute: dict) -> None:
    scheme = common.scheme()
    sentence = store.sentence(dispute["sentence_id"])
    text = store.article(sentence["article_id"]).text
    loaded = common.current_model()
    suggestion = common.model_suggestion(store, loaded, sentence) if loaded else None
    common.sentence_view(sentence, text, suggestion, "review", between=common.votes_html(dispute["votes"]))
    (later,) = common.label_buttons("review", _settle, lambda key: (adjudicator, dispute["sentence_id"], key), extra=1)
    later.button("Later", key="review-later", shortcut="n", width="stretch", help="Pass over it for now (n).",
                 on_click=_later, args=(dispute["sentence_id"],))
    if suggestion:
        st.button(f"Accept the model's: {scheme.get(suggestion.label).name}", key="review-accept", shortcut="Enter",
                  on_click=_settle, args=(adjudicator, dispute["sentence_id"], suggestion.label))
    keys.bind({**keys.for_labels(scheme, "review"), "n": "review-later", "Enter": "review-accept"})


def _settle(adjudicator: str, sentence_id: str, label: str) -> None:
    """Record the final label (an adjudication, by this adjudicator) before the next dispute is drawn."""
    common.store().adjudicate(sentence_id, label, adjudicator, origin="review")
    st.toast(f"Settled: {common.scheme().get(label).name}")


def _later(sentence_id: str) -> None:
    st.session_state.setdefault(SKIPPED, set()).add(sentence_id)


if __name__ == "__main__":  # run as a page by st.navigation
    render()
