"""Every input format and encoding -> `Article` records, with a clear message for each bad input.

Formats: `.txt`/`.md` (first non-empty line is the title, the whole file is the text), `.html`/`.htm` (main text
by trafilatura), `.jsonl` (one article object per line) and `.csv` (a `text` column), folders (recursively) and
JSONL on stdin (`-`). JSONL and CSV are streamed, so their size is unlimited; one document, JSONL line or CSV row
may be at most `MAX_DOCUMENT_BYTES`. Bytes are UTF-8 when they decode as such, else see `_legacy_codec`.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import json
import os
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import charset_normalizer

from annotator.records import Article, article_id_for

MAX_DOCUMENT_BYTES = 20_000_000
DOCUMENT_SUFFIXES = (".txt", ".md", ".html", ".htm")
RECORD_SUFFIXES = (".jsonl", ".csv")
SUFFIXES = DOCUMENT_SUFFIXES + RECORD_SUFFIXES
STDIN = "-"
STDIN_NAME = "<stdin>"
RECORD_FIELDS = ("id", "text", "title", "outlet", "url", "date")
# Input bytes and files per part (see `parts`): large enough to score efficiently (each part is one predict call),
# small enough to keep every worker busy to the end and memory flat.
PART_BYTES = 1 << 20
PART_FILES = 256

# UTF-32 before UTF-16: the UTF-32-LE mark starts with the UTF-16-LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# The publication date from the page's metadata; htmldate's extensive search of the text is 40x slower and guesses.
_DATE_PARAMS = {"extensive_search": False, "original_date": True}
_ENCODING_SAMPLE = 65536  # bytes looked at to tell a legacy code page
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
# Bytes 0xC0-0xFF are letters in cp1251, KOI8-R and latin-1 alike.
_HIGH_BYTE = re.compile(rb"[\x80-\xff]")
_HIGH_LETTER = re.compile(rb"[\xc0-\xff]")
_HIGH_WORDS = re.compile(rb"(?<![A-Za-z\xc0-\xff])[\xc0-\xff]{2,}(?![A-Za-z\xc0-\xff])")
_HIGH_BESIDE_ASCII = re.compile(rb"[A-Za-z][\xc0-\xff]|[\xc0-\xff][A-Za-z]")
_CP1251_LOWER = re.compile(rb"[\xe0-\xff]")  # lower-case а-я in cp1251, upper-case А-Я in KOI8-R


class InputError(ValueError):
    """Input that cannot be read as articles; the message names the file (and line) and what is wrong."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


@dataclass(frozen=True)
class Problem:
    """A bad input met while streaming, reported instead of raised: `source` is "path" or "path:line"."""

    source: str
    reason: str


def iter_articles(
    paths: Iterable[str | Path] | str | Path, *, stdin: IO[str] | None = None, max_bytes: int = MAX_DOCUMENT_BYTES
) -> Iterator[Article | Problem]:
    """Stream the articles of files, folders and "-" (JSONL from `stdin`, default sys.stdin).

    Never raises on bad data: a bad file, line or row is yielded as a Problem and reading goes on.
    """
    for part in parts(paths, stdin=stdin, max_bytes=max_bytes):
        yield from part.read(max_bytes)


@dataclass(frozen=True)
class Files:
    """A part of the input: whole files, read in order."""

    paths: tuple[str, ...]

    def read(self, max_bytes: int = MAX_DOCUMENT_BYTES) -> Iterator[Article | Problem]:
        for path in self.paths:
            yield from _read_path(Path(path), max_bytes)


@dataclass(frozen=True)
class Lines:
    """A part of the input: the lines of a JSONL file from byte `start` to byte `stop`, the first being line `first`."""

    path: str
    start: int
    stop: int
    first: int

    def read(self, max_bytes: int = MAX_DOCUMENT_BYTES) -> Iterator[Article | Problem]:
        try:
            with open(self.path, "rb") as stream:
                stream.seek(self.start)
                yield from _jsonl(_lines(self.path, stream, max_bytes, first=self.first, stop=self.stop))
        except OSError as error:
            yield Problem(f"{self.path}:{self.first}", f"cannot read: {error.strerror or error}")


