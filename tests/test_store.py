"""The project store: schema, migrations, transactions, works."""
from __future__ import annotations

import sqlite3

import pytest

from searchflow.records import Record
from searchflow.store import SCHEMA_VERSION, Store, StoreError


def make_store(tmp_path) -> Store:
    return Store.open(tmp_path / "p.db")


def test_new_store_is_wal_with_foreign_keys_and_current_schema(tmp_path):
    store = make_store(tmp_path)
    assert store.schema_version == SCHEMA_VERSION
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    tables = {r[0] for r in store.conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"search_run", "search_file", "source_record", "work", "decision", "merge_event"} <= tables
    store.close()
    # reopening does not migrate again
    again = Store.open(tmp_path / "p.db")
    assert again.schema_version == SCHEMA_VERSION


def test_refuses_newer_schema_and_non_stores(tmp_path):
    path = tmp_path / "new.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 5}")
    conn.close()
    with pytest.raises(StoreError, match="newer than this searchflow understands"):
        Store.open(path)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(StoreError, match="not a searchflow store"):
        Store.open(junk)


def _run(store: Store, search_id: str = "s") -> int:
    return store.add_search_run(search_id, database="DB", method="database", fingerprint="f")


def test_each_record_gets_a_work_and_identical_records_keep_theirs(tmp_path):
    store = make_store(tmp_path)
    with store.transaction():
        run1 = _run(store)
        records = [Record(raw=[("TI", f"Title {i}")], title=f"Title {i}") for i in range(3)]
        assert store.add_records(run1, None, records) == 3
        store.finish_run(run1)
    works1 = {r["title"]: r["work_id"] for r in store.record_rows()}
    assert len(set(works1.values())) == 3
    with store.transaction():
        run2 = _run(store)
        records = [Record(raw=[("TI", t)], title=t) for t in ("Title 0", "Title 2", "New")]
        store.add_records(run2, None, records, previous_run_id=run1)
        store.finish_run(run2)
    rows = list(store.record_rows())
    assert [r["search"] for r in rows] == ["s"] * 3          # only the current version counts
    works2 = {r["title"]: r["work_id"] for r in rows}
    assert works2["Title 0"] == works1["Title 0"] and works2["Title 2"] == works1["Title 2"]
    assert works2["New"] not in works1.values()
    assert store.carried_records(run2, run1) == 2
    assert [r["version"] for r in store.search_runs()] == [1, 2]


def test_failed_transaction_changes_nothing(tmp_path):
    store = make_store(tmp_path)
    with pytest.raises(RuntimeError):
        with store.transaction():
            run = _run(store)
            store.add_records(run, None, [Record(raw=[("TI", "x")], title="x")])
            raise RuntimeError("parser failed half way")
    assert store.search_runs() == []
    assert store.counts() == {"records": 0, "works": 0}


def test_field_coverage_counts_filled_fields(tmp_path):
    store = make_store(tmp_path)
    with store.transaction():
        run = _run(store)
        store.add_records(run, None, [
            Record(raw=[("a", "1")], title="A", doi="10.1/x", year=2020, authors=["Smith, J"]),
            Record(raw=[("a", "2")], title="B"),
        ])
    cov = store.field_coverage(run)
    assert cov["records"] == 2 and cov["title"] == 2 and cov["doi"] == 1
    assert cov["year"] == 1 and cov["authors"] == 1 and cov["abstract"] == 0
