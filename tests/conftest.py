"""Generic test fixtures shared by several test files (keep this small)."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_DIR = Path(__file__).resolve().parents[2] / "shared"


@pytest.fixture
def shared_dir() -> Path:
    """`../shared` beside the repository (the real corpora); the test is skipped where it is missing."""
    if not SHARED_DIR.is_dir():
        pytest.skip(f"{SHARED_DIR} is not there")
    return SHARED_DIR


REPO_DIR = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def label_files() -> list[Path]:
    """The shipped label files that train the default model: the seed article's labels and the real corpus."""
    from annotator.training import shipped_label_files

    files = shipped_label_files()
    assert [f.name for f in files] == ["seed.jsonl", "real.jsonl", "real_adjudicated.jsonl"]
    return files


@pytest.fixture(scope="session")
def trained_model(tmp_path_factory, label_files) -> Path:
    """A real model trained once per test session on the shipped labels, saved with its card."""
    from annotator import training

    path = tmp_path_factory.mktemp("model") / "model.skops"
    training.fit(training.training_frame(label_files=label_files), path, folds=2)
    return path
