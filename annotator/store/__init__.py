"""The SQLite label store: articles, sentences, an append-only history of annotations, and model predictions.

One file, WAL mode and `BEGIN IMMEDIATE` writes, so several reviewers (processes) can label at once and lose
nothing. Annotations are never updated or deleted: an undo is a new row, and the current label is derived.

The class is put together from its parts, one module each: `schema` (tables and migrations), `base` (the connection,
transactions, errors), `writes` (the append-only history and everything else written), `queries` (reads), and
`sql` (the SQL pieces reads and writes share).
"""

from __future__ import annotations

from annotator.store.base import BATCH, ImportCounts, StoreError, trouble, utc_now
from annotator.store.queries import Filters, Queries
from annotator.store.schema import SCHEMA_VERSION
from annotator.store.sql import REPEAT_KEY
from annotator.store.writes import Writes

__all__ = ["BATCH", "REPEAT_KEY", "SCHEMA_VERSION", "Filters", "ImportCounts", "Store", "StoreError", "trouble",
           "utc_now"]


class Store(Writes, Queries):
    """The label store at `path` (created with its folders and schema when missing). Use as a context manager."""

    def __enter__(self) -> Store:
        return self
