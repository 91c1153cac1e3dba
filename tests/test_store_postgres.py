"""The PostgreSQL store's own: the test cluster, the schema version table, migrations from
several processes, text order. The functional store tests (test_store.py) run on it too."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from searchflow.store import StoreError, open_store
from searchflow.store.postgres import PostgresStore
from searchflow.store.sqlite import SCHEMA_VERSION


def _sql(store: PostgresStore, sql: str, params=()):
    return store.conn.execute(sql, params).fetchall()


def test_the_test_cluster_listens_on_its_unix_socket_only(postgres_database):
    store = open_store(postgres_database)
    assert isinstance(store, PostgresStore)
    assert _sql(store, "SHOW listen_addresses") == [("",)]
    store.close()


def test_a_new_database_gets_the_whole_schema_once_whoever_opens_it_first(postgres_database):
    with ThreadPoolExecutor(4) as pool:           # four processes opening a new store at once
        stores = list(pool.map(open_store, [postgres_database] * 4))
    assert {s.schema_version for s in stores} == {SCHEMA_VERSION}
    assert _sql(stores[0], "SELECT COUNT(*) FROM searchflow_schema") == [(1,)]
    tables = {row[0] for row in _sql(stores[0], "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    assert {"search_run", "source_record", "work", "decision", "merge_event", "pair_decision", "blinding",
            "study_link", "eutils_response", "dedup_run", "search_event", "searchflow_schema"} <= tables
    for store in stores:
        store.close()


def test_ids_come_from_identity_columns_and_text_compares_bytewise_as_in_sqlite(postgres_database):
    store = open_store(postgres_database)
    identity = _sql(store, """SELECT table_name FROM information_schema.columns
                              WHERE column_name = 'id' AND is_identity = 'YES' AND table_schema = 'public'""")
    assert {"work", "source_record", "decision"} <= {row[0] for row in identity}
    collations = {row[0] for row in _sql(store, """SELECT collation_name FROM information_schema.columns
                                                    WHERE table_schema = 'public' AND data_type = 'text'""")}
    assert collations == {"C"}
    assert _sql(store, "SELECT data_type FROM information_schema.columns WHERE table_name = 'eutils_response' "
                       "AND column_name = 'body'") == [("bytea",)]
    store.close()


def test_a_store_of_a_newer_searchflow_is_refused_in_one_line(postgres_database):
    store = open_store(postgres_database)
    store.conn.execute("UPDATE searchflow_schema SET version = ?", (SCHEMA_VERSION + 1,))
    store.close()
    with pytest.raises(StoreError, match=rf"newer than this searchflow understands \({SCHEMA_VERSION}\)"):
        open_store(postgres_database)


def test_a_long_task_lock_is_released_when_its_connection_ends(postgres_database):
    first, second = open_store(postgres_database), open_store(postgres_database)
    lock = first.exclusive("import", "an import")
    lock.__enter__()
    with pytest.raises(StoreError, match="an import is running in another process"):
        with second.exclusive("import", "an import"):
            pass
    first.close()                              # a killed process: the server drops its locks
    with second.exclusive("import", "an import"):
        pass
    second.close()
