"""Reading articles: every format, encoding and error, with real files in tmp_path."""

from __future__ import annotations

import codecs
import io
import json
import pickle

import pytest

from annotator.read import (
    Files,
    InputError,
    Items,
    Lines,
    Problem,
    article_from_text,
    articles_from_upload,
    iter_articles,
    parts,
    read_articles,
)
from annotator.records import Article, article_id_for

RUSSIAN_SHORT = "В Москве прошла встреча."
RUSSIAN_LONG = (
    "МОСКВА, 26 декабря. Президент России провёл переговоры с лидерами стран СНГ.\n"
    "Стороны обсудили вопросы безопасности, торговли и энергетики. Україна і Європа не брали участі.\n"
) * 30
FRENCH_SHORT = "Il est à Paris, où il a été élu."
FRENCH_LONG = "Le président de la République a été élu à une large majorité. Les électeurs étaient nombreux.\n" * 30
GERMAN_SHORT = "Größere Straße"
GERMAN_LONG = "Die größte Straße der Stadt wurde gesperrt. Über tausend Menschen nahmen an der Kundgebung teil.\n" * 30

ARTICLE_HTML = """<!DOCTYPE html><html><head><meta charset="utf-8">
<title>Talks resume in Istanbul | Example News</title>
<meta property="og:title" content="Talks resume in Istanbul">
<meta property="og:site_name" content="Example News">
<link rel="canonical" href="https://example.org/news/talks-resume">
<meta property="article:published_time" content="2025-06-02T10:00:00Z">
</head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/world">World</a></li><li>Subscribe to our newsletter</li></ul></nav>
<article><h1>Talks resume in Istanbul</h1>
<p>Delegations from both countries met for a second round of direct negotiations on Monday, officials said.</p>
<p>The talks lasted for about an hour and focused on a possible exchange of prisoners and the return of children.</p>
<p>Observers noted that neither side announced a ceasefire, and fighting continued along the front line all day.</p>
</article>
<footer><p>Copyright 2025 Example News. All rights reserved. Cookie settings. Privacy policy.</p></footer>
</body></html>"""


def write(path, content, encoding="utf-8"):
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = content.encode(encoding)
    path.write_bytes(content)
    return path


def only_article(items) -> Article:
    items = list(items)
    assert len(items) == 1 and isinstance(items[0], Article), items
    return items[0]


def only_problem(items) -> Problem:
    items = list(items)
    assert len(items) == 1 and isinstance(items[0], Problem), items
    return items[0]


# --- documents


def test_text_file_title_is_the_first_nonempty_line_and_stays_in_the_text(tmp_path):
    path = write(tmp_path / "a.txt", "\n\nTalks resume\r\nThe delegations met on Monday.\r\n")
    article = only_article(iter_articles([path]))
    assert article.title == "Talks resume"
    assert article.text == "Talks resume\nThe delegations met on Monday."
    assert article.id == article_id_for(article.text)
    assert article.source == str(path)


def test_markdown_title_loses_its_heading_marks(tmp_path):
    article = only_article(iter_articles([write(tmp_path / "a.md", "# Talks resume\n\nThey met.\n")]))
    assert article.title == "Talks resume"
    assert article.text.startswith("# Talks resume")


def test_html_main_text_without_boilerplate_and_metadata(tmp_path):
    article = only_article(iter_articles([write(tmp_path / "page.html", ARTICLE_HTML)]))
    assert article.title == "Talks resume in Istanbul"
    assert article.text.startswith("Talks resume in Istanbul\n\nDelegations from both countries met")
    assert "\n\nThe talks lasted for about an hour" in article.text
    for boilerplate in ("Home", "Subscribe", "Copyright", "Cookie"):
        assert boilerplate not in article.text
    assert article.url == "https://example.org/news/talks-resume"
    assert article.date == "2025-06-02"
    assert article.outlet == "Example News"


def test_html_without_article_text_is_a_problem(tmp_path):
    page = "<html><head><title>x</title></head><body><script>var a = 1;</script></body></html>"
    path = write(tmp_path / "empty.htm", page)
    assert only_problem(iter_articles([path])) == Problem(str(path), "no article text found in HTML")


# --- encodings


