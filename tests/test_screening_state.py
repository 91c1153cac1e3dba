"""The derived screening state (works and final decisions per stage) is shared between calls
for speed; these tests check it is never stale and that the bulk derivation agrees with the
one-work rules, whatever order the events were recorded in."""
from __future__ import annotations

import random

import pytest

from searchflow.screening import decisions as sd
from searchflow.screening.decisions import ScreeningError
from searchflow.store.sqlite import SQLiteStore as Store
from test_screening_rules import FT, TA, decide, make_project


@pytest.fixture
def project(tmp_path):
    with make_project(tmp_path, n_db=8) as p:
        yield p


def test_state_is_shared_until_anything_changes(project):
    s, p = project.store, project.protocol
    state = sd.screening_state(s, p)
    assert sd.screening_state(s, p) is state
    work = sd.stage_works(s, p, TA)[0]
    decide(project, work, TA, "ann", "include")
    assert sd.screening_state(s, p) is not state
    assert sd.final_decisions(s, p, TA)[work].status == "single"


def test_a_decision_through_another_connection_is_seen(project):
    s, p = project.store, project.protocol
    work = sd.stage_works(s, p, TA)[0]
    assert sd.final_decisions(s, p, TA)[work].status == "pending"
    assert work not in sd.stage_works(s, p, FT)
    other = Store.open(s.path)          # a second reviewer's terminal
    try:
        for reviewer in ("ann", "bob"):
            sd.record_decision(other, p, work, TA, reviewer, "include")
    finally:
        other.close()
    assert (sd.final_decisions(s, p, TA)[work].status, sd.final_decisions(s, p, TA)[work].verdict) == ("agreed", "include")
    assert work in sd.stage_works(s, p, FT)


def test_a_changed_protocol_setting_is_seen(project):
    s, p = project.store, project.protocol
    work = sd.stage_works(s, p, TA)[0]
    decide(project, work, TA, "ann", "include")
    decide(project, work, TA, "bob", "maybe")
    assert sd.final_decisions(s, p, TA)[work].verdict == "include"
    p.screening.extra["maybe_is_conflict"] = True
    assert sd.final_decisions(s, p, TA)[work].status == "conflict"
    assert [c.work_id for c in sd.conflicts(s, p, TA)] == [work]


def test_a_merge_of_works_is_seen(project):
    s, p = project.store, project.protocol
    first, second = sd.stage_works(s, p, TA)[:2]
    assert second in sd.assigned_works(s, p, "ann", TA)
    (record,) = s.work_member_ids(second)
    with s.transaction():
        s.move_records([(record, second, first, "reviewer", None)], actor="ann")
    assert second not in sd.assigned_works(s, p, "ann", TA)
    assert second not in sd.final_decisions(s, p, TA)


def test_a_rolled_back_decision_leaves_nothing_behind(project):
    s, p = project.store, project.protocol
    work = sd.stage_works(s, p, TA)[0]
    with pytest.raises(RuntimeError):
        with s.transaction():
            decide(project, work, TA, "ann", "exclude")
            assert sd.final_decisions(s, p, TA)[work].status == "single"
            raise RuntimeError("the reviewer's terminal died")
    assert sd.final_decisions(s, p, TA)[work].status == "pending"


def test_callers_cannot_spoil_the_shared_state(project):
    s, p = project.store, project.protocol
    expected = sd.final_decisions(s, p, TA)
    sd.final_decisions(s, p, TA).clear()
    sd.stage_works(s, p, TA).clear()
    sd.assigned_works(s, p, "ann", TA).clear()
    assert sd.final_decisions(s, p, TA) == expected
    assert sd.stage_works(s, p, TA) == list(expected)


