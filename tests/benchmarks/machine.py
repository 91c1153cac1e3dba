"""How fast this machine is right now, for reading benchmark figures side by side.

Shared machines change speed from hour to hour (the same parse has measured 4,900 and 2,900
records per CPU-second on one machine an hour apart); a fixed pure-Python loop timed before
and after the runs says which figures were taken on a slow hour.
"""
from __future__ import annotations

import time


def reference_seconds() -> float:
    """CPU seconds for a fixed loop of 20 million additions."""
    start, total = time.process_time(), 0
    for i in range(20_000_000):
        total += i
    return time.process_time() - start


def speed_line() -> str:
    return f"machine: reference loop {reference_seconds():.2f} s CPU (lower is faster)"
