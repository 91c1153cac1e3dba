"""The project store: schema, migrations, transactions, works.

Tests taking the ``store`` fixture (tests/conftest.py) run on every store backend; those under
"the SQLite store's own" read SQLite's file and schema directly."""
from __future__ import annotations

import json
import sqlite3
from types import SimpleNamespace

import pytest

from searchflow.records import Record
from searchflow.store import StoreError, open_store, shown_location
from searchflow.store.encoding import decode_raw, encode_raw
from searchflow.store.encoding import dumps as _dumps
from searchflow.store.sqlite import MIGRATIONS, SCHEMA_VERSION, _split_sql
from searchflow.store.sqlite import SQLiteStore as Store


# ------------------------------------------------------------ every backend

def _run(store, search_id: str = "s") -> int:
    run = store.begin_pending_run(search_id, database="DB", method="database", connector="file")
    store.complete_run(run, fingerprint="f", hits_reported=None)
    return run


def test_each_record_gets_a_work_and_identical_records_keep_theirs(store):
    with store.transaction():
        run1 = store.begin_pending_run("s", database="DB", method="database", connector="file")
        records = [Record(raw=[("TI", f"Title {i}")], title=f"Title {i}") for i in range(3)]
        assert store.add_records(run1, None, records) == 3
        store.complete_run(run1, fingerprint="f", hits_reported=None)
    works1 = {r["title"]: r["work_id"] for r in store.record_rows()}
    assert len(set(works1.values())) == 3
    with store.transaction():
        run2 = store.begin_pending_run("s", database="DB", method="database", connector="file")
        records = [Record(raw=[("TI", t)], title=t) for t in ("Title 0", "Title 2", "New")]
        store.add_records(run2, None, records, previous_run_id=run1)
        store.complete_run(run2, fingerprint="f", hits_reported=None)
    rows = list(store.record_rows())
    assert [r["search"] for r in rows] == ["s"] * 3          # only the current version counts
    works2 = {r["title"]: r["work_id"] for r in rows}
    assert works2["Title 0"] == works1["Title 0"] and works2["Title 2"] == works1["Title 2"]
    assert works2["New"] not in works1.values()
    assert store.carried_records(run2, run1) == 2
    assert [r["version"] for r in store.search_runs()] == [1, 2]


def test_records_added_in_steps_number_on_and_claim_carried_works_once(store):
    with store.transaction():
        run1 = _run(store)
        store.add_records(run1, None, [Record(raw=[("TI", t)], title=t) for t in "ab"])
    with store.transaction():
        run2 = _run(store)
        carried = store.carried_works(run1)
        # the same record twice in one version: only the first keeps the old work
        store.add_records(run2, None, [Record(raw=[("TI", "a")], title="a")], carried=carried)
        store.add_records(run2, None, [Record(raw=[("TI", "a")], title="a")], carried=carried,
                          first_position=2)
    old = {r["title"]: r["work_id"] for r in store.record_rows(current_only=False, run_id=run1)}
    new = list(store.record_rows(current_only=False, run_id=run2))
    assert [r["position"] for r in new] == [1, 2]
    assert new[0]["work_id"] == old["a"] and new[1]["work_id"] not in old.values()


def test_failed_transaction_changes_nothing(store):
    with pytest.raises(RuntimeError):
        with store.transaction():
            run = _run(store)
            store.add_records(run, None, [Record(raw=[("TI", "x")], title="x")])
            raise RuntimeError("parser failed half way")
    assert store.search_runs() == []
    assert store.counts() == {"records": 0, "works": 0}


def test_field_coverage_counts_filled_fields(store):
    with store.transaction():
        run = _run(store)
        store.add_records(run, None, [
            Record(raw=[("a", "1")], title="A", doi="10.1/x", year=2020, authors=["Smith, J"]),
            Record(raw=[("a", "2")], title="B"),
        ])
    cov = store.field_coverage(run)
    assert cov["records"] == 2 and cov["title"] == 2 and cov["doi"] == 1
    assert cov["year"] == 1 and cov["authors"] == 1 and cov["abstract"] == 0


