"""Records tables for the engine: from parsed exports, or from a CSV with the usual column names.

The CSV reader here exists for standalone runs and benchmarks when no CSV
importer is installed; it maps the column names that reference managers and
dedup tools write (author/authors, number/issue, booktitle, ENTRYTYPE, ...).
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

import pandas as pd

from ..records import Record
from ..sources.base import ImportProblem, sniff_encoding
from .normalise import INPUT_COLUMNS

# engine column -> CSV column names that mean it, in order of preference
CSV_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "record_id", "key", "citation_key"),
    "title": ("title", "ti", "primary_title", "article_title"),
    "authors": ("authors", "author", "au", "author_names"),
    "year": ("year", "py", "publication_year", "date"),
    "journal": ("journal", "journal_title", "source_title", "secondary_title", "so", "booktitle", "t2", "jo"),
    "journal_abbrev": ("journal_abbrev", "journal_abbreviation", "j2", "ja"),
    "volume": ("volume", "vl", "vol"),
    "issue": ("issue", "number", "is", "no"),
    "pages": ("pages", "page", "pg", "sp"),
    "doi": ("doi", "do"),
    "pmid": ("pmid", "pubmed_id"),
    "pmcid": ("pmcid",),
    "accession": ("accession", "accession_number", "an"),
    "issn": ("issn", "sn"),
    "isbn": ("isbn",),
    "type": ("type", "entrytype", "ty", "publication_type", "pt"),
    "abstract": ("abstract", "ab"),
}


def read_csv_records(path: str | Path, id_column: str | None = None,
                     ignore: Iterable[str] = ()) -> pd.DataFrame:
    """A CSV as an engine table; ``id`` is the id column's value or the 1-based row number.

    ``ignore``: CSV columns to leave out (a column known to hold something else, such
    as the record numbers some exports put in ``number``).
    """
    path = Path(path)
    encoding, _ = sniff_encoding(path)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding)
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ImportProblem(path, None, f"cannot read as CSV: {exc}") from None
    if id_column and id_column not in raw.columns:
        raise ImportProblem(path, 1, f"no column {id_column!r}; columns are {', '.join(raw.columns)}")
    ignored = {c.lower() for c in ignore}
    by_lower = {c.strip().lower(): c for c in raw.columns if c.strip().lower() not in ignored}
    table = pd.DataFrame(index=raw.index)
    for name, aliases in CSV_ALIASES.items():
        found = [by_lower[a] for a in aliases if a in by_lower]
        if name == "journal" and len(found) > 1:   # journal empty for conference papers: use booktitle
            column = raw[found[0]]
            for other in found[1:]:
                column = column.where(column.str.strip() != "", raw[other])
            table[name] = column
        else:
            table[name] = raw[found[0]] if found else ""
    table["id"] = raw[id_column] if id_column else [str(i) for i in range(1, len(raw) + 1)]
    return table.reset_index(drop=True)


def records_table(records: Iterable[Record], ids: Iterable[str] | None = None) -> pd.DataFrame:
    """Parsed records (any importer) as an engine table.

    ``authors_written`` keeps the names as the export wrote them: importers keep initials
    only ("Xiaoguang, W"), which hides a swapped given and family name ("Xiaoguang, Wang"
    for Wang Xiaoguang) from the swapped-name comparison.
    """
    rows = []
    for position, record in enumerate(records, start=1):
        rows.append({
            "id": str(position), "title": record.title, "authors": list(record.authors),
            "year": record.year if record.year is not None else "", "journal": record.journal,
            "journal_abbrev": record.journal_abbrev, "volume": record.volume, "issue": record.issue,
            "pages": record.pages, "doi": record.doi, "pmid": record.pmid, "pmcid": record.pmcid,
            "accession": dict(record.accession), "issn": "; ".join(record.issn),
            "isbn": "; ".join(record.isbn), "type": record.type, "abstract": record.abstract,
            "authors_written": names_as_written(record.raw),
        })
    table = pd.DataFrame(rows, columns=[*INPUT_COLUMNS, "authors_written"])
    if ids is not None:
        table["id"] = list(ids)
    return table


# raw tags that hold author names across export formats, full names first
# (Web of Science AF, MEDLINE FAU, CSV and RIS columns; RIS repeats AU once per author)
_WRITTEN_NAME_TAGS = ("af", "fau", "author_full_names", "author", "authors", "au", "a1", "author_names")


def names_as_written(raw: Iterable) -> str:
    """The record's author names as its export wrote them ("; "-joined), "" when no tag holds them."""
    found: dict[str, list[str]] = {}
    for tag, value in raw:
        key = tag.strip().lstrip("\ufeff").strip('"').lower()
        if key in _WRITTEN_NAME_TAGS:
            found.setdefault(key, []).append(value if isinstance(value, str) else " ".join(value))
    for key in _WRITTEN_NAME_TAGS:
        if key in found:
            return "; ".join(v.strip() for v in found[key] if v.strip())
    return ""
