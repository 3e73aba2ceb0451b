"""The store's connection: opening (and creating or migrating) the file, one write transaction at a time, reads under
a lock, kept counts, backups; and the errors and counts the store reports."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from annotator import sources
from annotator.scheme import Scheme, load_scheme
from annotator.store import schema

BATCH = 500  # articles or label records written per transaction


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


class StoreBase:
    """The connection to the store at `path` (created with its folders and schema when missing); `Store` adds the
    reads and writes."""

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
        if version > schema.SCHEMA_VERSION:
            raise StoreError(
                f"{self.path}: store schema version {version} is newer than this annotator knows "
                f"({schema.SCHEMA_VERSION}); upgrade annotator to open it"
            )
        if version == schema.SCHEMA_VERSION:
            return
        if self._db.execute("PRAGMA journal_mode = WAL").fetchone()[0].lower() != "wal":
            raise StoreError(f"{self.path}: cannot switch the store to WAL mode")
        with self._write() as db:
            if not schema.create_or_migrate(db):
                raise StoreError(f"{self.path}: an SQLite file that is not an annotator store")

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

    def __enter__(self) -> StoreBase:
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
