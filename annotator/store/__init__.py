"""The label store: articles, sentences, an append-only history of annotations, and model predictions.

An SQLite file (the default: WAL mode and `BEGIN IMMEDIATE` writes) or a PostgreSQL database named by a
`postgresql://` URL (BEGIN plus one advisory lock per write), so several reviewers (processes, app servers) can label
at once and lose nothing. Annotations are never updated or deleted: an undo is a new row, and the current label is derived.

The class is put together from its parts, one module each: `schema` (tables and migrations), `base` (the connection,
transactions, errors), `writes` (the append-only history and everything else written), `queries` (reads),
`sql` (the SQL pieces reads and writes share), `engine` (what differs between SQLite and PostgreSQL), and `copy`
(a whole store into an empty one, across engines).
"""

from __future__ import annotations

from annotator.store.base import BATCH, ImportCounts, StoreError, trouble, utc_now
from annotator.store.queries import Filters, Queries
from annotator.store.schema import SCHEMA_VERSION
from annotator.store.sql import REPEAT_KEY
from annotator.store.writes import Writes
from annotator.store.copy import copy_store

__all__ = ["BATCH", "REPEAT_KEY", "SCHEMA_VERSION", "Filters", "ImportCounts", "Store", "StoreError", "copy_store",
           "trouble", "utc_now"]


class Store(Writes, Queries):
    """The label store at `path`: an SQLite file (created with its folders and schema when missing) or a
    `postgresql://` URL (tables created when missing). Use as a context manager."""

    def __enter__(self) -> Store:
        return self
