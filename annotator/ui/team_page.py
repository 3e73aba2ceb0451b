"""The Team page, for the lead: per reviewer labels today and in all, labels per hour, skip rate, agreement with
the others, and when the store will be labelled at the team's current pace; charts where a look says more."""

from __future__ import annotations

import altair as alt
import streamlit as st

from annotator import agreement, progress
from annotator.ui import common


def render() -> None:
    st.title("Team")
    store = common.store()
    scheme = common.scheme()
    rows = store.label_times()
    if rows.empty:
        st.info("No labels yet: the figures appear once reviewers label on the Label page.")
        return
    stats = progress.per_reviewer(rows, scheme.skip.key)
    shared = store.current_labels(shared=True)
    if len(shared):
        agreeing = agreement.per_reviewer(shared[["sentence_id", "reviewer", "label"]])[["reviewer", "agreement"]]
        stats = stats.merge(agreeing, on="reviewer", how="left")
    counts = store.counts()
    left_to_label = counts["sentences"] - counts["labelled_sentences"]
    pace = progress.team_pace(stats)
    first, second, third = st.columns(3)
    first.metric("Sentences no one has labelled", f"{left_to_label:,}")
    second.metric("Team pace (last day)", f"{pace:.0f} labels/hour")
    third.metric("Done at this pace", progress.describe_eta(progress.eta_hours(left_to_label, pace)))
    st.dataframe(stats, hide_index=True, column_config={
        "per_hour": st.column_config.NumberColumn("labels/hour", format="%.0f"),
        "skip_rate": st.column_config.NumberColumn("skips", format="percent"),
        "agreement": st.column_config.NumberColumn("agreement with others", format="percent"),
        "last_label": st.column_config.DatetimeColumn("last label", format="YYYY-MM-DD HH:mm"),
    })
    per_day = progress.daily(rows)
    if len(per_day):
        st.subheader("Labels per day")
        st.altair_chart(alt.Chart(per_day).mark_bar().encode(
            x=alt.X("day:T", title=None), y=alt.Y("labels:Q", title="labels"), color="reviewer:N",
            tooltip=["reviewer", alt.Tooltip("day:T", format="%Y-%m-%d"), "labels"]), width="stretch")
    st.subheader("Labels per hour")
    st.altair_chart(alt.Chart(stats).mark_bar().encode(
        x=alt.X("per_hour:Q", title="labels per hour (hours with labels, last week)"), y=alt.Y("reviewer:N", title=None),
        tooltip=["reviewer", alt.Tooltip("per_hour:Q", format=".0f")]), width="stretch")


if __name__ == "__main__":  # run as a page by st.navigation
    render()
