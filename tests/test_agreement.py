"""Agreement statistics against published worked examples and scikit-learn."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score

from annotator import agreement
from annotator.agreement import (
    cohen_kappa,
    disagreements,
    krippendorff_alpha,
    overlap,
    pairwise_kappa,
    per_label_agreement,
)


def frame(table: dict[str, list[object]]) -> pd.DataFrame:
    """Long labels frame from {reviewer: [label per sentence or None]}."""
    rows = [
        {"sentence_id": f"s{i}", "reviewer": reviewer, "label": str(value)}
        for reviewer, values in table.items()
        for i, value in enumerate(values)
        if value is not None
    ]
    return pd.DataFrame(rows)


# Krippendorff (2011), "Computing Krippendorff's alpha-reliability", the four-coder example with missing data.
KRIPPENDORFF = {
    "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    "C": [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
}


def test_alpha_matches_krippendorffs_worked_example() -> None:
    assert krippendorff_alpha(frame(KRIPPENDORFF)) == pytest.approx(0.743, abs=5e-4)


def test_alpha_ignores_sentences_with_a_single_label() -> None:
    labels = frame(KRIPPENDORFF)
    assert overlap(labels).shape[0] == 11  # the last sentence has one label only
    extra = pd.concat([labels, pd.DataFrame([{"sentence_id": "lonely", "reviewer": "A", "label": "9"}])])
    assert krippendorff_alpha(extra) == krippendorff_alpha(labels)


def test_kappa_matches_the_textbook_example_and_sklearn() -> None:
    # 50 items: yes/yes 20, yes/no 5, no/yes 10, no/no 15 -> kappa 0.4
    a = ["yes"] * 25 + ["no"] * 25
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert cohen_kappa(a, b) == pytest.approx(0.4)
    assert cohen_kappa(a, b) == pytest.approx(cohen_kappa_score(a, b))


def test_pairwise_kappa_uses_only_shared_sentences() -> None:
    table = pairwise_kappa(frame(KRIPPENDORFF))
    row = table[(table.reviewer_a == "A") & (table.reviewer_b == "C")].iloc[0]
    assert row.n == 8
    shared = range(1, 9)  # s0 lacks C, s9 onwards lack A
    a = [str(KRIPPENDORFF["A"][i]) for i in shared]
    c = [str(KRIPPENDORFF["C"][i]) for i in shared]
    assert row.kappa == pytest.approx(cohen_kappa_score(a, c))
    assert len(table) == 6


def test_perfect_agreement_and_degenerate_cases() -> None:
    same = frame({"x": ["a", "b", "a"], "y": ["a", "b", "a"]})
    assert krippendorff_alpha(same) == pytest.approx(1.0)
    assert disagreements(same).empty
    one_value = frame({"x": ["a", "a"], "y": ["a", "a"]})
    assert math.isnan(krippendorff_alpha(one_value))
    assert math.isnan(cohen_kappa(["a", "a"], ["a", "a"]))
    assert math.isnan(krippendorff_alpha(frame({"x": ["a"]})))


def test_per_label_agreement_and_disagreement_list() -> None:
    labels = frame({"x": ["a", "a", "b", "skip"], "y": ["a", "b", "b", "a"]})
    per_label = per_label_agreement(labels).set_index("label")
    assert per_label.loc["a", "pairable"] == 4
    assert per_label.loc["a", "agreement"] == pytest.approx(0.5)  # 2 of a's 4 pairable values matched
    assert per_label.loc["skip", "agreement"] == 0
    found = disagreements(labels)
    assert list(found.sentence_id) == ["s1", "s3"]
    assert found.loc[found.sentence_id == "s3", "labels"].iloc[0] == ["a", "skip"]
    assert set(found.columns) == {"sentence_id", "labels", "x", "y"}


def test_missing_columns_are_named() -> None:
    with pytest.raises(ValueError, match="reviewer"):
        overlap(pd.DataFrame({"sentence_id": ["s"], "label": ["a"]}))


def test_open_disputes_come_one_per_sentence_with_every_vote_and_settled_ones_drop_out() -> None:
    labels = pd.DataFrame(
        [("s1", "ann", "a"), ("s1", "bob", "b"), ("s2", "ann", "a"), ("s2", "bob", "a"), ("s3", "ann", "b"),
         ("s3", "bob", "c"), ("s3", "cy", "b")],
        columns=["sentence_id", "reviewer", "label"],
    ).assign(article_id="art", start=lambda f: f["sentence_id"].str[1].astype(int), outlet="RT")
    disputes = agreement.to_settle(labels, adjudicated=set())
    assert disputes["sentence_id"].tolist() == ["s1", "s3"]
    assert disputes["votes"].iloc[1] == {"ann": "b", "bob": "c", "cy": "b"} and disputes["pair"].iloc[1] == ("b", "c")
    assert agreement.to_settle(labels, adjudicated={"s1"})["sentence_id"].tolist() == ["s3"]
    figures = agreement.per_reviewer(labels[["sentence_id", "reviewer", "label"]]).set_index("reviewer")
    assert figures.loc["ann", "shared"] == 3 and figures.loc["ann", "disputes"] == 2
    assert figures.loc["ann", "agreement"] == 2 / 4  # s1: bob no; s2: bob yes; s3: bob no, cy yes


def test_summary_holds_the_same_figures_as_the_functions_one_by_one() -> None:
    labels = frame(KRIPPENDORFF)
    figures = agreement.summarize(labels)
    assert figures.shared == 11
    assert figures.alpha == pytest.approx(0.743, abs=5e-4)
    pd.testing.assert_frame_equal(figures.pairwise, pairwise_kappa(labels))
    pd.testing.assert_frame_equal(figures.per_label, per_label_agreement(labels))
    pd.testing.assert_frame_equal(figures.disputes, disagreements(labels))
    assert agreement.to_settle(labels, set(), figures.disputes).equals(agreement.to_settle(labels, set()))
    empty = agreement.summarize(frame({"A": [1], "B": [None]}))
    assert empty.shared == 0 and math.isnan(empty.alpha) and empty.disputes.empty
