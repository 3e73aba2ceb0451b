"""Label files: JSONL/CSV reading and writing, clear errors, and the exact store round trip."""

from __future__ import annotations

import io
import json

import pytest

from annotator.formats import LabelFormatError, label_stats, labels_frame, read_labels, write_labels
from annotator.records import LABEL_FIELDS, Article, LabelRecord
from annotator.scheme import load_scheme
from annotator.store import Store

SCHEME = load_scheme()
FIRST, SECOND, THIRD = SCHEME.keys[:3]
SKIP = SCHEME.skip.key

# Non-ASCII, quotes, commas and a line break inside a sentence (a line break ends a sentence, so it sits in a title).
TRICKY = [
    Article(
        id="kyiv",
        title='Київ, "talks"\nday two',
        outlet="Ukrinform",
        url="https://example.org/a?x=1,2",
        text='Zelensky said: "We, the people, will not yield." Ціни зросли на 5%, — повідомив «Укрінформ». '
        "The café's owner, 'Zoë', shrugged.",
    ),
    Article(id="moscow", outlet="tass.com", text="MOSCOW, March 3. /TASS/. The ministry denied it. Nothing else."),
]


def labelled_store(path) -> Store:
    """A store with several reviewers, a skip, an undone label, an overwritten one, a suggestion and an adjudication."""
    store = Store(path)
    store.add_articles(TRICKY)
    ids = list(store.sentences()["sentence_id"])
    store.annotate(ids[0], FIRST, "ann", suggestion=SECOND, suggestion_confidence=0.61, time="2026-11-25T10:00:00.000001Z")
    store.annotate(ids[0], SECOND, "bob", origin="cli")
    store.annotate(ids[1], THIRD, "ann")
    store.annotate(ids[1], FIRST, "ann")
    store.annotate(ids[2], SKIP, "ann")
    store.annotate(ids[3], SECOND, "bob")
    store.undo("bob")
    store.annotate(ids[-1], THIRD, "zoë")
    store.adjudicate(ids[0], SECOND, "lead")
    store.import_label_records([LabelRecord(text='Line one,\n"line" two', label=THIRD, reviewer="ann", time="2026-11-25T11:00:00Z")])
    return store


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_export_import_export_is_byte_identical(tmp_path, fmt):
    first, second = tmp_path / f"first.{fmt}", tmp_path / f"second.{fmt}"
    with labelled_store(tmp_path / "a.db") as store:
        written = write_labels(store.label_records(), first)
    with Store(tmp_path / "b.db") as fresh:
        counts = fresh.import_label_records(read_labels(first))
        assert counts.skipped == [] and counts.annotations_new == written
        write_labels(fresh.label_records(), second)
    assert first.read_bytes() == second.read_bytes()
    text = first.read_text(encoding="utf-8")
    assert "Київ" in text and "zoë" in text and SKIP in text
    assert written == 7  # ann x3 (one overwritten), bob x1 (one undone), zoë, the adjudication, the import


def test_jsonl_lines_are_to_dict_in_field_order(tmp_path):
    record = LabelRecord(text="Ціни зросли.", label=FIRST, start=0, end=12, meta={"b": 1, "a": None})
    path = tmp_path / "x.jsonl"
    write_labels([record], path)
    line = path.read_text(encoding="utf-8")
    assert line == json.dumps(record.to_dict(), ensure_ascii=False) + "\n"
    assert list(json.loads(line)) == list(LABEL_FIELDS)


def test_csv_has_the_label_fields_and_meta_as_json(tmp_path):
    path = tmp_path / "x.csv"
    write_labels([LabelRecord(text='a, "b"\nc', label=SKIP, meta={"title": "t"})], path)
    header, *_ = path.read_text(encoding="utf-8").splitlines()
    assert header == ",".join(LABEL_FIELDS)
    (back,) = read_labels(path)
    assert (back.text, back.meta, back.start) == ('a, "b"\nc', {"title": "t"}, None)


def test_minimal_files_need_only_text_and_label(tmp_path):
    jsonl = tmp_path / "min.jsonl"
    jsonl.write_text(
        json.dumps({"text": "Hello there.", "label": FIRST, "url": "https://x.org", "start": 4}) + "\n\n", "utf-8"
    )
    (record,) = read_labels(jsonl)
    assert (record.start, record.end, record.meta["url"], record.reviewer) == (4, 16, "https://x.org", "")
    csv_path = tmp_path / "min.txt"
    csv_path.write_text(f"label,text,reviewer\n{SECOND},\"Quoted, text\",ann\n", "utf-8")
    (record,) = read_labels(csv_path)
    assert (record.text, record.label, record.reviewer) == ("Quoted, text", SECOND, "ann")


def test_stream_input_defaults_to_jsonl():
    stream = io.StringIO(json.dumps({"text": "One.", "label": SKIP}) + "\n")
    assert [r.label for r in read_labels(stream)] == [SKIP]


