"""The Label page: one sentence at a time in its paragraph, one button (and hotkey) per label, undo, progress."""

from __future__ import annotations

import time
from collections import deque

import streamlit as st

from annotator import boilerplate, progress, queue
from annotator.store import Filters, Store
from annotator.ui import common, keys

MODE_NAMES = {queue.ORDER: "Article order", queue.USEFUL: "Most useful next"}


def render() -> None:
    st.title("Label")
    name = common.reviewer()
    if name is None:
        common.guidelines()
        return
    store = common.store()
    _restore_history(store, name)
    loaded = common.current_model()
    settings = _settings(store, loaded)
    _labelling(store, name, settings, loaded)
    keys.bind(hotkeys(common.scheme()))
    common.guidelines()


@st.fragment
def _labelling(store: Store, name: str, settings: queue.QueueSettings, loaded: common.LoadedModel | None) -> None:
    """The sentence, its buttons, progress and undo: a key press reruns only this part of the page (a Streamlit
    fragment), not the queue controls, filters, navigation and sidebar, which do not change with it."""
    _elsewhere_notice(name)
    sentence_id = _current(store, name, settings)
    _progress(store, name, settings)
    if not store.size()[1]:
        st.info("No articles yet: import some on the **Import** page (or with `annotator import`).")
    elif sentence_id is None:
        st.success("Nothing left to label here: pick another article or queue.")
    else:
        _show(store, name, sentence_id, loaded)
    _undo_button(name)


def hotkeys(scheme) -> dict[str, str]:
    """Each hotkey of the page and the button it presses (the buttons' Streamlit keys)."""
    return {**keys.for_labels(scheme, "label"), **keys.for_labels(scheme, "group", shift=True),
            "u": "undo", "Enter": "accept"}


def _settings(store: Store, loaded: common.LoadedModel | None) -> queue.QueueSettings:
    """The queue controls: order or most useful next, and the article in article order."""
    left, right = st.columns([1, 2])
    modes = list(MODE_NAMES) if loaded else [queue.ORDER]
    mode = left.radio(
        "Queue", modes, format_func=MODE_NAMES.get, key="queue_mode", horizontal=True,
        help="Most useful next: the sentences the model is least sure of, plus a random share."
        + ("" if loaded else " Needs a model: train one on the Model page."),
    )
    article_id = None
    if mode == queue.ORDER:
        titles = common.article_titles(store)
        article_id = right.selectbox(
            "Article", [None, *titles], format_func=lambda aid: "All articles" if aid is None else titles[aid],
            key="queue_article",
        )
    filters = _filters(store, loaded)
    if filters.model_id and (filters.suggestion or filters.confidence != (0.0, 1.0)):
        _fill_predictions(store)
    return queue.QueueSettings(
        mode=mode,
        article_id=article_id,
        model_id=loaded.id if loaded and mode == queue.USEFUL else None,
        overlap_share=float(st.session_state.get(common.OVERLAP_SHARE, 0.0)),
        filters=filters,
    )


def _filters(store: Store, loaded: common.LoadedModel | None) -> Filters:
    """Label from a filtered queue: outlet, outlet kind, words, the model's suggestion and confidence, another
    reviewer's label. Typing in the text field types; Escape leaves it for the hotkeys."""
    scheme = common.scheme()
    names = {None: "any", **{key: scheme.get(key).name for key in scheme.all_keys}}
    active = bool(_filters_set(loaded))
    with st.expander("Filter the queue" + (" (on)" if active else ""), expanded=active):
        found = common.outlets(store)
        left, right = st.columns(2)
        left.multiselect("Outlet", found["outlets"], key="filter_outlets")
        right.multiselect("Outlet kind", found["kinds"], key="filter_kinds")
        st.text_input("Text contains", key="filter_text", placeholder="a word or phrase; Escape returns to the keys")
        if loaded:
            left, right = st.columns(2)
            left.selectbox("Model suggests", [None, *scheme.keys], format_func=names.get, key="filter_suggestion")
            right.slider("Model confidence", 0.0, 1.0, (0.0, 1.0), 0.05, key="filter_confidence")
        left, right = st.columns(2)
        left.selectbox("Labelled by", [None, *store.labelling_reviewers()], key="filter_by",
                       format_func=lambda name: "anyone" if name is None else name)
        right.selectbox("as", [None, *scheme.all_keys], format_func=names.get, key="filter_as")
    return _filters_set(loaded)


