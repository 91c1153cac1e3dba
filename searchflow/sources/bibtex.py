"""BibTeX (.bib) from Zotero, Mendeley, JabRef, Google Scholar and others, read with bibtexparser.

The file is parsed a few thousand entries at a time (cut where a line starts with ``@``), so a
large .bib is never held in memory whole; ``@string`` macros defined earlier stay in force for
later entries. Names are split on `` and `` by bibtexparser (braces respected, so
``{World Health Organization}`` stays one corporate author) before their LaTeX is turned into
Unicode (``M{\\"u}ller`` -> Müller). Identifiers, URLs and page ranges are taken as written, braces
aside: LaTeX decoding would read a URL's ``%`` as a comment and turn ``--`` into a dash.
"""
from __future__ import annotations

import logging
import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Iterator

from ..records import (
    Record, clean_text, normalise_author, normalise_doi, normalise_issns, normalise_isbns, normalise_issue,
    normalise_pages, normalise_pmcid, normalise_pmid, normalise_year, unique,
)
from .base import FileInfo, ImportProblem

# bibtexparser logs each malformed block; the import reports the first itself, as one line
logging.getLogger("bibtexparser").addHandler(logging.NullHandler())

CHUNK_ENTRIES = 2000
_ENTRY_START = re.compile(r"^\s*@[A-Za-z]+\s*[{(]")     # a block's header: "@article{", "@string("
# entry type -> publication type, in reviewers' words (records.PUBLICATION_TYPES)
TYPES = {
    "article": "article", "periodical": "other", "inproceedings": "conference paper",
    "conference": "conference paper", "proceedings": "book", "mvproceedings": "book", "book": "book",
    "mvbook": "book", "booklet": "book", "collection": "book", "mvcollection": "book", "reference": "book",
    "inbook": "chapter", "incollection": "chapter", "bookinbook": "chapter", "inreference": "chapter",
    "suppbook": "chapter", "phdthesis": "thesis", "mastersthesis": "thesis", "thesis": "thesis",
    "techreport": "report", "report": "report", "manual": "report", "unpublished": "preprint",
    "dataset": "dataset", "online": "other", "electronic": "other", "www": "other", "misc": "other",
    "patent": "other", "software": "other",
}
_PREPRINT = re.compile(r"\b(arxiv|biorxiv|medrxiv|psyarxiv|ssrn|preprints?)\b", re.IGNORECASE)
_IN_BOOK = {"inproceedings", "conference", "incollection", "inbook", "bookinbook", "inreference"}
_KEYWORD_SPLIT = re.compile(r"\s*[;,]\s*")
_ESCAPED = re.compile(r"\\([_%&#$])")
_SCOPUS_EID = re.compile(r"eid=(2-s2\.0-\d+)")


def parse(path: Path, info: FileInfo) -> Iterator[Record]:
    import bibtexparser
    from bibtexparser import Library
    from bibtexparser.model import Entry, ParsingFailedBlock

    strings: list = []                       # @string macros seen so far
    for first_line, text in _chunks(path, info.encoding):
        library = Library()
        library.add(strings)
        library = bibtexparser.parse_string(text, library=library)
        strings = list(library.strings)
        for block in library.blocks:
            if isinstance(block, ParsingFailedBlock):
                entry = block.ignore_error_block
                if not isinstance(entry, Entry) or not entry.key:   # a duplicate key is still an entry
                    raise _problem(path, first_line, text, block)
                block = entry
            if isinstance(block, Entry):
                yield _record(block, first_line + (block.start_line or 0))


def _chunks(path: Path, encoding: str) -> Iterator[tuple[int, str]]:
    """(first line, text) of runs of about CHUNK_ENTRIES entries, each cut before a line starting with @."""
    lines: list[str] = []
    entries, first = 0, 1
    with open(path, "r", encoding=encoding, errors="replace", newline=None) as fh:
        for number, line in enumerate(fh, start=1):
            if _ENTRY_START.match(line):
                if entries >= CHUNK_ENTRIES:
                    yield first, "".join(lines)
                    lines, entries, first = [], 0, number
                entries += 1
            lines.append(line)
    if lines:
        yield first, "".join(lines)


def _problem(path: Path, first_line: int, text: str, block) -> ImportProblem:
    line = first_line + (block.start_line or 0)
    error = block.error
    reason = " ".join((getattr(error, "abort_reason", "") or str(error) or type(error).__name__).split())
    end = getattr(error, "end_index", None)
    if "end of file" in reason.lower():
        reason = "the file ends inside this entry, it looks truncated"
    elif end is not None:
        reason += f" (at line {first_line + text.count(chr(10), 0, end)})"
    return ImportProblem(path, line, f"malformed BibTeX entry: {reason}; "
                                     "expected @type{key, field = {value}, ...}")


@lru_cache(maxsize=1)
def _decoder():
    from pylatexenc.latex2text import LatexNodes2Text

    return LatexNodes2Text(math_mode="verbatim")


def decode(value: str) -> str:
    """LaTeX to Unicode ({\\"o} -> ö, \\'{e} -> é, {\\aa} -> å, \\c{c} -> ç), braces that protect
    capitals dropped, whitespace collapsed."""
    if "\\" in value or "$" in value:
        value = _accents(value)
        if "\\" in value or "$" in value:   # other macros, maths: the full LaTeX reader
            value = _decoder().latex_to_text(re.sub(r"(?<!\\)%", r"\\%", value))  # a bare % is text, not a comment
    if "{" in value or "~" in value:
        value = value.replace("{", "").replace("}", "").replace("~", " ")
    return clean_text(value)