@pytest.mark.parametrize(
    "line, message",
    [
        ('{"text": "x", "label": ', "bad.jsonl:2: malformed JSON"),
        ('{"label": "LABEL"}', "bad.jsonl:2: missing or empty 'text'"),
        ('{"text": "x"}', "bad.jsonl:2: missing or empty 'label'"),
        ('{"text": "x", "label": "maybe"}', "bad.jsonl:2: unknown label 'maybe'; allowed: " + ", ".join(SCHEME.all_keys)),
        ('{"text": "x", "label": "LABEL", "start": "one"}', "bad.jsonl:2: 'start' must be an integer"),
        ('{"text": "x", "label": "LABEL", "start": 0, "end": 5}', "bad.jsonl:2: start/end 0:5 do not span the text"),
        ('[1, 2]', "bad.jsonl:2: expected a JSON object"),
    ],
)
def test_bad_jsonl_lines_name_file_and_line(tmp_path, line, message):
    path = tmp_path / "bad.jsonl"
    good = json.dumps({"text": "fine", "label": FIRST})
    path.write_text(good + "\n" + line.replace("LABEL", FIRST) + "\n", "utf-8")
    with pytest.raises(LabelFormatError) as error:
        list(read_labels(path))
    assert message in str(error.value)


def test_bad_csv_reports_the_starting_line_of_a_record(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(f'text,label\n"two\nlines",{FIRST}\nx,nope\n', "utf-8")
    with pytest.raises(LabelFormatError, match=r"bad.csv:4: unknown label 'nope'"):
        list(read_labels(path))
    (tmp_path / "nolabel.csv").write_text("text\nx\n", "utf-8")
    with pytest.raises(LabelFormatError, match="nolabel.csv:1: the CSV header lacks the column"):
        list(read_labels(tmp_path / "nolabel.csv"))


def test_on_error_reports_and_skips_bad_records(tmp_path):
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(json.dumps({"text": text, "label": label}) for text, label in [("a", FIRST), ("b", "?"), ("c", SKIP)]))
    errors = []
    records = list(read_labels(path, on_error=errors.append))
    assert [r.text for r in records] == ["a", "c"] and len(errors) == 1 and ":2:" in str(errors[0])


def test_unknown_format_is_a_clear_error(tmp_path):
    with pytest.raises(LabelFormatError, match="cannot tell the label format"):
        write_labels([], tmp_path / "labels.xlsx")
    with pytest.raises(LabelFormatError, match="unknown label format 'xml'"):
        write_labels([], tmp_path / "labels.jsonl", "xml")


def test_labels_frame_takes_outlet_kind_from_meta_or_registry():
    records = [
        LabelRecord(text="a", label=FIRST, outlet="anything", meta={"outlet_kind": "official", "url": "u"}),
        LabelRecord(text="b", label=SKIP, start=3, end=4),
    ]
    frame = labels_frame(records)
    assert list(frame.columns) == [
        "text", "label", "article_id", "sentence_id", "start", "end", "outlet", "url", "outlet_kind", "reviewer", "time"
    ]
    assert frame["outlet_kind"].tolist() == ["official", "independent"]
    assert frame["url"].tolist() == ["u", ""]
    assert frame["end"].tolist()[1] == 4 and labels_frame([]).empty


def test_label_stats_counts_per_label_reviewer_and_topic():
    records = [
        LabelRecord(text="a", label=FIRST, reviewer="ann", meta={"topic": "talks"}),
        LabelRecord(text="b", label=FIRST, reviewer="bob", meta={"topic": "talks"}),
        LabelRecord(text="c", label=SKIP, reviewer="ann"),
    ]
    tables = label_stats(records)
    assert tables["per_label"].set_index("label").loc[FIRST, "count"] == 2
    assert tables["per_reviewer"].set_index("reviewer").loc["ann", "total"] == 2
    assert tables["per_topic"].set_index("topic").loc["talks", FIRST] == 2


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised_and_read_back(tmp_path):
    texts = ["=HYPERLINK(\"http://example.invalid\",\"x\")", "+1+1", "-2+3", "@SUM(A1)", "\tTab first", "Plain text."]
    records = [LabelRecord(text=text, label=FIRST, reviewer="=cmd|' /C calc'!A0") for text in texts]
    path = tmp_path / "labels.csv"
    write_labels(records, path)
    import csv

    rows = list(csv.DictReader(path.open(encoding="utf-8", newline="")))
    assert [row["text"] for row in rows] == ["'" + text for text in texts[:-1]] + ["Plain text."]
    assert all(row["reviewer"].startswith("'=") for row in rows)
    assert [(r.text, r.reviewer) for r in read_labels(path)] == [(r.text, r.reviewer) for r in records]
