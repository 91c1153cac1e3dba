"""PubMed MEDLINE text (.nbib, E-utilities ``rettype=medline``).

Biopython's ``Bio.Medline.parse`` does the tag grouping: it is the maintained
reader of this NLM format and handles its continuation rules (6-space indents,
MH/AD joined in place, text tags joined with spaces). It gives no line numbers
and accepts any text, so the lines are fed to it through :func:`_checked_lines`,
which rejects lines that are not MEDLINE, remembers where each record starts and
keeps the tags in file order for ``Record.raw``.
"""
from __future__ import annotations

import re
from collections import deque
from pathlib import Path
from typing import Iterator

from Bio import Medline

from ..records import (
    Record, clean_text, normalise_author, normalise_doi, normalise_issue, normalise_issns, normalise_pages,
    normalise_pmcid, normalise_pmid, normalise_type, normalise_year, unique,
)
from .base import FileInfo, ImportProblem, read_lines

# "PMID- 123", "AB  - text", "FAU - Smith, J": a tag of 2-4 characters left-justified in 4, then "- "
_TAG_LINE = re.compile(r"^([A-Z][A-Z0-9 ]{3})-(?: |$)")
_CONTINUATION = "      "
_DOI_IN_ID = re.compile(r"(\S+)\s*\[doi\]")


def parse(path: Path, info: FileInfo) -> Iterator[Record]:
    info.vendor = "pubmed"
    pending: deque[tuple[int, list[tuple[str, str]]]] = deque()
    ordinal = 0
    for fields in Medline.parse(_checked_lines(path, info.encoding, pending)):
        ordinal += 1
        line, raw = pending.popleft()
        if not fields.get("PMID"):
            raise ImportProblem(path, line, f"record {ordinal} has no PMID- line; expected MEDLINE records that start with PMID-")
        yield _record(fields, raw, line)


def _checked_lines(path: Path, encoding: str, pending: deque) -> Iterator[str]:
    """The file's lines for Bio.Medline, each checked; (start line, raw tags) queued per record."""
    start = 0
    raw: list[tuple[str, list[str]]] = []  # (tag, its lines)
    for number, text in read_lines(path, encoding):
        if not text.strip():
            if raw:
                pending.append((start, _joined(raw)))
                raw = []
            yield "\n"
            continue
        if text.startswith(_CONTINUATION):
            if not raw:
                raise ImportProblem(path, number, "indented line before any tag; expected a MEDLINE tag such as 'PMID- '")
            raw[-1][1].append(text.strip())
        else:
            match = _TAG_LINE.match(text)
            if not match:
                raise ImportProblem(
                    path, number,
                    f"not a MEDLINE line: {text[:40]!r}; expected a tag like 'PMID- ', 'TI  - ' or a 6-space continuation",
                )
            if not raw:
                start = number
            raw.append((match.group(1).strip(), [text[6:].rstrip()]))
        yield text + "\n"
    if raw:
        pending.append((start, _joined(raw)))


def _joined(raw: list[tuple[str, list[str]]]) -> list[tuple[str, str]]:
    """Raw tags with their continuation lines kept, one per line."""
    return [(tag, "\n".join(lines)) for tag, lines in raw]


def _record(fields: dict, raw: list[tuple[str, str]], line: int) -> Record:
    def text(tag: str) -> str:
        value = fields.get(tag, "")
        return clean_text(" ".join(value) if isinstance(value, list) else value)

    def items(tag: str) -> list[str]:
        value = fields.get(tag, [])
        return [clean_text(v) for v in (value if isinstance(value, list) else [value]) if v.strip()]

    # IS and LID are "text" tags to Bio.Medline (repeats joined by a space), AID a list
    doi = ""
    for value in items("AID") + [text("LID")]:
        match = _DOI_IN_ID.search(value)
        if match:
            doi = normalise_doi(match.group(1))
            break
    authors = [normalise_author(a) for a in (items("FAU") or items("AU"))]
    authors += items("CN")  # collective names stay as written
    return Record(
        raw=raw,
        line=line,
        title=text("TI") or text("BTI"),
        abstract=text("AB"),
        authors=[a for a in authors if a],
        year=normalise_year(text("DP")),
        journal=text("JT"),
        journal_abbrev=text("TA"),
        volume=text("VI"),
        issue=normalise_issue(text("IP")),
        pages=normalise_pages(text("PG")),
        doi=doi,
        pmid=normalise_pmid(text("PMID")),
        pmcid=normalise_pmcid(text("PMC")),
        issn=normalise_issns([text("IS")]),
        type=normalise_type(*items("PT")),
        language=(items("LA") or [""])[0],
        keywords=unique(items("MH") + items("OT")),
        databases=[],
    )
