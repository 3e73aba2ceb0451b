"""The outlet registry: the shipped CSV, lookups by name, alias, domain and URL, and clear errors for bad files."""

from __future__ import annotations

import pytest

from annotator.sources import KINDS, RegistryError, load_registry

REQUIRED = {
    "state_media": [
        "TASS", "RIA Novosti", "RT", "Sputnik", "Rossiya-1", "Channel One", "Izvestia", "Zvezda", "Xinhua", "CGTN",
        "Global Times", "China Daily", "People's Daily", "PressTV", "IRNA", "Tasnim", "BelTA", "KCNA", "Telesur",
        "SANA",
    ],
    "official": [
        "Kremlin", "Russian Foreign Ministry", "Russian Defence Ministry",
        "Office of the President of Ukraine",
        "Ukrainian Foreign Ministry", "Ukrainian Defence Ministry", "Chinese Foreign Ministry",
        "Taiwan Ministry of National Defense", "Iranian Foreign Ministry", "President of Belarus",
        "US State Department", "White House",
    ],
    "independent": [
        "Reuters", "Associated Press", "AFP", "BBC", "Kyiv Independent", "Ukrainska Pravda", "Interfax-Ukraine",
        "Meduza", "Novaya Gazeta Europe", "The Guardian", "Al Jazeera", "Deutsche Welle",
        "Radio Free Europe/Radio Liberty", "France 24", "Iran International", "Taipei Times", "El Pais",
        "Jeune Afrique", "Times of Israel", "Haaretz",
    ],
}
HEADER = "name,aliases,domains,kind,country,reference\n"


@pytest.fixture(scope="module")
def registry():
    return load_registry()


@pytest.mark.parametrize("kind,name", [(kind, name) for kind, names in REQUIRED.items() for name in names])
def test_required_outlets_resolve_by_their_primary_name(registry, kind, name):
    source = registry.lookup(outlet=name)
    assert source is not None and source.name == name
    assert source.kind == kind


def test_counts_per_kind_meet_the_floors(registry):
    counts = registry.frame()["kind"].value_counts()
    assert counts["state_media"] >= 45
    assert counts["official"] >= 25
    assert counts["independent"] >= 20
    assert set(counts.index) == set(KINDS)


def test_every_row_says_where_its_classification_comes_from(registry):
    frame = registry.frame()
    assert list(frame.columns) == ["name", "aliases", "domains", "kind", "country", "reference"]
    assert frame["reference"].str.len().min() > 10
    assert frame["country"].str.fullmatch(r"[A-Z]{2}|INT").all()


@pytest.mark.parametrize(
    "outlet,expected",
    [
        ("ria novosti", "RIA Novosti"),
        ("RIA-Novosti", "RIA Novosti"),
        ("  Russia Today ", "RT"),
        ("Pervyi Kanal", "Channel One"),
        ("Первый канал", "Channel One"),
        ("El País", "El Pais"),
        ("Guardian", "The Guardian"),
        ("the white house", "White House"),
        ("RFE/RL", "Radio Free Europe/Radio Liberty"),
        ("tass.com", "TASS"),
        ("https://www.rt.com/news/1", "RT"),
        ("en.kremlin.ru (Presidential Executive Office)", "Kremlin"),
        ("president.gov.ua (Office of the President of Ukraine)", "Office of the President of Ukraine"),
    ],
)
def test_names_aliases_and_bare_domains_match_loosely(registry, outlet, expected):
    assert registry.lookup(outlet=outlet).name == expected


@pytest.mark.parametrize(
    "url,expected",
    [
        ("http://en.kremlin.ru/events/president/news/68700", "Kremlin"),
        ("https://WWW.TASS.com/politics/1894077", "TASS"),
        ("https://english.news.cn/20250101/abc.html", "Xinhua"),
        ("https://www.fmprc.gov.cn/eng/xw/", "Chinese Foreign Ministry"),
        ("https://english.www.gov.cn/news/", "State Council of China"),
        ("https://ec.europa.eu/commission/presscorner", "European Commission"),
        ("https://www.consilium.europa.eu/en/press/", "European Union"),
        ("https://news.un.org/en/story/2025/01/1", "United Nations"),
        ("tass.ru/politika/1", "TASS"),
    ],
)
def test_url_hosts_walk_up_to_a_registered_domain(registry, url, expected):
    assert registry.lookup(url=url).name == expected


