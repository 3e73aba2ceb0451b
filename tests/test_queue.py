"""The labelling queue: article order, least-sure-first with a seeded random share, overlap, prediction cache."""

from __future__ import annotations

import pandas as pd
import pytest

from annotator import model, queue, training
from annotator.records import Article
from annotator.scheme import load_scheme
from annotator.store import Store

SCHEME = load_scheme()
FIRST, SECOND = SCHEME.keys[0], SCHEME.keys[1]


def synthetic_articles(count: int, sentences: int = 5) -> list[Article]:
    """Made-up articles: sentence i of article a reads 'Item a.i ...', so ids and order are predictable."""
    return [
        Article(id=f"art{a:03d}", title=f"Story {a}", outlet="Example Daily",
                text=" ".join(f"Item {a} number {i} happened in town {a * 7 + i}." for i in range(sentences)))
        for a in range(count)
    ]


@pytest.fixture
def store(new_db):
    """A store on each engine (conftest `new_db`): the queue reads only through the store, alike on both."""
    with Store(new_db("queue.db")) as opened:
        opened.add_articles(synthetic_articles(4))
        yield opened


def test_article_order_skips_what_the_reviewer_labelled(store: Store) -> None:
    ordered = store.sentences()["sentence_id"].tolist()
    store.annotate(ordered[0], FIRST, "ann")
    store.annotate(ordered[1], SCHEME.skip.key, "ann")
    store.annotate(ordered[2], FIRST, "bob")
    # A queue that does not divide the work: another reviewer's label does not count for ann
    assert queue.next_batch(store, "ann", queue.QueueSettings(size=5, divide=False)) == ordered[2:7]
    # One that does (the default over all articles): bob's sentence is his, and ann's batch is held for her
    assert queue.next_batch(store, "ann", queue.QueueSettings(size=5)) == ordered[3:8]
    assert queue.next_batch(store, "bob", queue.QueueSettings(size=2)) == ordered[8:10]
    store.undo("ann", ordered[0])
    assert queue.next_batch(store, "ann", queue.QueueSettings(size=1)) == ordered[:1]
    assert store.is_labelled("ann", ordered[1]) and not store.is_labelled("ann", ordered[0])


def test_queues_drawn_at_once_share_the_work_and_hold_it_until_the_hold_ends(store: Store, monkeypatch) -> None:
    ordered = store.sentences()["sentence_id"].tolist()  # 20
    settings = queue.QueueSettings(size=8)
    ann = queue.next_batch(store, "ann", settings)
    bob = queue.next_batch(store, "bob", settings)
    assert ann == ordered[:8] and bob == ordered[8:16]  # disjoint, though neither has labelled anything yet
    for sid in ann[:3]:
        store.annotate(sid, FIRST, "ann")
    assert queue.next_batch(store, "ann", settings) == ordered[3:8] + ordered[16:19]  # her own batch is still hers
    assert queue.next_batch(store, "cy", settings) == [ordered[19]]  # the one sentence no queue holds
    # Nothing free is left: the next queue goes on with what others hold (then labelled), not with nothing
    assert queue.next_batch(store, "dee", settings) == ordered[:8]
    # A picked article is labelled whole, whoever holds its sentences
    article = store.articles()["id"].iloc[0]
    assert queue.next_batch(store, "bob", queue.QueueSettings(article_id=article)) == ordered[:5]
    monkeypatch.setattr(queue, "HOLD", queue.timedelta(0))  # a hold that has ended hands its sentences on
    queue.next_batch(store, "ann", settings)  # (ann leaves, holding her batch for no time)
    assert queue.next_batch(store, "cy", settings) == ordered[3:8] + ordered[16:19]  # bob's are still his


def test_a_divided_most_useful_queue_skips_what_others_labelled_or_hold(store: Store) -> None:
    store.save_predictions(predictions(store), "m1")
    ordered = store.sentences()["sentence_id"].tolist()
    settings = queue.QueueSettings(mode=queue.USEFUL, model_id="m1", size=6, random_share=0.0)
    store.annotate(ordered[0], FIRST, "bob")
    assert queue.next_batch(store, "ann", settings) == ordered[1:7]
    assert queue.next_batch(store, "bob", settings) == ordered[7:13]
    with_random = queue.QueueSettings(mode=queue.USEFUL, model_id="m1", size=6, random_share=0.5, seed=3)
    assert not set(queue.next_batch(store, "cy", with_random)) & set(ordered[:13])


