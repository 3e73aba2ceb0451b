"""The SQLite label store: articles, sentences, an append-only history of annotations, and model predictions.

One file, WAL mode and `BEGIN IMMEDIATE` writes, so several reviewers (processes) can label at once and lose
nothing. Annotations are never updated or deleted: an undo is a new row, and the current label is derived.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from annotator import formats, segment, sources
from annotator.records import Article, LabelRecord, article_id_for, sentence_id_for
from annotator.scheme import Scheme, load_scheme

SCHEMA_VERSION = 3
BATCH = 500  # articles or label records written per transaction

# Team mode: the reviewers who sign in to the app (annotator/accounts.py). Version 3 added it.
_REVIEWERS = """
CREATE TABLE IF NOT EXISTS reviewers (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('annotator', 'adjudicator')),
    password_hash TEXT NOT NULL,  -- scrypt, with its salt and parameters
    created_at TEXT NOT NULL
)"""
_SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL DEFAULT '',
    outlet TEXT NOT NULL DEFAULT '',
    outlet_kind TEXT NOT NULL DEFAULT '',
    url TEXT NOT NULL DEFAULT '',
    date TEXT NOT NULL DEFAULT '',
    text TEXT NOT NULL,
    added_at TEXT NOT NULL,
    rebuilt INTEGER NOT NULL DEFAULT 0  -- 1: text pieced together from imported label records
);
CREATE TABLE IF NOT EXISTS sentences (
    id TEXT PRIMARY KEY,
    article_id TEXT NOT NULL REFERENCES articles(id),
    idx INTEGER NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sentences_article_start ON sentences(article_id, start);
CREATE INDEX IF NOT EXISTS sentences_repeat ON sentences(lower(trim(text)));
CREATE TABLE IF NOT EXISTS annotations (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    sentence_id TEXT NOT NULL REFERENCES sentences(id),
    reviewer TEXT NOT NULL,
    label TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('label', 'undo', 'adjudicate')),
    undoes INTEGER REFERENCES annotations(seq),
    suggestion TEXT,
    suggestion_confidence REAL,
    time TEXT NOT NULL,
    origin TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS annotations_reviewer ON annotations(reviewer, seq);
CREATE INDEX IF NOT EXISTS annotations_reviewer_sentence ON annotations(reviewer, sentence_id);
CREATE INDEX IF NOT EXISTS annotations_sentence ON annotations(sentence_id);
CREATE INDEX IF NOT EXISTS annotations_undoes ON annotations(undoes) WHERE undoes IS NOT NULL;
-- Derived from annotations in the same transaction as every append: the seq of the latest row not undone per
-- (reviewer, sentence) for labels, per sentence for adjudications (reviewer ''). Makes current labels a lookup.
CREATE TABLE IF NOT EXISTS latest (
    reviewer TEXT NOT NULL,
    action TEXT NOT NULL,
    sentence_id TEXT NOT NULL,
    seq INTEGER NOT NULL REFERENCES annotations(seq),
    PRIMARY KEY (reviewer, action, sentence_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS latest_sentence ON latest(sentence_id);
CREATE TABLE IF NOT EXISTS predictions (
    sentence_id TEXT NOT NULL REFERENCES sentences(id),
    model_id TEXT NOT NULL,
    label TEXT NOT NULL,
    confidence REAL NOT NULL,
    margin REAL NOT NULL,
    probabilities TEXT NOT NULL,
    PRIMARY KEY (sentence_id, model_id)
);
CREATE INDEX IF NOT EXISTS predictions_model_margin ON predictions(model_id, margin);
""" + _REVIEWERS

# What opening a store of version N (the key) runs to bring it to N + 1, in the same transaction as the rest.
_MIGRATIONS = {
    1: ["CREATE INDEX IF NOT EXISTS sentences_repeat ON sentences(lower(trim(text)))"],  # repeats (`Store.repeats`)
    2: [_REVIEWERS],
}
# Sentences that repeat one another: the same text, ignoring case and surrounding spaces (the index above).
REPEAT_KEY = "lower(trim(s.text))"

# The current rows of one action: each reviewer's latest label, or each sentence's latest adjudication.
_CURRENT = """
    SELECT a.* FROM latest l JOIN annotations a ON a.seq = l.seq WHERE l.action = '{action}' AND {where}
"""
_CONTEXT_COLUMNS = """
    s.article_id, s.idx, s.start, s."end", s.text, ar.title, ar.url, ar.outlet, ar.outlet_kind
"""


