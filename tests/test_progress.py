"""Team pace: labels per reviewer today and in all, labels per hour over active hours, skip rate, ETA."""

from __future__ import annotations

from datetime import datetime, timezone

import pandas as pd
import pytest

from annotator import progress

NOW = datetime(2026, 11, 30, 15, 0, tzinfo=timezone.utc)


def rows(*given: tuple[str, str, str]) -> pd.DataFrame:
    return pd.DataFrame(given, columns=["reviewer", "label", "time"]).assign(origin="app")


def test_pace_counts_only_the_hours_with_labels_and_today_is_utc() -> None:
    labels = rows(
        ("ann", "a", "2026-11-30T09:00:00Z"), ("ann", "a", "2026-11-30T09:30:00Z"), ("ann", "skip", "2026-11-30T14:10:00Z"),
        ("ann", "b", "2026-11-30T14:20:00Z"), ("bob", "a", "2026-11-29T23:59:59Z"), ("bob", "b", "2026-11-01T10:00:00Z"),
    )
    stats = progress.per_reviewer(labels, "skip", NOW).set_index("reviewer")
    assert stats.loc["ann", ["today", "total"]].tolist() == [4, 4] and stats.loc["bob", "today"] == 0
    assert stats.loc["ann", "per_hour"] == pytest.approx(2.0)  # 4 labels in 2 hours with labels, not 5 hours
    assert stats.loc["bob", "per_hour"] == pytest.approx(1.0)  # the label older than a week does not count
    assert stats.loc["ann", "skip_rate"] == pytest.approx(0.25)
    assert progress.team_pace(stats, NOW) == pytest.approx(3.0)  # both labelled within the last day
    assert progress.eta_hours(30, 3.0) == pytest.approx(10.0) and progress.eta_hours(5, 0.0) is None
    assert progress.describe_eta(0.25) == "about 15 minutes" and progress.describe_eta(None) == "no one is labelling now"
    per_day = progress.daily(labels, days=3, now=NOW)
    assert per_day["labels"].sum() == 5  # the two days shown of bob's, and ann's today


def test_no_labels_give_empty_figures() -> None:
    empty = rows()
    assert progress.per_reviewer(empty, "skip", NOW).empty and progress.team_pace(pd.DataFrame(), NOW) == 0.0
    assert progress.daily(empty).empty
