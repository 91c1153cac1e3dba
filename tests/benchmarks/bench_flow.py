"""Flow reporting speed on a large project: counts, SVG, JSON and a RIS export.

    .venv/bin/python tests/benchmarks/bench_flow.py [--records 100000] [--repeat 3]

Five database searches and citation searching, a quarter of the records merged as
duplicates, title/abstract screening finished by two reviewers and full text under way.
Prints the median seconds of each step and the peak RSS.
"""
from __future__ import annotations

import argparse
import random
import resource
import statistics
import tempfile
import time
from pathlib import Path

from searchflow import protocol as protocol_module
from searchflow.flow import outputs, render
from searchflow.flow.counts import compute
from searchflow.flow.export import export
from searchflow.records import Record
from searchflow.store import now
from searchflow.store.sqlite import SQLiteStore as Store

DATABASES = ("Embase", "CINAHL", "MEDLINE", "PsycInfo", "SocINDEX")


def build(folder: Path, records: int):
    searches = "".join(f'[[search]]\nid = "s{i}"\ndatabase = "{db}"\nfiles = ["x.ris"]\n\n'
                       for i, db in enumerate(DATABASES))
    searches += '[[search]]\nid = "cluster"\ndatabase = "CLUSTER"\nmethod = "citation"\nfiles = ["c.ris"]\nround = 2\n'
    path = folder / "bench.toml"
    path.write_text(f"""[review]
title = "Flow benchmark"
type = "realist"
[screening]
reviewers = ["ann", "bob"]
lead = "ann"
exclusion_reasons = ["wrong population", "wrong design"]
full_text_reasons = ["wrong population", "wrong design", "no outcome data"]
{searches}""")
    protocol = protocol_module.load(path)
    store = Store.open(protocol.store_path)
    rng = random.Random(7)
    per = records // (len(DATABASES) + 1)
    with store.transaction():
        for i, search in enumerate(protocol.searches):
            run = store.begin_pending_run(search.id, database=search.database, method=search.method,
                                          connector="file", round=search.round)
            store.add_records(run, None, (Record(raw=[("TI", f"{search.id} {n}")], title=f"Record {search.id} {n}",
                                                 authors=["Smith, J"], year=2000 + n % 24) for n in range(per)))
            store.complete_run(run, fingerprint=search.id, hits_reported=None)
        ids = [row[0] for row in store.conn.execute("SELECT id FROM source_record ORDER BY id")]
        works = [row[0] for row in store.conn.execute("SELECT work_id FROM source_record ORDER BY id")]
        moves = [(works[rng.randrange(len(works) // 2)], rec) for rec in rng.sample(ids[len(ids) // 2:], len(ids) // 4)]
        store.conn.executemany("UPDATE source_record SET work_id = ? WHERE id = ?", moves)   # stands in for dedup
        events = []
        current = [w for (w,) in store.conn.execute("SELECT DISTINCT work_id FROM source_record")]
        forward = set(rng.sample(current, len(current) // 10))
        stamp = now()
        for w in current:
            verdict = "include" if w in forward else "exclude"
            reason = "" if verdict == "include" else "wrong population"
            for reviewer in ("ann", "bob"):
                events.append((w, "title_abstract", reviewer, "verdict", verdict, reason, "", None, stamp))
        for w in list(forward)[: len(forward) // 2]:
            verdict = rng.choice(["include", "exclude", "not_retrieved"])
            reason = "no outcome data" if verdict == "exclude" else ""
            for reviewer in ("ann", "bob"):
                events.append((w, "full_text", reviewer, "verdict", verdict, reason, "", None, stamp))
        store.conn.executemany(
            "INSERT INTO decision (work_id, stage, reviewer, kind, verdict, reason, note, undoes, time) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", events)
    return store, protocol


def timed(fn, repeat: int, path: Path | None = None) -> tuple[float, object]:
    """Median seconds of ``fn()``; with a store ``path``, ``fn(store)`` on a fresh connection each
    time, so the screening state derived by an earlier run is not reused (a cold report)."""
    times, result = [], None
    for _ in range(repeat):
        store = Store.open(path) if path is not None else None
        start = time.perf_counter()
        result = fn(store) if store is not None else fn()
        times.append(time.perf_counter() - start)
        if store is not None:
            store.close()
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        store, protocol = build(Path(tmp), args.records)
        print(f"built {args.records:,} records in {time.perf_counter() - start:.1f} s")
        path = protocol.store_path
        t, flow = timed(lambda fresh: compute(fresh, protocol), args.repeat, path)
        p = flow.prisma
        print(f"counts: {t:.2f} s median ({len(flow.works):,} works, {p.screened:,} screened, "
              f"{p.dbr.sought + p.other.sought:,} sought, {p.new_reports:,} reports included)")
        t, svg = timed(lambda: render.svg(flow), args.repeat)
        print(f"svg: {t * 1000:.1f} ms median ({len(svg):,} bytes)")
        t, text = timed(lambda fresh: outputs.render_format(fresh, protocol, "json"), args.repeat, path)
        print(f"json (counts + RAMESES + eMERGe): {t:.2f} s median")
        t, result = timed(lambda fresh: export(fresh, protocol, "title_abstract", "include", "ris"), args.repeat, path)
        print(f"RIS export of {result[1]:,} works: {t:.2f} s median")
        compute(store, protocol)
        t, _ = timed(lambda: compute(store, protocol), args.repeat)
        print(f"counts again, store unchanged (screening state reused): {t:.2f} s median")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak:.0f} MB")


if __name__ == "__main__":
    main()
