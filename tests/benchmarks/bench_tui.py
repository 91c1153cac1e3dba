"""Screening UI speed on a big generated project: open time and time to the next record.

    .venv/bin/python tests/benchmarks/bench_tui.py [--works 100000] [--moves 200] [--stage full_text] [--prioritise [--ranked]]

Prints medians: opening (protocol + store + queue + first frame of the first record)
and one move (right arrow: key to the next record's frame; "i": key to verdict committed
and the next record's frame), in a headless Textual app. Targets: open <= 1 s, move <= 50 ms. The generated
store is kept in the temp folder between runs. ``--stage full_text`` opens the full-text stage of a
project whose title/abstract screening is finished (both reviewers on every work, about 15%
going forward): its queue needs every work's final title/abstract decision. ``--prioritise``
screens in prioritised order (``[screening] prioritise = true``): the model's texts load and it
retrains in the background while the keys are timed; moves are reported before and after the
first ranking is ready.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from searchflow import protocol as protocol_module
from searchflow.records import Record
from searchflow.screening import decisions
from searchflow.store.sqlite import SQLiteStore as Store
from searchflow.tui.app import ScreeningApp
from searchflow.tui.screens import ScreeningScreen
from textual import events

PROTOCOL = """\
[review]
title = "Benchmark review"
store = "bench.db"

[screening]
reviewers = ["alice", "bob"]
exclusion_reasons = ["wrong population", "wrong intervention", "wrong design"]

[screening.highlight]
include = ["social prescrib*", "link worker*", "primary care"]
exclude = ["child*", "protocol"]
"""

WORDS = ("social prescribing link workers primary care community loneliness older adults trial "
         "qualitative realist evaluation mechanism context outcome patients practice health "
         "wellbeing referral navigator volunteer children protocol randomised cohort").split()


def generate(folder: Path, works: int, screened: int, stage: str = "title_abstract",
             prioritise: bool = False) -> Path:
    """A protocol and a store with ``works`` works and ``screened`` of alice's verdicts (at full
    text: title/abstract finished by alice and bob, and ``screened`` of alice's full-text verdicts)."""
    path = folder / "bench.toml"
    text = PROTOCOL.replace("[screening]\n", "[screening]\nprioritise = true\n") if prioritise else PROTOCOL
    path.write_text(text, encoding="utf-8")
    protocol = protocol_module.load(path)
    if protocol.store_path.exists():
        return path
    rng = random.Random(7)

    def records():
        for i in range(works):
            words = [rng.choice(WORDS) for _ in range(220)]
            yield Record(
                raw=[("ID", str(i))], title=" ".join(rng.choice(WORDS) for _ in range(12)).capitalize(),
                authors=[f"Author{rng.randint(1, 5000)}, {chr(65 + i % 26)}" for _ in range(rng.randint(1, 8))],
                year=rng.randint(1990, 2024), journal=f"Journal {rng.randint(1, 800)}",
                doi=f"10.1000/bench.{i}", type="article", keywords=rng.sample(WORDS, 4),
                abstract=("BACKGROUND: " + " ".join(words[:60]) + ". METHODS: " + " ".join(words[60:120])
                          + ". RESULTS: " + " ".join(words[120:190]) + ". CONCLUSIONS: " + " ".join(words[190:])
                          + "."),
            )

    store = Store.open(protocol.store_path)
    with store.transaction():
        run_id = store.begin_pending_run("bench", database="MEDLINE", method="database", connector="file")
        store.add_records(run_id, None, records())
        store.complete_run(run_id, fingerprint="bench", hits_reported=None)
        if stage == "full_text":
            forward = []
            for work in range(1, works + 1):
                verdict = "include" if rng.random() < 0.15 else "exclude"
                if verdict == "include":
                    forward.append(work)
                store.add_decision(work, "title_abstract", "alice", "verdict", verdict)
                store.add_decision(work, "title_abstract", "bob", "verdict",
                                   verdict if rng.random() < 0.95 else "maybe")
            for work in forward[:screened]:
                store.add_decision(work, "full_text", "alice", "verdict", rng.choice(("include", "exclude")),
                                   "wrong population")
        else:
            for work in range(1, screened + 1):
                store.add_decision(work, "title_abstract", "alice", "verdict", rng.choice(("include", "exclude")))
    store.close()
    return path


class FrameClock:
    """Times of the frames the app composes for the screening screen.

    Textual's pilot waits for the process to look idle (about 50 ms even for an unbound
    key), which would swamp what is measured; so keys are posted straight to the driver
    and the time taken is key -> first frame composed after the screen changed. Each frame
    is stamped with the position it shows, so a frame composed before the poller wakes up
    still counts (waiting for "the next frame" after seeing the change could wait forever).
    """

    def __init__(self, app: ScreeningApp):
        self.frames: list[tuple[float, tuple[int, int]]] = []
        display = app._display

        def timed(screen, renderable):
            if renderable is not None and isinstance(screen, ScreeningScreen):
                self.frames.append((time.perf_counter(), state(app)))
            return display(screen, renderable)

        app._display = timed

    async def first_frame(self, since: int, shows=lambda shown: True) -> float:
        """Time of the first frame from index ``since`` on whose position satisfies ``shows``."""
        while True:
            for at, shown in self.frames[since:]:
                if shows(shown):
                    return at
            await asyncio.sleep(0.0005)


def state(app: ScreeningApp) -> tuple[int, int]:
    return app.session.position, app.session.screened


