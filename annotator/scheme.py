"""The label scheme, loaded from `labels/scheme.toml`: the only place label names are spelled."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from annotator.config import labels_dir


@dataclass(frozen=True)
class Label:
    key: str
    name: str
    definition: str
    colour: str
    hotkey: str


@dataclass(frozen=True)
class Scheme:
    labels: tuple[Label, ...]
    skip: Label

    @property
    def keys(self) -> list[str]:
        """Training labels in scheme order (skip excluded)."""
        return [label.key for label in self.labels]

    @property
    def all_keys(self) -> list[str]:
        """Every value a stored annotation may take: the labels plus skip."""
        return self.keys + [self.skip.key]

    def get(self, key: str) -> Label:
        for label in (*self.labels, self.skip):
            if label.key == key:
                return label
        raise KeyError(key)

    def by_hotkey(self, hotkey: str) -> Label:
        for label in (*self.labels, self.skip):
            if label.hotkey == hotkey:
                return label
        raise KeyError(hotkey)

    def check(self, key: str) -> str:
        """Return `key` if it is a label or skip, else raise ValueError naming the allowed values."""
        if key not in self.all_keys:
            raise ValueError(f"unknown label {key!r}; the scheme allows {', '.join(self.all_keys)}")
        return key

    def prob_columns(self) -> list[str]:
        """Names of the per-label probability columns in scored output (`p_<key>`)."""
        return [f"p_{key}" for key in self.keys]


def load_scheme(path: str | Path | None = None) -> Scheme:
    """Read a scheme file; by default `labels/scheme.toml`."""
    return _load(str(Path(path) if path else labels_dir() / "scheme.toml"))


@lru_cache(maxsize=8)
def _load(path: str) -> Scheme:
    with open(path, "rb") as f:
        data = tomllib.load(f)
    labels = tuple(Label(**{k: str(v) for k, v in item.items()}) for item in data["label"])
    skip = Label(**{k: str(v) for k, v in data["skip"].items()})
    keys = [label.key for label in (*labels, skip)]
    hotkeys = [label.hotkey for label in (*labels, skip)]
    if len(set(keys)) != len(keys) or len(set(hotkeys)) != len(hotkeys):
        raise ValueError(f"{path}: label keys and hotkeys must be unique")
    return Scheme(labels=labels, skip=skip)
