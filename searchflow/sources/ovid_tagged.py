"""Ovid direct export, tagged ("<3001. >" records of ``XX  - value`` lines; Embase, MEDLINE, PsycINFO via Ovid).

Hand-written: no library reads this format (it is not RIS: no TY/ER, records
are framed by ``<N. >`` lines). Any line that is neither a separator nor a tag
continues the previous tag: the "EndNote" (.cgi) variant splits a structured
abstract into unindented ``Method(s): ...`` lines, while ``IN`` institutions
continue on lines indented 6 spaces.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

from ..records import (
    Record, clean_text, normalise_author, normalise_doi, normalise_issue, normalise_issns, normalise_isbns,
    normalise_pages, normalise_pmid, normalise_type, normalise_year, unique,
)
from .base import FileInfo, ImportProblem, read_lines

_SEPARATOR = re.compile(r"^<(\d+)\.\s*>\s*$")
_TAG_LINE = re.compile(r"^([A-Z][A-Z0-9])  - ?(.*)$")  # always two characters, two spaces, "- "
# Tags whose continuation lines are further items; for the rest a continuation wraps the same text.
_LIST_TAGS = {"IN", "AU", "AD", "MH", "OD", "KW", "DE"}
# SO: "BMC Proceedings. Conference: .... 12 (Supplement 3) (no pagination), 2018. Date of Publication: 2018."
#     "Journal of Hepatology. 58 (1) (pp 123-130), 2013."
_SOURCE_CITATION = re.compile(r"(?:^|\s)(\S+)\s+\(([^)]*)\)\s+\((?:pp\s+)?([^)]*)\),\s*((?:1[5-9]|20)\d\d)")


def parse(path: Path, info: FileInfo) -> Iterator[Record]:
    info.vendor = "ovid"
    start = 0
    raw: list[tuple[str, list[str]]] = []  # (tag, its lines)
    in_record = False
    for number, text in read_lines(path, info.encoding):
        if _SEPARATOR.match(text):
            if in_record:
                yield _record(path, raw, start)
            in_record, start, raw = True, number, []
            continue
        if not text.strip():
            continue
        if not in_record:
            raise ImportProblem(
                path, number, f"text before the first record: {text[:40]!r}; expected an Ovid record separator like '<1. >'",
            )
        match = _TAG_LINE.match(text)
        if match:
            raw.append((match.group(1), [match.group(2).rstrip()]))
        elif raw:
            raw[-1][1].append(text.strip())
        else:
            raise ImportProblem(path, number, f"untagged line at the start of a record: {text[:40]!r}; expected 'XX  - value'")
    if in_record:
        yield _record(path, raw, start)


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
    citation = _SOURCE_CITATION.search(source)
    volume, issue, pages = (citation.group(1), citation.group(2), citation.group(3)) if citation else ("", "", "")
    journal = text("JN", "JT", "JX", "TA") or source.split(". ", 1)[0].strip()

    databases = unique(fields.get("DB", []))
    record_id = text("AN", "UI")
    pmid = normalise_pmid(text("PM", "PMID"))
    accession: dict[str, str] = {}
    if record_id:
        database = databases[0].lower() if databases else "ovid"
        if "embase" in database:
            # Ovid gives the bare number; Embase.com (and its RIS) writes the same id as "L<number>"
            accession["embase"] = record_id if record_id.startswith("L") else f"L{record_id}"
        elif "medline" in database or "pubmed" in database:
            pmid = pmid or normalise_pmid(record_id)
        else:
            accession[re.sub(r"\W+", "_", database).strip("_")] = record_id

    return Record(
        raw=raw,
        line=line,
        title=text("TI"),
        abstract=text("AB"),
        authors=[a for a in (normalise_author(name) for name in fields.get("AU", [])) if a],
        year=normalise_year(text("YR", "DP", "PY")) or normalise_year(citation.group(4) if citation else ""),
        journal=journal,
        journal_abbrev=text("JA", "JC"),
        volume=text("VO", "VI") or volume,
        issue=normalise_issue(text("IP", "NO") or issue),
        pages=normalise_pages(text("PG") or pages.replace("no pagination", "")),
        doi=normalise_doi(text("DO")),
        pmid=pmid,
        accession=accession,
        issn=normalise_issns(fields.get("IS", []) + fields.get("SN", [])),
        isbn=normalise_isbns(fields.get("IB", []) + fields.get("BN", [])),
        type=normalise_type(text("PT"), text("ST")),
        language=text("LG", "LA"),
        keywords=unique(fields.get("KW", []) + fields.get("MH", []) + fields.get("DE", [])),
        url=text("UR", "XL"),
        databases=databases,
    )
