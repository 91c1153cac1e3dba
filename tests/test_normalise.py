"""Normalisation shared by every importer: the forms dedup and counts compare."""
from __future__ import annotations

import pytest

from searchflow.records import (
    author_key, clean_text, fold, normalise_author, normalise_doi, normalise_issns,
    normalise_pages, normalise_pmcid, normalise_pmid, normalise_type, normalise_year,
)


@pytest.mark.parametrize("raw, expected", [
    ("10.1186/S12889-018-6349-X", "10.1186/s12889-018-6349-x"),
    ("http://dx.doi.org/10.1136/bmjopen-2016-015203", "10.1136/bmjopen-2016-015203"),
    ("https://doi.org/10.1111/hsc.12839.", "10.1111/hsc.12839"),
    ("doi:10.3399/bjgp18X696617", "10.3399/bjgp18x696617"),
    ("10.1016/j.jad.2019.01.001 [doi]", "10.1016/j.jad.2019.01.001"),
    ("https://doi.org/10.1002%2Fhsc.1", "10.1002/hsc.1"),
    ("S0140-6736(19)30001-1 [pii]", ""),
    ("", ""),
])
def test_doi(raw, expected):
    assert normalise_doi(raw) == expected


@pytest.mark.parametrize("raw, expected", [
    ("2019//", 2019), ("2022/11/05/", 2022), ("2024///", 2024), ("2020 Feb", 2020),
    ("DEC 16 2020", 2020), ("Spring 1998", 1998), ("SEP 22", None), ("", None), (2017, 2017),
])
def test_year(raw, expected):
    assert normalise_year(raw) == expected


@pytest.mark.parametrize("start, end, expected", [
    ("623-31", None, "623-631"), ("623", "31", "623-631"), ("1844", "1851", "1844-1851"),
    ("e338", "e347", "e338-e347"), ("No", "Specified", ""), ("No Pagination Specified", None, ""),
    ("98", None, "98"), ("123", "123", "123"), ("1199\u20131205", None, "1199-1205"),
])
def test_pages(start, end, expected):
    assert normalise_pages(start, end) == expected


@pytest.mark.parametrize("raw, expected", [
    ("Liu R.", "Liu, R"), ("Adler D.G.", "Adler, DG"), ("Yang, Z.", "Yang, Z"),
    ("Trindade, Ines A", "Trindade, IA"), ("Smith JA", "Smith, JA"), ("Sampson, SD", "Sampson, SD"),
    ("Martínez, José Antonio", "Martínez, JA"), ("O'Brien, Nicola", "O'Brien, N"),
    ("Boylan, Anne-Marie", "Boylan, AM"), ("van der Berg, Jan", "van der Berg, J"),
    ("Jane A. Smith", "Smith, JA"), ("Ludwig van Beethoven", "van Beethoven, L"),
    ("WHO Collaborative Group on Hormonal Factors", "WHO Collaborative Group on Hormonal Factors"),
])
def test_author(raw, expected):
    assert normalise_author(raw) == expected


def test_author_key_folds_diacritics_for_matching_only():
    assert author_key(normalise_author("Martínez, José")) == author_key(normalise_author("Martinez J"))
    assert normalise_author("Martínez, José") == "Martínez, J"   # display keeps them
    assert fold("Inês Ñandú") == "ines nandu"


def test_issn_forms():
    assert normalise_issns(["20411723 (ISSN)", "0894-9867, 0894-9867", "1471-2458 (Electronic)", "1742395x"]) == [
        "2041-1723", "0894-9867", "1471-2458", "1742-395X"]


def test_ids():
    assert normalise_pmid("PMID: 030670001") == "30670001"
    assert normalise_pmid("") == ""
    assert normalise_pmcid("pmc 6341234") == "PMC6341234"


@pytest.mark.parametrize("values, expected", [
    (("JOUR", "Erratum"), "erratum"), (("JOUR", "Article in Press"), "article"),
    (("Journal Article", "Review"), "review"), (("Conference Abstract",), "conference abstract"),
    (("CHAP",), "chapter"), (("THES",), "thesis"), (("Published Erratum", "Journal Article"), "erratum"),
    (("Comment", "Journal Article"), "comment"), (("Case Reports",), "article"), ((None, ""), ""),
])
def test_publication_type(values, expected):
    assert normalise_type(*values) == expected


def test_clean_text_flattens_markup():
    assert clean_text("<i>In vitro</i> &amp; <sup>2</sup>H\n  study ") == "In vitro & 2H study"