@dataclass(frozen=True)
class Items:
    """A part of the input read already: articles and problems from stdin or a large CSV file, or a missing path."""

    items: tuple[Article | Problem, ...]

    def read(self, max_bytes: int = MAX_DOCUMENT_BYTES) -> Iterator[Article | Problem]:
        yield from self.items


Part = Files | Lines | Items


def parts(
    paths: Iterable[str | Path] | str | Path,
    *,
    stdin: IO[str] | None = None,
    max_bytes: int = MAX_DOCUMENT_BYTES,
    part_bytes: int = PART_BYTES,
) -> Iterator[Part]:
    """The inputs as consecutive parts of about `part_bytes` each, which any process that sees the same files can
    read on its own: reading them in order gives exactly the articles of `iter_articles`.

    Small files are grouped (at most PART_FILES a part), a large JSONL file is cut into ranges of whole lines;
    stdin and large CSV files (whose rows may span lines) are read here and passed on in batches.
    """
    group: list[str] = []
    size = 0
    for entry in _entries(paths, stdin, max_bytes):
        if isinstance(entry, Path):
            entry_size = _file_size(entry)
            if entry_size <= part_bytes or entry.suffix.lower() not in RECORD_SUFFIXES:
                if group and (size + entry_size > part_bytes or len(group) >= PART_FILES):
                    yield Files(tuple(group))
                    group, size = [], 0
                group.append(str(entry))
                size += entry_size
                continue
        if group:
            yield Files(tuple(group))
            group, size = [], 0
        if isinstance(entry, Path) and entry.suffix.lower() == ".jsonl":
            yield from _line_ranges(entry, part_bytes)
        elif isinstance(entry, Path):
            yield from _batched(_read_path(entry, max_bytes), part_bytes)
        else:
            yield from _batched(entry, part_bytes)
    if group:
        yield Files(tuple(group))


def _entries(paths: Iterable[str | Path] | str | Path, stdin: IO[str] | None, max_bytes: int) -> Iterator[Path | Iterator[Article | Problem]]:
    """Each file to read, in order (folders walked), or the items of what is not a file (stdin, a missing path)."""
    for path in [paths] if isinstance(paths, (str, Path)) else paths:
        if str(path) == STDIN:
            yield _records(STDIN_NAME, ".jsonl", stdin or sys.stdin, max_bytes)
            continue
        path = Path(path)
        if path.is_dir():
            files = sorted(_walk(path), key=lambda file: file.relative_to(path).parts)
            if not files:
                yield iter([Problem(str(path), f"no {', '.join(SUFFIXES)} files in this folder")])
            yield from files
        elif not path.exists():
            yield iter([Problem(str(path), "no such file or folder")])
        else:
            yield path


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # reading it will say what is wrong


def _batched(items: Iterator[Article | Problem], part_bytes: int) -> Iterator[Items]:
    """Consecutive Items parts of about `part_bytes` characters of article text."""
    batch, size = [], 0
    for item in items:
        batch.append(item)
        size += len(item.text) if isinstance(item, Article) else 0
        if size >= part_bytes:
            yield Items(tuple(batch))
            batch, size = [], 0
    if batch:
        yield Items(tuple(batch))


def _line_ranges(path: Path, part_bytes: int) -> Iterator[Part]:
    """A large JSONL file as ranges of whole lines of about `part_bytes` each, found by reading it once."""
    source = str(path)
    try:
        with open(path, "rb") as stream:
            if b"\x00" in stream.read(8192):
                yield Files((source,))  # reading it reports a binary file
                return
            stream.seek(0)
            start, first, line, blank = 0, 1, 1, True
            while piece := stream.readline(part_bytes):
                blank = blank and piece.isspace()
                if piece.endswith(b"\n"):
                    line += 1
                    if stream.tell() - start >= part_bytes:
                        yield Lines(source, start, stream.tell(), first)
                        start, first = stream.tell(), line
            if stream.tell() > start:
                yield Lines(source, start, stream.tell(), first)
    except OSError:
        yield Files((source,))  # reading it reports why it cannot be read
        return
    if blank:
        yield Items((Problem(source, "empty file"),))


