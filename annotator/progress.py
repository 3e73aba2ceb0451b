"""How the team is doing: labels per reviewer today and in total, labels per hour, skip rate, and when the queue
will be done at the current pace. Plain functions over the store's label rows (`Store.label_times`)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pandas as pd

ACTIVE_DAYS = 7  # the pace is measured over the hours with labels in the last week
COLUMNS = ["reviewer", "today", "total", "per_hour", "skip_rate", "last_label"]


def _times(column: pd.Series) -> pd.Series:
    return pd.to_datetime(column, utc=True, format="ISO8601", errors="coerce")


def per_reviewer(rows: pd.DataFrame, skip: str, now: datetime | None = None) -> pd.DataFrame:
    """One row per reviewer: labels given today (UTC) and in all, labels per hour over the hours they labelled in
    the last week (so a break does not count as slow work), the share of skips, and their latest label's time."""
    if rows.empty:
        return pd.DataFrame(columns=COLUMNS)
    now = now or datetime.now(timezone.utc)
    frame = rows.assign(at=_times(rows["time"])).dropna(subset=["at"])
    today = pd.Timestamp(now).normalize()
    recent = frame[frame["at"] >= pd.Timestamp(now) - timedelta(days=ACTIVE_DAYS)]
    hours = recent.assign(hour=recent["at"].dt.floor("h")).groupby("reviewer")["hour"].nunique()
    grouped = frame.groupby("reviewer")
    out = pd.DataFrame({
        "today": grouped["at"].apply(lambda at: int((at >= today).sum())),
        "total": grouped.size(),
        "per_hour": recent.groupby("reviewer").size().div(hours).reindex(grouped.size().index).fillna(0.0),
        "skip_rate": grouped["label"].apply(lambda labels: float((labels == skip).mean())),
        "last_label": grouped["at"].max(),
    })
    return out.reset_index()[COLUMNS].sort_values("reviewer", kind="stable").reset_index(drop=True)


def team_pace(stats: pd.DataFrame, now: datetime | None = None) -> float:
    """Labels per hour of the reviewers who labelled in the last day, added up: the team's current pace."""
    if stats.empty:
        return 0.0
    now = now or datetime.now(timezone.utc)
    active = stats[stats["last_label"] >= pd.Timestamp(now) - timedelta(days=1)]
    return float(active["per_hour"].sum())


def eta_hours(remaining: int, per_hour: float) -> float | None:
    """Hours until `remaining` labels are done at `per_hour`; None when nobody is labelling."""
    return remaining / per_hour if per_hour > 0 else None


def daily(rows: pd.DataFrame, days: int = 14, now: datetime | None = None) -> pd.DataFrame:
    """Labels per reviewer per day over the last `days` days (UTC): reviewer, day, labels (for a chart)."""
    if rows.empty:
        return pd.DataFrame(columns=["reviewer", "day", "labels"])
    now = now or datetime.now(timezone.utc)
    frame = rows.assign(at=_times(rows["time"])).dropna(subset=["at"])
    frame = frame[frame["at"] >= pd.Timestamp(now).normalize() - timedelta(days=days - 1)]
    counted = frame.assign(day=frame["at"].dt.floor("D")).groupby(["reviewer", "day"]).size().rename("labels")
    return counted.reset_index()


def describe_eta(hours: float | None) -> str:
    """"about 3.5 hours", "about 2 days", or "no one is labelling now"."""
    if hours is None:
        return "no one is labelling now"
    if hours < 1:
        return f"about {max(round(hours * 60), 1)} minutes"
    return f"about {hours:.1f} hours" if hours < 48 else f"about {hours / 24:.0f} days"
