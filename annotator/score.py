"""Streaming batch scoring: articles in, one scored record per sentence out, in input order, in bounded memory.

Articles are read in the calling process and grouped into chunks (at most `chunk_articles` articles or
`CHUNK_CHARS` characters); each chunk is split, featurised, predicted and explained by a worker: inline
(jobs=1), a loky process pool (jobs>1) or Dask workers, which also encode the records for the output file, so
the calling process only reads, appends bytes and reports. At most two chunks per worker are in flight and results
come back in submission order, so the output is the same record for record whatever runs it, and memory stays
flat however large the input. Each worker loads the model once (cached by path and content hash). With a remote
Dask scheduler the model path must name the same file on every worker (shared storage): a worker whose file
differs refuses to score.

Bad inputs (a `Problem` from the reader, or an article whose scoring raised) are printed to stderr as
"source: reason" and listed in the errors file, one JSON object {source, reason} per line; the run goes on.
The errors file defaults to `<out>.errors.jsonl`; it is written only when something failed, and a stale one at
that path is removed at the start of the run so it always describes the latest run.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from annotator import features, model, read, segment, writers
from annotator.records import Article
from annotator.report import MAX_ARTICLES, ReportBuilder, summary_row, summary_schema
from annotator.scheme import Scheme, load_scheme
from annotator.writers import JsonlWriter, TableWriter, open_writer, output_format

CHUNK_ARTICLES = 64
CHUNK_CHARS = 1_000_000  # a chunk also closes at this many characters, so a run of long articles stays small
PREDICT_ROWS = 4_096  # sentences per predict call: a huge article is scored in slices of this many
CUES = 3  # explanation terms kept per sentence in the `cues` column
DIGITS = 4  # probabilities and confidence are rounded to this many decimals in the output
IN_FLIGHT_PER_WORKER = 2


class DaskAddressError(ValueError):
    """A `dask` option that is neither "local" nor a scheduler address."""


def record_schema(scheme: Scheme | None = None, *, cues: bool = False) -> dict[str, str]:
    """The output columns, in order, with their types: one record per sentence (`cues` last, when asked for)."""
    scheme = scheme or load_scheme()
    schema = {"article_id": "str", "sentence_id": "str", "start": "int", "end": "int", "text": "str",
              "outlet": "str", "outlet_kind": "str", "label": "str", "confidence": "float"}
    schema.update({column: "float" for column in scheme.prob_columns()})
    if cues:
        schema["cues"] = "str"
    return schema


@dataclass
class ScoreResult:
    """What a run did: counts, and the files it wrote (`errors` is None when nothing failed)."""

    articles: int
    sentences: int
    failures: int
    seconds: float
    out: Path
    summary: Path | None = None
    html: Path | None = None
    errors: Path | None = None

    @property
    def failed(self) -> bool:
        return self.failures > 0

    def describe(self) -> str:
        rate = self.sentences / self.seconds if self.seconds else 0.0
        lines = [f"scored {self.articles} articles, {self.sentences} sentences in {self.seconds:.1f} s "
                 f"({rate:,.0f} sentences/s) -> {self.out}"]
        lines += [f"{name}: {path}" for name, path in (("summary", self.summary), ("report", self.html)) if path]
        if self.failed:
            lines.append(f"{self.failures} inputs failed, listed in {self.errors}")
        return "\n".join(lines)


# --- the model, once per process ---------------------------------------------------------------------------------

_MODELS: dict[tuple[str, str], object] = {}


def cached_model(path: str | Path, digest: str | None = None):
    """The pipeline at `path`, loaded once per process; with `digest`, refuses a file whose content differs."""
    key = (str(Path(path).resolve()), digest or "")
    if key not in _MODELS:
        if digest and model.file_sha256(path) != digest:
            raise model.ModelLoadError(f"{path}: this worker's model file differs from the client's (use shared storage)")
        _MODELS.clear()
        _MODELS[key] = model.load(path)
    return _MODELS[key]


# --- scoring articles --------------------------------------------------------------------------------------------

def _predict(pipeline, inputs: pd.DataFrame, scheme: Scheme, cues: bool) -> pd.DataFrame:
    """Label, confidence, probabilities (rounded) and cues for every row of `inputs`, PREDICT_ROWS at a time."""
    numbers = ["confidence", *scheme.prob_columns()]
    parts = []
    for first in range(0, len(inputs), PREDICT_ROWS):
        batch = inputs.iloc[first:first + PREDICT_ROWS]
        if cues:
            predicted, explained = model.predict_explain(pipeline, batch, top=CUES)
        else:
            predicted = model.predict(pipeline, batch)
        # built from arrays: per chunk, pandas' column selection and rounding cost more than the numbers themselves
        part = {"label": predicted["label"].to_numpy(dtype=object)}
        part.update((column, np.round(predicted[column].to_numpy(dtype=float), DIGITS)) for column in numbers)
        if cues:  # the terms that pushed each row towards its label most, as a short comma-separated string
            part["cues"] = np.array([", ".join(term for term, _ in terms) for terms in explained], dtype=object)
        parts.append(pd.DataFrame(part))
    return parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)


def _score_batch(articles: list[Article], pipeline, scheme: Scheme, cues: bool) -> tuple[pd.DataFrame, list[int | str]]:
    """Score several articles with one predict call; per article, its sentence count or why it failed."""
    split: list[tuple[Article, list]] = []
    outcomes: list[int | str] = []
    for article in articles:
        try:
            sentences = segment.split_article(article)
        except Exception as error:  # bad data in one article must not end the batch
            outcomes.append(_reason(error))
            continue
        split.append((article, sentences))
        outcomes.append(len(sentences))
    try:
        inputs = features.articles_frame(split)
        if not len(inputs):
            return _empty(scheme, cues), outcomes
        predicted = _predict(pipeline, inputs, scheme, cues)
    except Exception as error:
        if len(articles) > 1:
            return _score_one_by_one(articles, pipeline, scheme, cues)
        return _empty(scheme, cues), [_reason(error)]
    records = inputs[[column for column in record_schema(scheme) if column in inputs]]
    return pd.concat([records, predicted], axis=1), outcomes


def _empty(scheme: Scheme, cues: bool) -> pd.DataFrame:
    return pd.DataFrame(columns=list(record_schema(scheme, cues=cues)))


def _score_one_by_one(articles: list[Article], pipeline, scheme: Scheme, cues: bool) -> tuple[pd.DataFrame, list[int | str]]:
    """Fallback when a batch failed to predict: score each article alone, so only the culprit fails."""
    results = [_score_batch([article], pipeline, scheme, cues) for article in articles]
    frames = [frame for frame, _ in results if len(frame)]
    return (pd.concat(frames, ignore_index=True) if frames else _empty(scheme, cues)), [outcome for _, (outcome,) in results]


def _reason(error: Exception) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def score_article(article: Article, pipeline, *, cues: bool = True) -> pd.DataFrame:
    """One article's scored sentences in memory (the output columns, with cues), e.g. for the app's Highlight page.

    Unlike batch scoring, an error here is raised, not recorded.
    """
    scheme = load_scheme()
    frame, (outcome,) = _score_batch([article], pipeline, scheme, cues)
    if isinstance(outcome, str):
        raise ValueError(f"{article.source or article.id}: {outcome}")
    return frame[list(record_schema(scheme, cues=cues))]


def score_chunk(model_path: str, digest: str, cues: bool, items: list) -> tuple[pd.DataFrame, list[int | str]]:
    """Score a chunk of articles in memory with the model at `model_path` (reader Problems pass through as
    failures): the scored records and, per item, its sentence count or why it failed."""
    pipeline = cached_model(model_path, digest)
    articles = [item for item in items if isinstance(item, Article)]
    frame, scored = _score_batch(articles, pipeline, load_scheme(), cues)
    return frame, _merged(items, scored)


def _merged(items: list, scored: list[int | str]) -> list[int | str]:
    outcomes = iter(scored)
    return [next(outcomes) if isinstance(item, Article) else item.reason for item in items]


@dataclass(frozen=True)
class _Job:
    """What every chunk of a run is scored with, sent along with it (so kept small)."""

    model_path: str
    digest: str
    fmt: str
    cues: bool  # the `cues` output column
    summaries: bool  # per-article summary rows
    report: bool  # the scored records themselves, cues included, for the HTML report


@dataclass
class _Scored:
    """A chunk as a worker returns it: its records already encoded, so the writing process only appends them."""

    encoded: bytes | pd.DataFrame
    rows: int
    outcomes: list[int | str]
    summaries: list[dict]
    frame: pd.DataFrame | None


def _score_encoded(job: _Job, items: list) -> _Scored:
    """The unit of work a worker runs in a batch run: score a chunk, encode its records for the output file."""
    scheme = load_scheme()
    pipeline = cached_model(job.model_path, job.digest)
    articles = [item for item in items if isinstance(item, Article)]
    frame, scored = _score_batch(articles, pipeline, scheme, job.cues or job.report)
    summaries, offset = [], 0
    if job.summaries or job.report:
        for article, outcome in zip(articles, scored):
            if isinstance(outcome, int):
                summaries.append(summary_row(article, frame.iloc[offset:offset + outcome], scheme))
                offset += outcome
    encoded = writers.encode(frame, record_schema(scheme, cues=job.cues), job.fmt)
    return _Scored(encoded, len(frame), _merged(items, scored), summaries, frame if job.report else None)


# --- chunking and execution --------------------------------------------------------------------------------------

def chunked(items: Iterable, max_items: int, max_chars: int = CHUNK_CHARS) -> Iterator[list]:
    """Consecutive chunks of at most `max_items` items and about `max_chars` characters of article text."""
    chunk: list = []
    chars = 0
    for item in items:
        chunk.append(item)
        chars += len(item.text) if isinstance(item, Article) else 0
        if len(chunk) >= max_items or chars >= max_chars:
            yield chunk
            chunk, chars = [], 0
    if chunk:
        yield chunk


class _Done:
    """A finished 'future' for inline execution."""

    def __init__(self, value) -> None:
        self.value = value

    def result(self):
        return self.value


Submit = Callable[..., object]


@contextmanager
def executor(jobs: int, dask: str | None = None) -> Iterator[tuple[Submit, int]]:
    """A `submit(fn, *args) -> future` for the chosen engine, and how many tasks to keep in flight.

    joblib's own `Parallel` dispatches a new task whenever one completes, not when its result is consumed, so a
    slow writer would let results pile up; a window of futures over loky's executor (or Dask's) bounds memory.
    """
    if dask:
        from dask.distributed import Client, LocalCluster

        with ExitStack() as stack:
            if dask == "local":
                cluster = stack.enter_context(LocalCluster(
                    n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None,
                    silence_logs=logging.ERROR))
                client = stack.enter_context(Client(cluster))
            elif "://" in dask:
                client = stack.enter_context(Client(dask))
            else:
                raise DaskAddressError(f"--dask {dask!r}: use 'local' or a scheduler address like tcp://HOST:8786")
            workers = max(len(client.scheduler_info().get("workers", {})), 1)
            yield (lambda fn, *args: client.submit(fn, *args, pure=False)), IN_FLIGHT_PER_WORKER * workers
    elif jobs > 1:
        from joblib.externals.loky import get_reusable_executor

        pool = get_reusable_executor(max_workers=jobs)
        yield pool.submit, IN_FLIGHT_PER_WORKER * jobs
    else:
        yield (lambda fn, *args: _Done(fn(*args))), 1


def in_order(submit: Submit, window: int, fn: Callable, chunks: Iterable[list], *args) -> Iterator[tuple[list, object]]:
    """(chunk, fn(*args, chunk)) for every chunk, in order, with at most `window` chunks submitted and not yet yielded."""
    pending: deque = deque()
    for chunk in chunks:
        pending.append((chunk, submit(fn, *args, chunk)))
        if len(pending) >= window:
            done, future = pending.popleft()
            yield done, future.result()
    while pending:
        done, future = pending.popleft()
        yield done, future.result()


# --- the run -----------------------------------------------------------------------------------------------------

class _Failures:
    """Reports bad inputs on stderr and in the errors file, opened at the first one."""

    def __init__(self, path: Path, echo: Callable[[str], None]) -> None:
        self.path = path
        self.count = 0
        self._echo = echo
        self._writer: JsonlWriter | None = None
        path.unlink(missing_ok=True)

    def add(self, source: str, reason: str) -> None:
        self.count += 1
        self._echo(f"{source}: {reason}")
        if self._writer is None:
            self._writer = JsonlWriter(self.path, {"source": "str", "reason": "str"})
        self._writer.write_record({"source": source, "reason": reason})

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()


def _progress_bar(enabled: bool):
    from tqdm import tqdm

    return tqdm(unit=" articles", file=sys.stderr, disable=not (enabled and sys.stderr.isatty()), dynamic_ncols=True)


def score_paths(
    inputs: Iterable[str | Path],
    model_path: str | Path,
    out: str | Path,
    *,
    fmt: str | None = None,
    jobs: int | None = None,
    dask: str | None = None,
    summary: str | Path | None = None,
    html: str | Path | None = None,
    errors: str | Path | None = None,
    chunk_articles: int = CHUNK_ARTICLES,
    cues: bool = False,
    max_report_articles: int = MAX_ARTICLES,
    progress: bool = True,
) -> ScoreResult:
    """Score every article of `inputs` (files, folders, "-" for stdin) with the model at `model_path`.

    Writes one record per sentence to `out` (JSONL, CSV or Parquet, from `fmt` or the extension), and optionally a
    per-article `summary` (CSV or JSONL) and a highlighted `html` report (the first `max_report_articles` articles
    in full). `cues` adds each sentence's top explanation terms (a `cues` column); the report's tooltips show them
    whether or not. Runs on `jobs` worker processes (default: all cores), or on Dask
    workers with `dask="local"` or a scheduler address. Raises ModelLoadError if the model cannot be loaded; bad
    articles are reported and skipped (see the module docstring).
    """
    started = time.perf_counter()
    inputs = list(inputs)
    scheme = load_scheme()
    out = Path(out)
    fmt = output_format(out, fmt)
    model_path = str(Path(model_path).resolve())  # workers may run elsewhere: give them an absolute path
    try:
        digest = model.file_sha256(model_path)
    except OSError as error:
        raise model.ModelLoadError(f"{model_path}: cannot read the model ({error.strerror or error})") from None
    cached_model(model_path, digest)  # fail before creating any output if the model does not load
    jobs = max(jobs or os.cpu_count() or 1, 1)
    report = ReportBuilder(scheme=scheme, max_articles=max_report_articles) if html else None
    articles = sentences = 0
    with ExitStack() as stack:
        submit, window = stack.enter_context(executor(jobs, dask))
        writer: TableWriter = stack.enter_context(open_writer(out, record_schema(scheme, cues=cues), fmt))
        summaries = stack.enter_context(open_writer(summary, summary_schema(scheme))) if summary else None
        bar = stack.enter_context(_progress_bar(progress))
        failures = _Failures(Path(errors) if errors else Path(f"{out}.errors.jsonl"), lambda line: bar.write(line, file=sys.stderr))
        stack.callback(failures.close)
        job = _Job(model_path, digest, fmt, cues, summaries=bool(summary), report=bool(html))
        chunks = chunked(read.iter_articles(inputs), chunk_articles)
        for chunk, done in in_order(submit, window, _score_encoded, chunks, job):
            writer.write_encoded(done.encoded, done.rows)
            rows, offset = iter(done.summaries), 0
            for item, outcome in zip(chunk, done.outcomes):
                if isinstance(outcome, str):
                    failures.add(item.source or getattr(item, "id", ""), outcome)
                    if report:
                        report.add_failure()
                    continue
                articles += 1
                if report:
                    report.add(item, done.frame.iloc[offset:offset + outcome], next(rows))
                offset += outcome
            sentences += done.rows
            if summaries and done.summaries:
                summaries.write(pd.DataFrame(done.summaries))
            bar.update(len(chunk))
            bar.set_postfix_str(f"{sentences / (time.perf_counter() - started):,.0f} sentences/s", refresh=False)
    if report:
        report.write(html, note=f"Model: {Path(model_path).name} (sha256 {digest[:12]}).")
    return ScoreResult(
        articles=articles, sentences=sentences, failures=failures.count, seconds=time.perf_counter() - started,
        out=out, summary=Path(summary) if summary else None, html=Path(html) if html else None,
        errors=failures.path if failures.count else None,
    )
