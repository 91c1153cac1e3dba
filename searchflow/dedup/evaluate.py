"""Scoring a clustering against labelled truth, the way the benchmark and its test report it.

"Removable" duplicates are records minus distinct works (what a perfect tool
removes); "found" counts only removals inside one true work; a false merge is a
cluster that spans two true works (counted once per extra work it swallows).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class LabelledSet:
    """A labelled file under the shared data folder and how to read it."""

    name: str
    path: tuple[str, ...]            # parts below the shared data folder
    id_column: str
    ignore: tuple[str, ...] = ()     # columns known to hold something else
    bib_dedupe_found: int | None = None   # bib-dedupe 0.11 on this file, as quoted in the issue


LABELLED_SETS = (
    LabelledSet("haematology", ("dedup", "rathbone2015_sra", "haematology", "records_labelled.csv"), "ID",
                bib_dedupe_found=120),
    # its `number` column holds record numbers, not issues (see the data README)
    LabelledSet("respiratory", ("dedup", "rathbone2015_sra", "respiratory", "records_labelled.csv"), "ID",
                ignore=("number",), bib_dedupe_found=424),
    LabelledSet("cytology", ("dedup", "rathbone2015_sra", "cytology_screening", "records_labelled.csv"), "ID",
                bib_dedupe_found=766),
    LabelledSet("stroke", ("dedup", "rathbone2015_sra", "stroke", "records_labelled.csv"), "ID",
                bib_dedupe_found=312),
    LabelledSet("digital_work", ("dedup", "wagner2021_digital_work", "records_labelled.csv"), "ID",
                bib_dedupe_found=368),
    LabelledSet("diabetes", ("dedup", "asysd2023_diabetes", "diabetes_labelled_utf8.csv"), "record_id",
                bib_dedupe_found=1261),
    LabelledSet("special_cases", ("dedup", "bibdedupe_special_cases", "records_labelled.csv"), "ID"),
)


def evaluate(truth: np.ndarray | pd.Series, clusters: np.ndarray | pd.Series) -> dict[str, int | float]:
    """records, removable, found, missed, false_merges and recall of ``clusters`` against ``truth``."""
    frame = pd.DataFrame({"truth": np.asarray(truth), "cluster": np.asarray(clusters)})
    n = len(frame)
    works = frame["truth"].nunique()
    pieces = len(frame.drop_duplicates(["cluster", "truth"]))
    removable = n - works
    found = n - pieces
    spans = frame.groupby("cluster")["truth"].nunique()
    false_merges = int((spans - 1).sum())
    return {
        "records": n, "removable": removable, "found": found, "missed": removable - found,
        "false_merges": false_merges, "recall": found / removable if removable else 1.0,
    }


def false_merge_clusters(truth: pd.Series, clusters: pd.Series) -> list[int]:
    """Cluster ids that span more than one true work (for looking at what went wrong)."""
    frame = pd.DataFrame({"truth": np.asarray(truth), "cluster": np.asarray(clusters)})
    spans = frame.groupby("cluster")["truth"].nunique()
    return spans[spans > 1].index.tolist()