@pytest.mark.parametrize(
    "text,encoding",
    [
        (RUSSIAN_SHORT, "cp1251"),
        (RUSSIAN_LONG, "cp1251"),
        (RUSSIAN_LONG, "koi8_u"),
        (FRENCH_SHORT, "latin-1"),
        (FRENCH_LONG, "latin-1"),
        (GERMAN_SHORT, "latin-1"),
        (GERMAN_LONG, "latin-1"),
        ("«\xa0Bonjour\xa0», dit-il – “enfin”.", "cp1252"),
        ("中华人民共和国外交部发言人表示，中方一贯主张通过对话协商解决争端。", "gb18030"),
        (RUSSIAN_SHORT, "utf-8-sig"),
        (FRENCH_SHORT, "utf-16"),
    ],
)
def test_legacy_and_marked_encodings_decode_right(tmp_path, text, encoding):
    article = only_article(iter_articles([write(tmp_path / "a.txt", text, encoding)]))
    assert article.text == text.strip()
    assert not article.title.startswith("\ufeff")


def test_utf8_bom_is_dropped_in_jsonl_and_csv(tmp_path):
    jsonl = write(tmp_path / "a.jsonl", '{"text": "Привет", "title": "T"}\n', "utf-8-sig")
    table = write(tmp_path / "a.csv", "text,title\nПривет,T\n", "utf-8-sig")
    assert [a.text for a in read_articles([jsonl, table])] == ["Привет", "Привет"]


def test_cp1251_csv_rows_decode_right(tmp_path):
    path = write(tmp_path / "a.csv", f"title,text\nМосква,{RUSSIAN_SHORT}\n", "cp1251")
    article = only_article(iter_articles([path]))
    assert (article.title, article.text) == ("Москва", RUSSIAN_SHORT)


# --- JSONL, CSV, stdin


def test_jsonl_fields_ids_and_coercion(tmp_path):
    lines = [
        {"id": "a1", "text": "First.", "title": " T ", "outlet": "TASS", "url": "https://tass.com/1",
         "date": "2024-12-26", "source": "provenance", "outlet_kind": "state-media"},
        {"text": "Second.", "id": 42, "date": 20241226, "title": None},
    ]
    path = write(tmp_path / "a.jsonl", "\n".join(json.dumps(line) for line in lines) + "\n\n")
    first, second = read_articles([path])
    assert first == Article("a1", "First.", "T", "TASS", "https://tass.com/1", "2024-12-26", source=f"{path}:1")
    assert (second.id, second.date, second.title, second.source) == ("42", "20241226", "", f"{path}:2")
    text_only = only_article(articles_from_upload("b.jsonl", b'{"text": "Only text."}'))
    assert text_only.id == article_id_for("Only text.")


def test_jsonl_bad_line_in_the_middle_is_reported_and_reading_goes_on(tmp_path):
    path = write(tmp_path / "a.jsonl", '{"text": "one"}\n{"text": "two"\n{"text": "three"}\n')
    items = list(iter_articles([path]))
    assert [item.text for item in items if isinstance(item, Article)] == ["one", "three"]
    (problem,) = [item for item in items if isinstance(item, Problem)]
    assert problem.source == f"{path}:2"
    assert problem.reason.startswith("not valid JSON: ")
    with pytest.raises(InputError, match=r"a\.jsonl:2: not valid JSON"):
        read_articles([path])


@pytest.mark.parametrize(
    "line,reason",
    [
        ("[1, 2]", "not a JSON object but an array"),
        ('"text"', "not a JSON object but a string"),
        ('{"title": "x"}', 'no "text" field'),
        ('{"text": "   "}', 'empty "text"'),
        ('{"text": "ok", "title": ["a"]}', '"title" must be a string or a number, not an array'),
    ],
)
def test_jsonl_lines_that_are_not_articles(line, reason):
    assert only_problem(articles_from_upload("x.jsonl", line.encode())) == Problem("x.jsonl:1", reason)


def test_csv_reads_quoted_multiline_rows_and_reports_row_lines(tmp_path):
    path = write(tmp_path / "a.csv", 'Title,TEXT,extra\nT1,"Line one.\nLine two.",x\n,,\nT3,\nT4,Four.\n')
    items = list(iter_articles([path]))
    assert [(a.title, a.text, a.source) for a in items if isinstance(a, Article)] == [
        ("T1", "Line one.\nLine two.", f"{path}:2"),
        ("T4", "Four.", f"{path}:6"),
    ]
    assert [p for p in items if isinstance(p, Problem)] == [Problem(f"{path}:5", 'empty "text"')]


def test_csv_field_larger_than_the_default_csv_limit(tmp_path):
    text = "word " * 40_000  # 200 KB, over the csv module's default 128 KB field limit
    article = only_article(iter_articles([write(tmp_path / "a.csv", f'text\n"{text}"\n')]))
    assert article.text == text