def read_articles(paths: Iterable[str | Path] | str | Path, **options) -> list[Article]:
    """All articles of the inputs; raises InputError at the first bad input (for commands where any should stop)."""
    articles = []
    for item in iter_articles(paths, **options):
        if isinstance(item, Problem):
            raise InputError(item.source, item.reason)
        articles.append(item)
    return articles


def articles_from_upload(name: str, data: bytes, *, max_bytes: int = MAX_DOCUMENT_BYTES) -> list[Article | Problem]:
    """The articles of an uploaded file, its format told by its name, read exactly as a file on disk is."""
    return list(_read_stream(name, io.BytesIO(data), max_bytes))


def article_from_text(text: str, *, title: str = "", outlet: str = "", url: str = "") -> Article:
    """An article from pasted text, read like a .txt file (the first non-empty line is the default title)."""
    return _text_article(text, "pasted text", title=title, outlet=outlet, url=url)


def _walk(folder: Path) -> Iterator[Path]:
    """Readable files below `folder`; hidden files and folders are passed over."""
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if not name.startswith(".") and Path(name).suffix.lower() in SUFFIXES:
                yield Path(root, name)


def _read_path(path: Path, max_bytes: int) -> Iterator[Article | Problem]:
    try:
        with open(path, "rb") as stream:
            yield from _read_stream(str(path), stream, max_bytes)
    except OSError as error:
        yield Problem(str(path), f"cannot read: {error.strerror or error}")


def _read_stream(source: str, stream: IO[bytes], max_bytes: int) -> Iterator[Article | Problem]:
    """The articles of one file's bytes, dispatched on the extension of `source`."""
    suffix = Path(source).suffix.lower()
    if suffix not in SUFFIXES:
        yield Problem(source, f"unsupported file type {suffix or '(none)'}: expected one of {', '.join(SUFFIXES)}")
    elif suffix in RECORD_SUFFIXES:
        yield from _records(source, suffix, stream, max_bytes)
    else:
        try:
            yield _document(source, suffix, stream.read(max_bytes + 1), max_bytes)
        except InputError as error:
            yield Problem(error.source, error.reason)


def _document(source: str, suffix: str, data: bytes, max_bytes: int) -> Article:
    if len(data) > max_bytes:
        raise InputError(source, f"larger than the {_size(max_bytes)} limit for one document")
    if not data.strip():
        raise InputError(source, "empty file")
    text = _decode(data, source)
    return _html_article(text, source) if suffix in (".html", ".htm") else _text_article(text, source)


