"""Writing to the store: articles and their sentences, the append-only label history (labels, adjudications,
undos, bulk labels), reviewers, the prediction cache, and label records imported from files."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import timedelta
from typing import Any
from itertools import islice

import numpy as np
import pandas as pd

from annotator import segment
from annotator.records import Article, LabelRecord, article_id_for, sentence_id_for
from annotator.store.base import BATCH, ImportCounts, StoreBase, StoreError, utc_now
from annotator.store.sql import current_sql, where_equal


ANALYZE_AFTER = 1000  # rows an import adds before the planner's statistics are refreshed


class Writes(StoreBase):
    """Every write; each is one transaction (`StoreBase._write`), and nothing is ever updated or deleted in the
    history."""

    # Writing articles

    def add_articles(self, articles: Iterable[Article]) -> ImportCounts:
        """Add articles and their sentences; known ids are counted, never duplicated. Streams in batches."""
        counts = ImportCounts()
        iterator = iter(articles)
        while batch := list(islice(iterator, BATCH)):
            self._add_batch(batch, counts)
        self._imported(counts.sentences_new)
        return counts

    def _imported(self, rows: int) -> None:
        """After an import of many rows: fresh statistics for the engine's planner (`engine.analyze`)."""
        if rows >= ANALYZE_AFTER:
            self._analyze()

    def _add_batch(self, batch: list[Article], counts: ImportCounts) -> None:
        articles = []
        for article in batch:
            if not article.text.strip():
                counts.skipped.append(f"{article.source or article.id}: empty article text, skipped")
            else:
                articles.append(article if article.id else _with_id(article))
        complete = self._complete_articles([a.id for a in articles])
        split = {a.id: segment.split_sentences(a.id, a.text) for a in articles if a.id not in complete}
        now = utc_now()
        with self._write() as db:
            for article in articles:
                kind = self.registry.kind_of(outlet=article.outlet, url=article.url)
                inserted = db.execute(
                    "INSERT INTO articles (id, title, outlet, outlet_kind, url, date, text, added_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
                    (article.id, article.title, article.outlet, kind, article.url, article.date, article.text, now),
                ).rowcount
                known = db.execute("SELECT start, \"end\", text FROM sentences WHERE article_id = ?", (article.id,))
                spans = [tuple(row) for row in known.fetchall()]
                counts.articles_new += inserted
                counts.articles_known += not inserted
                counts.sentences_known += len(spans)
                if not inserted and article.id in complete:
                    continue
                if any(article.text[start:end] != text for start, end, text in spans):
                    counts.skipped.append(f"{article.source or article.id}: text differs from the labelled sentences"
                                          " imported before; kept the text pieced together from them")
                    continue
                if not inserted:  # its text was pieced together from label records: the real one replaces it
                    db.execute(
                        "UPDATE articles SET text = ?, title = ?, outlet = ?, outlet_kind = ?, url = ?, date = ?,"
                        " rebuilt = 0 WHERE id = ?",
                        (article.text, article.title, article.outlet, kind, article.url, article.date, article.id),
                    )
                sentences = [s for s in split[article.id] if not any(s.start < e and b < s.end for b, e, _ in spans)]
                counts.sentences_new += db.executemany(
                    'INSERT INTO sentences (id, article_id, idx, start, "end", text) VALUES (?, ?, ?, ?, ?, ?)'
                    " ON CONFLICT (id) DO NOTHING",
                    [(s.id, s.article_id, s.index, s.start, s.end, s.text) for s in sentences],
                ).rowcount
                if spans:
                    _renumber(db, {article.id})

    def _complete_articles(self, ids: list[str]) -> set[str]:
        """Which of these articles the store holds with their own text (not pieced together from label records)."""
        known: set[str] = set()
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            with self._lock:
                rows = self._db.execute(f"SELECT id FROM articles WHERE rebuilt = 0 AND id IN ({marks})", chunk)
                known.update(row[0] for row in rows.fetchall())
        return known

    # Writing annotations

    def annotate(
        self,
        sentence_id: str,
        label: str,
        reviewer: str,
        *,
        suggestion: str | None = None,
        suggestion_confidence: float | None = None,
        time: str | None = None,
        origin: str = "app",
    ) -> int:
        """Append a label (a scheme key or skip) by `reviewer`; return its seq. The latest label wins."""
        return self._append(sentence_id, label, reviewer, "label", suggestion, suggestion_confidence, time, origin)

    def annotate_many(self, sentence_ids: list[str], label: str, reviewer: str, *, origin: str = "bulk") -> list[int]:
        """One label for several sentences (a group of repeats), one row each, in one transaction; their seqs."""
        self.scheme.check(label)
        if not reviewer or not reviewer.strip():
            raise ValueError("a reviewer name is required")
        with self._write(labels_only=True) as db:
            known = {row[0] for row in db.execute(
                f"SELECT id FROM sentences WHERE id IN ({','.join('?' * len(sentence_ids))})", sentence_ids)}
            if missing := [sid for sid in sentence_ids if sid not in known]:
                raise StoreError(f"unknown sentence id {missing[0]!r}")
            now = utc_now()
            return [_insert_annotation(db, sid, reviewer.strip(), label, "label", None, None, None, now, origin)
                    for sid in sentence_ids]

    def adjudicate(
        self, sentence_id: str, label: str, adjudicator: str, *, time: str | None = None, origin: str = "app"
    ) -> int:
        """Append an adjudication: the label `final_labels` uses for the sentence, whatever the reviewers said."""
        return self._append(sentence_id, label, adjudicator, "adjudicate", None, None, time, origin)

    def _append(
        self,
        sentence_id: str,
        label: str,
        reviewer: str,
        action: str,
        suggestion: str | None,
        suggestion_confidence: float | None,
        time: str | None,
        origin: str,
    ) -> int:
        self.scheme.check(label)
        if suggestion is not None:
            self.scheme.check(suggestion)
        if not reviewer or not reviewer.strip():
            raise ValueError("a reviewer name is required")
        with self._write(labels_only=True) as db:
            if not db.execute("SELECT 1 FROM sentences WHERE id = ?", (sentence_id,)).fetchone():
                raise StoreError(f"unknown sentence id {sentence_id!r}")
            return _insert_annotation(
                db, sentence_id, reviewer.strip(), label, action, None, suggestion, suggestion_confidence,
                time or utc_now(), origin,
            )

    def undo(self, reviewer: str, sentence_id: str | None = None, *, origin: str = "app") -> int | None:
        """Take back the reviewer's latest label or adjudication not yet undone (of `sentence_id` if given).

        Appends an undo row and returns its seq, or None when there is nothing to undo. Repeated undos go back in
        time, one label each.
        """
        with self._write(labels_only=True) as db:
            return _undo_latest(db, reviewer, sentence_id, origin)

    def undo_many(self, reviewer: str, sentence_ids: list[str], *, origin: str = "app") -> list[int]:
        """Take back the reviewer's latest label of each sentence in one transaction (a bulk label, as one step)."""
        with self._write(labels_only=True) as db:
            done = [_undo_latest(db, reviewer, sid, origin) for sid in sentence_ids]
        return [seq for seq in done if seq is not None]

    def claim(self, reviewer: str, sentence_ids: list[str], hold: timedelta) -> list[str]:
        """Hold these sentences for the reviewer's queue for `hold` from now, in one transaction, and drop the
        reviewer's other holds; return the ones now held for them, in order: a sentence another reviewer holds
        (not expired) stays theirs, so two queues drawn at once, on any server, never share a sentence."""
        now, until = utc_now(), utc_now(hold)
        with self._write(labels_only=True) as db:
            db.execute("DELETE FROM claims WHERE until <= ? OR reviewer = ?", (now, reviewer))
            db.executemany(
                """INSERT INTO claims (sentence_id, reviewer, until) SELECT ?, ?, ?
                   WHERE EXISTS (SELECT 1 FROM sentences WHERE id = ?) ON CONFLICT (sentence_id) DO NOTHING""",
                [(sid, reviewer, until, sid) for sid in sentence_ids],
            )
            held = {row[0] for row in db.execute("SELECT sentence_id FROM claims WHERE reviewer = ?", (reviewer,))}
        return [sid for sid in sentence_ids if sid in held]

    # Reviewers of a team (see annotator/accounts.py); a store without any is in local mode

    def put_reviewer(self, name: str, role: str, password_hash: str) -> None:
        """Add a reviewer, or replace their role and password."""
        with self._write() as db:
            db.execute(
                """INSERT INTO reviewers (name, role, password_hash, created_at) VALUES (?, ?, ?, ?)
                   ON CONFLICT (name) DO UPDATE SET role = excluded.role, password_hash = excluded.password_hash,
                                                    created_at = excluded.created_at""",
                (name, role, password_hash, utc_now()),
            )


    # Predictions

    def save_predictions(self, frame: pd.DataFrame, model_id: str, *, replace: bool = False) -> int:
        """Add a model's predictions (a sentence predicted again is updated; with `replace`, the model's earlier
        predictions are dropped first); return how many were for known sentences. Adding, not replacing, lets
        several sessions fill one model's cache at once, article by article, without losing each other's rows.

        `frame` has `sentence_id` and `p_<label>` columns (see `Scheme.prob_columns`); `label`, `confidence` and
        `margin` are derived from them when absent. A row labelled skip (boilerplate, see `score.record_schema`)
        gets 1 added to its margin, so that "least sure first" offers boilerplate last.
        """
        keys = self.scheme.keys
        probs = frame[self.scheme.prob_columns()].to_numpy(dtype=float)
        ranked = np.sort(probs, axis=1)
        top = ranked[:, -1]
        label = frame["label"] if "label" in frame else [keys[i] for i in probs.argmax(axis=1)]
        confidence = frame["confidence"] if "confidence" in frame else top
        margin = frame["margin"] if "margin" in frame else top - (ranked[:, -2] if len(keys) > 1 else 0)
        margin = np.asarray(margin, dtype=float) + (np.asarray(label, dtype=object) == self.scheme.skip.key)
        rows = [
            (sid, model_id, lab, float(conf), float(marg), json.dumps(dict(zip(keys, map(float, p)))), sid)
            for sid, lab, conf, marg, p in zip(frame["sentence_id"], label, confidence, margin, probs)
        ]
        with self._write() as db:
            if replace:
                db.execute("DELETE FROM predictions WHERE model_id = ?", (model_id,))
            return db.executemany(
                """INSERT INTO predictions (sentence_id, model_id, label, confidence, margin, probabilities)
                   SELECT ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM sentences WHERE id = ?)
                   ON CONFLICT (sentence_id, model_id) DO UPDATE SET label = excluded.label,
                       confidence = excluded.confidence, margin = excluded.margin,
                       probabilities = excluded.probabilities""",
                rows,
            ).rowcount


    def import_label_records(
        self, records: Iterable[LabelRecord], *, origin: str = "import", reviewer: str = "import"
    ) -> ImportCounts:
        """Add label records (from `formats.read_labels`), creating the articles and sentences they refer to.

        An unknown article is rebuilt from its records' texts at their offsets, padded with spaces. Importing the
        same records twice adds nothing: an identical (sentence, reviewer, label, time) row is skipped. `reviewer`
        and `origin` fill records that carry none; bad records are skipped and reported in `skipped`.
        """
        counts = ImportCounts()
        iterator = iter(records)
        while batch := list(islice(iterator, BATCH)):
            with self._write() as db:
                known = _Known.read(db, batch)
                for record in batch:
                    try:  # a bad record is found before anything of it is written: the rest of the batch stays
                        self._import_record(db, record, origin, reviewer, known, counts)
                    except ValueError as error:
                        counts.skipped.append(f"record {record.sentence_id or record.text[:40]!r}: {error}")
                for article_id in sorted(known.grown):  # a rebuilt article's text, once per batch
                    db.execute("UPDATE articles SET text = ? WHERE id = ?", (known.articles[article_id]["text"], article_id))
                _renumber(db, known.touched)
        self._imported(counts.sentences_new + counts.annotations_new)
        return counts

    def _import_record(
        self, db: Any, record: LabelRecord, origin: str, reviewer: str, known: _Known, counts: ImportCounts
    ) -> None:
        """Check the record against what the batch knows (ValueError, with nothing written, when it does not fit),
        then write what is new of it: its article, its sentence, its annotation."""
        self.scheme.check(record.label)
        meta = record.meta or {}
        suggestion = meta.get("suggestion")
        if suggestion is not None:
            self.scheme.check(suggestion)
        article_id = record.article_id or article_id_for(record.text)
        article = known.articles.get(article_id)
        text, rebuilt = (article["text"], bool(article["rebuilt"])) if article else ("", True)
        sentence_id, start, grown = known.sentence(record, article_id, text, rebuilt)
        action = "adjudicate" if meta.get("action") == "adjudicate" else "label"
        who = record.reviewer or reviewer

        if article is None:
            kind = meta.get("outlet_kind") or self.registry.kind_of(outlet=record.outlet, url=meta.get("url", ""))
            db.execute(
                "INSERT INTO articles (id, title, outlet, outlet_kind, url, date, text, added_at, rebuilt)"
                " VALUES (?, ?, ?, ?, ?, ?, '', ?, 1)",
                (article_id, meta.get("title", ""), record.outlet, kind, meta.get("url", ""), meta.get("date", ""),
                 utc_now()),
            )
            known.articles[article_id] = {"text": "", "rebuilt": 1}
            counts.articles_new += 1
        if start is None:
            counts.sentences_known += 1
        else:
            if grown != text:
                known.grow(article_id, grown)
            db.execute(
                'INSERT INTO sentences (id, article_id, idx, start, "end", text) VALUES (?, ?, 0, ?, ?, ?)',
                (sentence_id, article_id, start, start + len(record.text), record.text),
            )
            known.added(sentence_id, article_id, start, record.text)
            counts.sentences_new += 1

        if record.time:
            seen = (sentence_id, who, record.label, record.time, action) in known.annotations
        else:
            seen = db.execute(
                f"SELECT 1 FROM ({current_sql(action, 'l.sentence_id = ? AND a.reviewer = ?')}) AS cur WHERE label = ?",
                (sentence_id, who, record.label),
            ).fetchone() is not None
        if seen:
            counts.annotations_known += 1
            return
        time = record.time or utc_now()
        _insert_annotation(
            db, sentence_id, who, record.label, action, None, suggestion, meta.get("suggestion_confidence"),
            time, meta.get("origin") or origin,
        )
        known.annotations.add((sentence_id, who, record.label, time, action))
        counts.annotations_new += 1


