"""What every page of the app shares: cached loaders (store, model, codebook), the reviewer, the training job."""

from __future__ import annotations

import html

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import streamlit as st

from annotator import accounts, config, queue, why
from annotator.render import render
from annotator.scheme import Scheme, load_scheme
from annotator.store import Store

HISTORY = 10  # labels a reviewer can undo, newest last
CONTEXT_CHARS = 1200  # a paragraph longer than this is cut to the sentences around the one shown
SUGGESTIONS = 4096  # suggestions kept in memory, per model and sentence
OVERLAP_SHARE = "overlap_share"  # session key: share of each queue batch drawn from other reviewers' sentences


# The model's suggestions, kept per model and sentence for every session.
_SUGGESTED: OrderedDict[tuple[str, str], object] = OrderedDict()  # (model id, sentence id) -> Suggestion or None
_SUGGESTED_LOCK = threading.Lock()
# Suggestions for the next sentences are worked out while the reviewer reads, on one thread shared by all sessions.
_AHEAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="annotator-suggest")


@dataclass(frozen=True)
class LoadedModel:
    """The current model file, its pipeline, its card and the id its predictions are cached under."""

    path: Path
    pipeline: object
    card: dict
    id: str


def scheme() -> Scheme:
    return load_scheme()


@st.cache_resource(show_spinner=False)
def _store(path: str) -> Store:
    return Store(path)


def store() -> Store:
    """The store named by ANNOTATOR_DB (or the default), opened once per process and shared by sessions."""
    return _store(str(config.default_db()))


@st.cache_resource(show_spinner=False, max_entries=4)
def _model(path: str, mtime_ns: int, size: int) -> LoadedModel:
    from annotator import model, score  # scikit-learn loads with the first model, not with the app

    card = model.read_card(path)
    # score's per-process copy, so that the queue's prediction fill (which scores through score) shares it
    pipeline = score.cached_model(path, card.get("model_sha256"))
    return LoadedModel(Path(path), pipeline, card, queue.model_id(path))


def current_model() -> LoadedModel | None:
    """The model named by ANNOTATOR_MODEL (or the default), reloaded when its file changes; None when there is none."""
    path = config.default_model()
    if not path.is_file():
        return None
    stat = path.stat()
    try:
        return _model(str(path), stat.st_mtime_ns, stat.st_size)
    except ValueError as error:  # ModelLoadError: changed file, other scikit-learn, other scheme
        st.warning(f"The model is not used: {error}")
        return None


@st.cache_data(show_spinner=False, max_entries=8)
def _article_titles(path: str, count: int) -> dict[str, str]:
    frame = _store(path).articles()
    return {aid: f"{title or '(untitled)'} · {outlet or 'unknown outlet'} ({n})"
            for aid, title, outlet, n in zip(frame["id"], frame["title"], frame["outlet"], frame["sentences"])}


@st.cache_data(show_spinner=False, max_entries=8)
def _outlets(path: str, count: int) -> dict[str, list[str]]:
    frame = _store(path).articles()
    return {"outlets": sorted(set(frame["outlet"]) - {""}), "kinds": sorted(set(frame["outlet_kind"]) - {""})}


def outlets(store: Store) -> dict[str, list[str]]:
    """The outlets and outlet kinds the store's articles come from (for filters); read again when articles are added."""
    return _outlets(str(store.path), store.size()[0])


def article_titles(store: Store) -> dict[str, str]:
    """Article id -> "title · outlet (sentences)", in the order added; read again when articles are added."""
    return _article_titles(str(store.path), store.size()[0])


@st.cache_data(show_spinner=False, max_entries=4)
def _ranking(path: str, model_id: str, predicted: int) -> list[str]:
    return _store(path).predicted_ids(model_id)


def ranking(store: Store, model_id: str) -> list[str]:
    """The model's least-sure-first order of all predicted sentences, read once per model and prediction count."""
    return _ranking(str(store.path), model_id, store.predicted_count(model_id))


@st.cache_data(show_spinner=False)
def codebook() -> str:
    return config.CODEBOOK_PATH.read_text(encoding="utf-8")


def guidelines() -> None:
    """The codebook one click away, in the sidebar: beside the sentence, never pushing the buttons down."""
    with st.sidebar.expander("Guidelines (codebook)"):
        st.markdown(codebook())