async def press(app: ScreeningApp, clock: FrameClock, key: str) -> float:
    before, seen = state(app), len(clock.frames)
    ranked = app.session.retrains > 0
    started = time.perf_counter()
    app._driver.send_message(events.Key(key, key if len(key) == 1 else None))
    shown = await clock.first_frame(seen, lambda shown: shown != before)
    RANKED[key].append((ranked, shown - started))
    return shown - started


RANKED: dict[str, list[tuple[bool, float]]] = {"right": [], "i": []}     # (a ranking was in use, seconds)


def wait_for_background() -> None:
    """Let a closed session's model threads finish (features take seconds to compute and cannot be
    interrupted), so that runs do not overlap."""
    for thread in threading.enumerate():
        if thread.name.startswith("searchflow-prioritise"):
            thread.join()


async def measure(path: Path, moves: int, stage: str, ranked: bool = False) -> tuple[float, list[float], list[float]]:
    started = time.perf_counter()
    protocol = protocol_module.load(path)
    store = Store.open(protocol.store_path)
    app = ScreeningApp.open(store, protocol, "alice", stage)
    clock = FrameClock(app)
    async with app.run_test(size=(120, 40)) as pilot:
        first = await clock.first_frame(0)
        opened = first - started
        await pilot.pause()
        if ranked:              # time the keys once the model's first ranking is in use
            await asyncio.to_thread(app.session.wait_for_ranking, 900)
        nexts = [await press(app, clock, "right") for _ in range(moves)]
        decides = [await press(app, clock, "i") for _ in range(moves)]
        assert app.session.screened >= moves, "verdicts were not stored"
    store.close()
    return opened, nexts, decides


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--works", type=int, default=100_000)
    parser.add_argument("--screened", type=int, default=5_000, help="alice's verdicts already stored")
    parser.add_argument("--moves", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--stage", choices=decisions.STAGES, default="title_abstract")
    parser.add_argument("--prioritise", action="store_true", help="prioritised order, retraining in the background")
    parser.add_argument("--ranked", action="store_true", help="with --prioritise: start timing once the first "
                        "ranking is ready (else the keys are timed while the model's features are computed)")
    args = parser.parse_args()
    stage = args.stage
    folder = Path(tempfile.gettempdir()) / (f"searchflow-bench-tui-{args.works}-{args.screened}"
                                            + ("-full_text" if stage == "full_text" else ""))
    folder.mkdir(exist_ok=True)
    t = time.perf_counter()
    path = generate(folder, args.works, args.screened, stage, args.prioritise)
    print(f"store: {folder} ({args.works} works, {args.screened} verdicts; ready in {time.perf_counter() - t:.1f} s)")
    print(f"stage: {stage}" + ("; prioritised order" if args.prioritise else "")
          + (", timed once the first ranking is ready" if args.prioritise and args.ranked else ""))
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (wall times stretch under load)")
    opens, nexts, decides = [], [], []
    for run in range(args.runs):
        # 'i' stores real verdicts; only the last run makes many, so the runs stay alike.
        opened, n, d = asyncio.run(measure(path, args.moves if run == args.runs - 1 else 5, stage,
                                           args.prioritise and args.ranked))
        wait_for_background()
        opens.append(opened)
        nexts.extend(n)
        decides.extend(d)
    protocol = protocol_module.load(path)
    store = Store.open(protocol.store_path)
    parts = {"assigned_works": [], "reviewer_verdicts": []}
    cpu_parts = {"assigned_works": []}
    for _ in range(3):
        store.close()           # a fresh connection each time: nothing derived is shared between runs
        store = Store.open(protocol.store_path)
        t, cpu = time.perf_counter(), time.process_time()
        decisions.assigned_works(store, protocol, "alice", stage)
        parts["assigned_works"].append(time.perf_counter() - t)
        cpu_parts["assigned_works"].append(time.process_time() - cpu)
        t = time.perf_counter()
        decisions.reviewer_verdicts(store, "alice", stage)
        parts["reviewer_verdicts"].append(time.perf_counter() - t)
    store.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"open (median of {len(opens)}): {statistics.median(opens) * 1000:.0f} ms  (target <= 1000 ms)")
    print("  of which the screening rules: " + ", ".join(
        f"{name} {statistics.median(times) * 1000:.0f} ms" for name, times in parts.items())
        + f" (assigned_works CPU {statistics.median(cpu_parts['assigned_works']) * 1000:.0f} ms)")
    print(f"next record, right arrow (median of {len(nexts)}): {statistics.median(nexts) * 1000:.1f} ms  "
          f"(p95 {sorted(nexts)[int(len(nexts) * 0.95)] * 1000:.1f} ms; target <= 50 ms)")
    print(f"verdict + next record, 'i' (median of {len(decides)}): {statistics.median(decides) * 1000:.1f} ms  "
          f"(p95 {sorted(decides)[int(len(decides) * 0.95)] * 1000:.1f} ms)")
    if args.prioritise:
        for key, name in (("right", "next record"), ("i", "verdict + next record")):
            for ranked, label in ((False, "before the first ranking"), (True, "with a ranking")):
                times = [t for r, t in RANKED[key] if r == ranked]
                if times:
                    print(f"  {name} {label} (median of {len(times)}): {statistics.median(times) * 1000:.1f} ms  "
                          f"(max {max(times) * 1000:.1f} ms)")
    print(f"peak RSS: {peak:.0f} MB")


if __name__ == "__main__":
    sys.exit(main())
