"""Decision events: a reviewer's verdict, its undo, and a reviewer's standing verdicts.

Every verdict is one append-only ``decision`` event committed before the function
returns; undo is just another event and nothing is ever updated in place. What the
events add up to is derived elsewhere (:mod:`.final`, :mod:`.state`).
"""
from __future__ import annotations

from typing import NamedTuple

from ..protocol import Protocol
from ..store import Store
from .settings import check_reviewer, check_verdict, resolvers
from .vocabulary import ScreeningError, check_stage


class Decision(NamedTuple):
    """One standing decision event (a verdict or a resolution). A tuple: 100,000 of them load fast."""

    id: int
    work_id: int
    stage: str
    reviewer: str
    kind: str
    verdict: str | None
    reason: str = ""
    note: str = ""
    time: str = ""
    undoes: int | None = None


def _decision(row) -> Decision:
    return Decision(id=row["id"], work_id=row["work_id"], stage=row["stage"], reviewer=row["reviewer"],
                    kind=row["kind"], verdict=row["verdict"], reason=row["reason"], note=row["note"],
                    time=row["time"], undoes=row["undoes"])


def record_decision(store: Store, protocol: Protocol, work_id: int, stage: str, reviewer: str,
                    verdict: str, reason: str = "", note: str = "") -> int:
    """Check and commit one reviewer's verdict; returns the event id.

    A later verdict by the same reviewer on the same work replaces the earlier one
    (both events stay)."""
    check_stage(stage)
    check_reviewer(protocol, reviewer)
    reason = check_verdict(protocol, stage, verdict, reason)
    check_work(store, work_id)
    return store.add_decision(work_id, stage, reviewer, "verdict", verdict, reason, (note or "").strip())


def check_work(store: Store, work_id: int) -> None:
    if not store.work_exists(work_id):
        raise ScreeningError(f"unknown work {work_id}")
    if not store.is_current_work(work_id):
        raise ScreeningError(f"work {work_id} is not in this project's current search runs")


def undo_last(store: Store, protocol: Protocol, reviewer: str, stage: str) -> Decision | None:
    """Cancel this person's latest standing verdict (or resolution) at a stage with an undo
    event; returns what was undone, None when there is nothing left to undo."""
    check_stage(stage)
    if reviewer not in resolvers(protocol):
        check_reviewer(protocol, reviewer)
    with store.transaction():   # two windows of one reviewer never undo the same event twice
        row = store.latest_standing(reviewer, stage)
        if row is None:
            return None
        undone = _decision(row)
        store.add_decision(undone.work_id, stage, reviewer, "undo", None, "", "", undoes=undone.id)
    return undone


def reviewer_verdicts(store: Store, reviewer: str, stage: str) -> dict[int, Decision]:
    """This reviewer's standing verdict per work: the blinded view, never anyone else's."""
    return {row[1]: Decision._make(row) for row in store.decision_tuples(stage, reviewer=reviewer, kinds=("verdict",))}
