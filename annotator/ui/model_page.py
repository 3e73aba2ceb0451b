"""The Model page: label counts, the current model's cross-validated metrics and confusion matrix, its card."""

from __future__ import annotations

import io

import streamlit as st

from annotator import formats
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
        st.bar_chart(per_reviewer.set_index("reviewer")[columns].rename(columns=names),
                     color=[scheme.get(key).colour for key in columns])
    else:
        st.caption("No labels yet.")
    _export(per_reviewer["reviewer"].tolist() if len(per_reviewer) else [])
    st.subheader("Current model")
    common.train_panel()
    loaded = common.current_model()
    if loaded is None:
        st.info("No model yet: press **Train now** (or run `annotator train`).")
        return
    st.caption(f"{loaded.path} · id {loaded.id}")
    if tuned := loaded.card.get("encoder"):
        st.caption(f"With a fine-tuned encoder ({tuned.get('base')}, {tuned.get('epochs')} epochs): suggestions are the "
                   "mean of its probabilities and the pipeline's. The cross-validation below is the pipeline's alone; "
                   "the pair's is in the README's Accuracy section.")
    metrics = loaded.card.get("metrics", {}).get("cross_validation", {})
    _metrics(metrics, names)
    with st.expander("Model card"):
        data = dict(loaded.card.get("training_data", {}))
        if "sentence_ids" in data:  # thousands of ids: their count says enough here
            data["sentence_ids"] = f"{len(data['sentence_ids'])} sentence ids"
        st.json({**loaded.card, "training_data": data}, expanded=1)


def _export(reviewers: list[str]) -> None:
    """The current labels as a download: the same file as `annotator export`, for everyone or one reviewer."""
    with st.expander("Export labels"):
        left, right = st.columns(2)
        fmt = left.radio("Format", ["jsonl", "csv"], horizontal=True, key="export_format")
        who = right.selectbox("Reviewer", [None, *reviewers], key="export_reviewer",
                              format_func=lambda name: "everyone" if name is None else name)
        st.download_button(f"Download labels.{fmt}", data=lambda: export_text(fmt, who), file_name=f"labels.{fmt}",
                           mime="text/csv" if fmt == "csv" else "application/x-ndjson", key="export_download",
                           on_click="ignore")


def export_text(fmt: str, reviewer: str | None) -> str:
    """What `annotator export --format FMT [--reviewer R]` writes, as text."""
    buffer = io.StringIO()
    formats.write_labels(common.store().label_records(reviewer=reviewer), buffer, fmt)
    return buffer.getvalue()


def _metrics(metrics: dict, names: dict[str, str]) -> None:
    """Headline numbers, per-label scores and the confusion matrix of the card's cross-validation."""
    from annotator.evaluate import Evaluation

    if not metrics:
        st.caption("The card holds no cross-validation metrics.")
        return
    found = Evaluation.from_dict(metrics)
    headline = {"macro-F1": found.macro_f1, "accuracy": found.accuracy, **found.calibration}
    st.caption(f"Grouped by article, {found.folds} folds, {found.n} sentences.")
    for column, (key, value) in zip(st.columns(len(headline)), headline.items()):
        column.metric(key.replace("_", " "), f"{value:.3f}")
    per_class = found.per_class.rename(index=names)
    st.dataframe(per_class, column_config={  # scores with three decimals, counts as whole numbers: no "0.000000"
        column: st.column_config.NumberColumn(format="%.3f" if per_class[column].dtype.kind == "f" else "%d")
        for column in per_class.columns})
    matrix = found.confusion.rename(index=names, columns=names)
    st.markdown("**Confusion matrix** (rows: true label; bars split by predicted label)")
    long = matrix.rename_axis(index="true", columns="predicted").stack().rename("sentences").reset_index()
    st.bar_chart(long, x="true", y="sentences", color="predicted", stack=True)
    st.dataframe(matrix)


if __name__ == "__main__":  # run as a page by st.navigation
    render()