class _Known:
    """What the store holds of one batch of label records' articles, read in three queries (not ten per record:
    on PostgreSQL each is a round trip) and kept up to date as the batch writes."""

    def __init__(self, articles: dict, sentences: list, annotations: set) -> None:
        self.articles: dict[str, dict] = articles
        self.ids: dict[str, tuple[str, str]] = {}  # sentence id -> (article id, text)
        self.places: dict[tuple[str, int, str], str] = {}  # (article id, start, text) -> sentence id
        self.annotations: set[tuple] = annotations
        self.touched: set[str] = set()  # articles that gained sentences
        self.grown: set[str] = set()  # rebuilt articles whose text gained them, to be written at the batch's end
        for sentence_id, article_id, start, text in sentences:
            self.ids[sentence_id] = (article_id, text)
            self.places[(article_id, start, text)] = sentence_id

    @classmethod
    def read(cls, db: Any, batch: list[LabelRecord]) -> _Known:
        article_ids = sorted({record.article_id or article_id_for(record.text) for record in batch})
        sentence_ids = sorted({record.sentence_id for record in batch if record.sentence_id})
        articles, marks = {}, ", ".join("?" * len(article_ids))
        for row in db.execute(f"SELECT id, text, rebuilt FROM articles WHERE id IN ({marks})", article_ids):
            articles[row["id"]] = {"text": row["text"], "rebuilt": row["rebuilt"]}
        # the batch's articles' sentences, and any sentence a record names (which may be held by another article)
        where = f"article_id IN ({marks})" + (f" OR id IN ({', '.join('?' * len(sentence_ids))})" if sentence_ids else "")
        sentences = [(row["id"], row["article_id"], row["start"], row["text"]) for row in db.execute(
            f"SELECT id, article_id, start, text FROM sentences WHERE {where}", [*article_ids, *sentence_ids])]
        annotations = {tuple(row) for row in db.execute(
            f"""SELECT a.sentence_id, a.reviewer, a.label, a.time, a.action FROM annotations a
                JOIN sentences s ON s.id = a.sentence_id WHERE s.article_id IN ({marks})""", article_ids)}
        return cls(articles, sentences, annotations)

    def sentence(self, record: LabelRecord, article_id: str, text: str, rebuilt: bool) -> tuple[str, int | None, str]:
        """The record's sentence id, its start if it is new (None when the store holds it) and the article's text
        with it; ValueError when the record contradicts the store."""
        if record.sentence_id and record.sentence_id in self.ids:
            if self.ids[record.sentence_id] != (article_id, record.text):
                raise ValueError(f"sentence {record.sentence_id} is held with another article or text")
            return record.sentence_id, None, text
        start = record.start
        if start is None:
            found = text.find(record.text)
            start = found if found >= 0 else (len(text) + 1 if text else 0)
        if (held := self.places.get((article_id, start, record.text))) is not None:
            return held, None, text
        end = start + len(record.text)
        if text[start:end] != record.text:
            if not rebuilt or text[start:end].strip():
                raise ValueError(f"text does not match article {article_id} at {start}:{end}")
            text = text[:start].ljust(start) + record.text + text[end:]
        return record.sentence_id or self.free_id(article_id, record.text), start, text

    def free_id(self, article_id: str, text: str) -> str:
        """`sentence_id_for` with the first occurrence number not already taken (a sentence repeated in an article)."""
        occurrence = 0
        while (sid := sentence_id_for(article_id, text, occurrence)) in self.ids:
            occurrence += 1
        return sid

    def grow(self, article_id: str, text: str) -> None:
        self.articles[article_id]["text"] = text
        self.grown.add(article_id)

    def added(self, sentence_id: str, article_id: str, start: int, text: str) -> None:
        self.ids[sentence_id] = (article_id, text)
        self.places[(article_id, start, text)] = sentence_id
        self.touched.add(article_id)


