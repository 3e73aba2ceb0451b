"""The classifier: training errors, probabilities, explanations, and saving/loading with the card's checks."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from annotator import features, model
from annotator.scheme import load_scheme

# Invented sentences, by label position in the scheme (state-media claim, official statement, independent fact).
TEMPLATES = (
    (
        "The Kyiv regime staged a provocation in {city}, state TV reported.",
        "Air defences destroyed {n} enemy drones over {city}.",
        "There are no political prisoners in {city}, he claimed.",
        "According to Russian media, foreign mercenaries were eliminated near {city}.",
    ),
    (
        "The foreign minister said the talks in {city} had been useful.",
        '"We will rebuild {city}," the president told reporters.',
        "The ministry announced {n} new shelters in {city}.",
        "He added that the army would stay in {city} for the winter.",
    ),
    (
        "The talks in {city} lasted {n} hours.",
        "Heavy rain flooded {n} streets in {city} on Tuesday.",
        "Satellite images show new trenches near {city}.",
        "Bread prices in {city} rose by {n} percent last month.",
    ),
)
CITIES = ("Odesa", "Lviv", "Harbin", "Tartu", "Gyumri", "Bern", "Porto", "Oulu", "Split", "Graz", "Ghent", "Pula")
KINDS = ("independent", "state_media", "official")


def labelled_frame(articles: int = 12) -> pd.DataFrame:
    """A label frame of `articles` invented articles, six sentences each, two of every label, with offsets."""
    keys = load_scheme().keys
    rows = []
    for a in range(articles):
        city = CITIES[a % len(CITIES)]
        start = 0
        for s in range(6):
            label_position = s % 3
            text = TEMPLATES[label_position][(a + s) % 4].format(city=city, n=a * 7 + s + 2)
            rows.append(
                {"text": text, "label": keys[label_position], "article_id": f"art{a}", "start": start,
                 "end": start + len(text), "outlet": "", "url": "", "outlet_kind": KINDS[a % 3]}
            )
            start += len(text) + 1
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return features.context_frame(labelled_frame())


@pytest.fixture(scope="module")
def pipeline(frame):
    return model.train(frame)


@pytest.fixture(scope="module")
def saved(pipeline, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("model") / "model.skops"
    model.save(pipeline, path, card={"training_data": {"sentences": 72}})
    return path


def test_probabilities_are_per_scheme_label_sum_to_one_and_lie_in_0_1(pipeline, frame):
    scheme = load_scheme()
    predicted = model.predict(pipeline, frame)
    proba = predicted[scheme.prob_columns()].to_numpy()
    assert list(predicted.columns) == [*scheme.prob_columns(), "label", "confidence"]
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert ((proba >= 0) & (proba <= 1)).all()
    assert (predicted["confidence"] == proba.max(axis=1)).all()
    assert (predicted["label"] == np.array(scheme.keys)[proba.argmax(axis=1)]).all()


def test_the_model_learns_the_invented_labels(pipeline, frame):
    assert (model.predict(pipeline, frame)["label"] == frame["label"]).mean() > 0.9


def test_a_sentence_without_evidence_gets_a_hedged_probability(pipeline, frame):
    """Regularised logistic regression: sure of the learnt patterns, unsure where nothing is known."""
    clear = model.predict(pipeline, frame)["confidence"]
    vague = frame.iloc[[0]].assign(text="Xylo quorv zint.", prev_text="", next_text="")
    unsure = model.predict(pipeline, vague)["confidence"].iloc[0]
    assert clear.median() > 0.9 and unsure < 0.8


def test_an_article_scores_the_same_alone_and_in_a_batch(pipeline, frame):
    columns = load_scheme().prob_columns()
    whole = model.predict(pipeline, frame)
    article = frame["article_id"] == frame["article_id"].iloc[7]
    alone = model.predict(pipeline, frame[article])
    assert 1 < article.sum() < len(frame)
    assert np.allclose(whole[article][columns], alone[columns], rtol=0, atol=1e-12)
    shuffled = frame.sample(frac=1.0, random_state=0)  # an article's rows need not be next to each other
    assert np.allclose(model.predict(pipeline, shuffled).loc[frame.index, columns], whole[columns], rtol=0, atol=1e-12)


def test_predict_fills_context_and_outlet_kind_when_missing(pipeline):
    predicted = model.predict(pipeline, pd.DataFrame({"text": ["The talks in Oulu lasted 3 hours."], "outlet": ["TASS"]}))
    assert len(predicted) == 1 and predicted["label"].iloc[0] in load_scheme().keys


def test_explanations_name_real_features_and_push_toward_the_label(pipeline, frame):
    names = set(model.feature_names(pipeline))
    explained = model.explain(pipeline, frame, top=4)
    assert len(explained) == len(frame)
    for reasons in explained:
        assert 0 < len(reasons) <= 4
        assert all(name in names for name, _ in reasons)
        weights = [weight for _, weight in reasons]
        assert weights == sorted(weights, reverse=True) and weights[-1] > 0
    flat = {name for reasons in explained for name, _ in reasons}
    assert any(name.startswith(("cue", "role", "narrative", "state_media")) for name in flat)


def test_predict_explain_gives_what_predict_and_explain_give(pipeline, frame):
    predicted, explained = model.predict_explain(pipeline, frame, top=3)
    pd.testing.assert_frame_equal(predicted, model.predict(pipeline, frame))
    assert explained == model.explain(pipeline, frame, top=3)
    empty, none = model.predict_explain(pipeline, frame.iloc[:0])
    assert len(empty) == 0 and none == [] and list(empty.columns) == list(predicted.columns)


def test_explanations_do_not_depend_on_the_batch_and_break_ties_in_feature_order(frame):
    # Only 0/1 features (no n-grams): a feature's push is its coefficient, and collinear flags tie exactly.
    flags = model.train(frame, params={"features__words": "drop", "features__chars": "drop"})
    whole = model.explain(flags, frame, top=50)
    for row in (0, 7, 20):  # an article explained alone as in the whole batch
        article = np.flatnonzero(frame["article_id"] == frame["article_id"].iloc[row])
        alone = model.explain(flags, frame.iloc[article], top=50)
        assert alone[list(article).index(row)] == whole[row]
    names = list(model.feature_names(flags))
    classifier = flags.named_steps["classifier"]
    labels = model.predict(flags, frame)["label"].map(list(classifier.classes_).index)
    ties = 0
    for reasons, label in zip(whole, labels):
        keys = [(-classifier.coef_[label, names.index(name)], names.index(name)) for name, _ in reasons
                if not name.startswith("article: ")]  # the profile is a mean, not a 0/1 flag
        assert keys == sorted(keys)
        ties += sum(a[0] == b[0] for a, b in zip(keys, keys[1:]))
    assert ties  # the data has exact ties, so their order was tested


def test_the_article_profile_is_a_named_input_and_can_be_a_reason(pipeline, frame):
    names = list(model.feature_names(pipeline))
    classifier = pipeline.named_steps["classifier"]
    assert names[-3:] == [f"article: {label}" for label in classifier.classes_]
    assert classifier.coef_.shape == (len(classifier.classes_), len(names))


def test_explain_takes_a_single_row(pipeline, frame):
    assert len(model.explain(pipeline, frame.iloc[3], top=2)) == 1


def test_save_and_load_give_identical_predictions_and_a_full_card(pipeline, saved, frame):
    loaded = model.load(saved)
    pd.testing.assert_frame_equal(model.predict(loaded, frame), model.predict(pipeline, frame))
    card = model.read_card(saved)
    assert set(card["labels"]) == set(load_scheme().keys)
    assert card["training_data"] == {"sentences": 72}
    assert card["model_sha256"] == model.file_sha256(saved)
    assert card["versions"]["scikit-learn"] and card["hyperparameters"]["classifier__C"] == model.DEFAULT_PARAMS["classifier__C"]
    assert model.card_path(saved).name == "model.skops.card.json"


def _copy(saved: Path, tmp_path: Path) -> Path:
    path = tmp_path / "model.skops"
    path.write_bytes(saved.read_bytes())
    model.card_path(path).write_text(model.card_path(saved).read_text())
    return path


def _edit_card(path: Path, **changes) -> None:
    card = json.loads(model.card_path(path).read_text())
    for key, value in changes.items():
        target = card
        *parents, last = key.split("__")
        for parent in parents:
            target = target[parent]
        target[last] = value
    model.card_path(path).write_text(json.dumps(card))


def test_a_tampered_model_file_is_refused(saved, tmp_path):
    path = _copy(saved, tmp_path)
    path.write_bytes(path.read_bytes() + b"\x00")
    with pytest.raises(model.ModelLoadError, match="sha256"):
        model.load(path)


def test_a_model_without_its_card_is_refused(saved, tmp_path):
    path = _copy(saved, tmp_path)
    model.card_path(path).unlink()
    with pytest.raises(model.ModelLoadError, match="no model card"):
        model.load(path)


def test_a_model_made_by_another_scikit_learn_is_refused(saved, tmp_path):
    path = _copy(saved, tmp_path)
    _edit_card(path, **{"versions__scikit-learn": "0.24.2"})
    with pytest.raises(model.ModelLoadError, match="scikit-learn 0.24.2"):
        model.load(path)


def test_a_model_made_by_older_feature_code_is_refused(saved, tmp_path):
    path = _copy(saved, tmp_path)
    assert model.read_card(path)["features_version"] == features.VERSION
    _edit_card(path, features_version=features.VERSION - 1)
    with pytest.raises(model.ModelLoadError, match=f"feature code version {features.VERSION - 1}.*retrain"):
        model.load(path)
    card = json.loads(model.card_path(path).read_text())
    del card["features_version"]  # a card written before the version was recorded
    model.card_path(path).write_text(json.dumps(card))
    with pytest.raises(model.ModelLoadError, match="feature code version unknown"):
        model.load(path)


def test_a_card_of_another_format_is_refused(saved, tmp_path):
    path = _copy(saved, tmp_path)
    _edit_card(path, format=model.CARD_FORMAT + 1)
    with pytest.raises(model.ModelLoadError, match="format"):
        model.load(path)


def test_training_on_nothing_but_skips_fails_clearly():
    frame = pd.DataFrame({"text": ["MOSCOW, May 3."], "label": [load_scheme().skip.key]})
    with pytest.raises(model.TrainingError, match="no labelled sentences"):
        model.train(frame)


def test_a_class_with_fewer_than_five_examples_is_named():
    frame = labelled_frame()
    rare = load_scheme().keys[0]
    frame = pd.concat([frame[frame["label"] != rare], frame[frame["label"] == rare].head(4)])
    with pytest.raises(model.TrainingError, match=rf"{rare} \(4\)"):
        model.train(frame)


def test_labels_outside_the_scheme_are_refused():
    frame = labelled_frame()
    frame.loc[0, "label"] = "rumour"
    with pytest.raises(model.TrainingError, match="rumour"):
        model.train(frame)


def test_params_reach_the_steps_and_a_feature_step_can_be_dropped(frame):
    pipeline = model.train(frame, params={"classifier__C": 0.5, "features__chars": "drop"})
    assert pipeline.named_steps["classifier"].C == 0.5
    assert not any(name.startswith("char: ") for name in model.feature_names(pipeline))
