"""Streaming table writers: JSONL, CSV or Parquet, fed one DataFrame at a time, so output never sits in memory whole."""

from __future__ import annotations

import csv
import io
import json
import math
import sys
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from annotator import outputs

FORMATS = ("jsonl", "json", "csv", "parquet")
_EXTENSIONS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
STDOUT = "-"
# Column types of a writer's schema: Parquet needs them up front, so an empty run still writes a readable file.
_ARROW_TYPES = {"str": "string", "int": "int64", "float": "float64"}


class FormatError(ValueError):
    """An output format that is not one of FORMATS."""


def output_format(path: str | Path, fmt: str | None = None) -> str:
    """The format to write `path` in: `fmt` when given, else from the extension (`.json` a JSON array, `.jsonl`,
    `.csv`, `.parquet`); JSONL when the extension says nothing. `fmt` contradicting the extension is an error."""
    named = _EXTENSIONS.get(Path(path).suffix.lower()) if str(path) != STDOUT else None
    if fmt:
        if fmt.lower() not in FORMATS:
            raise FormatError(f"unknown output format {fmt!r}; use one of {', '.join(FORMATS)}")
        if named and named != fmt.lower():
            raise FormatError(f"--format {fmt} contradicts {path}, whose extension means {named}; drop one of them")
        fmt = fmt.lower()
    else:
        fmt = named or "jsonl"
    if fmt == "parquet" and str(path) == STDOUT:
        raise FormatError("Parquet cannot be streamed to standard output; write it to a file")
    return fmt


# A cell a spreadsheet would read as a formula (OWASP "CSV injection"): it starts with one of these characters.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: str) -> str:
    """`value` with a `'` put before it when a spreadsheet would run it as a formula (`=HYPERLINK(...)`); the
    label reader takes the `'` off again (`unsafe_cell`), so exports still import as they were."""
    return "'" + value if value.startswith(FORMULA_START) else value


def unsafe_cell(value: str) -> str:
    """Undo `spreadsheet_safe`."""
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_START) else value


def encode(frame: pd.DataFrame, schema: dict[str, str], fmt: str) -> bytes | pd.DataFrame:
    """`frame`'s rows, in the schema's column order, as the writer for `fmt` writes them: JSONL or CSV bytes, or
    for Parquet the frame itself. Worker processes encode, so the process that writes only appends bytes."""
    frame = frame[list(schema)]
    if fmt in ("jsonl", "json"):  # a JSON array's writer joins the lines with commas
        return _jsonl(frame)
    if fmt == "csv":
        texts = [column for column, kind in schema.items() if kind == "str"]
        frame = frame.assign(**{column: frame[column].astype(str).map(spreadsheet_safe) for column in texts})
        return frame.to_csv(None, header=False, index=False, lineterminator="\n").encode("utf-8")
    return frame


def _jsonl(frame: pd.DataFrame) -> bytes:
    """One JSON object per row, byte for byte what `json.dumps(row, ensure_ascii=False)` gives, built column by
    column (json.dumps rather than DataFrame.to_json, which escapes every "/" in URLs and text)."""
    if not len(frame):
        return b""
    keys = [json.dumps(str(column), ensure_ascii=False).replace("{", "{{").replace("}", "}}") for column in frame.columns]
    line = "{{" + ", ".join(f"{key}: {{}}" for key in keys) + "}}\n"
    columns = [_json_values(frame[column].tolist()) for column in frame.columns]
    return "".join(map(line.format, *columns)).encode("utf-8")


def _json_values(values: list) -> list[str]:
    """Each value as JSON; the common all-str, all-int and all-finite-float columns without a call per value to json.dumps."""
    kinds = set(map(type, values))
    if kinds <= {str}:
        return list(map(encode_basestring, values))
    if kinds <= {int}:
        return list(map(int.__repr__, values))
    if kinds <= {float} and all(map(math.isfinite, values)):
        return _float_reprs(np.array(values, dtype=float))
    return [json.dumps(value, ensure_ascii=False) for value in values]


# repr(i / 10_000) for i in 0..10_000: probabilities rounded to four places are looked up, not formatted one by one
_FOUR_PLACES = np.array([repr(i / 10_000) for i in range(10_001)], dtype=object)


def _float_reprs(values: np.ndarray) -> list[str]:
    """`repr` of each finite float, from `_FOUR_PLACES` when all are in [0, 1] with at most four decimals."""
    scaled = np.rint(values * 10_000)
    if len(values) and not np.signbit(scaled).any() and scaled.max() <= 10_000 and np.array_equal(scaled / 10_000, values):
        return _FOUR_PLACES[scaled.astype(np.int64)].tolist()
    return list(map(float.__repr__, values.tolist()))