def test_csv_problems(tmp_path):
    no_text = write(tmp_path / "a.csv", "title,body\nT,B\n")
    assert only_problem(iter_articles([no_text])) == Problem(
        f"{no_text}:1", "no 'text' column in the CSV header (found: title, body)"
    )
    header_only = write(tmp_path / "b.csv", "text,title\n")
    assert only_problem(iter_articles([header_only])).reason == "no rows after the CSV header"


def test_stdin_reads_jsonl_from_the_given_stream():
    stream = io.StringIO('{"text": "From stdin."}\nnot json\n')
    article, problem = iter_articles(["-"], stdin=stream)
    assert (article.text, article.source) == ("From stdin.", "<stdin>:1")
    assert problem.source == "<stdin>:2"


# --- folders and paths


def test_folders_are_read_recursively_in_sorted_order_skipping_other_files(tmp_path):
    write(tmp_path / "b.txt", "B")
    write(tmp_path / "a" / "z.md", "AZ")
    write(tmp_path / "a" / "c.jsonl", '{"text": "AC"}\n')
    write(tmp_path / "a" / "notes.pdf", b"%PDF-1.4\x00")
    write(tmp_path / "c.csv", "text\nC\n")
    write(tmp_path / ".hidden" / "h.txt", "H")
    assert [a.text for a in read_articles([tmp_path])] == ["AC", "AZ", "B", "C"]


def test_path_problems(tmp_path):
    explicit = write(tmp_path / "notes.pdf", "text")
    assert only_problem(iter_articles([explicit])).reason.startswith("unsupported file type .pdf: expected one of")
    assert only_problem(iter_articles([tmp_path / "absent.txt"])).reason == "no such file or folder"
    (tmp_path / "empty_dir").mkdir()
    assert only_problem(iter_articles([tmp_path / "empty_dir"])).reason.startswith("no .txt, .md")
    assert only_problem(articles_from_upload("upload.docx", b"x")).source == "upload.docx"


def test_a_single_path_is_not_taken_for_a_list_of_characters(tmp_path):
    path = write(tmp_path / "a.txt", "Alone.")
    assert only_article(iter_articles(str(path))).text == "Alone."


# --- bad content


@pytest.mark.parametrize("name", ["a.txt", "a.html", "a.jsonl", "a.csv"])
@pytest.mark.parametrize("content", [b"", b"  \n\n "])
def test_empty_files(tmp_path, name, content):
    path = write(tmp_path / name, content)
    assert only_problem(iter_articles([path])) == Problem(str(path), "empty file")


@pytest.mark.parametrize("name", ["a.txt", "a.jsonl", "a.csv"])
def test_binary_files_with_nul_bytes(tmp_path, name):
    path = write(tmp_path / name, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 10)
    assert only_problem(iter_articles([path])).reason == "binary file (contains NUL bytes), not text"


def test_binary_file_of_control_characters(tmp_path):
    path = write(tmp_path / "a.txt", bytes(range(1, 32)) * 20 + b"some text")
    assert only_problem(iter_articles([path])).reason == "binary file (mostly control characters), not text"


def test_undecodable_text(tmp_path):
    path = write(tmp_path / "a.txt", codecs.BOM_UTF16_LE + b"\x00\xd8")  # UTF-16 mark, then a lone surrogate
    assert "cannot be decoded as utf-16" in only_problem(iter_articles([path])).reason


def test_size_limits(tmp_path):
    big = write(tmp_path / "big.txt", "x" * 101)
    too_big = only_problem(iter_articles([big], max_bytes=100))
    assert too_big.reason == "larger than the 0.0001 MB limit for one document"
    assert only_article(iter_articles([big], max_bytes=101)).text == "x" * 101
    lines = write(tmp_path / "a.jsonl", '{"text": "short"}\n{"text": "' + "y" * 200 + '"}\n{"text": "after"}\n')
    items = list(iter_articles([lines], max_bytes=100))
    assert [i.text for i in items if isinstance(i, Article)] == ["short", "after"]
    assert [i for i in items if isinstance(i, Problem)] == [
        Problem(f"{lines}:2", "line is longer than the 0.0001 MB limit")
    ]
    rows = write(tmp_path / "a.csv", "text\nshort\n" + "z" * 200 + "\nafter\n")
    items = list(iter_articles([rows], max_bytes=100))
    assert [i.text for i in items if isinstance(i, Article)] == ["short"]
    assert items[-1].source == f"{rows}:3"
    assert items[-1].reason.endswith("the rest of the file is skipped")


