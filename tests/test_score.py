"""Batch scoring on real files with a real trained model: formats, order, errors, summary, slicing, jobs equality."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from joblib import Parallel, delayed

from annotator import model, score
from annotator.records import Article
from annotator.scheme import load_scheme

REPO = Path(__file__).resolve().parents[1]

# Invented articles (no corpus text in the repo): attributed statements, outlet-voice facts, a state-media line.
ARTICLES = [
    {"title": "Bridge reopens", "outlet": "", "text": (
        "Bridge reopens\n\nThe bridge reopened to traffic on Friday after a year of repairs. Local officials said the cost was "
        "lower than planned. Residents welcomed the news.")},
    {"title": "Talks resume in Geneva", "outlet": "Example Daily", "text": (
        "Talks resume in Geneva\n\nThe foreign minister said on Monday that the delegation would stay another day. "
        "Satellite images show new trenches near the river. The meeting lasted two hours.\n\n"
        "\"We are ready to sign,\" the spokesperson told reporters. He added that a second round is planned.")},
    {"title": "Grain exports rise", "outlet": "TASS", "text": (
        "Grain exports rise\n\nMOSCOW, March 3. /TASS/. Grain exports grew by a fifth in the first quarter. "
        "Western claims about the blockade are a provocation staged for foreign audiences. "
        "The ministry of agriculture announced new quotas.")},
    {"title": "Ceasefire proposal", "outlet": "Kyiv Herald", "text": (
        "According to the Interfax-Ukraine agency, the proposal was handed over in the afternoon. "
        "The president stated that no territory would be ceded. Independent monitors counted forty shelling incidents.")},
]


# Invented training sentences, by label position in the scheme (state-media claim, official statement, fact).
def write_inputs(folder: Path, articles: list[dict] = ARTICLES) -> Path:
    """The articles as real files: the first as a .txt file (it has no outlet), the rest as one JSONL file."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "first.txt").write_text(articles[0]["text"], encoding="utf-8")
    with open(folder / "rest.jsonl", "w", encoding="utf-8") as f:
        for article in articles[1:]:
            f.write(json.dumps(article) + "\n")
    return folder


def read_output(path: Path) -> pd.DataFrame:
    if path.suffix == ".csv":
        return pd.read_csv(path, keep_default_na=False)
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    return pd.read_json(path, lines=True, dtype=False)


@pytest.mark.parametrize("name", ["out.jsonl", "out.csv", "out.parquet"])
def test_each_format_is_readable_with_the_record_columns(tmp_path: Path, trained_model: Path, name: str):
    inputs = write_inputs(tmp_path / "in")
    result = score.score_paths([inputs], trained_model, tmp_path / name, jobs=1, progress=False)
    frame = read_output(tmp_path / name)
    assert list(frame.columns) == list(score.record_schema())
    assert result.articles == len(ARTICLES) and result.sentences == len(frame) > len(ARTICLES)
    assert not result.failed and result.errors is None
    scheme = load_scheme()
    assert set(frame["label"]) <= set(scheme.all_keys)
    # the TASS dateline is boilerplate: skip, with its reason; every other sentence is a claim without one
    boiler = frame["label"] == scheme.skip.key
    assert frame.loc[boiler, "text"].tolist() == ["MOSCOW, March 3. /TASS/."]
    assert frame.loc[boiler, "skip_reason"].tolist() == ["dateline"]
    assert (frame.loc[~boiler, "skip_reason"] == "").all()
    probabilities = frame[load_scheme().prob_columns()].sum(axis=1)
    assert probabilities.between(0.99, 1.01).all()
    assert (frame["confidence"] == frame[load_scheme().prob_columns()].max(axis=1)).all()


def test_formats_hold_the_same_records(tmp_path: Path, trained_model: Path):
    inputs = write_inputs(tmp_path / "in")
    frames = []
    for name in ("out.jsonl", "out.csv", "out.parquet"):
        score.score_paths([inputs], trained_model, tmp_path / name, jobs=1, progress=False)
        frames.append(read_output(tmp_path / name))
    for other in frames[1:]:
        pd.testing.assert_frame_equal(frames[0], other, check_dtype=False)


def test_records_point_into_the_article_text(tmp_path: Path, trained_model: Path):
    inputs = write_inputs(tmp_path / "in")
    score.score_paths([inputs], trained_model, tmp_path / "out.jsonl", jobs=1, progress=False)
    frame = read_output(tmp_path / "out.jsonl")
    text = ARTICLES[1]["text"]
    first = frame[frame["article_id"] == frame["article_id"].unique()[1]]
    assert all(text[row.start:row.end] == row.text for row in first.itertuples())
    assert first["start"].is_monotonic_increasing
    assert frame["sentence_id"].is_unique


