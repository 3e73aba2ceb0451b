"""The store's tables, and the migrations that bring an older store forward (one step per version, in the transaction
that opens it)."""

from __future__ import annotations

import sqlite3

SCHEMA_VERSION = 3


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


def create_or_migrate(db: sqlite3.Connection) -> bool:
    """Inside an open write transaction: create the schema in an empty file, or migrate an older one forward.
    False, and nothing done, for an SQLite file that holds other tables."""
    version = db.execute("PRAGMA user_version").fetchone()[0]  # another process may have created it
    tables = db.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
    if version == 0 and tables:
        return False
    if version == 0:
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                db.execute(statement)
    else:
        for step in range(version, SCHEMA_VERSION):
            for statement in _MIGRATIONS[step]:
                db.execute(statement)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    return True
