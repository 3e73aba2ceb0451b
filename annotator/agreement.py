"""Inter-annotator agreement over sentences labelled by several reviewers: Cohen's kappa, Krippendorff's alpha.

Every function takes the store's current labels as a DataFrame with columns `sentence_id`, `reviewer` and
`label` (one row per reviewer and sentence). Skips count as a category: one reviewer skipping a sentence that
another labels is a disagreement worth adjudicating.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import krippendorff
import numpy as np
import pandas as pd
from sklearn.metrics import cohen_kappa_score

COLUMNS = ("sentence_id", "reviewer", "label")
CONTEXT = ("article_id", "start", "text", "title", "outlet", "outlet_kind")  # what `to_settle` keeps of a sentence


def overlap(labels: pd.DataFrame) -> pd.DataFrame:
    """The sentences labelled by two or more reviewers: one row per sentence, one column per reviewer (NaN = none)."""
    missing = [column for column in COLUMNS if column not in labels.columns]
    if missing:
        raise ValueError(f"labels frame lacks column(s) {', '.join(missing)}")
    frame = labels.drop_duplicates(["sentence_id", "reviewer"], keep="last")
    wide = frame.pivot(index="sentence_id", columns="reviewer", values="label")
    return wide[wide.notna().sum(axis=1) >= 2]


def cohen_kappa(a: pd.Series | list[str], b: pd.Series | list[str]) -> float:
    """Cohen's kappa of two reviewers' labels for the same items (scikit-learn's); NaN when chance agreement is
    certain (both used one and the same label throughout) or there are no items."""
    a, b = list(a), list(b)
    if len(a) != len(b):
        raise ValueError(f"cohen_kappa needs equal lengths, got {len(a)} and {len(b)}")
    if not a or len(set(a) | set(b)) < 2:
        return float("nan")
    return float(cohen_kappa_score(a, b))


@dataclass(frozen=True)
class Summary:
    """Every figure of `annotator agreement` and the Agreement page, from one `overlap` of the labels."""

    shared: int  # sentences with two or more reviewers
    alpha: float
    pairwise: pd.DataFrame
    per_label: pd.DataFrame
    disputes: pd.DataFrame


def summarize(labels: pd.DataFrame) -> Summary:
    """Alpha, kappa per pair, per-label agreement and the disagreements, pivoting the labels once, not once each."""
    wide = overlap(labels)
    return Summary(len(wide), _alpha(wide), _pairwise(wide), _per_label(wide), _disagreements(wide))


def pairwise_kappa(labels: pd.DataFrame) -> pd.DataFrame:
    """Cohen's kappa for every pair of reviewers over the sentences both labelled (`n` of them)."""
    return _pairwise(overlap(labels))


def _pairwise(wide: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for first, second in combinations(sorted(wide.columns), 2):
        both = wide[[first, second]].dropna()
        if both.empty:
            continue
        rows.append(
            {
                "reviewer_a": first,
                "reviewer_b": second,
                "n": len(both),
                "observed": float((both[first] == both[second]).mean()),
                "kappa": cohen_kappa(both[first], both[second]),
            }
        )
    return pd.DataFrame(rows, columns=["reviewer_a", "reviewer_b", "n", "observed", "kappa"])


def coincidences(labels: pd.DataFrame) -> pd.DataFrame:
    """Krippendorff's coincidence matrix (nominal): pairable values per category pair, over sentences with ≥2 labels."""
    return _coincidences(overlap(labels))


def _coincidences(wide: pd.DataFrame) -> pd.DataFrame:
    if wide.empty:
        return pd.DataFrame(dtype=float)
    long = wide.stack().rename("label").reset_index()
    counts = pd.crosstab(long["sentence_id"], long["label"]).astype(float)
    per_unit = counts.sum(axis=1).to_numpy()
    weights = 1.0 / (per_unit - 1.0)
    values = counts.to_numpy()
    matrix = values.T @ (values * weights[:, None]) - np.diag((values * weights[:, None]).sum(axis=0))
    return pd.DataFrame(matrix, index=counts.columns, columns=counts.columns)


def krippendorff_alpha(labels: pd.DataFrame) -> float:
    """Krippendorff's alpha for nominal data (the `krippendorff` package), any number of reviewers, missing labels
    allowed; NaN if undefined (fewer than two labels in use, or no sentence with two reviewers)."""
    return _alpha(overlap(labels))


def _alpha(wide: pd.DataFrame) -> float:
    categories = sorted(set(wide.stack().dropna())) if not wide.empty else []
    if len(categories) < 2:
        return float("nan")
    codes = wide.apply(lambda column: column.map({label: i for i, label in enumerate(categories)}))
    return float(krippendorff.alpha(reliability_data=codes.to_numpy(dtype=float).T, level_of_measurement="nominal"))


def per_label_agreement(labels: pd.DataFrame) -> pd.DataFrame:
    """For each label: how often a pairable value of it is matched by the other reviewers' (specific agreement)."""
    return _per_label(overlap(labels))


def _per_label(wide: pd.DataFrame) -> pd.DataFrame:
    matrix = _coincidences(wide)
    if matrix.empty:
        return pd.DataFrame(columns=["label", "pairable", "agreement"])
    totals = matrix.sum(axis=1)
    return pd.DataFrame(
        {
            "label": matrix.index,
            "pairable": totals.to_numpy(),
            "agreement": (pd.Series(np.diag(matrix), index=matrix.index) / totals).to_numpy(),
        }
    )


def disagreements(labels: pd.DataFrame) -> pd.DataFrame:
    """Sentences whose reviewers chose different labels: one row each, a column per reviewer, plus `labels` seen."""
    return _disagreements(overlap(labels))


def _disagreements(wide: pd.DataFrame) -> pd.DataFrame:
    differing = wide[_differs(wide)]
    out = differing.copy()
    seen = differing.stack().dropna().groupby(level=0).unique().reindex(differing.index) if len(differing) else []
    out.insert(0, "labels", [sorted(found) for found in seen])
    out.columns.name = None
    return out.reset_index()


def _differs(wide: pd.DataFrame) -> pd.Series:
    """Per sentence (row) of `overlap`'s frame, whether its reviewers chose different labels. Grouped over the long
    form: a row-wise `nunique` loops in Python, about a second for the shipped labels' 6,646 shared sentences."""
    if wide.empty:
        return pd.Series(False, index=wide.index, dtype=bool)
    return (wide.stack().dropna().groupby(level=0).nunique() > 1).reindex(wide.index, fill_value=False)


def to_settle(labels: pd.DataFrame, adjudicated: set[str], found: pd.DataFrame | None = None) -> pd.DataFrame:
    """The disputes still open, in article order: one row per sentence with `votes` (reviewer -> label), the sorted
    `pair` of labels seen (a tuple), and the context columns of `labels` (outlet, article_id, start, text, ...).
    `found` is `disagreements(labels)` when the caller has it already (a `Summary`'s `disputes`)."""
    found = disagreements(labels[list(COLUMNS)]) if found is None else found
    found = found[~found["sentence_id"].isin(adjudicated)]
    shown = [c for c in CONTEXT if c in labels.columns]
    context = labels.drop_duplicates("sentence_id").set_index("sentence_id")[shown]
    reviewers = [column for column in found.columns if column not in ("sentence_id", "labels")]
    where = context.reindex(found["sentence_id"].to_numpy()).to_dict("records")  # one lookup, not one per dispute
    rows = []
    for record, place in zip(found.to_dict("records"), where):
        votes = {name: record[name] for name in reviewers if isinstance(record[name], str)}
        rows.append({"sentence_id": record["sentence_id"], "votes": votes, "pair": tuple(record["labels"]), **place})
    columns = ["sentence_id", "votes", "pair", *shown]
    frame = pd.DataFrame(rows, columns=columns)
    order = [c for c in ("article_id", "start") if c in frame.columns]
    return frame.sort_values(order, kind="stable").reset_index(drop=True) if order else frame


def per_reviewer(labels: pd.DataFrame) -> pd.DataFrame:
    """Each reviewer's agreement with the others: sentences shared, share of pairwise comparisons that agree, and
    open disputes involving them."""
    wide = overlap(labels)
    differs = _differs(wide)
    rows = []
    for name in sorted(wide.columns):
        mine = wide[wide[name].notna()]
        others = mine.drop(columns=[name])
        same = others.eq(mine[name], axis=0).sum().sum()
        compared = others.notna().sum().sum()
        disputed = int(differs[wide[name].notna()].sum())
        rows.append({"reviewer": name, "shared": len(mine), "agreement": same / compared if compared else float("nan"),
                     "disputes": disputed})
    return pd.DataFrame(rows, columns=["reviewer", "shared", "agreement", "disputes"])