def test_article_order_within_one_article(store: Store) -> None:
    article = store.articles()["id"].iloc[2]
    batch = queue.next_batch(store, "ann", queue.QueueSettings(article_id=article, size=50))
    assert batch == store.sentences(article)["sentence_id"].tolist()


def predictions(store: Store) -> pd.DataFrame:
    """Made-up predictions whose margin grows with the sentence's position: the first sentences are least sure."""
    ids = store.sentences()["sentence_id"].tolist()
    rows = []
    for rank, sid in enumerate(ids):
        top = 0.34 + 0.6 * rank / len(ids)
        rest = (1 - top) / (len(SCHEME.keys) - 1)
        rows.append({"sentence_id": sid, **{col: (top if i == 0 else rest) for i, col in enumerate(SCHEME.prob_columns())}})
    return pd.DataFrame(rows)


def test_most_useful_takes_least_sure_first_plus_a_seeded_random_share(store: Store) -> None:
    store.save_predictions(predictions(store), "m1")
    ordered = store.sentences()["sentence_id"].tolist()
    settings = queue.QueueSettings(mode=queue.USEFUL, model_id="m1", size=10, random_share=0.2, seed=7)
    batch = queue.next_batch(store, "ann", settings)
    assert len(batch) == len(set(batch)) == 10
    assert set(ordered[:8]) <= set(batch)  # the 8 least sure
    assert len(set(batch) - set(ordered[:10])) >= 1  # the random share reaches beyond the least sure
    assert queue.next_batch(store, "ann", settings) == batch  # seeded: the same state gives the same batch
    assert queue.next_batch(store, "ann", queue.QueueSettings(**{**settings.__dict__, "random_share": 0.0})) == ordered[:10]


def test_sentences_without_a_prediction_still_come(store: Store) -> None:
    ids = store.sentences()["sentence_id"].tolist()
    store.save_predictions(predictions(store).iloc[:3], "m1")
    batch = queue.next_batch(store, "ann", queue.QueueSettings(mode=queue.USEFUL, model_id="m1", size=50, random_share=0))
    assert batch[:3] == ids[:3] and sorted(batch) == sorted(ids)


def test_overlap_share_draws_from_other_reviewers_sentences(store: Store) -> None:
    ids = store.sentences()["sentence_id"].tolist()
    theirs = ids[10:16]
    for sid in theirs:
        store.annotate(sid, SECOND, "bob")
    store.annotate(theirs[0], SECOND, "ann")
    assert sorted(store.overlap_ids("ann")) == sorted(theirs[1:])
    batch = queue.next_batch(store, "ann", queue.QueueSettings(size=10, overlap_share=0.3))
    assert len(batch) == 10
    assert len(set(batch) & set(theirs[1:])) == 3
    assert theirs[0] not in batch


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="mode"):
        queue.QueueSettings(mode="fastest")
    with pytest.raises(ValueError, match="needs a model"):
        queue.QueueSettings(mode=queue.USEFUL)
    with pytest.raises(ValueError, match="overlap_share"):
        queue.QueueSettings(overlap_share=1.5)


@pytest.fixture(scope="module")
def model_path(tmp_path_factory) -> str:
    """A real model trained on shipped label files."""
    path = tmp_path_factory.mktemp("model") / "model.skops"
    frame = training.training_frame(label_files=training.shipped_label_files())
    frame = frame.groupby("label").sample(n=15, random_state=0)  # a few per label keep the fit quick
    model.save(model.train(frame), path, card={})
    return str(path)