_MARKDOWN = str.maketrans({c: "\\" + c for c in "\\`*_{}[]()<>#!|~$"})


def plain(text: str) -> str:
    """Text a user or a file named, made safe to put in markdown: every markdown and HTML character is escaped, so
    `![x](http://...)` shows as typed instead of loading an image, and a file name cannot add a link or markup."""
    return html.escape(str(text), quote=False).translate(_MARKDOWN).replace("\n", " ")


def reviewer_input() -> None:
    """Who is labelling, in the sidebar. Team mode (the store has a reviewer list): sign in with name and password,
    then a signed, expiring token in the page's URL (`accounts.session_token`) keeps it over a reload. Local mode:
    any name, kept in the page's URL so that a reload keeps it.

    The field goes away once the name is set, so the labelling hotkeys never type into it.
    """
    if str(st.session_state.get("reviewer", "")).strip():
        role = st.session_state.get("role")
        st.sidebar.markdown(f"Reviewer: **{plain(st.session_state['reviewer'])}**" + (f" ({role})" if role else ""))
        st.sidebar.button("Sign out" if role else "Change reviewer", key="reviewer_change", on_click=_forget_reviewer)
        return
    if accounts.team_mode(store()):
        if (token := st.query_params.get("session")) and (found := accounts.from_token(store(), str(token))):
            st.session_state["reviewer"], st.session_state["role"] = found  # a reload keeps the reviewer signed in
            st.rerun()
        with st.sidebar.form("sign_in"):
            st.text_input("Reviewer", key="sign_in_name")
            st.text_input("Password", key="sign_in_password", type="password")
            st.form_submit_button("Sign in", on_click=_sign_in)
        if st.session_state.get("sign_in_failed"):
            st.sidebar.error("Unknown name or wrong password.")
        return
    if name := str(st.query_params.get("reviewer", "")).strip():  # a reload, or a bookmarked link
        st.session_state["reviewer"] = name
        st.rerun()
    st.sidebar.text_input(
        "Reviewer", key="reviewer_field", placeholder="your name", help="Every label is stored under it.",
        on_change=_take_reviewer,
    )


def _take_reviewer() -> None:
    st.session_state["reviewer"] = str(st.session_state.get("reviewer_field", "")).strip()
    st.query_params["reviewer"] = st.session_state["reviewer"]


def _sign_in() -> None:
    name = str(st.session_state.get("sign_in_name", "")).strip()
    role = accounts.verify(store(), name, str(st.session_state.get("sign_in_password", "")))
    st.session_state["sign_in_password"] = ""
    st.session_state["sign_in_failed"] = role is None
    if role:
        st.session_state["reviewer"], st.session_state["role"] = name, role
        st.query_params["session"] = accounts.session_token(store(), name)


def _forget_reviewer() -> None:
    for key in ("reviewer", "role", "history", "queue", "queue_key"):
        st.session_state.pop(key, None)
    st.query_params.pop("reviewer", None)
    st.query_params.pop("session", None)


def reviewer() -> str | None:
    """The reviewer's name, or None (with a prompt) when it has not been given yet."""
    name = str(st.session_state.get("reviewer", "")).strip()
    if not name:
        st.info("Sign in under **Reviewer** in the sidebar to start." if accounts.team_mode(store())
                else "Enter your name under **Reviewer** in the sidebar to start.")
        return None
    return name


def may_adjudicate() -> bool:
    """Whether this reviewer may settle disputes: an adjudicator in team mode; anyone in local mode."""
    return st.session_state.get("role") == "adjudicator" or not accounts.team_mode(store())


@dataclass
class TrainingJob:
    """A "Train now" run in a background thread: its progress, and the new card or the error when done."""

    fraction: float = 0.0
    message: str = ""
    card: dict | None = None
    error: str | None = None
    thread: threading.Thread | None = field(default=None, repr=False)

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def start(self, db: Path, out: Path, encoder_epochs: int = 0) -> None:
        self.fraction, self.message, self.card, self.error = 0.0, "starting", None, None
        self.thread = threading.Thread(target=self._run, args=(db, out, encoder_epochs), name="annotator-train",
                                       daemon=True)
        self.thread.start()

    def _run(self, db: Path, out: Path, encoder_epochs: int) -> None:
        from annotator import training

        try:
            with Store(db) as own:
                frame = training.training_frame(store=own)
            self.card = training.fit(frame, out, encoder_epochs=encoder_epochs, progress=self._report)
        except Exception as error:  # noqa: BLE001 - shown to the reviewer; the app goes on with the old model
            self.error = f"{type(error).__name__}: {error}"

    def _report(self, fraction: float, message: str) -> None:
        self.fraction, self.message = fraction, message


