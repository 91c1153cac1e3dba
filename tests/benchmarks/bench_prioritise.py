"""Screening prioritisation against ASReview on three real reviews (../shared/data/screening).

Per set, mean over 5 seeds (each starts from 1 random include + 1 random exclude):
WSS@95, RRF@10 and seconds per whole simulation, beside ASReview's figures on the
same files (issue 7): ASReview 3.0.8 default model (ELAS u4) and the thesis's tuned
naive Bayes. Target: at or above the higher of the two on every set.

    .venv/bin/python tests/benchmarks/bench_prioritise.py [--seeds 5]
"""
from __future__ import annotations

import argparse
import resource
import statistics
import time
from pathlib import Path

from searchflow.screening import prioritise as p

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "screening"
SETS = {  # file: (name, ASReview ELAS u4 WSS@95, ASReview tuned NB WSS@95)
    "nudging_nagtegaal2019.csv": ("Nudging", 71.0, 71.7),
    "virus_kwok2020.csv": ("Virus", 70.7, 71.2),
    "wilson_appenzellerherzog2019.csv": ("Wilson", 83.8, 83.4),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    print(f"settings: {p.DEFAULT}")
    print(f"{'set':8} {'records':>7} {'incl':>4}  {'WSS@95':>6} {'(min-max)':>11}  {'RRF@10':>6}  "
          f"{'s/run':>5}  {'ASR u4':>6} {'ASR NB':>6}  target")
    for name, (label, elas, nb) in SETS.items():
        path = DATA / name
        if not path.exists():
            print(f"{label:8} skipped: {path} not found")
            continue
        data = p.read_labelled_csv(path)
        wss, rrf, seconds = [], [], []
        for seed in range(args.seeds):
            start = time.perf_counter()
            run = p.simulate(data.texts, data.labels, seed=seed)   # features included in the time
            seconds.append(time.perf_counter() - start)
            figures = run.metrics()
            wss.append(100 * figures["wss95"])
            rrf.append(100 * figures["rrf10"])
        mean = statistics.mean(wss)
        target = max(elas, nb)
        print(f"{label:8} {len(data.texts):7d} {sum(data.labels):4d}  {mean:6.1f} ({min(wss):4.1f}-{max(wss):4.1f})  "
              f"{statistics.mean(rrf):6.1f}  {statistics.mean(seconds):5.1f}  {elas:6.1f} {nb:6.1f}  "
              f"{'met' if mean >= target else 'MISSED'} ({target:.1f})")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MB")


if __name__ == "__main__":
    main()
