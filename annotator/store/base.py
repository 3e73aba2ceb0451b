"""The store's connection: opening (and creating or migrating) the store, one write transaction at a time, reads under
a lock, kept counts, backups; and the errors and counts the store reports. What differs between SQLite and PostgreSQL
is in `engine`."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from annotator import sources
from annotator.scheme import Scheme, load_scheme
from annotator.store import schema
from annotator.store.engine import PostgreSQL, SQLite, engine_for, shown
from annotator.store.engine import trouble as engine_trouble

BATCH = 500  # articles or label records written per transaction


class StoreError(ValueError):
    """A store that cannot be used, or a request naming something the store does not hold."""


def trouble(error: BaseException) -> str:
    """One line for the engine (SQLite or PostgreSQL) refusing the store, with what the user can do about it."""
    return engine_trouble(error)


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


def utc_now(after: timedelta = timedelta(0)) -> str:
    """The current time (plus `after`) as ISO-8601 UTC with microseconds, e.g. 2026-11-25T21:40:00.123456Z: fixed
    width, so such times compare as text."""
    return (datetime.now(timezone.utc) + after).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class StoreBase:
    """The connection to the store at `path`: an SQLite file (created with its folders and schema when missing) or a
    `postgresql://` URL (its database must exist; the tables are created when missing); `Store` adds the reads and
    writes."""

    engine: SQLite | PostgreSQL

    def __init__(self, path: str | Path, *, scheme: Scheme | None = None):
        self.scheme = scheme or load_scheme()
        self._registry = None
        self._lock = threading.RLock()
        self._counts: dict[tuple, int] = {}  # see `_count`
        self._counts_version = None
        try:
            self.engine = engine_for(path)
        except ValueError as error:
            raise StoreError(str(error)) from None
        if isinstance(self.engine, PostgreSQL):
            self.path = str(path)  # the URL, password and all: a key for caches, never printed (see `where`)
            try:
                self._db = self.engine.connect()
            except ValueError as error:
                raise StoreError(str(error)) from None
        else:
            self.path = Path(path)
            self._db = self._connect_sqlite()
        try:
            self._open_schema()
        except self.engine.errors as error:
            self._db.close()
            raise StoreError(f"{self.where}: not a readable annotator store ({self.engine.trouble(error)})") from None
        except Exception:
            self._db.close()
            raise

    @property
    def where(self) -> str:
        """The store as it may be printed: its file, or its URL without the password."""
        return shown(self.path)

    def _connect_sqlite(self):
        if self.path.is_dir():
            raise StoreError(f"{self.path} is a folder; the store is a file in it (e.g. {self.path / 'annotations.db'})")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not all(os.access(p, os.W_OK) for p in (self.path.parent, self.path) if p.exists()):
            raise StoreError(f"{self.path}: the store or its folder is read-only. SQLite writes beside the file (its "
                             "-wal and -shm files) even to read: copy it to a writable folder and name that with --db")
        return self.engine.connect()

    def _open_schema(self) -> None:
        version = self.engine.version(self._db)
        if version > schema.SCHEMA_VERSION:
            raise StoreError(
                f"{self.where}: store schema version {version} is newer than this annotator knows "
                f"({schema.SCHEMA_VERSION}); upgrade annotator to open it"
            )
        if version == schema.SCHEMA_VERSION:
            return
        try:
            self.engine.prepare(self._db)
        except ValueError as error:
            raise StoreError(str(error)) from None
        with self._write() as db:
            if not schema.create_or_migrate(db, self.engine):
                what = "an SQLite file" if self.engine.name == "sqlite" else "a database"
                raise StoreError(f"{self.where}: {what} that is not an annotator store (it holds other tables)")

    def close(self) -> None:
        self._db.close()

    def backup(self, path: str | Path) -> Path:
        """A consistent copy of the whole store at `path`, taken while others may go on writing (SQLite's online
        backup API), written through a temporary file: a failed backup leaves the previous one as it was.
        A PostgreSQL store is backed up by the server's own tools (pg_dump), which this refuses to stand in for."""
        from annotator import outputs

        if isinstance(self.engine, PostgreSQL):
            raise StoreError(f"{self.where} is a PostgreSQL store: back it up with pg_dump (e.g. pg_dump --format=custom"
                             " --file annotations.dump URL), or copy it into an SQLite file with `annotator store copy`")
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
    def _write(self, *, labels_only: bool = False) -> Iterator[Any]:
        """One write transaction, taken at once (SQLite's `BEGIN IMMEDIATE`; on PostgreSQL, BEGIN and one advisory
        lock that every writer takes) so concurrent writers queue instead of failing.
        `labels_only`: it appends to the label history only, so the kept counts (`_count`) stay true."""
        with self._lock:
            if not labels_only:
                self._counts.clear()
            self.engine.begin(self._db)
            try:
                yield self._db
                if not labels_only:
                    self.engine.changed(self._db)
            except BaseException:
                if self._db.in_transaction:  # SQLite has already rolled back on some errors (a full disk)
                    self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _analyze(self) -> None:
        """After a bulk load (a large import, a copy): the planner's statistics now (`engine.analyze`), not at
        autovacuum's next round."""
        with self._lock:
            self.engine.analyze(self._db)

    def _frame(self, sql: str, params: Iterable[Any] = ()) -> pd.DataFrame:
        with self._lock:
            cursor = self._db.execute(sql, tuple(params))
            columns = [d[0] for d in cursor.description]
            return pd.DataFrame([tuple(row) for row in cursor.fetchall()], columns=columns)

    def _column(self, sql: str, params: Iterable[Any] = ()) -> list[Any]:
        with self._lock:
            return [row[0] for row in self._db.execute(sql, tuple(params))]

    def _one(self, sql: str, params: Iterable[Any] = ()) -> Any:
        with self._lock:
            return self._db.execute(sql, tuple(params)).fetchone()

    def _count(self, sql: str, params: tuple = ()) -> int:
        """A count over articles, sentences or predictions, kept until this connection writes anything but labels or
        another connection commits a change (SQLite's `data_version`; on PostgreSQL a counter that such writes move,
        see `engine.PostgreSQL.data_version`): the app asks for them on every key press, and a count(*) over 50,000
        sentences costs milliseconds each time (more on PostgreSQL)."""
        with self._lock:
            version = self.engine.data_version(self._db)
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
        if self.engine.name != "sqlite":
            raise StoreError(f"{self.where}: pragmas are SQLite's; this is a PostgreSQL store")
        return self._one(f"PRAGMA {name}")[0]
