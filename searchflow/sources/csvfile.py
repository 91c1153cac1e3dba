"""CSV / TSV with a header row (spreadsheets, bib-dedupe and ASySD files, Web of Science tab-delimited).

Columns are matched by name, case-insensitively, with the synonyms reviewers'
tools use. The stdlib csv reader gets the open file (not pre-split lines) so
that quoted values may hold newlines; ``line_num`` gives each row's first line.
"""
from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Iterator

from ..records import (
    Record, clean_text, normalise_author, normalise_doi, normalise_issue, normalise_issns, normalise_isbns,
    normalise_pages, normalise_pmcid, normalise_pmid, normalise_type, normalise_year, unique,
)
from .base import FileInfo, ImportProblem

# Record field -> accepted column names (folded: lower case, spaces and dashes as "_")
COLUMNS: dict[str, tuple[str, ...]] = {
    "title": ("title", "ti", "t1", "article_title", "primary_title", "document_title"),
    "authors": ("author", "authors", "af", "au", "a1", "author_full_names", "author_names"),
    "year": ("year", "py", "publication_year", "pubyear", "date", "publication_date"),
    "journal": ("journal", "source", "secondary_title", "journal_title", "source_title", "jf", "t2", "so", "booktitle"),
    # BibTeX-style files carry both columns: a conference paper's venue is in booktitle, its journal cell empty
    "booktitle": ("booktitle", "book_title", "proceedings_title"),
    "journal_abbrev": ("journal_abbrev", "journal_abbreviation", "j2", "ja", "abbreviation"),
    "volume": ("volume", "vl", "vol"),
    "issue": ("number", "issue", "is", "no"),
    "pages": ("pages", "page", "pg", "page_range"),
    "start_page": ("start_page", "sp", "bp", "first_page"),
    "end_page": ("end_page", "ep", "last_page"),
    "doi": ("doi", "di", "do"),
    "pmid": ("pmid", "pubmed_id", "pm"),
    "pmcid": ("pmcid", "pmc"),
    "abstract": ("abstract", "ab", "n2"),
    "isbn": ("isbn", "issn", "sn", "isbn_issn"),
    "type": ("type", "entrytype", "ty", "dt", "document_type", "publication_type", "ref_type"),
    "keywords": ("keywords", "kw", "keyword", "de", "author_keywords", "mesh"),
    "id": ("id", "record_id", "recordid", "accession", "accession_number", "an", "ut", "key"),
    "url": ("url", "ur", "link"),
    "database": ("database", "db", "source_database", "databases"),
    "language": ("language", "la", "lang"),
}
# Placeholders some tools write for a missing value (ASySD "NA", bib-dedupe "UNKNOWN")
_MISSING = {"na", "n/a", "unknown", "null", "none"}
_AUTHOR_SPLIT = re.compile(r"\s*;\s*|\s+and\s+")
_LIST_SPLIT = re.compile(r"\s*;\s*")


def parse(path: Path, info: FileInfo) -> Iterator[Record]:
    csv.field_size_limit(max(csv.field_size_limit(), 1 << 24))  # abstracts and reference lists exceed the 128 KB default
    with open(path, "r", encoding=info.encoding, errors="replace", newline="") as fh:
        first_line = fh.readline()
        delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
        fh.seek(0)
        reader = csv.reader(fh, delimiter=delimiter)
        header = next(reader, None)
        if not header:
            raise ImportProblem(path, 1, "empty CSV; expected a header row naming the columns (title, author, year, ...)")
        columns = _match_columns(header)
        if [_fold(h) for h in header[:1]] == ["pt"] and "ut" in map(_fold, header):
            info.vendor = "wos"  # Web of Science "tab-delimited" export: same tags as its plain text
        if "title" not in columns:
            found = ", ".join(h.strip() for h in header[:12] if h.strip()) or "(none)"
            raise ImportProblem(
                path, 1,
                f"no title column in the header row (found: {found}); expected one named "
                f"{' or '.join(COLUMNS['title'][:3])}",
            )
        start = reader.line_num + 1
        try:
            for row in reader:
                if any(cell.strip() for cell in row):
                    yield _record(header, row, columns, start)
                start = reader.line_num + 1
        except csv.Error as exc:
            raise ImportProblem(path, start, f"malformed CSV row: {exc}") from None


def _fold(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().strip('"').lower())


def _match_columns(header: list[str]) -> dict[str, int]:
    """Record field -> column index; the first synonym in COLUMNS order wins."""
    folded = [_fold(h) for h in header]
    columns: dict[str, int] = {}
    for field_name, names in COLUMNS.items():
        for name in names:
            if name in folded:
                columns[field_name] = folded.index(name)
                break
    return columns


def _record(header: list[str], row: list[str], columns: dict[str, int], line: int) -> Record:
    def cell(field_name: str) -> str:
        index = columns.get(field_name)
        if index is None or index >= len(row):
            return ""
        value = clean_text(row[index])
        return "" if value.lower() in _MISSING else value

    def split(field_name: str, pattern: re.Pattern = _LIST_SPLIT) -> list[str]:
        value = cell(field_name)
        return [part for part in pattern.split(value) if part.strip()] if value else []

    # BibTeX-style "376 -- 383" page ranges
    pages = re.sub(r"\s*-{2,}\s*", "-", cell("pages"))
    record_id = cell("id")
    return Record(
        raw=[(name, value) for name, value in zip(header, row) if value != ""],
        line=line,
        title=cell("title"),
        abstract=cell("abstract"),
        authors=[a for a in (normalise_author(name) for name in split("authors", _AUTHOR_SPLIT)) if a],
        year=normalise_year(cell("year")),
        journal=cell("journal") or cell("booktitle"),
        journal_abbrev=cell("journal_abbrev"),
        volume=cell("volume"),
        issue=normalise_issue(cell("issue")),
        pages=normalise_pages(pages) if pages else normalise_pages(cell("start_page"), cell("end_page")),
        doi=normalise_doi(cell("doi")),
        pmid=normalise_pmid(cell("pmid")),
        pmcid=normalise_pmcid(cell("pmcid")),
        accession={"id": record_id} if record_id else {},
        issn=normalise_issns([cell("isbn")]),
        isbn=normalise_isbns([cell("isbn")]),
        type=normalise_type(cell("type")),
        language=cell("language"),
        keywords=unique(split("keywords")),
        url=cell("url"),
        databases=unique(split("database")),
    )