def _filters_set(loaded: common.LoadedModel | None) -> Filters:
    """The filters as the widgets hold them (before the widgets are drawn, too: their values are kept by key)."""
    state = st.session_state
    return Filters(
        outlets=tuple(state.get("filter_outlets", ())), kinds=tuple(state.get("filter_kinds", ())),
        text=str(state.get("filter_text", "")), model_id=loaded.id if loaded else None,
        suggestion=state.get("filter_suggestion") if loaded else None,
        confidence=tuple(state.get("filter_confidence", (0.0, 1.0))) if loaded else (0.0, 1.0),
        labelled_by=state.get("filter_by"), labelled_as=state.get("filter_as"),
    )


def _current(store: Store, reviewer: str, settings: queue.QueueSettings) -> str | None:
    """The head of this session's batch, refilled when empty or when the settings change."""
    key = (reviewer, settings)
    if st.session_state.get("queue_key") != key:
        st.session_state.queue_key = key
        st.session_state.queue = []
    pending: list[str] = st.session_state.queue
    while pending and store.is_labelled(reviewer, pending[0]):  # labelled meanwhile, in another session
        pending.pop(0)
    if not pending:
        ranked = None
        if settings.mode == queue.USEFUL:
            _fill_predictions(store)
            ranked = common.ranking(store, settings.model_id)
        pending.extend(queue.next_batch(store, reviewer, settings, ranked=ranked))
    return pending[0] if pending else None


def _fill_predictions(store: Store) -> None:
    """Predict the sentences the current model has not seen yet (all of them, the first time), with a progress bar."""
    loaded = common.current_model()
    if loaded is None or store.predicted_count(loaded.id) == store.size()[1]:
        return
    lock = common.prediction_lock(str(store.path), loaded.id)
    if lock.locked():
        st.info("Another reviewer's session is predicting the sentences for this model; waiting for it ...")
    with lock:  # one fill per model for every session of this server; the others find it done
        if store.predicted_count(loaded.id) == store.size()[1]:
            return
        bar = st.progress(0.0, text="Predicting the unlabelled sentences once for this model ...")
        queue.fill_predictions(store, loaded.path,
                               on_progress=lambda fraction, message: bar.progress(fraction, text=message))
        bar.empty()


def _progress(store: Store, reviewer: str, settings: queue.QueueSettings) -> None:
    """The reviewer's progress in the chosen article (if one is chosen) and over all articles, with this session's
    pace and when the rest would be done at it."""
    scopes = [("this article", settings.article_id)] if settings.article_id else []
    clock = st.session_state.get("label_clock", [])
    for scope, article_id in [*scopes, ("all articles", None)]:
        done, total = store.progress(reviewer, article_id)
        text = f"{reviewer}, {scope}: {done} of {total} sentences labelled"
        if len(clock) >= 3 and clock[-1] > clock[0]:
            pace = (len(clock) - 1) / (clock[-1] - clock[0]) * 3600
            text += f" · {pace:.0f}/hour, the rest in {progress.describe_eta(progress.eta_hours(total - done, pace))}"
        st.progress(done / total if total else 0.0, text=text)


def _clock(count: int = 1) -> None:
    """Note when labels were given in this session (the last 50), for the pace."""
    clock = st.session_state.setdefault("label_clock", [])
    clock.extend([time.time()] * count)
    del clock[:-50]


def _show(store: Store, reviewer: str, sentence_id: str, loaded: common.LoadedModel | None) -> None:
    scheme = common.scheme()
    sentence = store.sentence(sentence_id)
    text = store.article(sentence["article_id"]).text
    suggestion = common.model_suggestion(store, loaded, sentence) if loaded else None
    if suggestion is None and (found := boilerplate.reason(sentence["text"])):  # with no model, still pre-marked
        suggestion = common.Suggestion(scheme.skip.key, 1.0, "", found)
    common.sentence_view(sentence, text, suggestion, "label")
    common.label_buttons("label", _label, lambda key: (reviewer, sentence_id, key, suggestion))
    group = store.repeats(sentence_id, reviewer)
    if group:
        _group_buttons(reviewer, [sentence_id, *group], sentence["outlet_kind"] or "unknown")
    if suggestion:
        st.button(
            f"Accept suggestion: {scheme.get(suggestion.label).name}",
            key="accept",
            shortcut="Enter",
            on_click=_label,
            args=(reviewer, sentence_id, suggestion.label, suggestion),
        )
    if loaded:
        common.suggest_ahead(store, loaded, st.session_state.get("queue", [])[1:3])


