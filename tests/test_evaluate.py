"""Evaluation: grouped folds, cross-validation metrics, calibration, the rule baseline, the report forms."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from test_model import labelled_frame

from annotator import evaluate, features
from annotator.scheme import load_scheme


def test_no_article_is_on_both_sides_of_a_fold():
    frame = labelled_frame(12)
    frame.loc[frame.index[:4], "article_id"] = ""  # rows without an article form groups of their own
    seen_in_test = []
    for train, test in evaluate.grouped_folds(frame, 3):
        train_articles = set(frame["article_id"].iloc[train]) - {""}
        test_articles = set(frame["article_id"].iloc[test]) - {""}
        assert not train_articles & test_articles
        seen_in_test += test.tolist()
    assert sorted(seen_in_test) == list(range(len(frame)))


def test_rows_without_an_article_are_each_their_own_group():
    frame = pd.DataFrame({"article_id": ["a", "a", "", None]})
    groups = evaluate.article_groups(frame)
    assert groups[0] == groups[1] and len(set(groups)) == 3


def test_fewer_articles_than_folds_is_a_clear_error():
    with pytest.raises(ValueError, match="at least 5 articles"):
        evaluate.grouped_folds(labelled_frame(3), 5)


def test_cross_validation_reports_every_scheme_label():
    result = evaluate.cross_validate(features.context_frame(labelled_frame()), folds=3)
    keys = load_scheme().keys
    assert result.labels == keys and list(result.per_class.index) == keys
    assert list(result.confusion.index) == keys and list(result.confusion.columns) == keys
    assert result.confusion.to_numpy().sum() == result.n == 72
    assert result.per_class["support"].tolist() == [24, 24, 24]
    assert 0.8 < result.macro_f1 <= 1 and 0 <= result.calibration["ece"] < 0.2


def test_the_final_fit_beside_the_folds_gives_what_each_gives_alone(monkeypatch):
    """`train`'s cross-validation and final fit share one pool of processes: the same metrics as cross-validating
    alone, and a model that predicts exactly as one trained alone."""
    from annotator import model

    frame = features.context_frame(labelled_frame())
    monkeypatch.setattr(evaluate, "PARALLEL_ROWS", 0)  # the pool of processes, as on the real labels
    evaluation, pipeline, seconds = evaluate.cross_validate_and_train(frame, folds=3)
    assert evaluation.to_dict() == evaluate.cross_validate(frame, folds=3).to_dict()
    pd.testing.assert_frame_equal(model.predict(pipeline, frame), model.predict(model.train(frame), frame))
    assert seconds > 0


def test_a_learning_curve_point_trains_on_fewer_sentences():
    frame = features.context_frame(labelled_frame())
    small = evaluate.cross_validate(frame, folds=3, train_size=12)
    assert small.n == 72 and small.macro_f1 <= 1


def test_to_dict_is_json_and_from_dict_reads_it_back():
    keys = load_scheme().keys
    gold = [keys[0], keys[1], keys[2], keys[2]]
    proba = np.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.1, 0.1, 0.8], [0.6, 0.2, 0.2]])
    result = evaluate.score(gold, np.array(keys, dtype=object)[proba.argmax(axis=1)], proba, folds=2)
    again = evaluate.Evaluation.from_dict(json.loads(json.dumps(result.to_dict())))
    assert again.to_dict() == result.to_dict()
    table = again.table()
    assert all(key in table for key in keys) and "macro-F1 0.778" in table and "2-fold" in table


def test_perfect_predictions_score_one():
    keys = load_scheme().keys
    result = evaluate.score(keys * 2, keys * 2)
    assert result.macro_f1 == result.accuracy == 1.0 and result.calibration == {}


def test_macro_f1_leaves_out_a_label_neither_gold_nor_predicted_has():
    claim, statement, fact = load_scheme().keys[:3]
    gold = [claim, claim, statement, statement]
    assert evaluate.score(gold, gold).macro_f1 == 1.0  # no independent fact anywhere: not an F1 of 0
    wrong = evaluate.score(gold, [claim, fact, statement, statement])  # one predicted where none is: it counts
    assert wrong.macro_f1 == pytest.approx((2 / 3 + 1 + 0) / 3)
    assert evaluate.score([claim], [statement]).macro_f1 == 0.0


def test_calibration_error_is_zero_when_confidence_matches_accuracy_and_grows_when_it_does_not():
    keys = load_scheme().keys
    gold = np.array([keys[0]] * 4 + [keys[1]] * 4, dtype=object)
    # confidence 0.75 on every row, right on 6 of 8: calibrated
    right = np.array([[0.75, 0.25, 0]] * 4 + [[0, 0.75, 0.25]] * 2 + [[0.75, 0.25, 0]] * 2)
    assert evaluate.calibration(gold, right)["ece"] == pytest.approx(0.0)
    overconfident = np.where(right == 0.75, 0.99, np.where(right == 0.25, 0.01, 0))
    assert evaluate.calibration(gold, overconfident)["ece"] == pytest.approx(0.24)


def test_evaluate_scores_a_trained_model_on_a_labelled_frame():
    from annotator import model

    frame = features.context_frame(labelled_frame())
    result = evaluate.evaluate(model.train(frame), frame.assign(label=frame["label"]))
    assert result.n == 72 and result.folds == 0 and "held-out" in result.table()


def test_the_rule_baseline_follows_the_codebook_order():
    claim, statement, fact = load_scheme().keys[:3]
    frame = pd.DataFrame(
        {
            "text": [
                "The bridge reopened on Monday.",
                "The defence minister said the bridge reopened.",
                "The bridge reopened on Monday.",
                "The bridge reopened on Monday.",
                "The minister said the bridge reopened.",
                "The Kyiv regime staged a provocation.",
            ],
            "outlet_kind": ["state_media", "state_media", "official", "independent", "independent", "independent"],
        }
    )
    assert evaluate.rule_baseline(frame).tolist() == [claim, statement, statement, fact, statement, claim]
