"""What the Review, Team and Agreement pages read and compute on every rerun, timed on a store that holds all the
shipped labels (the three labels/real*.jsonl files imported into a fresh SQLite file): the store's labels, the open
disputes and each reviewer's agreement. The figures the README quotes under "The app".

Run: .venv/bin/python bench/pages.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from annotator import agreement, formats
from annotator.store import Store
from timing import best

LABELS = Path(__file__).resolve().parents[1] / "labels"
FILES = ("real.jsonl", "real_second.jsonl", "real_adjudicated.jsonl")
PAIRS = ["sentence_id", "reviewer", "label"]


def review(store: Store) -> None:
    """As `ui/review_page.py`: the shared labels, the settled sentences, the open disputes, agreement per reviewer."""
    labels = store.current_labels(shared=True)
    agreement.to_settle(labels, set(store.adjudications()["sentence_id"]))
    agreement.per_reviewer(labels[PAIRS])


def team(store: Store) -> None:
    """As `ui/team_page.py`: every label's time, agreement per reviewer and the store's counts."""
    store.label_times()
    agreement.per_reviewer(store.current_labels(shared=True)[PAIRS])
    store.counts()


def agreement_page(store: Store) -> None:
    """As `ui/agreement_page.py`: kappa per pair, alpha, per-label agreement and the disagreements table."""
    labels = store.current_labels(shared=True)[[*PAIRS, "text"]]
    figures = agreement.summarize(labels)
    store.adjudications()
    agreement.to_settle(labels, set(), figures.disputes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, Store(Path(folder) / "labels.db") as store:
        imported = sum(store.import_label_records(formats.read_labels(LABELS / name)).annotations_new for name in FILES)
        labels = store.current_labels(shared=True)
        print(f"{imported:,} labels imported; "
              f"{labels['sentence_id'].nunique():,} sentences with two reviewers, "
              f"{len(agreement.disagreements(labels[PAIRS])):,} disputes\n")
        print("| page | reads + figures per rerun (best of %d) |\n|---|---|" % args.repeat)
        for name, page in (("Review", review), ("Team", team), ("Agreement", agreement_page)):
            print(f"| {name} | {best(lambda: page(store), args.repeat):.2f} s |")


if __name__ == "__main__":
    main()
