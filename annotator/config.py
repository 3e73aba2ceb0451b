"""Where things live by default: the labels folder, the store, the default model. Overridable by environment."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent
CODEBOOK_PATH = PACKAGE_DIR / "CODEBOOK.md"


def labels_dir() -> Path:
    """The `labels/` folder: scheme, source registry and shipped label files (`ANNOTATOR_LABELS` overrides)."""
    return Path(os.environ.get("ANNOTATOR_LABELS", REPO_DIR / "labels"))


def default_db() -> Path:
    """The embedded SQLite store (`ANNOTATOR_DB` overrides)."""
    return Path(os.environ.get("ANNOTATOR_DB", labels_dir() / "annotations.db"))


def default_model() -> Path:
    """The default model file (`ANNOTATOR_MODEL` overrides)."""
    return Path(os.environ.get("ANNOTATOR_MODEL", REPO_DIR / "models" / "model.skops"))
