"""What the classifier sees of a sentence: its words and character n-grams, attribution cues from the lexicons,
the cues of the sentences around it and of its article's opening, and the kind of outlet that published it.

Every step works on a whole batch with array operations (one whitespace split, then numpy and scipy.sparse), because
batch scoring must handle 10,000 sentences a second in one process; scikit-learn's own vectorizers tokenise each
text in Python and are several times slower. The model input is a frame with the columns of `MODEL_COLUMNS`.
"""

from __future__ import annotations

import re
import threading
import weakref
from itertools import compress, islice, repeat
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin

from annotator import boilerplate
from annotator import lexicons as lexicon_files
from annotator import sources
from annotator.records import Article, Sentence

# The version of the feature code, written into every model card and checked on load: bump it whenever a change
# here (or in the classifier step, annotator/classifier.py) would make a model saved before it load wrongly or compute
# different features (a retrain is then needed). 8: the classifier reads the article profile. 9: a line glued to
# the quotation it introduces is an introduction too.
VERSION = 9
CONTEXT = ("prev_text", "next_text", "lead_text", "intro_text")  # what a sentence's article adds to it
MODEL_COLUMNS = ("text", *CONTEXT, "outlet_kind")
LEAD_SENTENCES = 2  # an article's opening, `lead_text`: its first two sentences that are not boilerplate (see `lead`)
START = "<s>"  # the token that opens every sentence: gives 'start: he' n-grams and `^`-anchored lexicon phrases
QUOTE = '"'
SIDES = ("text", "prev", "next")  # a sentence and its neighbours, as `Batch` indexes them
_SEP = "\x01"
_TOKEN = re.compile(r'\w+|["“”„«»‘\x01]')
_NORMALISE = str.maketrans({"“": QUOTE, "”": QUOTE, "„": QUOTE, "«": QUOTE, "»": QUOTE, "‘": QUOTE, **{d: "0" for d in "123456789"}})


# ---------------------------------------------------------------------------------------------------- input frames


