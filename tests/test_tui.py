"""The screening UI driven through Textual's pilot, on a small fixed project.

Every test reads the outcome back through the screening rules (what was stored),
not from the screen alone.
"""
from __future__ import annotations

import asyncio
import functools
import sys
from pathlib import Path

import pytest
from conftest import STORE_BACKENDS
from textual import events

from searchflow import cli
from searchflow import protocol as protocol_module
from searchflow.protocol import ProtocolError
from searchflow.screening import decisions
from searchflow.screening.highlight import EXCLUDE, INCLUDE, Highlighter
from searchflow.store import open_store
from searchflow.store.copy import copy_store
from searchflow.store.sqlite import SQLiteStore as Store
from searchflow.tui.app import ScreeningApp
from searchflow.dedup import review as dedup_review
from searchflow.tui.screens import ConflictScreen, DashboardScreen, DuplicateScreen, ScreeningScreen
from searchflow.tui.widgets import ReasonPicker, TextPrompt

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "tui"))
import project as fixture_project  # noqa: E402

SIZE = (110, 36)


def run_async(test):
    """Run an async pilot test in its own event loop (no pytest async plugin needed)."""
    @functools.wraps(test)
    def wrapper(*args, **kwargs):
        return asyncio.run(test(*args, **kwargs))
    return wrapper


def _fixture_review(tmp_path):
    path = fixture_project.build(tmp_path)
    protocol = protocol_module.load(path)
    return protocol, Store.open(protocol.store_path)


@pytest.fixture(params=sorted(STORE_BACKENDS))
def review(request, tmp_path):
    """(protocol, store) of the fixture project, on each store backend in turn (a copy of the
    fixture's SQLite store on the others); the store is closed afterwards."""
    protocol, store = _fixture_review(tmp_path)
    if request.param != "sqlite":
        copy = open_store(STORE_BACKENDS[request.param](request, tmp_path))
        copy_store(store, copy)
        store.close()
        store = copy
    yield protocol, store
    store.close()


@pytest.fixture
def sqlite_review(tmp_path):
    """The fixture project on SQLite alone: a snapshot's name is its test's, one per test."""
    protocol, store = _fixture_review(tmp_path)
    yield protocol, store
    store.close()


def open_app(review, reviewer="alice", stage="title_abstract", start="screening") -> ScreeningApp:
    protocol, store = review
    app = ScreeningApp.open(store, protocol, reviewer, stage)
    app.start = start
    return app


def status_verdict(app) -> str:
    return str(app.screen.query_one("#work-line").content)


def shown_record(app) -> str:
    return str(app.screen.query_one("#record-body").content)


# ------------------------------------------------------------------ highlight terms

def test_highlight_wildcards_phrases_and_word_starts():
    hl = Highlighter(include=["prescrib*", "link worker*"], exclude=["child*"])
    text = "Link-workers prescribing for children; overprescribing and prescribe."
    found = [(text[m.start:m.end], m.kind) for m in hl.matches(text)]
    assert found == [("Link-workers", INCLUDE), ("prescribing", INCLUDE), ("children", EXCLUDE),
                     ("prescribe", INCLUDE)]


def test_highlight_overlap_prefers_earliest_then_longest_then_exclude():
    hl = Highlighter(include=["social prescribing", "protocol*"], exclude=["prescribing", "protocol"])
    text = "social prescribing protocol"
    found = [(text[m.start:m.end], m.kind) for m in hl.matches(text)]
    assert found == [("social prescribing", INCLUDE), ("protocol", EXCLUDE)]
    assert not Highlighter([], [" "])


# ------------------------------------------------------------------ keys and events

@run_async
async def test_include_key_stores_a_verdict_and_moves_on(review):
    protocol, store = review
    app = open_app(review)
    async with app.run_test(size=SIZE) as pilot:
        first = app.session.work_id
        assert "Social prescribing link workers" in shown_record(app)
        await pilot.press("i")
        stored = decisions.reviewer_verdicts(store, "alice", "title_abstract")
        assert stored[first].verdict == "include"
        assert app.session.work_id != first
        assert "Prescribing exercise for children" in shown_record(app)
        assert app.session.screened == 1
        await pilot.press("m")
        assert decisions.reviewer_verdicts(store, "alice", "title_abstract")[first + 1].verdict == "maybe"


