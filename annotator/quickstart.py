"""The main job on the embedded defaults: seed article and labels into the store, a default model, a report."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from annotator import config, formats, read, score, training
from annotator.store import Store


def run(*, db: Path, model_path: Path, report: Path) -> Iterator[str]:
    """Import the seed article and its labels, train the default model if missing, score the seeds into `report`.

    Yields one line per step (and the seed sentences with ids and offsets) for the caller to print.
    """
    with Store(db) as store:
        counts = store.add_articles(read.read_articles([config.seeds_dir()]))
        yield f"store {config.shown_db(db)}: {counts}"
        seed_labels = config.labels_dir() / "seed.jsonl"
        if seed_labels.exists():
            yield f"seed labels: {store.import_label_records(formats.read_labels(seed_labels))}"
        yield formats.sentence_table(store.sentences())
        if not model_path.exists():
            yield f"training the default model on the shipped labels -> {model_path}"
            card = training.fit(training.training_frame(store=store), model_path)
            yield f"cross-validated macro-F1: {card['metrics']['cross_validation']['macro_f1']:.3f}"
    result = score.score_paths(
        [str(config.seeds_dir())], model_path, report.with_suffix(".jsonl"), html=report, jobs=1, progress=False
    )
    yield result.describe()
