"""The project store: every search run, record, work and event of a review.

The rest of searchflow depends on the :class:`Store` interface (``base.py``) and opens a
store with :func:`open_store`; the SQLite file beside the protocol (``sqlite.py``) is the embedded
default, a PostgreSQL database (``postgres.py``) the team server. A record's stored form is ``encoding.py``'s, the PubMed replies' storage
``replies.py``'s, whatever the backend.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from .base import Store, StoreError
from .clock import now
from .postgres import PostgresStore, is_postgres_url, shown_url
from .sqlite import SQLiteStore

__all__ = ["STORE_ENV", "Store", "StoreError", "is_database_url", "now", "open_store", "shown_location", "store_location"]

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
# Names the store to open instead of the protocol's (`searchflow --store` sets it too).
STORE_ENV = "SEARCHFLOW_STORE"


def is_database_url(location: str) -> bool:
    """``scheme://...``: a database server's store, not a file path."""
    return bool(_URL.match(location))


def shown_location(store: Store) -> str:
    """Where a store is, for the user to read: a URL without its password."""
    return shown_url(store.location) if is_database_url(store.location) else store.location


def store_location(configured: str | Path) -> str | Path:
    """The store a command opens: :data:`STORE_ENV` when set, else the protocol's."""
    return os.environ.get(STORE_ENV) or configured


def open_store(location: str | Path) -> Store:
    """The store at a file path (SQLite) or a ``postgresql://`` URL, migrated to the current
    schema; any other database URL is refused in one line."""
    text = str(location)
    if isinstance(location, str) and is_database_url(text):
        if is_postgres_url(text):
            return PostgresStore.open(text)
        raise StoreError(f"{text}: a {text.split('://', 1)[0]} store is not supported "
                         f"(a SQLite file or a postgresql:// URL)")
    return SQLiteStore.open(location)
