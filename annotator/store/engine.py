"""The seam between the store and its database engine: SQLite (a file, the default) or PostgreSQL (a URL, psycopg 3).

The store's SQL is written once, in what both engines accept (`?` placeholders, `INSERT ... ON CONFLICT`, `RETURNING`,
`CASE WHEN EXISTS`). What must differ lives here and nowhere else: opening a connection, the placeholder style,
DDL types and clauses, the write lock, the schema version's home, kept counts, streaming reads, and the errors.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from functools import lru_cache
from itertools import count
from pathlib import Path
from typing import Any

from annotator import config

# One key for `pg_advisory_xact_lock`: every writer of a PostgreSQL store queues on it, as on SQLite's write lock.
WRITE_LOCK = 0x616E6E6F  # "anno"

is_url, shown = config.is_db_url, config.shown_db


class Row(tuple):
    """A result row that reads like `sqlite3.Row`: by position (`row[0]`), by name (`row["label"]`), `dict(row)`."""

    __slots__ = ()
    names: tuple[str, ...] = ()

    def __getitem__(self, key):  # type: ignore[override]
        if isinstance(key, str):
            return tuple.__getitem__(self, self.names.index(key))
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self.names)


@lru_cache(maxsize=256)
def _row_class(names: tuple[str, ...]) -> type[Row]:
    return type("Row", (Row,), {"__slots__": (), "names": names})


def _row_factory(cursor):
    """psycopg's row factory making `Row`s, one subclass per set of column names (the store asks a few dozen)."""
    if cursor.description is None:
        return tuple
    return _row_class(tuple(column.name for column in cursor.description))


class _Engine:
    """What both engines do alike, through their own `reading()`."""

    def stream(self, sql: str, params: Sequence[Any]) -> Iterator[Any]:
        """Rows of one query from a snapshot of its own, streamed."""
        with self.reading() as rows:  # type: ignore[attr-defined]
            yield from rows(sql, params)


class SQLite(_Engine):
    """The embedded engine: one file, WAL, `BEGIN IMMEDIATE` writes."""

    name = "sqlite"
    errors: tuple[type[BaseException], ...] = (sqlite3.DatabaseError,)

    # DDL pieces (schema.py formats its tables with them)
    ddl = {
        "serial": "INTEGER PRIMARY KEY AUTOINCREMENT",
        "rowid": "",  # SQLite tables have their rowid already: the order rows were added
        "real": "REAL",
        "without_rowid": " WITHOUT ROWID",
        "text": "TEXT",
    }
    # A join that keeps its written loop order: SQLite's planner honours CROSS JOIN ... ON.
    cross_join = "CROSS JOIN"

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA busy_timeout = 30000")
        db.execute("PRAGMA foreign_keys = ON")
        # In WAL mode NORMAL never corrupts the file; a power cut (not a crash) may lose the last few labels.
        db.execute("PRAGMA synchronous = NORMAL")
        return db

    @staticmethod
    def sql(text: str) -> str:
        return text

    @staticmethod
    def group_concat(column: str) -> str:
        """The column's values joined by commas, in the order of the rows (the caller sorts them)."""
        return f"group_concat({column}, ',')"

    @staticmethod
    def begin(db) -> None:
        db.execute("BEGIN IMMEDIATE")

    @staticmethod
    def version(db) -> int:
        return db.execute("PRAGMA user_version").fetchone()[0]

    @staticmethod
    def set_version(db, version: int) -> None:
        db.execute(f"PRAGMA user_version = {int(version)}")

    @staticmethod
    def table_count(db) -> int:
        return db.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]

    def prepare(self, db) -> None:
        """Before the schema is created: WAL mode, so that readers never wait for a writer."""
        if db.execute("PRAGMA journal_mode = WAL").fetchone()[0].lower() != "wal":
            raise ValueError(f"{self.path}: cannot switch the store to WAL mode")

    @staticmethod
    def data_version(db) -> int:
        return db.execute("PRAGMA data_version").fetchone()[0]

    @staticmethod
    def changed(db) -> None:
        """In a write transaction that adds more than labels: SQLite's data_version moves by itself."""

    @staticmethod
    def analyze(db) -> None:
        """After a large import: SQLite's planner does well on its indexes without statistics."""

    @contextmanager
    def reading(self) -> Iterator[Callable[..., Iterator[Any]]]:
        """`rows(sql, params)` for queries on a read-only connection of its own, all in one snapshot (one read
        transaction: WAL lets writers go on meanwhile), each streamed one row at a time."""
        uri = f"{self.path.resolve().as_uri()}?mode=ro"
        with closing(sqlite3.connect(uri, uri=True, timeout=30, isolation_level=None)) as reader:
            reader.row_factory = sqlite3.Row
            reader.execute("BEGIN")
            try:
                yield lambda sql, params=(): reader.execute(sql, tuple(params))
            finally:
                reader.execute("ROLLBACK")

    @staticmethod
    def reset_serial(db, table: str, column: str) -> None:
        """After rows were copied in with their own keys: SQLite's AUTOINCREMENT has followed them already."""

    @staticmethod
    def trouble(error: BaseException) -> str:
        text = str(error)
        if "full" in text:
            hint = "the disk is full: free some space and run it again; an import adds only what is not there yet"
        elif "readonly" in text or "read-only" in text:
            hint = "the store's file or folder is read-only: name a writable one with --db"
        else:
            hint = "a damaged file, or not an annotator store"
        return f"the store cannot be used: {text} ({hint})"


