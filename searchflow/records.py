"""The source record and the normalisation every importer shares.

Each importer maps its vendor's tags onto a :class:`Record`; the functions here
turn the many spellings of a DOI, a year, an author, a page range or an ISSN
into one form, so that deduplication and counts compare like with like.
"""
from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Iterable

# Publication types, in reviewers' words. Dedup vetoes and flow counts rely on these values.
PUBLICATION_TYPES = (
    "article", "review", "erratum", "retraction", "comment", "editorial", "letter",
    "conference abstract", "conference paper", "book", "chapter", "thesis",
    "report", "preprint", "trial registration", "protocol", "dataset", "other",
)


@dataclass
class Record:
    """One record as one search delivered it: raw tags verbatim plus normalised fields."""

    raw: list[tuple[str, str]] = field(default_factory=list)
    line: int = 0                      # line of the file where the record starts (1-based)
    title: str = ""
    abstract: str = ""
    authors: list[str] = field(default_factory=list)   # "Family, GI" with diacritics kept
    year: int | None = None
    journal: str = ""
    journal_abbrev: str = ""
    volume: str = ""
    issue: str = ""
    pages: str = ""
    doi: str = ""
    pmid: str = ""
    pmcid: str = ""
    accession: dict[str, str] = field(default_factory=dict)  # e.g. {"embase": "L373791783"}
    issn: list[str] = field(default_factory=list)
    isbn: list[str] = field(default_factory=list)
    type: str = ""
    language: str = ""
    keywords: list[str] = field(default_factory=list)
    url: str = ""
    databases: list[str] = field(default_factory=list)       # as the record names them (Embase, Medline, psyh)


# ---------------------------------------------------------------- text

# Markup: an HTML/XML/JATS/MathML start or end tag, its attributes written name="value". Not any
# text in angle brackets: SICI DOIs ("...016<0169:iatick>2.3.co;2") and "p<0.05 ... >" are kept.
_TAG_RE = re.compile(
    r"</?[A-Za-z][\w:.-]*(?:\s+[\w:.-]+\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'<>]+))*\s*/?>"
)
_WS_RE = re.compile(r"\s+")


def clean_text(value: str | None) -> str:
    """Flatten inline markup and entities and collapse whitespace."""
    if not value:
        return ""
    if "<" in value:
        value = _TAG_RE.sub("", value)
    if "&" in value:
        value = html.unescape(value)
    if "  " not in value and value.isprintable():  # no tab, newline or odd space: nothing to collapse
        return value.strip()
    return " ".join(value.split())  # same whitespace set as \s+, 4x faster: importers call this per field


def fold(value: str) -> str:
    """Diacritics removed and lower-cased: the matching form (Ovid exports are ASCII-folded).

    Most text is ASCII already; skipping the Unicode decomposition for it matters when
    dedup folds every title and author of 100,000 records."""
    if value.isascii():
        return value.lower()
    value = unicodedata.normalize("NFKD", value)
    return "".join(c for c in value if not unicodedata.combining(c)).lower()


# ---------------------------------------------------------------- identifiers

_DOI_RE = re.compile(r"10\.\d{4,9}/\S+", re.IGNORECASE)


def normalise_doi(value: str | None) -> str:
    """Strip resolver prefixes, "doi:" and " [doi]" suffixes; lower-case (DOIs are case-insensitive)."""
    if not value:
        return ""
    if "&" in value or "%2" in value:       # HTML entities, URL-encoded slashes
        value = html.unescape(value).replace("%2F", "/").replace("%2f", "/")
    match = _DOI_RE.search(value)
    if not match:
        return ""
    doi = match.group(0).rstrip(".,;)]}>\"'")
    return doi.lower()


_PMID_RE = re.compile(r"\d{1,9}")


def normalise_pmid(value: str | None) -> str:
    if not value:
        return ""
    match = _PMID_RE.search(str(value))
    return match.group(0).lstrip("0") if match else ""


_STATED_PMID_RE = re.compile(r"(?:PMID|PubMed\s*ID|PUBMED)\s*:?\s*(\d{1,9})\.?", re.IGNORECASE)