def _with_id(article: Article) -> Article:
    return Article(**{**article.to_dict(), "id": article_id_for(article.text)})


def _undo_latest(db: Any, reviewer: str, sentence_id: str | None, origin: str) -> int | None:
    """Append an undo of the reviewer's latest label or adjudication not yet undone (of `sentence_id` if given)."""
    where, params = where_equal(("a.reviewer", reviewer), ("a.sentence_id", sentence_id))
    row = db.execute(
        f"""SELECT a.seq, a.sentence_id, a.label FROM annotations a
            WHERE {where} AND a.action IN ('label', 'adjudicate')
              AND NOT EXISTS (SELECT 1 FROM annotations u WHERE u.undoes = a.seq)
            ORDER BY a.seq DESC LIMIT 1""",
        params,
    ).fetchone()
    if row is None:
        return None
    return _insert_annotation(
        db, row["sentence_id"], reviewer, row["label"], "undo", row["seq"], None, None, utc_now(), origin
    )


def _insert_annotation(
    db: Any, sentence_id: str, reviewer: str, label: str, action: str, undoes: int | None,
    suggestion: str | None, suggestion_confidence: float | None, time: str, origin: str,
) -> int:
    """Append one annotation row and bring `latest` up to date with it, in the caller's transaction."""
    seq = db.execute(
        """INSERT INTO annotations (sentence_id, reviewer, label, action, undoes, suggestion, suggestion_confidence,
                                    time, origin) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq""",
        (sentence_id, reviewer, label, action, undoes, suggestion, suggestion_confidence, time, origin),
    ).fetchone()[0]
    if action != "undo":
        key = "" if action == "adjudicate" else reviewer
        db.execute(
            """INSERT INTO latest (reviewer, action, sentence_id, seq) VALUES (?, ?, ?, ?)
               ON CONFLICT (reviewer, action, sentence_id) DO UPDATE SET seq = excluded.seq""",
            (key, action, sentence_id, seq),
        )
        return seq
    undone = db.execute("SELECT reviewer, action FROM annotations WHERE seq = ?", (undoes,)).fetchone()
    action = undone["action"]
    key = "" if action == "adjudicate" else undone["reviewer"]
    row = db.execute(
        """SELECT max(a.seq) FROM annotations a WHERE a.sentence_id = ? AND a.action = ? AND ? IN ('', a.reviewer)
           AND NOT EXISTS (SELECT 1 FROM annotations u WHERE u.undoes = a.seq)""",
        (sentence_id, action, key),
    ).fetchone()
    db.execute("DELETE FROM latest WHERE reviewer = ? AND action = ? AND sentence_id = ?", (key, action, sentence_id))
    if row[0] is not None:
        db.execute("INSERT INTO latest (reviewer, action, sentence_id, seq) VALUES (?, ?, ?, ?)",
                   (key, action, sentence_id, row[0]))
    return seq


def _renumber(db: Any, article_ids: set[str]) -> None:
    """Make `idx` the position by offset again in articles that gained imported sentences."""
    for article_id in article_ids:
        db.execute(
            """UPDATE sentences SET idx = (SELECT count(*) FROM sentences p
                                          WHERE p.article_id = sentences.article_id AND p.start < sentences.start)
               WHERE article_id = ?""",
            (article_id,),
        )