@pytest.mark.slow
def test_jobs_2_writes_the_same_records_as_jobs_1(tmp_path: Path, trained_model: Path):
    inputs = write_inputs(tmp_path / "in", ARTICLES * 3)
    one = score.score_paths([inputs], trained_model, tmp_path / "one.jsonl", jobs=1, progress=False)
    two = score.score_paths([inputs], trained_model, tmp_path / "two.jsonl", jobs=2, part_bytes=300, progress=False)
    assert (tmp_path / "one.jsonl").read_bytes() == (tmp_path / "two.jsonl").read_bytes()
    assert (one.articles, one.sentences) == (two.articles, two.sentences)


def test_slices_of_a_batch_keep_articles_whole_and_a_huge_article_is_cut(tmp_path: Path, trained_model: Path, monkeypatch):
    inputs = write_inputs(tmp_path / "in", ARTICLES * 3)
    score.score_paths([inputs], trained_model, tmp_path / "whole.jsonl", jobs=1, cues=True, progress=False)
    monkeypatch.setattr(score, "PREDICT_ROWS", 7)  # smaller than the batch, larger than any of its articles
    score.score_paths([inputs], trained_model, tmp_path / "sliced.jsonl", jobs=1, cues=True, progress=False)
    assert (tmp_path / "whole.jsonl").read_bytes() == (tmp_path / "sliced.jsonl").read_bytes()
    text = " ".join(f"The committee met on day {n} and the minister said the plan holds." for n in range(60))
    (tmp_path / "long").mkdir()
    (tmp_path / "long" / "long.txt").write_text(text, encoding="utf-8")
    score.score_paths([tmp_path / "long"], trained_model, tmp_path / "long.jsonl", jobs=1, cues=True, progress=False)
    assert len(read_output(tmp_path / "long.jsonl")) == 60


def test_two_articles_that_share_an_id_are_scored_apart(tmp_path: Path, trained_model: Path, monkeypatch):
    """Two inputs that share an id name two articles: each is scored as it is alone, in one batch or in slices."""
    first, second = dict(ARTICLES[1], id="same"), dict(ARTICLES[2], id="same")
    for name, articles in (("pair", [first, second]), ("alone", [second])):
        (tmp_path / name).mkdir()
        (tmp_path / name / "in.jsonl").write_text("".join(json.dumps(a) + "\n" for a in articles), encoding="utf-8")
        score.score_paths([tmp_path / name], trained_model, tmp_path / f"{name}.jsonl", jobs=1, progress=False)
    pair, alone = read_output(tmp_path / "pair.jsonl"), read_output(tmp_path / "alone.jsonl")
    columns = load_scheme().prob_columns()
    tail = pair.tail(len(alone)).reset_index(drop=True)
    assert (pair["article_id"] == "same").all() and tail["text"].tolist() == alone["text"].tolist()
    np.testing.assert_allclose(tail[columns].to_numpy(dtype=float), alone[columns].to_numpy(dtype=float))
    monkeypatch.setattr(score, "PREDICT_ROWS", 7)  # more than either article, fewer than both: a slice ends between them
    score.score_paths([tmp_path / "pair"], trained_model, tmp_path / "sliced.jsonl", jobs=1, progress=False)
    assert (tmp_path / "sliced.jsonl").read_bytes() == (tmp_path / "pair.jsonl").read_bytes()


def test_slices_end_where_an_article_ends(monkeypatch):
    monkeypatch.setattr(score, "PREDICT_ROWS", 4)
    ids = pd.DataFrame({"article_id": list("aabbbccddddddd")})
    assert score._slices(ids) == [(0, 2), (2, 5), (5, 7), (7, 11), (11, 14)]
    assert score._slices(ids.drop(columns="article_id")) == [(0, 4), (4, 8), (8, 12), (12, 14)]


