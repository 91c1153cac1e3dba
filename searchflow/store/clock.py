"""The store's timestamps, one format in every backend and event table."""
from __future__ import annotations

from datetime import datetime, timezone


def now() -> str:
    """UTC timestamp with microseconds: event order survives two reviewers in one second."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")
