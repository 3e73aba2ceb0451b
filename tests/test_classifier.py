"""The classifier step: the article's profile decides what a sentence's own features leave open."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from annotator.classifier import ArticleProfile, group_codes

KINDS = {"official_statement": 0, "state_media_claim": 1, "independent_fact": 2}  # the column each kind's cue word sets


def articles(n_per_kind: int = 12) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """Articles of one kind each: three sentences with the kind's cue word, and one plain sentence (no feature but the
    bias column) labelled as its article: only the article can tell what a plain sentence is."""
    rows, labels, groups = [], [], []
    for kind, column in KINDS.items():
        for n in range(n_per_kind):
            for cue in (True, True, True, False):
                row = np.zeros(4)
                row[3] = 1.0
                if cue:
                    row[column] = 1.0
                rows.append(row)
                labels.append(kind)
                groups.append(f"{kind}-{n}")
    return sp.csr_matrix(np.array(rows)), np.array(labels), np.array(groups, dtype=object)


def test_the_article_decides_a_sentence_its_own_features_leave_open():
    X, y, groups = articles()
    fitted = ArticleProfile().fit(X, y, groups=groups)
    plain = sp.csr_matrix([[0, 0, 0, 1.0]])
    for kind, column in KINDS.items():
        article = sp.vstack([sp.csr_matrix([[1.0 if c == column else 0.0 for c in range(3)] + [1.0]])] * 3 + [plain])
        found = fitted.predict(article, groups=["new"] * 4)
        assert list(found) == [kind] * 4
    alone = fitted.predict_proba(plain)  # no article: the plain sentence is its own article, and stays open
    assert alone.max() < 0.6


def test_the_profile_is_the_mean_over_each_article_wherever_its_rows_are():
    X = sp.csr_matrix(np.ones((4, 1)))
    proba = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5], [0.0, 1.0]])
    profiled = ArticleProfile().with_profile(X, proba, group_codes(["a", "b", "a", "b"], 4)).toarray()
    assert profiled[:, 1:].tolist() == [[0.75, 0.25], [0.0, 1.0], [0.75, 0.25], [0.0, 1.0]]


def test_rows_without_an_article_are_articles_of_their_own():
    codes = group_codes(pd.Series(["a", None, "a", "", "b", np.nan]), 6)
    assert codes[0] == codes[2] and len(set(codes)) == 5
    assert list(group_codes(None, 3)) == [0, 1, 2] and len(group_codes([], 0)) == 0
    with pytest.raises(ValueError, match="2 article ids for 3 rows"):
        group_codes(["a", "b"], 3)


def test_training_with_one_article_or_a_fold_missing_a_label_still_fits():
    X, y, groups = articles(n_per_kind=1)
    one = ArticleProfile().fit(X, y)  # no groups: every row its own article
    assert one.predict_proba(X).shape == (len(y), 3)
    few = ArticleProfile(folds=3).fit(X, y, groups=groups)  # three articles, one per label: each fold lacks one
    assert list(few.classes_) == sorted(KINDS) and np.isfinite(few.predict_proba(X, groups=groups)).all()
