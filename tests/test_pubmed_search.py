"""PubMed searches end to end: `searchflow run`, offline replay, search updates, >10,000 hits, resuming."""
from __future__ import annotations

import dataclasses
import random
from datetime import date, timedelta

import pytest
from werkzeug import Response

from conftest import shared_file
from pubmed_fakes import FakePubMed, esearch_xml, settings_for, xml_response
from searchflow import cli
from searchflow.project import Project
from searchflow.protocol import ProtocolError, Search
from searchflow.sources.pubmed import runs as pubmed   # the module that reads stored replies
from searchflow.sources.pubmed import EutilsError, PubMedSettings, run_search, stored_records
from searchflow.store.sqlite import SQLiteStore as Store

KEY = "k3y-d0-not-st0re-0123456789abcdef"
TODAY = date(2026, 11, 22)

PROTOCOL = """
[review]
title = "Link workers"

[pubmed]
email = "reviewer@example.org"

[[search]]
id = "pubmed-main"
database = "PubMed"
connector = "pubmed"
query = "{query}"
"""


@pytest.fixture
def fast_retries(monkeypatch):
    """Retries without the real back-off delays (the pace limit stays)."""
    original = PubMedSettings.from_protocol.__func__

    def from_protocol(cls, protocol=None, api_key=None):
        return dataclasses.replace(original(cls, protocol, api_key), backoff=0.01, max_tries=2)
    monkeypatch.setattr(PubMedSettings, "from_protocol", classmethod(from_protocol))


def write_protocol(tmp_path, query="link workers"):
    path = tmp_path / "review.toml"
    path.write_text(PROTOCOL.format(query=query), encoding="utf-8")
    return path


def serve_real_files(server, pmids: list[str], efetch_file: str) -> None:
    """esearch lists the PMIDs of a real recorded efetch reply, which efetch then returns."""
    server.expect_request("/esearch.fcgi", method="POST").respond_with_response(
        xml_response(esearch_xml(len(pmids), pmids, "MCID_1", "1", '"link workers"[All Fields]')))
    server.expect_request("/efetch.fcgi", method="POST").respond_with_response(
        xml_response(shared_file("eutils", "efetch", efetch_file).read_bytes()))


def test_run_then_replay_offline_identically_and_key_never_stored(server, tmp_path, monkeypatch):
    serve_real_files(server, ["11748933", "11700088"], "efetch_pubmed_2025dtd_entity.xml")
    monkeypatch.setenv("SEARCHFLOW_EUTILS_URL", server.url_for("/"))
    monkeypatch.setenv("NCBI_API_KEY", KEY)
    protocol = write_protocol(tmp_path)
    with Project.open(protocol) as project:
        report = project.run()
        (change,) = report.changes
        assert (change.status, change.records) == ("new", 2)
        assert any("PubMed reported 2 hits" in m and '"link workers"[All Fields]' in m for m in report.messages)
        (run,) = project.store.search_runs()
        assert (run["connector"], run["hits_reported"], run["version"], run["is_current"]) == ("pubmed", 2, 1, 1)
        assert run["query"] == "link workers" and run["query_translation"] == '"link workers"[All Fields]'
        before = project.records()
    forms = [entry[0].form.to_dict() for entry in server.log]
    assert [f.get("usehistory") for f in forms] == ["y", None] and forms[1]["WebEnv"] == "MCID_1"
    assert all(f["api_key"] == KEY and f["tool"] == "searchflow" for f in forms)
    server.stop()                                                   # offline from here on

    with Project.open(protocol) as project:
        report = project.run()
        assert report.changes[0].status == "unchanged"
        after = project.records()
        assert after.equals(before)
        replayed = list(stored_records(project.store, project.store.current_run("pubmed-main")["id"]))
        stored = list(project.store.record_rows())
        assert [r.pmid for r in replayed] == [s["pmid"] for s in stored] == ["11748933", "11700088"]
        assert [[tuple(p) for p in r.raw] for r in replayed] == [s["raw"] for s in stored]
        assert [r.title for r in replayed] == [s["title"] for s in stored]
        requests = [row[0] for row in project.store.conn.execute("SELECT request FROM eutils_response")]
        assert len(requests) == 2 and all("api_key" not in r and KEY not in r for r in requests)
    assert KEY.encode() not in (tmp_path / "review.db").read_bytes()