def stated_pmid(values: Iterable[str]) -> str:
    """The PMID from the first value that is nothing but a PMID statement ("PMID: 12345678"): EndNote
    relays Scopus and PubMed records with it in a note or custom field. A PMID quoted inside longer
    text ("Erratum in: ... PMID: 35389171") belongs to another article and is not taken."""
    for value in values:
        match = _STATED_PMID_RE.fullmatch(value.strip())
        if match:
            return match.group(1).lstrip("0")
    return ""


_PMCID_RE = re.compile(r"PMC\s*(\d+)", re.IGNORECASE)


def normalise_pmcid(value: str | None) -> str:
    if not value:
        return ""
    match = _PMCID_RE.search(str(value))
    return f"PMC{match.group(1)}" if match else ""


_ISSN_RE = re.compile(r"\b(\d{4})-?(\d{3}[\dXx])\b")


def normalise_issns(values: Iterable[str]) -> list[str]:
    """Every ISSN in the values as NNNN-NNNX, once each, in order (vendors repeat and suffix them)."""
    seen: list[str] = []
    for value in values:
        for a, b in _ISSN_RE.findall(value or ""):
            issn = f"{a}-{b.upper()}"
            if issn not in seen:
                seen.append(issn)
    return seen


_ISBN_RE = re.compile(r"(?:97[89])?\d{9}[\dX]")


def normalise_isbns(values: Iterable[str]) -> list[str]:
    """Every ISBN-10/13 in the values, hyphens dropped, once each (one "isbn" field often mixes ISSNs and ISBNs)."""
    seen: list[str] = []
    for value in values:
        for token in re.split(r"[\s,;]+", value or ""):
            isbn = token.replace("-", "").upper()
            if _ISBN_RE.fullmatch(isbn) and isbn not in seen:
                seen.append(isbn)
    return seen


# ---------------------------------------------------------------- year, pages

_YEAR_RE = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d|21\d\d)(?!\d)")


def normalise_year(value: str | int | None) -> int | None:
    """The first plausible 4-digit year in "2019//", "2022/11/05/", "2020 Feb", "DEC 16 2020"."""
    if value is None:
        return None
    match = _YEAR_RE.search(str(value))
    return int(match.group(1)) if match else None


_DASH_RE = re.compile(r"([-\u2010-\u2015])")
_NO_PAGES = {"no pagination specified", "no pagination", "no specified", "n/a", "na", "-", "no", "n.pag"}  # n.pag: EBSCO


def normalise_pages(start: str | None, end: str | None = None) -> str:
    """"623-31" -> "623-631"; Ovid's "No" / "Specified" split placeholder -> ""."""
    start = (start or "").strip()
    end = (end or "").strip()
    if not (start.isdigit() and (not end or end.isdigit())):   # the usual "623", "631" skip the checks
        if f"{start} {end}".strip().lower() in _NO_PAGES or start.lower() in _NO_PAGES:
            return ""
        if not end and _DASH_RE.search(start):
            start, _, end = _DASH_RE.split(start, maxsplit=1)
            start, end = start.strip(), end.strip()
    if not end or end == start:
        return start
    if start.isdigit() and end.isdigit() and len(end) < len(start):
        end = start[: len(start) - len(end)] + end
    return f"{start}-{end}"


# ---------------------------------------------------------------- issue

_NLM_ID_RE = re.compile(r"\b\d{7,9}[A-Za-z]?\b")


def normalise_issue(value: str) -> str:
    """The issue as written, or "" where the field holds something else (every file importer
    asks): Ovid MEDLINE's RIS "IS  - eag, 7805975" is the NLM journal id, and Embase records
    through EndNote can carry the author's address and e-mail. Long supplement designations
    ("Suppl. 2 (Abstracts of the ...)") are kept: dedup reads them."""
    value = value.strip()
    if "@" in value or len(value) > 120 or _NLM_ID_RE.search(value):
        return ""
    return value


# ---------------------------------------------------------------- journals

_SMALL_WORDS = frozenset("a an and as at by for from in into of on or the to with".split())


