"""Importers: one module per export format, all yielding :class:`searchflow.records.Record`.

``read_file`` checks the file, picks its encoding, detects the format (unless
told) and returns the parsed records as a stream, so a 2 GB export is never
held in memory at once.
"""
from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Iterator

from ..records import Record
from . import csvfile
from .base import FileInfo, ImportProblem, Scan, check_readable, head_text, scan, unknown_tags_warning

# format name -> module in this package exposing parse(path, info) -> Iterator[Record]
FORMATS = {
    "ris": "ris",
    "medline": "medline",          # PubMed MEDLINE / .nbib, ERIC .nbib
    "wos": "wos",                  # Web of Science plain text (.ciw / .txt)
    "ovid_tagged": "ovid_tagged",  # Ovid direct export, tagged (Embase, PsycINFO, BIOSIS, ...)
    "endnote_xml": "endnote_xml",
    "csv": "csvfile",              # also semicolon- and tab-delimited
    "pubmed_xml": "pubmed_xml_file",  # PubmedArticleSet: PubMed's "Save > XML", efetch output
    "bibtex": "bibtex",            # .bib from Zotero, Mendeley, JabRef, Google Scholar
    "xlsx": "xlsx",                # Excel workbook, first sheet
}
BINARY_FORMATS = {"xlsx"}          # not text: no encoding to warn about


def detect_format(path: Path, encoding: str = "utf-8-sig") -> str:
    """The export format, from the first 64 KB."""
    if is_workbook(path):
        return "xlsx"
    head = head_text(path, encoding).lstrip("\ufeff")
    stripped = head.lstrip()
    if "<PubmedArticleSet" in head[:4096] or "<!DOCTYPE PubmedArticleSet" in head[:4096]:
        return "pubmed_xml"
    if stripped.startswith("<?xml") or stripped.startswith("<xml") or stripped.startswith("<records"):
        if "<record" in head:
            return "endnote_xml"
    lines = [line for line in head.split("\n") if line.strip()]
    if not lines:
        raise ImportProblem(path, 1, "file is empty, expected exported records")
    if lines[0].startswith("PMID-") or any(line.startswith("OWN - ") for line in lines[:5]):   # PubMed; ERIC
        return "medline"
    if re.match(r"^(FN |VR |PT [A-Z]\s*$)", lines[0]) or (lines[0].startswith("FN") and "Web of Science" in lines[0]):
        return "wos"
    # "TY  - JOUR" (also "TY - JOUR") ... "ER  - ": RIS, even with Ovid's "<1. >" sequence lines between records
    ris = re.search(r"^[ \t]*TY[ \t]{1,3}-", head, re.M)
    if not (ris and re.search(r"^[ \t]*ER[ \t]{1,3}-", head, re.M)) and (
            re.search(r"^ ?<\d+\.? ?>\s*$", head, re.M) and re.search(r"^ ?[A-Z][A-Z0-9]  - ", head, re.M)
            or re.match(r"VN {1,2}- Ovid Technologies", stripped)):   # some Ovid exports indent every line by one
        return "ovid_tagged"
    if ris:
        return "ris"
    if _BIBTEX_ENTRY.search(head) or path.suffix.lower() == ".bib":
        return "bibtex"
    if csvfile.has_header(lines):
        return "csv"
    if path.suffix.lower() in (".csv", ".tsv"):
        return "csv"  # the CSV importer then says which column is missing
    raise ImportProblem(
        path, 1,
        "unrecognised format; expected RIS (TY  - ...), PubMed MEDLINE (PMID- ...), Web of Science "
        "plain text (FN ...), Ovid tagged (<1. >), EndNote XML (<xml><records>), PubMed XML (<PubmedArticleSet>), "
        "BibTeX (@article{...), CSV with a title column or an Excel .xlsx workbook",
    )


# "@article{key," at the start of a line: a BibTeX entry (Mendeley writes plain-text lines before the first)
_BIBTEX_ENTRY = re.compile(r"^\s*@[A-Za-z]+\s*\{\s*[^\s,{}]*\s*,", re.M)


def is_workbook(path: Path) -> bool:
    """An Excel .xlsx workbook: a zip whose first entries are the workbook's parts."""
    with open(path, "rb") as fh:
        head = fh.read(4096)
    return head.startswith(b"PK\x03\x04") and (path.suffix.lower() in (".xlsx", ".xlsm") or b"xl/" in head)


def open_export(path: str | Path, format: str | None = None,
                scanned: Scan | None = None) -> tuple[FileInfo, Iterator[Record]]:
    """Check, sniff and start parsing one export file; the iterator raises ImportProblem.

    ``scanned`` is the file's :func:`~searchflow.sources.base.scan` when the caller has it already."""
    path = Path(path)
    check_readable(path)
    scanned = scanned or scan(path)
    info = FileInfo(path=path, encoding=scanned.encoding)
    info.format = format or detect_format(path, info.encoding)
    if scanned.warning and info.format not in BINARY_FORMATS:
        info.warnings.append(scanned.warning)
    if info.format not in FORMATS:
        raise ImportProblem(path, None, f"unknown format {info.format!r}; expected one of {', '.join(FORMATS)}")
    return info, _guarded(_module(info.format).parse(path, info), info)


def open_encoded(path: str | Path, format: str | None = None,
                 scanned: Scan | None = None) -> tuple[FileInfo, Iterator[tuple]]:
    """:func:`open_export`, each record already through :func:`searchflow.store.encoding.encode_record`:
    what an import stores. A large file is parsed by worker processes meanwhile."""
    from ..store.encoding import encode_record
    from . import chunked

    info, records = open_export(path, format, scanned)
    module = _module(info.format)
    if not info.encoding.startswith("utf-16") and chunked.worth_parallel(info.path, module):
        vendor = chunked.first_vendor(info.path, info, module)
        if vendor:
            records.close()
            info.vendor = vendor
            return info, chunked.encoded_records(info.path, info, module)
    return info, map(encode_record, records)


def _module(format: str):
    return importlib.import_module(f".{FORMATS[format]}", __name__)


def _guarded(records: Iterator[Record], info: FileInfo) -> Iterator[Record]:
    """Any parser failure that is not already an ImportProblem still names the file."""
    count = 0
    try:
        for record in records:
            count += 1
            yield record
    except ImportProblem:
        raise
    except (ValueError, UnicodeError, KeyError, IndexError) as exc:
        raise ImportProblem(info.path, None, f"cannot read record {count + 1} as {info.format}: {exc}") from None
    if count == 0:
        raise ImportProblem(info.path, None, f"no records found; expected {info.format} records")
    warning = unknown_tags_warning(info)
    if warning:
        info.warnings.append(warning)


__all__ = ["FORMATS", "FileInfo", "ImportProblem", "detect_format", "open_encoded", "open_export"]