def context_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of a label or sentence frame with the model's input columns filled in.

    `prev_text`/`next_text` are the neighbouring sentences of the same article ordered by `start` ("" at the
    article's edges and for rows without `article_id` or offsets) and `lead_text` the article's opening (`lead`,
    from the rows of that article); a missing or blank `outlet_kind` comes from the source registry by
    `outlet`/`url`; `intro_text` is the latest earlier sentence of the article that ends with a colon (`introduces`).
    Context already given is kept, row by row: only missing values (absent column, NaN) are filled,
    so rows whose context came from the whole article (the store's) sit beside rows that take it from their file.
    """
    out = frame.copy()
    out["text"] = out["text"].fillna("").astype(str) if "text" in out else pd.Series("", index=out.index)
    if any(column not in out or out[column].isna().any() for column in CONTEXT):
        for column, found in zip(CONTEXT, _neighbours(out)):
            out[column] = out[column].where(out[column].notna(), found) if column in out else found
    for column in CONTEXT:
        out[column] = out[column].astype(str)
    out["outlet_kind"] = _outlet_kinds(out)
    return out


def _neighbours(frame: pd.DataFrame) -> list[pd.Series]:
    """Per row, each `CONTEXT` column from the rows of its article ordered by `start` (`contexts`, as batch scoring
    builds it); "" for rows without `article_id` or offsets (see `context_frame`)."""
    found = [pd.Series("", index=frame.index, dtype=object) for _ in CONTEXT]
    if "article_id" not in frame or "start" not in frame:
        return found
    article = frame["article_id"].fillna("").astype(str)
    start = pd.to_numeric(frame["start"], errors="coerce")
    placed = pd.DataFrame({"article": article, "start": start, "text": frame["text"]})
    placed = placed[(article != "") & start.notna()]
    # One text per position, so a sentence labelled twice is not its own neighbour.
    positions = placed.drop_duplicates(["article", "start"]).sort_values(["article", "start"], kind="stable")
    built: dict[str, list[str]] = {column: [] for column in CONTEXT}
    for _, texts in positions.groupby("article", sort=False)["text"]:
        for column, values in contexts(texts.tolist()).items():
            built[column] += values
    keyed = positions.assign(**built).set_index(["article", "start"])
    key = pd.MultiIndex.from_arrays([placed["article"], placed["start"]])
    for column, series in zip(CONTEXT, found):
        series[placed.index] = keyed[column].reindex(key).to_numpy()
    return found


def _outlet_kinds(frame: pd.DataFrame) -> pd.Series:
    kinds = frame["outlet_kind"].fillna("").astype(str) if "outlet_kind" in frame else pd.Series("", index=frame.index)
    missing = kinds == ""
    if missing.any():
        outlets = frame["outlet"].fillna("").astype(str) if "outlet" in frame else pd.Series("", index=frame.index)
        urls = frame["url"].fillna("").astype(str) if "url" in frame else pd.Series("", index=frame.index)
        registry = _registry()
        pairs = pd.DataFrame({"outlet": outlets[missing], "url": urls[missing]})
        found = {pair: registry.kind_of(outlet=pair[0], url=pair[1]) for pair in set(zip(pairs["outlet"], pairs["url"]))}
        kinds = kinds.copy()
        kinds[missing] = [found[pair] for pair in zip(pairs["outlet"], pairs["url"])]
    return kinds


def _registry() -> sources.Registry:
    return sources.load_registry()


def articles_frame(items: Iterable[tuple[Article, Sequence[Sentence]]]) -> pd.DataFrame:
    """Model input for new articles: one row per sentence, in article order, with its neighbours and outlet kind.

    Columns: the `MODEL_COLUMNS` plus `article_id`, `article_number` (the article's place among `items`: two
    inputs that share an id stay two articles), `sentence_id`, `start`, `end`, `outlet`, `url`.
    """
    registry = None
    columns: dict[str, list] = {name: [] for name in ("article_id", "article_number", "sentence_id", "start", "end", "outlet", "url")}
    context: dict[str, list[str]] = {name: [] for name in ("text", *CONTEXT)}
    kinds: list[str] = []
    for number, (article, sentences) in enumerate(items):
        registry = registry or _registry()
        kind = registry.kind_of(outlet=article.outlet, url=article.url)
        ordered = sorted(sentences, key=lambda sentence: sentence.start)
        text = [sentence.text for sentence in ordered]
        context["text"] += text
        for name, values in contexts(text).items():
            context[name] += values
        kinds += [kind] * len(text)
        columns["article_id"] += [article.id] * len(text)
        columns["article_number"] += [number] * len(text)
        columns["sentence_id"] += [sentence.id for sentence in ordered]
        columns["start"] += [sentence.start for sentence in ordered]
        columns["end"] += [sentence.end for sentence in ordered]
        columns["outlet"] += [article.outlet] * len(text)
        columns["url"] += [article.url] * len(text)
    # Plain object columns: pandas' Arrow-backed string dtype costs more to build and to read back row by row.
    frame = pd.DataFrame({**context, "outlet_kind": kinds, **columns}, dtype=object)
    return frame.astype({"article_number": np.int64, "start": np.int64, "end": np.int64})


def contexts(texts: Sequence[str]) -> dict[str, list[str]]:
    """The model's context of each sentence of one article, from its texts in order: the `CONTEXT` columns
    (the sentences before and after it, "" at the edges; the article's `lead`; its `introductions`)."""
    texts = list(texts)
    return {"prev_text": [""] + texts[:-1] if texts else [], "next_text": texts[1:] + [""] if texts else [],
            "lead_text": [lead(texts)] * len(texts), "intro_text": introductions(texts)}


def lead(texts: Iterable[str]) -> str:
    """An article's opening, from its sentences in order: the first `LEAD_SENTENCES` that are not boilerplate
    (a dateline on a line of its own, a byline), joined."""
    return " ".join(islice((text for text in texts if not boilerplate.reason(text)), LEAD_SENTENCES))


_QUOTE_AFTER_COLON = re.compile(r':\s*["\u201c\u00ab]')  # a colon and the quotation mark that opens a quote
_QUOTE_MARKS = ('"', "\u201c", "\u201d", "\u00ab", "\u00bb")


def introduces(text: str) -> bool:
    """Whether a sentence introduces what follows it: it ends with a colon ("... said:", "The following is the full
    text of his speech:", "Burleigh started his article saying:"), or a quotation opened after a colon runs on past
    its end ('The full text of her remarks is as follows: "The situation ... remains dire.'), the same line glued
    to the first sentence of what it introduces."""
    text = text.rstrip()
    if text.endswith(":"):
        return True
    opened = _QUOTE_AFTER_COLON.search(text)
    return opened is not None and sum(map(text[opened.end():].count, _QUOTE_MARKS)) % 2 == 0


def introductions(texts: Sequence[str]) -> list[str]:
    """Per sentence of an article, in order: the latest earlier sentence that `introduces` ("" before the first)."""
    found, latest = [], ""
    for text in texts:
        found.append(latest)
        if introduces(text):
            latest = text
    return found


def article_frame(article: Article, sentences: Sequence[Sentence]) -> pd.DataFrame:
    """Model input for one article (see `articles_frame`)."""
    return articles_frame([(article, sentences)])


# ---------------------------------------------------------------------------------------------------- tokens


@dataclass(frozen=True)
class Tokens:
    """The tokens of several texts as one flat stream: token i is `vocab[codes[i]]` and belongs to text `doc[i]`.

    Every text opens with a `START` token. Tokens are runs of word characters, or a quotation mark; they are
    lower-cased, curly quotes become `"` and digits 1-9 become 0.
    """

    codes: np.ndarray
    doc: np.ndarray
    vocab: np.ndarray
    n_docs: int
    ids: np.ndarray  # per vocab entry, its id in this process's token table (see `_columns`)
    table: _PieceTable


def tokenize(texts: Sequence[str]) -> Tokens:
    """Tokenise all texts at once: split the joined text on whitespace, then look each piece up among the pieces
    this process has seen (only new ones are split and normalised with the token regex) and expand the pieces
    into their tokens with array operations."""
    global _PIECES
    texts = [text.replace(_SEP, " ") for text in texts] if any(_SEP in text for text in texts) else list(texts)
    if not texts:
        empty = np.zeros(0, dtype=np.int64)
        return Tokens(codes=empty, doc=empty, vocab=np.array([START], dtype=object), n_docs=0, ids=np.zeros(1, dtype=np.int64), table=_PIECES)
    if len(_PIECES.index) > _PIECES_KEPT:
        _PIECES = _PieceTable()
    table = _PIECES
    pieces = (_SEP + " " + f" {_SEP} ".join(texts)).split()
    found = np.fromiter(map(table.index.get, pieces, repeat(-1)), dtype=np.int64, count=len(pieces))
    new = found < 0
    if new.any():
        unseen = list(compress(pieces, new.tolist()))
        table.add(list(dict.fromkeys(unseen)))
        found[new] = np.fromiter(map(table.index.__getitem__, unseen), dtype=np.int64, count=len(unseen))
    first, lengths, flat = table.first, table.lengths, table.flat
    counts = lengths[found]
    ends = np.cumsum(counts)
    # token j of the output is flat[first[its piece] + its rank within the piece]
    known = flat[np.repeat(first[found] - (ends - counts), counts) + np.arange(ends[-1])]
    codes, ids = pd.factorize(known, sort=False)
    doc = np.cumsum(known == 0) - 1  # token 0 is START
    return Tokens(codes=codes.astype(np.int64), doc=doc, vocab=table.names[ids], n_docs=len(texts), ids=ids, table=table)


class _PieceTable:
    """The whitespace-free pieces and tokens this process has seen: piece i holds the token ids
    `flat[first[i] : first[i] + lengths[i]]`. Pieces repeat from batch to batch, so most are looked up, not split
    again; all is forgotten past _PIECES_KEPT pieces. Threads may share it: `add` publishes a piece in `index`
    only once its tokens are in the arrays."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.index: dict[str, int] = {_SEP: 0}  # the piece that opens every text: the START token
        self.token_ids: dict[str, int] = {START: 0}
        self.names = np.array([START], dtype=object)
        self.first = np.zeros(1, dtype=np.int64)
        self.lengths = np.ones(1, dtype=np.int64)
        self.flat = np.zeros(1, dtype=np.int64)

    def add(self, pieces: list[str]) -> None:
        """Split and normalise new (distinct) pieces, all at once: the regex runs over the pieces joined by `_SEP`
        (which no piece holds), so its `_SEP` tokens mark where each piece's tokens end."""
        with self._lock:
            pieces = [piece for piece in pieces if piece not in self.index]  # another thread may have added some
            if not pieces:
                return
            found = _TOKEN.findall(_SEP.join(pieces))
            if found:  # lower-cased token by token (lower-casing can add a non-word character, e.g. to "İ")
                found = "\x02".join(found).lower().translate(_NORMALISE).split("\x02")
            ends = np.flatnonzero(np.array(found, dtype=object) == _SEP)
            added = np.diff(ends, prepend=-1, append=len(found)) - 1
            flat = [token for token in found if token != _SEP]
            new = [token for token in dict.fromkeys(flat) if token not in self.token_ids]
            self.token_ids.update(zip(new, range(len(self.names), len(self.names) + len(new))))
            self.names = np.concatenate([self.names, np.array(new, dtype=object)])
            self.first = np.concatenate([self.first, len(self.flat) + np.cumsum(added) - added])
            self.lengths = np.concatenate([self.lengths, added])
            self.flat = np.concatenate([self.flat, np.fromiter(map(self.token_ids.__getitem__, flat), dtype=np.int64, count=len(flat))])
            self.index.update(zip(pieces, range(len(self.index), len(self.index) + len(pieces))))

_PIECES = _PieceTable()
_PIECES_KEPT = 1 << 18
# Per fitted step, what `_columns` found for the tokens of the process's token table (while that table lasts).
_COLUMNS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _columns(step: object, tokens: Tokens, find: Callable[[np.ndarray], np.ndarray | sp.csr_matrix]) -> np.ndarray | sp.csr_matrix:
    """`find(vocab)` for the vocab of `tokens`, one row per token (a column id, or a sparse row), computed once
    per token of the process's token table for each fitted `step`: batches repeat most of their words."""
    table, found = _COLUMNS.get(step, (None, None))
    if table is not tokens.table:
        table, found = tokens.table, find(tokens.table.names[:0])
    if found.shape[0] < len(table.names):
        more = find(table.names[found.shape[0] :])
        found = sp.vstack([found, more], format="csr") if sp.issparse(more) else np.concatenate([found, more])
        _COLUMNS[step] = (table, found)
    return found[tokens.ids]


def phrase_tokens(phrase: str) -> tuple[str, ...]:
    """The tokens of a lexicon phrase; a leading `^` becomes `START`, anchoring it at a sentence's start."""
    anchored = phrase.startswith("^")
    words = tuple(t.lower().translate(_NORMALISE) for t in _TOKEN.findall(phrase.lstrip("^")) if t != _SEP)
    return (START, *words) if anchored else words


def _ngram_keys(ids: np.ndarray, doc: np.ndarray, n: int, base: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions and keys of the n-grams of `ids` that lie in one text and hold no -1: the ids as digits of a
    base-`base` number, modulo 2**64 (exact while base**n < 2**64; beyond, a hash with negligible collisions)."""
    m = len(ids) - n + 1
    if m <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint64)
    ok = doc[:m] == doc[n - 1 : n - 1 + m]
    key = np.zeros(m, dtype=np.uint64)
    for j in range(n):
        part = ids[j : j + m]
        ok &= part >= 0
        key = key * np.uint64(base) + part.astype(np.uint64)
    where = np.flatnonzero(ok)
    return where, key[where]


def _lookup(keys: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Index of each key in the sorted `table`, -1 where absent."""
    if len(table) == 0:
        return np.full(len(keys), -1, dtype=np.int64)
    pos = np.searchsorted(table, keys)
    pos[pos == len(table)] = 0
    return np.where(table[pos] == keys, pos, -1)


def _count_matrix(rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int]) -> sp.csr_matrix:
    data = np.ones(len(rows), dtype=np.float64)
    return sp.csr_matrix((data, (rows, cols)), shape=shape)


# ---------------------------------------------------------------------------------------------------- lexicons


class _Saved:
    """How a fitted step is saved without pickle (skops): as plain arrays. Collections of strings become one numpy
    string array each (skops stores those as binary .npy, fast to load, where a list is one node per string), and
    a `pd.Index` is rebuilt from its values on load."""

    def __getstate__(self) -> dict:
        return {key: _pack(value) for key, value in vars(self).items()}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update({key: _unpack(value) for key, value in state.items()})


_PACKED = "\x00annotator packed"  # the key of a packed value: no real attribute dict holds it


def _strings_array(values) -> np.ndarray | None:
    values = list(values)
    return np.array(values, dtype=str) if values and all(type(v) is str for v in values) else None


def _pack(value):
    if isinstance(value, pd.Index) and (packed := _strings_array(value)) is not None:
        return {_PACKED: "index", "values": packed}
    if isinstance(value, np.ndarray) and value.dtype == object and (packed := _strings_array(value)) is not None:
        return {_PACKED: "objects", "values": packed}
    if isinstance(value, list | tuple) and len(value) > 8 and (packed := _strings_array(value)) is not None:
        return {_PACKED: type(value).__name__, "values": packed}
    if isinstance(value, dict) and value:
        if len(value) > 8 and (keys := _strings_array(value)) is not None and all(type(v) is int for v in value.values()):
            return {_PACKED: "str to int", "keys": keys, "values": np.array(list(value.values()), dtype=np.int64)}
        return {key: _pack(item) for key, item in value.items()}
    return value


def _unpack(value):
    if not isinstance(value, dict):
        return value
    kind = value.get(_PACKED)
    if kind is None:
        return {key: _unpack(item) for key, item in value.items()}
    if kind == "str to int":
        return dict(zip(value["keys"].tolist(), value["values"].tolist()))
    strings = value["values"].tolist()
    return {"index": pd.Index, "objects": lambda v: np.array(v, dtype=object), "list": list, "tuple": tuple}[kind](strings)


def lexicon_entries(lexicons: Mapping[str, Sequence[str]]) -> list[tuple[str, str]]:
    """The (lexicon, phrase) entries in the order of `PhraseMatcher.match`'s columns: each lexicon's phrases once."""
    return [(name, phrase) for name, phrases in lexicons.items() for phrase in dict.fromkeys(phrases)]


class PhraseMatcher(_Saved):
    """Counts lexicon phrases in a token stream: a phrase of n words is one integer key of its word ids."""

    def __init__(self, lexicons: Mapping[str, Sequence[str]]):
        self.lexicons = list(lexicons)
        entries = lexicon_entries(lexicons)
        self.entry_names = [f'{name}: "{phrase}"' for name, phrase in entries]
        distinct = list(dict.fromkeys(tokens for _, phrase in entries if (tokens := phrase_tokens(phrase))))
        self.words = pd.Index(sorted({word for tokens in distinct for word in tokens}))
        phrase_of = {tokens: i for i, tokens in enumerate(distinct)}
        base = len(self.words) + 1
        self.tables: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for n in sorted({len(tokens) for tokens in distinct}):
            of_n = [tokens for tokens in distinct if len(tokens) == n]
            keys = np.array([_key(self.words.get_indexer(list(tokens)), base) for tokens in of_n], dtype=np.uint64)
            order = np.argsort(keys)
            self.tables[n] = (keys[order], np.array([phrase_of[t] for t in of_n], dtype=np.int64)[order])
        self.base = base
        self.n_phrases = len(distinct)
        rows = [phrase_of[tokens] for _, phrase in entries if (tokens := phrase_tokens(phrase))]
        cols = [i for i, (_, phrase) in enumerate(entries) if phrase_tokens(phrase)]
        # phrase -> (lexicon, phrase) entry, and entry -> lexicon: hits @ to_entries @ to_lexicons
        self.to_entries = _count_matrix(np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64), (len(distinct), len(entries)))
        lexicon_of = [self.lexicons.index(name) for name, _ in entries]
        self.to_lexicons = _count_matrix(np.arange(len(entries)), np.array(lexicon_of, dtype=np.int64), (len(entries), len(self.lexicons)))

    def match(self, tokens: Tokens) -> sp.csr_matrix:
        """Per text, how often each (lexicon, phrase) entry occurs in it."""
        ids = _columns(self, tokens, self.words.get_indexer)[tokens.codes]
        rows, cols = [], []
        for n, (keys, phrase_ids) in self.tables.items():
            where, key = _ngram_keys(ids, tokens.doc, n, self.base)
            found = _lookup(key, keys)
            hit = found >= 0
            rows.append(tokens.doc[where[hit]])
            cols.append(phrase_ids[found[hit]])
        hits = _count_matrix(np.concatenate(rows or [[]]).astype(np.int64), np.concatenate(cols or [[]]).astype(np.int64), (tokens.n_docs, self.n_phrases))
        return (hits @ self.to_entries).tocsr()


def _key(ids: np.ndarray, base: int) -> int:
    """The key `_ngram_keys` gives the word ids of one phrase."""
    key = 0
    for i in ids:
        key = (key * base + int(i)) % 2**64
    return key


def default_lexicons() -> dict[str, tuple[str, ...]]:
    """The shipped lexicons, with the registry's state-media outlet names and aliases added to `state_media`."""
    found = lexicon_files.load_all()
    outlets = [s for s in _registry().sources if s.kind == "state_media"]
    names = [name.lower() for source in outlets for name in (source.name, *source.aliases)]
    found["state_media"] = tuple(dict.fromkeys([*found.get("state_media", ()), *names]))
    if "channel" in found:  # "told Reuters", "told TASS": the speaker talks through an outlet, the outlet is no source
        media = [*found.get("state_media", ()), *MEDIA_IN_INDEPENDENT]
        found["channel"] = tuple(dict.fromkeys([*found["channel"], *(f"told {name}" for name in media),
                                                *(f"told the {name}" for name in media)]))
    return found


# The media outlets of the `independent` lexicon (the rest of it is evidence and named organisations that are not official).
MEDIA_IN_INDEPENDENT = (
    "reuters", "associated press", "ap", "afp", "agence france-presse", "bbc", "cnn", "new york times", "washington post",
    "wall street journal", "financial times", "guardian", "al jazeera", "bloomberg", "kyiv independent", "kyiv post",
    "interfax-ukraine", "interfax", "ukrainska pravda", "meduza", "novaya gazeta", "politico", "axios", "fox news",
    "nbc news", "cbs news", "abc news", "the economist", "der spiegel", "le monde",
)


def one_word(lexicons: Mapping[str, Sequence[str]], name: str) -> set[str]:
    """The one-word, unanchored phrases of a lexicon: what a single token can match (`Parse._speakers`, `Speaker`)."""
    return {phrase for phrase in lexicons.get(name, ()) if " " not in phrase and not phrase.startswith("^")}


# ---------------------------------------------------------------------------------------------------- pipeline steps


@dataclass(frozen=True)
class Batch:
    """A parsed model input: tokens and lexicon hits of the distinct texts among the sentences and their neighbours.

    `text`, `prev`, `next`, `lead` and `intro` give, per input row, the index of its sentence, its neighbours, its
    article's lead and the latest introduction before it among those texts.
    """

    tokens: Tokens
    entries: sp.csr_matrix  # distinct texts x lexicon entries: occurrences
    flags: np.ndarray  # distinct texts x `flag_names`: 0/1
    text: np.ndarray
    prev: np.ndarray
    next: np.ndarray
    lead: np.ndarray
    intro: np.ndarray
    outlet_kind: np.ndarray
    near_cue: np.ndarray  # positions in `tokens` of the words within SPEAKER_WINDOW of a one-word cue, cues left out
    entry_names: list[str]  # 'cue: "said"', one per column of `entries`
    flag_names: list[str]  # lexicon names, "quote", then pairs ("cue+role"): one per column of `flags`

    def __len__(self) -> int:
        return len(self.text)


# Cue words mean little alone: whether the speaker is an official, independent or a state outlet decides the label;
# a speaker who is not an official, or an official talking through an outlet ("told Reuters"), is told apart too.
# A generic source ("analysts say") is the outlet's own voice in a state outlet, a named one is relayed evidence.
PAIRS = (("cue", "role"), ("cue", "independent"), ("cue", "generic"), ("cue", "state_media"), ("cue", "narrative"),
         ("cue", "nonofficial"), ("role", "nonofficial"), ("channel", "role"), ("role", "narrative"))
# Who a cue attributes to (`Parse._speakers`): an official role, or a speaker who is not an official, near the cue.
SPEAKER_WINDOW = 4
SPEAKER_FLAGS = ("speaker: role", "speaker: nonofficial")
# A sentence that continues a report: its own opening or quote together with the previous sentence's attribution.
CONTINUATIONS = (("continuation", "cue+role"), ("continuation", "cue"), ("continuation", "quote"), ("quote", "quote"),
                 ("quote", "cue+role"))


class Parse(_Saved, BaseEstimator, TransformerMixin):
    """Step 1: tokenise each sentence and its neighbours once and find the lexicon phrases in them.

    `lexicons` maps lexicon name to phrases; None means the shipped files plus the registry, read at fit time and
    kept in the fitted model, so a saved model matches as it was trained.
    """

    def __init__(self, lexicons: Mapping[str, Sequence[str]] | None = None, pairs: Sequence[tuple[str, str]] = PAIRS):
        self.lexicons = lexicons
        self.pairs = pairs

    def fit(self, X: pd.DataFrame, y=None) -> Parse:
        self.lexicons_ = {k: tuple(v) for k, v in (self.lexicons or default_lexicons()).items()}
        self.matcher_ = PhraseMatcher(self.lexicons_)
        self.channelled_ = _channelled(self.lexicons_)
        self.pairs_ = [(a, b) for a, b in self.pairs if a in self.lexicons_ and b in self.lexicons_]
        self.speaker_words_ = {word: bit for bit, name in ((4, "nonofficial"), (2, "role"), (1, "cue"))
                               for word in one_word(self.lexicons_, name)}  # a cue word stays a cue, whatever else it is
        self.flag_names_ = [*self.lexicons_, "quote", *(f"{a}+{b}" for a, b in self.pairs_), *SPEAKER_FLAGS]
        return self

    def _speaker_bits(self, names: np.ndarray) -> np.ndarray:
        return np.fromiter((self.speaker_words_.get(name, 0) for name in names.tolist()), dtype=np.int64, count=len(names))

    def _speakers(self, tokens: Tokens) -> tuple[np.ndarray, list[np.ndarray]]:
        """Who a cue attributes to: the positions of the words within SPEAKER_WINDOW tokens of a one-word cue in the
        same text (cues left out, a word near two cues twice), and per text whether one of them is an official role
        and whether one names a speaker who is not an official."""
        bits = _columns(self, tokens, self._speaker_bits)[tokens.codes]
        cue = np.flatnonzero(bits & 1)
        near = []
        for offset in (*range(-SPEAKER_WINDOW, 0), *range(1, SPEAKER_WINDOW + 1)):
            found, at = cue + offset, cue
            ok = (found >= 0) & (found < len(bits))
            found, at = found[ok], at[ok]
            near.append(found[(tokens.doc[found] == tokens.doc[at]) & ((bits[found] & 1) == 0)])
        near = np.concatenate(near or [np.zeros(0, dtype=np.int64)]).astype(np.int64)
        flags = []
        for bit in (2, 4):
            flag = np.zeros(tokens.n_docs, dtype=bool)
            flag[tokens.doc[near[(bits[near] & bit) > 0]]] = True
            flags.append(flag)
        return near, flags

    def transform(self, X: pd.DataFrame) -> Batch:
        missing = [column for column in MODEL_COLUMNS if column not in X]
        if missing:
            raise ValueError(f"model input lacks the column(s) {', '.join(missing)}; build it with features.context_frame")
        n = len(X)
        stacked = np.concatenate([_strings(X[column]) for column in ("text", *CONTEXT)])
        which, distinct = pd.factorize(stacked, sort=False)
        tokens = tokenize(distinct.tolist())
        entries = self.matcher_.match(tokens)
        entries = (entries + entries @ self.channelled_).tocsr()  # "told Reuters": Reuters is the channel, no source
        entries.eliminate_zeros()
        lexicon_counts = (entries @ self.matcher_.to_lexicons).toarray()
        quote = np.bincount(tokens.doc[np.isin(tokens.codes, np.flatnonzero(tokens.vocab == QUOTE))], minlength=tokens.n_docs)
        flags = np.column_stack([lexicon_counts, quote]) > 0
        names = [*self.lexicons_, "quote"]
        both = [flags[:, names.index(a)] & flags[:, names.index(b)] for a, b in self.pairs_]
        near_cue, speakers = self._speakers(tokens)
        flags = np.column_stack([flags, *both, *speakers]).astype(np.float64)
        return Batch(
            tokens=tokens,
            entries=entries,
            flags=flags,
            text=which[:n],
            prev=which[n : 2 * n],
            next=which[2 * n : 3 * n],
            lead=which[3 * n : 4 * n],
            intro=which[4 * n :],
            outlet_kind=_strings(X["outlet_kind"]),
            near_cue=near_cue,
            entry_names=self.matcher_.entry_names,
            flag_names=self.flag_names_,
        )


def _channelled(lexicons: Mapping[str, Sequence[str]]) -> sp.csr_matrix:
    """Entries x entries: -1 from each `channel` phrase to the phrase of another lexicon that ends it ("told Reuters"
    -> independent "reuters", "told journalists" -> generic "journalists"), so that a match of the first takes back
    the match of the second inside it: the codebook's "the channel is not the source"."""
    entries = [(name, phrase_tokens(phrase)) for name, phrase in lexicon_entries(lexicons)]
    ending: dict[tuple[str, ...], list[int]] = {}  # the tokens of each entry outside `channel` -> those entries
    for j, (name, tokens) in enumerate(entries):
        if name != "channel":
            ending.setdefault(tokens, []).append(j)
    pairs = [(i, j) for i, (name, tokens) in enumerate(entries) if name == "channel"
             for cut in range(1, len(tokens)) for j in ending.get(tokens[cut:], [])]
    rows, cols = zip(*pairs) if pairs else ((), ())
    return sp.csr_matrix((-np.ones(len(pairs)), (rows, cols)), shape=(len(entries), len(entries)))


def _strings(column: pd.Series) -> np.ndarray:
    """A column as an object array of str, missing values as "" (as `.fillna("").astype(str)`, without pandas'
    Arrow-backed string dtype, which is slower to build and to factorise)."""
    values = column.to_numpy(dtype=object, na_value="")
    if len(values) and pd.api.types.infer_dtype(values, skipna=False) != "string":
        values = np.array([str(value) for value in values], dtype=object)
    return values


def _tfidf(counts: sp.csr_matrix, idf: np.ndarray, sublinear: bool) -> sp.csr_matrix:
    """TF-IDF weights, rows scaled to unit length, computed in place (`counts` is a fresh matrix)."""
    counts = counts.tocsr()
    if sublinear:
        np.log(counts.data, out=counts.data)
        counts.data += 1.0
    counts.data *= idf[counts.indices]
    # l2 row norms summed in stored order, as sklearn's normalize does, without its input checks
    rows = np.repeat(np.arange(counts.shape[0]), np.diff(counts.indptr))
    norms = np.sqrt(np.bincount(rows, weights=counts.data * counts.data, minlength=counts.shape[0]))
    counts.data /= norms[rows]
    return counts


def _idf(counts: sp.csr_matrix) -> np.ndarray:
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    return np.log((1 + counts.shape[0]) / (1 + df)) + 1.0


class WordNgrams(_Saved, BaseEstimator, TransformerMixin):
    """Word n-grams of the sentence (TF-IDF, l2-normalised); n-grams that open a sentence read 'start: he'.

    `sides` are the texts whose n-grams are features, in blocks of the sentence's vocabulary: "text" the sentence,
    "prev" and "next" its neighbours ('prev word: statement'). A neighbour's words tell what the sentence continues
    (a ministry's statement relayed over many sentences) where its own cues say nothing.
    """

    def __init__(self, ngram_range: tuple[int, int] = (1, 2), min_df: int = 2, sublinear_tf: bool = True,
                 sides: tuple[str, ...] = ("text",)):
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.sublinear_tf = sublinear_tf
        self.sides = sides

    def fit(self, batch: Batch, y=None) -> WordNgrams:
        tokens = batch.tokens
        lo, hi = self.ngram_range
        if not 1 <= lo <= hi <= 3:
            raise ValueError(f"ngram_range must lie within (1, 3), got {self.ngram_range}")
        if not self.sides or set(self.sides) - set(SIDES):
            raise ValueError(f"sides must be some of {SIDES}, got {self.sides}")
        _COLUMNS.pop(self, None)
        train = np.zeros(tokens.n_docs, dtype=bool)
        train[batch.text] = True
        seen = train[tokens.doc] & (tokens.vocab[tokens.codes] != START)
        df = np.bincount(np.unique(tokens.codes[seen] * (tokens.n_docs + 1) + tokens.doc[seen]) // (tokens.n_docs + 1), minlength=len(tokens.vocab))
        self.vocabulary_ = pd.Index(np.sort(tokens.vocab[df >= self.min_df]).astype(str))
        ids = self._ids(tokens)
        base = len(self.vocabulary_) + 1
        self.ngrams_: dict[int, np.ndarray] = {}
        for n in range(max(lo, 2), hi + 1):
            where, key = _ngram_keys(ids, tokens.doc, n, base)
            inside = train[tokens.doc[where]]
            key, doc = key[inside], tokens.doc[where][inside]
            order = np.lexsort((doc, key))
            key, doc = key[order], doc[order]
            first_in_doc = np.ones(len(key), dtype=bool)
            first_in_doc[1:] = (key[1:] != key[:-1]) | (doc[1:] != doc[:-1])
            keys, df_n = np.unique(key[first_in_doc], return_counts=True)
            self.ngrams_[n] = keys[df_n >= self.min_df]
        self.idf_ = _idf(self._counts(tokens)[batch.text])
        names = self._names()
        unigrams = names[: self._unigrams()]
        self.names_ = np.concatenate([names if side == "text" else np.array([f"{side} {name}" for name in unigrams], dtype=object)
                                      for side in self.sides])
        return self

    def _ids(self, tokens: Tokens) -> np.ndarray:
        """Per token, its column in the unigram vocabulary; `START` gets the id just past it; -1 if unknown."""
        return _columns(self, tokens, self._vocabulary_ids)[tokens.codes]

    def _vocabulary_ids(self, words: np.ndarray) -> np.ndarray:
        ids = self.vocabulary_.get_indexer(words.astype(str))
        ids[words == START] = len(self.vocabulary_)
        return ids

    def _counts(self, tokens: Tokens) -> sp.csr_matrix:
        """N-gram counts of every distinct text of the batch (sentences and neighbours alike)."""
        ids = self._ids(tokens)
        rows, cols = [], []
        offset = 0
        if self.ngram_range[0] == 1:
            unigram = (ids >= 0) & (ids < len(self.vocabulary_))
            rows.append(tokens.doc[unigram])
            cols.append(ids[unigram])
            offset = len(self.vocabulary_)
        base = len(self.vocabulary_) + 1
        for n, table in self.ngrams_.items():
            where, key = _ngram_keys(ids, tokens.doc, n, base)
            found = _lookup(key, table)
            hit = found >= 0
            rows.append(tokens.doc[where[hit]])
            cols.append(found[hit] + offset)
            offset += len(table)
        return _count_matrix(np.concatenate(rows), np.concatenate(cols), (tokens.n_docs, offset))

    def transform(self, batch: Batch) -> sp.csr_matrix:
        weights = _tfidf(self._counts(batch.tokens), self.idf_, self.sublinear_tf)
        unigrams = weights[:, : self._unigrams()]
        return sp.hstack([weights[batch.text] if side == "text" else unigrams[getattr(batch, side)] for side in self.sides], format="csr")

    def _unigrams(self) -> int:
        return len(self.vocabulary_) if self.ngram_range[0] == 1 else 0

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return self.names_

    def _names(self) -> np.ndarray:
        words = self.vocabulary_.to_numpy().astype(object)
        names = [f"word: {word}" for word in words] if self.ngram_range[0] == 1 else []
        lookup = np.append(words, START)
        base = len(words) + 1
        for n, keys in self.ngrams_.items():
            for key in keys.tolist():
                parts = []
                for _ in range(n):
                    key, part = divmod(key, base)
                    parts.append(lookup[part])
                parts.reverse()
                names.append(f"start: {' '.join(parts[1:])}" if parts[0] == START else f"word: {' '.join(parts)}")
        return np.array(names, dtype=object)


_GRAM_BASE = np.uint64(1_000_003)


def _char_gram_keys(words: Sequence[str], lo: int, hi: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """Every character n-gram (lo <= n <= hi) of every word padded by a space at each end, as a 64-bit
    polynomial hash of its code points, computed for all words at once.

    Returns (word index, key, start offset in `padded`, n) per n-gram, and the padded words joined (for names).
    """
    padded = "".join(f" {word} " for word in words)
    points = np.frombuffer(padded.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    owner = np.repeat(np.arange(len(words)), [len(word) + 2 for word in words])
    found = []
    for n in range(lo, hi + 1):
        m = len(points) - n + 1
        if m <= 0:
            continue
        key = np.full(m, n, dtype=np.uint64)
        for j in range(n):
            key = key * _GRAM_BASE + points[j : j + m]
        inside = np.flatnonzero(owner[:m] == owner[n - 1 : n - 1 + m])
        found.append((owner[inside], key[inside], inside, np.full(len(inside), n)))
    if not found:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.astype(np.uint64), empty, empty, padded
    return (*(np.concatenate(part) for part in zip(*found)), padded)


class CharNgrams(_Saved, BaseEstimator, TransformerMixin):
    """Character n-grams inside words, padded by a space at each end like scikit-learn's 'char_wb' (TF-IDF, l2).

    N-grams are hashed per word new to the process with array operations and looked up in the fitted table;
    a sentence's counts are then its word counts times the word-by-n-gram matrix (one sparse product).
    """

    def __init__(self, ngram_range: tuple[int, int] = (2, 4), min_df: int = 2, sublinear_tf: bool = True):
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.sublinear_tf = sublinear_tf

    def fit(self, batch: Batch, y=None) -> CharNgrams:
        _COLUMNS.pop(self, None)
        words = batch.tokens.vocab.astype(str)
        owner, keys, offset, size, padded = _char_gram_keys(words, *self.ngram_range)
        table, first, column = np.unique(keys, return_index=True, return_inverse=True)
        counts = self._word_counts(batch) @ _count_matrix(owner, column, (len(words), len(table)))
        df = np.bincount(counts.indices, minlength=counts.shape[1])
        keep = np.flatnonzero(df >= self.min_df)
        self.table_ = table[keep]
        self.names_ = np.array([f'char: "{padded[o : o + n]}"' for o, n in zip(offset[first[keep]], size[first[keep]])], dtype=object)
        self.idf_ = _idf(counts[:, keep].tocsr())
        return self

    def _word_counts(self, batch: Batch) -> sp.csr_matrix:
        """Sentences x distinct tokens of the batch; `START` and quotation marks do not count as words."""
        tokens = batch.tokens
        word = ((tokens.vocab != START) & (tokens.vocab != QUOTE))[tokens.codes]
        counts = _count_matrix(tokens.doc[word], tokens.codes[word], (tokens.n_docs, len(tokens.vocab)))
        return counts[batch.text]

    def transform(self, batch: Batch) -> sp.csr_matrix:
        return _tfidf(self._word_counts(batch) @ _columns(self, batch.tokens, self._grams), self.idf_, self.sublinear_tf)

    def _grams(self, words: np.ndarray) -> sp.csr_matrix:
        """Words x fitted n-grams: how often each n-gram occurs in each word."""
        owner, keys, _, _, _ = _char_gram_keys(words.tolist(), *self.ngram_range)
        found = _lookup(keys, self.table_)
        hit = found >= 0
        return _count_matrix(owner[hit], found[hit], (len(words), len(self.table_)))

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return self.names_


class Attribution(_Saved, BaseEstimator, TransformerMixin):
    """The sentence's own attribution cues: each lexicon phrase found ('cue: "said"'), each lexicon hit at all
    ('cue'), a quotation mark ('quote') and pairs ('cue+role': a cue and an official in one sentence)."""

    def fit(self, batch: Batch, y=None) -> Attribution:
        self.names_ = [*batch.entry_names, *batch.flag_names]
        return self

    def transform(self, batch: Batch) -> sp.csr_matrix:
        entries = batch.entries[batch.text]
        entries.data[:] = 1.0
        return sp.hstack([entries, sp.csr_matrix(batch.flags[batch.text])], format="csr")

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.array(self.names_, dtype=object)


class Context(_Saved, BaseEstimator, TransformerMixin):
    """The cues of the previous and next sentence ('prev: cue', 'next: quote'), and 'prev: none' / 'next: none'
    at an article's edges (the first sentence is usually the headline); then `CONTINUATIONS`, a flag of this
    sentence with one of the previous ('continuation & prev: cue+role': "He added ..." after "The minister said")."""

    def fit(self, batch: Batch, y=None) -> Context:
        self.names_ = [f"{side}: {name}" for side in ("prev", "next") for name in (*batch.flag_names, "none")]
        self.pairs_ = [(batch.flag_names.index(a), batch.flag_names.index(b)) for a, b in CONTINUATIONS
                       if a in batch.flag_names and b in batch.flag_names]
        self.names_ += [f"{batch.flag_names[a]} & prev: {batch.flag_names[b]}" for a, b in self.pairs_]
        return self

    def transform(self, batch: Batch) -> sp.csr_matrix:
        blank = _blank(batch)
        parts = []
        for side in (batch.prev, batch.next):
            parts += [batch.flags[side], blank[side].astype(np.float64)[:, None]]
        own, prev = batch.flags[batch.text], batch.flags[batch.prev]
        parts += [(own[:, a] * prev[:, b])[:, None] for a, b in self.pairs_]
        return sp.csr_matrix(np.hstack(parts))

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.array(self.names_, dtype=object)


class Lead(_Saved, BaseEstimator, TransformerMixin):
    """Flags of the article's opening (`flags`, default 'relay'), alone and by outlet kind: 'lead: relay & outlet:
    state_media'. A state outlet that relays a ministry's statement or a speech in full says so once, at the top
    ("released the following press statement"); the sentences of the text itself carry no cue of their own.
    `side` "intro" reads the latest introduction before the sentence instead ("... the full text of his speech:"),
    with 'intro: any' for being under one at all."""

    def __init__(self, flags: Sequence[str] = ("relay",), kinds: Sequence[str] | None = None, side: str = "lead"):
        self.flags = flags
        self.kinds = kinds
        self.side = side

    def fit(self, batch: Batch, y=None) -> Lead:
        if self.side not in ("lead", "intro"):
            raise ValueError(f"side must be 'lead' or 'intro', got {self.side!r}")
        self.flags_ = [name for name in self.flags if name in batch.flag_names]
        self.kinds_ = list(self.kinds) if self.kinds is not None else _outlet_kind_names(batch.outlet_kind)
        return self

    def transform(self, batch: Batch) -> sp.csr_matrix:
        side = getattr(batch, self.side)
        found = batch.flags[side][:, [batch.flag_names.index(name) for name in self.flags_]]
        if self.side == "intro":  # 'intro: any': under an introduction at all ("" before the first)
            found = np.hstack([~_blank(batch)[side][:, None], found])
        kind = pd.Index(self.kinds_).get_indexer(batch.outlet_kind)
        by_kind = [found * (kind == k)[:, None] for k in range(len(self.kinds_))]
        return sp.csr_matrix(np.hstack([found, *by_kind]).astype(np.float64))

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        flags = ["any", *self.flags_] if self.side == "intro" else self.flags_
        names = [f"{self.side}: {flag}" for flag in flags]
        names += [f"{self.side}: {flag} & outlet: {kind}" for kind in self.kinds_ for flag in flags]
        return np.array(names, dtype=object)


class OutletKind(_Saved, BaseEstimator, TransformerMixin):
    """The outlet kind ('outlet: state_media'), alone and with each of the sentence's flags (`crossed`, default all:
    'outlet: state_media & cue+role'), since a cue means different things in a state wire and in a ministry's release."""

    def __init__(self, kinds: Sequence[str] | None = None, crossed: Sequence[str] | None = None):
        self.kinds = kinds
        self.crossed = crossed

    def fit(self, batch: Batch, y=None) -> OutletKind:
        self.kinds_ = list(self.kinds) if self.kinds is not None else _outlet_kind_names(batch.outlet_kind)
        self.crossed_ = list(self.crossed) if self.crossed is not None else list(batch.flag_names)
        self.flags_ = [batch.flag_names.index(name) for name in self.crossed_]
        return self

    def transform(self, batch: Batch) -> sp.csr_matrix:
        kind = pd.Index(self.kinds_).get_indexer(batch.outlet_kind)
        known = np.flatnonzero(kind >= 0)
        # per row of a known kind: the kind alone, then the kind in the block of each flag the row has
        values = np.column_stack([np.ones(len(known)), batch.flags[batch.text[known]][:, self.flags_]])
        rows, block = np.nonzero(values)
        shape = (len(batch), len(self.kinds_) * values.shape[1])
        return sp.csr_matrix((values[rows, block], (known[rows], block * len(self.kinds_) + kind[known][rows])), shape=shape)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        names = [f"outlet: {kind}" for kind in self.kinds_]
        names += [f"outlet: {kind} & {flag}" for flag in self.crossed_ for kind in self.kinds_]
        return np.array(names, dtype=object)


class Speaker(_Saved, BaseEstimator, TransformerMixin):
    """Who a reporting cue attributes to, word by word: the words near a one-word cue (`Batch.near_cue`, found by
    `Parse`) as 'near cue: zelensky', 'near cue: economist'. The cue says that someone speaks; the codebook's label
    depends on who (the role flags of `Parse` generalise; these words learn the names). The vocabulary is the words
    seen near cues in at least `min_df` training texts, plus the one-word official roles and non-official speakers."""

    def __init__(self, min_df: int = 2, lexicons: Mapping[str, Sequence[str]] | None = None):
        self.min_df = min_df
        self.lexicons = lexicons

    def fit(self, batch: Batch, y=None) -> Speaker:
        lexicons = self.lexicons or default_lexicons()
        tokens, near = batch.tokens, batch.near_cue
        train = np.zeros(tokens.n_docs, dtype=bool)
        train[batch.text] = True
        near = near[train[tokens.doc[near]]]
        pairs = np.unique(np.stack([tokens.doc[near], tokens.codes[near]]), axis=1)
        df = np.bincount(pairs[1], minlength=len(tokens.vocab))
        seen = tokens.vocab[df >= self.min_df].astype(str)
        extra = one_word(lexicons, "role") | one_word(lexicons, "nonofficial")
        self.vocabulary_ = pd.Index(sorted({*seen, *extra} - one_word(lexicons, "cue") - {START}))
        _COLUMNS.pop(self, None)
        self.names_ = np.array([f"near cue: {word}" for word in self.vocabulary_], dtype=object)
        return self

    def transform(self, batch: Batch) -> sp.csr_matrix:
        tokens, near = batch.tokens, batch.near_cue
        columns = _columns(self, tokens, lambda names: self.vocabulary_.get_indexer(names.astype(str)))[tokens.codes][near]
        known = columns >= 0
        found = _count_matrix(tokens.doc[near[known]], columns[known], (tokens.n_docs, len(self.vocabulary_)))
        found.data[:] = 1.0
        return found[batch.text]

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return self.names_


# Every class a saved model holds (see `model.trusted_types`).
SAVED_TYPES = (PhraseMatcher, Parse, WordNgrams, CharNgrams, Attribution, Context, Lead, OutletKind, Speaker)


def _blank(batch: Batch) -> np.ndarray:
    """Per distinct text of the batch: whether it is "" (it has the START token only), e.g. no sentence before."""
    return np.bincount(batch.tokens.doc, minlength=batch.tokens.n_docs) <= 1


def _outlet_kind_names(seen: np.ndarray) -> list[str]:
    return list(dict.fromkeys([*sources.KINDS, *sorted(set(seen.tolist()) - {""})]))
