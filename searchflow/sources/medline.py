"""PubMed MEDLINE text (.nbib, E-utilities ``rettype=medline``) and other sources in its format (ERIC's .nbib).

Biopython's ``Bio.Medline.parse`` does the tag grouping: it is the maintained
reader of this NLM format and handles its continuation rules (6-space indents,
MH/AD joined in place, text tags joined with spaces). It gives no line numbers
and accepts any text, so the lines are fed to it through :func:`_checked_lines`,
which rejects lines that are not MEDLINE, writes every tag line in the column layout
Bio.Medline reads (ERIC writes ``ISSN - EISSN-...``), remembers where each record
starts and keeps the tags in file order for ``Record.raw``.

ERIC records have no PMID: ``OWN - ERIC`` names the source and ``OID`` holds the ERIC number.
PubMed ends every record with its ``SO`` line, so a PubMed file whose last record has none
was cut short and is refused as truncated.
"""
from __future__ import annotations

import re
from collections import deque
from pathlib import Path
from typing import Iterator

from Bio import Medline

from ..records import (
    Record, clean_text, normalise_author, normalise_doi, normalise_isbns, normalise_issue, normalise_issns,
    normalise_keyword, normalise_pages, normalise_pmcid, normalise_pmid, normalise_type, normalise_year, unique,
)
from .base import FileInfo, ImportProblem, read_lines

# "PMID- 123", "AB  - text", "FAU - Smith, J": a tag of 2-4 characters left-justified in 4, then "- ";
# ERIC also writes "ISSN - value". Rewritten to the standard layout for Bio.Medline.
_TAG_LINE = re.compile(r"^([A-Z][A-Z0-9]{1,3}) *-(?: |$)")
_CONTINUATION = "      "
_DOI_IN_ID = re.compile(r"(\S+)\s*\[doi\]")
_ERIC_ID = re.compile(r"E[DJ]\d+")
# ERIC's source line when VI/IP/PG are missing: "v21 n1 p12-24 2020"
_ERIC_SOURCE = re.compile(r"\bv(\w+)(?:\s+n([\w-]+))?(?:\s+p([\w-]+))?")


def parse(path: Path, info: FileInfo) -> Iterator[Record]:
    info.vendor = "pubmed"
    pending: deque[tuple[int, list[tuple[str, str]]]] = deque()
    ordinal = 0
    for fields in Medline.parse(_checked_lines(path, info.encoding, pending)):
        ordinal += 1
        line, raw = pending.popleft()
        if fields.get("OWN") == "ERIC":
            info.vendor = "eric"
        elif not fields.get("PMID"):
            raise ImportProblem(path, line, f"record {ordinal} has no PMID- line; expected MEDLINE records that start "
                                            "with PMID- (or name their source: 'OWN - ERIC')")
        yield _record(fields, raw, line)


def _checked_lines(path: Path, encoding: str, pending: deque) -> Iterator[str]:
    """The file's lines for Bio.Medline, each checked; (start line, raw tags) queued per record."""
    start = number = 0
    raw: list[tuple[str, list[str]]] = []  # (tag, its lines)
    bad = ""                               # a line that is not MEDLINE: an error, or the cut end of the file
    for number, text in read_lines(path, encoding):
        if bad:
            raise _not_medline(path, number - 1, bad)
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
                bad = text
                continue
            if not raw:
                start = number
            tag, value = match.group(1), text[match.end():].rstrip()
            raw.append((tag, [value]))
            text = f"{tag:<4}- {value}"
        yield text + "\n"
    if bad and not raw:
        raise _not_medline(path, number, bad)
    if bad or (raw and _cut_short(path, {tag for tag, _ in raw})):
        raise ImportProblem(path, number, f"the file ends inside the record starting on line {start or number} "
                                          "(PubMed ends every record with its 'SO' line): the export looks truncated")
    if raw:
        pending.append((start, _joined(raw)))


def _not_medline(path: Path, line: int, text: str) -> ImportProblem:
    return ImportProblem(
        path, line, f"not a MEDLINE line: {text[:40]!r}; expected a tag like 'PMID- ', 'TI  - ' or a 6-space continuation",
    )


def _cut_short(path: Path, tags: set[str]) -> bool:
    """A PubMed record without its closing SO line is cut short when it has no title yet, or when the
    file's last line lacks its line break (PubMed ends its files with one). Book records have no SO,
    and a hand-trimmed file may lack it: neither is refused."""
    if "PMID" not in tags or "SO" in tags:
        return False
    if not tags & {"TI", "BTI"}:
        return True
    with open(path, "rb") as fh:
        fh.seek(max(path.stat().st_size - 2, 0))
        tail = fh.read()
    return not tail.replace(b"\x00", b"").endswith((b"\n", b"\r"))


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
        if match or "doi.org/" in value:           # ERIC: "AID - http://dx.doi.org/10...."
            doi = normalise_doi(match.group(1) if match else value)
            if doi:
                break
    authors = [normalise_author(a) for a in (items("FAU") or items("AU"))]
    authors += items("CN")  # collective names stay as written
    accession: dict[str, str] = {}
    eric_id = next((v for v in items("OID") if _ERIC_ID.fullmatch(v)), "")
    if eric_id:
        accession["eric"] = eric_id
    volume, issue, pages = text("VI"), text("IP"), text("PG")
    source = _ERIC_SOURCE.match(text("SO")) if eric_id and not (volume and pages) else None
    if source:
        volume, issue, pages = volume or source.group(1), issue or source.group(2) or "", pages or source.group(3) or ""
    types = items("PT")
    if "Journal Articles" in types:       # ERIC: "Reports - Research" describes the article's content
        types = [t for t in types if not t.startswith("Reports - ")]
    kind = normalise_type(*types)
    # an ERIC document (ED) names its publisher in JT, not a journal
    journal = "" if eric_id.startswith("ED") and kind != "article" else text("JT")
    serials = items("IS") + items("ISSN")
    return Record(
        raw=raw,
        line=line,
        title=text("TI") or text("BTI"),
        abstract=text("AB"),
        authors=[a for a in authors if a],
        year=normalise_year(text("DP")),
        journal=journal,
        journal_abbrev=text("TA"),
        volume=volume,
        issue=normalise_issue(issue),
        pages=normalise_pages(pages),
        doi=doi,
        pmid=normalise_pmid(text("PMID")),
        pmcid=normalise_pmcid(text("PMC")),
        accession=accession,
        issn=normalise_issns([" ".join(serials)]),
        isbn=normalise_isbns(v.replace("ISBN-", "") for v in items("ISBN")),
        type=kind,
        language=(items("LA") or [""])[0],
        keywords=unique(normalise_keyword(k) for k in items("MH") + items("OT")),
        databases=["ERIC"] if eric_id else [],
    )