def _text_article(text: str, source: str, *, title: str = "", outlet: str = "", url: str = "") -> Article:
    """A plain-text or Markdown document: the headline stays in the text, so it is labelled like a sentence."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise InputError(source, "empty text")
    first_line = text.split("\n", 1)[0].lstrip("#").strip()
    return Article(article_id_for(text), text, title or first_line, outlet, url, source=source)


def _html_article(html: str, source: str) -> Article:
    """An HTML page's main text (trafilatura), one paragraph per block, headline first like a text file's."""
    import trafilatura  # imported when first needed: it adds a tenth of a second to every start-up

    document = trafilatura.bare_extraction(
        html, with_metadata=True, include_comments=False, date_extraction_params=_DATE_PARAMS
    )
    paragraphs = [line.strip() for line in (document.text or "").splitlines() if line.strip()] if document else []
    if not paragraphs:
        raise InputError(source, "no article text found in HTML")
    title = (document.title or "").strip()
    if title and paragraphs[0] != title:
        paragraphs.insert(0, title)
    text = "\n\n".join(paragraphs)
    return Article(
        article_id_for(text), text, title or paragraphs[0], document.sitename or "", document.url or "",
        document.date or "", source=source,
    )


def _records(source: str, suffix: str, stream: IO, max_bytes: int) -> Iterator[Article | Problem]:
    """A JSONL or CSV stream, one article per line or row; a bad line or row is a Problem and reading goes on."""
    if isinstance(stream, io.BufferedIOBase | io.RawIOBase):
        head = stream.read(8192)
        stream.seek(0)
        codec = bom_codec(head)
        if codec in ("utf-16", "utf-32"):  # a byte-order mark wins: UTF-16 text is full of NUL bytes
            stream = io.TextIOWrapper(stream, encoding=codec, errors="replace", newline="")
        elif b"\x00" in head:
            yield Problem(source, "binary file (contains NUL bytes), not text")
            return
    lines = _lines(source, stream, max_bytes)
    items = _jsonl(lines) if suffix == ".jsonl" else _csv(source, lines, max_bytes)
    empty = True
    for item in items:
        empty = False
        yield item
    if empty:
        yield Problem(source, "empty file")


def _lines(
    source: str, stream: IO, max_bytes: int, *, first: int = 1, stop: int | None = None
) -> Iterator[tuple[str, str | Problem]]:
    """("source:line", text) for each line (the first numbered `first`, the last ending at byte `stop` or at the
    end), without holding more than one line; over-long or undecodable lines come as a Problem instead of their text."""
    for number in itertools.count(first):
        if stop is not None and stream.tell() >= stop:
            return
        line = stream.readline(max_bytes + 1)
        if not line:
            return
        where = f"{source}:{number}"
        newline = b"\n" if isinstance(line, bytes) else "\n"
        if len(line) > max_bytes and not line.endswith(newline):
            while line and not line.endswith(newline):  # skip the rest of the over-long line
                line = stream.readline(max_bytes + 1)
            yield where, Problem(where, f"line is longer than the {_size(max_bytes)} limit")
            continue
        try:
            text = _decode(line, where) if isinstance(line, bytes) else line
        except InputError as error:
            yield where, Problem(error.source, error.reason)
            continue
        yield where, text.lstrip("\ufeff") if number == 1 else text


def _jsonl(lines: Iterator[tuple[str, str | Problem]]) -> Iterator[Article | Problem]:
    for where, line in lines:
        if isinstance(line, Problem):
            yield line
        elif line.strip():
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                yield Problem(where, f"not valid JSON: {error}")
                continue
            except RecursionError:
                yield Problem(where, "JSON nested too deeply to read")
                continue
            if isinstance(record, dict):
                yield _record_article(record, where)
            else:
                yield Problem(where, f"not a JSON object but {_json_type(record)}")


class _StopFile(Exception):
    """A line the CSV parser cannot get past; carries the Problem to report."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem


def _csv(source: str, lines: Iterator[tuple[str, str | Problem]], max_bytes: int) -> Iterator[Article | Problem]:
    """CSV rows with a `text` column. A bad row is skipped; a line that cannot be decoded or parsed stops the file."""

    def text_lines() -> Iterator[str]:
        for _, line in lines:
            if isinstance(line, Problem):
                raise _StopFile(line)
            yield line

    csv.field_size_limit(max(csv.field_size_limit(), max_bytes))
    reader = csv.reader(text_lines())
    try:
        header = next((row for row in reader if any(cell.strip() for cell in row)), None)
        if header is None:
            return
        columns = [name.strip().lower() for name in header]
        if "text" not in columns:
            found = ", ".join(header)
            yield Problem(f"{source}:{reader.line_num}", f"no 'text' column in the CSV header (found: {found})")
            return
        start, rows = reader.line_num + 1, 0
        for row in reader:
            where, start = f"{source}:{start}", reader.line_num + 1
            if sum(map(len, row)) > max_bytes:
                yield Problem(where, f"row is longer than the {_size(max_bytes)} limit")
            elif any(cell.strip() for cell in row):
                yield _record_article(dict(zip(columns, row)), where)
            rows += 1
        if not rows:
            yield Problem(source, "no rows after the CSV header")
    except _StopFile as stop:
        yield Problem(stop.problem.source, f"{stop.problem.reason}; the rest of the file is skipped")
    except csv.Error as error:
        yield Problem(f"{source}:{reader.line_num}", f"not valid CSV ({error}); the rest of the file is skipped")


