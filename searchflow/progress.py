"""Progress on stderr for long steps (imports, dedup, PubMed fetches, flow on big stores).

One place decides when to show it: only when stderr is a terminal, and only once a step has
run for a few seconds, so scripts, pipes and CI logs stay clean and short steps stay quiet.
"""
from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from typing import Any, Callable, Iterator

Update = Callable[[int, int], None]
"""update(done, total): the step's position; total may grow as the step learns more."""

SHOW_AFTER_SECONDS = 2.0


@contextmanager
def progress(label: str, *, enabled: bool = True, show_after: float = SHOW_AFTER_SECONDS) -> Iterator[Update]:
    """A rich progress bar on stderr, shown once the step has run ``show_after`` seconds."""
    if not enabled or not sys.stderr.isatty():
        yield lambda done, total: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    started = time.monotonic()
    state: dict[str, Any] = {}

    def update(done: int, total: int) -> None:
        if "bar" not in state:
            if time.monotonic() - started < show_after:
                return
            bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                           TimeRemainingColumn(), console=Console(stderr=True), transient=True)
            bar.start()
            state["bar"], state["task"] = bar, bar.add_task(label, total=total)
        state["bar"].update(state["task"], completed=done, total=max(total, done))

    try:
        yield update
    finally:
        if "bar" in state:
            state["bar"].stop()
