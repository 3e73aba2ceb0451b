"""The store's tables, and the migrations that bring an older store forward (one step per version, in the transaction
that opens it).

The DDL is written once with a few `{pieces}` that differ between the engines (see `engine.py`: the serial key, an
explicit `rowid` on PostgreSQL, {real}'s width, WITHOUT ROWID, the text collation); `ddl()` fills them in."""

from __future__ import annotations

from typing import Any

SCHEMA_VERSION = 4


# Team mode: the reviewers who sign in to the app (annotator/accounts.py). Version 3 added it.
_REVIEWERS = """
CREATE TABLE IF NOT EXISTS reviewers (
    name {text} PRIMARY KEY,
    role {text} NOT NULL CHECK (role IN ('annotator', 'adjudicator')),
    password_hash {text} NOT NULL,  -- scrypt, with its salt and parameters
    created_at {text} NOT NULL
)"""
# Sentences handed to a reviewer's queue and not labelled yet, held for them until `until` (ISO UTC), so that reviewers
# on any server sharing the work never draw the same sentence (annotator/queue.py). Version 4 added it.
_CLAIMS = """
CREATE TABLE IF NOT EXISTS claims (
    sentence_id {text} PRIMARY KEY REFERENCES sentences(id),
    reviewer {text} NOT NULL,
    until {text} NOT NULL
)"""
_SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    {rowid}
    id {text} PRIMARY KEY,
    title {text} NOT NULL DEFAULT '',
    outlet {text} NOT NULL DEFAULT '',
    outlet_kind {text} NOT NULL DEFAULT '',
    url {text} NOT NULL DEFAULT '',
    date {text} NOT NULL DEFAULT '',
    text {text} NOT NULL,
    added_at {text} NOT NULL,
    rebuilt INTEGER NOT NULL DEFAULT 0  -- 1: text pieced together from imported label records
);
CREATE TABLE IF NOT EXISTS sentences (
    {rowid}
    id {text} PRIMARY KEY,
    article_id {text} NOT NULL REFERENCES articles(id),
    idx INTEGER NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    text {text} NOT NULL
);
CREATE INDEX IF NOT EXISTS sentences_article_start ON sentences(article_id, start);
CREATE INDEX IF NOT EXISTS sentences_repeat ON sentences((lower(trim(text))));
CREATE TABLE IF NOT EXISTS annotations (
    seq {serial},
    sentence_id {text} NOT NULL REFERENCES sentences(id),
    reviewer {text} NOT NULL,
    label {text} NOT NULL,
    action {text} NOT NULL CHECK (action IN ('label', 'undo', 'adjudicate')),
    undoes INTEGER REFERENCES annotations(seq),
    suggestion {text},
    suggestion_confidence {real},
    time {text} NOT NULL,
    origin {text} NOT NULL
);
CREATE INDEX IF NOT EXISTS annotations_reviewer ON annotations(reviewer, seq);
CREATE INDEX IF NOT EXISTS annotations_reviewer_sentence ON annotations(reviewer, sentence_id);
CREATE INDEX IF NOT EXISTS annotations_sentence ON annotations(sentence_id);
CREATE INDEX IF NOT EXISTS annotations_undoes ON annotations(undoes) WHERE undoes IS NOT NULL;
-- Derived from annotations in the same transaction as every append: the seq of the latest row not undone per
-- (reviewer, sentence) for labels, per sentence for adjudications (reviewer ''). Makes current labels a lookup.
CREATE TABLE IF NOT EXISTS latest (
    reviewer {text} NOT NULL,
    action {text} NOT NULL,
    sentence_id {text} NOT NULL,
    seq INTEGER NOT NULL REFERENCES annotations(seq),
    PRIMARY KEY (reviewer, action, sentence_id)
){without_rowid};
CREATE INDEX IF NOT EXISTS latest_sentence ON latest(sentence_id);
CREATE TABLE IF NOT EXISTS predictions (
    sentence_id {text} NOT NULL REFERENCES sentences(id),
    model_id {text} NOT NULL,
    label {text} NOT NULL,
    confidence {real} NOT NULL,
    margin {real} NOT NULL,
    probabilities {text} NOT NULL,
    PRIMARY KEY (sentence_id, model_id)
);
CREATE INDEX IF NOT EXISTS predictions_model_margin ON predictions(model_id, margin);
""" + _REVIEWERS + ";" + _CLAIMS

# What opening a store of version N (the key) runs to bring it to N + 1, in the same transaction as the rest.
_MIGRATIONS = {
    1: ["CREATE INDEX IF NOT EXISTS sentences_repeat ON sentences((lower(trim(text))))"],  # repeats (`Store.repeats`)
    2: [_REVIEWERS],
    3: [_CLAIMS],
}


def ddl(statement: str, engine: Any) -> str:
    """A statement above for this engine."""
    return statement.format(**engine.ddl)


def create_or_migrate(db: Any, engine: Any) -> bool:
    """Inside an open write transaction: create the schema in an empty database, or migrate an older one forward.
    False, and nothing done, for a database that holds other tables."""
    version = engine.version(db)  # another process may have created it
    if version == 0 and engine.table_count(db):
        return False
    if version == 0:
        for statement in ddl(_SCHEMA, engine).split(";"):
            if statement.strip():
                db.execute(statement)
    else:
        for step in range(version, SCHEMA_VERSION):
            for statement in _MIGRATIONS[step]:
                db.execute(ddl(statement, engine))
    engine.set_version(db, SCHEMA_VERSION)
    return True
