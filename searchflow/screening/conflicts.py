"""Conflicts between reviewers, and the resolutions that settle them.

What counts as a conflict is :func:`~.final.derive`'s to say; here are the open ones and
the rules of recording a final decision (a third reviewer's or a consensus).
"""
from __future__ import annotations

from typing import NamedTuple

from ..protocol import Protocol
from ..store import Store
from .blinding import check_can_view
from .events import Decision, check_work
from .final import final_decision
from .settings import check_verdict, resolvers
from .state import screening_state
from .vocabulary import ScreeningError, check_stage


class Conflict(NamedTuple):
    """An open conflict: the reviewers' verdicts, reasons and notes side by side."""

    work_id: int
    stage: str
    decisions: tuple[Decision, ...]

    @property
    def reviewers(self) -> tuple[str, ...]:
        return tuple(d.reviewer for d in self.decisions)

    @property
    def verdicts(self) -> tuple[str | None, ...]:
        return tuple(d.verdict for d in self.decisions)


def conflicts(store: Store, protocol: Protocol, stage: str, viewer: str | None = None) -> list[Conflict]:
    """Open conflicts at a stage, in import order. A ``viewer`` who is one of the reviewers
    is refused while the stage is blinded."""
    check_stage(stage)
    if viewer is not None:
        check_can_view(store, protocol, stage, viewer)
    return [Conflict(f.work_id, stage, f.decisions)
            for f in screening_state(store, protocol).final_decisions(stage).values() if f.status == "conflict"]


def resolve_conflict(store: Store, protocol: Protocol, work_id: int, stage: str, resolver: str,
                     verdict: str, reason: str = "", note: str = "", override: bool = False) -> int:
    """Record the final decision of a conflict (a third reviewer's or a consensus); returns its id.

    A resolver may correct their own resolution (the latest counts); the same one again records
    nothing and returns the standing event's id. Another resolver's is
    refused unless ``override`` is given with a note saying why: a resolution is never
    replaced silently. Both events stay; the overriding one names the one it overrides."""
    check_stage(stage)
    allowed = resolvers(protocol)
    if resolver not in allowed:
        raise ScreeningError(f"{resolver!r} may not resolve conflicts; resolvers are {', '.join(allowed) or 'none'}")
    check_can_view(store, protocol, stage, resolver)
    reason = check_verdict(protocol, stage, verdict, reason, resolution=True)
    note = (note or "").strip()
    if override and not note:
        raise ScreeningError("overriding a resolution needs a note saying why (--note)")
    with store.transaction():
        check_work(store, work_id)
        final = final_decision(store, protocol, work_id, stage)
        if final.status not in ("conflict", "resolved"):
            raise ScreeningError(f"work {work_id} has no conflict at {stage} (it is {final.status})")
        mine = final.resolution if final.resolution is not None and final.resolution.reviewer == resolver else None
        if mine is not None and (mine.verdict, mine.reason, mine.note) == (verdict, reason, note):
            return mine.id              # the same resolution again (a file resolved twice): nothing new
        other = final.resolution if final.resolution is not None and final.resolution.reviewer != resolver else None
        if other is not None:
            said = f"{other.verdict}{f' ({other.reason})' if other.reason else ''}"
            if not override:
                raise ScreeningError(
                    f"work {work_id}: {stage} was resolved as {said} by {other.reviewer} on {other.time[:10]}; "
                    f"to replace another resolver's decision give --override with a --note saying why")
            note = f"overrides {other.reviewer}'s resolution {said} (event {other.id}): {note}"
        return store.add_decision(work_id, stage, resolver, "resolution", verdict, reason, note)
