"""The classifier step: logistic regression in two passes, the second told what the first found in the whole article.

A sentence's label depends on the kind of article it is in: a wire story that attributes nearly everything to
officials, an editorial in the outlet's own voice, a report that relays a study. The first pass labels each sentence
from its own features; the second sees the same features and the article's *profile*: the mean of the first pass's
probabilities over the sentence's article. In training the profile is made of out-of-fold first-pass probabilities
(articles kept whole in each fold), so the second pass learns how far to trust the profile of an article the first
pass has not seen. Grouped cross-validation on the real labels: +0.011 macro-F1 over three fold seeds (README,
"The article's profile").

The article of each row comes as `groups` (article ids, rows of one article anywhere in the batch): a Pipeline routes
it with `fit(X, y, classifier__groups=...)` and `predict_proba(X, groups=...)`. Without groups, every row is an article
of its own, and its profile is its own first-pass probabilities.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

PROFILE = "article"  # the profile's feature names: "article: official_statement", one per label


class ArticleProfile(ClassifierMixin, BaseEstimator):
    """Logistic regression (C, class_weight, max_iter as LogisticRegression's) whose second pass also sees the
    article's profile; `folds` out-of-fold splits make the training profiles."""

    def __init__(self, C: float = 1.0, class_weight: Any = "balanced", max_iter: int = 3000, folds: int = 3) -> None:
        self.C = C
        self.class_weight = class_weight
        self.max_iter = max_iter
        self.folds = folds

    def _logistic(self, start: LogisticRegression | None = None, added: int = 0) -> LogisticRegression:
        """A logistic regression of these parameters; with `start`, its fit begins at that model's weights (and 0
        for `added` new columns): the same optimum, found in half the iterations."""
        found = LogisticRegression(C=self.C, class_weight=self.class_weight, max_iter=self.max_iter,
                                   warm_start=start is not None)
        if start is not None:
            found.coef_ = np.hstack([start.coef_, np.zeros((start.coef_.shape[0], added))])
            found.intercept_ = start.intercept_.copy()
        return found

    def fit(self, X, y, groups=None) -> ArticleProfile:
        X, y = sp.csr_matrix(X), np.asarray(y)
        codes = group_codes(groups, X.shape[0])
        self.first_ = self._logistic().fit(X, y)
        self.classes_ = self.first_.classes_
        profiled = self.with_profile(X, self._out_of_fold(X, y, codes), codes)
        self.second_ = self._logistic(self.first_, len(self.classes_)).fit(profiled, y)
        return self

    def _out_of_fold(self, X, y: np.ndarray, codes: np.ndarray) -> np.ndarray:
        """Each row's first-pass probabilities from a model fitted without its article (in-sample when there are
        too few articles to split); a label missing from a fold's training part gets probability 0. Each fold's fit
        starts at the first pass's weights, which did see the article, only to converge sooner: it stops at its own
        optimum, within the solver's tolerance."""
        proba = np.zeros((X.shape[0], len(self.classes_)))
        splits = min(self.folds, len(np.unique(codes)))
        if splits < 2:
            return self.first_.predict_proba(X)
        for train, test in GroupKFold(n_splits=splits).split(X, y, codes):
            present = np.unique(y[train])
            columns = np.searchsorted(self.classes_, present)
            if len(present) == 1:
                proba[np.ix_(test, columns)] = 1.0
                continue
            start = self.first_ if len(present) == len(self.classes_) else None
            proba[np.ix_(test, columns)] = self._logistic(start).fit(X[train], y[train]).predict_proba(X[test])
        return proba

    def with_profile(self, X, proba: np.ndarray, codes: np.ndarray):
        """X with the article profile appended: per row, the mean of `proba` over the rows of its article."""
        sums = np.zeros((codes.max() + 1 if len(codes) else 0, proba.shape[1]))
        np.add.at(sums, codes, proba)
        profile = sums[codes] / np.bincount(codes)[codes][:, None]
        return sp.hstack([sp.csr_matrix(X), sp.csr_matrix(profile)], format="csr")

    def augmented(self, X, groups=None):
        """The second pass's input for X: its features and the article profile after them (for explanations)."""
        X = sp.csr_matrix(X)
        codes = group_codes(groups, X.shape[0])
        return self.with_profile(X, self.first_.predict_proba(X), codes)

    def predict_proba(self, X, groups=None) -> np.ndarray:
        return self.second_.predict_proba(self.augmented(X, groups))

    def predict(self, X, groups=None) -> np.ndarray:
        return self.classes_[self.predict_proba(X, groups).argmax(axis=1)]

    @property
    def coef_(self) -> np.ndarray:
        """The second pass's weights: the features', then the profile's (one column per label, in `classes_`)."""
        return self.second_.coef_

    def profile_names(self) -> list[str]:
        return [f"{PROFILE}: {label}" for label in self.classes_]


def group_codes(groups, n_rows: int) -> np.ndarray:
    """Integer codes of the rows' articles; without groups, or for a row without an article id, a row is an article
    of its own."""
    if groups is None:
        return np.arange(n_rows, dtype=np.intp)
    ids = pd.Series(np.asarray(groups, dtype=object))
    if len(ids) != n_rows:
        raise ValueError(f"{len(ids)} article ids for {n_rows} rows")
    missing = (ids.isna() | (ids.astype(str) == "")).to_numpy()
    codes = pd.factorize(ids.where(~missing, None))[0].astype(np.intp)  # missing ids get -1
    codes[missing] = codes.max(initial=-1) + 1 + np.arange(missing.sum())
    return codes
