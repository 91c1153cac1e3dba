"""Screening speed on a 100,000-work project: open + a reviewer's queue, and one keypress.

    .venv/bin/python tests/benchmarks/bench_screening.py [--works 100000] [--keep DIR]

Prints medians. Targets (issue 5): open the project and compute the queue in <= 1 s;
record a decision and look up the next record in <= 50 ms. Half the works already
carry one reviewer's verdict and a third the other's, as mid-way through screening.
"""
from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import tempfile
import time
from pathlib import Path

from searchflow import protocol as protocol_module
from searchflow.records import Record
from searchflow.screening import decisions as sd
from searchflow.screening.order import queue
from searchflow.store import now
from searchflow.store.sqlite import SQLiteStore as Store

WORDS = ("social prescribing link worker primary care loneliness wellbeing community referral "
         "older adults mental health intervention qualitative realist evaluation outcomes").split()


def build(folder: Path, works: int) -> Path:
    """A protocol and a store with ``works`` database records and screening under way."""
    path = folder / "bench.toml"
    path.write_text("""
[review]
title = "Screening benchmark"
[screening]
reviewers = ["ann", "bob"]
lead = "ann"
exclusion_reasons = ["wrong population", "wrong design"]
[[search]]
id = "embase"
database = "Embase"
files = ["embase.ris"]
""", encoding="utf-8")
    rng = random.Random(1)
    store = Store.open(folder / "bench.db")

    def records():
        for i in range(works):
            words = rng.choices(WORDS, k=200)
            yield Record(raw=[("ID", str(i))], line=i * 12 + 1, title=" ".join(words[:12]).capitalize(),
                         abstract="BACKGROUND: " + " ".join(words[12:80]) + ". METHODS: " + " ".join(words[80:140])
                         + ". RESULTS: " + " ".join(words[140:]) + ".",
                         authors=[f"Author{j}, A" for j in range(rng.randint(1, 8))], year=1990 + i % 35,
                         journal="Journal of Benchmarks", doi=f"10.1234/bench.{i}", type="article")

    with store.transaction():
        run = store.begin_pending_run("embase", database="Embase", method="database", connector="file")
        store.add_records(run, None, records())
        store.complete_run(run, fingerprint="bench", hits_reported=None)
    stamp = now()
    with store.transaction():
        for work in range(1, works + 1):
            if work <= works // 2:
                store.add_decision(work, "title_abstract", "ann", verdict=rng.choice(("include", "exclude", "maybe")),
                                   time=stamp)
            if work <= works // 3:
                store.add_decision(work, "title_abstract", "bob", verdict=rng.choice(("include", "exclude")),
                                   time=stamp)
    store.close()
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--works", type=int, default=100_000)
    parser.add_argument("--keep", help="build (or reuse) the project in this folder")
    parser.add_argument("--moves", type=int, default=200)
    args = parser.parse_args()

    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (wall times stretch under load)")
    scratch = None if args.keep else tempfile.TemporaryDirectory(prefix="bench_screening_")
    folder = Path(args.keep) if args.keep else Path(scratch.name)
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    path = folder / "bench.toml"
    if not (folder / "bench.db").exists():
        path = build(folder, args.works)
        print(f"built {args.works} works in {time.perf_counter() - started:.1f} s ({folder})")

    opens, cpu = [], []
    for _ in range(5):
        t0, c0 = time.perf_counter(), time.process_time()
        protocol = protocol_module.load(path)
        store = Store.open(protocol.store_path)
        assigned = sd.assigned_works(store, protocol, "bob", "title_abstract")
        todo = queue(store, protocol, "bob", "title_abstract", assigned)
        first = sd.work_summary(store, todo[0])
        opens.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        store.close()
    print(f"open + bob's title/abstract queue ({len(todo)} of {len(assigned)} to screen) + first record: "
          f"median {statistics.median(opens) * 1000:.0f} ms wall, {statistics.median(cpu) * 1000:.0f} ms CPU "
          f"(target <= 1000 ms)")
    assert first.title

    store = Store.open(protocol.store_path)
    moves = []
    for i in range(args.moves):
        t0 = time.perf_counter()
        sd.record_decision(store, protocol, todo[i], "title_abstract", "bob", ("include", "exclude", "maybe")[i % 3])
        shown = sd.work_summary(store, todo[i + 1])
        moves.append(time.perf_counter() - t0)
    assert shown.work_id == todo[args.moves]
    print(f"record_decision + next record ({args.moves} moves): median {statistics.median(moves) * 1000:.2f} ms, "
          f"max {max(moves) * 1000:.2f} ms (target <= 50 ms)")

    undos = []
    for _ in range(20):
        t0 = time.perf_counter()
        undone = sd.undo_last(store, protocol, "bob", "title_abstract")
        undos.append(time.perf_counter() - t0)
    assert undone.work_id == todo[args.moves - 20]
    print(f"undo_last (20 in a row): median {statistics.median(undos) * 1000:.2f} ms, max {max(undos) * 1000:.2f} ms")

    store.close()
    # each on a fresh connection: nothing one derived is reused by the next (cold figures)
    for label, call in (("final_decisions title_abstract", lambda s: sd.final_decisions(s, protocol, "title_abstract")),
                        ("conflicts title_abstract", lambda s: sd.conflicts(s, protocol, "title_abstract")),
                        ("ann's full-text queue", lambda s: queue(s, protocol, "ann", "full_text"))):
        store = Store.open(protocol.store_path)
        t0, c0 = time.perf_counter(), time.process_time()
        result = call(store)
        print(f"{label}: {(time.perf_counter() - t0) * 1000:.0f} ms wall, "
              f"{(time.process_time() - c0) * 1000:.0f} ms CPU ({len(result)} works)")
        if label == "final_decisions title_abstract":
            t0, c0 = time.perf_counter(), time.process_time()
            sd.conflicts(store, protocol, "title_abstract")
            print(f"  then conflicts on the same, unchanged store: {(time.perf_counter() - t0) * 1000:.0f} ms wall, "
                  f"{(time.process_time() - c0) * 1000:.0f} ms CPU")
        store.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MB")
    if scratch is not None:
        scratch.cleanup()


if __name__ == "__main__":
    main()