@dataclass(frozen=True)
class Filters:
    """Which sentences a queue draws from (all given conditions hold): outlets and outlet kinds, words in the text,
    the model's suggestion and its confidence (needs a model's cached predictions), and another reviewer's label."""

    outlets: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    text: str = ""  # a phrase the sentence contains, any case
    model_id: str | None = None  # the model whose cached predictions the next two read
    suggestion: str | None = None  # the model's label
    confidence: tuple[float, float] = (0.0, 1.0)  # the model's confidence, inclusive
    labelled_by: str | None = None  # a reviewer with a live label on the sentence ...
    labelled_as: str | None = None  # ... and that label (either alone: anyone's label / any label)

    def __bool__(self) -> bool:
        return self != Filters(model_id=self.model_id)

    def sql(self) -> tuple[str, list[Any]]:
        """An SQL condition on sentences `s` joined to articles `ar`, and its parameters."""
        where, params = ["1"], []
        for column, values in (("ar.outlet", self.outlets), ("ar.outlet_kind", self.kinds)):
            if values:
                where.append(f"{column} IN ({','.join('?' * len(values))})")
                params += list(values)
        if self.text.strip():
            escaped = self.text.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            where.append("lower(s.text) LIKE ? ESCAPE '\\'")
            params.append(f"%{escaped}%")
        if self.suggestion or self.confidence != (0.0, 1.0):
            if not self.model_id:
                raise StoreError("filtering by the model's suggestion or confidence needs a model")
            where.append("""EXISTS (SELECT 1 FROM predictions fp WHERE fp.sentence_id = s.id AND fp.model_id = ?
                            AND fp.confidence BETWEEN ? AND ?""" + (" AND fp.label = ?)" if self.suggestion else ")"))
            params += [self.model_id, *self.confidence] + ([self.suggestion] if self.suggestion else [])
        if self.labelled_by or self.labelled_as:
            conditions, values = _filters(("fl.reviewer", self.labelled_by), ("fa.label", self.labelled_as))
            where.append(f"""EXISTS (SELECT 1 FROM latest fl JOIN annotations fa ON fa.seq = fl.seq
                             WHERE fl.action = 'label' AND fl.sentence_id = s.id AND {conditions})""")
            params += values
        return " AND ".join(where), params


class StoreError(ValueError):
    """A store that cannot be used, or a request naming something the store does not hold."""


def trouble(error: sqlite3.DatabaseError) -> str:
    """One line for SQLite refusing the store, with what the user can do about it."""
    text = str(error)
    if "full" in text:
        hint = "the disk is full: free some space and run it again; an import adds only what is not there yet"
    elif "readonly" in text or "read-only" in text:
        hint = "the store's file or folder is read-only: name a writable one with --db"
    else:
        hint = "a damaged file, or not an annotator store"
    return f"the store cannot be used: {text} ({hint})"


@dataclass
class ImportCounts:
    """What an import added and what it found already there; `skipped` holds one message per bad item."""

    articles_new: int = 0
    articles_known: int = 0
    sentences_new: int = 0
    sentences_known: int = 0
    annotations_new: int = 0
    annotations_known: int = 0
    skipped: list[str] = field(default_factory=list)

    def add(self, other: ImportCounts) -> None:
        for name, value in vars(other).items():
            setattr(self, name, getattr(self, name) + value)

    def __str__(self) -> str:
        parts = [
            f"articles: {self.articles_new} new, {self.articles_known} already known",
            f"sentences: {self.sentences_new} new, {self.sentences_known} already known",
        ]
        if self.annotations_new or self.annotations_known:
            parts.append(f"annotations: {self.annotations_new} new, {self.annotations_known} already known")
        if self.skipped:
            parts.append(f"skipped: {len(self.skipped)}")
        return "; ".join(parts)