def _record_article(record: dict, where: str) -> Article | Problem:
    """An article from a JSONL object or CSV row: `text` required, other fields optional, extras ignored."""
    if record.get("text") is None:
        return Problem(where, 'no "text" field')
    fields: dict[str, str] = {}
    for name in RECORD_FIELDS:
        value = record.get(name)
        if isinstance(value, dict | list):
            return Problem(where, f'"{name}" must be a string or a number, not {_json_type(value)}')
        fields[name] = value if isinstance(value, str) else "" if value is None else json.dumps(value)
    if not fields["text"].strip():
        return Problem(where, 'empty "text"')
    text = fields["text"]
    return Article(
        fields["id"].strip() or article_id_for(text), text, fields["title"].strip(), fields["outlet"].strip(),
        fields["url"].strip(), fields["date"].strip(), source=where,
    )


def bom_codec(head: bytes) -> str | None:
    """The codec a byte-order mark at the start of `head` names, or None."""
    return next((codec for bom, codec in _BOMS if head.startswith(bom)), None)


def _decode(data: bytes, source: str) -> str:
    """Text from bytes: a byte-order mark if any, else strict UTF-8, else the legacy code page guessed."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return _checked(data.decode(codec), source)
            except UnicodeDecodeError:
                raise InputError(source, f"cannot be decoded as {codec} although it starts with its mark") from None
    if b"\x00" in data:
        raise InputError(source, "binary file (contains NUL bytes), not text")
    try:
        return _checked(data.decode("utf-8"), source)
    except UnicodeDecodeError:
        pass
    codec = _legacy_codec(data)
    if codec:
        return _checked(data.decode(codec), source)
    match = charset_normalizer.from_bytes(data).best()
    if match is None:
        raise InputError(source, "cannot detect the text encoding (save it as UTF-8)")
    return _checked(str(match), source)


def _legacy_codec(data: bytes) -> str | None:
    """The single-byte code page of non-UTF-8 text, or None when it does not look like one.

    charset-normalizer guesses wildly on short texts, so Cyrillic and Western European are told apart by shape:
    Cyrillic letters (bytes 0xC0-0xFF) make whole words, Western accented letters sit beside ASCII letters. For
    Cyrillic, cp1251 (lower case in 0xE0-0xFF) and KOI8-U/R (the reverse) are told apart by the share of lower-case
    letters, which real text has most of. Anything else (e.g. a CJK code page) is left to charset-normalizer.
    """
    sample = data[:_ENCODING_SAMPLE]
    if len(_HIGH_WORDS.findall(sample)) <= len(_HIGH_BESIDE_ASCII.findall(sample)):
        try:
            data.decode("cp1252")
        except UnicodeDecodeError:  # a byte cp1252 leaves undefined
            return "latin-1"
        return "cp1252"
    letters = len(_HIGH_LETTER.findall(sample))
    if letters < 0.75 * len(_HIGH_BYTE.findall(sample)):  # too few letters for a Cyrillic code page (e.g. a CJK one)
        return None
    lower = len(_CP1251_LOWER.findall(sample)) / letters
    return "cp1251" if lower >= 0.6 else "koi8_u" if lower <= 0.4 else None


def _checked(text: str, source: str) -> str:
    """`text`, unless control characters make up more than 5% of it (a binary file that happened to decode)."""
    if len(_CONTROL.findall(text)) > 0.05 * len(text):
        raise InputError(source, "binary file (mostly control characters), not text")
    return text


def _json_type(value: object) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    return names.get(type(value), "a number or null")


def _size(n: int) -> str:
    return f"{n / 1_000_000:g} MB"
