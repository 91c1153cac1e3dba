"""Matching forms of each field: what two exports of one article have in common.

Every function here takes one raw value and returns the form that comparisons
use; :func:`prepare` applies them to a whole records table at once. Display
values are never changed: these forms only decide which records are one work.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

import numpy as np
import pandas as pd

from ..records import COLLECTIVE_WORDS, PARTICLES, clean_text, fold, normalise_doi, normalise_pmcid, \
    normalise_pmid, normalise_year

# Input columns the engine understands; missing ones are treated as empty.
INPUT_COLUMNS = (
    "id", "title", "authors", "year", "journal", "journal_abbrev", "volume", "issue", "pages",
    "doi", "pmid", "pmcid", "accession", "issn", "isbn", "type", "abstract",
)

# ------------------------------------------------------------------ title

# "[Chinese]", "[Article in German]", "[published erratum appears in ...]", "(author's transl)"
_BRACKET_TAG_RE = re.compile(
    r"\[(?:[^\]]*\b(?:article in|in (?:chinese|german|french|spanish|russian|japanese)|"
    r"published erratum|erratum|comment|see comments|letter|abstract|review|corrected|retracted|"
    r"author's transl)\b[^\]]*|[a-z]+(?: and [a-z]+)?)\]",
    re.IGNORECASE,
)
# "[Erratum appears in J Pediatr. 2003 Jun ..." notes, often cut off before their closing bracket
_NOTE_TAIL_RE = re.compile(r"\[\s*(?:erratum|comment|retraction|corrected|update|see|republished|expression)[^\]]*(?:\]|$)",
                           re.IGNORECASE)
_AUTHOR_TRANSL_RE = re.compile(r"\((?:author'?s'? transl|authors' transl)\)", re.IGNORECASE)
_REFS_RE = re.compile(r"[\[(]?\b\d+\s+refs?\b[\])]?", re.IGNORECASE)    # "[57 refs]" tails
_AE_RE = re.compile(r"\b(h|an|septic|leuk|)ae")
_OE_RE = re.compile(r"\boe(?=[sdn])")
_ISE_RE = re.compile(r"(?<=[a-z])is(ation|ed|ing|e)\b")
_NON_ALNUM_RE = re.compile(r"[\W_]+")   # letters of any script stay: Cyrillic and Chinese titles match too
_SPACES_RE = re.compile(r"\s+")


def title_key(title: Any) -> str:
    """Lower-case ASCII words of a title: no markup, language tags, punctuation or diacritics."""
    text = clean_text(_text(title))
    if not text:
        return ""
    if "[" in text or "(" in text or "ref" in text:
        text = _CORRECTION_TAIL_RE.sub(" ", text)
        text = _NOTE_TAIL_RE.sub(" ", text)
        text = _REFS_RE.sub(" ", text)
        text = _BRACKET_TAG_RE.sub(" ", text)
        text = _AUTHOR_TRANSL_RE.sub(" ", text)
    text = fold(text).replace("&", " and ")
    # British/American spelling pairs that differ between databases (haem/hem, -isation/-ization)
    if "ae" in text:
        text = _AE_RE.sub(r"\1e", text)
    if "oe" in text:
        text = _OE_RE.sub("e", text)
    text = _ISE_RE.sub(r"iz\1", text)
    return " ".join(_NON_ALNUM_RE.sub(" ", text).split())


# Titles every journal prints in every issue: they say nothing about which work a record is
# (matching forms, as title_key gives them). A title of GENERIC_MAX_WORDS words or fewer is generic too.
GENERIC_TITLES = frozenset({
    "editorial", "editorials", "guest editorial", "editor s comments", "from the editor", "erratum", "errata",
    "correction", "corrections", "corrigendum", "reply", "author s reply", "authors reply", "letter", "letters",
    "letter to the editor", "letters to the editor", "abstracts", "meeting abstracts", "conference abstracts",
    "poster abstracts", "commentary", "comment", "in this issue", "announcements", "announcement", "index",
    "author index", "subject index", "contents", "table of contents", "news", "book review", "book reviews",
    "introduction", "foreword", "preface", "obituary", "acknowledgements", "acknowledgement of reviewers",
    "reviewer acknowledgement", "thank you to our reviewers", "notice of retraction", "retraction",
    "expression of concern", "correspondence", "highlights", "abstracts of papers",
})
GENERIC_MAX_WORDS = 3


def generic_title(title_matching: str) -> bool:
    """A title that recurs in every issue ("Editorial", "In this issue") or is 3 words or fewer."""
    return bool(title_matching) and (title_matching in GENERIC_TITLES
                                     or title_matching.count(" ") < GENERIC_MAX_WORDS)


_NOTICE_RE = re.compile(
    r"^(?:erratum|errata|correction|corrigendum|corrigenda|retraction|retracted|"
    r"notice of retraction|expression of concern|withdrawn)\b", re.IGNORECASE)
# "Re: ...", "Reply to ...", "Comment on ...", "Response to the letter ..." (not "Response to ketamine ...")
_RESPONSE_RE = re.compile(
    r"^(?:re\s*:|(?:in\s+)?(?:reply|replies|author'?s'?\s+reply|rebuttal)\b|"
    r"(?:comment|comments|commentary)\s*(?::|on\b)|(?:correspondence|letter)\s*:|"
    r"(?:in\s+)?(?:response|responses)\s*(?::|to\s+(?:the\s+)?(?:letter|editor|comment|commentary|authors?|"
    r"correspondence|critique|criticism)))", re.IGNORECASE)
# Web of Science titles a correction with the corrected article's citation: "X (vol 85, pg 553, 2010)"
_CORRECTION_TAIL_RE = re.compile(r"\(\s*vol\.?\s*\d+\s*,\s*pg\.?\s*\w+\s*,\s*\d{4}\s*\)\s*\.?\s*$", re.IGNORECASE)
_RESPONSE_TAIL_RE = re.compile(r"\b(?:reply|response to|comment on|authors' reply|author reply)\s*$", re.IGNORECASE)

# Publication kinds that are never the same work as the article they concern.
NOTICE, RESPONSE, CONFERENCE, ARTICLE = "notice", "response", "conference", "article"
# Kinds that agree with both an article and a conference abstract.
SUPPLEMENT, UNKNOWN = "supplement", "unknown"


def record_kind(type_: Any, title: Any, journal: Any = "", volume: Any = "", issue: Any = "",
                pages: Any = "", page_span: tuple[str, str] | None = None) -> str:
    """notice (erratum, retraction), response (comment, reply), conference (abstract, paper), article,
    or supplement / unknown when the record cannot tell (these agree with any kind).

    Looks at the publication type, then at title openings ("Erratum:", "Reply to ...")
    and at journal/issue wording ("Conference:", "Supplement") that vendors use when
    the type is missing.
    """
    type_kind = _type_kind(_text(type_))
    if type_kind in (NOTICE, RESPONSE):
        return type_kind
    title_text = _text(title)
    if title_text:
        if _NOTICE_RE.match(title_text) or ("pg" in title_text and _CORRECTION_TAIL_RE.search(title_text)):
            return NOTICE
        if _RESPONSE_RE.match(title_text) or _RESPONSE_TAIL_RE.search(title_text):
            return RESPONSE
    if type_kind == CONFERENCE:
        return CONFERENCE
    pages_text = _text(pages)
    first, last = page_span if page_span is not None else page_range(pages_text)
    # only the shape of the pages matters below: no pages, one page, a range, a supplement's "S12"
    shape = "suppl" if _SUPPLEMENT_RE.search(fold(pages_text)) else ("one" if first and (not last or last == first)
                                                                    else ("range" if first else ""))
    return _venue_kind(_text(journal), _text(volume), _text(issue), shape, type_kind == ARTICLE)


_TYPE_NOTICE_RE = re.compile(r"errat|correct|corrigend|retract|expression of concern")
_TYPE_RESPONSE_RE = re.compile(r"comment|reply|response")
_TYPE_CONFERENCE_RE = re.compile(r"conference|meeting|congress|proceeding|inproceedings|abstract|poster|cpaper|\bconf\b")
_VENUE_CONFERENCE_RE = re.compile(r"\b(?:conference|congress|meeting|symposium|proceedings|abstracts|annual scientific|"
                                  r"scientific sessions)\b")
_NUMBERING_CONFERENCE_RE = re.compile(r"meeting|abstracts?\b|conference|congress")    # "2 MeetingAbstract"
_SUPPLEMENT_RE = re.compile(r"\bsuppl|\bs\d")


@lru_cache(maxsize=1 << 16)
def _type_kind(type_: str) -> str:
    kind = fold(type_)
    if _TYPE_NOTICE_RE.search(kind):
        return NOTICE
    if _TYPE_RESPONSE_RE.search(kind):
        return RESPONSE
    if _TYPE_CONFERENCE_RE.search(kind):
        return CONFERENCE
    return ARTICLE if kind.strip() else ""


@lru_cache(maxsize=1 << 18)
def _venue_kind(journal: str, volume: str, issue: str, page_shape: str, typed_article: bool) -> str:
    if _VENUE_CONFERENCE_RE.search(fold(journal)):
        return CONFERENCE
    # a supplement issue holds meeting abstracts or ordinary papers; databases disagree on which
    numbering = fold(f"{volume} {issue}")
    if _NUMBERING_CONFERENCE_RE.search(numbering):
        return CONFERENCE
    if page_shape == "suppl" or _SUPPLEMENT_RE.search(numbering):
        return SUPPLEMENT
    # a single page may well be the printed meeting abstract, whatever the type says ("article" is
    # BibTeX's and RIS's default); without a type only a page range says "journal article"
    if page_shape == "one":
        return SUPPLEMENT
    if typed_article:
        return ARTICLE
    return ARTICLE if page_shape == "range" else UNKNOWN


# ------------------------------------------------------------------ parts, numbers, trials

_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9, "x": 10}
_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "first": 1, "second": 2, "third": 3}
_PART_RE = re.compile(r"\b(?:part|paper|study|phase|section|chapter|volume|series)\s+([0-9]+|[ivx]+|one|two|three|four|five|six)\b"
                      r"|\b(first|second|third)\s+(?:part|paper|report)\b")


def part_number(title_matching: str) -> int:
    """The part of a series a title names ("Part 2", "Part II", "second report"), or 0."""
    match = _PART_RE.search(title_matching)
    if not match:
        return 0
    value = match.group(1) or match.group(2)
    if value.isdigit():
        return int(value)
    return _ROMAN.get(value, _WORDS.get(value, 0))


_NUMBER_RE = re.compile(r"\b\d+\b")


def title_numbers(title_matching: str) -> str:
    """The numbers a title names, in order ("type 1" vs "type 2", "3-year" vs "5-year" follow-ups)."""
    return " ".join(_NUMBER_RE.findall(title_matching))


def numbers_agree(left: str, right: str) -> bool:
    """Same numbers, one title's numbers within the other's ("[45 refs]"), or "10 000" = "10000"."""
    if left == right or not left or not right:
        return True
    a, b = left.split(), right.split()
    return set(a) <= set(b) or set(b) <= set(a) or "".join(a) == "".join(b)


_TRIAL_RE = re.compile(
    r"\b(NCT\s?\d{8}|ISRCTN\s?\d{8}|ACTRN\s?\d{14}|ChiCTR[-\s]?[A-Z]{0,3}-?\d{6,12}|"
    r"CTRI/\d{4}/\d{2,3}/\d{6}|DRKS\s?\d{8}|NTR\s?\d{3,5}|IRCT\d{10,}N\d+|JPRN-[A-Z]+\d+|"
    r"EudraCT\s?(?:number|no\.?)?\s?:?\s?\d{4}-\d{6}-\d{2}|UMIN\d{9}|KCT\d{7}|PACTR\d{15})",
    re.IGNORECASE)


# registries' prefixes as written (a cheap test before the full pattern)
_TRIAL_HINT_RE = re.compile(r"NCT|ISRCTN|ACTRN|ChiCTR|CTRI/|DRKS|NTR|IRCT|JPRN|udra|UMIN|KCT|PACTR|nct\d")


def trial_ids(*texts: Any) -> str:
    """Trial registration numbers named in the texts, normalised and sorted (space-joined)."""
    found: set[str] = set()
    for text in texts:
        value = _text(text)
        if not value or not _TRIAL_HINT_RE.search(value):
            continue
        for match in _TRIAL_RE.findall(value):
            found.add(re.sub(r"[\s:.]|number|no", "", match.upper().replace("EUDRACT", "EUDRACT")))
    return " ".join(sorted(found))


# ------------------------------------------------------------------ authors

# "Adeli K.Lewis G. F." (ASySD/EndNote exports that lost their separators)
_GLUED_AUTHORS_RE = re.compile(r"[^.;]+?\s(?:[A-Z]\.\s?)+")
_GLUED_TEST_RE = re.compile(r"[a-z]\s(?:[A-Z]\.\s?)*[A-Z]\.[A-Z][a-z]")


def split_authors(value: Any) -> list[str]:
    """Author names from a list, "; "-joined, BibTeX " and "-joined or glued "Family I.Family I." text."""
    if isinstance(value, (list, tuple, np.ndarray)):
        names = [str(v) for v in value if str(v).strip()]
        if len(names) == 1 and _GLUED_TEST_RE.search(names[0]):
            return split_authors(names[0])
        return names
    text = _text(value).strip()
    if not text:
        return []
    if ";" in text:
        parts = text.split(";")
    elif " and " in text:
        parts = text.split(" and ")
    elif _GLUED_TEST_RE.search(text):
        parts = _GLUED_AUTHORS_RE.findall(text)
    elif "\n" in text:
        parts = text.split("\n")
    else:
        parts = [text]
    return [p.strip() for p in parts if p.strip() and p.strip().lower() not in {"et al", "et al.", "others"}]


_TRAILING_INITIALS_RE = re.compile(r"^([^,]+?)\s+((?:[A-Z]\.?[\s-]*){1,4})$")


_NOT_NAME_RE = re.compile(r"[^\w ]|[\d_]")


@lru_cache(maxsize=1 << 20)
def _author_key(name: str) -> str:
    """"smith j" from "Smith, John", "Smith JA", "Lewis G. F.", "John A. Smith"; collective names whole.

    Hand-written rather than records.normalise_author + author_key because dedup folds
    every author of every record: this is the same result in a quarter of the time.
    """
    name = name.strip(" .,;")
    if "," in name:
        family, _, given = name.partition(",")
    else:
        match = _TRAILING_INITIALS_RE.match(name)          # "Lewis G. F.", "Smith JA"
        tokens = name.split()
        if match:
            family, given = match.group(1), match.group(2)
        elif len(tokens) <= 1 or len(tokens) > 4 or any(t.lower() in COLLECTIVE_WORDS for t in tokens):
            family, given = name, ""
        else:                                               # "Jane A. Smith", "Ludwig van Beethoven"
            start = len(tokens) - 1
            while start > 1 and tokens[start - 1].lower() in PARTICLES:
                start -= 1
            family, given = " ".join(tokens[start:]), " ".join(tokens[:start])
    family = " ".join(_NOT_NAME_RE.sub("", fold(family)).split())
    initial = next((c for c in fold(given) if c.isalpha()), "")
    return f"{family} {initial}".strip()


_NO_AUTHOR = {"anonymous", "anon", "[anonymous]", "n/a", "na", "unknown", "no authorship indicated"}


def author_keys(value: Any) -> list[str]:
    """Matching form of each author: folded family name and first initial ("smith j"), as records.author_key."""
    keys = []
    for name in split_authors(value):
        if name.strip().lower() in _NO_AUTHOR:
            continue
        key = _author_key(name)
        if key and key not in keys:
            keys.append(key)
    return keys


def family_names(keys: list[str], limit: int = 8) -> str:
    """Family names only (initials differ between "J" and "Julia"), first ``limit`` authors."""
    return " ".join(k.rsplit(" ", 1)[0] if " " in k else k for k in keys[:limit])


def swapped_family_names(value: Any, limit: int = 8) -> str:
    """Family names as an export that swapped the name parts would give them ("Carignani, Andrea"
    written "Andrea, C."): the first given name where it is a whole word, else the family name."""
    out = []
    for name in split_authors(value)[:limit]:
        family, comma, given = name.partition(",")
        word = given.strip(" .").split(" ")[0].strip(".") if comma else ""
        if len(word) >= 2 and not word.isupper() and "." not in word:
            family = word
        folded = " ".join(_NOT_NAME_RE.sub("", fold(family)).split())
        if folded:
            out.append(folded)
    return " ".join(out)


def crossed_initials(left: Any, right: Any) -> float:
    """Share (0-100) of authors, in order, whose family name starts with the other's initial and
    whose initial starts the other's family name ("Carignani, A" and "Andrea, C"): names swapped
    by an export that kept only initials. Needs two authors at least: one pair of letters is chance."""
    a, b = author_keys(left), author_keys(right)
    if min(len(a), len(b)) < 2:
        return 0.0
    hits = 0
    for x, y in zip(a, b):
        fx, _, ix = x.rpartition(" ")
        fy, _, iy = y.rpartition(" ")
        hits += bool(fx and fy and ix and iy and fx[0] == iy and fy[0] == ix)
    return 100.0 * hits / max(len(a), len(b))


# ------------------------------------------------------------------ journal, volume, issue, pages

_JOURNAL_STOP = {"the", "of", "and", "for", "in", "on", "a", "an", "de", "la", "le", "des", "du", "und", "fur",
                 "journal", "j", "jour"}


def journal_key(value: Any) -> str:
    """Journal name with each word cut to 3 letters, so "Nat Rev Nephrol" meets "Nature Reviews Nephrology"."""
    text = fold(clean_text(_text(value)))
    text = re.split(r"\s*[.:]\s*(?:conference|meeting|congress)\b", text)[0]  # "Circulation. Conference: ..."
    text = re.sub(r"\(.*?\)|\[(?:electronic resource|internet|print|online)\]", " ", text).replace("&", " and ")
    words = [w for w in _NON_ALNUM_RE.sub(" ", text).split() if w not in _JOURNAL_STOP]
    return " ".join(w[:3] for w in words)


_VENUE_FILLER = _JOURNAL_STOP | {"proceedings", "annual", "th", "st", "nd", "rd"}


def venue_acronym(value: Any) -> str:
    """A meeting's acronym: written ("ICIS : Transforming Society") or from its words
    ("International Conference on Information Systems" -> "icis")."""
    text = clean_text(_text(value))
    for token in re.findall(r"\b[A-Z]{3,8}\b", text):
        if token not in {"IEEE", "ACM", "AIS", "III", "VII", "XII"}:
            return token.lower()
    words = [w for w in _NON_ALNUM_RE.sub(" ", fold(text)).split()
             if w not in _VENUE_FILLER and not any(c.isdigit() for c in w)]
    return "".join(w[0] for w in words) if len(words) >= 3 else ""


def acronyms_agree(left: str, right: str) -> bool:
    """"acis" and "amcis", "icis" and "icis": one within the other, in order, same first letter."""
    if not left or not right or left[0] != right[0]:
        return False
    short, long = sorted((left, right), key=len)
    letters = iter(long)
    return all(c in letters for c in short)


def journal_initials(key: str) -> str:
    return "".join(w[0] for w in key.split())


# "Ai zheng = Aizheng = Chinese journal of cancer": NLM writes a journal's titles in each
# language it is published in, joined by " = "; a part may carry a subtitle or a society
# ("CMAJ : Canadian Medical Association journal", "Prilozi / Makedonska akademija ...")
_PARALLEL_RE = re.compile(r"\s+=\s+")
_SUBTITLE_RE = re.compile(r"\s*:|\s+/\s+")


def parallel_titles(value: Any) -> list[str]:
    """Journal keys of every title a parallel-title journal name gives, whole and without subtitle;
    [] for an ordinary name."""
    text = _text(value)
    if " = " not in text:
        return []
    keys = [journal_key(text)]
    for part in _PARALLEL_RE.split(text):
        keys.append(journal_key(part))
        # a title cut to one word ("CMAJ", "Contributions") is a 3-letter key many journals share
        short = journal_key(_SUBTITLE_RE.split(part, maxsplit=1)[0])
        if " " in short:
            keys.append(short)
    return list(dict.fromkeys(k for k in keys if len(k) >= 3))


def journal_aliases(names: list[Any]) -> dict[str, str]:
    """Journal key -> one key for the journal, from the parallel-title names among ``names``.

    One database writes "Aizheng", another "Chinese Journal of Cancer", a third "Ai zheng =
    Aizheng = Chinese journal of cancer": the third says the first two are one journal. Only
    the names in the records themselves are used, no list of journals.
    """
    parent: dict[str, str] = {}

    def find(key: str) -> str:
        while parent.setdefault(key, key) != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    def rank(key: str) -> tuple[int, str]:    # the longest key names the group, whatever the order
        return len(key), key

    for name in {n for n in names if isinstance(n, str) and " = " in n}:
        keys = parallel_titles(name)
        for key in keys[1:]:
            left, right = find(keys[0]), find(key)
            if left != right:
                parent[min(left, right, key=rank)] = max(left, right, key=rank)
    return {key: find(key) for key in parent if find(key) != key}


_NO_VALUE = {"", "na", "n/a", "unknown", "none", "null", "nan", "-"}


def number_key(value: Any, first_only: bool = False) -> str:
    """Volume/issue digits ("Supplement 3" -> "3", "2/3" -> "2-3"); "" when there are none.

    ``first_only`` for volumes: "61 (Supplement 1)" is volume 61.
    """
    text = fold(_text(value)).strip()
    if text in _NO_VALUE:
        return ""
    digits = [d for d in re.findall(r"\d+", text) if len(d) <= 4]   # "e0143396" in an issue field is no issue
    return "-".join(d.lstrip("0") or "0" for d in digits[: 1 if first_only else 2])


def page_prefix(value: Any) -> str:
    """Letters before the first page: "e" (PLoS), "a"/"c" (BMJ article numbers), "s" (supplements)."""
    match = re.match(r"\s*([a-z]*)\s*\d", fold(_text(value)))
    return match.group(1) if match else ""


def page_bounds(first: str, last: str) -> tuple[int, int]:
    """Numeric (low, high) page interval, (-1, -1) when unknown; a reversed range is put right."""
    if not first.isdigit():
        return -1, -1
    low = int(first[-9:])
    high = int(last[-9:]) if last.isdigit() else low
    return min(low, high), max(low, high)


_PAGE_COUNT_RE = re.compile(r"^\d+\s*(?:p|pp|pages?)\.?$")     # "62 p": a thesis's length, not a page


# "01-Jun", "23-Jul": a spreadsheet read the range "1-6" ("7-23") as a date; day and month are
# the two pages, in an order that depends on the spreadsheet's locale
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_SPREADSHEET_DATE_RE = re.compile(rf"^(\d{{1,2}})-({'|'.join(_MONTHS)})$|^({'|'.join(_MONTHS)})-(\d{{1,2}})$")
# a page list with gaps (advertisements between the pages of one article)
_PAGE_LIST_RE = re.compile(r"^\d+(?:\s*-+\s*\d+)?(?:\s*,\s*\d+(?:\s*-+\s*\d+)?)+$")
_PLAIN_RANGE_RE = re.compile(r"\s*(\d{1,9})\s*(?:-+\s*(\d{1,9}))?\s*$")


def page_range(value: Any) -> tuple[str, str]:
    """(first, last) page as written without prefixes; "e1129-38" -> ("1129", "1138")."""
    text = _text(value)
    plain = _PLAIN_RANGE_RE.match(text)          # "309-24", "1014": most pages, the quick way
    if plain:
        first, last = plain.group(1), plain.group(2) or ""
        if last and len(last) < len(first):
            last = first[: len(first) - len(last)] + last
        return first.lstrip("0"), last.lstrip("0")
    text = fold(text).strip()
    if text in _NO_VALUE or "pagination" in text or _PAGE_COUNT_RE.match(text):
        return "", ""
    date = _SPREADSHEET_DATE_RE.match(text)
    if date:
        ends = sorted((int(date.group(1) or date.group(4)), _MONTHS.index(date.group(2) or date.group(3)) + 1))
        return str(ends[0]), str(ends[1])
    if _PAGE_LIST_RE.match(text):        # "532, 534-536, 538-540": the article runs from 532 to 540
        chunks = text.split(",")
        text = f"{re.split(r'-+', chunks[0])[0]}-{re.split(r'-+', chunks[-1])[-1]}"
    parts = [p for p in re.split(r"\s*(?:-+|\u2013|\u2014|\bto\b)\s*", text) if p]
    if not parts:
        return "", ""
    first = re.sub(r"[^0-9a-z]", "", parts[0])
    last = re.sub(r"[^0-9a-z]", "", parts[-1]) if len(parts) > 1 else ""
    first_digits = re.sub(r"^[a-z]+", "", first)
    last_digits = re.sub(r"^[a-z]+", "", last)
    if first_digits.isdigit() and last_digits.isdigit() and len(last_digits) < len(first_digits):
        last_digits = first_digits[: len(first_digits) - len(last_digits)] + last_digits
    return first_digits.lstrip("0"), last_digits.lstrip("0")


# ------------------------------------------------------------------ identifiers

def doi_key(value: Any) -> str:
    """Normalised DOI; Cochrane review versions (".pub2") are one work in the duplicate definition."""
    text = _text(value)
    doi = normalise_doi(unquote(text) if "%" in text else text)   # "%2817%29" in Embase links
    if doi.startswith("10.1002/14651858."):
        doi = re.sub(r"\.pub\d+$", "", doi)
    return doi


_COCHRANE_NUMBER_RE = re.compile(r"^\s*(CD\d{6})\s*$", re.IGNORECASE)


def cochrane_doi(pages: Any, journal: Any) -> str:
    """The review's DOI from its Cochrane number: databases put "CD006828" in the pages field.

    The number identifies a Cochrane review across its updates (as the DOI does without
    ".pub2"), so it serves as the DOI when a record has none.
    """
    match = _COCHRANE_NUMBER_RE.match(_text(pages))
    if not match or "cochrane" not in fold(_text(journal)):
        return ""
    return f"10.1002/14651858.{match.group(1).lower()}"


def accession_keys(value: Any) -> str:
    """Accession numbers shared across exports as "db:id" words (dict, "db:id; ..." text)."""
    if isinstance(value, dict):
        # "id" is a file's own record key (CSV importer), not an accession another export shares
        items = [f"{k}:{v}" for k, v in value.items() if v and k != "id"]
    else:
        items = [p.strip() for p in _text(value).split(";") if p.strip()]
    return " ".join(sorted(fold(i).replace(" ", "") for i in items))


# ------------------------------------------------------------------ the whole table

def prepare(records: pd.DataFrame) -> pd.DataFrame:
    """The matching form of every record, one row per input row, in input order."""
    df = records.reset_index(drop=True)
    n = len(df)

    def col(name: str) -> list[Any]:
        """A column as text, once (lists such as authors and dicts such as accession stay as they are)."""
        if name not in df.columns:
            return [""] * n
        return [v if isinstance(v, (list, dict)) else _text(v) for v in df[name].tolist()]

    titles = _each(title_key, col("title"))
    keys = [author_keys(a) for a in col("authors")]
    journal_keys = _each(journal_key, col("journal"))
    abbrevs = _each(journal_key, col("journal_abbrev"))
    aliases = journal_aliases(col("journal") + col("journal_abbrev"))
    if aliases:
        journal_keys = [aliases.get(k, k) for k in journal_keys]
        abbrevs = [aliases.get(k, k) for k in abbrevs]
    journals = [j or a for j, a in zip(journal_keys, abbrevs)]
    pages = _each(page_range, col("pages"))
    years = [normalise_year(_text(y)) for y in col("year")]
    out = pd.DataFrame({
        "title": titles,
        "title_compact": [t.replace(" ", "") for t in titles],
        "authors": [" ".join(k) for k in keys],
        "families": [family_names(k) for k in keys],
        "first_author": [k[0].rsplit(" ", 1)[0] if k else "" for k in keys],
        "author_count": np.array([len(k) for k in keys], dtype=np.int32),
        "year": np.array([y if y is not None else -1 for y in years], dtype=np.int32),
        "journal": journals,
        "journal_abbrev": [a or j for a, j in zip(abbrevs, journals)],
        "volume": _each(lambda v: number_key(v, first_only=True), col("volume")),
        # "58", not "1)" or "10 (11) (no pagination)": a clean volume is trusted more
        "volume_plain": _each(lambda v: bool(re.fullmatch(r"\s*\d+\s*", _text(v))), col("volume")),
        "issue": _each(number_key, col("issue")),
        "first_page": [p[0] for p in pages],
        "last_page": [p[1] for p in pages],
        "page_prefix": _each(page_prefix, col("pages")),
        "doi": [doi_key(d) or cochrane_doi(p, j) for d, p, j in zip(col("doi"), col("pages"), col("journal"))],
        "pmid": [normalise_pmid(_text(p)) for p in col("pmid")],
        "pmcid": [normalise_pmcid(_text(p)) for p in col("pmcid")],
        "accession": [accession_keys(a) for a in col("accession")],
        "kind": [record_kind(t, ti, j, v, i, p, pr) for t, ti, j, v, i, p, pr in zip(
            col("type"), col("title"), col("journal"), col("volume"), col("issue"), col("pages"), pages)],
        "part": np.array([part_number(t) for t in titles], dtype=np.int32),
        "numbers": [title_numbers(t) for t in titles],
        "trials": [trial_ids(t, a) for t, a in zip(col("title"), col("abstract"))],
        "abstract": [_abstract_key(a) for a in col("abstract")],
    })
    # "2016" in the volume field of a 2016 record (magazines numbered by year) is the year, not a volume
    year_text = out["year"].astype(str)
    out.loc[(out["volume"] == year_text) & (out["year"] > 0), "volume"] = ""
    # for the swapped-name comparison of the few close pairs: the names as written where an
    # importer kept only initials (tables.records_table)
    written = col("authors_written")
    out["authors_raw"] = [w or a for w, a in zip(written, col("authors"))]
    out["journal_initials"] = [journal_initials(j) for j in out["journal"]]
    out["venue_acronym"] = _each(venue_acronym, col("journal"))
    bounds = np.array([page_bounds(f, l) for f, l in pages], dtype=np.int64).reshape(-1, 2)
    out["page_low"], out["page_high"] = bounds[:, 0], bounds[:, 1]
    out["generic"] = np.array([generic_title(t) for t in titles], dtype=bool)
    # integer codes (0 = none) so blocking can drop pairs whose identifiers differ before comparing them
    out["title_code"] = _codes(out["title_compact"])
    out["pmid_code"] = _codes(out["pmid"])
    single = out["accession"].where(~out["accession"].str.contains(" ", regex=False), "")
    out["accession_code"] = _codes(single)
    out["accession_database"] = _codes(single.str.split(":").str[0].where(single != "", ""))
    return out


def _codes(values: pd.Series) -> np.ndarray:
    """1, 2, ... per distinct non-empty value; 0 for empty."""
    codes, _ = pd.factorize(values.where(values != "", None))
    return (codes + 1).astype(np.int64)


def _each(func, values: list[Any]) -> list[Any]:
    """func over values, computed once per distinct value (journals, volumes, pages repeat a lot)."""
    seen: dict[Any, Any] = {}
    out = []
    for value in values:
        key = value if isinstance(value, (str, int, float)) or value is None else repr(value)
        if key not in seen:
            seen[key] = func(value)
        out.append(seen[key])
    return out


def _abstract_key(value: Any) -> str:
    """First 300 characters of the folded abstract: enough to tell two abstracts apart, cheap to compare."""
    text = _text(value)[:400]
    if not text:
        return ""
    return _SPACES_RE.sub(" ", _NON_ALNUM_RE.sub(" ", fold(clean_text(text)))).strip()[:300]


_NA_TEXT = {"", "NA", "nan", "None", " "}


def _text(value: Any) -> str:
    """A cell as text; NaN, None and the literal "NA" of R exports are empty."""
    if type(value) is str:
        return "" if value in _NA_TEXT else value
    if value is None:
        return ""
    if isinstance(value, float):
        if value != value:
            return ""
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, (list, tuple)):
        return "; ".join(str(v) for v in value)
    text = str(value)
    return "" if text.strip() in {"NA", "nan", "None"} else text


def completeness(records: pd.DataFrame) -> np.ndarray:
    """How complete each record is: filled fields, plus a point for an abstract and a DOI."""
    score = np.zeros(len(records), dtype=np.float64)
    for name in INPUT_COLUMNS[1:] + ("abstract", "doi"):
        if name in records.columns:
            text = records[name].astype(object).fillna("").astype(str).str.strip()   # an all-empty column is float
            score += (~text.isin(_NA_TEXT | {"[]", "{}"})).to_numpy(dtype=np.float64)
    return score
