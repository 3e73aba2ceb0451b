"""The label files that ship in labels/: valid, consistent with their articles, and balanced enough to learn from."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from annotator import formats, read, segment
from annotator.records import article_id_for, sentence_id_for
from annotator.scheme import load_scheme
from annotator.sources import load_registry

LABELS = Path(__file__).resolve().parents[1] / "labels"
SEED_ARTICLE = LABELS.parent / "seeds" / "000_d2e7d545ee594781.txt"


def records(name: str) -> list[dict]:
    return [json.loads(line) for line in (LABELS / name).read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def starter() -> list[dict]:
    return records("starter.jsonl")


@pytest.fixture(scope="module")
def starter_articles() -> dict[str, dict]:
    return {a["id"]: a for a in records("starter_articles.jsonl")}


@pytest.mark.parametrize("name", ["seed.jsonl", "starter.jsonl"])
def test_every_label_is_in_the_scheme_and_the_file_reads(name: str):
    assert {r["label"] for r in records(name)} <= set(load_scheme().all_keys)
    assert len(list(formats.read_labels(LABELS / name))) == len(records(name))


def test_seed_labels_cover_every_sentence_of_the_seed_article():
    article = read.read_articles([SEED_ARTICLE])[0]
    spans = [(s.start, s.end, s.id) for s in segment.split_article(article)]
    seed = records("seed.jsonl")
    assert [(r["start"], r["end"], r["sentence_id"]) for r in seed] == spans
    assert {r["reviewer"] for r in seed} == {"seed"} and all(r["article_id"] == article.id for r in seed)


def test_seed_labels_follow_the_worked_example():
    seed = records("seed.jsonl")

    def label(start: str) -> str:
        (found,) = [r["label"] for r in seed if r["text"].startswith(start)]
        return found

    assert label("Russia proposed a 2–3 day ceasefire") == "official_statement"
    assert label("Additionally, Russia and Ukraine will exchange") == "official_statement"
    assert label("Much of the information presented by Russian media") == "independent_fact"
    assert label("The talks lasted for an hour.") == "independent_fact"
    assert label("Russia does not kidnap a single child") == "state_media_claim"
    assert label("He claimed that Kyiv has turned") == "state_media_claim"
    assert label("According to the Interfax-Ukraine agency") == "independent_fact"
    assert label("He stressed that dialogue must lead") == "official_statement"


def test_starter_offsets_match_article_texts(starter, starter_articles):
    for record in starter:
        article = starter_articles[record["article_id"]]
        assert article["text"][record["start"] : record["end"]] == record["text"]
        assert article_id_for(article["text"]) == article["id"]


def test_starter_sentences_are_what_the_segmenter_finds(starter, starter_articles):
    by_article = defaultdict(set)
    for record in starter:
        by_article[record["article_id"]].add((record["start"], record["end"]))
    for article_id, spans in by_article.items():
        assert spans == set(segment.split_spans(starter_articles[article_id]["text"])), article_id


def test_starter_ids_are_the_stable_ids(starter):
    seen = Counter()
    for record in starter:
        key = (record["article_id"], record["text"])
        assert record["sentence_id"] == sentence_id_for(*key, seen[key])
        seen[key] += 1


def test_no_sentence_has_two_labels(starter):
    labels = defaultdict(set)
    for record in starter + records("seed.jsonl"):
        labels[record["text"]].add(record["label"])
    assert not {text: found for text, found in labels.items() if len(found) > 1}


def test_starter_size_origin_and_class_floor(starter, starter_articles):
    assert len(starter) >= 1000 and len(starter_articles) >= 80
    assert all(r["meta"]["origin"] == "authored" for r in starter)
    counts = Counter(r["label"] for r in starter if r["label"] != load_scheme().skip.key)
    total = sum(counts.values())
    for key in load_scheme().keys:
        assert counts[key] / total >= 0.20, (key, counts)


def test_starter_outlets_are_in_the_registry_with_their_kind(starter, starter_articles):
    registry = load_registry()
    kinds = Counter()
    for article in starter_articles.values():
        assert registry.lookup(outlet=article["outlet"], url=article["url"]), article["outlet"]
    for record in starter:
        kind = registry.kind_of(outlet=record["outlet"], url=record["meta"]["url"])
        assert kind == record["meta"]["outlet_kind"]
        kinds[kind] += 1
    assert min(kinds.values()) >= 200, kinds
