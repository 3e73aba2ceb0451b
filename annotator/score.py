"""Streaming batch scoring: articles in, one scored record per sentence out, in input order, in bounded memory.

The calling process cuts the input into parts (`read.parts`: groups of small files, ranges of lines of a large
JSONL file) and hands them to workers: inline (jobs=1), local worker processes (jobs>1: forked, or joblib's loky)
or Dask workers. A worker reads its part itself, splits, featurises, predicts and explains it (PREDICT_ROWS
sentences at a time) and encodes the records for the output file, so the calling process only cuts, appends bytes
and reports. At most two parts per worker are in flight and results come back in submission order, so the output
is the same record for record whatever runs it, and memory stays flat however large the input. Each worker loads
the model once (cached by path and content hash). With a remote Dask scheduler the inputs and the model must have
the same paths on every worker (shared storage): a worker whose model file differs refuses to score.

Bad inputs (a `Problem` from the reader, or an article whose scoring raised) are printed to stderr as
"source: reason" and listed in the errors file, one JSON object {source, reason} per line; the run goes on.
The errors file defaults to `<out>.errors.jsonl`; it is written only when something failed, and a stale one at
that path is removed at the start of the run so it always describes the latest run.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from annotator import boilerplate, features, model, outputs, read, segment, writers
from annotator.records import Article
from annotator.report import MAX_ARTICLES, ReportBuilder, summary_row, summary_schema
from annotator.scheme import Scheme, load_scheme
from annotator.writers import JsonlWriter, TableWriter, open_writer, output_format

PREDICT_ROWS = 8_192  # sentences per predict call: a large part or a huge article is scored in slices of this many
CUES = 3  # explanation terms kept per sentence in the `cues` column
DIGITS = 4  # probabilities and confidence are rounded to this many decimals in the output
IN_FLIGHT_PER_WORKER = 2


class Stopped(BaseException):
    """A stop signal (SIGTERM), raised where the program is, so that it unwinds and cleans up as on Ctrl+C."""


_STOPPING = threading.Event()


def stop(signum=None, frame=None) -> None:
    """A signal handler that stops a run: raises `Stopped` here and now, and leaves a flag that `score_paths` checks
    after every result, so the run stops even where library code waiting on a worker swallows the exception."""
    _STOPPING.set()
    raise Stopped()


class DaskAddressError(ValueError):
    """A `dask` option that is neither "local" nor a scheduler address."""


def record_schema(scheme: Scheme | None = None, *, cues: bool = False) -> dict[str, str]:
    """The output columns, in order, with their types: one record per sentence (`cues` last, when asked for).

    Boilerplate (`boilerplate.reason`) gets the scheme's skip key as its label and the reason in `skip_reason`
    ("" for every claim); its probabilities are still the model's.
    """
    scheme = scheme or load_scheme()
    schema = {"article_id": "str", "sentence_id": "str", "start": "int", "end": "int", "text": "str",
              "outlet": "str", "outlet_kind": "str", "label": "str", "confidence": "float"}
    schema.update({column: "float" for column in scheme.prob_columns()})
    schema["skip_reason"] = "str"
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
            lines.append(f"{self.failures} inputs failed, listed " + (f"in {self.errors}" if self.errors else "above"))
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
    for first, last in _slices(inputs):
        batch = inputs.iloc[first:last]
        if cues:
            predicted, explained = model.predict_explain(pipeline, batch, top=CUES)
        else:
            predicted = model.predict(pipeline, batch)
        # built from arrays: per batch, pandas' column selection and rounding cost more than the numbers themselves
        part = {"label": predicted["label"].to_numpy(dtype=object)}
        part.update((column, np.round(predicted[column].to_numpy(dtype=float), DIGITS)) for column in numbers)
        if cues:  # the terms that pushed each row towards its label most, as a short comma-separated string
            part["cues"] = np.array([", ".join(term for term, _ in terms) for terms in explained], dtype=object)
        reasons = boilerplate.reasons(batch["text"].to_numpy(dtype=object))
        part["label"][reasons != ""] = scheme.skip.key
        part["skip_reason"] = reasons
        parts.append(pd.DataFrame(part))
    return parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)


def _slices(inputs: pd.DataFrame) -> list[tuple[int, int]]:
    """[first, last) row ranges of about PREDICT_ROWS rows that keep each article whole (the model reads an article's
    sentences together); only an article longer than PREDICT_ROWS is cut."""
    if "article_id" not in inputs or len(inputs) <= PREDICT_ROWS:
        return [(first, min(first + PREDICT_ROWS, len(inputs))) for first in range(0, len(inputs), PREDICT_ROWS)]
    ids = model.article_ids(inputs)
    starts = np.flatnonzero(ids[1:] != ids[:-1]) + 1  # where a new article begins
    found, first = [], 0
    while first < len(inputs):
        limit = first + PREDICT_ROWS
        if limit >= len(inputs):
            last = len(inputs)
        else:
            before = starts[(starts > first) & (starts <= limit)]
            last = int(before[-1]) if len(before) else limit
        found.append((first, last))
        first = last
    return found


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


def score_sentences(sentences: pd.DataFrame, pipeline) -> pd.DataFrame:
    """Stored sentences (the store's sentence rows: `sentence_id`, `article_id`, `text`, `outlet`, `outlet_kind`, ...)
    scored as batch scoring scores them: the context read from their articles, the sentences of an article scored
    together. Give whole articles: a sentence's score depends on its article. Per row, in order: label, confidence,
    probabilities, cues and skip_reason, with the sentence_id; for the app's suggestions."""
    inputs = features.context_frame(sentences.reset_index(drop=True))
    scored = _predict(pipeline, inputs, load_scheme(), cues=True)
    scored.insert(0, "sentence_id", inputs["sentence_id"].to_numpy(dtype=object))
    return scored


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
    """What every part of a run is scored with, sent along with it (so kept small)."""

    model_path: str
    digest: str
    fmt: str
    cues: bool  # the `cues` output column
    summaries: bool  # per-article summary rows (also wanted by the report)


@dataclass
class _Scored:
    """A part as a worker returns it: its records already encoded, so the writing process only appends them."""

    encoded: bytes | pd.DataFrame
    rows: int
    outcomes: list[tuple[str, int | str]]  # per input item: where it came from, its sentence count or why it failed
    summaries: list[dict]  # per scored article, when asked for
    kept: list[tuple[Article, pd.DataFrame]]  # the scored articles with their records (cues included), when asked for


def _score_part(job: _Job, part: read.Part, keep: bool) -> _Scored:
    """The unit of work a worker runs in a batch run: read a part of the input, score it and encode its records for
    the output file; `keep` returns the scored articles too (for the HTML report)."""
    scheme = load_scheme()
    pipeline = cached_model(job.model_path, job.digest)
    items = list(part.read())
    articles = [item for item in items if isinstance(item, Article)]
    frame, scored = _score_batch(articles, pipeline, scheme, job.cues or keep)
    summaries, kept, offset = [], [], 0
    for article, outcome in zip(articles, scored):
        if isinstance(outcome, int):
            records = frame.iloc[offset:offset + outcome]
            offset += outcome
            if job.summaries:
                summaries.append(summary_row(article, records, scheme))
            if keep:
                kept.append((article, records))
    outcomes = [(item.source or getattr(item, "id", ""), outcome) for item, outcome in zip(items, _merged(items, scored))]
    encoded = writers.encode(frame, record_schema(scheme, cues=job.cues), job.fmt)
    return _Scored(encoded, len(frame), outcomes, summaries, kept)


# --- execution ---------------------------------------------------------------------------------------------------

class _Done:
    """A finished 'future' for inline execution."""

    def __init__(self, value) -> None:
        self.value = value

    def result(self):
        return self.value


Submit = Callable[..., object]


def stop_processes(processes: Iterable[multiprocessing.Process], grace: float = 5.0) -> None:
    """Stop what a closing cluster left running: on a loaded machine it gives up on a worker after a timeout.
    SIGKILL goes by pid: the process objects of some libraries (loky's) have no `kill`."""
    alive = [process for process in processes if process.is_alive()]
    for process in alive:
        process.terminate()
    deadline = time.monotonic() + grace
    for process in alive:
        process.join(max(deadline - time.monotonic(), 0))
        if process.is_alive():
            with suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGKILL)
            process.join(1)


