"""The label store on both engines (SQLite and PostgreSQL, see conftest `new_db`): imports, append-only annotations,
undo, adjudication, queues and predictions. The tests of SQLite's file (pragmas, migration, backup) are SQLite's only."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pandas as pd
import pytest

from annotator.records import Article, LabelRecord
from annotator.scheme import load_scheme
from annotator.store import SCHEMA_VERSION, Store, StoreError

SCHEME = load_scheme()
FIRST, SECOND, THIRD = SCHEME.keys[:3]
SKIP = SCHEME.skip.key

ARTICLES = [
    Article(
        id="art-one",
        title="Talks end in the capital",
        outlet="Example Daily",
        url="https://example.org/talks",
        text="The talks ended on Friday. The minister said a deal was close.\n\nObservers were doubtful.",
    ),
    Article(
        id="art-two",
        title="Harvest report",
        outlet="Example Daily",
        text="Farmers gathered a record harvest. Prices fell by a tenth.",
    ),
]


@pytest.fixture
def store(new_db):
    with Store(new_db("labels.db")) as store:
        store.add_articles(ARTICLES)
        yield store


def sentence_ids(store: Store, article_id: str | None = None) -> list[str]:
    return list(store.sentences(article_id)["sentence_id"])


def test_store_file_uses_wal_foreign_keys_and_a_schema_version(tmp_path):
    with Store(tmp_path / "sub" / "labels.db") as store:
        assert store.path.exists()
        assert store.pragma("journal_mode") == "wal"
        assert store.pragma("foreign_keys") == 1
        assert store.pragma("user_version") == SCHEMA_VERSION
        assert store.pragma("busy_timeout") >= 10_000


def test_newer_schema_version_is_refused_with_a_clear_error(tmp_path):
    path = tmp_path / "future.db"
    Store(path).close()
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match="newer"):
        Store(path)


def test_an_older_store_is_migrated_forward_and_keeps_its_labels(tmp_path):
    path = tmp_path / "old.db"
    with Store(path) as store:
        store.add_articles([Article(id="a", text="Glory to Ukraine! The mayor spoke.")])
        store.annotate(sentence_ids(store)[0], store.scheme.keys[0], "ann")
    with sqlite3.connect(path) as db:  # as version 1 left it: no index for repeats
        db.execute("DROP INDEX sentences_repeat")
        db.execute("PRAGMA user_version = 1")
    with Store(path) as store:
        assert store.pragma("user_version") == SCHEMA_VERSION and len(store.current_labels()) == 1
        indexes = {row[0] for row in store._db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert "sentences_repeat" in indexes


def test_a_foreign_sqlite_file_is_refused(tmp_path):
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE t (x)")
    with pytest.raises(StoreError, match="not an annotator store"):
        Store(path)


def test_reimport_counts_known_and_never_duplicates(store):
    first = len(store.sentences())
    assert first >= 5
    again = store.add_articles(ARTICLES + [Article(id="art-three", text="One more sentence here.")])
    assert (again.articles_new, again.articles_known) == (1, 2)
    assert again.sentences_new == 1
    assert again.sentences_known == first
    assert len(store.sentences()) == first + 1
    assert list(store.articles()["id"]) == ["art-one", "art-two", "art-three"]


def test_sentences_keep_exact_offsets_and_article_context(store):
    article = store.article("art-one")
    assert article.title == ARTICLES[0].title
    for row in store.sentences("art-one").itertuples():
        assert article.text[row.start : row.end] == row.text
    ids = sentence_ids(store, "art-one")
    middle = store.sentence(ids[1])
    assert middle["prev_text"] == "The talks ended on Friday."
    assert middle["next_text"] == "Observers were doubtful."
    assert middle["outlet"] == "Example Daily" and middle["outlet_kind"]
    assert store.sentence(ids[0])["prev_text"] == ""
    assert middle["lead_text"] == store.sentence(ids[-1])["lead_text"] == f"The talks ended on Friday. {middle['text']}"


def test_empty_articles_are_reported_and_skipped(new_db):
    with Store(new_db()) as store:
        counts = store.add_articles([Article(id="blank", text="  \n", source="blank.txt")])
    assert counts.articles_new == 0 and "blank.txt" in counts.skipped[0]


def test_latest_label_wins_and_history_keeps_everything(store):
    sid = sentence_ids(store)[0]
    store.annotate(sid, FIRST, "ann")
    store.annotate(sid, SECOND, "ann", suggestion=FIRST, suggestion_confidence=0.8)
    current = store.current_labels("ann")
    assert list(current["label"]) == [SECOND]
    assert current["suggestion"].iloc[0] == FIRST
    assert current["title"].iloc[0] == ARTICLES[0].title
    assert len(store.history(sid)) == 2


def test_undo_appends_and_restores_the_previous_label(store):
    sid = sentence_ids(store)[0]
    store.annotate(sid, FIRST, "ann")
    store.annotate(sid, SECOND, "ann")
    seq = store.undo("ann")
    history = store.history(sid)
    assert len(history) == 3 and history["action"].iloc[-1] == "undo"
    assert history["undoes"].iloc[-1] == history["seq"].iloc[1] and history["seq"].iloc[-1] == seq
    assert list(history["undone"]) == [False, True, False]
    assert list(store.current_labels("ann")["label"]) == [FIRST]
    store.undo("ann")
    assert store.current_labels("ann").empty
    assert store.undo("ann") is None


def test_ten_undos_take_back_ten_labels_in_reverse_order(store):
    store.add_articles([Article(id="long", text=" ".join(f"Sentence number {i} is here." for i in range(12)))])
    ids = sentence_ids(store, "long")
    for sid in ids:
        store.annotate(sid, FIRST, "ann")
    store.annotate(ids[0], SKIP, "other")
    for _ in range(10):
        assert store.undo("ann") is not None
    assert list(store.current_labels("ann")["sentence_id"]) == ids[:2]
    assert len(store.current_labels("other")) == 1


def test_undo_of_one_sentence_leaves_later_labels_alone(store):
    first, second = sentence_ids(store)[:2]
    store.annotate(first, FIRST, "ann")
    store.annotate(second, SECOND, "ann")
    store.undo("ann", sentence_id=first)
    assert list(store.current_labels("ann")["sentence_id"]) == [second]


def test_final_labels_agreement_disagreement_and_adjudication(store):
    agreed, split, judged, single = sentence_ids(store)[:4]
    for reviewer in ("ann", "bob"):
        store.annotate(agreed, FIRST, reviewer)
        store.annotate(judged, FIRST, reviewer)
    store.annotate(split, FIRST, "ann")
    store.annotate(split, SECOND, "bob")
    store.annotate(single, SKIP, "ann")
    store.adjudicate(judged, THIRD, "lead")
    final = store.final_labels().set_index("sentence_id")
    assert split not in final.index
    assert final.loc[agreed, ["label", "decided_by", "n_reviewers"]].tolist() == [FIRST, "agreement", 2]
    assert final.loc[judged, ["label", "decided_by"]].tolist() == [THIRD, "adjudication"]
    assert final.loc[single, "label"] == SKIP
    assert store.adjudications()[["sentence_id", "label", "reviewer"]].values.tolist() == [[judged, THIRD, "lead"]]
    store.adjudicate(split, SECOND, "lead")
    assert store.final_labels().set_index("sentence_id").loc[split, "label"] == SECOND
    assert store.adjudications().set_index("sentence_id")["label"].to_dict() == {judged: THIRD, split: SECOND}
    store.undo("lead")
    assert split not in set(store.final_labels()["sentence_id"])
    assert list(store.adjudications()["sentence_id"]) == [judged]
    store.adjudicate(judged, FIRST, "lead")  # the latest adjudication of a sentence is its settled label
    assert store.adjudications()[["sentence_id", "label"]].values.tolist() == [[judged, FIRST]]
    assert store.final_labels().set_index("sentence_id").loc[judged, "label"] == FIRST


def test_bad_annotations_are_rejected_with_clear_errors(store):
    sid = sentence_ids(store)[0]
    with pytest.raises(ValueError, match="unknown label 'nonsense'"):
        store.annotate(sid, "nonsense", "ann")
    with pytest.raises(ValueError, match="unknown sentence id"):
        store.annotate("no-such-id", FIRST, "ann")
    with pytest.raises(ValueError, match="reviewer"):
        store.annotate(sid, FIRST, "  ")
    assert store.history().empty


def test_unlabelled_queue_follows_article_order_per_reviewer(store):
    ids = sentence_ids(store)
    store.annotate(ids[0], FIRST, "ann")
    store.annotate(ids[2], SKIP, "ann")
    store.annotate(ids[1], FIRST, "bob")
    queue = store.unlabelled("ann", limit=3)
    assert list(queue["sentence_id"]) == [ids[1], ids[3], ids[4]]
    assert list(store.unlabelled("ann", article_id="art-two")["sentence_id"]) == sentence_ids(store, "art-two")
    assert len(store.unlabelled("ann", limit=None)) == len(ids) - 2
    assert store.progress("ann") == (2, len(ids))
    assert store.progress("ann", "art-two") == (0, len(sentence_ids(store, "art-two")))
    store.undo("ann")
    assert store.unlabelled("ann", limit=2)["sentence_id"].tolist() == [ids[1], ids[2]]


def test_predictions_save_and_load_with_derived_margin(store):
    ids = sentence_ids(store)[:2]
    columns = SCHEME.prob_columns()
    frame = pd.DataFrame({"sentence_id": ids + ["unknown"]})
    for column, values in zip(columns, ([0.7, 0.2, 0.5], [0.2, 0.5, 0.5], [0.1, 0.3, 0.0])):
        frame[column] = values
    assert store.save_predictions(frame, "m1") == 2
    loaded = store.predictions("m1").set_index("sentence_id")
    assert loaded.loc[ids[0], "label"] == FIRST
    assert loaded.loc[ids[1], "label"] == SECOND
    assert loaded.loc[ids[0], "margin"] == pytest.approx(0.5)
    assert loaded.loc[ids[1], "confidence"] == pytest.approx(0.5)
    assert loaded.loc[ids[1], columns[2]] == pytest.approx(0.3)
    store.annotate(ids[0], SKIP, "ann")
    assert store.unlabelled("ann", model_id="m1")["sentence_id"].tolist() == [ids[1]]
    assert store.unlabelled("bob", model_id="m1")["margin"].tolist() == pytest.approx([0.2, 0.5])
    assert store.save_predictions(frame.iloc[:1], "m1", replace=True) == 1
    assert len(store.predictions("m1")) == 1 and store.predictions("other").empty


def test_kept_counts_follow_writes_here_and_in_another_connection(store):
    """size() and predicted_count() are kept between calls (the app asks on every key); they must still change at
    once when this store or another process adds articles or predictions, and labels must not empty them."""
    assert store.size() == (2, 5) and store.predicted_count("m1") == 0
    store.annotate(sentence_ids(store)[0], FIRST, "ann")
    assert store.size() == (2, 5)
    with Store(store.path) as other:  # another connection, as another process would be
        other.add_articles([Article(id="art-three", text="A third story. It has two sentences.")])
        frame = pd.DataFrame({"sentence_id": sentence_ids(other)[:3]})
        for column in SCHEME.prob_columns():
            frame[column] = 1 / len(SCHEME.prob_columns())
        other.save_predictions(frame, "m1")
    assert store.size() == (3, 7) and store.predicted_count("m1") == 3
    store.add_articles([Article(id="art-four", text="A fourth story.")])
    store.save_predictions(pd.DataFrame({"sentence_id": sentence_ids(store)[3:5], **{
        column: [0.5, 0.5] if i == 0 else [0.5 / (len(SCHEME.prob_columns()) - 1)] * 2
        for i, column in enumerate(SCHEME.prob_columns())}}), "m1")
    assert store.size() == (4, 8) and store.predicted_count("m1") == 5
    assert store.progress("ann") == (1, 8)


def test_stats_of_an_empty_store_have_every_label(new_db):
    with Store(new_db()) as store:
        tables = store.stats()
        assert tables["per_label"]["current"].sum() == 0 and list(tables["per_label"]["label"]) == SCHEME.all_keys
        assert list(tables["per_reviewer"].columns) == ["reviewer", *SCHEME.all_keys, "total"]
        assert store.counts()["articles"] == 0


def test_current_labels_of_one_article(store):
    for sid in sentence_ids(store):
        store.annotate(sid, FIRST, "ann")
    one = store.current_labels("ann", article_id="art-two")
    assert list(one["sentence_id"]) == sentence_ids(store, "art-two")
    assert len(store.current_labels(article_id="art-one")) == len(sentence_ids(store, "art-one"))


def test_shared_labels_are_those_of_sentences_two_reviewers_labelled(store):
    ids = sentence_ids(store)
    for sid in ids:
        store.annotate(sid, FIRST, "ann")
    store.annotate(ids[1], SECOND, "bob")
    store.annotate(ids[2], FIRST, "bob")
    store.annotate(ids[3], FIRST, "bob")
    store.undo("bob", ids[3])  # taken back: the sentence is no longer shared
    shared = store.current_labels(shared=True)
    assert sorted(zip(shared["sentence_id"], shared["reviewer"])) == sorted(
        (sid, reviewer) for sid in ids[1:3] for reviewer in ("ann", "bob"))


def test_stats_and_counts(store):
    first, second = sentence_ids(store)[:2]
    store.annotate(first, FIRST, "ann")
    store.annotate(first, FIRST, "bob")
    store.annotate(second, SKIP, "ann")
    tables = store.stats()
    per_label = tables["per_label"].set_index("label")
    assert list(per_label.index) == SCHEME.all_keys
    assert per_label.loc[FIRST, "current"] == 2 and per_label.loc[FIRST, "final"] == 1
    per_reviewer = tables["per_reviewer"].set_index("reviewer")
    assert per_reviewer.loc["ann", SKIP] == 1 and per_reviewer.loc["ann", "total"] == 2
    assert tables["per_outlet_kind"]["total"].sum() == 3
    counts = store.counts()
    assert counts["annotations"] == 3 and counts["labelled_sentences"] == 2 and counts["reviewers"] == 2


def test_import_label_records_rebuilds_unknown_articles_and_skips_duplicates(new_db, store):
    store.annotate(sentence_ids(store)[1], FIRST, "ann")
    store.annotate(sentence_ids(store)[2], SECOND, "ann")
    records = list(store.label_records())
    with Store(new_db()) as fresh:
        counts = fresh.import_label_records(records)
        assert (counts.articles_new, counts.sentences_new, counts.annotations_new) == (1, 2, 2)
        rebuilt = fresh.article("art-one").text
        for row in fresh.sentences().itertuples():
            assert rebuilt[row.start : row.end] == row.text
        assert rebuilt.startswith(" " * records[0].start)
        again = fresh.import_label_records(records)
        assert (again.annotations_new, again.annotations_known) == (0, 2)
        assert len(fresh.history()) == 2
        assert list(fresh.label_records()) == records


def test_an_export_streams_one_snapshot_while_labelling_goes_on(store):
    ids = sentence_ids(store)
    for sentence_id in ids[:3]:
        store.annotate(sentence_id, FIRST, "ann")
    export = store.label_records()
    first = next(export)  # the export is under way: its read transaction is open
    store.annotate(ids[3], SECOND, "ann")  # labelling is not blocked by it
    store.undo("ann", ids[0])
    rest = list(export)
    assert [r.sentence_id for r in [first, *rest]] == ids[:3]  # the snapshot taken when the export started
    assert [r.sentence_id for r in store.label_records()] == ids[1:4]


def test_import_label_records_without_ids_or_offsets(new_db):
    records = [LabelRecord(text="A lone sentence.", label=FIRST)] * 2
    with Store(new_db()) as store:
        first = store.import_label_records(records[:1], reviewer="ann")
        second = store.import_label_records(records[1:], reviewer="ann")
        assert (first.articles_new, first.annotations_new) == (1, 1)
        assert (second.articles_new, second.annotations_known) == (0, 1)
        assert store.current_labels("ann")["text"].tolist() == ["A lone sentence."]


def test_import_reports_records_that_contradict_the_stored_text(store):
    wrong = LabelRecord(text="Something else entirely.", label=FIRST, article_id="art-one", start=0, reviewer="ann")
    counts = store.import_label_records([wrong])
    assert counts.annotations_new == 0 and "does not match article art-one" in counts.skipped[0]



def test_a_bad_record_in_a_batch_leaves_nothing_and_the_rest_of_the_batch_lands(new_db):
    """Records are checked before anything of them is written: a sentence id already held by another article does
    not leave the new article it named behind; the records around it land, a repeated one counts once."""
    good = LabelRecord(text="Talks resumed on Monday.", label=FIRST, article_id="a", start=0, reviewer="ann",
                       sentence_id="s1", time="2026-12-02T00:00:00Z")
    clash = LabelRecord(text="Talks resumed on Monday.", label=FIRST, article_id="b", start=0, reviewer="ann",
                        sentence_id="s1", time="2026-12-02T00:00:00Z")
    overlap = LabelRecord(text="Something else.", label=SECOND, article_id="a", start=3, reviewer="ann")
    after = LabelRecord(text="The mayor said so.", label=SECOND, article_id="a", start=25, reviewer="ann",
                        time="2026-12-02T00:00:01Z")
    with Store(new_db()) as store:
        counts = store.import_label_records([good, clash, overlap, after, good])
        assert (counts.articles_new, counts.sentences_new, counts.annotations_new) == (1, 2, 2)
        assert counts.annotations_known == 1 and len(counts.skipped) == 2
        assert "held with another article" in counts.skipped[0] and "does not match article a" in counts.skipped[1]
        with pytest.raises(StoreError, match="unknown article id 'b'"):
            store.article("b")
        assert store.sentences()["article_id"].unique().tolist() == ["a"]
        assert store.sentences()["text"].tolist() == [good.text, after.text]
        assert store.article("a").text == good.text + " " + after.text


def test_importing_the_article_after_its_labels_replaces_the_pieced_together_text(new_db):
    article = ARTICLES[0]
    with Store(new_db()) as full:
        full.add_articles([article])
        full.annotate(sentence_ids(full)[1], SECOND, "ann")
        records = list(full.label_records())
        expected = full.sentences(article.id)[["idx", "start", "text"]].values.tolist()
    with Store(new_db()) as store:
        store.import_label_records(records)
        assert store.article(article.id).text.strip() == records[0].text
        counts = store.add_articles([article])
        assert (counts.articles_known, counts.sentences_known, counts.skipped) == (1, 1, [])
        assert store.article(article.id).text == article.text
        assert store.sentences(article.id)[["idx", "start", "text"]].values.tolist() == expected
        assert list(store.current_labels("ann")["label"]) == [SECOND]


def test_a_bad_record_leaves_nothing_behind(new_db):
    good = LabelRecord(text="Fine words.", label=FIRST, article_id="new", start=0, reviewer="ann")
    clash = LabelRecord(text="Other words", label=FIRST, article_id="new", start=0, reviewer="ann")
    lone = LabelRecord(text="Alone here.", label=SECOND, article_id="other", reviewer="ann", meta={"suggestion": "?"})
    with Store(new_db()) as store:
        counts = store.import_label_records([good, clash, lone])
        assert (counts.articles_new, counts.sentences_new, counts.annotations_new) == (1, 1, 1)
        assert len(counts.skipped) == 2 and "unknown label '?'" in counts.skipped[1]
        assert list(store.articles()["id"]) == ["new"]


def test_a_backup_taken_while_another_process_writes_is_a_whole_store(tmp_path):
    import subprocess
    import sys

    from typer.testing import CliRunner

    from annotator.cli import app

    path = tmp_path / "live.db"
    with Store(path) as store:
        store.add_articles([Article(id=f"a{i}", text=f"Sentence one of {i}. Sentence two of {i}.") for i in range(200)])
        ids = sentence_ids(store)
    writer = subprocess.Popen([sys.executable, "-c", f"""
