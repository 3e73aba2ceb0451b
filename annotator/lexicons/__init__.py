"""The word lists the attribution features match, kept as data files beside this module.

One `<name>.txt` per lexicon: one phrase per line, lower case; `#` starts a comment; a leading `^` anchors a
phrase at the start of a sentence. The file name (without `.txt`) names the lexicon in feature names ('cue: "said"').
"""

from __future__ import annotations

from pathlib import Path

LEXICON_DIR = Path(__file__).resolve().parent


def names() -> list[str]:
    """The lexicons that ship, in a fixed order."""
    return sorted(path.stem for path in LEXICON_DIR.glob("*.txt"))


def load(name: str) -> tuple[str, ...]:
    """The phrases of one lexicon, in file order, without comments, blanks or repeats."""
    path = LEXICON_DIR / f"{name}.txt"
    phrases: dict[str, None] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        phrase = " ".join(line.split("#", 1)[0].split()).lower()
        if phrase:
            phrases[phrase] = None
    return tuple(phrases)


def load_all() -> dict[str, tuple[str, ...]]:
    """Every shipped lexicon by name."""
    return {name: load(name) for name in names()}
