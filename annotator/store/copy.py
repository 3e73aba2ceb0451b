"""Copying a whole store into an empty one, between any two engines (SQLite to PostgreSQL, back, or SQLite to SQLite):
articles and sentences in the order they were added, the full annotation history with its seqs, `latest`,
predictions and reviewers. Read from one snapshot of the source, written in one transaction of the destination, whose
planner statistics are then refreshed."""

from __future__ import annotations

from annotator.store.base import StoreBase, StoreError

# Each table with its columns, in an order that satisfies the foreign keys, and the order its rows are copied in.
TABLES = {
    "articles": ("id, title, outlet, outlet_kind, url, date, text, added_at, rebuilt", "rowid"),
    "sentences": ('id, article_id, idx, start, "end", text', "rowid"),
    "annotations": ("seq, sentence_id, reviewer, label, action, undoes, suggestion, suggestion_confidence, time, origin",
                    "seq"),
    "latest": ("reviewer, action, sentence_id, seq", "seq"),
    "predictions": ("sentence_id, model_id, label, confidence, margin, probabilities", "sentence_id, model_id"),
    "reviewers": ("name, role, password_hash, created_at", "name"),
}
CHUNK = 1000


def table_counts(store: StoreBase) -> dict[str, int]:
    """Rows per table, and the adjudications among the annotations."""
    counts = {table: int(store._one(f"SELECT count(*) FROM {table}")[0]) for table in TABLES}
    counts["adjudications"] = int(store._one("SELECT count(*) FROM annotations WHERE action = 'adjudicate'")[0])
    return counts


def copy_store(source: StoreBase, target: StoreBase) -> dict[str, int]:
    """Copy every row of `source` into the empty store `target`; the rows per table, checked on both sides."""
    if any(table_counts(target).values()):
        raise StoreError(f"{target.where} is not empty: copy into a new SQLite file or an empty database")
    with source.engine.reading() as rows, target._write() as db:
        for table, (columns, order) in TABLES.items():
            marks = ", ".join("?" * len(columns.split(",")))
            insert = f"INSERT INTO {table} ({columns}) VALUES ({marks})"
            chunk = []
            for row in rows(f"SELECT {columns} FROM {table} ORDER BY {order}"):
                chunk.append(tuple(row))
                if len(chunk) >= CHUNK:
                    db.executemany(insert, chunk)
                    chunk = []
            if chunk:
                db.executemany(insert, chunk)
        target.engine.reset_serial(db, "annotations", "seq")
        copied = {table: int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]) for table in TABLES}
        read = {table: int(list(rows(f"SELECT count(*) FROM {table}"))[0][0]) for table in TABLES}
        if copied != read:  # raised inside the transaction: the destination keeps nothing
            raise StoreError(f"the copy does not match its source (source {read}, copy {copied}): nothing was kept")
    target._analyze()
    return table_counts(target)