from annotator.store import Store
with Store({str(path)!r}) as store:
    for sid in {ids!r}:
        store.annotate(sid, store.scheme.keys[0], "writer")
"""])
    try:
        result = CliRunner().invoke(app, ["store", "backup", str(tmp_path / "copy.db"), "--db", str(path)])
    finally:
        writer.wait(timeout=120)
    assert result.exit_code == 0 and "backed up to" in result.output, result.output
    with Store(tmp_path / "copy.db") as copy:
        labelled = copy.current_labels()
        assert copy.counts()["sentences"] == 400 and len(labelled) <= 400
        assert set(labelled["sentence_id"]) == set(ids[:len(labelled)])  # a prefix of the writes: consistent
    refused = CliRunner().invoke(app, ["store", "backup", str(path), "--db", str(path)])
    assert refused.exit_code == 1 and "refusing" in refused.output


def test_a_version_3_postgresql_store_gains_holds_and_a_change_counter(pg_server):
    """Version 4 adds the queue's holds (claims) and, on PostgreSQL, the counter that stands in for SQLite's
    data_version: a store left by version 3 is migrated, keeps its labels, and keeps its counts from then on."""
    from conftest import pg_database

    url = pg_database(pg_server)
    with Store(url) as store:
        store.add_articles(ARTICLES)
        store.annotate(sentence_ids(store)[0], FIRST, "ann")
        for statement in ("DROP TABLE claims", "ALTER TABLE annotator_meta DROP COLUMN changes",
                          "UPDATE annotator_meta SET schema_version = 3"):
            store._db.execute(statement)
    with Store(url) as store, Store(url) as other:
        assert store.engine.version(store._db) == SCHEMA_VERSION and len(store.current_labels()) == 1
        assert store.size() == (2, 5) and store._counts  # kept ...
        other.add_articles([Article(id="art-three", text="A third story. It has two sentences.")])
        assert store.size() == (3, 7)  # ... until another connection adds sentences
        assert store.claim("ann", sentence_ids(store)[:2], timedelta(minutes=1)) == sentence_ids(store)[:2]


def test_training_reads_a_store_labels_context_from_its_whole_article(store):
    from annotator import training

    ids = sentence_ids(store, "art-one")  # three sentences; only the first and the last are labelled
    store.annotate(ids[0], FIRST, "ann")
    store.annotate(ids[2], SECOND, "ann")
    frame = training.training_frame(store=store).set_index("sentence_id")
    last = frame.loc[ids[2]]
    assert last["prev_text"] == "The minister said a deal was close."  # its neighbour, though nobody labelled it
    assert last["lead_text"] == "The talks ended on Friday. The minister said a deal was close."
    assert frame.loc[ids[0], "next_text"] == "The minister said a deal was close."
    seed = frame[frame["article_id"] != "art-one"]  # the shipped labels beside them keep their own context
    assert len(seed) and (seed["prev_text"] != "").any() and not seed["lead_text"].isna().any()


def test_the_sentences_of_many_articles_are_read_a_chunk_of_articles_at_a_time(store):
    store.add_articles([Article(id=f"art-{i}", text=f"First of {i}. Second of {i}.") for i in range(3)])
    for chunk in (1, 500):
        found = store.sentences_of(["art-2", "art-0", "art-2"], chunk=chunk)  # a repeat is read once
        by_article = {article: group["text"].tolist() for article, group in found.groupby("article_id")}
        assert by_article == {"art-0": ["First of 0.", "Second of 0."], "art-2": ["First of 2.", "Second of 2."]}
        assert list(found.columns) == list(store.sentences("art-0").columns)
    assert store.sentences_of([]).empty


def test_a_sentences_lead_is_the_one_batch_scoring_reads(store):
    from annotator import features
    from annotator.segment import split_article

    article = Article(id="art-dateline", outlet="Xinhua",
                      text="BEIJING, Nov. 3 (Xinhua) --\n\nThe party released the following statement. It is long. It ends.")
    store.add_articles([article])
    ids = sentence_ids(store, "art-dateline")
    batch = features.article_frame(article, split_article(article))["lead_text"].iloc[0]
    assert store.sentence(ids[-1])["lead_text"] == batch == "The party released the following statement. It is long."


def test_a_lead_behind_many_lines_of_boilerplate_is_still_found(store):
    article = Article(id="art-adverts", outlet="Example Daily",
                      text="\n\n".join(["Advertisement"] * 20 + ["Talks resumed on Monday.", "Both sides attended.", "End."]))
    store.add_articles([article])
    ids = sentence_ids(store, "art-adverts")
    assert store.sentence(ids[-1])["lead_text"] == "Talks resumed on Monday. Both sides attended."


def test_a_sentences_intro_is_the_one_batch_scoring_reads(store):
    from annotator import features
    from annotator.segment import split_article

    article = Article(id="art-intro", outlet="Tehran Times", text="\n\n".join([
        "The envoy spoke at the Council.", "The following is the full text of his speech:", "We want peace.",
        "Note: times are local.", "Thank you."]))
    store.add_articles([article])
    batch = features.article_frame(article, split_article(article)).set_index("sentence_id")["intro_text"]
    assert [store.sentence(sid)["intro_text"] for sid in batch.index] == batch.tolist()
    assert batch.iloc[2] == "The following is the full text of his speech:" and batch.iloc[0] == ""
