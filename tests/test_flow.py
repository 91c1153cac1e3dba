"""Flow counts on constructed projects whose answers were worked out by hand."""
from __future__ import annotations

import pytest
from flow_project import Project, scenario, screen

from searchflow.flow import emerge, rameses, render
from searchflow.flow.counts import FlowError, FullText, Prisma, check, compute
from searchflow.protocol import ProtocolError

# every test here runs on each store backend (tests/conftest.py)
pytestmark = pytest.mark.usefixtures("store_backend")


def test_prisma_counts_known_answers(tmp_path):
    p = scenario(tmp_path, review={"previous": {"studies": 3, "reports": 5}})
    screen(p)
    c = compute(p.store, p.protocol).prisma
    assert c.databases == {"CINAHL": 6, "Embase": 12}
    assert c.registers == {"ClinicalTrials.gov": 2}
    assert (c.identified, c.duplicates, c.automation, c.removed_other, c.screened) == (20, 2, 0, 0, 18)
    # excluded: 5 agreed + 1 resolved conflict; awaiting: E10, E11, C4, C5, R1
    assert (c.excluded, c.awaiting_screening) == (6, 5)
    assert c.excluded_reasons == {"wrong population": 5, "No reason recorded": 1}    # the resolved conflict
    # sought: E0-E4, E8 (maybe), R0; E8 and R0 have no full-text decision yet
    assert (c.dbr.sought, c.dbr.not_retrieved, c.dbr.assessed, c.dbr.awaiting, c.dbr.included) == (7, 1, 4, 2, 2)
    # E2 was also found by citation searching: its exclusion counts on the database side
    assert c.dbr.excluded == {"no outcome data": 1, "wrong intervention": 1}
    assert c.other_records == {"website": 1, "citation": 3}
    assert c.other_identified == {"website": 1, "citation": 2}
    assert c.other_found_by_database == 1
    assert (c.other.sought, c.other.not_retrieved, c.other.assessed, c.other.included) == (3, 0, 3, 2)
    assert c.other.excluded == {"wrong population": 1}
    assert c.other_by_method["citation"].sought == 2 and c.other_by_method["website"].included == 1
    assert (c.new_reports, c.new_studies) == (4, 3)
    assert (c.previous_studies, c.previous_reports, c.total_studies, c.total_reports) == (3, 5, 6, 9)


def test_counts_before_any_screening_close(tmp_path):
    p = scenario(tmp_path)
    c = compute(p.store, p.protocol).prisma
    assert (c.screened, c.excluded, c.awaiting_screening, c.dbr.sought) == (18, 0, 18, 0)
    # other methods go straight to full text: sought, awaiting a decision
    assert (c.other.sought, c.other.awaiting) == (3, 3)
    assert not c.updated and c.total_studies == 0


def test_rounds_and_source_of_origin(tmp_path):
    """A work first met through CLUSTER in round 1 and found again by a round-2 database search:
    PRISMA counts it on the database side, RAMESES keeps CLUSTER round 1 as its origin."""
    p = Project(tmp_path, [
        ("cluster1", "CLUSTER", "citation", ["K0", "K1"], 1),
        ("embase2", "Embase", "database", ["E0", "E1"], 2),
        ("expert2", "Expert panel", "expert", ["X0"], 2),
    ])
    p.merge("K0", "E0")
    p.both("E0", "title_abstract", "include")
    p.both("E1", "title_abstract", "exclude", "wrong population")
    p.both("E0", "full_text", "include")
    p.both("K1", "full_text", "exclude", "wrong intervention")
    p.both("X0", "full_text", "include")
    flow = compute(p.store, p.protocol)
    c = flow.prisma
    assert c.databases == {"Embase": 2} and c.duplicates == 0 and c.screened == 2
    assert c.other_identified == {"citation": 1, "expert": 1} and c.other_found_by_database == 1
    assert (c.dbr.included, c.other.included, c.new_studies) == (1, 1, 2)
    doc = rameses.document_flow(flow, p.store)
    rows = {(r["round"], r["label"]): r for r in doc["rows"]}
    assert rows[(1, "Citation searching: CLUSTER")]["documents"] == 2
    assert rows[(1, "Citation searching: CLUSTER")]["included"] == 1
    assert rows[(1, "Citation searching: CLUSTER")]["excluded_full_text"] == 1
    assert rows[(2, "Embase")]["records"] == 2 and rows[(2, "Embase")]["documents"] == 1
    assert rows[(2, "Embase")]["excluded_screening"] == 1
    assert rows[(2, "Experts: Expert panel")]["included"] == 1
    included = {d["work"]: d for d in doc["included"]}
    assert included[p.work("E0")]["origin"] == "Citation searching: CLUSTER"
    assert included[p.work("E0")]["found_by"] == ["Citation searching: CLUSTER", "Embase"]
    assert doc["totals"]["documents"] == 4 and doc["totals"]["included"] == 2


