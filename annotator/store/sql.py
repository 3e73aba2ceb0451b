"""SQL pieces that the store's reads and writes share: the repeat key, the current-label rule, the filters.

Written in the SQL both engines accept (see `engine.py`): `1 = 1` for "no condition", not SQLite's bare `1`."""

from __future__ import annotations

# Sentences that repeat one another: the same text, ignoring case and surrounding spaces (the index above).
REPEAT_KEY = "lower(trim(s.text))"

# The current rows of one action: each reviewer's latest label, or each sentence's latest adjudication.
CURRENT = """
    SELECT a.* FROM latest l JOIN annotations a ON a.seq = l.seq WHERE l.action = '{action}' AND {where}
"""
CONTEXT_COLUMNS = """
    s.article_id, s.idx, s.start, s."end", s.text, ar.title, ar.url, ar.outlet, ar.outlet_kind
"""


def current_sql(action: str, where: str = "1 = 1") -> str:
    return CURRENT.format(action=action, where=where)


def where_equal(*pairs: tuple[str, str | None]) -> tuple[str, list[str]]:
    """An SQL condition (and its parameters) requiring each column to equal its value, where the value is given."""
    given = [(column, value) for column, value in pairs if value is not None]
    return " AND ".join([f"{column} = ?" for column, _ in given] or ["1 = 1"]), [value for _, value in given]


def has_label_sql() -> str:
    """A subquery true when reviewer `?` has a current label (or skip) on sentence `s`."""
    return "SELECT 1 FROM latest l WHERE l.reviewer = ? AND l.action = 'label' AND l.sentence_id = s.id"


def taken_sql() -> str:
    """A subquery true when sentence `s` has anyone's current label, skip or adjudication, or is held for another
    reviewer than `?` until after `?` (a claim, see `Writes.claim`): not free for a queue that shares the work.
    (Any row of `latest`: one index lookup, without reading the row.)"""
    return """SELECT 1 FROM latest l WHERE l.sentence_id = s.id
              UNION ALL SELECT 1 FROM claims c WHERE c.sentence_id = s.id AND c.reviewer != ? AND c.until > ?"""