def test_a_long_task_runs_in_one_process_at_a_time_and_is_free_again_after(store):
    first, second = store, open_store(store.location)
    with first.exclusive("pubmed search x", "PubMed search 'x'"):
        with pytest.raises(StoreError, match="PubMed search 'x' is running in another process"):
            with second.exclusive("pubmed search x", "PubMed search 'x'"):
                pass
        with second.exclusive("pubmed search y", "PubMed search 'y'"):   # another task is not blocked
            pass
    with second.exclusive("pubmed search x", "PubMed search 'x'"):      # released on exit
        pass
    second.close()


def test_the_change_counter_moves_with_every_write_through_any_connection(store):
    other = open_store(store.location)
    before = store.change_counter()
    assert store.change_counter() == before                  # reading changes nothing
    with other.transaction():
        _run(other)
    after_other = store.change_counter()
    assert after_other != before                              # another connection's commit
    store.add_blinding("title_abstract", "unblind", "alice")
    assert store.change_counter() != after_other              # this connection's own write
    other.close()


def test_works_get_ids_of_their_own_while_another_writer_adds_works(store):
    """Two writers outside a transaction: the ids are the store's to give, not counted on from
    a MAX(id) read before the other wrote."""
    other = open_store(store.location)
    with store.transaction():
        run = _run(store)
    theirs = []

    def records():
        for i in range(6):
            yield Record(raw=[("TI", f"Title {i}")], title=f"Title {i}")
            theirs.append(other.new_work())              # the other writer, between our batches

    assert store.add_records(run, None, records(), batch=2) == 6
    ours = [r["work_id"] for r in store.record_rows()]
    assert len(set(ours)) == 6 and not set(ours) & set(theirs)
    assert all(store.work_exists(w) for w in ours + theirs)
    other.close()


def test_rows_come_back_as_plain_dicts(store):
    with store.transaction():
        run = _run(store)
        store.add_records(run, None, [Record(raw=[("TI", t)], title=t) for t in "ab"])
    a, b = (r["id"] for r in store.record_rows())
    work_a, work_b = (r["work_id"] for r in store.record_rows())
    store.add_decision(work_a, "title_abstract", "alice", verdict="include")
    store.move_records([(b, work_b, work_a, "reviewer", None)], actor="alice")
    store.add_pair_decision(a, b, "same", reviewer="alice")
    rows = [store.current_run("s"), store.latest_run("s"), store.latest_standing("alice", "title_abstract"),
            *store.decision_events(), *store.merge_events(), *store.pair_verdicts()]
    assert [type(row) for row in rows] == [dict] * len(rows)
    assert store.decision_events()[0]["verdict"] == "include" and store.pair_verdicts()[0]["work_a"] == work_a


def test_decision_events_undo_and_standing_verdicts(store):
    with store.transaction():
        run = _run(store)
        store.add_records(run, None, [Record(raw=[("TI", t)], title=t) for t in ("A", "B")])
    a, b = sorted(store.current_work_ids())
    first = store.add_decision(a, "title_abstract", "alice", verdict="include", time="2026-01-01T00:00:01")
    store.add_decision(b, "title_abstract", "alice", verdict="exclude", reason="design", time="2026-01-01T00:00:02")
    store.add_decision(a, "title_abstract", "alice", kind="undo", undoes=first, time="2026-01-01T00:00:03")
    assert [(e["work_id"], e["undone"]) for e in store.decision_events(kinds=["verdict"])] == [(a, 1), (b, 0)]
    assert store.decision_event(first)["undone"] == 1 and store.decision_event(10**6) is None
    assert store.screened_works("alice", "title_abstract") == {b}
    assert store.latest_standing("alice", "title_abstract")["work_id"] == b
    assert store.standing_match(b, "title_abstract", "alice", "exclude", "design", "") is not None
    assert store.standing_match(b, "title_abstract", "alice", "exclude", "design", "",
                                before="2026-01-01T00:00:01") is None
    assert [row[1] for row in store.decision_tuples("title_abstract")] == [b]
    assert store.decided_works("title_abstract") == [a, b]
    assert store.work_entries([]) == [(a, 1, 0), (b, 2, 0)]
    assert [flag for _, _, flag in store.work_entries([run])] == [1, 1]


