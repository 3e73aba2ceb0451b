"""The real labelled corpus in labels/: its size and spread, provenance, second review, adjudication, round trip."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from annotator import agreement, formats
from annotator.records import sentence_id_for
from annotator.scheme import load_scheme
from annotator.sources import load_registry
from annotator.store import Store

LABELS = Path(__file__).resolve().parents[1] / "labels"
RESERVED_REPOS = ("fmohsen/Fake-news-res", "TeamTeenTitan/Hoot", "Amice13/resistinua")


def records(name: str) -> list[dict]:
    return [json.loads(line) for line in (LABELS / name).read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def first() -> list[dict]:
    return records("real.jsonl")


@pytest.fixture(scope="module")
def second() -> list[dict]:
    return records("real_second.jsonl")


@pytest.fixture(scope="module")
def adjudicated() -> list[dict]:
    return records("real_adjudicated.jsonl")


def test_size_and_spread_of_the_corpus(first):
    articles = {r["article_id"]: r for r in first}
    assert len(first) >= 4000 and len(articles) >= 200
    kinds = Counter(r["meta"]["outlet_kind"] for r in articles.values())
    assert kinds["state_media"] >= 70 and kinds["official"] >= 40 and kinds["independent"] >= 90
    registry = load_registry()
    state = [r for r in articles.values() if r["meta"]["outlet_kind"] == "state_media"]
    outlets = Counter(r["outlet"] for r in state)
    countries = {registry.lookup(outlet=outlet).country for outlet in outlets}
    assert len(outlets) >= 5 and len(countries) >= 3
    assert max(outlets.values()) <= len(state) / 2, outlets


def test_every_record_says_where_it_came_from(first, second, adjudicated):
    for record in first + second + adjudicated:
        meta = record["meta"]
        assert meta["origin"] == "corpus" and meta["source"] and record["outlet"] and "url" in meta
        assert not any(repo in meta["source"] for repo in RESERVED_REPOS)
        assert "eval_ukraine" not in meta["source"]
        assert load_registry().kind_of(outlet=record["outlet"], url=meta["url"]) == meta["outlet_kind"]


def test_every_sentence_of_each_article_is_labelled_once_with_stable_ids(first):
    by_article = defaultdict(list)
    seen = Counter()
    for record in first:
        assert record["label"] in load_scheme().all_keys
        occurrence = seen[record["article_id"], record["text"]]  # a sentence repeated in one article
        seen[record["article_id"], record["text"]] += 1
        assert record["sentence_id"] == sentence_id_for(record["article_id"], record["text"], occurrence)
        by_article[record["article_id"]].append(record)
    for rows in by_article.values():
        spans = [(r["start"], r["end"]) for r in rows]
        assert spans == sorted(spans) and all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))  # in order, no overlap
    assert len({r["sentence_id"] for r in first}) == len(first)


def test_skips_carry_a_reason(first):
    skips = [r for r in first if r["label"] == load_scheme().skip.key]
    assert skips and all(r["meta"].get("skip_reason") for r in skips)


def test_second_review_is_blind_share_of_whole_articles_across_kinds(first, second):
    labelled = {r["sentence_id"]: r for r in first}
    assert {r["reviewer"] for r in first} == {"reviewer-a"} and {r["reviewer"] for r in second} == {"reviewer-b"}
    assert all(r["sentence_id"] in labelled for r in second)
    assert len(second) >= 0.15 * len(first)
    articles = {r["article_id"] for r in second}
    assert len(articles) >= 30
    assert {r["meta"]["outlet_kind"] for r in second} == {"state_media", "official", "independent"}
    whole = Counter(r["article_id"] for r in first)
    assert Counter(r["article_id"] for r in second) == {a: whole[a] for a in articles}


def test_adjudications_settle_every_disagreement_and_mark_corrections(first, second, adjudicated):
    """Every disagreement is settled; any other adjudication is a maintainer's correction of a label that broke a
    settled rule, and says so."""
    label_a = {r["sentence_id"]: r["label"] for r in first}
    disputed = {r["sentence_id"] for r in second if r["label"] != label_a[r["sentence_id"]]}
    settled = {r["sentence_id"] for r in adjudicated}
    assert disputed <= settled
    corrections = [r for r in adjudicated if r["sentence_id"] not in disputed]
    assert all(r["meta"].get("correction") is True and r["label"] != label_a[r["sentence_id"]] for r in corrections)
    assert all(r["meta"]["action"] == "adjudicate" and r["meta"].get("note") for r in adjudicated)


def test_labels_import_round_trip_and_agreement(tmp_path, first, second, adjudicated):
    with Store(tmp_path / "store.db") as store:
        for name in ("real.jsonl", "real_second.jsonl", "real_adjudicated.jsonl"):
            counts = store.import_label_records(formats.read_labels(LABELS / name))
            assert not counts.skipped
        exported = {(r.sentence_id, r.reviewer, r.label) for r in store.label_records()}
        assert {(r["sentence_id"], r["reviewer"], r["label"]) for r in first + second + adjudicated} == exported
        (kappa,) = agreement.pairwise_kappa(store.current_labels(shared=True))["kappa"].tolist()
        assert 0.6 < kappa <= 1.0
        final = store.final_labels().set_index("sentence_id")["label"]
        assert all(final[r["sentence_id"]] == r["label"] for r in adjudicated)


def test_no_reserved_evaluation_text_is_in_the_labels(shared_dir, first):
    """No evaluation article is in the labels. One formulaic sentence may recur between releases ("Vladimir Putin
    had a telephone conversation with President ... Erdogan."), so an article counts as copied from two on."""
    texts = {r["text"] for r in first if len(r["text"]) > 60}
    ids = {r["article_id"] for r in first}
    for line in (shared_dir / "corpus" / "eval_ukraine" / "articles.jsonl").read_text(encoding="utf-8").splitlines():
        article = json.loads(line)
        assert article["id"] not in ids
        assert sum(text in article["text"] for text in texts) <= 1, article["id"]
