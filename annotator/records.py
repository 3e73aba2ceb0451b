"""The data formats, declared once: articles, sentences and label records, plus their stable ids and hashes."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any

ARTICLE_FIELDS = ("id", "text", "title", "outlet", "url", "date")

# Column order of exported label records (JSONL keys, CSV header). `meta` is a JSON object (a JSON string in CSV).
LABEL_FIELDS = (
    "text",
    "label",
    "article_id",
    "sentence_id",
    "start",
    "end",
    "outlet",
    "reviewer",
    "time",
    "meta",
    "_input_hash",
    "_task_hash",
)


def digest(*parts: str, length: int = 16) -> str:
    """A short, stable hex digest of the parts (sha1; the parts are joined with NUL so they cannot run together)."""
    return hashlib.sha1("\x00".join(parts).encode("utf-8")).hexdigest()[:length]


def article_id_for(text: str) -> str:
    """A stable article id from its content, for inputs that bring none: same text, same id."""
    return digest(" ".join(text.split()))


def sentence_id_for(article_id: str, text: str, occurrence: int = 0) -> str:
    """A stable sentence id from its article and text; `occurrence` tells apart a sentence repeated in one article."""
    key = f"{article_id}\x00{text}\x00{occurrence}" if occurrence else f"{article_id}\x00{text}"
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]  # `digest` of the parts, spelt out: it runs per sentence


def input_hash(text: str) -> int:
    """Prodigy-style `_input_hash`: a stable signed 32-bit int of the input text."""
    return int.from_bytes(hashlib.sha1(text.encode("utf-8")).digest()[:4], "big", signed=True)


def task_hash(text: str, label: str) -> int:
    """Prodigy-style `_task_hash`: a stable signed 32-bit int of the input and the label asked about."""
    return int.from_bytes(hashlib.sha1(f"{text}\x00{label}".encode("utf-8")).digest()[:4], "big", signed=True)


@dataclass(frozen=True)
class Article:
    """One news article. Only `text` is required of inputs; a missing `id` comes from `article_id_for(text)`."""

    id: str
    text: str
    title: str = ""
    outlet: str = ""
    url: str = ""
    date: str = ""
    source: str = ""  # where it was read from ("path" or "path:line"), for error messages; not part of identity

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Sentence:
    """A sentence of an article: `article.text[start:end] == text`, always."""

    id: str
    article_id: str
    index: int
    start: int
    end: int
    text: str


@dataclass
class LabelRecord:
    """One annotation as exported and imported (JSONL in the style of Prodigy's, or CSV with `meta` as JSON).

    `label` is a scheme key or the scheme's skip key. `meta` carries `outlet_kind`, `title`, `url`, `origin`,
    `suggestion` and `suggestion_confidence` where known.
    """

    text: str
    label: str
    article_id: str = ""
    sentence_id: str = ""
    start: int | None = None
    end: int | None = None
    outlet: str = ""
    reviewer: str = ""
    time: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The export form, keys in `LABEL_FIELDS` order, with the stable hashes filled in."""
        data = asdict(self)
        data["_input_hash"] = input_hash(self.text)
        data["_task_hash"] = task_hash(self.text, self.label)
        return {key: data[key] for key in LABEL_FIELDS}
