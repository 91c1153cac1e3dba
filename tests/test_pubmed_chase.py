"""Citation chasing through elink: one LinkSet per seed, seeds found by DOI or title, seed kept on each record."""
from __future__ import annotations

import pytest

from conftest import shared_file
from pubmed_fakes import article_xml, articleset, elink_xml, esearch_xml, settings_for, xml_response
from searchflow import cli
from searchflow.project import Project
from searchflow.records import Record
from searchflow.sources.pubmed import chase
from searchflow.sources.pubmed_xml import read_elink

PROTOCOL = """
[review]
title = "Link workers"

[pubmed]
email = "reviewer@example.org"
"""

# every test here runs on each store backend (tests/conftest.py)
pytestmark = pytest.mark.usefixtures("store_backend")


@pytest.fixture
def project(tmp_path):
    path = tmp_path / "review.toml"
    path.write_text(PROTOCOL, encoding="utf-8")
    with Project.open(path) as opened:
        store = opened.store
        run_id = store.begin_pending_run("cinahl", database="CINAHL", method="database", connector="file")
        store.add_records(run_id, None, [
            Record(raw=[("TI", "a")], title="Seed with a PMID", pmid="9298984"),
            Record(raw=[("TI", "b")], title="Seed with a DOI", doi="10.1000/seed.b"),
            Record(raw=[("TI", "c")], title="Seed with a title: only (2019)"),
            Record(raw=[("TI", "d")], title="Seed nobody can find"),
        ])
        store.complete_run(run_id, fingerprint="x", hits_reported=None)
        yield opened


def efetch_by_id(request):
    ids = request.form["id"].split(",")
    return xml_response(articleset(article_xml(int(i), rich=False) for i in ids))


def test_chase_one_seed_against_the_real_elink_reply(server, project):
    body = shared_file("eutils", "elink", "elink_neighbor_refs_citedin.xml").read_bytes()
    ((_, links),) = read_elink(body)
    server.expect_request("/elink.fcgi", method="POST").respond_with_response(xml_response(body))
    server.expect_request("/efetch.fcgi", method="POST").respond_with_handler(efetch_by_id)
    result = chase(project.store, [1], direction="both", settings=settings_for(server))

    wanted = list(dict.fromkeys(links["pubmed_pubmed_refs"] + links["pubmed_pubmed_citedin"]))
    assert result.seeds == {1: "9298984"} and result.links == {1: len(wanted)} and result.unresolved == []
    elinks = [entry[0].form for entry in server.log if entry[0].path.endswith("elink.fcgi")]
    assert [f["linkname"] for f in elinks] == ["pubmed_pubmed_refs", "pubmed_pubmed_citedin"]
    assert all(f.getlist("id") == ["9298984"] for f in elinks)
    # similar articles (pubmed_pubmed, first link = the seed itself) are not citations
    assert "9298984" not in wanted
    run = project.store.current_run(result.search_id)
    assert (run["method"], run["connector"], run["database"]) == ("citation", "citation", "PubMed")
    rows = list(project.store.record_rows(run_id=run["id"]))
    assert [r["pmid"] for r in rows] == wanted
    assert {r["seed_work_id"] for r in rows} == {1}


def test_chase_several_seeds_resolves_by_doi_and_title_and_lists_the_rest(server, project):
    def esearch(request):
        term = request.form["term"]
        if term == '"10.1000/seed.b"[aid]':
            return xml_response(esearch_xml(1, ["555"]))
        if term == '"Seed with a title only 2019"[ti]':
            return xml_response(esearch_xml(1, ["777"]))
        if "nobody" in term:
            return xml_response(esearch_xml(2, ["1", "2"]))      # ambiguous: not a match
        return xml_response(shared_file("eutils", "esearch", "esearch_protein_phrase_not_found.xml").read_bytes())

    def elink(request):
        ids = request.form.getlist("id")
        name = request.form["linkname"]
        return xml_response(elink_xml([(seed, {name: [f"{seed}0{n}" for n in range(1, 4)]}) for seed in ids]))

    server.expect_request("/esearch.fcgi", method="POST").respond_with_handler(esearch)
    server.expect_request("/elink.fcgi", method="POST").respond_with_handler(elink)
    server.expect_request("/efetch.fcgi", method="POST").respond_with_handler(efetch_by_id)
    result = chase(project.store, [4, 2, 1, 3], direction="refs", settings=settings_for(server))

    assert result.seeds == {1: "9298984", 2: "555", 3: "777"}
    assert result.resolved_by == {2: "doi", 3: "title"}
    assert result.unresolved == [(4, "Seed nobody can find")]
    (link_request,) = [e[0].form for e in server.log if e[0].path.endswith("elink.fcgi")]
    assert link_request.getlist("id") == ["9298984", "555", "777"]      # repeated id=, not "a,b,c"
    rows = list(project.store.record_rows(run_id=project.store.current_run(result.search_id)["id"]))
    assert {(r["seed_work_id"], r["pmid"]) for r in rows} == {
        (w, f"{p}0{n}") for w, p in result.seeds.items() for n in range(1, 4)}
    lines = result.lines()
    assert lines[0].startswith(f"{result.search_id}: 9 records linked (refs) from 3 seed works")
    assert "  work 4: Seed nobody can find" in lines

    again = chase(project.store, [1, 2, 3, 4], direction="refs", settings=settings_for(server))
    assert again.search_id == result.search_id and again.version == 2
    run = project.store.current_run(result.search_id)
    assert project.store.carried_records(run["id"], run["id"] - 1) == 9


def test_chase_command(server, project, monkeypatch, capsys):
    monkeypatch.setenv("SEARCHFLOW_EUTILS_URL", server.url_for("/"))
    server.expect_request("/elink.fcgi", method="POST").respond_with_response(xml_response(
        elink_xml([("9298984", {"pubmed_pubmed_citedin": ["111", "222"]})])))
    server.expect_request("/efetch.fcgi", method="POST").respond_with_handler(efetch_by_id)
    protocol = str(project.protocol.path)
    assert cli.main(["chase", protocol, "--work", "1", "--direction", "citedby"]) == 0
    out = capsys.readouterr().out
    assert "2 records linked (citedby) from 1 seed works" in out and "work 1 (PMID 9298984): 2 records" in out

    assert cli.main(["chase", protocol]) == 2
    assert "--work ID" in capsys.readouterr().err
    assert cli.main(["chase", protocol, "--work", "99"]) == 2
    assert "no work with id 99" in capsys.readouterr().err

    from searchflow.screening import state as decisions   # where the CLI looks final decisions up
    final = {1: decisions.FinalDecision(1, "full_text", "agreed", "include"),
             2: decisions.FinalDecision(2, "full_text", "agreed", "exclude"),
             3: decisions.FinalDecision(3, "full_text", "pending")}
    monkeypatch.setattr(decisions, "final_decisions", lambda store, protocol, stage: final)
    assert cli.main(["chase", protocol, "--stage", "full_text", "--verdict", "include",
                     "--direction", "citedby"]) == 0
    assert "from 1 seed works" in capsys.readouterr().out