@run_async
async def test_exclude_opens_the_reason_picker_and_a_number_picks(review):
    protocol, store = review
    app = open_app(review)
    async with app.run_test(size=SIZE) as pilot:
        work = app.session.work_id
        await pilot.press("e")
        assert isinstance(app.screen, ReasonPicker)
        assert decisions.reviewer_verdicts(store, "alice", "title_abstract") == {}   # nothing yet
        await pilot.press("2")
        assert isinstance(app.screen, ScreeningScreen)
        stored = decisions.reviewer_verdicts(store, "alice", "title_abstract")[work]
        assert (stored.verdict, stored.reason) == ("exclude", "wrong intervention")
        # Escape backs out without a verdict
        await pilot.press("e", "escape")
        assert isinstance(app.screen, ScreeningScreen)
        assert len(decisions.reviewer_verdicts(store, "alice", "title_abstract")) == 1


@run_async
async def test_fast_typing_ahead_of_the_picker_loses_no_key(review):
    """Keys typed faster than the screen updates ("e2" in one go) still land, in order,
    each on the work that was shown when it was typed."""
    protocol, store = review
    app = open_app(review)
    async with app.run_test(size=SIZE) as pilot:
        for key in "ie1mie2i":
            app._driver.send_message(events.Key(key, key))
        await pilot.pause()
        await pilot.pause(0.2)
        stored = decisions.reviewer_verdicts(store, "alice", "title_abstract")
        assert [(w, d.verdict, d.reason) for w, d in sorted(stored.items())] == [
            (1, "include", ""), (2, "exclude", "wrong population"), (3, "maybe", ""),
            (4, "include", ""), (5, "exclude", "wrong intervention"), (6, "include", "")]
        assert isinstance(app.screen, ScreeningScreen)


@run_async
async def test_undo_removes_the_verdict_and_shows_that_work_again(review):
    protocol, store = review
    app = open_app(review)
    async with app.run_test(size=SIZE) as pilot:
        first = app.session.work_id
        await pilot.press("i", "i")
        assert len(decisions.reviewer_verdicts(store, "alice", "title_abstract")) == 2
        await pilot.press("u")
        stored = decisions.reviewer_verdicts(store, "alice", "title_abstract")
        assert list(stored) == [first]
        assert app.session.work_id == first + 1
        assert "not screened" in status_verdict(app)
        assert app.session.screened == 1


@run_async
async def test_note_is_saved_with_the_verdict(review):
    protocol, store = review
    app = open_app(review)
    async with app.run_test(size=SIZE) as pilot:
        work = app.session.work_id
        await pilot.press("n")
        assert isinstance(app.screen, TextPrompt)
        await pilot.press(*"check design", "enter")
        await pilot.press("m")
        stored = decisions.reviewer_verdicts(store, "alice", "title_abstract")[work]
        assert (stored.verdict, stored.note) == ("maybe", "check design")


@run_async
async def test_previous_next_and_search(review):
    app = open_app(review)
    async with app.run_test(size=SIZE) as pilot:
        start = app.session.position
        await pilot.press("right", "right", "left")
        assert app.session.position == start + 1
        await pilot.press("slash", *"loneliness", "enter")
        assert "Community connectors" in shown_record(app)


@run_async
async def test_protocol_can_remap_keys(tmp_path):
    path = fixture_project.build(tmp_path, extra='keys = { include = "y", exclude = "x" }\n')
    protocol = protocol_module.load(path)
    store = Store.open(protocol.store_path)
    try:
        app = ScreeningApp.open(store, protocol, "alice", "title_abstract")
        async with app.run_test(size=SIZE) as pilot:
            work = app.session.work_id
            await pilot.press("i")                    # no longer bound
            assert decisions.reviewer_verdicts(store, "alice", "title_abstract") == {}
            await pilot.press("y")
            assert decisions.reviewer_verdicts(store, "alice", "title_abstract")[work].verdict == "include"
            await pilot.press("x")
            assert isinstance(app.screen, ReasonPicker)
    finally:
        store.close()


def test_unknown_action_in_keys_is_a_protocol_error(tmp_path):
    with pytest.raises(ProtocolError, match=r"screening\.keys\.inclde"):      # when the protocol is read
        fixture_project.build(tmp_path, extra='keys = { inclde = "y" }\n')


# ------------------------------------------------------------------ blinding and conflicts

