"""records.py normalisers: behaviour pinned where importers changed them."""
from __future__ import annotations

import re

import pytest

from searchflow.records import clean_text, normalise_author, normalise_issue, normalise_journal, normalise_pages


# ---------------------------------------------------------------- clean_text fast path (RIS importer)

@pytest.mark.parametrize("value", [
    "Plain title", "  padded  ", "double  space", "tab\tinside", "line\nbreak", "no\xa0break space",
    "ideographic\u3000space", "trailing\r", "<i>Escherichia</i> coli &amp; friends", "Ends with space ",
    "", "x",
])
def test_clean_text_fast_path_matches_whitespace_collapse(value):
    """Skipping the split/join when nothing needs collapsing must not change any result."""
    expected = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", value).replace("&amp;", "&")).strip()
    assert clean_text(value) == expected


# ---------------------------------------------------------------- normalise_author suffix guard

@pytest.mark.parametrize("raw, expected", [
    ("Smith, J.A., Jr.", "Smith, JA"),
    ("Smith, John III", "Smith, J"),
    ("Smith, John, Sr", "Smith, J"),
    ("Smith, Ivo", "Smith, I"),            # a given name ending in "IV"-like letters is not a suffix
    ("Smith,, J", "Smith, J"),             # stray comma still stripped without a suffix
    ("Carriker, M. A., jr.", "Carriker, MA"),   # Web of Science writes the suffix in lower case
    ("Brown, Ivy, SR", "Brown, I"),
])
def test_normalise_author_suffixes(raw, expected):
    assert normalise_author(raw) == expected


# ---------------------------------------------------------------- journal names

@pytest.mark.parametrize("raw, expected", [
    ("JOURNAL OF INFORMETRICS", "Journal of Informetrics"),
    ("AMERICAN JOURNAL OF SCIENCE AND THE ARTS", "American Journal of Science and the Arts"),
    ("THE LANCET", "The Lancet"),                      # a small word leading the name keeps its capital
    ("BMJ", "BMJ"),                                    # short upper-case names are acronyms
    ("BMC Public Health", "BMC Public Health"),        # mixed case is kept as written
])
def test_upper_case_journal_names_are_title_cased(raw, expected):
    assert normalise_journal(raw) == expected

# every test here runs on each store backend (tests/conftest.py)
pytestmark = pytest.mark.usefixtures("store_backend")


@pytest.mark.parametrize("raw, expected", [
    ("4", "4"), (" Supplement 3 ", "Supplement 3"), ("SPEC. ISSUE", "SPEC. ISSUE"),
    ("2 Suppl. 1 (Abstracts of the 12th European Congress of Internal Medicine)",
     "2 Suppl. 1 (Abstracts of the 12th European Congress of Internal Medicine)"),
    ("(Waters N.C., norman.waters@example.org) Army Malaria Institute, Enoggera, Australia", ""),
    ("eag, 7805975", ""),                  # Ovid MEDLINE's NLM journal id
])
def test_an_issue_that_is_an_address_is_dropped(raw, expected):
    assert normalise_issue(raw) == expected


# ---------------------------------------------------------------- pages placeholders

@pytest.mark.parametrize("start, end", [("No", "Specified"), ("N.PAG", "N.PAG"), ("n.pag", "")])
def test_no_pagination_placeholders(start, end):
    assert normalise_pages(start, end) == ""