def started_during(before: Iterable[multiprocessing.Process]) -> list[multiprocessing.Process]:
    """This process's children that were not among `before`: a cluster's, not the joblib workers that were already
    running (stopping those would break the caller's next `Parallel`)."""
    known = {process.pid for process in before}
    return [process for process in multiprocessing.active_children() if process.pid not in known]


@contextmanager
def sigint_ignored() -> Iterator[None]:
    """Processes started inside ignore Ctrl+C, which a terminal sends to the whole process group: this process
    handles it and stops them, instead of each printing its own KeyboardInterrupt traceback."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _forked_worker() -> None:
    """A forked worker's start. Ctrl+C is the parent's to handle: a worker stopped by it halfway through writing to
    the pool's queues left the pool broken and the parent waiting for ever. SIGTERM ends the worker at once (it
    inherited the parent's handler, which unwinds instead). Its garbage collector leaves what it inherited alone, so
    the parent's memory is not copied."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    gc.freeze()


@contextmanager
def executor(jobs: int, dask: str | None = None, *, fork: bool = sys.platform == "linux") -> Iterator[tuple[Submit, int]]:
    """A `submit(fn, *args) -> future` for the chosen engine, and how many tasks to keep in flight.

    With `fork` (the default on Linux), local workers are forked from this process once it has loaded the model, so
    they start with its imports and model in memory instead of paying ~3 s each to import scikit-learn and load it
    again; otherwise they are joblib's (loky) reusable workers. joblib's own `Parallel` dispatches a new task
    whenever one completes, not when its result is consumed, so a slow writer would let results pile up; a window
    of futures bounds memory.
    """
    if dask:
        from dask.distributed import Client, LocalCluster

        with ExitStack() as stack:
            if dask == "local":
                before = multiprocessing.active_children()
                with sigint_ignored():
                    cluster = LocalCluster(
                        n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None,
                        # A worker's own failures reach us as failed futures; what it logs is the noise of a stop
                        # (a heartbeat to a scheduler that has just closed), printed as tracebacks.
                        silence_logs=logging.CRITICAL)
                stack.callback(stop_processes, started_during(before))  # runs after the cluster closes
                stack.enter_context(cluster)
                client = stack.enter_context(Client(cluster))
            elif "://" in dask:
                client = stack.enter_context(Client(dask))
            else:
                raise DaskAddressError(f"--dask {dask!r}: use 'local' or a scheduler address like tcp://HOST:8786")
            workers = max(len(client.scheduler_info().get("workers", {})), 1)
            yield (lambda fn, *args: client.submit(fn, *args, pure=False)), IN_FLIGHT_PER_WORKER * workers
    elif jobs > 1 and fork:
        # The pool forks all its workers at the first submit, before it starts its own threads. Each worker freezes
        # what it inherited, so its garbage collector never walks (and so copies) the parent's memory.
        context = multiprocessing.get_context("fork")
        pool = ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_forked_worker)
        try:
            yield pool.submit, IN_FLIGHT_PER_WORKER * jobs
        except BaseException:  # Ctrl+C or SIGTERM: drop the queued chunks, let the running ones end, then stop
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
    elif jobs > 1:
        # joblib's own reusable pool, the one its Parallel uses: loky's bare one, made first, left joblib's Parallel
        # unable to start in this process ('no attribute _temp_folder_manager').
        from joblib.executor import get_memmapping_executor

        pool = get_memmapping_executor(jobs)
        yield pool.submit, IN_FLIGHT_PER_WORKER * jobs
    else:
        yield (lambda fn, *args: _Done(fn(*args))), 1