def test_a_full_text_decision_outside_full_text_is_reported(tmp_path):
    p = scenario(tmp_path)
    screen(p)
    # an event appended behind the rules' back (a hand-edited or merged store)
    p.store.add_decision(p.work("E5"), "full_text", "alice", verdict="include")
    p.store.add_decision(p.work("E5"), "full_text", "bob", verdict="include")
    with pytest.raises(FlowError) as error:
        compute(p.store, p.protocol)
    message = str(error.value)
    assert "reports sought for retrieval [databases and registers] (7)" in message
    assert "reports assessed for eligibility [databases and registers] (5)" in message
    assert f"never reached full text: {p.work('E5')}" in message


def test_check_names_the_boxes_that_do_not_close():
    counts = Prisma(databases={"Embase": 10}, duplicates=2, screened=9, awaiting_screening=9)
    with pytest.raises(FlowError, match=r"records identified from databases and registers \(10\).*"
                                         r"records screened \(9\) = 11"):
        check(counts)
    fine = Prisma(databases={"Embase": 10}, duplicates=2, screened=8, excluded=5,
                  dbr=FullText(sought=3, assessed=3, included=2, excluded={"wrong population": 1}),
                  new_reports=2, new_studies=2)
    check(fine)
    fine.new_studies = 3
    with pytest.raises(FlowError, match="new studies included"):
        check(fine)


def test_other_methods_screened_at_title_abstract(tmp_path):
    p = Project(tmp_path, [
        ("embase", "Embase", "database", ["E0"], 1),
        ("web", "Google", "website", ["W0", "W1", "W2"], 1),
    ], screening={"screen_other_methods": True})
    p.both("W0", "title_abstract", "exclude", "not primary research")
    p.both("W1", "title_abstract", "include")
    c = compute(p.store, p.protocol).prisma
    assert (c.other_identified["website"], c.other_excluded_screening, c.other_awaiting_screening,
            c.other.sought) == (3, 1, 1, 1)
    assert c.screened == 1            # the database column screens its own works only


def test_stopping_rule_marks_the_rest_ineligible(tmp_path):
    p = Project(tmp_path, [("embase", "Embase", "database", ["E0", "E1", "E2", "E3"], 1)],
                screening={"stopping_rule": {"stopped": True}})
    p.both("E0", "title_abstract", "include")
    p.both("E1", "title_abstract", "exclude")
    c = compute(p.store, p.protocol).prisma
    assert (c.automation, c.screened, c.excluded, c.awaiting_screening, c.dbr.sought) == (2, 2, 1, 0, 1)
    assert c.automation_rule == "stopping rule declared in the protocol"


def test_stopping_rule_is_recorded_beside_the_count(tmp_path):
    rule = "100 irrelevant in a row"
    p = Project(tmp_path, [("embase", "Embase", "database", ["E0", "E1", "E2"], 1)],
                screening={"stopping_rule": {"stopped": True, "rule": rule}})
    p.both("E0", "title_abstract", "include")
    flow = compute(p.store, p.protocol)
    assert flow.prisma.automation == 2 and flow.prisma.automation_rule == rule
    assert f"after: {rule}" in render.svg(flow)


def test_previous_review_is_checked(tmp_path):
    with pytest.raises(ProtocolError, match=r"review\.previous\.reports: expected an integer"):
        compute(*_bare(tmp_path, {"studies": 2, "reports": "five"}))


def _bare(tmp_path, previous):
    p = Project(tmp_path, [("embase", "Embase", "database", ["E0"], 1)], review={"previous": previous})
    return p.store, p.protocol


def test_emerge_who_screened_and_conflicts(tmp_path):
    p = scenario(tmp_path)
    screen(p)
    flow = compute(p.store, p.protocol)
    summary = emerge.phase2(flow, p.protocol)
    ta = summary["screening"]["title_abstract"]
    assert ta["reviewers"] == {"alice": 13, "bob": 13}
    assert ta["screened_by_two_or_more"] == 13 and ta["screened_by_one"] == 0
    assert ta["conflicts"] == 1 and ta["conflicts_resolved"] == {"carol": 1} and ta["conflicts_open"] == 0
    assert summary["studies"] == 3 and summary["papers"] == 4
    assert summary["papers_by_study"][str(p.work("E0"))] == sorted([p.work("E0"), p.work("E1")])
    assert summary["exclusion_reasons"]["title_abstract"] == {"wrong population": 5, "No reason recorded": 1}
    assert summary["exclusion_reasons"]["title_abstract_without_reason"] == 1
    assert summary["exclusion_reasons"]["full_text"] == {
        "no outcome data": 1, "wrong intervention": 1, "wrong population": 1}
    by_source = {s["source"]: s for s in summary["sources"]}
    assert by_source["Embase"]["records"] == 12 and by_source["Embase"]["documents"] == 12
    assert by_source["CINAHL"]["documents"] == 4    # C0, C1 are Embase's duplicates