class _Cursor:
    """A psycopg cursor seen as the store uses sqlite3's: `fetchone`, `fetchall`, iteration, `rowcount`."""

    def __init__(self, cursor):
        self._cursor = cursor

    def fetchone(self):
        return self._cursor.fetchone() if self._cursor.description is not None else None

    def fetchall(self):
        return self._cursor.fetchall() if self._cursor.description is not None else []

    def __iter__(self):
        return iter(self.fetchall())

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def description(self):
        return self._cursor.description


class _Connection:
    """A psycopg connection with the store's `?` SQL and sqlite3's `execute`/`executemany` (autocommit: the store
    opens its transactions itself, with BEGIN)."""

    def __init__(self, raw, dialect: PostgreSQL):
        self.raw = raw
        self._dialect = dialect

    def execute(self, sql: str, params: Sequence[Any] = ()) -> _Cursor:
        return _Cursor(self.raw.execute(self._dialect.sql(sql), tuple(params)))

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> _Cursor:
        cursor = self.raw.cursor()
        cursor.executemany(self._dialect.sql(sql), [tuple(row) for row in rows])
        return _Cursor(cursor)

    @property
    def in_transaction(self) -> bool:
        from psycopg.pq import TransactionStatus

        return self.raw.info.transaction_status != TransactionStatus.IDLE

    def close(self) -> None:
        self.raw.close()


