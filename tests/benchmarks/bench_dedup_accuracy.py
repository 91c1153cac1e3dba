"""Deduplication accuracy on the real labelled sets in ../shared/data/dedup.

    .venv/bin/python tests/benchmarks/bench_dedup_accuracy.py [--show-missed N] [--show-false]

Prints per set: records, removable duplicates, found, missed, false merges,
possible pairs (review queue), seconds, and bib-dedupe 0.11's figure on the
same file as quoted in issue 4; then the totals with recall.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from searchflow.dedup.engine import deduplicate  # noqa: E402
from searchflow.dedup.evaluate import LABELLED_SETS, evaluate, false_merge_clusters  # noqa: E402
from searchflow.dedup.standalone import read_files  # noqa: E402
from searchflow.dedup.tables import read_csv_records  # noqa: E402

SHARED = Path(os.environ.get("SEARCHFLOW_SHARED_DATA", ROOT.parent / "shared" / "data"))
BIB_DEDUPE_TOTAL = (3252, 3290, 1)   # found, removable, false merges (issue 4)
SHOWN = ["title", "authors", "year", "journal", "volume", "issue", "pages", "doi", "type"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show-missed", type=int, default=0, help="print up to N missed duplicate groups per set")
    parser.add_argument("--show-false", action="store_true", help="print every falsely merged cluster")
    parser.add_argument("--show-possible", type=int, default=0, help="print up to N possible pairs per set")
    parser.add_argument("--only", help="run one set by name")
    parser.add_argument("--importer", action="store_true",
                        help="read the files with searchflow's CSV importer (as `searchflow dedup FILE` does) "
                             "instead of the plain column mapping")
    args = parser.parse_args()

    header = f"{'set':<14}{'records':>8}{'removable':>10}{'found':>7}{'missed':>7}{'false':>6}" \
             f"{'possible':>9}{'seconds':>8}{'recall':>8}   bib-dedupe found"
    print(header)
    totals = {"records": 0, "removable": 0, "found": 0, "missed": 0, "false_merges": 0, "possible": 0}
    seconds_total = 0.0
    below_peer = []
    for spec in LABELLED_SETS:
        if args.only and spec.name != args.only:
            continue
        path = SHARED.joinpath(*spec.path)
        if not path.exists():
            print(f"{spec.name:<14} skipped: {path} not found")
            continue
        if args.importer:
            table = read_files([path], id_column=spec.id_column)
            if spec.ignore:     # the importer reads `number` as the issue; this file's is no issue
                table["issue"] = ""
        else:
            table = read_csv_records(path, id_column=spec.id_column, ignore=spec.ignore)
        truth = pd.read_csv(path, dtype=str, keep_default_na=False, usecols=["dup_group"])["dup_group"]
        start = time.perf_counter()
        result = deduplicate(table)
        seconds = time.perf_counter() - start
        seconds_total += seconds
        figures = evaluate(truth, result.records["cluster_id"])
        possible = len(result.possible_pairs)
        for key in ("records", "removable", "found", "missed", "false_merges"):
            totals[key] += figures[key]
        totals["possible"] += possible
        peer = "" if spec.bib_dedupe_found is None else f"{spec.bib_dedupe_found}/{figures['removable']}"
        if spec.bib_dedupe_found is not None and figures["found"] < spec.bib_dedupe_found:
            below_peer.append(spec.name)
        print(f"{spec.name:<14}{figures['records']:>8}{figures['removable']:>10}{figures['found']:>7}"
              f"{figures['missed']:>7}{figures['false_merges']:>6}{possible:>9}{seconds:>8.2f}"
              f"{figures['recall']:>8.4f}   {peer}")
        if args.show_false:
            for cluster in false_merge_clusters(truth, result.records["cluster_id"]):
                _show(table, truth, result.records["cluster_id"] == cluster, f"FALSE MERGE cluster {cluster}")
        if args.show_missed:
            _show_missed(table, truth, result, args.show_missed)
        if args.show_possible:
            for _, pair in result.possible_pairs.head(args.show_possible).iterrows():
                rows = table.index.isin([pair["a"], pair["b"]])
                same = truth.iloc[pair["a"]] == truth.iloc[pair["b"]]
                _show(table, truth, rows, f"POSSIBLE {pair['rule']} {pair['score']} {pair['note']} truth-same={same}")
    recall = totals["found"] / totals["removable"] if totals["removable"] else 1.0
    print(f"{'total':<14}{totals['records']:>8}{totals['removable']:>10}{totals['found']:>7}{totals['missed']:>7}"
          f"{totals['false_merges']:>6}{totals['possible']:>9}{seconds_total:>8.2f}{recall:>8.4f}   "
          f"{BIB_DEDUPE_TOTAL[0]}/{BIB_DEDUPE_TOTAL[1]} ({BIB_DEDUPE_TOTAL[0] / BIB_DEDUPE_TOTAL[1]:.3f}), "
          f"{BIB_DEDUPE_TOTAL[2]} false merge")
    queue = totals["possible"] / totals["records"] if totals["records"] else 0.0
    print(f"review queue: {totals['possible']} pairs = {100 * queue:.2f}% of records; "
          f"sets below bib-dedupe: {', '.join(below_peer) or 'none'}")
    return 0


def _show(table: pd.DataFrame, truth: pd.Series, rows, title: str) -> None:
    print(f"--- {title}")
    view = table.loc[rows, [c for c in SHOWN if c in table.columns]].copy()
    view.insert(0, "truth", truth[rows].to_numpy())
    with pd.option_context("display.width", 250, "display.max_colwidth", 70):
        print(view.to_string())


def _show_missed(table: pd.DataFrame, truth: pd.Series, result, limit: int) -> None:
    frame = pd.DataFrame({"truth": truth.to_numpy(), "cluster": result.records["cluster_id"].to_numpy()})
    split = frame.groupby("truth")["cluster"].nunique()
    for group in split[split > 1].index[:limit]:
        rows = (frame["truth"] == group).to_numpy()
        view_rows = pd.Series(rows, index=table.index)
        print(f"--- MISSED group {group}: clusters {sorted(frame.loc[rows, 'cluster'].unique())}")
        view = table.loc[view_rows, [c for c in SHOWN if c in table.columns]].copy()
        view["title"] = view["title"].str[:60]
        view["authors"] = view["authors"].str[:25]
        view["journal"] = view["journal"].str[:25]
        view.insert(0, "cluster", frame.loc[rows, "cluster"].to_numpy())
        pairs = result.pairs
        idx = set(map(int, view.index))
        related = pairs[pairs["a"].isin(idx) & pairs["b"].isin(idx)]
        with pd.option_context("display.width", 250, "display.max_colwidth", 70):
            print(view.to_string())
            if len(related):
                print(related.head(6).to_string())


if __name__ == "__main__":
    sys.exit(main())