class TableWriter:
    """Writes frames with the columns of `schema` ({column: "str" | "int" | "float"}) to one file, in order.

    Rows go to a hidden temporary file beside `path`, renamed into place by `close`; `abort` (or leaving the `with`
    block on an error) removes it, so a failed run leaves the previous file at `path` untouched.
    """

    format = ""

    def __init__(self, path: str | Path, schema: dict[str, str]) -> None:
        self.path = Path(path)
        self.columns = list(schema)
        self.schema = schema
        self.rows = 0
        self.stdout = str(path) == STDOUT
        if not self.stdout:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.temporary = outputs.temporary_path(self.path)

    def write(self, frame: pd.DataFrame) -> None:
        self.write_encoded(encode(frame, self.schema, self.format), len(frame))

    def write_encoded(self, encoded: bytes | pd.DataFrame, rows: int) -> None:
        """Append `rows` rows that `encode` turned into this writer's format (perhaps in another process)."""
        self.rows += rows
        self._write(encoded)

    def _write(self, encoded: bytes | pd.DataFrame) -> None:
        raise NotImplementedError

    def _finish(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Finish the file and rename it into place."""
        self._finish()
        if not self.stdout:
            outputs.commit(self.temporary, self.path)

    def abort(self) -> None:
        """Drop what was written: the file at `path` stays as it was."""
        try:
            self._finish()
        finally:
            if not self.stdout:
                outputs.discard(self.temporary)

    def __enter__(self) -> TableWriter:
        return self

    def __exit__(self, exc_type, *exc: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


class _BytesWriter(TableWriter):
    """A writer whose rows arrive as encoded bytes, appended to a file opened in binary mode."""

    def __init__(self, path: str | Path, schema: dict[str, str], header: bytes = b"", footer: bytes = b"") -> None:
        super().__init__(path, schema)
        self._file = sys.stdout.buffer if self.stdout else open(self.temporary, "wb")
        self._file.write(header)
        self._footer = footer

    def _write(self, encoded: bytes) -> None:
        self._file.write(encoded)

    def _finish(self) -> None:
        self._file.write(self._footer)
        if self.stdout:
            self._file.flush()
        else:
            self._file.close()


class JsonlWriter(_BytesWriter):
    """One JSON object per line, UTF-8, keys in schema order."""

    format = "jsonl"

    def write_record(self, record: dict[str, Any]) -> None:
        self.rows += 1
        self._file.write((json.dumps({key: record.get(key) for key in self.columns}, ensure_ascii=False) + "\n").encode("utf-8"))


class JsonArrayWriter(_BytesWriter):
    """One JSON array of objects (`.json`), written as JSONL lines joined with commas, so it still streams."""

    format = "json"

    def __init__(self, path: str | Path, schema: dict[str, str]) -> None:
        super().__init__(path, schema, b"[\n", b"\n]\n")
        self._first = True

    def _write(self, encoded: bytes) -> None:
        if encoded:
            body = encoded.rstrip(b"\n").replace(b"\n", b",\n")  # JSON strings hold no raw line break
            self._file.write(body if self._first else b",\n" + body)
            self._first = False

    def _finish(self) -> None:
        if self._first:  # no rows: an empty array
            self._footer = b"]\n"
        super()._finish()


class CsvWriter(_BytesWriter):
    """A header row, then the rows; standard CSV quoting, UTF-8."""

    format = "csv"

    def __init__(self, path: str | Path, schema: dict[str, str]) -> None:
        header = io.StringIO()
        csv.writer(header).writerow(schema)
        super().__init__(path, schema, header.getvalue().encode("utf-8"))


class ParquetWriter(TableWriter):
    """Parquet through pyarrow's ParquetWriter; rows are buffered into row groups of about `row_group_rows`."""

    format = "parquet"

    def __init__(self, path: str | Path, schema: dict[str, str], *, row_group_rows: int = 65_536) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        super().__init__(path, schema)
        self._pa = pa
        self._schema = pa.schema([(name, _ARROW_TYPES[kind]) for name, kind in schema.items()])
        self._writer = pq.ParquetWriter(self.temporary, self._schema)
        self._buffer: list[pd.DataFrame] = []
        self._buffered = 0
        self._row_group_rows = row_group_rows

    def _write(self, frame: pd.DataFrame) -> None:
        self._buffer.append(frame)
        self._buffered += len(frame)
        if self._buffered >= self._row_group_rows:
            self._flush()

    def _flush(self) -> None:
        if self._buffer:
            frame = pd.concat(self._buffer, ignore_index=True)
            self._writer.write_table(self._pa.Table.from_pandas(frame, schema=self._schema, preserve_index=False))
        self._buffer, self._buffered = [], 0

    def _finish(self) -> None:
        try:
            self._flush()
        finally:
            self._writer.close()


_WRITERS = {"jsonl": JsonlWriter, "json": JsonArrayWriter, "csv": CsvWriter, "parquet": ParquetWriter}


def open_writer(path: str | Path, schema: dict[str, str], fmt: str | None = None) -> TableWriter:
    """A writer for `path` in `fmt` (or the format its extension names); its temporary file is created now."""
    return _WRITERS[output_format(path, fmt)](path, schema)
