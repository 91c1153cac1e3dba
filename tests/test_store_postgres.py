"""The PostgreSQL store's own: the test cluster, the schema version table, migrations from
several processes, text order. The functional store tests (test_store.py) run on it too."""
from __future__ import annotations

import time
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
    for _ in range(100):                       # as soon as its backend has ended
        if not _sql(second, "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid <> pg_backend_pid()"):
            break
        time.sleep(0.05)
    with second.exclusive("import", "an import"):
        pass
    second.close()


RIS = "TY  - JOUR\nTI  - Link workers in primary care\nPY  - 2020\nER  - \n\nTY  - JOUR\nTI  - Social prescribing\nER  - \n"


def _project(tmp_path, store_line: str = ""):
    (tmp_path / "a.ris").write_text(RIS, encoding="utf-8")
    protocol = tmp_path / "review.toml"
    protocol.write_text(f'[review]\ntitle = "T"\n{store_line}\n[screening]\nreviewers = ["ann", "bob"]\nlead = "ann"\n'
                        '[[search]]\nid = "a"\ndatabase = "A"\nfiles = ["a.ris"]\n', encoding="utf-8")
    return protocol


def test_the_protocols_store_url_is_the_store_a_run_uses(tmp_path, postgres_database):
    from searchflow.cli import main

    protocol = _project(tmp_path, f'store = "{postgres_database}"')
    assert main(["run", str(protocol)]) == 0
    store = open_store(postgres_database)
    assert store.counts() == {"records": 2, "works": 2}
    store.close()
    assert not list(tmp_path.glob("*.db"))


def test_store_option_and_environment_name_the_store_instead_of_the_protocols(tmp_path, postgres_cluster,
                                                                             monkeypatch, capsys):
    from searchflow.cli import main
    from searchflow.store import STORE_ENV

    protocol = _project(tmp_path)
    by_option, by_environment = postgres_cluster.new_database(), postgres_cluster.new_database()
    monkeypatch.delenv(STORE_ENV, raising=False)
    assert main(["--store", by_option, "run", str(protocol)]) == 0
    monkeypatch.setenv(STORE_ENV, by_environment)
    assert main(["status", str(protocol)]) == 0              # an empty store: nothing imported there yet
    assert f"store: {by_environment}\n" in capsys.readouterr().out
    assert main(["run", str(protocol)]) == 0
    for url in (by_option, by_environment):
        store = open_store(url)
        assert store.counts() == {"records": 2, "works": 2}
        store.close()
    assert not list(tmp_path.glob("*.db"))


def test_a_review_copied_to_the_server_and_back_gives_byte_identical_flow_outputs(tmp_path, postgres_database,
                                                                                 monkeypatch, capsys):
    from searchflow.cli import main
    from searchflow.screening import decisions as sd
    from searchflow.store import STORE_ENV

    monkeypatch.setenv(STORE_ENV, "")
    protocol = _project(tmp_path)
    assert main(["run", str(protocol)]) == 0
    from searchflow.project import Project
    with Project.open(protocol) as project:
        a, b = sorted(project.store.current_work_ids())
        sd.record_decision(project.store, project.protocol, a, "title_abstract", "ann", "include", note="kept")
        sd.record_decision(project.store, project.protocol, a, "title_abstract", "bob", "exclude", "design")
        sd.record_decision(project.store, project.protocol, b, "title_abstract", "ann", "exclude")
        sd.undo_last(project.store, project.protocol, "ann", "title_abstract")
        project.store.add_eutils_response(project.store.search_runs()[0]["id"], 1, "esearch", "{}", b"\x00reply")

    def outputs(store: str) -> list[bytes]:
        found = []
        for kind in ("csv", "json", "md", "search-table"):
            out = tmp_path / f"flow.{kind}"
            assert main(["--store", store, "flow", str(protocol), "--format", kind, "--out", str(out)]) == 0
            found.append(out.read_bytes())
        assert main(["--store", store, "decisions", str(protocol), "--lead", "ann",
                     "--out", str(tmp_path / "decisions.csv")]) == 0
        return found + [(tmp_path / "decisions.csv").read_bytes()]

    before = outputs(str(tmp_path / "review.db"))
    assert main(["store", "copy", str(protocol), "--to", postgres_database]) == 0
    assert outputs(postgres_database) == before
    server = open_store(postgres_database)
    assert server.eutils_body(server.search_runs()[0]["id"], 1) == b"\x00reply"
    assert server.new_work() == max(server.current_work_ids()) + 1      # ids go on after the copied ones
    server.close()
    monkeypatch.setenv(STORE_ENV, postgres_database)
    back = tmp_path / "back.db"
    assert main(["store", "copy", str(protocol), "--to", str(back)]) == 0
    assert outputs(str(back)) == before
    assert main(["store", "copy", str(protocol), "--to", str(back)]) == 2      # not into a review