def in_order(submit: Submit, window: int, fn: Callable, tasks: Iterable[tuple]) -> Iterator:
    """fn(*args) for every `args` of `tasks`, in order, with at most `window` tasks submitted and not yet yielded
    (`tasks` is consumed as tasks are submitted, so it may depend on what was yielded so far)."""
    pending: deque = deque()
    try:
        for args in tasks:
            pending.append(submit(fn, *args))
            if len(pending) >= window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        for future in pending:  # the run stopped early: do not score what nobody will read
            future.cancel()


# --- the run -----------------------------------------------------------------------------------------------------

class _Failures:
    """Reports bad inputs on stderr and in the errors file, opened at the first one."""

    def __init__(self, path: Path | None, echo: Callable[[str], None]) -> None:
        self.path = path
        self.count = 0
        self._echo = echo
        self._writer: JsonlWriter | None = None
        if path is not None:
            path.unlink(missing_ok=True)

    def add(self, source: str, reason: str) -> None:
        self.count += 1
        self._echo(f"{source}: {reason}")
        if self.path is None:
            return
        if self._writer is None:
            self._writer = JsonlWriter(self.path, {"source": "str", "reason": "str"})
        self._writer.write_record({"source": source, "reason": reason})

    def close(self, finished: bool = True) -> None:
        """Rename the errors file into place, or drop it when the run did not finish."""
        if self._writer is not None:
            self._writer.close() if finished else self._writer.abort()


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
    part_bytes: int = read.PART_BYTES,
    cues: bool = False,
    max_report_articles: int = MAX_ARTICLES,
    progress: bool = True,
) -> ScoreResult:
    """Score every article of `inputs` (files, folders, "-" for stdin) with the model at `model_path`.

    Writes one record per sentence to `out` (JSONL, CSV or Parquet, from `fmt` or the extension), and optionally a
    per-article `summary` (CSV or JSONL) and a highlighted `html` report (the first `max_report_articles` articles
    in full). `cues` adds each sentence's top explanation terms (a `cues` column); the report's tooltips show them
    whether or not. Runs on `jobs` worker processes (default: all cores; one for a model with a fine-tuned encoder,
    whose torch uses them all), or on Dask workers with `dask="local"` or
    a scheduler address, a part of about `part_bytes` of input at a time. Raises ModelLoadError if the model cannot
    be loaded, and OutputError before reading anything if an output would overwrite an input or the model; bad
    articles are reported and skipped (see the module docstring). Every output is written through a temporary
    file and renamed into place at the end, so a failed or interrupted run leaves the previous outputs as they were.
    """
    started = time.perf_counter()
    inputs = list(inputs)
    scheme = load_scheme()
    out = Path(out)
    # bad inputs are listed beside the output; with the output on stdout, only on stderr unless --errors says where
    errors = Path(errors) if errors else None if str(out) == writers.STDOUT else Path(f"{out}.errors.jsonl")
    outputs.refuse_overwriting([out, summary, html, errors], inputs=inputs, model=model_path)
    fmt = output_format(out, fmt)
    model_path = str(Path(model_path).resolve())  # workers may run elsewhere: give them an absolute path
    try:
        digest = model.file_sha256(model_path)
    except OSError as error:
        raise model.ModelLoadError(f"{model_path}: cannot read the model ({error.strerror or error})") from None
    loaded = cached_model(model_path, digest)  # fail before creating any output if the model does not load
    # A model with a fine-tuned encoder is scored by one process by default (torch uses every core in it: 28 s for
    # 20 articles against 36 s on two workers), and by workers started afresh: torch's threads, once started, do not
    # survive a fork (a forked worker hung at its first sentence).
    tuned = model.encoder_of(loaded) is not None
    fork = sys.platform == "linux" and not tuned
    jobs = max(jobs or (1 if tuned else os.cpu_count()) or 1, 1)
    report = ReportBuilder(scheme=scheme, max_articles=max_report_articles) if html else None
    articles = sentences = 0
    _STOPPING.clear()
    with ExitStack() as stack:
        submit, window = stack.enter_context(executor(jobs, dask, fork=fork))
        writer: TableWriter = stack.enter_context(open_writer(out, record_schema(scheme, cues=cues), fmt))
        summaries = stack.enter_context(open_writer(summary, summary_schema(scheme))) if summary else None
        bar = stack.enter_context(_progress_bar(progress))
        failures = _Failures(errors, lambda line: bar.write(line, file=sys.stderr))
        stack.push(lambda exc_type, *_: failures.close(finished=exc_type is None))
        job = _Job(model_path, digest, fmt, cues, summaries=bool(summary or html))
        # the articles themselves come back only while the report still renders articles in full
        parts = read.parts(inputs, part_bytes=part_bytes)
        tasks = ((job, part, report is not None and report.wants_articles) for part in parts)
        for done in in_order(submit, window, _score_part, tasks):
            if _STOPPING.is_set():
                raise Stopped()
            writer.write_encoded(done.encoded, done.rows)
            rows, kept = iter(done.summaries), iter(done.kept)
            for source, outcome in done.outcomes:
                if isinstance(outcome, str):
                    failures.add(source, outcome)
                    if report:
                        report.add_failure()
                    continue
                articles += 1
                if report:
                    article_summary, article = next(rows), next(kept, None)
                    if article:
                        report.add(*article, article_summary)
                    else:
                        report.count(article_summary)
            sentences += done.rows
            if summaries and done.summaries:
                summaries.write(pd.DataFrame(done.summaries))
            bar.update(len(done.outcomes))
            bar.set_postfix_str(f"{sentences / (time.perf_counter() - started):,.0f} sentences/s", refresh=False)
        if _STOPPING.is_set():  # before the outputs are renamed into place
            raise Stopped()
    if report:
        report.write(html, note=f"Model: {Path(model_path).name} (sha256 {digest[:12]}).")
    return ScoreResult(
        articles=articles, sentences=sentences, failures=failures.count, seconds=time.perf_counter() - started,
        out=out, summary=Path(summary) if summary else None, html=Path(html) if html else None,
        errors=failures.path if failures.count else None,
    )