def _group_buttons(reviewer: str, ids: list[str], kind: str) -> None:
    """For a sentence repeated in other articles of its outlet kind: one button (Shift + the label's key) per label
    that labels the whole group at once."""
    st.markdown(f"**Repeated:** the same text is in {len(ids) - 1} more {common.plain(kind)} sentences not yet "
                f"labelled. Shift + a label's key labels all {len(ids)}; Undo takes them back together.")
    common.label_buttons("group", _label_group, lambda key: (reviewer, ids, key),
                         name=lambda label: f"All {len(ids)}: {label.name}", shift=True)


def _restore_history(store: Store, reviewer: str) -> None:
    """After a reload (a new session), the reviewer's latest labels can be taken back as before: a group's labels
    (bulk, given at one time) as one step."""
    if "history" in st.session_state:
        return
    history = st.session_state["history"] = deque(maxlen=common.HISTORY)
    recent = store.recent_labels(reviewer, 4 * common.HISTORY)
    for (_, origin), rows in recent.groupby(["time", "origin"], sort=False):
        ids = tuple(rows["sentence_id"])
        history.append(ids if origin == "bulk" else ids[-1])


def _elsewhere_notice(reviewer: str) -> None:
    """A sentence this reviewer labelled meanwhile in another tab is not relabelled by a key press here; it is
    said, with an explicit "change label" (recorded as such) for when the change is meant."""
    found = st.session_state.get("elsewhere")
    if not found:
        return
    sentence_id, before, wanted = found
    scheme = common.scheme()
    st.warning(f"You had already labelled that sentence as {scheme.get(before).name} (in another tab or session): "
               "it was not changed.")
    st.button(f"Change it to {scheme.get(wanted).name}", key="change_label", on_click=_change,
              args=(reviewer, sentence_id, wanted))


def _change(reviewer: str, sentence_id: str, label: str) -> None:
    common.store().annotate(sentence_id, label, reviewer, origin="change")
    st.session_state.pop("elsewhere", None)


def _label(reviewer: str, sentence_id: str, label: str, suggestion: common.Suggestion | None) -> None:
    """Store the label (committed before the next sentence is drawn) and remember it for undo; a sentence labelled
    meanwhile elsewhere is left as it is (see `_elsewhere_notice`)."""
    pending = st.session_state.get("queue", [])
    st.session_state.pop("elsewhere", None)
    before = common.store().label_of(reviewer, sentence_id)
    if before is not None:
        st.session_state["elsewhere"] = (sentence_id, before, label)
        if pending and pending[0] == sentence_id:
            pending.pop(0)
        return
    common.store().annotate(
        sentence_id, label, reviewer,
        suggestion=suggestion.label if suggestion else None,
        suggestion_confidence=suggestion.confidence if suggestion else None,
    )
    st.session_state.setdefault("history", deque(maxlen=common.HISTORY)).append(sentence_id)
    _clock()
    if pending and pending[0] == sentence_id:
        pending.pop(0)


def _label_group(reviewer: str, sentence_ids: list[str], label: str) -> None:
    """Label a group of repeats (one row per sentence, origin "bulk"), undoable as one step."""
    common.store().annotate_many(sentence_ids, label, reviewer, origin="bulk")
    _clock(len(sentence_ids))
    st.session_state.setdefault("history", deque(maxlen=common.HISTORY)).append(tuple(sentence_ids))
    done = set(sentence_ids)
    st.session_state["queue"] = [sid for sid in st.session_state.get("queue", []) if sid not in done]


def _undo(reviewer: str) -> None:
    """Take back the latest of this session's labels (a group's labels together) and show that sentence again."""
    history = st.session_state.get("history")
    if not history:
        return
    latest = history.pop()
    if isinstance(latest, tuple):
        common.store().undo_many(reviewer, list(latest))
        latest = latest[0]
    else:
        common.store().undo(reviewer, latest)
    st.session_state.setdefault("queue", []).insert(0, latest)


def _undo_button(reviewer: str) -> None:
    history = st.session_state.get("history") or ()
    st.button(
        f"Undo ({len(history)})", key="undo", shortcut="u", disabled=not history, on_click=_undo, args=(reviewer,),
        help=f"Take back your last label (up to {common.HISTORY}).",
    )


if __name__ == "__main__":  # run as a page by st.navigation
    render()
