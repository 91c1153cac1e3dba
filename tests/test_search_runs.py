"""One search-run lifecycle for every source: unchanged, begin (resume or discard), complete, discard."""
from __future__ import annotations

from searchflow import search_runs
from searchflow.records import Record


def records(*titles: str) -> list[Record]:
    return [Record(raw=[("TI", t)], title=t) for t in titles]


def file_import(store, search_id: str, fingerprint: str, *titles: str):
    """What a file import does: begin, add and complete in one transaction."""
    with store.transaction():
        run = search_runs.begin(store, search_id, connector="file", database="DB", method="database")
        store.add_records(run.id, None, records(*titles), previous_run_id=run.previous_run_id)
        return search_runs.complete(store, run, fingerprint, hits=len(titles))


def test_versions_and_the_change_report_come_from_complete(store):
    first = file_import(store, "s", "one", "a", "b")
    assert (first.status, first.version, first.records, first.carried) == ("new", 1, 2, 0)
    assert search_runs.unchanged(store, "s", "two") is None
    again = search_runs.unchanged(store, "s", "one")
    assert (again.status, again.version, again.records, again.previous_records) == ("unchanged", 1, 2, 2)
    second = file_import(store, "s", "two", "a", "c", "d")
    assert (second.status, second.version, second.records, second.previous_records, second.carried) == \
        ("changed", 2, 3, 2, 1)
    assert second.describe() == "s: changed, version 2: 3 records (+1; 1 identical to version 1)"
    assert [(r["version"], r["is_current"], r["hits_reported"]) for r in store.search_runs()] == \
        [(1, 0, 2), (2, 1, 3)]


def test_a_search_that_is_not_counted_still_gives_the_next_version_its_works(store):
    file_import(store, "s", "one", "a", "b")
    works = {r["title"]: r["work_id"] for r in store.record_rows()}
    store.set_search_counted("s", False, actor="test")
    assert store.current_run("s") is None
    assert search_runs.unchanged(store, "s", "one").version == 1      # counted or not: the same files add nothing
    change = file_import(store, "s", "two", "a", "c")
    assert (change.status, change.version, change.carried) == ("changed", 2, 1)
    assert {r["title"]: r["work_id"] for r in store.record_rows()}["a"] == works["a"]


def test_a_pending_run_resumes_only_with_the_same_connector_query_and_limits(store):
    run = search_runs.begin(store, "pm", connector="pubmed", database="PubMed", method="database",
                            query="q", date_run="2026-01-02", resume=True)
    with store.transaction():
        store.add_records(run.id, None, records("a"))
    assert not run.resumed and run.previous is None
    again = search_runs.begin(store, "pm", connector="pubmed", database="PubMed", method="database",
                              query="q", date_run="2026-03-04", resume=True)
    assert (again.id, again.resumed, again.date_run) == (run.id, True, "2026-01-02")   # the day it began
    assert len(store.run_record_keys(run.id)) == 1
    work = store.run_record_keys(run.id)[0][2]
    other = search_runs.begin(store, "pm", connector="pubmed", database="PubMed", method="database",
                              query="changed", resume=True)
    assert not other.resumed and store.pending_run("pm")["query"] == "changed"
    assert store.run_record_keys(run.id) == [] and not store.work_exists(work)       # gone with its works


def test_a_file_import_discards_a_pending_run_it_did_not_begin(store):
    pending = search_runs.begin(store, "s", connector="pubmed", database="PubMed", method="database", resume=True)
    with store.transaction():
        store.add_records(pending.id, None, records("left over"))
    change = file_import(store, "s", "files", "a")
    assert (change.status, change.version, change.records) == ("new", 1, 1)
    assert store.pending_run("s") is None
    assert [(r["version"], r["connector"]) for r in store.search_runs()] == [(1, "file")]
    assert [r["title"] for r in store.record_rows()] == ["a"]


def test_discard_leaves_the_completed_versions(store):
    file_import(store, "s", "one", "a")
    run = search_runs.begin(store, "s", connector="pubmed", database="PubMed", method="database")
    assert run.previous["version"] == 1
    search_runs.discard(store, run.id)
    assert store.pending_run("s") is None
    assert [(r["version"], r["is_current"]) for r in store.search_runs()] == [(1, 1)]