# The accents and letters reference managers write, replaced by table: the LaTeX reader (pylatexenc)
# costs half a millisecond a call, and a .bib has several accented names an entry.
_ACCENT_MARKS = {'"': "\u0308", "'": "\u0301", "`": "\u0300", "^": "\u0302", "~": "\u0303", "=": "\u0304",
                 ".": "\u0307", "c": "\u0327", "v": "\u030c", "u": "\u0306", "H": "\u030b", "k": "\u0328",
                 "r": "\u030a", "d": "\u0323"}
_LETTERS = {"aa": "å", "AA": "Å", "ae": "æ", "AE": "Æ", "oe": "œ", "OE": "Œ", "ss": "ß", "o": "ø", "O": "Ø",
            "l": "ł", "L": "Ł", "i": "ı", "j": "ȷ", "&": "&", "%": "%", "_": "_", "#": "#", "$": "$"}
_ACCENT = re.compile(r"""\\(["'`^~=.])\s*(?:\{\s*(\\?[A-Za-z])\s*\}|(\\?[A-Za-z]))"""
                     r"|\\([cvuHkrd])(?:\s*\{\s*(\\?[A-Za-z])\s*\}|\s+([A-Za-z]))")
_LETTER = re.compile(r"\\(aa|AA|ae|AE|oe|OE|ss|o|O|l|L|i|j)(?![A-Za-z])(?:\{\}|\s)?|\\([&%_#$])")


def _accents(value: str) -> str:
    def accent(match: re.Match) -> str:
        mark = match.group(1) or match.group(4)
        letter = match.group(2) or match.group(3) or match.group(5) or match.group(6)
        base = "i" if letter == "\\i" else "j" if letter == "\\j" else letter
        if base.startswith("\\"):
            return match.group(0)
        return unicodedata.normalize("NFC", base + _ACCENT_MARKS[mark])

    value = _ACCENT.sub(accent, value)
    return _LETTER.sub(lambda m: _LETTERS[m.group(1) or m.group(2)], value)


def verbatim(value: str) -> str:
    """An identifier, URL or page range as written: braces and escapes (\\_) dropped, nothing decoded."""
    return _ESCAPED.sub(r"\1", value.replace("{", "").replace("}", "")).strip()


def split_authors(value: str) -> list[str]:
    """ "Family, GI" for each name of a BibTeX name list ("Last, First and First Last and {Corporate Name}")."""
    from bibtexparser.middlewares.names import InvalidNameError, parse_single_name_into_parts, split_multiple_persons_names

    authors = []
    for name in split_multiple_persons_names(value):
        if name.strip().lower() == "others":          # "and others": et al.
            continue
        try:
            parts = parse_single_name_into_parts(name, strict=False)
        except InvalidNameError:
            authors.append(normalise_author(decode(name)))
            continue
        family = decode(" ".join(parts.von + parts.last))
        given = decode(" ".join(parts.first))
        authors.append(normalise_author(f"{family}, {given}") if given and family else family or given)
    return [a for a in authors if a]


def _record(entry, line: int) -> Record:
    fields = {field.key.lower(): str(field.value) for field in entry.fields}

    def text(*names: str) -> str:
        return next((decode(fields[n]) for n in names if fields.get(n, "").strip()), "")

    def plain(*names: str) -> str:
        return next((verbatim(fields[n]) for n in names if fields.get(n, "").strip()), "")

    kind = entry.entry_type.lower()
    journal = text("journal", "journaltitle")
    if not journal and kind in _IN_BOOK:
        journal = text("booktitle", "maintitle")
    eprint_type = plain("eprinttype", "archiveprefix").lower()
    eprint = plain("eprint")
    record_type = TYPES.get(kind, "other")
    if eprint_type == "arxiv" or (record_type in ("article", "other") and _PREPRINT.search(journal)):
        record_type = "preprint"
    accession = {"id": entry.key} if entry.key else {}
    if eprint and eprint_type == "arxiv":
        accession["arxiv"] = eprint
    unique_id = plain("unique-id")                    # Web of Science's BibTeX: "WOS:000123456700001"
    if unique_id.upper().startswith("WOS:"):
        accession["wos"] = unique_id
    scopus = _SCOPUS_EID.search(plain("url"))         # Scopus's BibTeX links the record by its EID
    if scopus:
        accession["scopus"] = scopus.group(1)
    pages = re.sub(r"\s*[-\u2010-\u2015]+\s*", "-", plain("pages"))
    return Record(
        raw=[("ENTRYTYPE", entry.entry_type), ("ID", entry.key)] + [(f.key, str(f.value)) for f in entry.fields],
        line=line,
        title=text("title"),
        abstract=text("abstract"),
        authors=split_authors(fields["author"]) if fields.get("author", "").strip() else [],
        year=normalise_year(plain("year")) or normalise_year(plain("date")),
        journal=journal,
        journal_abbrev=text("shortjournal", "journal-abbrev", "journalabbrev"),
        volume=text("volume"),
        issue=normalise_issue(text("number", "issue")),
        pages=normalise_pages(pages),
        doi=normalise_doi(plain("doi")),
        pmid=normalise_pmid(plain("pmid", "pubmed-id", "pubmed_id") or (eprint if eprint_type == "pubmed" else "")),
        pmcid=normalise_pmcid(plain("pmcid") or (eprint if eprint_type in ("pmc", "pmcid") else "")),
        accession=accession,
        issn=normalise_issns([plain("issn")]),
        isbn=normalise_isbns([plain("isbn")]),
        type=record_type,
        language=text("language", "langid"),
        keywords=unique(k for name in ("keywords", "mendeley-tags") for k in _KEYWORD_SPLIT.split(text(name))),
        url=plain("url"),
    )