def utc_now() -> str:
    """The current time as ISO-8601 UTC with microseconds, e.g. 2026-11-25T21:40:00.123456Z."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _current_sql(action: str, where: str = "1") -> str:
    return _CURRENT.format(action=action, where=where)


class Store:
    """The label store at `path` (created with its folders and schema when missing). Use as a context manager."""

    def __init__(self, path: str | Path, *, scheme: Scheme | None = None):
        self.path = Path(path)
        self.scheme = scheme or load_scheme()
        self._registry = None
        self._lock = threading.RLock()
        self._counts: dict[tuple, int] = {}  # see `_count`
        self._counts_version = None
        if self.path.is_dir():
            raise StoreError(f"{self.path} is a folder; the store is a file in it (e.g. {self.path / 'annotations.db'})")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not all(os.access(p, os.W_OK) for p in (self.path.parent, self.path) if p.exists()):
            raise StoreError(f"{self.path}: the store or its folder is read-only. SQLite writes beside the file (its "
                             "-wal and -shm files) even to read: copy it to a writable folder and name that with --db")
        self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA busy_timeout = 30000")
        self._db.execute("PRAGMA foreign_keys = ON")
        # In WAL mode NORMAL never corrupts the file; a power cut (not a crash) may lose the last few labels.
        self._db.execute("PRAGMA synchronous = NORMAL")
        try:
            self._open_schema()
        except sqlite3.DatabaseError as error:
            self._db.close()
            raise StoreError(f"{self.path}: not a readable annotator store ({error})") from None
        except Exception:
            self._db.close()
            raise

    def _open_schema(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path}: store schema version {version} is newer than this annotator knows "
                f"({SCHEMA_VERSION}); upgrade annotator to open it"
            )
        if version == SCHEMA_VERSION:
            return
        if self._db.execute("PRAGMA journal_mode = WAL").fetchone()[0].lower() != "wal":
            raise StoreError(f"{self.path}: cannot switch the store to WAL mode")
        with self._write() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]  # another process may have created it
            tables = db.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
            if version == 0 and tables:
                raise StoreError(f"{self.path}: an SQLite file that is not an annotator store")
            if version == 0:
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        db.execute(statement)
            else:
                for step in range(version, SCHEMA_VERSION):
                    for statement in _MIGRATIONS[step]:
                        db.execute(statement)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def close(self) -> None:
        self._db.close()

    def backup(self, path: str | Path) -> Path:
        """A consistent copy of the whole store at `path`, taken while others may go on writing (SQLite's online
        backup API), written through a temporary file: a failed backup leaves the previous one as it was."""
        from annotator import outputs

        with outputs.atomic(path) as temporary:
            target = sqlite3.connect(temporary)
            try:
                with self._lock:
                    self._db.backup(target)
            finally:
                target.close()
        return Path(path)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def _write(self, *, labels_only: bool = False) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once (`BEGIN IMMEDIATE`) so concurrent writers queue instead of failing.
        `labels_only`: it appends to the label history only, so the kept counts (`_count`) stay true."""
        with self._lock:
            if not labels_only:
                self._counts.clear()
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                if self._db.in_transaction:  # SQLite has already rolled back on some errors (a full disk)
                    self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _frame(self, sql: str, params: Iterable[Any] = ()) -> pd.DataFrame:
        with self._lock:
            cursor = self._db.execute(sql, tuple(params))
            columns = [d[0] for d in cursor.description]
            return pd.DataFrame([tuple(row) for row in cursor.fetchall()], columns=columns)

    def _column(self, sql: str, params: Iterable[Any] = ()) -> list[Any]:
        with self._lock:
            return [row[0] for row in self._db.execute(sql, tuple(params))]

    def _one(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Row | None:
        with self._lock:
            return self._db.execute(sql, tuple(params)).fetchone()

    def _count(self, sql: str, params: tuple = ()) -> int:
        """A count over articles, sentences or predictions, kept until this connection writes anything but labels or
        another connection commits (SQLite's `data_version`): the app asks for them on every key press, and a
        count(*) over 50,000 sentences costs milliseconds each time."""
        with self._lock:
            version = self._db.execute("PRAGMA data_version").fetchone()[0]
            if version != self._counts_version:
                self._counts.clear()
                self._counts_version = version
            key = (sql, *params)
            if key not in self._counts:
                self._counts[key] = int(self._db.execute(sql, params).fetchone()[0])
            return self._counts[key]

    @property
    def registry(self) -> sources.Registry:
        if self._registry is None:
            self._registry = sources.load_registry()
        return self._registry

    def pragma(self, name: str) -> Any:
        """The value of an SQLite pragma (journal_mode, user_version, ...), for checks and diagnostics."""
        return self._one(f"PRAGMA {name}")[0]

    # Writing articles

    def add_articles(self, articles: Iterable[Article]) -> ImportCounts:
        """Add articles and their sentences; known ids are counted, never duplicated. Streams in batches."""
        counts = ImportCounts()
        iterator = iter(articles)
        while batch := list(islice(iterator, BATCH)):
            self._add_batch(batch, counts)
        return counts

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
                    "INSERT OR IGNORE INTO articles (id, title, outlet, outlet_kind, url, date, text, added_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
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
                    'INSERT OR IGNORE INTO sentences (id, article_id, idx, start, "end", text) VALUES (?, ?, ?, ?, ?, ?)',
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

    # Reviewers of a team (see annotator/accounts.py); a store without any is in local mode

    def put_reviewer(self, name: str, role: str, password_hash: str) -> None:
        """Add a reviewer, or replace their role and password."""
        with self._write() as db:
            db.execute("INSERT OR REPLACE INTO reviewers VALUES (?, ?, ?, ?)", (name, role, password_hash, utc_now()))

    def reviewer(self, name: str) -> dict[str, str] | None:
        """A reviewer's name, role and password hash, or None."""
        row = self._one("SELECT name, role, password_hash FROM reviewers WHERE name = ?", [name])
        return dict(row) if row else None

    def reviewers(self) -> pd.DataFrame:
        """Every reviewer of the team: name, role, created_at (no hashes)."""
        return self._frame("SELECT name, role, created_at FROM reviewers ORDER BY name")

    def recent_labels(self, reviewer: str, limit: int) -> pd.DataFrame:
        """The reviewer's `limit` latest labels still live, oldest first: seq, sentence_id, time, origin (to take
        them back after a reload, the way the session that gave them could)."""
        frame = self._frame(
            """SELECT a.seq, a.sentence_id, a.time, a.origin FROM latest l JOIN annotations a ON a.seq = l.seq
               WHERE l.reviewer = ? AND l.action = 'label' ORDER BY a.seq DESC LIMIT ?""",
            [reviewer, limit],
        )
        return frame.iloc[::-1].reset_index(drop=True)

    def repeats(self, sentence_id: str, reviewer: str) -> list[str]:
        """The other sentences with the same text (ignoring case and surrounding spaces) in articles of the same
        outlet kind that the reviewer has not labelled yet, in article order."""
        return self._column(
            f"""SELECT s.id FROM sentences s JOIN articles ar ON ar.id = s.article_id,
                       (SELECT {REPEAT_KEY} AS repeat_key, ar.outlet_kind AS kind FROM sentences s
                        JOIN articles ar ON ar.id = s.article_id WHERE s.id = ?) this
                WHERE {REPEAT_KEY} = this.repeat_key AND ar.outlet_kind = this.kind AND s.id != ?
                  AND NOT EXISTS ({_has_label_sql()}) ORDER BY ar.rowid, s.start""",
            [sentence_id, sentence_id, reviewer],
        )

    def repeat_keys(self, sentence_ids: list[str]) -> dict[str, tuple[str, str]]:
        """Each sentence's repeat group: (outlet kind, text ignoring case and surrounding spaces)."""
        rows = self._frame(
            f"""SELECT s.id, ar.outlet_kind, {REPEAT_KEY} FROM sentences s JOIN articles ar ON ar.id = s.article_id
                WHERE s.id IN ({','.join('?' * len(sentence_ids))})""",
            sentence_ids,
        )
        return {sid: (kind, key) for sid, kind, key in rows.itertuples(index=False)}

    # Reading

    def current_labels(
        self, reviewer: str | None = None, *, article_id: str | None = None, shared: bool = False
    ) -> pd.DataFrame:
        """Each reviewer's current label per sentence (latest not undone), with sentence and article context.

        Ordered by article, offset and reviewer; `reviewer` and `article_id` narrow it down, and `shared` keeps the
        sentences two or more reviewers labelled (all that agreement measures look at: a fraction of the store).
        """
        where, params = _filters(("l.reviewer", reviewer), ("s.article_id", article_id))
        if shared:
            where += """ AND l.sentence_id IN (
                SELECT sentence_id FROM latest WHERE action = 'label' GROUP BY sentence_id HAVING count(*) >= 2)"""
        # CROSS JOIN fixes the loop order: one article's sentences first, whatever the planner's statistics say.
        rows = (
            "sentences s CROSS JOIN latest l ON l.sentence_id = s.id" if article_id is not None
            else "latest l JOIN sentences s ON s.id = l.sentence_id"
        )
        return self._frame(
            f"""SELECT a.sentence_id, a.reviewer, a.label, a.time, a.suggestion, a.suggestion_confidence, a.origin,
                       a.seq, {_CONTEXT_COLUMNS}
                FROM {rows} JOIN annotations a ON a.seq = l.seq JOIN articles ar ON ar.id = s.article_id
                WHERE l.action = 'label' AND {where}
                ORDER BY s.article_id, s.start, a.reviewer""",
            params,
        )

    def final_labels(self) -> pd.DataFrame:
        """One label per sentence to train on: the latest adjudication, else the label all its reviewers agree on.

        Unresolved disagreements are left out; skips are kept (callers drop them). `decided_by` says which rule
        applied ('adjudication' or 'agreement'), `n_reviewers` how many reviewers labelled the sentence.
        """
        return self._frame(
            f"""WITH cur AS ({_current_sql("label")}),
                adj AS ({_current_sql("adjudicate")}),
                agreed AS (
                    SELECT sentence_id, min(label) AS label, count(DISTINCT label) AS labels, count(*) AS n_reviewers,
                           group_concat(reviewer, ',') AS reviewer, max(time) AS time
                    FROM (SELECT * FROM cur ORDER BY sentence_id, reviewer) GROUP BY sentence_id
                ),
                decided AS (
                    SELECT adj.sentence_id, adj.label, 'adjudication' AS decided_by,
                           coalesce(agreed.n_reviewers, 0) AS n_reviewers, adj.reviewer, adj.time
                    FROM adj LEFT JOIN agreed USING (sentence_id)
                    UNION ALL
                    SELECT sentence_id, label, 'agreement', n_reviewers, reviewer, time FROM agreed
                    WHERE labels = 1 AND sentence_id NOT IN (SELECT sentence_id FROM adj)
                )
                SELECT d.sentence_id, d.label, d.decided_by, d.n_reviewers, d.reviewer, d.time, {_CONTEXT_COLUMNS}
                FROM decided d JOIN sentences s ON s.id = d.sentence_id JOIN articles ar ON ar.id = s.article_id
                ORDER BY s.article_id, s.start"""
        )

    def history(self, sentence_id: str | None = None) -> pd.DataFrame:
        """Every annotation row in order (labels, undos, adjudications), with `undone` telling which were taken back."""
        where, params = _filters(("a.sentence_id", sentence_id))
        frame = self._frame(
            f"""SELECT a.*, EXISTS (SELECT 1 FROM annotations u WHERE u.undoes = a.seq) AS undone
                FROM annotations a WHERE {where} ORDER BY a.seq""",
            params,
        )
        frame["undone"] = frame["undone"].astype(bool)
        frame["undoes"] = frame["undoes"].astype("Int64")
        return frame

    def articles(self) -> pd.DataFrame:
        """Every article (without its text) with its sentence count, in the order they were added."""
        return self._frame(
            """SELECT ar.id, ar.title, ar.outlet, ar.outlet_kind, ar.url, ar.date, ar.added_at,
                      (SELECT count(*) FROM sentences s WHERE s.article_id = ar.id) AS sentences
               FROM articles ar ORDER BY ar.rowid"""
        )

    def sentences(self, article_id: str | None = None) -> pd.DataFrame:
        """The sentences (of one article, or all) in article order."""
        where, params = _filters(("s.article_id", article_id))
        return self._frame(
            f"""SELECT s.id AS sentence_id, {_CONTEXT_COLUMNS}
                FROM sentences s JOIN articles ar ON ar.id = s.article_id WHERE {where}
                ORDER BY ar.rowid, s.start""",
            params,
        )

    def article(self, article_id: str) -> Article:
        row = self._one("SELECT id, text, title, outlet, url, date FROM articles WHERE id = ?", [article_id])
        if row is None:
            raise StoreError(f"unknown article id {article_id!r}")
        return Article(**dict(row))

    def sentence(self, sentence_id: str) -> dict[str, Any]:
        """One sentence with its article's title, outlet and url and the texts of the sentences before and after."""
        row = self._one(
            f"SELECT s.id AS sentence_id, {_CONTEXT_COLUMNS} FROM sentences s JOIN articles ar ON ar.id = s.article_id"
            " WHERE s.id = ?",
            [sentence_id],
        )
        if row is None:
            raise StoreError(f"unknown sentence id {sentence_id!r}")
        result = dict(row)
        for key, sql in (
            ("prev_text", "start < ? ORDER BY start DESC"),
            ("next_text", "start > ? ORDER BY start"),
        ):
            near = self._one(f"SELECT text FROM sentences WHERE article_id = ? AND {sql} LIMIT 1",
                             [row["article_id"], row["start"]])
            result[key] = near[0] if near else ""
        return result

    def unlabelled(
        self, reviewer: str, *, article_id: str | None = None, limit: int | None = 50, model_id: str | None = None,
        filters: Filters | None = None,
    ) -> pd.DataFrame:
        """Sentences the reviewer has no current label (nor skip) for, in article order; `limit=None` for all.

        With `model_id`: only sentences that model has a stored prediction for, least sure (smallest margin) first,
        with its `prediction`, `confidence` and `margin`. With `filters`: only the sentences they let through.
        """
        where, params = _filters(("s.article_id", article_id))
        if filters:
            chosen, values = filters.sql()
            where, params = f"{where} AND {chosen}", [*params, *values]
        first = [] if model_id is None else [model_id]
        if model_id is None:
            source, columns, order = "articles ar JOIN sentences s ON s.article_id = ar.id", "", "ar.rowid, s.start"
        else:
            source = """predictions p JOIN sentences s ON s.id = p.sentence_id AND p.model_id = ?
                        JOIN articles ar ON ar.id = s.article_id"""
            columns, order = ", p.label AS prediction, p.confidence, p.margin", "p.margin, s.id"
        return self._frame(
            f"""SELECT s.id AS sentence_id, {_CONTEXT_COLUMNS} {columns} FROM {source}
                WHERE NOT EXISTS ({_has_label_sql()}) AND {where} ORDER BY {order} LIMIT ?""",
            [*first, reviewer, *params, -1 if limit is None else limit],
        )

    def progress(self, reviewer: str, article_id: str | None = None) -> tuple[int, int]:
        """(sentences the reviewer has labelled or skipped, all sentences), in one article or overall."""
        if article_id is None:  # overall: count the reviewer's current labels, not every sentence
            done = self._one("SELECT count(*) FROM latest WHERE reviewer = ? AND action = 'label'", [reviewer])
            return int(done[0]), self.size()[1]
        where, params = _filters(("s.article_id", article_id))
        row = self._one(
            f"SELECT sum(EXISTS ({_has_label_sql()})), count(*) FROM sentences s WHERE {where}", [reviewer, *params]
        )
        return int(row[0] or 0), int(row[1])

    # Reading for the labelling queue: "labelled" is a live label or skip in `latest`, the store's one rule for it

    def labelled_ids(self, reviewer: str) -> set[str]:
        """The sentences the reviewer has a live label (or skip) on."""
        return set(self._column("SELECT sentence_id FROM latest WHERE action = 'label' AND reviewer = ?", [reviewer]))

    def label_times(self) -> pd.DataFrame:
        """Every label row, undone or not: reviewer, label, time, origin. What the team dashboard counts: work done,
        including work later taken back."""
        return self._frame("SELECT reviewer, label, time, origin FROM annotations WHERE action = 'label' ORDER BY seq")

    def labelling_reviewers(self) -> list[str]:
        """Everyone with at least one live label, by name."""
        return self._column("SELECT DISTINCT reviewer FROM latest WHERE action = 'label' ORDER BY reviewer")

    def label_of(self, reviewer: str, sentence_id: str) -> str | None:
        """The reviewer's live label (or skip) on the sentence, or None."""
        row = self._one("""SELECT a.label FROM latest l JOIN annotations a ON a.seq = l.seq
                           WHERE l.reviewer = ? AND l.action = 'label' AND l.sentence_id = ?""", [reviewer, sentence_id])
        return row[0] if row else None

    def is_labelled(self, reviewer: str, sentence_id: str) -> bool:
        """Whether the reviewer has a live label (or skip) on the sentence."""
        sql = "SELECT 1 FROM latest WHERE reviewer = ? AND action = 'label' AND sentence_id = ?"
        return self._one(sql, [reviewer, sentence_id]) is not None

    def overlap_ids(self, reviewer: str, article_id: str | None = None) -> list[str]:
        """Sentences another reviewer has a live label on and this reviewer has none, by id: the pool for overlap."""
        where, params = _filters(("s.article_id", article_id))
        return self._column(
            f"""SELECT DISTINCT s.id FROM latest o JOIN sentences s ON s.id = o.sentence_id
                WHERE o.action = 'label' AND o.reviewer != ? AND NOT EXISTS ({_has_label_sql()}) AND {where}
                ORDER BY s.id""",
            [reviewer, reviewer, *params],
        )

    def random_sentence_ids(self, count: int, rng: random.Random) -> list[str]:
        """About `count` sentence ids drawn uniformly by rowid (without scanning the table; seeded by `rng`).

        Fewer when the draw hits deleted rowids or repeats itself; in the order drawn.
        """
        top = int(self._one("SELECT coalesce(max(rowid), 0) FROM sentences")[0])
        if not top or count <= 0:
            return []
        drawn = [rng.randint(1, top) for _ in range(count)]
        found = dict(self._frame(f"SELECT rowid, id FROM sentences WHERE rowid IN ({','.join('?' * count)})", drawn).values)
        return list(dict.fromkeys(found[rowid] for rowid in drawn if rowid in found))

    def size(self) -> tuple[int, int]:
        """(articles, sentences) in the store: two cheap counts, e.g. for cache keys."""
        return self._count("SELECT count(*) FROM articles"), self._count("SELECT count(*) FROM sentences")

    def predicted_ids(self, model_id: str) -> list[str]:
        """Every sentence the model has a cached prediction for, smallest margin (least sure) first."""
        return self._column("SELECT sentence_id FROM predictions WHERE model_id = ? ORDER BY margin, sentence_id", [model_id])

    def predicted_count(self, model_id: str) -> int:
        """How many sentences have a cached prediction from this model."""
        return self._count("SELECT count(*) FROM predictions WHERE model_id = ?", (model_id,))

    def unpredicted_article_ids(self, model_id: str) -> list[str]:
        """Articles with at least one sentence that has no cached prediction from this model."""
        return self._column(
            """SELECT DISTINCT s.article_id FROM sentences s
               WHERE NOT EXISTS (SELECT 1 FROM predictions p WHERE p.sentence_id = s.id AND p.model_id = ?)""",
            [model_id],
        )

    def counts(self) -> dict[str, int]:
        """Totals: articles, sentences, annotation rows, sentences with a current label, reviewers."""
        row = self._one(
            f"""WITH cur AS ({_current_sql("label")})
                SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM sentences),
                       (SELECT count(*) FROM annotations), (SELECT count(DISTINCT sentence_id) FROM cur),
                       (SELECT count(DISTINCT reviewer) FROM cur)"""
        )
        return dict(zip(("articles", "sentences", "annotations", "labelled_sentences", "reviewers"), row))

    def stats(self) -> dict[str, pd.DataFrame]:
        """Current-label counts for `annotator stats`: per label, per reviewer x label, per outlet kind x label.

        Label columns come in scheme order, skip last; the final-label column counts what training would use.
        """
        labels = self._frame(
            """SELECT a.reviewer, a.label, ar.outlet_kind FROM latest l JOIN annotations a ON a.seq = l.seq
               JOIN sentences s ON s.id = l.sentence_id JOIN articles ar ON ar.id = s.article_id
               WHERE l.action = 'label'"""
        )
        final = self.final_labels()
        keys = self.scheme.all_keys
        per_label = pd.DataFrame(
            {
                "label": keys,
                "current": [int((labels["label"] == key).sum()) for key in keys],
                "final": [int((final["label"] == key).sum()) for key in keys],
            }
        )
        return {
            "per_label": per_label,
            "per_reviewer": formats.count_table(labels, "reviewer", keys),
            "per_outlet_kind": formats.count_table(labels, "outlet_kind", keys),
        }

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
            (sid, model_id, lab, float(conf), float(marg), json.dumps(dict(zip(keys, map(float, p)))))
            for sid, lab, conf, marg, p in zip(frame["sentence_id"], label, confidence, margin, probs)
        ]
        with self._write() as db:
            if replace:
                db.execute("DELETE FROM predictions WHERE model_id = ?", (model_id,))
            return db.executemany(
                """INSERT OR REPLACE INTO predictions (sentence_id, model_id, label, confidence, margin, probabilities)
                   SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE EXISTS (SELECT 1 FROM sentences WHERE id = ?1)""",
                rows,
            ).rowcount

    def predictions(self, model_id: str) -> pd.DataFrame:
        """A model's stored predictions: sentence_id, label, confidence, margin and one `p_<label>` column each."""
        frame = self._frame(
            "SELECT sentence_id, label, confidence, margin, probabilities FROM predictions WHERE model_id = ?"
            " ORDER BY sentence_id",
            [model_id],
        )
        probs = [json.loads(text) for text in frame.pop("probabilities")]
        for key, column in zip(self.scheme.keys, self.scheme.prob_columns()):
            frame[column] = [p.get(key, 0.0) for p in probs]
        return frame

    # Label records: export and import

    def label_records(self, reviewer: str | None = None) -> Iterator[LabelRecord]:
        """Current labels (skips included) and adjudications as label records, ordered by article, offset, reviewer.

        Streamed from a read-only connection of its own: the export reads one snapshot of the store, holds one row
        at a time, and labelling goes on meanwhile.
        """
        where, params = _filters(("a.reviewer", reviewer))
        sql = f"""
            WITH cur AS ({_current_sql("label", where)} UNION ALL {_current_sql("adjudicate", where)})
            SELECT cur.*, {_CONTEXT_COLUMNS}
            FROM cur JOIN sentences s ON s.id = cur.sentence_id JOIN articles ar ON ar.id = s.article_id
            ORDER BY s.article_id, s.start, cur.reviewer, cur.action DESC"""
        with closing(sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)) as reader:
            reader.row_factory = sqlite3.Row
            yield from (self._label_record(row) for row in reader.execute(sql, params * 2))

    @staticmethod
    def _label_record(row: sqlite3.Row) -> LabelRecord:
        meta = {
            "outlet_kind": row["outlet_kind"],
            "title": row["title"],
            "url": row["url"],
            "origin": row["origin"],
            "action": row["action"] if row["action"] != "label" else None,
            "suggestion": row["suggestion"],
            "suggestion_confidence": row["suggestion_confidence"],
        }
        return LabelRecord(
            text=row["text"],
            label=row["label"],
            article_id=row["article_id"],
            sentence_id=row["sentence_id"],
            start=row["start"],
            end=row["end"],
            outlet=row["outlet"],
            reviewer=row["reviewer"],
            time=row["time"],
            meta={k: v for k, v in meta.items() if v not in (None, "")},
        )

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
            touched: set[str] = set()
            with self._write() as db:
                for record in batch:
                    db.execute("SAVEPOINT record")  # a bad record leaves nothing behind, the rest of the batch stays
                    try:
                        self._import_record(db, record, origin, reviewer, one := ImportCounts(), touched)
                    except ValueError as error:
                        db.execute("ROLLBACK TO record")
                        counts.skipped.append(f"record {record.sentence_id or record.text[:40]!r}: {error}")
                    else:
                        counts.add(one)
                    db.execute("RELEASE record")
                _renumber(db, touched)
        return counts

    def _import_record(
        self, db: sqlite3.Connection, record: LabelRecord, origin: str, reviewer: str, counts: ImportCounts,
        touched: set[str],
    ) -> None:
        self.scheme.check(record.label)
        meta = record.meta or {}
        suggestion = meta.get("suggestion")
        if suggestion is not None:
            self.scheme.check(suggestion)
        article_id = record.article_id or article_id_for(record.text)
        article = db.execute("SELECT text, rebuilt FROM articles WHERE id = ?", (article_id,)).fetchone()
        if article is None:
            kind = meta.get("outlet_kind") or self.registry.kind_of(outlet=record.outlet, url=meta.get("url", ""))
            db.execute(
                "INSERT INTO articles (id, title, outlet, outlet_kind, url, date, text, added_at, rebuilt)"
                " VALUES (?, ?, ?, ?, ?, ?, '', ?, 1)",
                (article_id, meta.get("title", ""), record.outlet, kind, meta.get("url", ""), meta.get("date", ""),
                 utc_now()),
            )
            article = {"text": "", "rebuilt": 1}
            counts.articles_new += 1
        before = counts.sentences_new
        sentence_id = self._import_sentence(db, record, article_id, article["text"], bool(article["rebuilt"]), counts)
        if counts.sentences_new > before:
            touched.add(article_id)
        action = "adjudicate" if meta.get("action") == "adjudicate" else "label"
        who = record.reviewer or reviewer
        if record.time:
            known = db.execute(
                "SELECT 1 FROM annotations WHERE sentence_id = ? AND reviewer = ? AND label = ? AND time = ?"
                " AND action = ?",
                (sentence_id, who, record.label, record.time, action),
            ).fetchone()
        else:
            known = db.execute(
                f"SELECT 1 FROM ({_current_sql(action, 'l.sentence_id = ? AND a.reviewer = ?')}) WHERE label = ?",
                (sentence_id, who, record.label),
            ).fetchone()
        if known:
            counts.annotations_known += 1
            return
        _insert_annotation(
            db, sentence_id, who, record.label, action, None, suggestion, meta.get("suggestion_confidence"),
            record.time or utc_now(), meta.get("origin") or origin,
        )
        counts.annotations_new += 1

    def _import_sentence(
        self, db: sqlite3.Connection, record: LabelRecord, article_id: str, text: str, rebuilt: bool,
        counts: ImportCounts,
    ) -> str:
        """The id of the record's sentence in the store, adding it (and its text to a rebuilt article) if missing."""
        if record.sentence_id:
            row = db.execute("SELECT article_id, text FROM sentences WHERE id = ?", (record.sentence_id,)).fetchone()
            if row is not None:
                if (row["article_id"], row["text"]) != (article_id, record.text):
                    raise ValueError(f"sentence {record.sentence_id} is held with another article or text")
                counts.sentences_known += 1
                return record.sentence_id
        start = record.start
        if start is None:
            found = text.find(record.text)
            start = found if found >= 0 else (len(text) + 1 if text else 0)
        end = start + len(record.text)
        row = db.execute(
            "SELECT id FROM sentences WHERE article_id = ? AND start = ? AND text = ?", (article_id, start, record.text)
        ).fetchone()
        if row is not None:
            counts.sentences_known += 1
            return row["id"]
        if text[start:end] != record.text:
            if not rebuilt or text[start:end].strip():
                raise ValueError(f"text does not match article {article_id} at {start}:{end}")
            text = text[:start].ljust(start) + record.text + text[end:]
            db.execute("UPDATE articles SET text = ? WHERE id = ?", (text, article_id))
        sentence_id = record.sentence_id or _free_sentence_id(db, article_id, record.text)
        db.execute(
            'INSERT INTO sentences (id, article_id, idx, start, "end", text) VALUES (?, ?, 0, ?, ?, ?)',
            (sentence_id, article_id, start, end, record.text),
        )
        counts.sentences_new += 1
        return sentence_id


