"""Screening order in the UI: as imported, random, prioritised; driven through Textual's pilot.

The constructed project has two topics that no model can confuse: social prescribing in
primary care (what the reviewers include) and asthma medication in children (what they
exclude). The includes are imported last, so only a working prioritisation shows them early.
"""
from __future__ import annotations

import asyncio
import functools
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from searchflow import protocol as protocol_module
from searchflow.protocol import ProtocolError
from searchflow.records import Record
from searchflow.screening import decisions
from searchflow.store.sqlite import SQLiteStore as Store
from searchflow.tui.app import ScreeningApp
from searchflow.tui.screens import DashboardScreen, ScreeningScreen
from searchflow.tui.session import ScreeningSession

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "tui"))
import project as fixture_project  # noqa: E402

SIZE = (110, 36)
THRESHOLDS = "prioritise = { min_includes = 3, min_excludes = 3 }\n"

SETTINGS = ["general practice", "primary care", "community health centres", "family medicine", "rural practices"]
GROUPS = ["older adults", "people with depression", "lonely patients", "carers", "people with long-term conditions"]
DRUGS = ["inhaled corticosteroids", "montelukast", "salbutamol", "omalizumab", "budesonide"]
AGES = ["preschool children", "school-age children", "adolescents", "infants", "children"]


