"""The outlet registry (`labels/sources.csv`): which outlets are state media, official channels or independent.

An outlet is found by its name or an alias (case, accents, punctuation, spacing and a leading "The" ignored), by
the domain of its URL (subdomains walked up: en.kremlin.ru -> kremlin.ru), or by a bare domain or URL given as
the outlet. When both a URL and an outlet name are given, a known URL domain wins: it says where the text was
published, while outlet names are free text. Unknown outlets are `independent`, as the codebook says.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd

from annotator.config import labels_dir

KINDS = ("state_media", "official", "independent")
DEFAULT_KIND = "independent"
COLUMNS = ("name", "aliases", "domains", "kind", "country", "reference")

_COUNTRY = re.compile(r"[A-Z]{2}|INT")
_DOMAIN = re.compile(r"(?!www\.)(?:[a-z0-9-]+\.)+[a-z0-9-]{2,}")
_HOST_LIKE = re.compile(r"(?:[a-z]+://)?(?:[\w-]+\.)+[a-z]{2,}(?::\d+)?(?:/\S*)?", re.IGNORECASE)
_PARENTHESES = re.compile(r"^(.*?)\s*\((.*)\)\s*$")


class RegistryError(ValueError):
    """A source registry file that cannot be used: names the file, the row and what is wrong."""


@dataclass(frozen=True)
class Source:
    """One outlet of the registry."""

    name: str
    kind: str
    country: str
    reference: str
    aliases: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()


def name_key(name: str) -> str:
    """The matching key of an outlet name: "RIA-Novosti", "ria novosti" and "The RIA Novosti" share one."""
    decomposed = unicodedata.normalize("NFKD", name.strip())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return re.sub(r"[\W_]+", "", re.sub(r"^the\s+", "", plain))


def host_of(text: str) -> str:
    """The lower-case host of a URL or bare domain ("https://www.TASS.com/x" -> "www.tass.com"), or ""."""
    text = text.strip()
    try:
        host = urlsplit(text if "://" in text else "//" + text).hostname or ""
    except ValueError:
        return ""
    return host.rstrip(".")


@dataclass(frozen=True, eq=False)
class Registry:
    """The loaded registry, indexed by name key and by domain."""

    sources: tuple[Source, ...]
    by_name: dict[str, Source]
    by_domain: dict[str, Source]

    def lookup(self, outlet: str = "", url: str = "") -> Source | None:
        """The registry entry for an outlet name and/or URL, or None when neither is known."""
        found = self._by_host(host_of(url)) if url else None
        return found or self._by_outlet(outlet)

    def kind_of(self, outlet: str = "", url: str = "") -> str:
        """The outlet's kind (one of KINDS); `independent` when the registry does not know it."""
        source = self.lookup(outlet=outlet, url=url)
        return source.kind if source else DEFAULT_KIND

    def frame(self) -> pd.DataFrame:
        """The registry as a DataFrame with the CSV's columns (aliases and domains ";"-joined)."""
        rows = [{**asdict(s), "aliases": ";".join(s.aliases), "domains": ";".join(s.domains)} for s in self.sources]
        return pd.DataFrame(rows, columns=list(COLUMNS))

    def _by_host(self, host: str) -> Source | None:
        labels = host.split(".")
        for start in range(len(labels) - 1):  # en.kremlin.ru, kremlin.ru; never the bare TLD
            found = self.by_domain.get(".".join(labels[start:]))
            if found:
                return found
        return None

    def _by_outlet(self, outlet: str) -> Source | None:
        # "en.kremlin.ru (Presidential Executive Office)": the whole string, then each part.
        parts = _PARENTHESES.match(outlet)
        for candidate in (outlet, *(parts.groups() if parts else ())):
            found = self.by_name.get(name_key(candidate))
            if not found and _HOST_LIKE.fullmatch(candidate.strip()):
                found = self._by_host(host_of(candidate))
            if found:
                return found
        return None


def load_registry(path: str | Path | None = None) -> Registry:
    """Load and validate the registry (default `labels/sources.csv`); cached until the file changes."""
    path = Path(path) if path else labels_dir() / "sources.csv"
    try:
        stat = path.stat()
    except OSError as error:
        raise RegistryError(f"{path}: cannot read the source registry ({error.strerror})") from None
    return _load(path.resolve(), stat.st_mtime_ns, stat.st_size)


def _split(cell: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (cell or "").split(";") if part.strip())


@lru_cache(maxsize=8)
def _load(path: Path, mtime_ns: int, size: int) -> Registry:
    sources: list[Source] = []
    by_name: dict[str, Source] = {}
    by_domain: dict[str, Source] = {}
    origin: dict[str, int] = {}  # source name -> CSV line, for error messages
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        missing = [col for col in COLUMNS if col not in (reader.fieldnames or [])]
        if missing:
            raise RegistryError(f"{path}: missing column(s) {', '.join(missing)}; expected {', '.join(COLUMNS)}")
        for row in reader:
            where = f"{path}:{reader.line_num}"
            name = (row["name"] or "").strip()
            source = Source(
                name=name,
                kind=(row["kind"] or "").strip(),
                country=(row["country"] or "").strip(),
                reference=(row["reference"] or "").strip(),
                aliases=_split(row["aliases"]),
                domains=tuple(domain.lower() for domain in _split(row["domains"])),
            )
            problem = _row_problem(source)
            if problem:
                raise RegistryError(f"{where} ({name or 'no name'}): {problem}")
            for alias in (name, *source.aliases):
                _claim(by_name, name_key(alias), source, f"name or alias {alias!r}", where, origin)
            for domain in source.domains:
                _claim(by_domain, domain, source, f"domain {domain!r}", where, origin)
            origin[name] = reader.line_num
            sources.append(source)
    if not sources:
        raise RegistryError(f"{path}: the source registry has no rows")
    return Registry(tuple(sources), by_name, by_domain)


def _row_problem(source: Source) -> str:
    """What is wrong with one registry row, or ""."""
    if not source.name:
        return "empty name"
    if source.kind not in KINDS:
        return f"unknown kind {source.kind!r} (expected one of {', '.join(KINDS)})"
    if not _COUNTRY.fullmatch(source.country):
        return f"country {source.country!r} is not an ISO 3166 alpha-2 code or INT"
    if not source.reference:
        return "empty reference (say where the classification comes from)"
    bad = [domain for domain in source.domains if not _DOMAIN.fullmatch(domain)]
    if bad:
        return f"domain {bad[0]!r} is not a bare domain like tass.com (no scheme, path or www.)"
    return ""


def _claim(index: dict[str, Source], key: str, source: Source, what: str, where: str, origin: dict[str, int]) -> None:
    """Index `key` for `source`; a key already taken (by any row, this one included) is an error."""
    if not key:
        raise RegistryError(f"{where} ({source.name}): {what} has no letters or digits")
    taken = index.get(key)
    if taken:
        other = "this row" if taken is source else f"line {origin[taken.name]} ({taken.name})"
        raise RegistryError(f"{where} ({source.name}): duplicate {what}, already used by {other}")
    index[key] = source