# --- uploads and pasted text


def test_upload_takes_the_same_path_as_a_file(tmp_path):
    data = RUSSIAN_SHORT.encode("cp1251")
    from_disk = only_article(iter_articles([write(tmp_path / "same.txt", data)]))
    uploaded = only_article(articles_from_upload("same.txt", data))
    assert (uploaded.id, uploaded.text, uploaded.title) == (from_disk.id, from_disk.text, from_disk.title)
    assert uploaded.source == "same.txt"
    html = only_article(articles_from_upload("page.HTML", ARTICLE_HTML.encode()))
    assert html.title == "Talks resume in Istanbul"


def test_pasted_text():
    article = article_from_text("  Headline\n\nBody.  ", outlet="Reuters", url="https://reuters.com/x")
    assert (article.title, article.text, article.outlet, article.url) == (
        "Headline", "Headline\n\nBody.", "Reuters", "https://reuters.com/x"
    )
    assert article_from_text("Body.", title="Given").title == "Given"
    with pytest.raises(InputError, match="pasted text: empty text"):
        article_from_text(" \n ")


# --- the real corpus


def test_reads_the_tass_corpus(shared_dir):
    files = sorted((shared_dir / "corpus" / "tass").glob("*.jsonl"))
    if not files:
        pytest.skip("no TASS corpus")
    articles = read_articles(files)
    assert len(articles) >= 6
    assert all(a.id.startswith("tass-") and len(a.text) > 200 and a.outlet == "TASS" for a in articles)


# --- parts: the input cut for workers that read it themselves


def mixed_inputs(tmp_path):
    """A folder of small files, a JSONL file with every kind of line, a CSV file, and a path that is missing."""
    folder = tmp_path / "docs"
    for n in range(5):
        write(folder / f"{n}.txt", f"Headline {n}\n\nThe minister said on day {n} that talks go on.")
    lines = [codecs.BOM_UTF8 + json.dumps({"text": "First line after a mark."}).encode(), b"", b"   ",
             json.dumps({"text": RUSSIAN_SHORT, "outlet": "TASS"}, ensure_ascii=False).encode(), b"{not json",
             json.dumps({"text": RUSSIAN_SHORT}, ensure_ascii=False).encode("cp1251"), b'{"text": "' + b"y" * 300 + b'"}',
             *(json.dumps({"id": f"a{n}", "text": f"Article {n} body."}).encode() for n in range(20))]
    records = write(tmp_path / "many.jsonl", b"\n".join(lines) + b"\n")
    table = write(tmp_path / "rows.csv", "text,outlet\n" + "".join(f'"Row {n}, quoted.",Example\n' for n in range(10)))
    return [folder, records, table, tmp_path / "absent.jsonl"]


def test_parts_read_in_order_give_exactly_the_articles_of_iter_articles(tmp_path):
    inputs = mixed_inputs(tmp_path)
    expected = list(iter_articles(inputs, max_bytes=250))
    cut = list(parts(inputs, max_bytes=250, part_bytes=150))
    assert [item for part in cut for item in part.read(250)] == expected
    ranges = [part for part in cut if isinstance(part, Lines)]
    assert len(ranges) > 3 and ranges[0].first == 1 and ranges[0].start == 0
    assert all(a.stop == b.start for a, b in zip(ranges, ranges[1:]))  # consecutive, nothing skipped
    assert any(isinstance(part, Items) for part in cut)  # the CSV file, read here
    assert max(len(part.paths) for part in cut if isinstance(part, Files)) > 1  # small files grouped
    assert [pickle.loads(pickle.dumps(part)) for part in cut] == cut  # sent to workers as they are
    problems = [item.source for item in expected if isinstance(item, Problem)]
    assert problems == [f"{inputs[1]}:5", f"{inputs[1]}:7", str(inputs[3])]  # line numbers kept across ranges


@pytest.mark.parametrize("content", [b" \n" * 200, b"\x00binary\n" * 50])
def test_a_large_jsonl_file_that_is_blank_or_binary_is_one_problem_in_parts(tmp_path, content):
    path = write(tmp_path / "big.jsonl", content)
    items = [item for part in parts([path], part_bytes=64) for item in part.read()]
    assert items == list(iter_articles([path])) and len(items) == 1 and isinstance(items[0], Problem)