class PostgreSQL(_Engine):
    """A shared server: BEGIN plus one advisory lock per write transaction, the schema version in a one-row table."""

    name = "postgresql"
    ddl = {
        "serial": "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
        # articles and sentences get an explicit `rowid`: the order they were added, as SQLite's own rowid is
        "rowid": "rowid BIGINT GENERATED BY DEFAULT AS IDENTITY UNIQUE,",
        "real": "DOUBLE PRECISION",  # SQLite's REAL is 8 bytes: a confidence reads back as it was written
        "without_rowid": "",
        "text": 'TEXT COLLATE "C"',  # byte order, as SQLite compares: ids and names sort alike on both engines
    }
    cross_join = "JOIN"  # PostgreSQL's CROSS JOIN takes no ON

    def __init__(self, url: str):
        import psycopg

        self.url = url
        self.errors = (psycopg.Error,)

    def connect(self) -> _Connection:
        import psycopg

        try:
            raw = psycopg.connect(self.url, autocommit=True, row_factory=_row_factory, connect_timeout=10)
        except psycopg.Error as error:
            raise ValueError(f"{shown(self.url)}: {self.trouble(error)}") from None
        return _Connection(raw, self)

    @staticmethod
    def sql(text: str) -> str:
        """`?` placeholders as psycopg's `%s` (a literal % doubled): the store's SQL has no `?` in its strings."""
        return text.replace("%", "%%").replace("?", "%s")

    @staticmethod
    def group_concat(column: str) -> str:
        return f"string_agg({column}, ',' ORDER BY {column})"

    @staticmethod
    def begin(db) -> None:
        db.execute("BEGIN")
        db.execute(f"SELECT pg_advisory_xact_lock({WRITE_LOCK})")

    @staticmethod
    def version(db) -> int:
        if db.execute("SELECT to_regclass('annotator_meta')").fetchone()[0] is None:
            return 0
        row = db.execute("SELECT schema_version FROM annotator_meta").fetchone()
        return int(row[0]) if row else 0

    @staticmethod
    def set_version(db, version: int) -> None:
        db.execute("CREATE TABLE IF NOT EXISTS annotator_meta (schema_version INTEGER NOT NULL)")
        db.execute("ALTER TABLE annotator_meta ADD COLUMN IF NOT EXISTS changes BIGINT NOT NULL DEFAULT 0")
        if not db.execute("UPDATE annotator_meta SET schema_version = ?", (int(version),)).rowcount:
            db.execute("INSERT INTO annotator_meta (schema_version) VALUES (?)", (int(version),))

    @staticmethod
    def data_version(db) -> int:
        """What SQLite's `PRAGMA data_version` tells: a number that moves when articles, sentences or predictions
        change, here a counter every such write transaction adds one to (`changed`). One indexed row: ~0.1 ms."""
        return db.execute("SELECT changes FROM annotator_meta").fetchone()[0]

    @staticmethod
    def changed(db) -> None:
        """In a write transaction that adds more than labels: move `data_version` on, for every connection."""
        db.execute("UPDATE annotator_meta SET changes = changes + 1")

    @staticmethod
    def analyze(db) -> None:
        """After a large import: fresh planner statistics at once, not at autovacuum's next round. With a table's
        size still unknown, PostgreSQL chose plans that took the queue's next batch 10x longer (a nested loop over
        every label of a reviewer, for every sentence)."""
        db.execute("ANALYZE")

    @staticmethod
    def table_count(db) -> int:
        return db.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()"
        ).fetchone()[0]

    def prepare(self, db) -> None:
        pass

    @contextmanager
    def reading(self) -> Iterator[Callable[..., Iterator[Any]]]:
        """`rows(sql, params)` for queries on a connection of its own, all in one REPEATABLE READ read-only
        snapshot, each through a server-side cursor: a few hundred rows in memory at a time however large the store."""
        import psycopg

        names = count()
        with closing(psycopg.connect(self.url, row_factory=_row_factory, connect_timeout=10)) as reader:
            reader.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            reader.read_only = True

            def rows(sql: str, params: Sequence[Any] = ()) -> Iterator[Any]:
                with reader.cursor(name=f"annotator_read_{next(names)}") as cursor:
                    cursor.itersize = 500
                    cursor.execute(self.sql(sql), tuple(params))
                    yield from cursor

            try:
                yield rows
            finally:
                reader.rollback()

    @staticmethod
    def reset_serial(db, table: str, column: str) -> None:
        """After rows were copied in with their own keys: the identity's next value follows the largest."""
        db.execute(f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), max({column})) FROM {table}"
                   f" HAVING max({column}) IS NOT NULL")

    @staticmethod
    def trouble(error: BaseException) -> str:
        """One line for PostgreSQL refusing the store or the connection, with what the user can do about it."""
        text = " ".join(str(error).split()) or type(error).__name__
        lowered = text.lower()
        if "password authentication failed" in lowered or "no password supplied" in lowered:
            hint = "check the user and password in the URL (or ~/.pgpass)"
        elif "does not exist" in lowered and "database" in lowered:
            hint = "create the database first (createdb), or name another in the URL"
        elif any(word in lowered for word in ("connection refused", "could not connect", "connection failed",
                                              "timeout", "could not translate host name", "no such file")):
            hint = "is the PostgreSQL server running, and are the host and port in the URL right?"
        elif "permission denied" in lowered:
            hint = "the database user may not do this: grant it the rights, or use the owner's URL"
        elif "disk full" in lowered or "no space left" in lowered:
            hint = "the server's disk is full: free some space and run it again"
        else:
            hint = "a server error, or a database that is not an annotator store"
        return f"the store cannot be used: {text} ({hint})"


def engine_for(db: str | Path) -> SQLite | PostgreSQL:
    """The engine of `db`: a `postgresql://` URL, or else an SQLite file."""
    if is_url(db):
        try:
            import psycopg  # noqa: F401
        except ImportError:
            raise ValueError(
                "a PostgreSQL store needs psycopg: pip install 'annotator[postgres]' (or 'psycopg[binary]')"
            ) from None
        return PostgreSQL(str(db))
    return SQLite(db)


def trouble(error: BaseException) -> str:
    """One line for either engine refusing the store."""
    if isinstance(error, sqlite3.DatabaseError):
        return SQLite.trouble(error)
    return PostgreSQL.trouble(error)
