"""Import benchmark: a generated 100,000-record RIS file through parse + normalise + store.

Prints records/s (median of the runs) and peak RSS. Target: >= 20,000 records/s end to
end, peak RSS < 1 GB. Each run is a fresh process so peak RSS is that run's alone.
``--breakdown`` then times the parts one at a time in one process (the checksum read, parsing
with normalising and encoding, the store's inserts, its commit) and works out how many cores
the target needs at these costs.

    python tests/benchmarks/bench_import.py [--records 100000] [--runs 3] [--breakdown]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from searchflow.sources import chunked

WORDS = ("social prescribing link worker primary care community wellbeing loneliness "
         "intervention qualitative realist evaluation outcomes older adults mental health "
         "referral general practice voluntary sector health inequalities frailty").split()
FAMILY = ["Smith", "Jones", "Martínez", "O'Brien", "Nguyen", "Müller", "Kowalski", "Tierney",
          "Wong", "Husk", "Moffatt", "Bertotti", "Frostick", "Wildman", "Ngata", "Østergaard"]
GIVEN = ["Anna", "José", "Li", "Kerryn", "Suzanne", "Marcello", "Inês", "Peter", "Aisha", "Tom"]
JOURNALS = [("BMC Public Health", "1471-2458"), ("BMJ Open", "2044-6055"),
            ("Health & Social Care in the Community", "0966-0410"), ("British Journal of General Practice", "0960-1643")]


def write_ris(path: Path, n: int, seed: int = 7) -> None:
    """Embase/EBSCO/Ovid-shaped records: ~25 lines each with abstracts, keywords, repeated tags."""
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        for i in range(n):
            journal, issn = rng.choice(JOURNALS)
            year = rng.randint(1995, 2024)
            title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 16))).capitalize()
            abstract = " ".join(rng.choice(WORDS) for _ in range(rng.randint(120, 250)))
            start = rng.randint(1, 2000)
            lines = [f"{i + 1}. ", "TY  - JOUR", f"T1  - {title}"]
            lines += [f"A1  - {rng.choice(FAMILY)}, {rng.choice(GIVEN)} {chr(65 + rng.randint(0, 25))}"
                      for _ in range(rng.randint(1, 8))]
            lines += [f"Y1  - {year}//", f"N2  - {abstract}", f"JF  - {journal}", f"JA  - {journal[:12]}",
                      f"VL  - {rng.randint(1, 60)}", f"IS  - {rng.randint(1, 12)}", f"SP  - {start}",
                      f"EP  - {start + rng.randint(2, 20)}", f"SN  - {issn}", "M3  - Journal Article",
                      f"DO  - https://dx.doi.org/10.{1000 + i % 9000}/bench.{i}",
                      "DB  - APA PsycInfo <2016 to 2023 March Week 1>"]
            lines += [f"KW  - {rng.choice(WORDS)}" for _ in range(rng.randint(3, 10))]
            lines += ["ER  - ", ""]
            fh.write("\n".join(lines) + "\n")


def one_run(ris: Path, work: Path) -> dict:
    """Import the file into a fresh project; return seconds, records and peak RSS (this process)."""
    from searchflow import Project

    protocol = work / "bench.toml"
    protocol.write_text(
        '[review]\ntitle = "bench"\n[[search]]\nid = "big"\ndatabase = "PsycINFO"\n'
        f'files = ["{ris.as_posix()}"]\n', encoding="utf-8")
    start = time.perf_counter()
    with Project.open(protocol) as project:
        # import only (parse + normalise + store); dedup has its own benchmark
        with project.store.transaction():
            records = project.import_search(project.protocol.searches[0]).records
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    worker_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024   # parsing processes
    own, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime
    return {"records": records, "seconds": seconds, "peak_rss_mb": peak_mb, "worker_rss_mb": worker_mb,
            "cpu_seconds": cpu}


def breakdown(ris: Path, work: Path) -> None:
    """The import's parts timed apart: what is serial (checksum, commit) and what parallelises."""
    from searchflow import Project
    from searchflow.memory import collector_paused
    from searchflow.sources import ris as ris_format
    from searchflow.sources.base import FileInfo, scan
    from searchflow.store.encoding import encode_record

    start = time.perf_counter()
    scanned = scan(ris)
    scan_s = time.perf_counter() - start
    cpu = time.process_time()
    info = FileInfo(path=ris, format="ris", encoding=scanned.encoding)
    with collector_paused():                            # as the import pauses it
        rows = [encode_record(record) for record in ris_format.parse(ris, info)]
    parse_cpu = time.process_time() - cpu
    protocol = work / "breakdown.toml"
    protocol.write_text('[review]\ntitle = "bench"\n', encoding="utf-8")
    with Project.open(protocol) as project:
        store = project.store
        with store.transaction(), collector_paused():
            run_id = store.begin_pending_run("big", database="PsycINFO", method="database", connector="file")
            start, cpu = time.perf_counter(), time.process_time()
            store.add_encoded(run_id, None, iter(rows))
            insert_s, insert_cpu = time.perf_counter() - start, time.process_time() - cpu
            start = time.perf_counter()
        commit_s = time.perf_counter() - start          # the transaction's end: commit and WAL checkpoint
    n = len(rows)
    serial = scan_s + commit_s
    print(f"breakdown ({n:,} records, one process):")
    print(f"  checksum + encoding check (serial, before parsing): {scan_s:.2f} s")
    print(f"  parse + normalise + encode: {parse_cpu:.2f} s CPU = {parse_cpu / n * 1e6:.0f} µs a record "
          f"= {n / parse_cpu:,.0f} records/s per core (parallel, in parsing processes)")
    print(f"  store inserts: {insert_s:.2f} s ({insert_cpu:.2f} s CPU) = {n / insert_s:,.0f} records/s "
          f"(this process, alongside the parsing)")
    print(f"  commit + WAL checkpoint (serial, after the last insert): {commit_s:.2f} s")
    budget = n / 20_000 - serial
    if budget > 0:
        print(f"  20,000 records/s = {n / 20_000:.1f} s: {serial:.2f} s serial leaves {budget:.2f} s for "
              f"{parse_cpu + insert_cpu:.1f} s of CPU, so at least {(parse_cpu + insert_cpu) / budget:.1f} busy cores "
              f"(this machine has {os.cpu_count()}), before any cost of handing records between processes")
    else:
        print(f"  20,000 records/s = {n / 20_000:.1f} s, less than the {serial:.2f} s serial parts alone")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--breakdown", action="store_true", help="then time the parts apart")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(one_run(Path(args.child[0]), Path(args.child[1]))))
        return
    with tempfile.TemporaryDirectory() as tmp:
        ris = Path(tmp) / "big.ris"
        write_ris(ris, args.records)
        size_mb = ris.stat().st_size / 1e6
        print(f"generated {args.records:,} records, {size_mb:.0f} MB RIS")
        results = []
        for run in range(args.runs):
            work = Path(tmp) / f"run{run}"
            work.mkdir()
            out = subprocess.run([sys.executable, __file__, "--child", str(ris), str(work)],
                                 capture_output=True, text=True, check=True)
            result = json.loads(out.stdout.strip().splitlines()[-1])
            results.append(result)
            print(f"run {run + 1}: {result['records']:,} records in {result['seconds']:.2f} s = "
                  f"{result['records'] / result['seconds']:,.0f} records/s, peak RSS {result['peak_rss_mb']:.0f} MB "
                  f"(+ {result['worker_rss_mb']:.0f} MB per parsing process), "
                  f"CPU {result['cpu_seconds']:.1f} s in all (load average now {os.getloadavg()[0]:.1f})")
        rate = statistics.median(r["records"] / r["seconds"] for r in results)
        rss = max(r["peak_rss_mb"] for r in results)
        workers = max(r["worker_rss_mb"] for r in results)
        print(f"median: {rate:,.0f} records/s end to end (target >= 20,000); "
              f"peak RSS {rss:.0f} MB, each of {chunked.workers_available()} parsing processes "
              f"{workers:.0f} MB at most (target < 1024 MB)")
        if args.breakdown:
            (Path(tmp) / "breakdown").mkdir()
            breakdown(ris, Path(tmp) / "breakdown")


if __name__ == "__main__":
    from machine import speed_line
    if "--child" not in sys.argv:
        print(speed_line())
    main()
    if "--child" not in sys.argv:
        print(speed_line())
