"""Web of Science plain text (.ciw / .txt), including Zoological Record exports.

Hand-written: no maintained Python reader of this format exists (rispy and
Biopython read RIS and MEDLINE only), and its grammar is a few lines:
``FN``/``VR`` header, ``XX value`` tags, 3-space continuation lines, ``ER``
closing each record and ``EF`` closing the file.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

from ..records import (
    Record, clean_text, normalise_author, normalise_doi, normalise_isbns, normalise_issns, normalise_issue,
    normalise_journal, normalise_pages, normalise_pmid, normalise_type, normalise_year, unique,
)
from .base import FileInfo, ImportProblem, read_lines

_TAG_LINE = re.compile(r"^([A-Z][A-Z0-9])(?: (.*))?$")
_CONTINUATION = "   "
_HEADER_TAGS = {"FN", "VR"}
# Tags whose continuation lines are further items (one author, address or cited reference
# per line); for every other tag a continuation line wraps the same text.
_LIST_TAGS = {"AU", "AF", "BA", "BF", "CA", "GP", "ED", "C1", "C3", "CR", "OR"}
_PUBLICATION_TYPES = {"J": "article", "B": "book", "S": "book", "P": "other"}
_EMAIL_IN_NAME = re.compile(r"\s*\([^)]*@[^)]*\)")  # Zoological Record: "Stillman, Andrew N. (a@b.edu)"


def parse(path: Path, info: FileInfo) -> Iterator[Record]:
    info.vendor = "wos"
    start = 0
    raw: list[tuple[str, list[str]]] = []  # (tag, its lines)
    ended = False
    for number, text in read_lines(path, info.encoding):
        if not text.strip():
            continue
        if text.startswith(_CONTINUATION):
            if not raw:
                raise ImportProblem(path, number, "indented line outside a record; expected 'PT' to start a record")
            raw[-1][1].append(text.strip())
            continue
        match = _TAG_LINE.match(text.rstrip())
        if not match:
            raise ImportProblem(
                path, number, f"not a Web of Science line: {text[:40]!r}; expected a two-letter tag and a space (e.g. 'TI ')",
            )
        tag, value = match.group(1), (match.group(2) or "").rstrip()
        if tag == "ER":
            if not raw:
                raise ImportProblem(path, number, "'ER' without a record; expected 'PT' first")
            yield _record([(t, "\n".join(lines)) for t, lines in raw], start)
            raw = []
        elif tag == "EF":
            if raw:
                raise ImportProblem(path, start, "record has no 'ER' line before 'EF'; the file looks truncated")
            ended = True
        elif not raw:
            if tag in _HEADER_TAGS:
                continue
            if tag != "PT":
                raise ImportProblem(path, number, f"'{tag}' outside a record; expected 'PT' to start a record")
            start = number
            raw.append((tag, [value]))
        elif tag == "PT":
            raise ImportProblem(path, start, f"record has no 'ER' line before the next record at line {number}")
        else:
            raw.append((tag, [value]))
    if raw:
        raise ImportProblem(path, start, "record has no 'ER' line before the end of the file; the file looks truncated")
    if not ended:
        info.warnings.append(f"{path}: no 'EF' line at the end; the export may be incomplete")


def _record(raw: list[tuple[str, str]], line: int) -> Record:
    fields: dict[str, list[str]] = {}
    for tag, value in raw:
        if tag in _LIST_TAGS:
            fields.setdefault(tag, []).extend(v.strip() for v in value.split("\n") if v.strip())
        else:
            fields.setdefault(tag, []).append(clean_text(value))

    def text(tag: str) -> str:
        return " ".join(fields.get(tag, []))

    def semicolon_list(*tags: str) -> list[str]:
        return [part.strip() for tag in tags for value in fields.get(tag, []) for part in value.split(";")]

    names = fields.get("AF") or fields.get("AU") or fields.get("BF") or fields.get("BA") or []
    authors = [normalise_author(_EMAIL_IN_NAME.sub("", name)) for name in names]
    authors += [clean_text(group) for group in fields.get("CA", []) + fields.get("GP", [])]

    accession: dict[str, str] = {}
    pmid = normalise_pmid(text("PM"))
    ut = text("UT")
    if ":" in ut:  # "WOS:000514379300001", "ZOOREC:ZOOR15512090342", "MEDLINE:31858815"
        database = ut.split(":", 1)[0].lower()
        accession[database] = ut
        if database == "medline" and not pmid:
            pmid = normalise_pmid(ut)
    elif ut:
        accession["wos"] = ut

    # BP/EP in Web of Science, PS "pp. 78-81" / "Unpaginated" in Zoological Record, else the article number
    page_span = re.sub(r"^pp\.\s*", "", text("PS"), flags=re.I)
    pages = normalise_pages(text("BP"), text("EP"))
    if not pages and page_span.lower() != "unpaginated":
        pages = normalise_pages(page_span)
    pages = pages or re.sub(r"^UNSP\s+", "", text("AR"))  # "UNSP" = unspecified page, an article number follows

    return Record(
        raw=raw,
        line=line,
        title=text("TI"),
        abstract=text("AB"),
        authors=[a for a in authors if a],
        year=normalise_year(text("PY")) or normalise_year(text("PD")),
        journal=normalise_journal(text("SO")),
        journal_abbrev=text("JI") or text("J9"),
        volume=text("VL"),
        issue=normalise_issue(text("IS")),
        pages=pages,
        doi=normalise_doi(text("DI")),
        pmid=pmid,
        accession=accession,
        issn=normalise_issns(fields.get("SN", []) + fields.get("EI", [])),
        isbn=normalise_isbns(fields.get("BN", [])),
        type=normalise_type(text("DT")) or _PUBLICATION_TYPES.get(text("PT"), ""),
        language=text("LA"),
        keywords=unique(semicolon_list("DE", "ID")),
        databases=unique(fields.get("WE", [])),
    )
