"""The project store: every search run, record, work and event of a review.

The rest of searchflow depends on the :class:`Store` interface (``base.py``) and opens a
store with :func:`open_store`; the SQLite file beside the protocol (``sqlite.py``) is the one
backend so far. A record's stored form is ``encoding.py``'s, the PubMed replies' storage
``replies.py``'s, whatever the backend.
"""
from __future__ import annotations

import re
from pathlib import Path

from .base import Store, StoreError
from .clock import now
from .sqlite import SQLiteStore

__all__ = ["Store", "StoreError", "now", "open_store"]

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def open_store(location: str | Path) -> Store:
    """The store at a file path (SQLite), migrated to the current schema. A database URL
    (``postgresql://...``) is refused until a backend for it exists."""
    text = str(location)
    if isinstance(location, str) and _URL.match(text):
        raise StoreError(f"{text}: a {text.split('://', 1)[0]} store is not supported yet (only SQLite files)")
    return SQLiteStore.open(location)
