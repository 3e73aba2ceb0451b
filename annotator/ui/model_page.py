"""The Model page: label counts, the current model's cross-validated metrics and confusion matrix, its card."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from annotator.ui import common


def render() -> None:
    st.title("Model")
    store = common.store()
    scheme = common.scheme()
    names = {key: scheme.get(key).name for key in scheme.all_keys}
    tables = store.stats()
    st.subheader("Labels per class")
    per_label = tables["per_label"].assign(label=lambda f: f["label"].map(names)).set_index("label")
    st.bar_chart(per_label, stack=False)
    st.subheader("Labels per reviewer")
    per_reviewer = tables["per_reviewer"]
    if len(per_reviewer):
        columns = [key for key in scheme.all_keys if key in per_reviewer]
        st.bar_chart(per_reviewer.set_index("reviewer")[columns].rename(columns=names))
    else:
        st.caption("No labels yet.")
    st.subheader("Current model")
    common.train_panel()
    loaded = common.current_model()
    if loaded is None:
        st.info("No model yet: press **Train now** (or run `annotator train`).")
        return
    st.caption(f"{loaded.path} · id {loaded.id}")
    metrics = loaded.card.get("metrics", {}).get("cross_validation", {})
    _metrics(metrics, names)
    with st.expander("Model card"):
        st.json(loaded.card)


def _metrics(metrics: dict, names: dict[str, str]) -> None:
    """Headline numbers, per-label scores and the confusion matrix of the card's cross-validation."""
    if not metrics:
        st.caption("The card holds no cross-validation metrics.")
        return
    scalars = {key: value for key, value in metrics.items() if isinstance(value, (int, float))}
    for column, (key, value) in zip(st.columns(max(len(scalars), 1)), scalars.items()):
        column.metric(key.replace("_", " "), f"{value:.3f}" if isinstance(value, float) else value)
    per_label = metrics.get("per_label")
    if isinstance(per_label, dict) and per_label:
        st.dataframe(pd.DataFrame(per_label).T.rename(index=names))
    matrix = confusion_frame(metrics, names)
    if matrix is not None:
        st.markdown("**Confusion matrix** (rows: true label, columns: predicted)")
        st.bar_chart(matrix.reset_index(names="true").melt("true", var_name="predicted", value_name="sentences"),
                     x="true", y="sentences", color="predicted", stack=True)
        st.dataframe(matrix)


def confusion_frame(metrics: dict, names: dict[str, str]) -> pd.DataFrame | None:
    """The card's confusion matrix as a frame (true label rows, predicted columns), or None when it has none."""
    found = metrics.get("confusion_matrix")
    if found is None:
        return None
    labels = [names.get(key, key) for key in metrics.get("labels", list(names)[: len(found)])]
    return pd.DataFrame(found, index=labels, columns=labels)


if __name__ == "__main__":  # run as a page by st.navigation
    render()
