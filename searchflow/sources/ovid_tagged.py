"""Ovid direct export, tagged ("<3001. >" records of ``XX  - value`` lines) from any Ovid database:
Embase, MEDLINE, PsycINFO, ERIC, BIOSIS, CAB Abstracts, Zoological Record, Journals@Ovid.

Hand-written: no library reads this format (it is not RIS: no TY/ER, records
are framed by ``<N. >`` lines). Any line that is neither a separator nor a tag
continues the previous tag: the "EndNote" (.cgi) variant splits a structured
abstract into unindented ``Method(s): ...`` lines, while ``IN`` institutions
continue on lines indented 6 spaces. Some exports indent every line by one space,
and some frame records only by their ``VN  - Ovid Technologies`` line.

Each database writes its citation its own way in ``SO`` (see :func:`split_source`);
``JN``/``VO``/``IP``/``PG`` win where the database gives them.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

from ..records import (
    Record, clean_text, normalise_author, normalise_doi, normalise_issue, normalise_issns, normalise_isbns,
    normalise_keyword, normalise_pages, normalise_pmid, normalise_type, normalise_year, unique,
)
from .base import FileInfo, ImportProblem, read_lines
from .ris import ovid_database, ovid_database_key

_SEPARATOR = re.compile(r"^<(\d+)\.?\s*>\s*$")   # "<3001. >"; Ovid's Reprint/Medlars format writes "<1>"
_TAG_LINE = re.compile(r"^([A-Z][A-Z0-9]) {1,2}- ?(.*)$")  # two characters, two spaces, "- "
# Tags whose continuation lines are further items; for the rest a continuation wraps the same text.
_LIST_TAGS = {"IN", "AU", "AD", "MH", "OD", "KW", "DE"}

# SO, in each database's words; the first form that matches gives (volume, issue, pages).
_YEAR = r"(?:1[5-9]|20)\d\d"
_SOURCE_FORMS = (
    # Embase: "Journal of Hepatology. 58 (1) (pp 123-130), 2013.", "BMC Proc. ... 12 (Supplement 3) (no pagination), 2018."
    re.compile(rf"(?:^|\s)(?P<volume>\S+)\s+\((?P<issue>[^)]*)\)\s+\((?:pp\s+)?(?P<pages>[^)]*)\),\s*{_YEAR}"),
    # PsycINFO: "Behavioural and Cognitive Psychotherapy. Vol.43(5), Sep 2015, pp. 623-634."
    re.compile(r"\bVol\.\s*(?P<volume>[\w-]+)(?:\s*\((?P<issue>[^)]*)\))?(?:.*?\bpp?\.\s*(?P<pages>\w+(?:-\w+)?))?"),
    # Journals@Ovid "... August 2011;43(8):647-653"; BIOSIS, CAB "Forest Ecology. 201(2-3):327-334, November 15, 2004."
    re.compile(r"(?:^|[\s;.,])(?P<volume>\d+)\((?P<issue>[^)]*)\)(?::\s*(?P<pages>\w+(?:-\w+)?))?"),
    # Journals@Ovid without an issue: "Acta Chirurgica Belgica November/December 2010;6:611-613"
    re.compile(rf"{_YEAR};\s*(?P<volume>\d+):\s*(?P<pages>\w+(?:-\w+)?)"),
    # ERIC: "Journal of Geological Education, v37 n1 p24-26 Jan 1989"
    re.compile(r"\bv(?P<volume>\d+)(?:\s+n(?P<issue>[\w-]+))?(?:\s+p(?P<pages>\w+(?:-\w+)?))?"),
    # a book chapter's pages alone: "Handbook of Invented Care. (pp. 1-20). New York: Invented Press."
    re.compile(r"\bpp?\.\s*(?P<pages>\d+(?:-\d+)?)"),
)
# The publication year in SO when YR is missing: not a volume ("1288(3)") nor a page ("1998-2005")
_SOURCE_YEAR = re.compile(r"(?<![\d(:-])((?:19|20)\d\d)(?![\d(-])")
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec|Spring|Summer|Fall|Autumn|Winter)[a-z]*\.?"
# Where the journal's name ends in SO: a sentence end, the citation, a date
_JOURNAL_END = re.compile(
    rf"\.\s|;|,?\s+Vol\.|,\s+v\d|\s+\d|\s+{_MONTH}(?:[/\s-]+(?:{_MONTH}|\d{{1,2}},?))*\s+{_YEAR}"
)
# Ovid's label after a title: "... Breast Cancer.  [Miscellaneous]", "... disorders. [References]."
_TITLE_LABEL = re.compile(r"(\.?)\s+\[(?:Article|Report|Miscellaneous|References|Review|Editorial|Letter|Comment|"
                          r"Abstract|Erratum|Correction|News|Case Report)\]\.?$")
_DIGIT = re.compile(r"\d")                            # Journals@Ovid's JC is the NLM id "9705338", not an abbreviation
_RECORD_ID = re.compile(r"(?:^.*:\s*)?(.*?)\.?$")     # PsycINFO "Peer Reviewed Journal: 2015-33942-012."


def parse(path: Path, info: FileInfo) -> Iterator[Record]:
    info.vendor = "ovid"
    start = 0
    raw: list[tuple[str, list[str]]] = []  # (tag, its lines)
    in_record = False
    for number, text in read_lines(path, info.encoding):
        if text[:1] == " " and text[1:2] != " ":
            text = text[1:]           # the export indents every line by one space
        if _SEPARATOR.match(text):
            if in_record:
                yield _record(path, raw, start)
            in_record, start, raw = True, number, []
            continue
        if not text.strip():
            continue
        match = _TAG_LINE.match(text)
        if match and match.group(1) == "VN" and (not in_record or any(tag == "VN" for tag, _ in raw)):
            # a record framed by its "VN  - Ovid Technologies" line alone
            if raw:
                yield _record(path, raw, start)
            in_record, start, raw = True, number, []
        if not in_record:
            raise ImportProblem(
                path, number, f"text before the first record: {text[:40]!r}; expected an Ovid record separator like '<1. >'",
            )
        if match:
            raw.append((match.group(1), [match.group(2).rstrip()]))
        elif raw:
            raw[-1][1].append(text.strip())
        else:
            raise ImportProblem(path, number, f"untagged line at the start of a record: {text[:40]!r}; expected 'XX  - value'")
    if in_record:
        yield _record(path, raw, start)


def split_source(source: str) -> tuple[str, str, str, str]:
    """(journal, volume, issue, pages) from an Ovid SO line, whichever database wrote it."""
    journal = source[:_JOURNAL_END.search(source).start()] if _JOURNAL_END.search(source) else source
    for form in _SOURCE_FORMS:
        match = form.search(source)
        if match:
            parts = match.groupdict()
            return (journal.strip(" .,"), parts.get("volume") or "", parts.get("issue") or "",
                    (parts.get("pages") or "").replace("no pagination", ""))
    return journal.strip(" .,"), "", "", ""


def _record(path: Path, tag_lines: list[tuple[str, list[str]]], line: int) -> Record:
    if not tag_lines:
        raise ImportProblem(path, line, "empty record; expected tagged lines ('TI  - ...') after the separator")
    raw = [(tag, "\n".join(lines)) for tag, lines in tag_lines]
    fields: dict[str, list[str]] = {}
    for tag, value in raw:
        if tag in _LIST_TAGS:
            fields.setdefault(tag, []).extend(clean_text(v) for v in value.split("\n") if v.strip())
        else:
            fields.setdefault(tag, []).append(value)

    def text(*tags: str) -> str:
        """The first of the tags present, continuation lines joined with a space."""
        for tag in tags:
            if fields.get(tag):
                return clean_text(" ".join(fields[tag]))
        return ""

    source = text("SO")
    journal, volume, issue, pages = split_source(source)
    journal = text("JN", "JT", "JX", "TA") or journal

    databases = unique(ovid_database(db) for db in fields.get("DB", []))
    record_id = _RECORD_ID.fullmatch(text("AN", "UI")).group(1)
    pmid = normalise_pmid(text("PM", "PMID"))
    accession: dict[str, str] = {}
    if record_id:
        database = databases[0] if databases else "ovid"
        key = ovid_database_key(database) or re.sub(r"\W+", "_", database.lower()).strip("_")
        if key == "embase":
            # Ovid gives the bare number; Embase.com (and its RIS) writes the same id as "L<number>"
            accession["embase"] = record_id if record_id.startswith("L") else f"L{record_id}"
        elif key == "pmid" or "pubmed" in database.lower():
            pmid = pmid or normalise_pmid(record_id)
        else:
            accession[key] = record_id

    # Journals@Ovid separates keywords with semicolons on one KW line
    keywords = [k.strip() for value in fields.get("KW", []) for k in value.split(";")]
    return Record(
        raw=raw,
        line=line,
        title=_TITLE_LABEL.sub(r"\1", text("TI")),
        abstract=text("AB"),
        authors=[a for a in (normalise_author(name) for name in fields.get("AU", [])) if a],
        year=normalise_year(text("YR", "DP", "PY")) or normalise_year(" ".join(_SOURCE_YEAR.findall(source)[:1])),
        journal=journal,
        journal_abbrev=text("JA") or next((v for v in fields.get("JC", []) if not _DIGIT.search(v)), ""),
        volume=text("VO", "VI") or volume,
        issue=normalise_issue(text("IP", "NO") or issue),
        pages=normalise_pages(text("PG") or pages),
        doi=normalise_doi(text("DO")) or normalise_doi(text("DI")),
        pmid=pmid,
        accession=accession,
        issn=normalise_issns(fields.get("IS", []) + fields.get("SN", [])),
        isbn=normalise_isbns(fields.get("IB", []) + fields.get("BN", [])),
        # PsycINFO's "Peer Reviewed Journal" says nothing of the type (and is no review)
        type=normalise_type(text("DT"), *(v for v in fields.get("PT", []) if "Peer Reviewed" not in v), text("ST")),
        language=text("LG", "LA").rstrip("."),
        keywords=unique(normalise_keyword(k) for k in keywords + fields.get("MH", []) + fields.get("DE", [])),
        url=text("UR", "XL"),
        databases=databases,
    )