def normalise_journal(name: str) -> str:
    """ "AMERICAN JOURNAL OF SCIENCE" -> "American Journal of Science": Web of Science upper-cases
    journal names (RIS and plain text alike); any other spelling is kept as written."""
    if not (name.isupper() and len(name) > 5):
        return name
    words = name.lower().split()
    return " ".join(w if i and w in _SMALL_WORDS else w[:1].upper() + w[1:] for i, w in enumerate(words))


# ---------------------------------------------------------------- authors

# Lower-case words that belong to a family name ("van der Berg"), and words that mark a collective author.
PARTICLES = frozenset({"van", "von", "der", "den", "de", "del", "della", "da", "di", "du", "la", "le", "dos", "das",
                       "ter", "ten", "bin", "al", "el"})
COLLECTIVE_WORDS = frozenset({"group", "collaboration", "consortium", "investigators", "committee", "network",
                              "study", "trial", "team", "society", "association", "organization", "organisation",
                              "council"})


def _initials(given: str) -> str:
    given = given.replace(".", " ").replace("-", " - ")
    parts = [p for p in given.split() if p]
    out = []
    for part in parts:
        if part == "-":
            continue
        # "JA" given as initials already (PubMed AU, WoS AU)
        if part.isupper() and len(part) <= 3 and part.isalpha():
            out.append(part)
        else:
            out.append(part[0].upper())
    return "".join(out)


_SUFFIX_RE = re.compile(r",?\s*\b((?i:Jr|Sr)|II|III|IV)\.?$")   # WoS writes "Carriker, M. A., jr."
_SUFFIX_ENDS = ("jr", "jr.", "sr", "sr.", "ii", "iv", "ii.", "iv.")
# Ovid (BIOSIS, Zoological Record) appends roles and e-mails: "Walsdorf, Neill B. [Inventor, Reprint Author]"
_ROLE_RE = re.compile(r"(?<=\S)\s*\[[^\]]*\]?")
# Journals@Ovid appends degrees and affiliation marks: "Peterson, James A. Ph.D., FACSM", "Zhang, Weijia 1,2,+"
_DEGREES = frozenset(
    "PhD MD MSc BSc MPH MBBS MBChB FACSM FACP FACS FRCP FRCS FRCPC DPhil MPhil DrPH PharmD PsyD EdD DSc "
    "RN MSN BSN MBA DDS DMD MRCP MA BA MS BS MB MEd".split()
)
_DEGREES = _DEGREES | {d.upper() for d in _DEGREES}
_MARKS_RE = re.compile(r"[\d,*+#\u2020\u2021\u00a7]+")


def _given_names(given: str) -> str:
    """The given names without what follows them: degrees, affiliation marks, a second comma."""
    given = given.partition(",")[0]
    kept: list[str] = []
    for token in given.split():
        if _MARKS_RE.fullmatch(token):
            continue
        if kept and token.replace(".", "") in _DEGREES:   # a first token "MD" is the initials M. D.
            break
        kept.append(token)
    return " ".join(kept)


def normalise_author(value: str | None) -> str:
    """"Family, GI" from "Liu R.", "Yang, Z.", "Trindade, Ines A", "Smith JA", "Sampson, SD".

    Collective names ("WHO Collaborative Group") are kept as written.
    """
    name = clean_text(value).strip(" ,;")
    if "[" in name:
        name = _ROLE_RE.sub("", name).strip(" ,;")
    if not name:
        return ""
    if "," in name:
        family, _, given = name.partition(",")
        family, given = family.strip(), given.strip()
        # "Smith, J.A., Jr." style suffixes
        if given.lower().endswith(_SUFFIX_ENDS):
            given = _SUFFIX_RE.sub("", given)
        given = _given_names(given.strip(" ,"))
        return f"{family}, {_initials(given)}" if given else family
    tokens = name.split()
    if len(tokens) == 1:
        return name
    # "Liu R." / "Adler D.G." / "Smith JA": trailing initials
    tail = tokens[-1].replace(".", "")
    if tail.isupper() and len(tail) <= 4 and tail.isalpha():
        return f"{' '.join(tokens[:-1])}, {tail}"
    if len(tokens) > 4 or any(w.lower() in COLLECTIVE_WORDS for w in tokens):
        return name
    # "Jane A. Smith" (given names first)
    family_start = len(tokens) - 1
    while family_start > 1 and tokens[family_start - 1].lower() in PARTICLES:
        family_start -= 1
    return f"{' '.join(tokens[family_start:])}, {_initials(' '.join(tokens[:family_start]))}"


