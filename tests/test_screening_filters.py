"""Filters of the screening list: the rule (searchflow.screening.filters) and the TUI's filter key."""
from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from searchflow import protocol as protocol_module
from searchflow.records import Record
from searchflow.screening import decisions, filters
from searchflow.screening.decisions import ScreeningError
from searchflow.store.sqlite import SQLiteStore as Store
from searchflow.tui.app import ScreeningApp
from searchflow.tui.screens import ScreeningScreen
from searchflow.tui.session import AS_IMPORTED, PRIORITISED, RANDOM, ScreeningSession
from searchflow.tui.widgets import TextPrompt

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "tui"))
import project as fixture_project  # noqa: E402

TA = "title_abstract"
SIZE = (110, 36)


@pytest.fixture
def review(tmp_path):
    """The TUI fixture's six works (search "medline") plus two from a CINAHL search."""
    path = fixture_project.build(tmp_path)
    protocol = protocol_module.load(path)
    store = Store.open(protocol.store_path)
    with store.transaction():
        run = store.begin_pending_run("cinahl", database="CINAHL", method="database", connector="file")
        store.add_records(run, None, [
            Record(title="Link worker caseloads in deprived areas", authors=["Ross, D"], year=2023, journal="BJGP"),
            Record(title="Navigators in oncology", authors=["Ito, K"], year=2016, journal="Cancer Nursing",
                   keywords=["care navigation"]),
        ])
        store.complete_run(run, fingerprint="cinahl", hits_reported=None)
    yield protocol, store
    store.close()


def works_titled(store, words: str) -> list[int]:
    return sorted({r["work_id"] for r in store.record_rows() if words in r["title"]})


def match(review, text: str, reviewer: str = "alice") -> list[int]:
    protocol, store = review
    works = decisions.assigned_works(store, protocol, reviewer, TA)
    return filters.matching(store, protocol, reviewer, TA, works, filters.parse(text, store))


def test_parse_reads_every_kind_and_says_what_it_read(review):
    _, store = review
    chosen = filters.parse('undecided hit:include search:cinahl "link worker*" caseload*', store)
    assert chosen.mine == ("undecided",) and chosen.hits == ("include",) and chosen.searches == ("cinahl",)
    assert chosen.keywords == ("link worker*", "caseload*")
    assert chosen.describe() == 'undecided hit:include search:cinahl "link worker*" caseload*'
    assert not filters.parse("  ", store)


@pytest.mark.parametrize("text, message", [
    ("hit:maybe", "filter 'hit:maybe': expected hit:include or hit:exclude"),
    ("search:embase", "filter 'search:embase': no search 'embase'; the searches are cinahl, medline"),
    ('"link worker', "filter '\"link worker': a quote is not closed"),
    ("undecided maybe", "filter: undecided and maybe cannot both hold; choose one"),
    ("***", "filter '***': expected undecided | maybe"),
])
def test_a_bad_filter_is_one_line_naming_the_part(review, text, message):
    with pytest.raises(ScreeningError) as error:
        filters.parse(text, review[1])
    assert str(error.value).startswith(message) and "\n" not in str(error.value)


def test_search_keyword_and_highlight_filters(review):
    _, store = review
    assert match(review, "search:cinahl") == works_titled(store, "Link worker caseloads") + works_titled(store, "oncology")
    # a keyword is a highlight-style term: word starts, * for any ending, in title, abstract or keywords
    assert match(review, "navigat*") == works_titled(store, "Volunteer navigators") + works_titled(store, "oncology")
    assert match(review, '"care navigation"') == works_titled(store, "oncology")
    assert match(review, "connector*") == works_titled(store, "Community connectors")
    # hits of the protocol's exclude terms (child*, protocol): the asthma trial and the study protocol
    assert match(review, "hit:exclude") == works_titled(store, "children") + works_titled(store, "Study protocol")
    assert match(review, "hit:include search:cinahl") == works_titled(store, "Link worker caseloads")


def test_undecided_and_maybe_read_only_your_own_verdicts(review):
    protocol, store = review
    works = decisions.assigned_works(store, protocol, "alice", TA)
    decisions.record_decision(store, protocol, works[0], TA, "alice", "maybe")
    decisions.record_decision(store, protocol, works[1], TA, "alice", "exclude")
    decisions.record_decision(store, protocol, works[2], TA, "bob", "maybe")     # bob's: not alice's concern
    assert match(review, "maybe") == [works[0]]
    assert match(review, "undecided") == works[2:]
    assert match(review, "maybe", reviewer="bob") == [works[2]]


@pytest.mark.parametrize("order", [AS_IMPORTED, RANDOM, PRIORITISED])
def test_the_session_walks_only_the_filtered_works_in_every_order(review, order):
    protocol, store = review
    session = ScreeningSession(store, protocol, "alice", TA, order=order)
    try:
        wanted = set(match(review, "hit:exclude"))
        session.set_filter("hit:exclude")
        assert session.listed == 2 and session.assigned == 8
        seen = [session.work_id]
        while session.move(1):
            seen.append(session.work_id)
        assert set(seen) == wanted and len(seen) == 2
        session.decide("exclude", "wrong population")
        session.set_filter("")                          # every work again, staying put
        assert session.listed == 8
    finally:
        session.close()


def run_app(review, steps) -> None:
    protocol, store = review
    app = ScreeningApp.open(store, protocol, "alice", TA)

    async def drive() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await steps(app, pilot)

    asyncio.run(drive())


def test_filter_key_narrows_the_list_and_verdicts_stay_in_it(review):
    protocol, store = review
    wanted = match(review, "hit:exclude")

    async def steps(app, pilot):
        await pilot.press("f")
        assert isinstance(app.screen, TextPrompt)
        await pilot.press(*"hit:exclude", "enter")
        assert isinstance(app.screen, ScreeningScreen)
        assert app.session.work_id == wanted[0]
        assert "Filter hit:exclude" in str(app.screen.query_one("#status-order").content)
        assert "Work 1 of 2" in str(app.screen.query_one("#work-line").content)
        await pilot.press("i")
        assert app.session.work_id == wanted[1]
        await pilot.press("m")
        mine = decisions.reviewer_verdicts(store, "alice", TA)
        assert {w: mine[w].verdict for w in mine} == {wanted[0]: "include", wanted[1]: "maybe"}
        # then the maybes only, then back to everything
        await pilot.press("f", *["backspace"] * 20, *"maybe", "enter")
        assert app.session.listed == 1 and app.session.work_id == wanted[1]
        await pilot.press("f", *["backspace"] * 20, "enter")
        assert app.session.listed == 8

    run_app(review, steps)


def test_a_bad_filter_is_refused_and_the_list_kept(review):
    async def steps(app, pilot):
        await pilot.press("f", *"hit:sometimes", "enter")
        assert isinstance(app.screen, ScreeningScreen)
        assert app.session.listed == 8 and not app.session.filter
        assert any("hit:include or hit:exclude" in str(n.message) for n in app._notifications)

    run_app(review, steps)


def test_a_filter_nothing_matches_says_so(review):
    async def steps(app, pilot):
        await pilot.press("f", *"zebra*", "enter")
        assert app.session.listed == 0 and app.session.work_id is None
        assert "No work of yours matches the filter zebra*" in str(app.screen.query_one("#record-body").content)
        await pilot.press("i")                       # nothing to decide: nothing stored
        assert decisions.reviewer_verdicts(review[1], "alice", TA) == {}

    run_app(review, steps)