@st.cache_resource(show_spinner=False)
def prediction_lock(db: str, model_id: str) -> threading.Lock:
    """One lock per store and model, shared by every session: one session fills the prediction cache at a time."""
    return threading.Lock()


@st.cache_resource(show_spinner=False)
def training_job(db: str, out: str) -> TrainingJob:
    """One job per store and model file, shared by every session, so two reviewers cannot train at once."""
    return TrainingJob()


def train_panel() -> None:
    """The "Train now" button, live progress while the job runs, and the new metrics when it is done."""
    db, out = config.default_db(), config.default_model()
    job = training_job(str(db), str(out))
    loaded = current_model()
    # a model with a fine-tuned encoder is retrained with one: "Train now" must not quietly make it a lesser model
    epochs = int((loaded.card.get("encoder") or {}).get("epochs", 0)) if loaded else 0
    also = f", with its fine-tuned encoder ({epochs} epoch{'s' * (epochs != 1)}: about 40 minutes an epoch on 2 cores)" if epochs else ""
    if st.button("Train now", disabled=job.running, help=f"Train on the shipped and final labels{also}; saves {out}"):
        job.start(db, out, epochs)
    if job.running:
        st.fragment(_train_progress, run_every=1.0)(job)
    elif job.error:
        st.error(f"Training failed: {job.error}")
    elif job.card:
        metrics = job.card.get("metrics", {}).get("cross_validation", {})
        whose = " (the pipeline's, without its encoder)" if "encoder" in job.card else ""
        st.success(f"New model trained: cross-validated macro-F1{whose} {metrics.get('macro_f1', float('nan')):.3f}")


def _train_progress(job: TrainingJob) -> None:
    """Polled every second while the job runs; one full rerun when it ends, to load the new model."""
    if job.running:
        st.progress(job.fraction, text=f"Training: {job.message}")
    else:
        st.rerun()


# A sentence in its article, as the Label and Review pages show it


def heading_html(sentence: dict) -> str:
    """The article's title, outlet and outlet kind, escaped (titles and outlets come from untrusted input)."""
    return render("heading.html", title=sentence["title"], outlet=sentence["outlet"], kind=sentence["outlet_kind"])


def context_html(text: str, sentence: dict, terms: list[str] = ()) -> str:
    """The sentence highlighted inside its paragraph, with the sentences before and after it, and the words behind
    the suggestion (`terms`) marked in it; all text escaped."""
    start, end = int(sentence["start"]), int(sentence["end"])
    first = text.rfind("\n", 0, start) + 1
    last = text.find("\n", end)
    last = len(text) if last < 0 else last
    prev_text, next_text = sentence.get("prev_text") or "", sentence.get("next_text") or ""
    before = text.rfind(prev_text, 0, start) if prev_text else start
    after = text.find(next_text, end) if next_text else -1
    after = end if after < 0 else after + len(next_text)
    first = min(first, before if before >= 0 else start)
    last = max(last, after)
    if last - first > CONTEXT_CHARS:
        first, last = min(before if before >= 0 else start, start), max(after, end)
    return render("context.html", before=text[first:start], after=text[end:last],
                  parts=why.marked_parts(text[start:end], list(terms)))


# The model's suggestion, as the Label and Review pages show it


@dataclass(frozen=True)
class Suggestion:
    label: str
    confidence: float
    cues: str
    boilerplate: str = ""  # why the sentence is no claim ("dateline", ...): pre-marked as skip


def button_css(scheme: Scheme, prefix: str, suggested: str | None) -> str:
    """Each label button (Streamlit key PREFIX-KEY) edged in its scheme colour; the suggested one filled with it
    (not Streamlit's red)."""
    rules = [f".st-key-{prefix}-{label.key} button {{border-left: 6px solid {label.colour};}}"
             for label in (*scheme.labels, scheme.skip)]
    if suggested:
        colour = scheme.get(suggested).colour
        rules.append(f".st-key-{prefix}-{suggested} button {{background: {colour}33; border: 2px solid {colour}; "
                     "border-left-width: 6px; font-weight: 600;}")
    return "".join(rules)


