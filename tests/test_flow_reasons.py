"""Exclusion reasons add up wherever they are listed ("No reason recorded" for the rest), and
mid-review the Markdown shows the awaiting boxes the diagram shows."""
from __future__ import annotations

import json
import re

import pytest

from flow_project import Project, S, scenario
from searchflow.flow import emerge, render
from searchflow.flow.counts import NO_REASON, compute, listed_reasons
from searchflow.flow.outputs import render_format

TA, FT = "title_abstract", "full_text"

# every test here runs on each store backend (tests/conftest.py)
pytestmark = pytest.mark.usefixtures("store_backend")


@pytest.fixture
def mid_review(tmp_path):
    """Meta-ethnography (so the eMERGe summary is rendered): two title/abstract exclusions with a
    reason, two without, one work still waiting for bob, one full-text exclusion without a reason
    (an imported event: the rules ask for one at full text, but old decisions may lack it)."""
    p = scenario(tmp_path, review={"type": "meta-ethnography"})
    for t in ("E5", "E6"):
        p.both(t, TA, "exclude", "wrong population")
    for t in ("E7", "C2"):
        p.both(t, TA, "exclude")
    S.record_decision(p.store, p.protocol, p.work("C3"), TA, "alice", "exclude")   # bob has not screened it
    p.both("E0", TA, "include")
    p.both("E1", TA, "include")
    p.both("E3", TA, "include")                 # waits for its full-text decision
    for reviewer in ("alice", "bob"):
        p.store.add_decision(p.work("E0"), FT, reviewer, "verdict", "exclude", "", "")
    p.both("E1", FT, "exclude", "no outcome data")
    return p


def test_listed_reasons_add_up():
    assert listed_reasons({"b": 1, "": 2, "a": 3}) == {"a": 3, "b": 1, NO_REASON: 2}
    assert listed_reasons({"": 2}) == {NO_REASON: 2}
    assert listed_reasons({"": 2}, optional=True) == {}
    assert listed_reasons({"a": 1, "": 2}, optional=True) == {"a": 1, NO_REASON: 2}


def test_every_list_of_reasons_adds_up(mid_review):
    p = compute(mid_review.store, mid_review.protocol).prisma
    assert p.excluded == 4
    assert p.excluded_reasons == {"wrong population": 2, "No reason recorded": 2}
    assert sum(p.excluded_reasons.values()) == p.excluded
    assert p.dbr.excluded == {"no outcome data": 1, "No reason recorded": 1}
    assert p.awaiting_screening == 18 - 4 - 3      # 18 database works: 4 excluded, 3 sent on, C3 among the rest


@pytest.mark.parametrize("fmt", ["svg", "mermaid", "md"])
def test_no_reason_recorded_is_shown_in_the_diagram_and_tables(mid_review, fmt):
    text = render_format(mid_review.store, mid_review.protocol, fmt)
    plain = text.replace("\u00a0", " ").replace("&nbsp;", " ")
    assert "Records excluded (n = 4)" in plain or "| records_excluded | Records excluded (databases and registers) | 4 |" in plain
    if fmt == "md":
        assert "| wrong population | 2 |" in plain and "| No reason recorded | 2 |" in plain
        assert "| No reason recorded | 1 |" in plain          # the full-text list too
    else:
        assert "wrong population (n = 2)" in plain and "No reason recorded (n = 2)" in plain
        assert "No reason recorded (n = 1)" in plain
        assert "Awaiting a screening decision (n = 11)" in plain


def test_csv_and_json_list_the_missing_reasons(mid_review):
    csv_text = render_format(mid_review.store, mid_review.protocol, "csv")
    dbr = next(line for line in csv_text.splitlines() if line.startswith("dbr_excluded,"))
    assert dbr.endswith('"no outcome data, 1; No reason recorded, 1"')
    data = json.loads(render_format(mid_review.store, mid_review.protocol, "json"))
    assert data["prisma"]["excluded_reasons"] == {"wrong population": 2, "No reason recorded": 2}
    reasons = data["emerge"]["exclusion_reasons"]
    assert reasons["title_abstract"] == {"wrong population": 2, "No reason recorded": 2}
    assert reasons["full_text"] == {"no outcome data": 1, "No reason recorded": 1}


def test_emerge_markdown_lists_no_reason(mid_review):
    flow = compute(mid_review.store, mid_review.protocol)
    summary = emerge.phase2(flow, mid_review.protocol)
    text = render.markdown(flow, "t", "meta-ethnography", emerge=summary)
    assert re.search(r"\| title/abstract \| No reason recorded \| \d+ \|", text)
    assert "| full text | No reason recorded | 1 |" in text


def test_markdown_shows_the_awaiting_boxes_mid_review(mid_review):
    text = render_format(mid_review.store, mid_review.protocol, "md")
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    names = [row.split(" | ")[0][2:] for row in rows]
    awaiting = names.index("awaiting_screening")
    assert names[awaiting - 1] == "records_excluded" and names[awaiting + 1] == "dbr_sought_reports"
    assert rows[awaiting].endswith("| 11 |")
    p = compute(mid_review.store, mid_review.protocol).prisma
    assert p.dbr.awaiting == 1
    assert "| dbr_awaiting | Awaiting a full-text decision (databases and registers) | 1 |" in text


def test_no_list_when_no_reason_was_given(tmp_path):
    p = scenario(tmp_path)
    p.both("E5", TA, "exclude")
    flow = compute(p.store, p.protocol).prisma
    assert flow.excluded == 1 and flow.excluded_reasons == {}
    svg = render_format(p.store, p.protocol, "svg").replace("\u00a0", " ")
    assert "Records excluded (n = 1)" in svg and "No reason recorded" not in svg
