"""Reading the store: labels (current, final, history), articles and sentences, the labelling queue's questions,
counts and stats, cached predictions, and label records for export."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from annotator import formats
from annotator.records import Article, LabelRecord
from annotator.store.base import StoreBase, StoreError, utc_now
from annotator.store.sql import CONTEXT_COLUMNS, REPEAT_KEY, current_sql, has_label_sql, taken_sql, where_equal


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
        where, params = ["1 = 1"], []
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
            conditions, values = where_equal(("fl.reviewer", self.labelled_by), ("fa.label", self.labelled_as))
            where.append(f"""EXISTS (SELECT 1 FROM latest fl JOIN annotations fa ON fa.seq = fl.seq
                             WHERE fl.action = 'label' AND fl.sentence_id = s.id AND {conditions})""")
            params += values
        return " AND ".join(where), params


class Queries(StoreBase):
    """Every read; a read never writes, so the app's many reads per key press never wait for a write lock."""

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
                  AND NOT EXISTS ({has_label_sql()}) ORDER BY ar.rowid, s.start""",
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
        where, params = where_equal(("l.reviewer", reviewer), ("s.article_id", article_id))
        if shared:
            where += """ AND l.sentence_id IN (
                SELECT sentence_id FROM latest WHERE action = 'label' GROUP BY sentence_id HAVING count(*) >= 2)"""
        # CROSS JOIN fixes the loop order: one article's sentences first, whatever the planner's statistics say.
        rows = (
            f"sentences s {self.engine.cross_join} latest l ON l.sentence_id = s.id" if article_id is not None
            else "latest l JOIN sentences s ON s.id = l.sentence_id"
        )
        return self._frame(
            f"""SELECT a.sentence_id, a.reviewer, a.label, a.time, a.suggestion, a.suggestion_confidence, a.origin,
                       a.seq, {CONTEXT_COLUMNS}
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
            f"""WITH cur AS ({current_sql("label")}),
                adj AS ({current_sql("adjudicate")}),
                agreed AS (
                    SELECT sentence_id, min(label) AS label, count(DISTINCT label) AS labels, count(*) AS n_reviewers,
                           {self.engine.group_concat("reviewer")} AS reviewer, max(time) AS time
                    FROM (SELECT * FROM cur ORDER BY sentence_id, reviewer) AS ordered GROUP BY sentence_id
                ),
                decided AS (
                    SELECT adj.sentence_id, adj.label, 'adjudication' AS decided_by,
                           coalesce(agreed.n_reviewers, 0) AS n_reviewers, adj.reviewer, adj.time
                    FROM adj LEFT JOIN agreed USING (sentence_id)
                    UNION ALL
                    SELECT sentence_id, label, 'agreement', n_reviewers, reviewer, time FROM agreed
                    WHERE labels = 1 AND sentence_id NOT IN (SELECT sentence_id FROM adj)
                )
                SELECT d.sentence_id, d.label, d.decided_by, d.n_reviewers, d.reviewer, d.time, {CONTEXT_COLUMNS}
                FROM decided d JOIN sentences s ON s.id = d.sentence_id JOIN articles ar ON ar.id = s.article_id
                ORDER BY s.article_id, s.start"""
        )

    def adjudications(self) -> pd.DataFrame:
        """Each sentence's latest adjudication (sentence_id, label, reviewer, time): the disputes already settled, without
        `final_labels`' agreement over every labelled sentence (the Review and Agreement pages read this on each rerun)."""
        return self._frame(f"""SELECT adj.sentence_id, adj.label, adj.reviewer, adj.time
                               FROM ({current_sql("adjudicate")}) AS adj ORDER BY adj.sentence_id""")

    def history(self, sentence_id: str | None = None) -> pd.DataFrame:
        """Every annotation row in order (labels, undos, adjudications), with `undone` telling which were taken back."""
        where, params = where_equal(("a.sentence_id", sentence_id))
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
        where, params = where_equal(("s.article_id", article_id))
        return self._sentences(where, params)

    def sentences_of(self, article_ids: Sequence[str], chunk: int = 500) -> pd.DataFrame:
        """The sentences of the given articles, each article's together and in order: a query per `chunk` articles,
        not one per article (each is a round trip on PostgreSQL)."""
        ids = list(dict.fromkeys(article_ids))
        parts = [self._sentences(f"s.article_id IN ({', '.join('?' * len(part))})", part)
                 for part in (ids[i : i + chunk] for i in range(0, len(ids), chunk))]
        return pd.concat(parts, ignore_index=True) if parts else self.sentences("")

    def _sentences(self, where: str, params: Sequence[str]) -> pd.DataFrame:
        return self._frame(
            f"""SELECT s.id AS sentence_id, {CONTEXT_COLUMNS}
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
        """One sentence with its article's title, outlet and url, and the model's context read from its whole
        article (`prev_text`, `next_text`, `lead_text`, `intro_text`: `features.contexts`, as batch scoring reads it)."""
        from annotator import features  # here: the store's other callers need no numeric libraries

        row = self._one(
            f"SELECT s.id AS sentence_id, {CONTEXT_COLUMNS} FROM sentences s JOIN articles ar ON ar.id = s.article_id"
            " WHERE s.id = ?",
            [sentence_id],
        )
        if row is None:
            raise StoreError(f"unknown sentence id {sentence_id!r}")
        article = self._frame("SELECT id, text FROM sentences WHERE article_id = ? ORDER BY start", [row["article_id"]])
        ids, texts = article["id"].tolist(), article["text"].tolist()
        at = ids.index(sentence_id)
        return {**dict(row), **{name: values[at] for name, values in features.contexts(texts).items()}}

    def unlabelled(
        self, reviewer: str, *, article_id: str | None = None, limit: int | None = 50, model_id: str | None = None,
        filters: Filters | None = None, free: bool = False,
    ) -> pd.DataFrame:
        """Sentences the reviewer has no current label (nor skip) for, in article order; `limit=None` for all.

        With `model_id`: only sentences that model has a stored prediction for, least sure (smallest margin) first,
        with its `prediction`, `confidence` and `margin`. With `filters`: only the sentences they let through.
        With `free`: only sentences no reviewer has labelled and no other reviewer's queue holds (`taken_ids`).
        """
        where, params = where_equal(("s.article_id", article_id))
        if filters:
            chosen, values = filters.sql()
            where, params = f"{where} AND {chosen}", [*params, *values]
        mine = [reviewer]
        if free:  # anyone's label, this reviewer's too: one condition instead of two
            where, params, mine = f"{where} AND NOT EXISTS ({taken_sql()})", [*params, reviewer, utc_now()], []
        first = [] if model_id is None else [model_id]
        if model_id is None:
            source, columns, order = "articles ar JOIN sentences s ON s.article_id = ar.id", "", "ar.rowid, s.start"
        else:
            source = """predictions p JOIN sentences s ON s.id = p.sentence_id AND p.model_id = ?
                        JOIN articles ar ON ar.id = s.article_id"""
            columns, order = ", p.label AS prediction, p.confidence, p.margin", "p.margin, s.id"
        return self._frame(
            f"""SELECT s.id AS sentence_id, {CONTEXT_COLUMNS} {columns} FROM {source}
                WHERE {f"NOT EXISTS ({has_label_sql()})" if mine else "1 = 1"} AND {where} ORDER BY {order}"""
            + ("" if limit is None else " LIMIT ?"),
            [*first, *mine, *params] + ([] if limit is None else [limit]),
        )

    def progress(self, reviewer: str, article_id: str | None = None) -> tuple[int, int]:
        """(sentences the reviewer has labelled or skipped, all sentences), in one article or overall."""
        if article_id is None:  # overall: count the reviewer's current labels, not every sentence
            done = self._one("SELECT count(*) FROM latest WHERE reviewer = ? AND action = 'label'", [reviewer])
            return int(done[0]), self.size()[1]
        where, params = where_equal(("s.article_id", article_id))
        row = self._one(
            f"SELECT sum(CASE WHEN EXISTS ({has_label_sql()}) THEN 1 ELSE 0 END), count(*) FROM sentences s WHERE {where}",
            [reviewer, *params],
        )
        return int(row[0] or 0), int(row[1])

    # Reading for the labelling queue: "labelled" is a live label or skip in `latest`, the store's one rule for it

    def labelled_ids(self, reviewer: str) -> set[str]:
        """The sentences the reviewer has a live label (or skip) on."""
        return set(self._column("SELECT sentence_id FROM latest WHERE action = 'label' AND reviewer = ?", [reviewer]))

    def taken_ids(self, reviewer: str) -> set[str]:
        """The sentences not free for the reviewer's share of the work (see `sql.taken_sql`)."""
        return set(self._column(
            """SELECT sentence_id FROM latest UNION SELECT sentence_id FROM claims WHERE reviewer != ? AND until > ?""",
            [reviewer, utc_now()]))

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
        where, params = where_equal(("s.article_id", article_id))
        return self._column(
            f"""SELECT DISTINCT s.id FROM latest o JOIN sentences s ON s.id = o.sentence_id
                WHERE o.action = 'label' AND o.reviewer != ? AND NOT EXISTS ({has_label_sql()}) AND {where}
                ORDER BY s.id""",
            [reviewer, reviewer, *params],
        )

    def random_sentences(self, count: int, rng: random.Random) -> dict[str, str]:
        """About `count` sentences drawn uniformly by rowid (without scanning the table; seeded by `rng`): id -> text.

        Fewer when the draw hits deleted rowids or repeats itself; in the order drawn.
        """
        top = int(self._one("SELECT coalesce(max(rowid), 0) FROM sentences")[0])
        if not top or count <= 0:
            return {}
        drawn = [rng.randint(1, top) for _ in range(count)]
        found = {rowid: (sid, text) for rowid, sid, text in self._frame(
            f"SELECT rowid, id, text FROM sentences WHERE rowid IN ({','.join('?' * count)})", drawn).itertuples(index=False)}
        return dict(found[rowid] for rowid in drawn if rowid in found)

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
            f"""WITH cur AS ({current_sql("label")})
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

        Streamed from a read-only connection of its own (on PostgreSQL through a server-side cursor): the export
        reads one snapshot of the store, holds a few rows at a time, and labelling goes on meanwhile.
        """
        where, params = where_equal(("a.reviewer", reviewer))
        sql = f"""
            WITH cur AS ({current_sql("label", where)} UNION ALL {current_sql("adjudicate", where)})
            SELECT cur.*, {CONTEXT_COLUMNS}
            FROM cur JOIN sentences s ON s.id = cur.sentence_id JOIN articles ar ON ar.id = s.article_id
            ORDER BY s.article_id, s.start, cur.reviewer, cur.action DESC"""
        yield from (self._label_record(row) for row in self.engine.stream(sql, params * 2))

    @staticmethod
    def _label_record(row: Any) -> LabelRecord:
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