def sentence_view(sentence: dict, text: str, suggestion: Suggestion | None, prefix: str, between: str = "") -> None:
    """The sentence in its article with the words behind the suggestion marked, then `between` (HTML, e.g. the
    votes) and the suggestion; the label buttons (Streamlit keys PREFIX-KEY) get their scheme colours."""
    terms = why.terms_of(suggestion.cues) if suggestion else []
    st.html(
        f"<style>{why.CSS}{button_css(scheme(), prefix, suggestion.label if suggestion else None)}</style>"
        + heading_html(sentence) + context_html(text, sentence, terms) + between
        + (suggestion_html(suggestion, sentence["text"]) if suggestion else "")
    )


def label_buttons(prefix: str, on_click: Callable, args: Callable[[str], tuple], *, extra: int = 0,
                  name: Callable = lambda label: label.name, shift: bool = False) -> list:
    """One button per label and skip, side by side, with the label's hotkey (Shift + it with `shift`): key
    PREFIX-KEY, `on_click(*args(label key))`. Returns the `extra` columns left beside them."""
    labels = (*scheme().labels, scheme().skip)
    columns = st.columns(len(labels) + extra)
    for column, label in zip(columns, labels):
        column.button(name(label), key=f"{prefix}-{label.key}", width="stretch", on_click=on_click,
                      args=args(label.key), shortcut=f"shift+{label.hotkey}" if shift else label.hotkey,
                      help=None if shift else label.definition)
    return columns[len(labels):]


def suggestion_html(suggestion: Suggestion, sentence: str) -> str:
    """The model's suggestion in its scheme colour, and why, in plain words quoting the sentence (all escaped)."""
    return render("suggestion.html", label=scheme().get(suggestion.label), confidence=suggestion.confidence,
                  boilerplate=suggestion.boilerplate,
                  reason="" if suggestion.boilerplate else why.reason(sentence, why.terms_of(suggestion.cues)))


def votes_html(votes: dict[str, str]) -> str:
    """Each reviewer's name and label, in the label's colour."""
    return render("votes.html", votes=[(name, scheme().get(label)) for name, label in sorted(votes.items())])


def model_suggestion(store: Store, loaded: LoadedModel, sentence: dict) -> Suggestion | None:
    """The model's label for a sentence, as batch scoring gives it: its whole article is scored at once (the model
    reads a sentence's article), and the suggestions of the article's other sentences are kept for the next keys;
    kept per model and sentence."""
    from annotator import score

    key = (loaded.id, sentence["sentence_id"])
    with _SUGGESTED_LOCK:
        if key in _SUGGESTED:
            _SUGGESTED.move_to_end(key)
            return _SUGGESTED[key]
    try:
        scored = score.score_sentences(store.sentences_of([sentence["article_id"]]), loaded.pipeline)
        found = {(loaded.id, row.sentence_id): Suggestion(str(row.label), float(row.confidence), str(row.cues or ""),
                                                          str(row.skip_reason or ""))
                 for row in scored.itertuples(index=False)}
    except ValueError:  # an article the model cannot score gets no suggestions; labelling goes on
        found = {}
    found.setdefault(key, None)
    with _SUGGESTED_LOCK:
        for each, suggestion in found.items():
            _SUGGESTED[each] = suggestion
            _SUGGESTED.move_to_end(each)
        while len(_SUGGESTED) > SUGGESTIONS:
            _SUGGESTED.popitem(last=False)
        return _SUGGESTED.get(key, found[key])


AHEAD_DELAY = 0.15  # seconds: the page that asked is sent first; the reviewer is reading it meanwhile


def suggest_ahead(store: Store, loaded: LoadedModel, sentence_ids: list[str]) -> None:
    """Work out the suggestions of the next sentences in the background (kept for when they are shown), starting a
    moment later so that the work does not compete with drawing and sending the page that asked for it."""
    def work(sentence_id: str) -> None:
        time.sleep(AHEAD_DELAY)
        if (loaded.id, sentence_id) not in _SUGGESTED:
            model_suggestion(store, loaded, store.sentence(sentence_id))

    for sentence_id in sentence_ids:
        if (loaded.id, sentence_id) not in _SUGGESTED:
            _AHEAD.submit(work, sentence_id)
