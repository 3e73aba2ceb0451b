"""Label files: JSONL and CSV reading and writing of `LabelRecord`s, and the training frame made from them.

Exported files carry every `LABEL_FIELDS` column; files to import need only `text` and `label`. Writing
streams, and the same records always give the same bytes, so an export → import → export round trip is exact.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from datetime import datetime
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import pandas as pd

from annotator import outputs, sources
from annotator.read import bom_codec
from annotator.records import LABEL_FIELDS, LabelRecord
from annotator.scheme import Scheme, load_scheme
from annotator.writers import spreadsheet_safe, unsafe_cell

FORMATS = ("jsonl", "csv")
FRAME_COLUMNS = (
    "text", "label", "article_id", "sentence_id", "start", "end", "outlet", "url", "outlet_kind", "reviewer", "time",
)
# Top-level keys a minimal input file may use that belong in `meta`.
_META_KEYS = ("url", "title", "outlet_kind")
_STRING_FIELDS = ("article_id", "sentence_id", "outlet", "reviewer", "time")


class LabelFormatError(ValueError):
    """A label file that cannot be read: names the file, the line and what is wrong."""


def format_of(path: str | Path | None, fmt: str | None) -> str | None:
    """The label format: `fmt` if given, else from the file extension; None when neither says."""
    if fmt:
        if fmt.lower() not in FORMATS:
            raise LabelFormatError(f"unknown label format {fmt!r}; use one of {', '.join(FORMATS)}")
        return fmt.lower()
    suffix = Path(path).suffix.lower().lstrip(".") if path else ""
    return {"jsonl": "jsonl", "ndjson": "jsonl", "csv": "csv"}.get(suffix)


def write_labels(records: Iterable[LabelRecord], path: str | Path | IO[str], fmt: str | None = None) -> int:
    """Write records as JSONL (one `to_dict()` a line) or CSV (`LABEL_FIELDS` columns, meta as JSON); return the count.

    `path` may be a file path (written through a temporary file: a failed export leaves the previous file as it
    was), `-` for stdout, or an open text stream; `fmt` defaults to the path's extension.
    """
    named = None if hasattr(path, "write") or str(path) == "-" else Path(path)
    chosen = format_of(named, fmt)
    if chosen is None:
        raise LabelFormatError(f"{path}: cannot tell the label format from the name; give jsonl or csv")
    if named is None:
        return _write(records, sys.stdout if str(path) == "-" else path, chosen)
    with outputs.atomic(named) as temporary, open(temporary, "w", encoding="utf-8", newline="") as stream:
        return _write(records, stream, chosen)


def _write(records: Iterable[LabelRecord], stream: IO[str], fmt: str) -> int:
    count = 0
    writer = csv.writer(stream, lineterminator="\n") if fmt == "csv" else None
    if writer:
        writer.writerow(LABEL_FIELDS)
    for record in records:
        data = record.to_dict()
        if writer:
            data["meta"] = _json(data["meta"])
            writer.writerow(["" if data[key] is None else spreadsheet_safe(data[key]) if isinstance(data[key], str)
                             else data[key] for key in LABEL_FIELDS])
        else:
            stream.write(_json(data) + "\n")
        count += 1
    return count


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def read_labels(
    source: str | Path | IO[str],
    fmt: str | None = None,
    *,
    scheme: Scheme | None = None,
    on_error: Callable[[LabelFormatError], None] | None = None,
) -> Iterator[LabelRecord]:
    """Read label records from a JSONL or CSV file (a path, `-` for stdin, or a text stream), checking each.

    A bad record raises `LabelFormatError` naming file and line; with `on_error` it is passed there and skipped.
    Without `fmt`, a file's extension decides, else its first character (`{` means JSONL); a stream is JSONL.
    """
    scheme = scheme or load_scheme()
    if hasattr(source, "read") or str(source) == "-":
        stream = sys.stdin if str(source) == "-" else source
        name = getattr(stream, "name", "<stream>")
        yield from _read_stream(stream, name, format_of(None, fmt) or "jsonl", scheme, on_error)
        return
    with open(source, "rb") as raw:
        # a byte-order mark wins (UTF-16 and UTF-32 files too); else UTF-8, and a line that is not UTF-8 is reported
        codec = bom_codec(raw.read(4)) or "utf-8-sig"
        raw.seek(0)
        stream = io.TextIOWrapper(raw, encoding=codec, errors="surrogateescape", newline="")
        chosen = format_of(source, fmt)
        if chosen is None:
            chosen = "jsonl" if stream.read(4096).lstrip().startswith("{") else "csv"
            stream.seek(0)
        yield from _read_stream(stream, str(source), chosen, scheme, on_error)


def _read_stream(
    stream: IO[str], name: str, fmt: str, scheme: Scheme, on_error: Callable[[LabelFormatError], None] | None
) -> Iterator[LabelRecord]:
    rows = _jsonl_rows(stream, name) if fmt == "jsonl" else _csv_rows(stream, name)
    for line, row in rows:
        try:
            if isinstance(row, LabelFormatError):
                raise row
            yield _record(row, scheme, f"{name}:{line}")
        except LabelFormatError as error:
            if on_error is None:
                raise
            on_error(error)


# Bytes that were not UTF-8, as the surrogateescape error handler keeps them.
_UNDECODED = re.compile("[\udc80-\udcff]")


def _jsonl_rows(stream: IO[str], name: str) -> Iterator[tuple[int, dict[str, Any] | LabelFormatError]]:
    for line, text in enumerate(stream, start=1):
        if not text.strip():
            continue
        if _UNDECODED.search(text):
            yield line, LabelFormatError(f"{name}:{line}: not valid UTF-8 (save the file as UTF-8)")
            continue
        try:
            row = json.loads(text)
        except json.JSONDecodeError as error:
            yield line, LabelFormatError(f"{name}:{line}: malformed JSON ({error.msg} at column {error.colno})")
            continue
        except RecursionError:
            yield line, LabelFormatError(f"{name}:{line}: JSON nested too deeply to read")
            continue
        if not isinstance(row, dict):
            yield line, LabelFormatError(f"{name}:{line}: expected a JSON object, found {type(row).__name__}")
        else:
            yield line, row


def _csv_rows(stream: IO[str], name: str) -> Iterator[tuple[int, dict[str, Any] | LabelFormatError]]:
    reader = csv.DictReader(stream)
    missing = [key for key in ("text", "label") if key not in (reader.fieldnames or [])]
    if missing:
        yield 1, LabelFormatError(f"{name}:1: the CSV header lacks the column(s) {', '.join(missing)}")
        return
    line = reader.line_num + 1
    for row in reader:
        if None in row:
            yield line, LabelFormatError(f"{name}:{line}: more values than header columns")
        elif any(_UNDECODED.search(value or "") for value in row.values()):
            yield line, LabelFormatError(f"{name}:{line}: not valid UTF-8 (save the file as UTF-8)")
        else:
            yield line, {key: unsafe_cell(value) for key, value in row.items() if value != ""}
        line = reader.line_num + 1


def _record(row: dict[str, Any], scheme: Scheme, where: str) -> LabelRecord:
    """Check one input row and make it a record; raise `LabelFormatError` naming `where` when it is bad."""
    text, label = row.get("text"), row.get("label")
    for key, value in (("text", text), ("label", label)):
        if not isinstance(value, str) or not value:
            raise LabelFormatError(f"{where}: missing or empty {key!r}")
    if label not in scheme.all_keys:
        raise LabelFormatError(f"{where}: unknown label {label!r}; allowed: {', '.join(scheme.all_keys)}")
    start, end = _offset(row, "start", where), _offset(row, "end", where)
    if start is not None and end is None:
        end = start + len(text)
    if start is None and end is not None:
        start = end - len(text)
    if start is not None and (start < 0 or end - start != len(text)):
        raise LabelFormatError(f"{where}: start/end {start}:{end} do not span the text ({len(text)} characters)")
    meta = row.get("meta") or {}
    if isinstance(meta, str):
        try:
            meta = json.loads(meta)
        except json.JSONDecodeError as error:
            raise LabelFormatError(f"{where}: 'meta' is not valid JSON ({error.msg})") from None
    if not isinstance(meta, dict):
        raise LabelFormatError(f"{where}: 'meta' must be a JSON object")
    for key in _META_KEYS:
        if row.get(key) not in (None, "") and key not in meta:
            meta[key] = str(row[key])
    time = row.get("time")
    if time not in (None, "") and not _is_time(str(time)):
        raise LabelFormatError(f"{where}: 'time' must be an ISO 8601 date and time (2026-11-25T10:00:00Z), found {time!r}")
    return LabelRecord(
        text=text, label=label, start=start, end=end, meta=meta,
        **{key: "" if row.get(key) is None else str(row[key]) for key in _STRING_FIELDS},
    )


def _is_time(value: str) -> bool:
    """Whether `value` is an ISO 8601 date and time, as the store writes them (a trailing Z allowed)."""
    try:
        datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith("Z") else value)
    except ValueError:
        return False
    return "T" in value or " " in value


def _offset(row: dict[str, Any], key: str, where: str) -> int | None:
    value = row.get(key)
    if value is None:
        return None
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise LabelFormatError(f"{where}: {key!r} must be an integer, found {value!r}")


def labels_frame(records: Iterable[LabelRecord]) -> pd.DataFrame:
    """The frame a model trains on: one row per record, `FRAME_COLUMNS`, skips kept (callers drop them).

    `outlet_kind` comes from the record's meta, else from the source registry.
    """
    registry = None
    rows = []
    for record in records:
        kind = record.meta.get("outlet_kind", "")
        if not kind:
            registry = registry or sources.load_registry()
            kind = registry.kind_of(outlet=record.outlet, url=record.meta.get("url", ""))
        rows.append(
            (record.text, record.label, record.article_id, record.sentence_id, record.start, record.end,
             record.outlet, record.meta.get("url", ""), kind, record.reviewer, record.time)
        )
    frame = pd.DataFrame(rows, columns=list(FRAME_COLUMNS))
    return frame.astype({"start": "Int64", "end": "Int64"})


def label_stats(records: Iterable[LabelRecord], *, scheme: Scheme | None = None) -> dict[str, pd.DataFrame]:
    """Label counts of label records per label, per reviewer, per outlet kind, and per topic when meta has one."""
    scheme = scheme or load_scheme()
    records = list(records)
    frame = labels_frame(records)
    frame["topic"] = [record.meta.get("topic", "") for record in records]
    keys = scheme.all_keys
    tables = {
        "per_label": pd.DataFrame({"label": keys, "count": [int((frame["label"] == k).sum()) for k in keys]}),
        "per_reviewer": count_table(frame, "reviewer", keys),
        "per_outlet_kind": count_table(frame, "outlet_kind", keys),
    }
    if frame["topic"].astype(bool).any():
        tables["per_topic"] = count_table(frame, "topic", keys)
    return tables


def count_table(frame: pd.DataFrame, by: str, keys: list[str]) -> pd.DataFrame:
    """Counts of `by` x label (every key a column, zeros included) and a total column."""
    table = pd.crosstab(frame[by], frame["label"]) if len(frame) else pd.DataFrame(index=pd.Index([], name=by))
    table = table.reindex(columns=keys, fill_value=0).fillna(0).astype(int)
    table["total"] = table.sum(axis=1)
    return table.reset_index().rename_axis(columns=None)


def sentence_table(sentences) -> str:
    """Sentences as aligned lines of id, start, end and text (text last and unpadded, so long ones stay readable)."""
    lines = [f"{'sentence_id':<16}  {'start':>6}  {'end':>6}  text"]
    lines += [f"{row.sentence_id:<16}  {row.start:>6}  {row.end:>6}  {row.text}" for row in sentences.itertuples()]
    return "\n".join(lines)
