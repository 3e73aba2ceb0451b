"""Streaming table writers: JSONL, CSV or Parquet, fed one DataFrame at a time, so output never sits in memory whole."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pandas as pd

FORMATS = ("jsonl", "csv", "parquet")
_EXTENSIONS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
# Column types of a writer's schema: Parquet needs them up front, so an empty run still writes a readable file.
_ARROW_TYPES = {"str": "string", "int": "int64", "float": "float64"}


class FormatError(ValueError):
    """An output format that is not one of FORMATS."""


def output_format(path: str | Path, fmt: str | None = None) -> str:
    """The format to write `path` in: `fmt` when given, else from the extension; JSONL when the extension says nothing."""
    if fmt:
        if fmt.lower() not in FORMATS:
            raise FormatError(f"unknown output format {fmt!r}; use one of {', '.join(FORMATS)}")
        return fmt.lower()
    return _EXTENSIONS.get(Path(path).suffix.lower(), "jsonl")


class TableWriter:
    """Writes frames with the columns of `schema` ({column: "str" | "int" | "float"}) to one file, in order."""

    def __init__(self, path: str | Path, schema: dict[str, str]) -> None:
        self.path = Path(path)
        self.columns = list(schema)
        self.schema = schema
        self.rows = 0
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def write(self, frame: pd.DataFrame) -> None:
        self.rows += len(frame)
        self._write(frame[self.columns])

    def _write(self, frame: pd.DataFrame) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> TableWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class JsonlWriter(TableWriter):
    """One JSON object per line, UTF-8, keys in schema order."""

    def __init__(self, path: str | Path, schema: dict[str, str]) -> None:
        super().__init__(path, schema)
        self._file = open(self.path, "w", encoding="utf-8", newline="\n")

    def _write(self, frame: pd.DataFrame) -> None:
        # json.dumps rather than DataFrame.to_json, which escapes every "/" in URLs and text.
        self._file.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in frame.to_dict("records"))

    def write_record(self, record: dict[str, Any]) -> None:
        self.rows += 1
        self._file.write(json.dumps({key: record.get(key) for key in self.columns}, ensure_ascii=False) + "\n")

    def close(self) -> None:
        self._file.close()


class CsvWriter(TableWriter):
    """A header row, then the rows; standard CSV quoting, UTF-8."""

    def __init__(self, path: str | Path, schema: dict[str, str]) -> None:
        super().__init__(path, schema)
        self._file = open(self.path, "w", encoding="utf-8", newline="")
        csv.writer(self._file).writerow(self.columns)

    def _write(self, frame: pd.DataFrame) -> None:
        frame.to_csv(self._file, header=False, index=False)

    def close(self) -> None:
        self._file.close()


class ParquetWriter(TableWriter):
    """Parquet through pyarrow's ParquetWriter; rows are buffered into row groups of about `row_group_rows`."""

    def __init__(self, path: str | Path, schema: dict[str, str], *, row_group_rows: int = 65_536) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        super().__init__(path, schema)
        self._pa = pa
        self._schema = pa.schema([(name, _ARROW_TYPES[kind]) for name, kind in schema.items()])
        self._writer = pq.ParquetWriter(self.path, self._schema)
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

    def close(self) -> None:
        self._flush()
        self._writer.close()


_WRITERS = {"jsonl": JsonlWriter, "csv": CsvWriter, "parquet": ParquetWriter}


def open_writer(path: str | Path, schema: dict[str, str], fmt: str | None = None) -> TableWriter:
    """A writer for `path` in `fmt` (or the format its extension names); the file is created now."""
    return _WRITERS[output_format(path, fmt)](path, schema)