def test_never_run_and_offline_is_a_one_line_error(server, tmp_path, monkeypatch, capsys, fast_retries):
    monkeypatch.setenv("SEARCHFLOW_EUTILS_URL", server.url_for("/"))
    server.stop()
    protocol = write_protocol(tmp_path)
    assert cli.main(["run", str(protocol), "--api-key", KEY]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("searchflow: error: search 'pubmed-main':") and "\n" not in err
    assert KEY not in err
    with Project.open(protocol) as project:                      # nothing half-made is left behind
        assert project.store.search_runs() == []


def test_a_search_another_process_is_running_is_a_one_line_error(server, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SEARCHFLOW_EUTILS_URL", server.url_for("/"))
    protocol = write_protocol(tmp_path)
    other = Store.open(tmp_path / "review.db")          # stands for a second `searchflow run --refresh`
    with other.exclusive("search-pubmed-main", "PubMed search 'pubmed-main'"):
        assert cli.main(["run", str(protocol), "--refresh"]) == 2
    err = capsys.readouterr().err.strip()
    assert "PubMed search 'pubmed-main' is running in another process" in err and "\n" not in err
    assert server.log == []                               # nothing was asked of PubMed
    assert other.search_runs() == []                      # nor stored
    other.close()


def corpus(n: int, seed: int = 7, start: date = date(1995, 1, 1), days: int = 30 * 365) -> dict[int, date]:
    rng = random.Random(seed)
    pmids = rng.sample(range(1_000_000, 40_000_000), n)
    return {p: start + timedelta(days=rng.randrange(days)) for p in pmids}


def serve_fake(server, fake) -> None:
    server.expect_request("/esearch.fcgi", method="POST").respond_with_handler(fake)
    server.expect_request("/efetch.fcgi", method="POST").respond_with_handler(fake)


def test_search_update_reports_new_and_dropped_pmids_and_keeps_works(server, tmp_path):
    first = FakePubMed({1001: date(2020, 1, 5), 1002: date(2021, 3, 1), 1003: date(2022, 7, 9)})
    serve_fake(server, first)
    store = Store.open(tmp_path / "p.db")
    search = Search(id="pm", database="PubMed", connector="pubmed", query="social prescribing")
    change, _ = run_search(store, search, settings_for(server), today=TODAY)
    assert (change.status, change.records) == ("new", 3)
    works = {r["pmid"]: r["work_id"] for r in store.record_rows()}

    server.clear()
    second = FakePubMed({1002: date(2021, 3, 1), 1003: date(2022, 7, 9), 1004: date(2023, 1, 1)})
    serve_fake(server, second)
    change, _ = run_search(store, search, settings_for(server), today=TODAY)      # unchanged query, no refresh
    assert change.status == "unchanged" and second.log == []                  # replayed; nothing asked
    change, messages = run_search(store, search, settings_for(server), refresh=True, today=TODAY)
    assert (change.status, change.version, change.records, change.carried) == ("changed", 2, 3, 2)
    assert "pm: search update: 1 new PMIDs, 1 no longer returned" in messages
    assert "  new: 1004" in messages and "  no longer returned: 1001" in messages
    now = {r["pmid"]: r["work_id"] for r in store.record_rows()}
    assert now["1002"] == works["1002"] and now["1003"] == works["1003"] and now["1004"] not in works.values()
    assert [r["version"] for r in store.search_runs()] == [1, 2]


def test_unchanged_replay_reads_nothing_and_a_new_reader_reads_again_once(server, tmp_path, monkeypatch):
    serve_fake(server, FakePubMed(corpus(1_200)))
    store = Store.open(tmp_path / "p.db")
    search = Search(id="pm", database="PubMed", connector="pubmed", query="q")
    run_search(store, search, settings_for(server), today=TODAY)
    server.stop()                                               # offline from here on
    read: list[int] = []
    real_parse = pubmed.parse_efetch
    monkeypatch.setattr(pubmed, "parse_efetch", lambda body: read.append(len(body)) or real_parse(body))

    change, messages = run_search(store, search, settings_for(server), today=TODAY)
    assert (change.status, change.records, messages, read) == ("unchanged", 1_200, [], [])

    monkeypatch.setattr(pubmed, "PARSER_VERSION", pubmed.PARSER_VERSION + 1)
    change, messages = run_search(store, search, settings_for(server), today=TODAY)
    assert (change.status, change.version, len(read)) == ("unchanged", 1, 3)    # 3 efetch replies read again
    assert messages == [f"pm: records read again from the responses stored on {TODAY} (the PubMed reader "
                        f"changed from version {pubmed.PARSER_VERSION - 1} to {pubmed.PARSER_VERSION}); "
                        f"no record changed"]
    read.clear()
    change, messages = run_search(store, search, settings_for(server), today=TODAY)
    assert (change.status, messages, read) == ("unchanged", [], [])             # once only

    first = store.run_pmids(store.current_run("pm")["id"])[0]

    def reader_with_a_new_tag(body):                            # a reader that now keeps one more tag
        for record in real_parse(body):
            if record.pmid == first:
                record.raw.append(("NewTag", "x"))
            yield record
    monkeypatch.setattr(pubmed, "parse_efetch", reader_with_a_new_tag)
    monkeypatch.setattr(pubmed, "PARSER_VERSION", pubmed.PARSER_VERSION + 1)
    change, messages = run_search(store, search, settings_for(server), today=TODAY)
    assert (change.status, change.version, change.records, change.carried) == ("changed", 2, 1_200, 1_199)
    assert "no new search was run" in messages[0]


def test_runs_stored_before_reader_versions_are_read_again_once(server, tmp_path):
    serve_fake(server, FakePubMed(corpus(30)))
    store = Store.open(tmp_path / "p.db")
    search = Search(id="pm", database="PubMed", connector="pubmed", query="q")
    run_search(store, search, settings_for(server), today=TODAY)
    run_id = store.current_run("pm")["id"]
    store.update_search_run(run_id, fingerprint="0" * 64)      # how older versions fingerprinted a run
    change, messages = run_search(store, search, settings_for(server), today=TODAY)
    assert change.status == "unchanged" and "changed from version 1 to" in messages[0]
    assert store.current_run("pm")["fingerprint"].startswith(f"pubmed-reader-{pubmed.PARSER_VERSION}:")
    assert run_search(store, search, settings_for(server), today=TODAY)[1] == []


def test_more_than_10000_hits_split_by_date_then_pmid_every_pmid_once(server, tmp_path):
    records = corpus(1_800)
    crowded_day = date(2020, 1, 1)              # year-only dates pile up on 1 January
    crowd = corpus(10_200, seed=11, start=crowded_day, days=1)
    fake = FakePubMed({**records, **crowd}, year_only=set(crowd))
    serve_fake(server, fake)
    store = Store.open(tmp_path / "p.db")
    search = Search(id="big", database="PubMed", connector="pubmed", query="humans")
    change, messages = run_search(store, search, settings_for(server), today=TODAY)

    pmids = store.run_pmids(store.current_run("big")["id"])
    assert len(pmids) == len(set(pmids)) == 12_000
    assert set(map(int, pmids)) == set(fake.corpus)
    assert change.warnings == []                              # slices added up; total did not move
    assert any("PubMed reported 12000 hits (fetched in" in m and "whose counts add up to the total" in m
               for m in messages)
    histories = [f for f in fake.requests("esearch") if f.get("usehistory") == ["y"]]
    slices = histories[1:]                                      # the first one asked for everything
    assert all(len(fake.matching({k: v[0] for k, v in f.items()})) < 10_000 for f in slices)
    assert any("[uid]" in f["term"][0] for f in slices)        # the crowded day needed PMID ranges
    assert all(int(f["retstart"][0]) < 10_000 for f in fake.requests("efetch"))
    assert store.current_run("big")["hits_reported"] == 12_000


def test_run_through_dedup_with_a_series_of_thousands_of_records(server, tmp_path, monkeypatch, capsys):
    # 10,500 records, 8,000 of them reports of one series (same authors, journal and title stem):
    # candidate pairs stay in proportion to the records and no two reports become one work
    records = corpus(10_500, seed=5, start=date(2018, 1, 1), days=3 * 365)
    fake = FakePubMed(records, series=set(sorted(records)[:8_000]))
    serve_fake(server, fake)
    monkeypatch.setenv("SEARCHFLOW_EUTILS_URL", server.url_for("/"))
    original = PubMedSettings.from_protocol.__func__
    monkeypatch.setattr(PubMedSettings, "from_protocol", classmethod(
        lambda cls, protocol=None, api_key=None: dataclasses.replace(original(cls, protocol, api_key),
                                                                     requests_per_second=0)))
    protocol = write_protocol(tmp_path, query="influenza surveillance")
    assert cli.main(["run", str(protocol)]) == 0
    assert "dedup:" in capsys.readouterr().out
    with Project.open(protocol) as project:
        counts = project.store.counts()
    assert counts["records"] == 10_500
    assert counts["works"] == 10_500           # every PMID its own work: none merged, none lost


def test_total_moving_during_the_search_is_reported(server, tmp_path):
    fake = FakePubMed(corpus(10_050))
    fake.after_first_search = lambda f: f.corpus.update({39_999_999: date(2024, 5, 5), 39_999_998: date(2001, 2, 2)})
    serve_fake(server, fake)
    store = Store.open(tmp_path / "p.db")
    search = Search(id="moving", database="PubMed", connector="pubmed", query="q")
    change, _ = run_search(store, search, settings_for(server), today=TODAY)
    assert any("total moved from 10050 to 10052" in w for w in change.warnings)
    assert any("slices count 10052 records, PubMed's total is 10050" in w for w in change.warnings)
    assert change.records == 10_052


class FailingAfter:
    """The fake PubMed, but every efetch after the first ``n`` answers HTTP 500."""

    def __init__(self, fake, n):
        self.fake, self.n = fake, n

    def __call__(self, request):
        if request.path.endswith("efetch.fcgi"):
            if self.n <= 0:
                return Response("Internal Server Error", status=500)
            self.n -= 1
        return self.fake(request)


def test_interrupted_search_resumes_from_the_batch_reached(server, tmp_path):
    records = corpus(2_400)
    first = FakePubMed(records)
    handler = FailingAfter(first, 3)
    server.expect_request("/esearch.fcgi", method="POST").respond_with_handler(handler)
    server.expect_request("/efetch.fcgi", method="POST").respond_with_handler(handler)
    store = Store.open(tmp_path / "p.db")
    search = Search(id="pm", database="PubMed", connector="pubmed", query="q")
    with pytest.raises(EutilsError, match="HTTP 500"):
        run_search(store, search, settings_for(server, max_tries=2), today=TODAY)
    assert store.current_run("pm") is None
    pending = store.pending_run("pm")
    assert [u for _, u, _ in store.eutils_requests(pending["id"])] == ["esearch", "efetch", "efetch", "efetch"]

    server.clear()
    second = FakePubMed(records, webenv_prefix="MCID_new")   # a restarted PubMed: old history sets are gone
    serve_fake(server, second)
    change, messages = run_search(store, search, settings_for(server), today=TODAY)
    assert (change.status, change.records) == ("new", 2_400)
    assert "resumed after 4 stored responses" in messages[0]
    asked = [(utility, form.get("WebEnv", [""])[0], form.get("retstart", [""])[0]) for _, utility, form in second.log]
    assert asked == [("efetch", "MCID_fake0", "1500"),            # the stored history set: expired
                     ("esearch", "", ""),                         # so the search is run again
                     ("efetch", "MCID_new0", "1500"), ("efetch", "MCID_new0", "2000")]
    assert sorted(map(int, store.run_pmids(store.current_run("pm")["id"]))) == sorted(records)


def test_changed_query_is_a_new_version_and_pubmed_table_is_checked(server, tmp_path, monkeypatch):
    fake = FakePubMed({5: date(2020, 1, 1)})
    serve_fake(server, fake)
    monkeypatch.setenv("SEARCHFLOW_EUTILS_URL", server.url_for("/"))
    protocol = write_protocol(tmp_path, "first query")
    with Project.open(protocol) as project:
        project.run()
    write_protocol(tmp_path, "second query")
    with Project.open(protocol) as project:
        report = project.run()
        assert (report.changes[0].status, report.changes[0].version) == ("changed", 2)
        assert project.store.current_run("pubmed-main")["query"] == "second query"
    assert [f["term"] for f in fake.requests("esearch")] == [["first query"], ["second query"]]
    bad = tmp_path / "bad.toml"
    bad.write_text(PROTOCOL.format(query="q").replace('email = "reviewer@example.org"', 'api_key = "x"'))
    with Project.open(bad) as project, pytest.raises(ProtocolError, match="pubmed.api_key"):
        project.run()


def test_progress_is_reported_as_records_arrive(server, tmp_path):
    fake = FakePubMed(corpus(1_200))
    serve_fake(server, fake)
    store = Store.open(tmp_path / "p.db")
    run_id = store.begin_pending_run("pm", database="PubMed", method="database", connector="pubmed")
    seen: list[tuple[int, int]] = []
    conversation = pubmed.Conversation(store, run_id, pubmed.EutilsClient(settings_for(server)), "pm")
    outcome = pubmed.PubMedSearch(conversation, "q", today=TODAY, batch_size=500,
                                  progress=lambda done, total: seen.append((done, total))).run()
    assert seen == [(500, 1200), (1000, 1200), (1200, 1200)]
    assert len(outcome.pmids) == 1200 and outcome.slices == []



def stored_rows(store, search_id):
    """A search's current records as stored, without the ids a store gives them."""
    run = store.current_run(search_id)
    return [(r["position"], r["line"], r["fingerprint"], r["pmid"], r["title"], r["authors"], r["year"], r["doi"])
            for r in store.record_rows(run_id=run["id"])]


def work_count(store):
    return store.conn.execute("SELECT COUNT(*) FROM work").fetchone()[0]


class GarblingOnce:
    """The fake PubMed, but the ``nth`` efetch reply has a tag misspelt in its middle, once."""

    def __init__(self, fake, nth):
        self.fake, self.nth = fake, nth

    def __call__(self, request):
        response = self.fake(request)
        if request.path.endswith("efetch.fcgi"):
            self.nth -= 1
            if self.nth == 0:
                response.set_data(response.get_data().replace(b"</ArticleTitle>", b"</ArticleTitel>", 1))
        return response


def test_reader_processes_store_what_reading_here_stores_across_a_garbled_reply_and_an_interruption(server, tmp_path):
    records = corpus(5_000, seed=3)
    serve_fake(server, FakePubMed(records, rich=True))
    search = Search(id="pm", database="PubMed", connector="pubmed", query="q")
    here = Store.open(tmp_path / "here.db")
    run_search(here, search, settings_for(server, reader_processes=0), today=TODAY)

    server.clear()
    fake = FakePubMed(records, rich=True)
    handler = FailingAfter(GarblingOnce(fake, 6), 10)
    server.expect_request("/esearch.fcgi", method="POST").respond_with_handler(handler)
    server.expect_request("/efetch.fcgi", method="POST").respond_with_handler(handler)
    readers = Store.open(tmp_path / "readers.db")
    with pytest.raises(EutilsError, match="HTTP 500"):
        run_search(readers, search, settings_for(server, reader_processes=2, max_tries=2), today=TODAY)
    # the garbled 6th reply passed the quick check, failed in a reader process, and was asked for again
    assert [f["retstart"][0] for f in fake.requests("efetch")] == [
        "0", "500", "1000", "1500", "2000", "2500", "3000", "3500", "2500", "4000"]
    pending = readers.pending_run("pm")["id"]
    assert [u for _, u, _ in readers.eutils_requests(pending)] == ["esearch"] + ["efetch"] * 9   # none lost
    assert len(readers.run_record_keys(pending)) == 4_500

    server.clear()
    serve_fake(server, FakePubMed(records, rich=True))
    change, messages = run_search(readers, search, settings_for(server, reader_processes=2), today=TODAY)
    assert (change.status, change.records) == ("new", 5_000) and "resumed after 10 stored responses" in messages[0]
    assert stored_rows(readers, "pm") == stored_rows(here, "pm")
    assert work_count(readers) == work_count(here) == 5_000


def test_an_abandoned_pending_run_goes_with_its_records_and_works(server, tmp_path):
    handler = FailingAfter(FakePubMed(corpus(1_500)), 2)
    server.expect_request("/esearch.fcgi", method="POST").respond_with_handler(handler)
    server.expect_request("/efetch.fcgi", method="POST").respond_with_handler(handler)
    store = Store.open(tmp_path / "p.db")
    with pytest.raises(EutilsError):
        run_search(store, Search(id="pm", database="PubMed", connector="pubmed", query="first"),
                   settings_for(server, max_tries=1), today=TODAY)
    pending = store.pending_run("pm")["id"]
    assert len(store.run_record_keys(pending)) == 1_000 and work_count(store) == 1_000

    server.clear()
    serve_fake(server, FakePubMed(corpus(30, seed=5)))
    change, _ = run_search(store, Search(id="pm", database="PubMed", connector="pubmed", query="second"),
                           settings_for(server), today=TODAY)
    assert change.records == 30 and store.pending_run("pm") is None
    assert store.conn.execute("SELECT COUNT(*) FROM source_record").fetchone()[0] == 30
    assert work_count(store) == 30                                  # no work left without a record


def test_resuming_with_another_batch_size_drops_the_replies_and_their_records(server, tmp_path):
    records = corpus(2_400)
    search = Search(id="pm", database="PubMed", connector="pubmed", query="q")
    serve_fake(server, FakePubMed(records))
    whole = Store.open(tmp_path / "whole.db")
    run_search(whole, search, settings_for(server, batch_size=400), today=TODAY)

    server.clear()
    handler = FailingAfter(FakePubMed(records), 3)
    server.expect_request("/esearch.fcgi", method="POST").respond_with_handler(handler)
    server.expect_request("/efetch.fcgi", method="POST").respond_with_handler(handler)
    store = Store.open(tmp_path / "p.db")
    with pytest.raises(EutilsError):
        run_search(store, search, settings_for(server, batch_size=500, max_tries=1), today=TODAY)
    assert len(store.run_record_keys(store.pending_run("pm")["id"])) == 1_500

    server.clear()
    serve_fake(server, FakePubMed(records))
    change, _ = run_search(store, search, settings_for(server, batch_size=400), today=TODAY)
    assert change.records == 2_400
    assert stored_rows(store, "pm") == stored_rows(whole, "pm") and work_count(store) == 2_400


def interrupted_update(server, store, search, records, *, after: int):
    """Version 1 of ``search``, then a search update that stops after ``after`` efetch replies."""
    serve_fake(server, FakePubMed(records))
    run_search(store, search, settings_for(server), today=TODAY)
    server.clear()
    handler = FailingAfter(FakePubMed(records), after)
    server.expect_request("/esearch.fcgi", method="POST").respond_with_handler(handler)
    server.expect_request("/efetch.fcgi", method="POST").respond_with_handler(handler)
    with pytest.raises(EutilsError):
        run_search(store, search, settings_for(server, max_tries=1), refresh=True, today=TODAY)
    server.clear()
    serve_fake(server, FakePubMed(records))
    return store.current_run(search.id)["id"], store.pending_run(search.id)["id"]


def rereads(monkeypatch) -> list[int]:
    """Stored replies read again to rebuild a run's records (replayed ones are read by read_efetch)."""
    read: list[int] = []
    real_parse = pubmed.parse_efetch
    monkeypatch.setattr(pubmed, "parse_efetch", lambda body: read.append(len(body)) or real_parse(body))
    return read


def test_works_moved_while_a_search_update_waited_are_followed(server, tmp_path, monkeypatch):
    read = rereads(monkeypatch)
    store = Store.open(tmp_path / "p.db")
    search = Search(id="pm", database="PubMed", connector="pubmed", query="q")
    first, pending = interrupted_update(server, store, search, corpus(1_200), after=2)
    assert len(store.run_record_keys(pending)) == 1_000
    a, b = list(store.record_rows(run_id=first))[:2]               # a reviewer merges two works meanwhile
    store.move_records([(a["id"], a["work_id"], b["work_id"], "reviewer", None)], actor="reviewer")

    change, _ = run_search(store, search, settings_for(server), refresh=True, today=TODAY)
    assert (change.version, change.records, change.carried) == (2, 1_200, 1_200)
    now = {r["pmid"]: r for r in store.record_rows(run_id=store.current_run("pm")["id"])}
    assert now[a["pmid"]]["work_id"] == b["work_id"]                 # as a completion from scratch gives
    assert {r["work_id"] for r in now.values()} == {r["work_id"] for r in store.record_rows(False, run_id=first)}
    efetches = [seq for seq, utility, _ in store.eutils_requests(pending) if utility == "efetch"]
    assert len(read) == len(efetches) == 4                           # stored again from the stored replies


def test_records_waiting_while_dedup_compared_newer_ones_are_stored_again_after_them(server, tmp_path):
    store = Store.open(tmp_path / "p.db")
    search = Search(id="pm", database="PubMed", connector="pubmed", query="q")
    records = corpus(1_200)
    first, pending = interrupted_update(server, store, search, records, after=2)
    run_search(store, Search(id="other", database="PubMed", connector="pubmed", query="q2"), settings_for(server),
               today=TODAY)                                          # another search, then a dedup pass
    store.add_dedup_run(store.last_current_record(), 0, 0)
    assert store.dedup_checkpoint() > min(record_id for record_id, _, _ in store.run_record_keys(pending))

    change, _ = run_search(store, search, settings_for(server), refresh=True, today=TODAY)
    assert (change.version, change.records, change.carried) == (2, 1_200, 1_200)
    now = list(store.record_rows(run_id=store.current_run("pm")["id"]))
    assert min(r["id"] for r in now) > store.dedup_checkpoint()       # the next dedup pass compares them


def test_a_search_update_resumed_with_nothing_moved_keeps_the_records_it_stored(server, tmp_path, monkeypatch):
    read = rereads(monkeypatch)
    store = Store.open(tmp_path / "p.db")
    search = Search(id="pm", database="PubMed", connector="pubmed", query="q")
    first, pending = interrupted_update(server, store, search, corpus(1_200), after=2)
    stored = store.run_record_keys(pending)
    change, _ = run_search(store, search, settings_for(server), refresh=True, today=TODAY)
    assert (change.version, change.records, change.carried) == (2, 1_200, 1_200)
    assert store.run_record_keys(pending)[:1_000] == stored and read == []   # not read or stored again
