"""Decisions go with their study when deduplication merges the work they were made on,
and come back when the merge is undone (deduplication calls these in its transactions)."""
from __future__ import annotations

from typing import Iterable

from ..store import Store
from .events import Decision
from .vocabulary import INCLUSIVE, STAGES


def carry_decisions(store: Store, merges: Iterable[tuple[int, int]], actor: str = "dedup") -> int:
    """Decisions go with their study when a merge empties the work they were made on.

    For each (emptied work, work it joined), every standing verdict or resolution on the
    emptied work is appended to the joined work, unless that person's standing decision
    there is already as inclusive (include, then maybe, then exclude): a duplicate found
    late never drops an included study. Appended events say where they came from; the
    original events stay, and go back into effect if the merge is undone. Returns the
    events appended. Call inside the merge's transaction."""
    merges = {(source, target) for source, target in merges if source != target}
    if not merges:
        return 0
    decided = set(store.decided_works("title_abstract")) | set(store.decided_works("full_text"))
    added = 0
    for source, target in sorted(merges):
        if source not in decided or store.work_member_ids(source):   # most merged works were never screened
            continue
        for stage in STAGES:
            carried = store.decision_tuples(stage, work_id=source)
            if not carried:
                continue
            standing = {(d[3], d[4]): Decision._make(d) for d in store.decision_tuples(stage, work_id=target)}
            latest = {(d[3], d[4]): Decision._make(d) for d in carried}      # later events replace earlier
            for (person, kind), event in sorted(latest.items()):
                there = standing.get((person, kind))
                if there is not None and INCLUSIVE[there.verdict] <= INCLUSIVE[event.verdict]:
                    continue
                note = f"{_carried_note(source)} as a duplicate by {actor}"
                store.add_decision(target, stage, person, kind, event.verdict, event.reason,
                                   f"{event.note}; {note}" if event.note else note)
                added += 1
    return added


def uncarry_decisions(store: Store, source: int, target: int, actor: str) -> int:
    """Undo events for the decisions :func:`carry_decisions` brought from ``source`` to
    ``target``, when that merge is undone: each work is left with its own decisions."""
    undone = 0
    for stage in STAGES:
        for event in store.decision_tuples(stage, work_id=target):
            if _carried_note(source) in event[7]:
                store.add_decision(target, stage, actor, "undo", None, "", "", undoes=event[0])
                undone += 1
    return undone


def _carried_note(source: int) -> str:
    return f"carried from work {source} when merged"