def test_a_known_url_wins_over_the_outlet_name(registry):
    assert registry.lookup(outlet="Reuters", url="https://tass.com/world/1").name == "TASS"
    assert registry.lookup(outlet="Reuters", url="https://news.example.org/1").name == "Reuters"


def test_unknown_outlets_are_independent(registry):
    assert registry.lookup(outlet="The Daily Example", url="https://example.org/a") is None
    assert registry.kind_of(outlet="The Daily Example", url="https://example.org/a") == "independent"
    assert registry.kind_of() == "independent"
    assert registry.kind_of(url="https://com/") == "independent"  # a bare TLD never matches
    assert registry.kind_of(outlet="Sputnik") == "state_media"
    assert registry.kind_of(url="https://mil.ru/") == "official"


def test_load_registry_reads_another_file_and_notices_changes(tmp_path):
    # The rewrite changes the file's size, so the cache sees it even within one timestamp tick.
    path = tmp_path / "sources.csv"
    path.write_text(HEADER + "Example Wire,EW,example.org,state_media,XX,test row\n", encoding="utf-8")
    assert load_registry(path).kind_of(outlet="EW") == "state_media"
    path.write_text(HEADER + "Example Wire,EW,example.org,official,XX,test row\n", encoding="utf-8")
    assert load_registry(path).kind_of(url="https://www.example.org/x") == "official"


@pytest.mark.parametrize(
    "rows,message",
    [
        ("A,,a.org,state_media,RU,ref\nB,,b.org,propaganda,RU,ref\n", "sources.csv:3 (B): unknown kind 'propaganda'"),
        ("A,,a.org,state_media,RU,ref\nA,,b.org,official,RU,ref\n",
         "sources.csv:3 (A): duplicate name or alias 'A', already used by line 2 (A)"),
        ("A,Ay,a.org,state_media,RU,ref\nB,A-Y,b.org,official,RU,ref\n",
         "sources.csv:3 (B): duplicate name or alias 'A-Y', already used by line 2 (A)"),
        ("A,,a.org,state_media,RU,ref\nB,,a.org,official,RU,ref\n", "sources.csv:3 (B): duplicate domain 'a.org'"),
        ("A,The A,a.org,state_media,RU,ref\n", "duplicate name or alias 'The A', already used by this row"),
        ("A,,https://a.org/x,state_media,RU,ref\n", "sources.csv:2 (A): domain 'https://a.org/x' is not a bare domain"),
        ("A,,www.a.org,state_media,RU,ref\n", "domain 'www.a.org' is not a bare domain"),
        ("A,,a.org,state_media,Russia,ref\n", "country 'Russia' is not an ISO 3166 alpha-2 code or INT"),
        ("A,,a.org,state_media,RU,\n", "sources.csv:2 (A): empty reference"),
        (",,a.org,state_media,RU,ref\n", "sources.csv:2 (no name): empty name"),
        ("", "has no rows"),
    ],
)
def test_a_malformed_registry_names_the_row_and_the_fault(tmp_path, rows, message):
    path = tmp_path / "sources.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    with pytest.raises(RegistryError) as caught:
        load_registry(path)
    assert message in str(caught.value)


def test_missing_columns_or_file_are_clear_errors(tmp_path):
    path = tmp_path / "sources.csv"
    path.write_text("name,kind\nA,official\n", encoding="utf-8")
    with pytest.raises(RegistryError, match=r"missing column\(s\) aliases, domains, country, reference"):
        load_registry(path)
    with pytest.raises(RegistryError, match="cannot read the source registry"):
        load_registry(tmp_path / "absent.csv")