def author_key(author: str) -> str:
    """Matching form of a normalised author: folded family name + first initial."""
    family, _, initials = author.partition(",")
    family = re.sub(r"[^a-z ]", "", fold(family)).strip()
    initials = fold(initials).strip()
    return f"{family} {initials[:1]}".strip()


# ---------------------------------------------------------------- publication type

_TYPE_RULES: list[tuple[str, str]] = [
    (r"erratum|correction|corrigendum|published erratum", "erratum"),
    (r"retraction", "retraction"),
    (r"conference abstract|meeting abstract", "conference abstract"),
    (r"conference|proceedings|congress|cpaper|conf\b", "conference paper"),
    (r"systematic review|meta-analysis|review", "review"),
    (r"comment", "comment"),
    (r"editorial", "editorial"),
    (r"letter", "letter"),
    (r"chapter|chap\b|book section", "chapter"),
    (r"book|monograph", "book"),
    (r"thesis|dissertation|thes\b", "thesis"),
    (r"preprint", "preprint"),
    (r"trial registr|clinical trial registry", "trial registration"),
    (r"case report|case series", "article"),
    (r"report|rprt\b|grey|gray", "report"),
    (r"dataset|data set", "dataset"),
    (r"article|journal|jour\b|jfull\b|research support|clinical trial|randomized|randomised|observational|case report|evaluation|\bser\b", "article"),
]
_RIS_TY = {
    "JOUR": "article", "JFULL": "article", "MGZN": "article", "NEWS": "article", "EJOUR": "article",
    "ABST": "conference abstract", "CONF": "conference paper", "CPAPER": "conference paper",
    "BOOK": "book", "EBOOK": "book", "EDBOOK": "book", "CHAP": "chapter", "ECHAP": "chapter",
    "THES": "thesis", "RPRT": "report", "GOVDOC": "report", "DATA": "dataset", "SER": "book",
    "UNPB": "preprint", "ELEC": "other", "GEN": "other",
    "INPR": "article", "CASE": "other", "WEB": "other",   # in press; legal case; web page
}


def normalise_type(*values: str | None) -> str:
    """The most specific publication type among the values (e.g. M3 "Erratum" beats TY "JOUR")."""
    found: list[str] = []
    for value in values:
        if not value:
            continue
        text = value.strip()
        if text.upper() in _RIS_TY:
            found.append(_RIS_TY[text.upper()])
            continue
        low = text.lower()
        for pattern, kind in _TYPE_RULES:
            if re.search(pattern, low):
                found.append(kind)
                break
    if not found:
        return ""
    order = {kind: i for i, (_, kind) in enumerate(_TYPE_RULES)}
    return min(found, key=lambda kind: order.get(kind, len(order)))


def normalise_keyword(value: str) -> str:
    """A subject heading without MEDLINE's major-topic stars: "*Aurovertins/*chemistry" ->
    "Aurovertins/chemistry"; PubMed, Ovid and EndNote (MH, KW) all write them. Raw tags keep them."""
    value = clean_text(value)
    if "*" in value:
        value = value.lstrip("* ").replace("/*", "/")
    return value


def first(values: Iterable[str]) -> str:
    for value in values:
        if value and value.strip():
            return value.strip()
    return ""


def unique(values: Iterable[str]) -> list[str]:
    """Stripped, non-empty, each once, in first-seen order (a dict: keyword and MeSH lists are long)."""
    out: dict[str, None] = {}
    for value in values:
        if value:
            value = value.strip()
            if value:
                out[value] = None
    return list(out)
