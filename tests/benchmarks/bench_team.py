"""Eight reviewers screening one PostgreSQL store at once, each in a process of their own.

    .venv/bin/python tests/benchmarks/bench_team.py [--works 5000] [--reviewers 8] [--moves 500]

Starts a throwaway cluster on a Unix socket (tests/postgres_cluster.py), imports --works
records, then every reviewer records --moves verdicts, each followed by looking up the next
record, as the screening screen does. Prints decisions per second over all reviewers and the
p95 of one verdict + next record (target <= 50 ms, issue 17).
"""
from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from postgres_cluster import Cluster, find_binaries  # noqa: E402


def _ris(works: int) -> str:
    return "".join(f"TY  - JOUR\nTI  - Link worker study number {i}\nAB  - Abstract {i} on social prescribing.\n"
                   f"PY  - {2000 + i % 24}\nER  - \n\n" for i in range(works))


def _reviewer(protocol_path: str, name: str, moves: int, start, results) -> None:
    from searchflow.project import Project
    from searchflow.screening import decisions as sd
    from searchflow.screening.order import queue

    with Project.open(protocol_path) as project:
        todo = queue(project.store, project.protocol, name, "title_abstract",
                     sd.assigned_works(project.store, project.protocol, name, "title_abstract"))
        start.wait()
        times = []
        for i in range(moves):
            t0 = time.perf_counter()
            sd.record_decision(project.store, project.protocol, todo[i], "title_abstract", name,
                               ("include", "exclude", "maybe")[i % 3])
            sd.work_summary(project.store, todo[i + 1])
            times.append(time.perf_counter() - t0)
    results.put(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--works", type=int, default=5000)
    parser.add_argument("--reviewers", type=int, default=8)
    parser.add_argument("--moves", type=int, default=500)
    args = parser.parse_args()
    from machine import speed_line
    from searchflow.cli import main as searchflow

    print(speed_line())
    binaries = find_binaries()
    if binaries is None:
        sys.exit("no PostgreSQL binaries (initdb, pg_ctl) on PATH or in /usr/lib/postgresql/*/bin")
    cluster = Cluster(binaries)
    cluster.start()
    try:
        url = cluster.new_database()
        folder = Path(tempfile.mkdtemp(prefix="bench_team_"))
        names = [f"r{n}" for n in range(args.reviewers)]
        (folder / "a.ris").write_text(_ris(args.works), encoding="utf-8")
        protocol = folder / "bench.toml"
        protocol.write_text(f'[review]\ntitle = "Bench"\nstore = "{url}"\n[screening]\nreviewers = {names!r}\n'
                            '[[search]]\nid = "a"\ndatabase = "A"\nfiles = ["a.ris"]\n'.replace("'", '"'),
                            encoding="utf-8")
        searchflow(["run", str(protocol)])
        start, results = multiprocessing.Barrier(args.reviewers + 1), multiprocessing.Queue()
        workers = [multiprocessing.Process(target=_reviewer, args=(str(protocol), name, args.moves, start, results))
                   for name in names]
        for worker in workers:
            worker.start()
        start.wait()
        began = time.perf_counter()
        times = [t for _ in workers for t in results.get()]
        wall = time.perf_counter() - began
        for worker in workers:
            worker.join()
        times.sort()
        p95 = times[int(len(times) * 0.95)]
        print(f"{args.reviewers} reviewers x {args.moves} verdicts on {args.works} works: "
              f"{len(times) / wall:,.0f} decisions/s; verdict + next record median "
              f"{statistics.median(times) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms (target <= 50 ms), "
              f"max {times[-1] * 1000:.1f} ms")
    finally:
        cluster.stop()
    print(speed_line())


if __name__ == "__main__":
    main()
