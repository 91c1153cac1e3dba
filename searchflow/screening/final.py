"""Final decisions: what a work's events at one stage add up to.

Conflicts: include vs exclude; with ``maybe_is_conflict = true`` any maybe; at full text
any disagreement, any maybe, and two excludes with different reasons (the reason is what
PRISMA reports). A resolver's resolution settles a conflict. The derivation here runs for
one work at a time; :mod:`.state` runs it over a whole stage and shares the result.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

from ..protocol import Protocol
from ..store import Store
from .assignment import work_reviewers
from .events import Decision
from .settings import maybe_is_conflict
from .vocabulary import FORWARD, INCLUSIVE, check_stage


class FinalDecision(NamedTuple):
    """A work's state at one stage, derived from its events.

    ``status``: pending (no verdict yet), single (one verdict: final when the work
    needs one reviewer, else waiting for the second and ``verdict`` is None), agreed,
    conflict (waiting for a resolver) or resolved; in a blinded reviewer's own view
    (:func:`~.state.own_decisions`), blinded: ``verdict`` is theirs alone. ``verdict`` is None unless decided.
    ``decisions`` holds every reviewer's standing verdict: not for a blinded reviewer's eyes.
    """

    work_id: int
    stage: str
    status: str
    verdict: str | None = None
    reason: str = ""
    reviewers: tuple[str, ...] = ()          # who has a standing verdict
    needed: tuple[str, ...] = ()             # who is assigned to screen it
    decisions: tuple[Decision, ...] = ()
    resolution: Decision | None = None

    @property
    def decided(self) -> bool:
        return self.verdict is not None


make_final = FinalDecision._make      # positional, from one tuple: the fast way to build 100,000 of them


def derive(stage: str, work_id: int, events: list[Decision], needed: tuple[str, ...],
           maybe_conflict: bool, rank: Callable[[Decision], tuple]) -> FinalDecision:
    """A work's final decision from its standing events at one stage (in time order).
    ``rank`` orders reviewers as the protocol lists them. Runs once per screened work."""
    if len(events) == 1:                    # the usual case: one verdict so far
        ranked: tuple[Decision, ...] = (events[0],)
        resolution = events[0] if events[0].kind == "resolution" else None
        if resolution is not None:
            ranked = ()
    else:
        verdicts: dict[str, Decision] = {}
        resolution = None
        for event in events:
            if event.kind == "resolution":
                resolution = event
            else:
                verdicts[event.reviewer] = event      # a reviewer's later verdict replaces theirs
        ranked = tuple(sorted(verdicts.values(), key=rank)) if len(verdicts) > 1 else tuple(verdicts.values())
    who = tuple([d.reviewer for d in ranked])
    if resolution is not None:
        return make_final((work_id, stage, "resolved", resolution.verdict, resolution.reason, who, needed,
                           ranked, resolution))
    if len(ranked) < max(len(needed), 1):
        status = "single" if len(ranked) == 1 else "pending"
        return make_final((work_id, stage, status, None, "", who, needed, ranked, None))
    values = {d.verdict for d in ranked}
    if stage == "full_text":
        conflict = (len(values) > 1 or "maybe" in values
                    or len({d.reason for d in ranked if d.verdict == "exclude"}) > 1)
    else:
        conflict = ("include" in values and "exclude" in values) or (maybe_conflict and "maybe" in values)
    if conflict:
        return make_final((work_id, stage, "conflict", None, "", who, needed, ranked, None))
    verdict = min(values, key=INCLUSIVE.__getitem__) if len(values) > 1 else next(iter(values))
    reason = next((d.reason for d in ranked if d.verdict == "exclude" and d.reason), "") if verdict == "exclude" else ""
    return make_final((work_id, stage, "single" if len(ranked) == 1 else "agreed", verdict, reason, who, needed,
                       ranked, None))


def ranker(protocol: Protocol) -> Callable[[Decision], tuple]:
    """Sort key putting reviewers in the protocol's order (anyone else after them, by name)."""
    order = {name: (i, name) for i, name in enumerate(protocol.screening.reviewers)}
    unknown = len(order)
    return lambda decision: order.get(decision.reviewer) or (unknown, decision.reviewer)


def goes_forward(final: FinalDecision | None) -> bool:
    """A title/abstract decision that sends the work on to full text."""
    return final is not None and final.status != "conflict" and final.verdict in FORWARD


def final_decision(store: Store, protocol: Protocol, work_id: int, stage: str) -> FinalDecision:
    """One work's final decision at a stage (whether or not the work reached that stage)."""
    check_stage(stage)
    events = [Decision._make(row) for row in store.decision_tuples(stage, work_id=work_id)]
    return derive(stage, work_id, events, work_reviewers(protocol, stage, work_id),
                  maybe_is_conflict(protocol), ranker(protocol))