def test_bad_inputs_are_reported_and_skipped(tmp_path: Path, trained_model: Path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.txt").write_text(ARTICLES[0]["text"], encoding="utf-8")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 8)
    (folder / "mixed.jsonl").write_text(json.dumps(ARTICLES[2]) + "\n{not json\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = score.score_paths([folder], trained_model, out, jobs=1, progress=False)
    assert result.failed and result.failures == 3 and result.articles == 2
    assert result.errors == Path(f"{out}.errors.jsonl")
    errors = [json.loads(line) for line in result.errors.read_text(encoding="utf-8").splitlines()]
    assert [set(e) for e in errors] == [{"source", "reason"}] * 3
    sources = " ".join(e["source"] for e in errors)
    assert "empty.txt" in sources and "binary.txt" in sources and "mixed.jsonl:2" in sources
    stderr = capsys.readouterr().err
    assert "mixed.jsonl:2: " in stderr and "Traceback" not in stderr
    scored = read_output(out)
    assert scored["article_id"].nunique() == 2
    assert "failed" in result.describe()


def test_errors_file_is_absent_after_a_clean_run(tmp_path: Path, trained_model: Path):
    inputs = write_inputs(tmp_path / "in")
    stale = tmp_path / "out.jsonl.errors.jsonl"
    stale.write_text('{"source": "old", "reason": "old"}\n', encoding="utf-8")
    result = score.score_paths([inputs], trained_model, tmp_path / "out.jsonl", jobs=1, progress=False)
    assert not result.failed and not stale.exists()


def test_summary_has_one_row_per_article_with_counts_and_shares(tmp_path: Path, trained_model: Path):
    inputs = write_inputs(tmp_path / "in")
    keys = load_scheme().keys
    score.score_paths([inputs], trained_model, tmp_path / "out.jsonl", summary=tmp_path / "summary.csv", jobs=1,
                      progress=False)
    records = read_output(tmp_path / "out.jsonl")
    summary = pd.read_csv(tmp_path / "summary.csv", keep_default_na=False)
    assert len(summary) == len(ARTICLES)
    assert list(summary["title"]) == [a["title"] for a in ARTICLES]
    assert {"outlet", "outlet_kind", "sentences", "mean_confidence"} <= set(summary.columns)
    for row in summary.itertuples():
        mine = records[records["article_id"] == row.article_id]
        assert row.sentences == len(mine)
        for key in keys:
            assert getattr(row, f"n_{key}") == (mine["label"] == key).sum()
        assert sum(getattr(row, f"share_{key}") for key in keys) == pytest.approx(1, abs=1e-3)
        claims = mine[mine["label"] != load_scheme().skip.key]
        assert row.boilerplate == len(mine) - len(claims)
        assert row.mean_confidence == pytest.approx(claims["confidence"].mean(), abs=1e-3)
    assert set(summary["outlet"]) == {a["outlet"] for a in ARTICLES}


def test_summary_as_jsonl(tmp_path: Path, trained_model: Path):
    inputs = write_inputs(tmp_path / "in")
    score.score_paths([inputs], trained_model, tmp_path / "out.csv", summary=tmp_path / "s.jsonl", progress=False, jobs=1)
    rows = [json.loads(line) for line in (tmp_path / "s.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rows) == len(ARTICLES)
    assert [row["title"] for row in rows] == [a["title"] for a in ARTICLES]
    assert all(row["sentences"] > 0 for row in rows)


def test_stdin_dash_reads_jsonl(tmp_path: Path, trained_model: Path, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("".join(json.dumps(a) + "\n" for a in ARTICLES)))
    result = score.score_paths(["-"], trained_model, tmp_path / "out.jsonl", jobs=1, progress=False)
    assert result.articles == len(ARTICLES) and not result.failed


def test_a_model_that_does_not_load_is_a_clear_error_before_any_output(tmp_path: Path):
    bad = tmp_path / "model.skops"
    bad.write_bytes(b"not a model")
    inputs = write_inputs(tmp_path / "in")
    with pytest.raises(model.ModelLoadError):
        score.score_paths([inputs], bad, tmp_path / "out.jsonl", progress=False)
    with pytest.raises(model.ModelLoadError, match="missing.skops"):
        score.score_paths([inputs], tmp_path / "missing.skops", tmp_path / "out.jsonl", progress=False)
    assert not (tmp_path / "out.jsonl").exists()


def test_unknown_format_is_a_value_error(tmp_path: Path, trained_model: Path):
    with pytest.raises(ValueError, match="xml"):
        score.score_paths([write_inputs(tmp_path / "in")], trained_model, tmp_path / "o", fmt="xml", progress=False)


def test_score_article_gives_cues_and_probabilities(trained_model: Path):
    article = Article(id="a1", text=ARTICLES[1]["text"], title=ARTICLES[1]["title"], outlet=ARTICLES[1]["outlet"])
    frame = score.score_article(article, model.load(trained_model))
    assert list(frame.columns) == list(score.record_schema(cues=True))
    assert len(frame) >= 5 and frame["cues"].str.len().gt(0).any()
    assert all(article.text[r.start:r.end] == r.text for r in frame.itertuples())


def test_jsonl_encoding_matches_json_dumps_row_by_row():
    from annotator import writers

    frame = pd.DataFrame({
        "text": ["a \"quoted\" / slash", "ünïcode \u2028 line\nbreak", "\\back"],
        "n": [1, -2, 3],
        "p": [0.1, 1e-5, 2.0],
        "rounded": [0.1234, 1.0, 0.0],  # looked up in the table of four-place reprs
        "signed zero": [0.5, -0.0, 0.25],  # four places, but "-0.0" is not in the table
        "odd {key}": [None, float("nan"), "x"],
        "flag": [True, False, True],
    })
    schema = {column: "str" for column in frame.columns}
    expected = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in frame.to_dict("records"))
    assert writers.encode(frame, schema, "jsonl") == expected.encode("utf-8")
    assert writers.encode(frame.iloc[:0], schema, "jsonl") == b""


@pytest.mark.slow
@pytest.mark.parametrize("fork", [True, False], ids=["forked", "loky"])
def test_both_kinds_of_local_pool_give_the_records_of_inline_scoring(tmp_path: Path, trained_model: Path, fork: bool):
    from annotator import read

    digest = model.file_sha256(trained_model)
    score.cached_model(trained_model, digest)
    job = score._Job(str(trained_model), digest, "jsonl", cues=True, summaries=False)
    tasks = [(job, part, False) for part in read.parts([write_inputs(tmp_path / "in", ARTICLES * 2)], part_bytes=300)]
    with score.executor(1) as (submit, window):
        inline = [done.encoded for done in score.in_order(submit, window, score._score_part, tasks)]
    with score.executor(2, fork=fork) as (submit, window):
        pooled = [done.encoded for done in score.in_order(submit, window, score._score_part, tasks)]
    assert len(tasks) > 2 and pooled == inline and b"".join(inline).count(b"\n") > 10
    # joblib's Parallel (training's) still works after scoring in the same process: the pools do not clash
    assert Parallel(n_jobs=2)(delayed(abs)(i) for i in (-1, -2)) == [1, 2]


def test_csv_output_neutralises_cells_a_spreadsheet_would_run(tmp_path: Path, trained_model: Path):
    article = {"title": "=HYPERLINK(\"http://example.invalid\")", "outlet": "@Example",
               "text": "=1+2 was written on the wall, the mayor said.\n\nResidents cleaned it on Monday."}
    inputs = write_inputs(tmp_path / "in", [ARTICLES[0], article])
    score.score_paths([inputs], trained_model, tmp_path / "out.csv", summary=tmp_path / "summary.csv", jobs=1,
                      progress=False)
    records = pd.read_csv(tmp_path / "out.csv", keep_default_na=False)
    assert "'=1+2 was written on the wall, the mayor said." in records["text"].tolist()
    assert set(records.loc[records["outlet"] != "", "outlet"]) == {"'@Example"}
    summary = pd.read_csv(tmp_path / "summary.csv", keep_default_na=False)
    assert "'=HYPERLINK(\"http://example.invalid\")" in summary["title"].tolist()
    assert not any(str(cell).startswith(("=", "+", "@")) for cell in summary.to_numpy().ravel())


def test_stored_sentences_score_as_their_article_does_in_batch_scoring(trained_model, tmp_path) -> None:
    """The app's suggestions: an article's stored sentences, scored together, get what batch scoring gives them."""
    from annotator import model
    from annotator.records import Article
    from annotator.store import Store

    pipeline = model.load(trained_model)
    article = Article(id="ctx", outlet="TASS", text=(
        "MOSCOW, May 3. /TASS/. Foreign Minister Sergei Lavrov said the talks would resume. He added that the "
        "Kiev regime had broken the truce.\n\nAdvertisement\n\nResidents told reporters the shelling went on."))
    other = Article(id="other", outlet="Reuters", text="The minister said nothing. Prices rose 4% in May.")
    whole = score.score_article(article, pipeline).set_index("sentence_id")
    with Store(tmp_path / "labels.db") as store:
        store.add_articles([other, article])
        stored = store.sentences_of(["ctx"])
        scored = score.score_sentences(stored, pipeline).set_index("sentence_id")
        both = score.score_sentences(store.sentences_of(["other", "ctx"]), pipeline).set_index("sentence_id")
    assert list(scored.index) == list(whole.index) and len(scored) == 5
    columns = ["label", "cues", "skip_reason"]
    assert scored[columns].equals(whole[columns]) and both.loc[scored.index, columns].equals(whole[columns])
    assert np.allclose(scored["confidence"], whole["confidence"]) and np.allclose(both.loc[scored.index, "confidence"], whole["confidence"])