def relevant(i: int) -> Record:
    setting, group = SETTINGS[i % 5], GROUPS[(i // 5) % 5]
    return Record(title=f"Social prescribing link workers for {group} in {setting}", year=2020, type="article",
                  abstract=(f"Link workers connected {group} in {setting} with community groups and "
                            "voluntary services. Interviews explored how social prescribing supported wellbeing."))


def irrelevant(i: int) -> Record:
    drug, age = DRUGS[i % 5], AGES[(i // 5) % 5]
    return Record(title=f"{drug.capitalize()} for asthma exacerbations in {age}", year=2019, type="article",
                  abstract=(f"A randomised trial of {drug} in {age} with persistent asthma. Lung function, "
                            "wheeze and emergency visits were the outcomes."))


# Import order: three of each topic alternating (enough to train on), then 14 irrelevant works,
# then the 6 relevant ones.
WORKS = ([r for i in range(3) for r in (relevant(i), irrelevant(i))]
         + [irrelevant(i) for i in range(3, 17)] + [relevant(i) for i in range(3, 9)])
RELEVANT = {i + 1 for i, record in enumerate(WORKS) if record.title.startswith("Social prescribing")}


def run_async(test):
    @functools.wraps(test)
    def wrapper(*args, **kwargs):
        return asyncio.run(test(*args, **kwargs))
    return wrapper


def build(folder: Path, extra: str = THRESHOLDS) -> tuple[protocol_module.Protocol, Store]:
    folder.mkdir(parents=True, exist_ok=True)
    path = fixture_project.build(folder, extra=extra, works=WORKS)
    protocol = protocol_module.load(path)
    return protocol, Store.open(protocol.store_path)


@pytest.fixture
def review(tmp_path):
    protocol, store = build(tmp_path)
    yield protocol, store
    store.close()


def open_app(review, reviewer: str = "alice", order: str | None = None) -> ScreeningApp:
    protocol, store = review
    return ScreeningApp(ScreeningSession(store, protocol, reviewer, "title_abstract", order=order))


def header(app) -> str:
    return str(app.screen.query_one("#status-order").content)


async def decide(pilot, app, work_id: int) -> None:
    """Include the relevant work shown, exclude (first reason) the other."""
    assert app.session.work_id == work_id
    if work_id in RELEVANT:
        await pilot.press("i")
    else:
        await pilot.press("e", "1")


def stored(store, reviewer="alice") -> dict[int, str]:
    return {w: d.verdict for w, d in decisions.reviewer_verdicts(store, reviewer, "title_abstract").items()}


# ------------------------------------------------------------------ the order switch

@run_async
async def test_the_order_key_cycles_and_changes_the_order(tmp_path):
    protocol, store = build(tmp_path, extra="")            # no prioritise: as imported by default
    try:
        app = open_app((protocol, store))
        async with app.run_test(size=SIZE) as pilot:
            imported = list(app.session.work_ids)
            assert header(app) == "Order as imported"
            assert imported == sorted(imported)
            await pilot.press("o")
            assert header(app) == "Order random"
            shuffled = list(app.session.work_ids)
            assert sorted(shuffled) == imported and shuffled != imported
            assert app.session.work_id == imported[0]         # the work on screen stays
            at = shuffled.index(imported[0])
            await pilot.press("right")                         # next follows the random order
            assert app.session.work_id == shuffled[at + 1]
            await pilot.press("o")
            assert app.session.order == "prioritised"
            assert header(app) == "Order prioritised (from 1 include, 1 exclude)"   # the default thresholds
            await pilot.press("o")
            assert app.session.work_ids == imported
        # seeded: the same random order for alice every time, another one for bob
        again = ScreeningSession(store, protocol, "alice", "title_abstract", order="random")
        bob = ScreeningSession(store, protocol, "bob", "title_abstract", order="random")
        assert again.work_ids == shuffled and bob.work_ids != shuffled
    finally:
        store.close()


def test_the_protocol_sets_the_default_order(tmp_path):
    protocol, store = build(tmp_path / "a", extra='order = "random"\n')
    assert ScreeningSession(store, protocol, "alice", "title_abstract").order == "random"
    store.close()
    protocol, store = build(tmp_path / "b", extra="prioritise = true\n")
    session = ScreeningSession(store, protocol, "alice", "title_abstract")
    assert session.order == "prioritised"
    session.close()
    store.close()
    protocol, store = build(tmp_path / "c", extra='order = "by magic"\n')
    with pytest.raises(ProtocolError, match=r"screening\.order"):
        ScreeningApp.open(store, protocol, "alice")
    store.close()


@run_async
async def test_the_order_key_is_remappable(tmp_path):
    protocol, store = build(tmp_path, extra='keys = { order = "z" }\n')
    try:
        app = open_app((protocol, store))
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("o")
            assert app.session.order == "as imported"
            await pilot.press("z")
            assert app.session.order == "random"
    finally:
        store.close()


# ------------------------------------------------------------------ prioritised order

@run_async
async def test_prioritised_order_shows_the_includes_first_once_the_thresholds_are_met(review):
    protocol, store = review
    app = open_app(review)
    async with app.run_test(size=SIZE) as pilot:
        assert app.session.order == "prioritised"
        for work_id in range(1, 6):                    # 3 includes, 2 excludes: one short
            await decide(pilot, app, work_id)
            assert header(app) == "Order prioritised (from 3 includes, 3 excludes)"
        await decide(pilot, app, 6)                    # before a ranking: import order
        assert header(app) == "Order prioritised"
        assert app.session.work_id == 7
        app.session.wait_for_ranking(30)
        await decide(pilot, app, 7)                    # this one was shown before the model had trained
        shown = []
        for _ in range(6):
            app.session.wait_for_ranking(30)           # only so that the test does not race the retraining
            shown.append(app.session.work_id)
            await decide(pilot, app, app.session.work_id)
        # the six relevant works, imported last, come straight after the threshold
        assert set(shown) == RELEVANT - {1, 3, 5}
        assert app.session.work_id not in RELEVANT
        assert stored(store)[shown[0]] == "include"


@run_async
async def test_prioritised_order_never_repeats_a_screened_work_and_previous_goes_back(review):
    protocol, store = review
    app = open_app(review)
    async with app.run_test(size=SIZE) as pilot:
        shown = []
        for _ in range(len(WORKS)):
            shown.append(app.session.work_id)
            await decide(pilot, app, app.session.work_id)
        assert sorted(shown) == list(range(1, len(WORKS) + 1))       # each work once, none again
        assert len(stored(store)) == len(WORKS)
        await pilot.press("left")
        assert app.session.work_id == shown[-2]
        await pilot.press("left", "left", "right")
        assert app.session.work_id == shown[-3]


@run_async
async def test_a_reopened_session_can_step_back_through_earlier_verdicts(review):
    protocol, store = review
    for work_id in (1, 2, 3):
        decisions.record_decision(store, protocol, work_id, "title_abstract", "alice",
                                  "include" if work_id in RELEVANT else "exclude")
    app = open_app(review)
    async with app.run_test(size=SIZE) as pilot:
        assert app.session.work_id == 4                # the first unscreened
        await pilot.press("left")
        assert app.session.work_id == 3                # the latest verdict
        await pilot.press("right", "right")
        assert app.session.work_id not in (1, 2, 3, 4)


# ------------------------------------------------------------------ blinding

def first_ranked(protocol, store, reviewer: str, count: int = 6) -> list[int]:
    """The next ``count`` works this reviewer's prioritised queue shows, once the model has trained."""
    for thread in threading.enumerate():      # no other model training meanwhile: the solver's
        if thread.name.startswith("searchflow-prioritise"):      # random draws are process-wide
            thread.join(30)
    np.random.seed(0)        # the SVM's solver draws from numpy's global generator: same draws, same model
    session = ScreeningSession(store, protocol, reviewer, "title_abstract", order="prioritised")
    try:
        assert session.wait_for_ranking(30)
        order = []
        for _ in range(count):
            assert session.move(1)
            order.append(session.work_id)
        return order
    finally:
        session.close()


def test_each_reviewers_order_comes_from_their_own_verdicts_only(tmp_path):
    # bob includes social prescribing; alice, screening the same works, says the opposite
    bobs = {w: ("include" if w in RELEVANT else "exclude") for w in range(1, 7)}
    alices = {w: ("exclude" if w in RELEVANT else "include") for w in range(1, 13)}
    protocol, store = build(tmp_path / "both")
    alone_protocol, alone_store = build(tmp_path / "bob only")
    try:
        for w, verdict in bobs.items():
            for p, s in ((protocol, store), (alone_protocol, alone_store)):
                decisions.record_decision(s, p, w, "title_abstract", "bob", verdict)
        bob_alone = first_ranked(alone_protocol, alone_store, "bob")
        for w, verdict in alices.items():
            decisions.record_decision(store, protocol, w, "title_abstract", "alice", verdict)
        assert first_ranked(protocol, store, "bob") == bob_alone
        assert set(bob_alone) <= RELEVANT                       # his own model: his includes first
        assert not set(first_ranked(protocol, store, "alice", 4)) & RELEVANT   # hers: the opposite
    finally:
        store.close()
        alone_store.close()


# ------------------------------------------------------------------ the dashboard

@run_async
async def test_dashboard_shows_the_stopping_figures_and_never_stops(tmp_path):
    protocol, store = build(tmp_path, extra=THRESHOLDS + "stopping_rule = { irrelevant_in_a_row = 4 }\n")
    try:
        app = open_app((protocol, store), order="as imported")
        async with app.run_test(size=SIZE) as pilot:
            for work_id in range(1, 11):               # 3 includes, then 7 excludes; the last include is 5
                await decide(pilot, app, work_id)
            await pilot.press("4")
            assert isinstance(app.screen, DashboardScreen)
            figures = str(app.screen.query_one("#stopping").content)
            assert "5  irrelevant in a row since your last include" in figures
            assert f"{round(100 * 10 / len(WORKS))}%  of your assigned works screened" in figures
            # the include rate so far (3 of 10) over the 16 unscreened
            assert f"{round(0.3 * 16)}  relevant records estimated to remain" in figures
            assert "5 irrelevant in a row: consider your stopping rule" in figures
            await pilot.press("1")                     # screening carries on regardless
            assert isinstance(app.screen, ScreeningScreen)
            await decide(pilot, app, 11)
            assert len(stored(store)) == 11
    finally:
        store.close()