def _with_id(article: Article) -> Article:
    return Article(**{**article.to_dict(), "id": article_id_for(article.text)})


def _filters(*pairs: tuple[str, str | None]) -> tuple[str, list[str]]:
    """An SQL condition (and its parameters) requiring each column to equal its value, where the value is given."""
    given = [(column, value) for column, value in pairs if value is not None]
    return " AND ".join([f"{column} = ?" for column, _ in given] or ["1"]), [value for _, value in given]


def _has_label_sql() -> str:
    """A subquery true when reviewer `?` has a current label (or skip) on sentence `s`."""
    return "SELECT 1 FROM latest l WHERE l.reviewer = ? AND l.action = 'label' AND l.sentence_id = s.id"


def _undo_latest(db: sqlite3.Connection, reviewer: str, sentence_id: str | None, origin: str) -> int | None:
    """Append an undo of the reviewer's latest label or adjudication not yet undone (of `sentence_id` if given)."""
    where, params = _filters(("a.reviewer", reviewer), ("a.sentence_id", sentence_id))
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
    db: sqlite3.Connection, sentence_id: str, reviewer: str, label: str, action: str, undoes: int | None,
    suggestion: str | None, suggestion_confidence: float | None, time: str, origin: str,
) -> int:
    """Append one annotation row and bring `latest` up to date with it, in the caller's transaction."""
    seq = db.execute(
        """INSERT INTO annotations (sentence_id, reviewer, label, action, undoes, suggestion, suggestion_confidence,
                                    time, origin) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (sentence_id, reviewer, label, action, undoes, suggestion, suggestion_confidence, time, origin),
    ).lastrowid
    if action != "undo":
        key = "" if action == "adjudicate" else reviewer
        db.execute("INSERT OR REPLACE INTO latest VALUES (?, ?, ?, ?)", (key, action, sentence_id, seq))
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
        db.execute("INSERT INTO latest VALUES (?, ?, ?, ?)", (key, action, sentence_id, row[0]))
    return seq


def _free_sentence_id(db: sqlite3.Connection, article_id: str, text: str) -> str:
    """`sentence_id_for` with the first occurrence number not already taken (a sentence repeated in an article)."""
    occurrence = 0
    while db.execute("SELECT 1 FROM sentences WHERE id = ?", (sid := sentence_id_for(article_id, text, occurrence),)).fetchone():
        occurrence += 1
    return sid


def _renumber(db: sqlite3.Connection, article_ids: set[str]) -> None:
    """Make `idx` the position by offset again in articles that gained imported sentences."""
    for article_id in article_ids:
        db.execute(
            """UPDATE sentences SET idx = (SELECT count(*) FROM sentences p
                                          WHERE p.article_id = sentences.article_id AND p.start < sentences.start)
               WHERE article_id = ?""",
            (article_id,),
        )