def test_replies_are_kept_compressed_and_come_back_as_they_came(store):
    with store.transaction():
        run = store.begin_pending_run("p", database="PubMed", method="database", connector="pubmed")
    body = bytes(range(256)) * 40
    store.add_eutils_response(run, 1, "esearch", '{"term": "x"}', body)
    store.add_eutils_response(run, 2, "efetch", '{"id": "1"}', b"<xml/>")
    assert store.eutils_body(run, 1) == body and store.eutils_requests(run)[1] == (2, "efetch", '{"id": "1"}')
    digest = store.eutils_digest(run)
    store.drop_eutils_responses(run, 2)
    assert [seq for seq, _, _ in store.eutils_requests(run)] == [1] and store.eutils_digest(run) != digest
    with store.transaction():
        assert store.complete_run(run, fingerprint="f", hits_reported=None) == 1
    assert store.current_run("p")["id"] == run and store.pending_run("p") is None


def test_merges_and_pair_verdicts(store):
    with store.transaction():
        run = _run(store)
        store.add_records(run, None, [Record(raw=[("TI", t)], title=t) for t in ("A", "B", "C")])
    (a, wa), (b, wb), (c, wc) = [(r["id"], r["work_id"]) for r in store.record_rows()]
    store.move_records([(b, wb, wa, "fuzzy:title", 0.93)])
    assert store.merge_events(b)[0]["score"] == 0.93 and store.last_merge_events(1) == [store.merge_events()[0]["id"]]
    assert store.add_possible_pairs([(c, a, 0.8), (a, c, 0.8)]) == 1
    store.add_pair_decision(c, a, "different", reviewer="bob")
    assert [(p["record_a"], p["record_b"], p["verdict"]) for p in store.pair_verdicts()] == [(a, c, "different")]
    assert store.current_work_ids() == {wa, wc} and store.counts() == {"records": 3, "works": 2}
    assert store.work_member_ids(wa) == [a, b]


def test_records_stream_while_the_store_is_used_between_them(store):
    with store.transaction():
        run = _run(store)
        store.add_records(run, None, [Record(raw=[("TI", f"T{i}")], title=f"T{i}") for i in range(5)])
    seen = []
    for row in store.record_rows():            # a reader that writes as it goes (an export, a screen)
        seen.append(row["title"])
        store.add_decision(row["work_id"], "title_abstract", "ann", verdict="include")
    assert seen == [f"T{i}" for i in range(5)] and len(store.decision_events()) == 5


def test_a_database_url_of_another_kind_is_refused_in_one_line(tmp_path):
    with pytest.raises(StoreError, match=r"^mysql://host/review: a mysql store is not supported \(a SQLite file"):
        open_store("mysql://host/review")
    assert list(tmp_path.iterdir()) == []


def test_a_postgresql_server_that_is_not_there_is_one_line_without_the_password(tmp_path):
    url = f"postgresql://bob:secret@/review?host={tmp_path}"        # no server on this socket
    with pytest.raises(StoreError, match=r"^postgresql://bob:\*\*\*@/review\?host=.*: cannot connect") as error:
        open_store(url)
    assert "\n" not in str(error.value) and "secret" not in str(error.value)
    opened = open_store(tmp_path / "p.db")
    assert shown_location(opened) == str(tmp_path / "p.db")
    opened.close()
    server = SimpleNamespace(location=url)          # what a server store shows of its URL
    assert shown_location(server) == f"postgresql://bob:***@/review?host={tmp_path}"


# ------------------------------------------------------------ the stored form (no store)

@pytest.mark.parametrize("raw", [
    [("TY", "JOUR"), ("AB", "line one\nline two"), ("KW", "")],
    [("TI", "a value holding the unit separator \x1f itself")],
    [("TI", "and one holding the record separator \x1e")],
    [],
])
def test_raw_tags_round_trip_verbatim(raw):
    assert decode_raw(encode_raw(raw)) == raw


@pytest.mark.parametrize("value", [
    ["Smith, J", "Müller, K", "日本"], ['a "quoted" keyword'], ["back\\slash"], ["tab\there"],
    ["no-break\xa0space"], [1, "mixed"], {"embase": "L123"}, [], {},
])
def test_json_columns_are_what_the_json_module_writes(value):
    assert _dumps(value) == json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# ------------------------------------------------------------ the SQLite store's own

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


