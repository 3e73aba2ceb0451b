"""Where things live: the labels folder (scheme, registry, shipped labels), the seed article, and the working files
(store, model) of the project folder. Overridable by environment.

Shipped data lives in the package when it is installed from a wheel (`annotator/labels`, `annotator/seeds`, mapped
from the repository's `labels/` and `seeds/` by pyproject.toml), and beside it in a source checkout. Working files
never go there: they belong to the project folder, which is the current directory unless `ANNOTATOR_PROJECT` names one.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
CODEBOOK_PATH = PACKAGE_DIR / "CODEBOOK.md"
APP_PATH = PACKAGE_DIR / "ui" / "app.py"


def _shipped(name: str) -> Path:
    """A shipped data folder: inside the installed package, or at the top of a source checkout."""
    installed = PACKAGE_DIR / name
    return installed if installed.is_dir() else PACKAGE_DIR.parent / name


def shipped_labels_dir() -> Path:
    """The labels folder that comes with annotator: the default scheme, registry and label files."""
    return _shipped("labels")


def seeds_dir() -> Path:
    """The seed article that `quickstart` imports and scores."""
    return _shipped("seeds")


def project_dir() -> Path:
    """The folder that holds this project's store and models: `ANNOTATOR_PROJECT`, or the current directory."""
    return Path(os.environ.get("ANNOTATOR_PROJECT") or Path.cwd())


def labels_dir() -> Path:
    """The labels folder in use: `ANNOTATOR_LABELS`; else the project's `labels/` if it has a `scheme.toml` of its
    own (a checkout of this repository does, and so does a project with its own scheme); else the shipped one."""
    if os.environ.get("ANNOTATOR_LABELS"):
        return Path(os.environ["ANNOTATOR_LABELS"])
    own = project_dir() / "labels"
    return own if (own / "scheme.toml").is_file() else shipped_labels_dir()


DB_URL_PREFIXES = ("postgresql://", "postgres://")


def is_db_url(db: str | Path | None) -> bool:
    """Whether `db` names a PostgreSQL store (a `postgresql://` URL) rather than an SQLite file."""
    return str(db or "").startswith(DB_URL_PREFIXES)


def as_db(db: str | Path) -> str | Path:
    """A store as named by a user: a PostgreSQL URL stays a string, anything else is an SQLite file's path."""
    return str(db) if is_db_url(db) else Path(db)


def shown_db(db: str | Path) -> str:
    """`db` as it may be printed: a URL without its password (`postgresql://user:***@host/db`)."""
    from urllib.parse import urlsplit, urlunsplit

    text = str(db)
    if not is_db_url(text):
        return text
    parts = urlsplit(text)
    if parts.password is None:
        return text
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


def default_db() -> str | Path:
    """The store: `ANNOTATOR_DB` (an SQLite file or a `postgresql://` URL), or the embedded SQLite file
    `labels/annotations.db` in the project folder."""
    return as_db(os.environ.get("ANNOTATOR_DB") or project_dir() / "labels" / "annotations.db")


def default_model() -> Path:
    """The default model file: `ANNOTATOR_MODEL`, or `models/model.skops` in the project folder."""
    return Path(os.environ.get("ANNOTATOR_MODEL") or project_dir() / "models" / "model.skops")


def paths() -> dict[str, Path | str]:
    """Every place above, resolved, for `annotator paths`."""
    return {
        "project": project_dir().resolve(),
        "labels": labels_dir().resolve(),
        "store": shown_db(db) if is_db_url(db := default_db()) else Path(db).resolve(),
        "model": default_model().resolve(),
        "shipped labels": shipped_labels_dir(),
        "seeds": seeds_dir(),
        "app": APP_PATH,
    }
