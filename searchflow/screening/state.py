"""A stage's works and final decisions, derived once from the store as it is and shared.

Deriving is the costly part of screening on a big project (every event of a stage, every
work), and one report asks for it again and again: the full-text stage needs every
title/abstract decision, a flow report reads both stages' decisions, an export reads them
per stage. :func:`screening_state` hands out the same :class:`ScreeningState` until
anything in the store changes; :class:`StateCache`, one per open store, remembers it.
"""
from __future__ import annotations

import weakref
from itertools import groupby
from operator import itemgetter

from ..memory import collector_paused
from ..protocol import Protocol
from ..store import Store
from .assignment import assigner, title_abstract_runs
from .events import Decision, reviewer_verdicts
from .final import FinalDecision, derive, goes_forward, make_final, ranker
from .settings import check_reviewer, maybe_is_conflict, second_reviewer_share
from .vocabulary import FORWARD, ScreeningError, check_stage

_work_of = itemgetter(1)          # Decision.work_id


class ScreeningState:
    """Both stages' works and final decisions, each derived at most once from the store as it is."""

    def __init__(self, store: Store, protocol: Protocol, title_abstract_runs: list[int]):
        self._store = weakref.ref(store)   # the store holds the cache that holds this: no strong link back
        self.protocol = protocol
        self.title_abstract_runs = title_abstract_runs
        self._entries: list[tuple[int, int, int]] | None = None
        self._works: dict[str, list[int]] = {}
        self._finals: dict[str, dict[int, FinalDecision]] = {}

    @property
    def store(self) -> Store:
        store = self._store()
        if store is None:
            raise ScreeningError("the project store was closed")
        return store

    def entries(self) -> list[tuple[int, int, int]]:
        """(work, first record, screened at title/abstract) of every current work, in import order."""
        if self._entries is None:
            with collector_paused():
                self._entries = self.store.work_entries(self.title_abstract_runs)
        return self._entries

    def works(self, stage: str) -> list[int]:
        """Every work to screen at a stage, in import order (do not modify: it is shared)."""
        works = self._works.get(stage)
        if works is None:
            if stage == "title_abstract":
                works = [work for work, _, screened in self.entries() if screened]
            else:
                finals = self._finals.get("title_abstract")
                if finals is None:
                    # A final verdict is always one of the work's own events' verdicts, so only
                    # works with an include or maybe event can go forward: derive just those
                    # (on a big project, a fraction of the works and events).
                    finals = self._derive_works("title_abstract", self.works("title_abstract"), works_with=FORWARD)
                works = [work for work, _, screened in self.entries()
                         if not screened or goes_forward(finals.get(work))]
            self._works[stage] = works
        return works

    def final_decisions(self, stage: str) -> dict[int, FinalDecision]:
        """Every work of a stage with its final decision, in import order (shared: do not modify)."""
        finals = self._finals.get(stage)
        if finals is None:
            finals = self._derive_works(stage, self.works(stage))
            self._finals[stage] = finals
        return finals

    @collector_paused()
    def _derive_works(self, stage: str, works: list[int],
                      works_with: tuple[str, ...] | None = None) -> dict[int, FinalDecision]:
        """The final decisions of ``works``; with ``works_with``, of those among them with an event
        carrying one of these verdicts only."""
        rows = self.store.decision_tuples(stage, by_work=True, works_with=works_with)
        events_of = {work: list(events) for work, events in groupby(map(Decision._make, rows), key=_work_of)}
        if works_with is not None:
            works = [work for work in works if work in events_of]
        protocol = self.protocol
        assign, maybe_conflict, rank = assigner(protocol, stage), maybe_is_conflict(protocol), ranker(protocol)
        result = {}
        for work in works:
            needed = assign(work)
            events = events_of.get(work)
            if events is None:      # most works, early on: nothing to derive
                result[work] = make_final((work, stage, "pending", None, "", (), needed, (), None))
            else:
                result[work] = derive(stage, work, events, needed, maybe_conflict, rank)
        return result


# The protocol settings the derived state depends on, besides the reviewers and the runs.
_SETTINGS = ("second_reviewer_share", "maybe_is_conflict", "seed")


class StateCache:
    """The latest screening state of one open store, with what it was derived from: the store's
    change counter (:meth:`Store.change_counter`: any write by anyone changes it), the runs screened
    at title/abstract and the protocol settings the rules read. One per store (``Store.derived``)."""

    def __init__(self) -> None:
        self._key: tuple | None = None
        self._state: ScreeningState | None = None

    @classmethod
    def of(cls, store: Store) -> "StateCache":
        cache = store.derived.get(cls)
        if cache is None:
            cache = store.derived[cls] = cls()
        return cache

    def state(self, store: Store, protocol: Protocol) -> ScreeningState:
        """The cached state while nothing has changed (no event, import, merge or protocol setting
        since), else a new one."""
        runs = title_abstract_runs(store, protocol)
        key = (store.change_counter(), tuple(runs), tuple(protocol.screening.reviewers),
               repr([getattr(protocol.screening, name) for name in _SETTINGS]))
        if self._state is not None and self._key == key:
            return self._state
        state = ScreeningState(store, protocol, runs)
        if not store.in_transaction:     # a rollback would undo writes without a new version
            self._key, self._state = key, state
        return state


def screening_state(store: Store, protocol: Protocol) -> ScreeningState:
    """The screening state of the store as it is now (see :class:`StateCache`)."""
    return StateCache.of(store).state(store, protocol)


def stage_works(store: Store, protocol: Protocol, stage: str) -> list[int]:
    """Every work to screen at a stage, in import order (first record imported first)."""
    check_stage(stage)
    return list(screening_state(store, protocol).works(stage))


def assigned_works(store: Store, protocol: Protocol, reviewer: str, stage: str) -> list[int]:
    """The works this reviewer must screen at this stage, in import order."""
    check_reviewer(protocol, reviewer)
    works = stage_works(store, protocol, stage)
    if len(protocol.screening.reviewers) == 2 and second_reviewer_share(protocol, stage) >= 1:
        return works            # dual screening of everything: no hashing needed
    assign = assigner(protocol, stage)
    return [w for w in works if reviewer in assign(w)]


def final_decisions(store: Store, protocol: Protocol, stage: str) -> dict[int, FinalDecision]:
    """Every work of a stage with its derived final decision, in import order."""
    check_stage(stage)
    return dict(screening_state(store, protocol).final_decisions(stage))


def own_decisions(store: Store, protocol: Protocol, stage: str, reviewer: str) -> dict[int, FinalDecision]:
    """A blinded reviewer's view of a stage: each work assigned to them with their own standing
    verdict as its decision (status ``blinded``: the team's final decision is not theirs to see)."""
    mine = reviewer_verdicts(store, reviewer, stage)
    result = {}
    for work in assigned_works(store, protocol, reviewer, stage):
        d = mine.get(work)
        result[work] = (make_final((work, stage, "blinded", d.verdict, d.reason, (reviewer,), (reviewer,), (d,), None))
                        if d is not None else make_final((work, stage, "pending", None, "", (), (reviewer,), (), None)))
    return result