@pytest.mark.parametrize("raw", [
    [("TY", "JOUR"), ("T1", "A title"), ("N2", "The abstract."), ("AB", "The abstract."), ("KW", "A title")],
    [("TI", "A title"), ("AB", "An abstract, kept in full: it differs from the column")],
    [("TI", "A title")],                                 # no abstract: written out in full
    [("TI", "\x11"), ("AB", "\x12")],                 # values that look like the references themselves
    [("TI", "unit \x1f separator"), ("AB", "The abstract.")],
])
def test_stored_records_keep_raw_tags_verbatim_and_store_title_and_abstract_once(tmp_path, raw):
    store = make_store(tmp_path)
    record = Record(raw=raw, title="A title", abstract="The abstract.")
    with store.transaction():
        store.add_records(_run(store), None, [record])
    (row,) = store.record_rows()
    assert row["raw"] == raw
    assert row["fingerprint"] == Store.record_fingerprint(record)   # the full text's, as before
    stored = store.conn.execute("SELECT raw FROM source_record").fetchone()[0]
    if raw[0] == ("TY", "JOUR"):
        assert "The abstract." not in stored and "A title" not in stored
        assert len(stored) < len(encode_raw(raw))


def test_long_tags_share_the_title_and_abstract_too(tmp_path):
    """MEDLINE, PubMed and CSV raw tags are longer than RIS's two letters."""
    raw = [("PMID", "1"), ("TI", "A title"), ("AB", "The abstract.")]
    store = make_store(tmp_path)
    with store.transaction():
        store.add_records(_run(store), None, [Record(raw=raw, title="A title", abstract="The abstract.")])
    stored = store.conn.execute("SELECT raw FROM source_record").fetchone()[0]
    assert "The abstract." not in stored and "A title" not in stored
    assert list(store.record_rows())[0]["raw"] == raw


def test_migration_3_rewrites_json_raw_tags_and_their_fingerprints(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    for step in MIGRATIONS[:2]:
        for statement in _split_sql(step):
            conn.execute(statement)
    conn.execute("PRAGMA user_version=2")
    conn.execute("INSERT INTO search_run (search_id, version, database, method, fingerprint, imported_at) "
                 "VALUES ('s', 1, 'DB', 'database', 'f', 'now')")
    conn.execute("INSERT INTO work (id, created_at) VALUES (1, 'now')")
    conn.execute("INSERT INTO source_record (run_id, position, work_id, fingerprint, raw) "
                 """VALUES (1, 1, 1, 'old', '[["TI","Café \\u001e"],["AU","Doe, J"]]')""")
    conn.commit()
    conn.close()
    store = Store.open(path)
    assert store.schema_version == SCHEMA_VERSION
    (row,) = store.record_rows()
    assert row["raw"] == [("TI", "Café \x1e"), ("AU", "Doe, J")]
    assert row["fingerprint"] == Store.record_fingerprint(Record(raw=row["raw"]))


_REVIEWER = """
import sys
from searchflow.store import open_store
store = open_store(sys.argv[1])
name, works = sys.argv[2], [int(w) for w in sys.argv[3].split(",")]
for i in range(int(sys.argv[4])):
    store.add_decision(works[i % len(works)], "title_abstract", name, verdict="include", note=str(i))
store.close()
"""


def test_eight_reviewers_recording_at_once_lose_nothing_and_never_collide(store):
    import subprocess
    import sys

    with store.transaction():
        run = _run(store)
        store.add_records(run, None, [Record(raw=[("TI", f"T{i}")], title=f"T{i}") for i in range(50)])
    works = ",".join(map(str, sorted(store.current_work_ids())))
    each = 500
    reviewers = [subprocess.Popen([sys.executable, "-c", _REVIEWER, store.location, f"r{n}", works, str(each)])
                 for n in range(8)]
    assert [child.wait(timeout=300) for child in reviewers] == [0] * 8
    events = store.decision_events()
    assert len(events) == 8 * each and len({e["id"] for e in events}) == 8 * each
    for n in range(8):
        assert sorted(int(e["note"]) for e in events if e["reviewer"] == f"r{n}") == list(range(each))
