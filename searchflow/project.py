"""A review project: its protocol plus its store. The Python API protocol scripts use.

    >>> project = Project.open("protocols/link-workers.toml")
    >>> project.run()                 # import what the protocol declares
    >>> project.records()             # one row per source record, as a DataFrame
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd

from . import protocol as protocol_module
from .protocol import Protocol, Search
from .sources import open_export
from .sources.base import ImportProblem, sha256_of
from .store import Store

# The records table's columns, in order; the first ones are the interface others rely on.
RECORD_COLUMNS = [
    "search", "database", "work", "title", "authors", "year", "journal", "volume", "issue",
    "pages", "doi", "pmid", "abstract", "record", "pmcid", "journal_abbrev", "issn", "isbn",
    "type", "language", "keywords", "accession", "url", "method", "round",
]


@dataclass
class SearchChange:
    """What importing one search did, for the change report."""

    search_id: str
    status: str                   # new | changed | unchanged | skipped
    version: int = 0
    records: int = 0
    previous_records: int = 0
    carried: int = 0              # records identical to the previous version's
    files: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def describe(self) -> str:
        if self.status == "unchanged":
            return f"{self.search_id}: unchanged ({self.records} records)"
        if self.status == "skipped":
            return f"{self.search_id}: skipped ({'; '.join(self.warnings)})"
        if self.status == "new":
            return f"{self.search_id}: imported {self.records} records (version 1)"
        delta = self.records - self.previous_records
        return (f"{self.search_id}: changed, version {self.version}: {self.records} records "
                f"({delta:+d}; {self.carried} identical to version {self.version - 1})")


class Project:
    """A protocol and its store, opened together."""

    def __init__(self, protocol: Protocol, store: Store):
        self.protocol = protocol
        self.store = store

    @classmethod
    def open(cls, protocol_path: str | Path) -> "Project":
        protocol = protocol_module.load(protocol_path)
        return cls(protocol, Store.open(protocol.store_path))

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> "Project":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------ importing

    def run(self, progress: Callable[[str], None] | None = None) -> list[SearchChange]:
        """Import every file the protocol declares, all in one transaction.

        Same files twice add nothing; a changed file is a new version of its search.
        PubMed searches are handled by the PubMed connector when it is present.
        """
        changes: list[SearchChange] = []
        with self.store.transaction():
            for search in self.protocol.searches:
                if search.connector != "file":
                    continue
                changes.append(self.import_search(search))
        return changes

    def import_search(self, search: Search, files: list[Path] | None = None) -> SearchChange:
        """Import one search's files as a search run (a new version if they changed)."""
        files = list(files if files is not None else search.files)
        hashes = [(path, sha256_of(path)) if path.exists() else (path, "") for path in files]
        for path, digest in hashes:
            if not digest:
                raise ImportProblem(path, None, f"file not found (named in search {search.id!r})")
        fingerprint = hashlib.sha256("\n".join(d for _, d in hashes).encode()).hexdigest()
        current = self.store.current_run(search.id)
        if current is not None and current["fingerprint"] == fingerprint:
            return SearchChange(search.id, "unchanged", current["version"], current["record_count"],
                                current["record_count"], files=[str(p) for p in files])
        with self.store.transaction():
            run_id = self.store.add_search_run(
                search.id, database=search.database, method=search.method, fingerprint=fingerprint,
                platform=search.platform, query=search.query, limits=search.limits,
                date_run=search.date, round=search.round, hits_reported=search.hits,
            )
            warnings: list[str] = []
            for path, digest in hashes:
                info, records = open_export(path, search.format)
                file_id = self.store.add_file(run_id, path=str(path), sha256=digest,
                                              size=path.stat().st_size, format=info.format,
                                              encoding=info.encoding)
                count = self.store.add_records(
                    run_id, file_id, records,
                    previous_run_id=current["id"] if current is not None else None,
                )
                self.store.finish_file(file_id, count, info.vendor, info.encoding)
                warnings.extend(info.warnings)
            total = self.store.finish_run(run_id)
        version = (current["version"] + 1) if current is not None else 1
        change = SearchChange(search.id, "new" if current is None else "changed", version, total,
                              current["record_count"] if current is not None else 0,
                              files=[str(p) for p in files], warnings=warnings)
        if current is not None:
            change.carried = self.store.carried_records(run_id, current["id"])
        return change

    # ------------------------------------------------------------ reading

    def search_runs(self, current_only: bool = True) -> pd.DataFrame:
        return pd.DataFrame(self.store.search_runs(current_only=current_only))

    def records(self, current_only: bool = True) -> pd.DataFrame:
        """One row per source record of the current search runs."""
        rows = [record_row(r) for r in self.store.record_rows(current_only=current_only)]
        return pd.DataFrame(rows, columns=RECORD_COLUMNS)


def record_row(row: dict) -> dict:
    """A stored record as a flat table row (lists joined with '; ')."""
    return {
        "search": row["search"], "database": row["database"], "work": row["work_id"],
        "title": row["title"], "authors": "; ".join(row["authors"]),
        "year": row["year"] if row["year"] is not None else "", "journal": row["journal"],
        "volume": row["volume"], "issue": row["issue"], "pages": row["pages"], "doi": row["doi"],
        "pmid": row["pmid"], "abstract": row["abstract"], "record": row["id"], "pmcid": row["pmcid"],
        "journal_abbrev": row["journal_abbrev"], "issn": "; ".join(row["issn"]),
        "isbn": "; ".join(row["isbn"]), "type": row["type"], "language": row["language"],
        "keywords": "; ".join(row["keywords"]),
        "accession": "; ".join(f"{k}:{v}" for k, v in sorted(row["accession"].items())),
        "url": row["url"], "method": row["method"], "round": row["round"],
    }