@pytest.mark.parametrize("settings", ["", "maybe_is_conflict = true"])
def test_bulk_derivation_agrees_with_the_one_work_rules(tmp_path, settings):
    """Random verdicts, changed minds, undos and resolutions, stored with times out of id order
    (as an offline reviewer's imported events are): every work's final decision from the bulk
    path equals the one derived for that work alone."""
    rng = random.Random(5)
    with make_project(tmp_path, settings, n_db=40, n_other=0) as project:
        s, p = project.store, project.protocol
        works = sd.stage_works(s, p, TA)
        with s.transaction():
            for _ in range(160):
                work, reviewer = rng.choice(works), rng.choice(["ann", "bob"])
                time = f"2024-01-{rng.randint(1, 28):02d}T10:00:00.000000+00:00"
                verdict = rng.choice(["include", "exclude", "maybe"])
                reason = rng.choice(["", "wrong design"]) if verdict == "exclude" else ""
                event = s.add_decision(work, TA, reviewer, "verdict", verdict, reason, time=time)
                if rng.random() < 0.15:
                    s.add_decision(work, TA, reviewer, "undo", undoes=event, time=time)
                if rng.random() < 0.1:
                    s.add_decision(work, TA, "cat", "resolution", rng.choice(["include", "exclude"]), time=time)
        finals = sd.final_decisions(s, p, TA)
        assert list(finals) == works
        statuses = set()
        for work in works:
            assert finals[work] == sd.final_decision(s, p, work, TA), work
            statuses.add(finals[work].status)
        assert statuses >= {"pending", "single", "agreed", "conflict", "resolved"}
        forward = [w for w in works if finals[w].status != "conflict" and finals[w].verdict in ("include", "maybe")]
        assert sd.stage_works(s, p, FT) == forward
        assert any(finals[w].verdict == "maybe" for w in forward) or settings
        cold = Store.open(s.path)       # nothing derived yet: the full-text queue derives only what it needs
        try:
            assert sd.stage_works(cold, p, FT) == forward
        finally:
            cold.close()


def test_reason_required_is_the_rule_record_decision_applies(project):
    s, p = project.store, project.protocol
    assert sd.reason_required(p, FT, "exclude")
    assert not sd.reason_required(p, TA, "exclude")
    assert not any(sd.reason_required(p, stage, verdict)
                   for stage in (TA, FT) for verdict in ("include", "maybe", "not_retrieved"))
    with pytest.raises(ScreeningError, match="unknown stage"):
        sd.reason_required(p, "abstract", "exclude")
    other = sd.stage_works(s, p, FT)[0]       # a citation-search work: straight to full text
    with pytest.raises(ScreeningError, match="needs a reason"):
        decide(project, other, FT, "ann", "exclude")
    decide(project, sd.stage_works(s, p, TA)[0], TA, "ann", "exclude")    # optional at title/abstract


def test_full_text_queue_on_a_cold_store(project):
    """The full-text queue derived before (and without) every title/abstract decision."""
    s, p = project.store, project.protocol
    w = sd.stage_works(s, p, TA)
    for work, ann, bob in [(w[0], "include", "include"), (w[1], "exclude", "maybe"), (w[2], "include", "exclude"),
                           (w[3], "include", "exclude"), (w[4], "include", None), (w[5], "exclude", "exclude")]:
        decide(project, work, TA, "ann", ann, "wrong design" if ann == "exclude" else "")
        if bob:
            decide(project, work, TA, "bob", bob)
    sd.resolve_conflict(s, p, w[3], TA, "cat", "include")
    decide(project, w[6], TA, "ann", "include")
    sd.undo_last(s, p, "ann", TA)                       # taken back: no include stands
    decide(project, w[6], TA, "ann", "exclude")
    decide(project, w[6], TA, "bob", "exclude")
    other = [work for work in sd.stage_works(s, p, FT) if work not in w]
    cold = Store.open(s.path)
    try:
        assert sd.stage_works(cold, p, FT) == [w[0], w[1], w[3]] + other
    finally:
        cold.close()
    assert sd.stage_works(s, p, FT) == [w[0], w[1], w[3]] + other
