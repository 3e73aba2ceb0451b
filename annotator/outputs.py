"""Where outputs go: never onto an input, the store or the model, and always through a temporary file.

Every command that writes a file (score records, summary, report, errors file, label export, model and card)
writes a hidden temporary file beside it and renames it into place only when the whole output is written, so a
failed or interrupted run leaves the previous file untouched and nothing complete-looking at the final path.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path


class OutputError(ValueError):
    """An output path that would destroy an input, the store or the model."""


def temporary_path(path: str | Path) -> Path:
    """The hidden file beside `path` that an output is written to before it is renamed into place."""
    path = Path(path)
    return path.with_name(f".{path.name}.{os.getpid()}.partial")


def output_of(filename: str) -> str:
    """The output a temporary file stands for (its own name otherwise): what an error about it should name."""
    path = Path(filename)
    parts = path.name.split(".")
    if path.name.startswith(".") and path.name.endswith(".partial") and len(parts) >= 4 and parts[-2].isdigit():
        return str(path.with_name(".".join(parts[1:-2])))
    return filename


def commit(temporary: Path, path: str | Path) -> None:
    """Rename a finished temporary output into place (atomic on one filesystem)."""
    os.replace(temporary, path)


def discard(temporary: Path) -> None:
    """Remove an unfinished temporary output."""
    temporary.unlink(missing_ok=True)


@contextmanager
def atomic(path: str | Path) -> Iterator[Path]:
    """Yield the temporary path to write `path` through; renamed into place on success, removed on any error."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = temporary_path(path)
    try:
        yield temporary
    except BaseException:
        discard(temporary)
        raise
    commit(temporary, path)


def write_text(path: str | Path, text: str) -> Path:
    """Write `text` (UTF-8) to `path` through a temporary file."""
    with atomic(path) as temporary:
        temporary.write_text(text, encoding="utf-8")
    return Path(path)


def card_path(model: str | Path) -> Path:
    """Where the card of the model at `model` lives: beside it, `<model file>.card.json`."""
    return Path(f"{model}.card.json")


def refuse_overwriting(
    outputs: Iterable[str | Path | None],
    *,
    inputs: Iterable[str | Path] = (),
    store: str | Path | None = None,
    model: str | Path | None = None,
) -> None:
    """Raise OutputError when an output is an input file, lies inside an input folder, or is the store, the model or
    its card: a command must never destroy what it reads. Paths are compared resolved, and by `samefile` (links)."""
    protected: list[tuple[Path, str]] = [(Path(p), "an input") for p in inputs if str(p) != "-"]
    if store is not None:
        protected += [(Path(store), "the store"), (Path(f"{store}-wal"), "the store's journal")]
    if model is not None:
        protected += [(Path(model), "the model"), (card_path(model), "the model's card")]
    for output in outputs:
        if output is None or str(output) == "-":
            continue
        target = Path(output).resolve()
        for path, what in protected:
            where = path.resolve()
            if target == where or (target.exists() and where.exists() and os.path.samefile(target, where)):
                raise OutputError(f"refusing to write {output}: it is {what}; choose another output path")
            if where.is_dir() and where in target.parents:
                raise OutputError(f"refusing to write {output}: it is inside the input folder {path}, where it would "
                                  "be read as input; choose another output path")
