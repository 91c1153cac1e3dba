"""Deduplicating export files without a project: `searchflow dedup FILE... --out clusters.csv`.

Each file is read with the project's importers (any supported export, CSV
included); the output has one row per input record: the file, the record's id
(the ``--id-column`` value, or its 1-based position in the file), its cluster
and what happened to it (unique = kept, duplicate = merged into the cluster,
possible = sent to review, not merged).
"""
from __future__ import annotations

import csv
from pathlib import Path
from typing import IO, Iterable

import pandas as pd

from ..sources import open_export
from ..sources.base import ImportProblem
from .engine import DedupResult, deduplicate
from .tables import read_csv_records, records_table

OUTPUT_COLUMNS = ["file", "id", "cluster_id", "decision"]


def read_files(paths: Iterable[str | Path], id_column: str | None = None) -> pd.DataFrame:
    """All records of all files as one engine table, with ``file`` and ``id`` columns."""
    tables = []
    for path in map(Path, paths):
        table = _read_one(path, id_column)
        table.insert(0, "file", str(path))
        tables.append(table)
    return pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=["file", "id"])


def _read_one(path: Path, id_column: str | None) -> pd.DataFrame:
    try:
        info, records = open_export(path)
        records = list(records)
    except ModuleNotFoundError:   # that format's importer is not installed: CSV is still read here
        if path.suffix.lower() not in {".csv", ".tsv"}:
            raise ImportProblem(path, None, "no importer for this format is installed") from None
        return read_csv_records(path, id_column=id_column)
    ids = None
    if id_column:
        if info.format == "csv":
            _check_csv_column(path, info.encoding, id_column)
        ids = [_raw_value(record.raw, id_column) for record in records]
        if info.format != "csv" and not any(ids):
            raise ImportProblem(path, None, f"no record has a {id_column!r} tag to use as its id")
    return records_table(records, ids)


def _check_csv_column(path: Path, encoding: str, column: str) -> None:
    with open(path, "r", encoding=encoding, errors="replace", newline="") as fh:
        header = next(csv.reader(fh), [])
    names = [h.strip().lstrip("\ufeff").strip('"') for h in header]
    if column.lower() not in {n.lower() for n in names}:
        raise ImportProblem(path, 1, f"no column {column!r} for --id-column; columns are {', '.join(names)}")


def _raw_value(raw: list[tuple[str, str]] | list[list[str]], name: str) -> str:
    wanted = name.lower()
    for tag, value in raw:
        if tag.strip().lstrip("\ufeff").strip('"').lower() == wanted:
            return value.strip()
    return ""


def dedup_files(paths: Iterable[str | Path], id_column: str | None = None) -> tuple[pd.DataFrame, DedupResult]:
    """The output table (file, id, cluster_id, decision) and the engine's full result."""
    table = read_files(paths, id_column)
    result = deduplicate(table)
    out = pd.DataFrame({
        "file": table["file"].to_numpy(),
        "id": table["id"].to_numpy(),
        "cluster_id": result.records["cluster_id"].to_numpy(),
        "decision": result.records["decision"].to_numpy(),
    })
    return out, result


def write_clusters(table: pd.DataFrame, out: IO[str]) -> None:
    table[OUTPUT_COLUMNS].to_csv(out, index=False, lineterminator="\n")
