"""Bulk resolutions: `searchflow resolve --from-csv` against one `resolve` per conflict.

    .venv/bin/python tests/benchmarks/bench_resolve.py [--conflicts 1000] [--one-by-one 36]

Builds a project whose reviewers disagree on every work, writes the conflicts CSV with the
command a resolver would use, fills in a verdict per row, and times the whole command (start-up
included, as a resolver waits for it); then times resolving a few conflicts one command each.
"""
from __future__ import annotations

import argparse
import csv
import io
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import speed_line

from searchflow import protocol as protocol_module
from searchflow.records import Record
from searchflow.store import now
from searchflow.store.sqlite import SQLiteStore as Store

SEARCHFLOW = [sys.executable, "-m", "searchflow"]


def build(folder: Path, works: int) -> Path:
    """A protocol and a store where ann includes and bob excludes every work."""
    path = folder / "bench.toml"
    path.write_text("""
[review]
title = "Resolution benchmark"
[screening]
reviewers = ["ann", "bob"]
lead = "ann"
resolvers = ["cat"]
exclusion_reasons = ["wrong population", "wrong design"]
[[search]]
id = "embase"
database = "Embase"
files = ["embase.ris"]
""", encoding="utf-8")
    protocol = protocol_module.load(path)
    store = Store.open(protocol.store_path)
    with store.transaction():
        run = store.begin_pending_run("embase", database="Embase", method="database", connector="file")
        store.add_records(run, None, (Record(raw=[("ID", str(i))], title=f"Link workers study {i}", year=2020,
                                             doi=f"10.1234/r.{i}") for i in range(works)))
        store.complete_run(run, fingerprint="bench", hits_reported=None)
        stamp = now()
        for work in sorted({r["work_id"] for r in store.record_rows()}):
            store.add_decision(work, "title_abstract", "ann", "verdict", "include", "", "", time=stamp)
            store.add_decision(work, "title_abstract", "bob", "verdict", "exclude", "wrong design", "", time=stamp)
    store.close()
    return path


def searchflow(*args: str) -> subprocess.CompletedProcess:
    result = subprocess.run([*SEARCHFLOW, *args], capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(result.stderr)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conflicts", type=int, default=1000)
    parser.add_argument("--one-by-one", type=int, default=36)
    args = parser.parse_args()
    print(speed_line())
    with tempfile.TemporaryDirectory() as tmp:
        protocol = str(build(Path(tmp), args.conflicts + args.one_by_one))
        rows = list(csv.DictReader(io.StringIO(searchflow("conflicts", protocol, "--format", "csv",
                                                          "--lead", "ann").stdout)))
        bulk, single = rows[:args.conflicts], rows[args.conflicts:]
        sheet = Path(tmp) / "resolved.csv"
        with open(sheet, "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]) + ["verdict", "resolver"], lineterminator="\n")
            writer.writeheader()
            for i, row in enumerate(bulk):
                writer.writerow({**row, "verdict": "include" if i % 3 else "exclude", "resolver": "cat"})
        start = time.perf_counter()
        out = searchflow("resolve", protocol, "--from-csv", str(sheet)).stdout.strip()
        seconds = time.perf_counter() - start
        print(f"--from-csv: {out}: {seconds:.2f} s for {len(bulk)} resolutions "
              f"({1000 * seconds / len(bulk):.1f} ms each, start-up included)")
        start = time.perf_counter()
        for row in single:
            searchflow("resolve", protocol, "--work", row["work"], "--stage", row["stage"], "--resolver", "cat",
                       "--verdict", "include")
        seconds = time.perf_counter() - start
        print(f"one command each: {seconds:.2f} s for {len(single)} resolutions ({seconds / len(single):.2f} s each)")
    print(speed_line())


if __name__ == "__main__":
    main()