@run_async
async def test_blinding_reviewer_b_never_sees_a_verdicts(review):
    protocol, store = review
    alice = open_app(review, "alice")
    async with alice.run_test(size=SIZE) as pilot:
        await pilot.press("i", "e", "1")
    bob = open_app(review, "bob")
    async with bob.run_test(size=SIZE) as pilot:
        assert bob.session.screened == 0
        assert bob.session.verdicts == {}
        assert "not screened" in status_verdict(bob)
        assert "include" not in status_verdict(bob)
        await pilot.press("4")
        assert isinstance(bob.screen, DashboardScreen)
        assert "blinded" in str(bob.screen.query_one("#team").content)
        await pilot.press("2")                         # bob is no resolver: no conflict screen
        assert not isinstance(bob.screen, ConflictScreen)


def conflict_on_first_work(review) -> int:
    """alice includes and bob excludes the first work: a conflict for the resolver."""
    protocol, store = review
    first = decisions.assigned_works(store, protocol, "alice", "title_abstract")[0]
    decisions.record_decision(store, protocol, first, "title_abstract", "alice", "include")
    decisions.record_decision(store, protocol, first, "title_abstract", "bob", "exclude", reason="wrong population")
    return first


@run_async
async def test_resolver_resolves_a_conflict(review):
    protocol, store = review
    first = conflict_on_first_work(review)
    app = ScreeningApp(app_session(review, "carol"), start="conflicts")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ConflictScreen)
        sides = str(app.screen.query_one("#side-a").content) + str(app.screen.query_one("#side-b").content)
        assert "alice" in sides and "bob" in sides and "wrong population" in sides
        await pilot.press("i")
        await pilot.pause()
        final = decisions.final_decisions(store, protocol, "title_abstract")[first]
        assert (final.status, final.verdict) == ("resolved", "include")
        assert decisions.conflicts(store, protocol, "title_abstract") == []


def app_session(review, reviewer):
    from searchflow.tui.session import ScreeningSession
    protocol, store = review
    return ScreeningSession(store, protocol, reviewer, "title_abstract")


# ------------------------------------------------------------------ duplicate review

@pytest.fixture
def with_pair(tmp_path):
    """The fixture project plus a near-duplicate of work 1 waiting in the review queue."""
    path = fixture_project.build(tmp_path, works=fixture_project.WORKS + [fixture_project.NEAR_DUPLICATE])
    protocol = protocol_module.load(path)
    store = Store.open(protocol.store_path)
    with store.transaction():
        store.add_possible_pairs([(1, 7, 0.91)])
    yield protocol, store
    store.close()


@run_async
async def test_duplicate_review_same_merges_the_pair(with_pair):
    protocol, store = with_pair
    assert len(dedup_review.possible_pairs(store, protocol)) == 1
    app = open_app(with_pair, "bob", start="duplicates")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, DuplicateScreen)
        left = str(app.screen.query_one("#pair-a").content)
        assert "realist evaluation" in left and "Br J Gen Pract" not in left
        await pilot.press("s")
        await pilot.pause()
        assert dedup_review.possible_pairs(store, protocol) == []
        assert "No possible duplicates" in str(app.screen.query_one("#pair-status").content)
        await pilot.press("1")                     # the queue reloads: the merged work is gone
        assert isinstance(app.screen, ScreeningScreen)
        assert app.session.assigned == 6
    verdicts = [v["verdict"] for v in store.pair_verdicts()]
    assert "same" in verdicts


@run_async
async def test_duplicate_review_different_keeps_two_works(with_pair):
    protocol, store = with_pair
    app = open_app(with_pair, "alice", start="duplicates")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("d")
        await pilot.pause()
    assert dedup_review.possible_pairs(store, protocol) == []
    assert [v["verdict"] for v in store.pair_verdicts()][-1] == "different"
    assert len(decisions.assigned_works(store, protocol, "alice", "title_abstract")) == 7


