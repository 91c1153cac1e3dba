"""Moving a review between stores (a SQLite file and a PostgreSQL database, either way): every
row of every table with its id, so events, works and their links come out as they were and
the flow outputs are byte-identical before and after."""
from __future__ import annotations

import re

from .base import Store, StoreError
from .sqlite import MIGRATIONS

# The schema's tables in the order the migrations create them: a table comes after the
# tables it refers to, so rows are copied parents first.
TABLES = [name for step in MIGRATIONS for name in re.findall(r"CREATE TABLE (\w+)", step)]


def copy_store(source: Store, target: Store, batch: int = 5000) -> dict[str, int]:
    """Copy every row of ``source`` into the empty ``target``, in one transaction; returns the
    rows copied per table. Refuses a target that holds a review already."""
    if target.search_runs() or target.last_work_id():
        raise StoreError(f"{target.location}: the store to copy to already holds a review; "
                         f"copy to a new file or an empty database")
    copied = {}
    with target.transaction():
        for table in TABLES:
            cursor = source.conn.execute(f"SELECT * FROM {table} ORDER BY id")
            copied[table] = 0
            while rows := cursor.fetchmany(batch):
                columns = list(rows[0].keys())
                target.conn.executemany(
                    f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                    [tuple(row) for row in rows])
                copied[table] += len(rows)
        target.ids_taken()
    return copied