def test_fill_predictions_scores_each_sentence_once(store: Store, model_path: str) -> None:
    ident = queue.model_id(model_path)
    assert queue.fill_predictions(store, model_path) == 20
    cached = store.predictions(ident)
    assert sorted(cached["sentence_id"]) == sorted(store.sentences()["sentence_id"])
    assert store.unpredicted_article_ids(ident) == []
    store.add_articles(synthetic_articles(5)[4:])
    assert queue.fill_predictions(store, model_path) == 5  # only the new article
    assert len(store.predictions(ident)) == 25
    batch = queue.next_batch(store, "ann", queue.QueueSettings(mode=queue.USEFUL, model_id=ident, size=5, random_share=0))
    least = store.predictions(ident).sort_values(["margin", "sentence_id"])["sentence_id"].tolist()[:5]
    assert batch == least


def test_concurrent_fills_predict_every_sentence_exactly_once(tmp_path, model_path: str) -> None:
    """Three sessions (separate connections) filling one model's cache at once lose none of each other's rows."""
    import threading

    path = tmp_path / "shared.db"
    with Store(path) as store:
        store.add_articles(synthetic_articles(3 * queue.SCORE_ARTICLES, sentences=3))
        everything = sorted(store.sentences()["sentence_id"])

    def fill() -> None:
        with Store(path) as own:
            queue.fill_predictions(own, model_path)

    threads = [threading.Thread(target=fill) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    with Store(path) as store:
        assert sorted(store.predictions(queue.model_id(model_path))["sentence_id"]) == everything


def test_most_useful_never_draws_boilerplate_at_random(tmp_path) -> None:
    articles = [Article(id=f"b{a}", title="Story", outlet="Example Daily",
                        text=f"Advertisement\n\nItem {a} happened in town {a}.\n\nReporting by Tom Balmforth; Editing by Alex Richardson")
                for a in range(30)]
    with Store(tmp_path / "b.db") as store:
        store.add_articles(articles)
        texts = dict(store.sentences()[["sentence_id", "text"]].values)
        settings = queue.QueueSettings(mode=queue.USEFUL, model_id="none", size=20, random_share=1.0, seed=3)
        batch = queue.next_batch(store, "ann", settings, ranked=[])
        drawn = [texts[sid] for sid in batch]
        assert len(drawn) == 20 and all(text.startswith("Item") for text in drawn), drawn


def test_a_filtered_queue_draws_only_what_the_filters_let_through(tmp_path) -> None:
    from annotator.store import Filters, StoreError

    articles = [Article(id="s1", title="A", outlet="RT", text="The Kiev regime fell. Officials said 5% rose."),
                Article(id="i1", title="B", outlet="Reuters", text="The mayor spoke. Prices rose 5%."),
                Article(id="o1", title="C", outlet="Kremlin", text="The president met the envoy.")]
    with Store(tmp_path / "f.db") as store:
        store.add_articles(articles)
        texts = dict(store.sentences()[["sentence_id", "text"]].values)
        ids = {text: sid for sid, text in texts.items()}

        def drawn(mode=queue.ORDER, **given) -> list[str]:
            model = given.get("model_id") if mode == queue.USEFUL else None
            settings = queue.QueueSettings(mode=mode, model_id=model, filters=Filters(**given), overlap_share=0.5)
            return [texts[sid] for sid in queue.next_batch(store, "ann", settings)]

        assert drawn(outlets=("RT",)) == ["The Kiev regime fell.", "Officials said 5% rose."]
        assert drawn(kinds=("official",)) == ["The president met the envoy."]
        assert drawn(text="5%") == ["Officials said 5% rose.", "Prices rose 5%."]
        assert drawn(text="_") == []  # LIKE wildcards are searched for as typed
        store.annotate(ids["The mayor spoke."], FIRST, "bob")
        assert drawn(labelled_by="bob") == ["The mayor spoke."]
        assert drawn(labelled_as=SECOND) == []
        store.save_predictions(predictions(store), "m1")
        cached = store.predictions("m1")
        unsure = cached[(cached["label"] == FIRST) & (cached["confidence"] <= 0.6)].sort_values("margin")
        assert 0 < len(unsure) < len(cached)
        least_sure = drawn(queue.USEFUL, model_id="m1", suggestion=FIRST, confidence=(0.0, 0.6))
        assert least_sure == [texts[sid] for sid in unsure["sentence_id"]]
        with pytest.raises(StoreError, match="needs a model"):
            drawn(suggestion=FIRST)