@run_async
async def test_duplicate_review_undo_takes_a_verdict_back(with_pair):
    protocol, store = with_pair
    works_before = {r: store.records_by_id([r])[r]["work_id"] for r in (1, 7)}
    app = open_app(with_pair, "bob", start="duplicates")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("s")
        await pilot.pause()
        assert dedup_review.possible_pairs(store, protocol) == []
        await pilot.press("u")                       # the merge is reversed, the pair waits again
        await pilot.pause()
        assert [(p.record_a["id"], p.record_b["id"]) for p in dedup_review.possible_pairs(store, protocol)] == [(1, 7)]
        assert {r: store.records_by_id([r])[r]["work_id"] for r in (1, 7)} == works_before
        assert "Pair 1 of 1" in str(app.screen.query_one("#pair-status").content)
        await pilot.press("d", "u")                  # a 'different' too
        await pilot.pause()
        assert len(dedup_review.possible_pairs(store, protocol)) == 1
        await pilot.press("u")                       # nothing left to take back: nothing changes
        await pilot.pause()
    assert [v["verdict"] for v in store.pair_verdicts()] == ["possible"]
    assert [e["rule"] for e in store.merge_events() if e["actor"] == "bob"] == ["reviewer", "split"]


# ------------------------------------------------------------------ the command line

def test_screen_command_refuses_an_unknown_reviewer_in_one_line(tmp_path, capsys):
    path = fixture_project.build(tmp_path)
    status = cli.main(["screen", str(path), "--reviewer", "mallory"])
    err = capsys.readouterr().err
    assert status == 2
    assert err.count("\n") == 1 and "mallory" in err


# ------------------------------------------------------------------ snapshots

def test_snapshot_screening(sqlite_review, snap_compare):
    assert snap_compare(open_app(sqlite_review), terminal_size=SIZE)


def test_snapshot_reason_picker(sqlite_review, snap_compare):
    assert snap_compare(open_app(sqlite_review), press=["right", "e"], terminal_size=SIZE)


def test_snapshot_duplicate_review(with_pair, snap_compare):
    assert snap_compare(open_app(with_pair, "bob", start="duplicates"), terminal_size=SIZE)


def test_snapshot_conflicts(sqlite_review, snap_compare):
    protocol, store = sqlite_review
    first = decisions.assigned_works(store, protocol, "alice", "title_abstract")[0]
    decisions.record_decision(store, protocol, first, "title_abstract", "alice", "include", note="fits")
    decisions.record_decision(store, protocol, first, "title_abstract", "bob", "exclude", reason="wrong population")
    assert snap_compare(ScreeningApp(app_session(sqlite_review, "carol"), start="conflicts"), terminal_size=SIZE)


# ------------------------------------------------------------------ exclusion reasons: required or not

def picker_text(app) -> str:
    return " ".join(str(label.content) for label in app.screen.query("Label"))


@run_async
async def test_no_reason_is_offered_only_where_an_exclusion_may_go_without_one(review):
    protocol, store = review
    app = open_app(review)
    async with app.run_test(size=SIZE) as pilot:
        work = app.session.work_id
        await pilot.press("e")
        assert "no reason" in picker_text(app)
        await pilot.press("0")
        stored = decisions.reviewer_verdicts(store, "alice", "title_abstract")[work]
        assert (stored.verdict, stored.reason) == ("exclude", "")
    for reviewer in ("alice", "bob"):          # agreed include: the work goes on to full text
        decisions.record_decision(store, protocol, work + 1, "title_abstract", reviewer, "include")
    app = open_app(review, stage="full_text")
    async with app.run_test(size=SIZE) as pilot:
        assert app.session.work_ids == [work + 1]
        await pilot.press("e")
        assert isinstance(app.screen, ReasonPicker)
        assert "no reason" not in picker_text(app) and "no full text" in picker_text(app)
        await pilot.press("0", "enter")             # refused by the picker itself: nothing stored
        assert isinstance(app.screen, ReasonPicker)
        assert decisions.reviewer_verdicts(store, "alice", "full_text") == {}
        await pilot.press("4")
        stored = decisions.reviewer_verdicts(store, "alice", "full_text")[work + 1]
        assert (stored.verdict, stored.reason) == ("exclude", "no full text")


@run_async
async def test_resolver_excludes_a_conflict_with_a_reason(review):
    protocol, store = review
    first = conflict_on_first_work(review)
    app = ScreeningApp(app_session(review, "carol"), start="conflicts")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("e")
        assert isinstance(app.screen, ReasonPicker)
        await pilot.press("2")
        await pilot.pause()
        assert isinstance(app.screen, ConflictScreen)
    final = decisions.final_decisions(store, protocol, "title_abstract")[first]
    assert (final.status, final.verdict, final.reason) == ("resolved", "exclude", "wrong intervention")
