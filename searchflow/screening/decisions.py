"""Screening rules: who screens what, blinding, verdicts, undo, conflicts, final decisions.

Every verdict is one append-only ``decision`` event committed before the function
returns; the current state (a reviewer's verdicts, a work's final decision, the
conflict queue) is always derived from the events, so undo is just another event
and nothing is ever updated in place. The TUI, the CLI and the flow counts all call
these functions; no rule lives anywhere else.

Rules in brief (the protocol's ``[screening]`` table sets them):

- Stages: ``title_abstract`` then ``full_text``. Works with a record from a database or
  register search are screened at title/abstract; works found only by other methods
  (citation searching, websites, experts, ...) go straight to full text, unless the
  search says ``screen = true`` or ``[screening] screen_other_methods = true``.
  Works whose final title/abstract verdict is include or maybe go forward to full text.
- Assignment: with two reviewers both screen every work; ``second_reviewer_share``
  (0..1, title/abstract only unless given per stage as a table) keeps the first
  reviewer on every work and gives the second a seeded share. With three or more
  reviewers each work gets a seeded pair.
- Conflicts: include vs exclude; with ``maybe_is_conflict = true`` any maybe; at full
  text any disagreement, any maybe, and two excludes with different reasons (the
  reason is what PRISMA reports).
- Blinding: reviewers see only their own verdicts until the lead unblinds the stage
  (:func:`can_see_others`); every command that shows verdicts asks :func:`shown_verdicts`.

Speed: a stage's works and final decisions are derived in one pass over its events and
shared (:class:`ScreeningState`) until anything in the store changes, so a report or a
full-text queue on a 100,000-work project does not derive them again and again.
"""
from __future__ import annotations

import csv
import hashlib
import re
import weakref
from dataclasses import dataclass, field
from datetime import datetime, timezone
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import Callable, Iterable, NamedTuple

from ..memory import collector_paused
from ..protocol import Protocol, ProtocolError
from ..store import Store

STAGES = ("title_abstract", "full_text")
VERDICTS = ("include", "exclude", "maybe", "not_retrieved")
STAGE_VERDICTS = {
    "title_abstract": ("include", "exclude", "maybe"),
    "full_text": ("include", "exclude", "maybe", "not_retrieved"),
}
FORWARD = ("include", "maybe")          # title/abstract verdicts that send a work to full text
DATABASE_METHODS = ("database", "register")
CSV_COLUMNS = ("work", "reviewer", "stage", "verdict", "reason", "note", "time", "kind")
STATUSES = ("pending", "single", "agreed", "conflict", "resolved")


class ScreeningError(Exception):
    """A screening request that breaks a rule (unknown reviewer, missing reason, ...); one line."""


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


class FinalDecision(NamedTuple):
    """A work's state at one stage, derived from its events.

    ``status``: pending (no verdict yet), single (one verdict: final when the work
    needs one reviewer, else waiting for the second and ``verdict`` is None), agreed,
    conflict (waiting for a resolver) or resolved; in a blinded reviewer's own view
    (:func:`own_decisions`), blinded: ``verdict`` is theirs alone. ``verdict`` is None unless decided.
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


@dataclass(frozen=True)
class WorkSummary:
    """What a reviewer reads about a work, from its most complete current record."""

    work_id: int
    title: str = ""
    authors: list[str] = field(default_factory=list)
    journal: str = ""
    year: int | None = None
    volume: str = ""
    issue: str = ""
    pages: str = ""
    doi: str = ""
    pmid: str = ""
    type: str = ""
    language: str = ""
    keywords: list[str] = field(default_factory=list)
    abstract: str = ""
    sections: list[tuple[str, str]] = field(default_factory=list)  # ("", text) when unstructured
    url: str = ""
    record_id: int = 0
    searches: list[str] = field(default_factory=list)    # the searches that found it
    databases: list[str] = field(default_factory=list)
    methods: list[str] = field(default_factory=list)


# ------------------------------------------------------------------ protocol settings

def _check_stage(stage: str) -> None:
    if stage not in STAGES:
        raise ScreeningError(f"unknown stage {stage!r}; expected {' or '.join(STAGES)}")


def _check_reviewer(protocol: Protocol, reviewer: str) -> None:
    reviewers = protocol.screening.reviewers
    if not reviewers:
        raise ScreeningError(f"{protocol.path}: the protocol names no reviewers ([screening] reviewers)")
    if reviewer not in reviewers:
        raise ScreeningError(
            f"unknown reviewer {reviewer!r}; the protocol's reviewers are {', '.join(reviewers)}")


def resolvers(protocol: Protocol) -> list[str]:
    """Who may record a final decision: the protocol's resolvers, its lead, and the
    reviewers themselves (consensus; only once the stage is unblinded)."""
    names = list(_strings(protocol, "resolvers"))
    for name in [protocol.screening.lead, *protocol.screening.reviewers]:
        if name and name not in names:
            names.append(name)
    return names


def _strings(protocol: Protocol, key: str) -> list[str]:
    value = protocol.screening.extra.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ProtocolError(f"{protocol.path}: screening.{key}: expected a list of names, got {value!r}")
    return value


def _flag(protocol: Protocol, key: str, default: bool = False) -> bool:
    value = protocol.screening.extra.get(key, default)
    if not isinstance(value, bool):
        raise ProtocolError(f"{protocol.path}: screening.{key}: expected true or false, got {value!r}")
    return value


def second_reviewer_share(protocol: Protocol, stage: str) -> float:
    """Share of works a second reviewer screens: 1.0 (everything) unless the protocol says.

    A plain number applies to title/abstract only (full texts are assessed in duplicate);
    a table ``{title_abstract = 0.2, full_text = 1.0}`` sets each stage."""
    value = protocol.screening.extra.get("second_reviewer_share", 1.0)
    key = "screening.second_reviewer_share"
    if isinstance(value, dict):
        key += f".{stage}"
        value = value.get(stage, 1.0)
    elif stage == "full_text":
        value = 1.0
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ProtocolError(f"{protocol.path}: {key}: expected a number from 0 to 1 (0.2 for 20%), got {value!r}")
    return float(value)


def maybe_is_conflict(protocol: Protocol) -> bool:
    return _flag(protocol, "maybe_is_conflict", False)


def reasons(protocol: Protocol, stage: str) -> list[str]:
    """The exclusion reasons offered at a stage (full text falls back to the general list)."""
    if stage == "full_text":
        return list(protocol.screening.full_text_reasons or protocol.screening.exclusion_reasons)
    return list(protocol.screening.exclusion_reasons)


def reason_required(protocol: Protocol, stage: str, verdict: str) -> bool:
    """Whether this verdict must carry an exclusion reason: an exclusion at full text does
    (PRISMA reports every excluded report's reason); at title/abstract a reason is optional."""
    _check_stage(stage)
    return verdict == "exclude" and stage == "full_text"


def _check_verdict(protocol: Protocol, stage: str, verdict: str, reason: str, resolution: bool = False) -> str:
    """The reason as the protocol spells it; raises for a verdict or reason the stage does not take."""
    if verdict not in STAGE_VERDICTS[stage]:
        raise ScreeningError(
            f"verdict {verdict!r} is not allowed at {stage}; expected {' | '.join(STAGE_VERDICTS[stage])}")
    if resolution and stage == "full_text" and verdict == "maybe":
        raise ScreeningError("a full-text resolution must decide: include, exclude or not_retrieved")
    reason = (reason or "").strip()
    if verdict != "exclude":
        if reason:
            raise ScreeningError(f"a reason goes with exclude only, not with {verdict} (use the note)")
        return ""
    if not reason:
        if reason_required(protocol, stage, verdict):
            raise ScreeningError(f"an exclusion at {stage.replace('_', ' ')} needs a reason from the protocol's list")
        return ""
    allowed = reasons(protocol, stage)
    if not allowed:          # the protocol lists no reasons: free text
        return reason
    for name in allowed:
        if name.casefold() == reason.casefold():
            return name
    raise ScreeningError(f"unknown reason {reason!r} at {stage}; the protocol's reasons are {'; '.join(allowed)}")


# ------------------------------------------------------------------ events

def _decision(row) -> Decision:
    return Decision(id=row["id"], work_id=row["work_id"], stage=row["stage"], reviewer=row["reviewer"],
                    kind=row["kind"], verdict=row["verdict"], reason=row["reason"], note=row["note"],
                    time=row["time"], undoes=row["undoes"])


def record_decision(store: Store, protocol: Protocol, work_id: int, stage: str, reviewer: str,
                    verdict: str, reason: str = "", note: str = "") -> int:
    """Check and commit one reviewer's verdict; returns the event id.

    A later verdict by the same reviewer on the same work replaces the earlier one
    (both events stay)."""
    _check_stage(stage)
    _check_reviewer(protocol, reviewer)
    reason = _check_verdict(protocol, stage, verdict, reason)
    _check_work(store, work_id)
    return store.add_decision(work_id, stage, reviewer, "verdict", verdict, reason, (note or "").strip())


def _check_work(store: Store, work_id: int) -> None:
    if not store.work_exists(work_id):
        raise ScreeningError(f"unknown work {work_id}")
    if not store.is_current_work(work_id):
        raise ScreeningError(f"work {work_id} is not in this project's current search runs")


def undo_last(store: Store, protocol: Protocol, reviewer: str, stage: str) -> Decision | None:
    """Cancel this person's latest standing verdict (or resolution) at a stage with an undo
    event; returns what was undone, None when there is nothing left to undo."""
    _check_stage(stage)
    if reviewer not in resolvers(protocol):
        _check_reviewer(protocol, reviewer)
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
                if there is not None and _INCLUSIVE[there.verdict] <= _INCLUSIVE[event.verdict]:
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


# ------------------------------------------------------------------ assignment

def _title_abstract_runs(store: Store, protocol: Protocol) -> list[int]:
    """Current search runs whose records are screened at title/abstract."""
    default = _flag(protocol, "screen_other_methods", False)
    runs = []
    for run in store.search_runs(current_only=True):
        if run["method"] in DATABASE_METHODS:
            runs.append(run["id"])
            continue
        try:
            screen = protocol.search(run["search_id"]).screen
        except KeyError:      # an ad hoc `searchflow import`
            screen = None
        if screen if screen is not None else default:
            runs.append(run["id"])
    return runs


def _seed(protocol: Protocol) -> str:
    return str(protocol.screening.extra.get("seed", "searchflow"))


def _assigner(protocol: Protocol, stage: str) -> Callable[[int], tuple[str, ...]]:
    """``work id -> who screens it`` at a stage, with the protocol's settings read once
    (it runs for every work of a 100,000-work project)."""
    names = tuple(protocol.screening.reviewers)
    if len(names) <= 1:
        return lambda work_id: names
    share = second_reviewer_share(protocol, stage)
    if len(names) == 2 and share >= 1:
        return lambda work_id: names
    seed = _seed(protocol)

    def assign(work_id: int) -> tuple[str, ...]:
        digest = hashlib.blake2b(f"{seed}:{work_id}".encode(), digest_size=8).digest()
        h = int.from_bytes(digest, "big")
        if len(names) == 2:
            first, second = names
        else:
            i = (h >> 20) % len(names)
            j = (h >> 40) % (len(names) - 1)
            first, second = names[i], names[j + (j >= i)]
        if (h % 1_000_000) / 1_000_000 < share:
            return (first, second)
        return (first,)

    return assign


def work_reviewers(protocol: Protocol, stage: str, work_id: int) -> tuple[str, ...]:
    """Who screens this work at this stage. Deterministic: a seeded hash of the work id, so
    adding a search later never reshuffles earlier assignments."""
    return _assigner(protocol, stage)(work_id)


def stage_works(store: Store, protocol: Protocol, stage: str) -> list[int]:
    """Every work to screen at a stage, in import order (first record imported first)."""
    _check_stage(stage)
    return list(screening_state(store, protocol).works(stage))


def assigned_works(store: Store, protocol: Protocol, reviewer: str, stage: str) -> list[int]:
    """The works this reviewer must screen at this stage, in import order."""
    _check_reviewer(protocol, reviewer)
    works = stage_works(store, protocol, stage)
    if len(protocol.screening.reviewers) == 2 and second_reviewer_share(protocol, stage) >= 1:
        return works            # dual screening of everything: no hashing needed
    assign = _assigner(protocol, stage)
    return [w for w in works if reviewer in assign(w)]


# ------------------------------------------------------------------ final decisions

_INCLUSIVE = {"include": 0, "maybe": 1, "exclude": 2, "not_retrieved": 3}


_final = FinalDecision._make      # positional, from one tuple: the fast way to build 100,000 of them
_work_of = itemgetter(1)          # Decision.work_id


def _derive(stage: str, work_id: int, events: list[Decision], needed: tuple[str, ...],
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
        return _final((work_id, stage, "resolved", resolution.verdict, resolution.reason, who, needed,
                       ranked, resolution))
    if len(ranked) < max(len(needed), 1):
        status = "single" if len(ranked) == 1 else "pending"
        return _final((work_id, stage, status, None, "", who, needed, ranked, None))
    values = {d.verdict for d in ranked}
    if stage == "full_text":
        conflict = (len(values) > 1 or "maybe" in values
                    or len({d.reason for d in ranked if d.verdict == "exclude"}) > 1)
    else:
        conflict = ("include" in values and "exclude" in values) or (maybe_conflict and "maybe" in values)
    if conflict:
        return _final((work_id, stage, "conflict", None, "", who, needed, ranked, None))
    verdict = min(values, key=_INCLUSIVE.__getitem__) if len(values) > 1 else next(iter(values))
    reason = next((d.reason for d in ranked if d.verdict == "exclude" and d.reason), "") if verdict == "exclude" else ""
    return _final((work_id, stage, "single" if len(ranked) == 1 else "agreed", verdict, reason, who, needed,
                   ranked, None))


def _ranker(protocol: Protocol) -> Callable[[Decision], tuple]:
    """Sort key putting reviewers in the protocol's order (anyone else after them, by name)."""
    order = {name: (i, name) for i, name in enumerate(protocol.screening.reviewers)}
    unknown = len(order)
    return lambda decision: order.get(decision.reviewer) or (unknown, decision.reviewer)


def _goes_forward(final: FinalDecision | None) -> bool:
    """A title/abstract decision that sends the work on to full text."""
    return final is not None and final.status != "conflict" and final.verdict in FORWARD


class ScreeningState:
    """Both stages' works and final decisions, each derived at most once from the store as it is.

    Deriving is the costly part of screening on a big project (every event of a stage, every
    work), and one report asks for it again and again: the full-text stage needs every
    title/abstract decision, a flow report reads both stages' decisions, an export reads them
    per stage. :func:`screening_state` hands out the same state until the store changes."""

    def __init__(self, store: Store, protocol: Protocol, title_abstract_runs: list[int]):
        self._store = weakref.ref(store)   # the cache is keyed on the store: no strong link back
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
                         if not screened or _goes_forward(finals.get(work))]
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
        assign, maybe_conflict, rank = _assigner(protocol, stage), maybe_is_conflict(protocol), _ranker(protocol)
        result = {}
        for work in works:
            needed = assign(work)
            events = events_of.get(work)
            if events is None:      # most works, early on: nothing to derive
                result[work] = _final((work, stage, "pending", None, "", (), needed, (), None))
            else:
                result[work] = _derive(stage, work, events, needed, maybe_conflict, rank)
        return result


# The latest state of each open store, with what it was derived from: the store's change counter
# (any write by anyone changes it) and the protocol settings the rules read.
_STATES: "weakref.WeakKeyDictionary[Store, tuple[tuple, ScreeningState]]" = weakref.WeakKeyDictionary()
_SETTINGS = ("second_reviewer_share", "maybe_is_conflict", "seed")


def screening_state(store: Store, protocol: Protocol) -> ScreeningState:
    """The screening state of the store as it is now: the cached one while nothing has changed
    (no event, import, merge or protocol setting since), else a new one."""
    runs = _title_abstract_runs(store, protocol)
    key = (store.change_counter(), tuple(runs), tuple(protocol.screening.reviewers),
           repr([protocol.screening.extra.get(name) for name in _SETTINGS]))
    cached = _STATES.get(store)
    if cached is not None and cached[0] == key:
        return cached[1]
    state = ScreeningState(store, protocol, runs)
    if not store.in_transaction:     # a rollback would undo writes without a new version
        _STATES[store] = (key, state)
    return state


def final_decisions(store: Store, protocol: Protocol, stage: str) -> dict[int, FinalDecision]:
    """Every work of a stage with its derived final decision, in import order."""
    _check_stage(stage)
    return dict(screening_state(store, protocol).final_decisions(stage))


def own_decisions(store: Store, protocol: Protocol, stage: str, reviewer: str) -> dict[int, FinalDecision]:
    """A blinded reviewer's view of a stage: each work assigned to them with their own standing
    verdict as its decision (status ``blinded``: the team's final decision is not theirs to see)."""
    mine = reviewer_verdicts(store, reviewer, stage)
    result = {}
    for work in assigned_works(store, protocol, reviewer, stage):
        d = mine.get(work)
        result[work] = (_final((work, stage, "blinded", d.verdict, d.reason, (reviewer,), (reviewer,), (d,), None))
                        if d is not None else _final((work, stage, "pending", None, "", (), (reviewer,), (), None)))
    return result


def final_decision(store: Store, protocol: Protocol, work_id: int, stage: str) -> FinalDecision:
    """One work's final decision at a stage (whether or not the work reached that stage)."""
    _check_stage(stage)
    events = [Decision._make(row) for row in store.decision_tuples(stage, work_id=work_id)]
    return _derive(stage, work_id, events, work_reviewers(protocol, stage, work_id),
                   maybe_is_conflict(protocol), _ranker(protocol))


def conflicts(store: Store, protocol: Protocol, stage: str, viewer: str | None = None) -> list[Conflict]:
    """Open conflicts at a stage, in import order. A ``viewer`` who is one of the reviewers
    is refused while the stage is blinded."""
    _check_stage(stage)
    if viewer is not None:
        check_can_view(store, protocol, stage, viewer)
    return [Conflict(f.work_id, stage, f.decisions)
            for f in screening_state(store, protocol).final_decisions(stage).values() if f.status == "conflict"]


def resolve_conflict(store: Store, protocol: Protocol, work_id: int, stage: str, resolver: str,
                     verdict: str, reason: str = "", note: str = "", override: bool = False) -> int:
    """Record the final decision of a conflict (a third reviewer's or a consensus); returns its id.

    A resolver may correct their own resolution (the latest counts). Another resolver's is
    refused unless ``override`` is given with a note saying why: a resolution is never
    replaced silently. Both events stay; the overriding one names the one it overrides."""
    _check_stage(stage)
    allowed = resolvers(protocol)
    if resolver not in allowed:
        raise ScreeningError(f"{resolver!r} may not resolve conflicts; resolvers are {', '.join(allowed) or 'none'}")
    check_can_view(store, protocol, stage, resolver)
    reason = _check_verdict(protocol, stage, verdict, reason, resolution=True)
    note = (note or "").strip()
    if override and not note:
        raise ScreeningError("overriding a resolution needs a note saying why (--note)")
    with store.transaction():
        _check_work(store, work_id)
        final = final_decision(store, protocol, work_id, stage)
        if final.status not in ("conflict", "resolved"):
            raise ScreeningError(f"work {work_id} has no conflict at {stage} (it is {final.status})")
        other = final.resolution if final.resolution is not None and final.resolution.reviewer != resolver else None
        if other is not None:
            said = f"{other.verdict}{f' ({other.reason})' if other.reason else ''}"
            if not override:
                raise ScreeningError(
                    f"work {work_id}: {stage} was resolved as {said} by {other.reviewer} on {other.time[:10]}; "
                    f"to replace another resolver's decision give --override with a --note saying why")
            note = f"overrides {other.reviewer}'s resolution {said} (event {other.id}): {note}"
        return store.add_decision(work_id, stage, resolver, "resolution", verdict, reason, note)


# ------------------------------------------------------------------ blinding

def is_unblinded(store: Store, protocol: Protocol, stage: str) -> bool:
    _check_stage(stage)
    return store.blinding_action(stage) == "unblind"


def is_blinded(store: Store, protocol: Protocol, stage: str) -> bool:
    """A stage is blinded until the lead unblinds it, when there is another reviewer to be blind to."""
    return len(protocol.screening.reviewers) > 1 and not is_unblinded(store, protocol, stage)


def can_see_others(store: Store, protocol: Protocol, stage: str, viewer: str, as_lead: bool = False) -> bool:
    """The blinding rule: reviewers see others' verdicts only once the stage is unblinded; the
    lead asking as the lead, and a resolver who screens nothing, may always see them (that is
    their job). Every command, the TUI and the reports come through here."""
    if as_lead:
        _check_lead(protocol, viewer, "see every verdict of a blinded stage")
        return True
    return viewer not in protocol.screening.reviewers or not is_blinded(store, protocol, stage)


def check_can_view(store: Store, protocol: Protocol, stage: str, viewer: str) -> None:
    if not can_see_others(store, protocol, stage, viewer):
        lead = protocol.screening.lead or "the lead"
        raise ScreeningError(
            f"{stage} is blinded: {viewer} screens it and sees only their own verdicts until {lead} unblinds it")


def shown_verdicts(store: Store, protocol: Protocol, stages: Iterable[str], lead: str | None = None,
                   reviewer: str | None = None) -> dict[str, str]:
    """Whose verdicts may be shown to the person asking: the stages (stage -> reviewer) where only
    that reviewer's own may be; every reviewer's at the rest. While a stage is blinded the asker
    must say who they are: the protocol's lead (everything) or a reviewer (their own)."""
    own = {}
    for stage in stages:
        _check_stage(stage)
        if lead is not None:
            can_see_others(store, protocol, stage, lead, as_lead=True)
        elif reviewer is not None:
            if reviewer not in resolvers(protocol):
                _check_reviewer(protocol, reviewer)
            if not can_see_others(store, protocol, stage, reviewer):
                own[stage] = reviewer
        elif is_blinded(store, protocol, stage):
            who = f"the lead, {protocol.screening.lead}" if protocol.screening.lead else "the protocol's lead"
            raise ScreeningError(f"{stage} is blinded: give --lead NAME ({who}) to see every verdict, "
                                 "or --reviewer NAME to see only your own")
    return own


def check_sees_every_verdict(store: Store, protocol: Protocol, stages: Iterable[str], lead: str | None = None,
                             reviewer: str | None = None) -> None:
    """For what cannot be shown one reviewer at a time (conflicts, agreement): refuse a
    reviewer at a blinded stage, as :func:`shown_verdicts` decides."""
    for stage, own in shown_verdicts(store, protocol, stages, lead=lead, reviewer=reviewer).items():
        check_can_view(store, protocol, stage, own)


def _check_lead(protocol: Protocol, lead: str, doing: str = "change blinding") -> None:
    if not protocol.screening.lead:
        raise ScreeningError(f"{protocol.path}: the protocol names no lead ([screening] lead) who may {doing}")
    if lead != protocol.screening.lead:
        raise ScreeningError(f"only the lead ({protocol.screening.lead}) may {doing}, not {lead!r}")


def unblind(store: Store, protocol: Protocol, stage: str, lead: str) -> int:
    """The lead opens a stage: every reviewer may now see every verdict."""
    _check_stage(stage)
    _check_lead(protocol, lead)
    return store.add_blinding(stage, "unblind", lead)


def blind(store: Store, protocol: Protocol, stage: str, lead: str) -> int:
    """The lead closes a stage again (e.g. a search update brings new works to screen)."""
    _check_stage(stage)
    _check_lead(protocol, lead)
    return store.add_blinding(stage, "blind", lead)


# ------------------------------------------------------------------ reports and studies

def link_report(store: Store, protocol: Protocol, work_id: int, study_work_id: int, reviewer: str) -> int:
    """Full text: record that this report (work) belongs to that study; linking a work to
    itself removes its link."""
    if reviewer not in resolvers(protocol):
        _check_reviewer(protocol, reviewer)
    for work in {work_id, study_work_id}:
        if not store.is_current_work(work):
            raise ScreeningError(f"work {work} is not in this project's current search runs")
    if work_id != study_work_id and studies(store).get(study_work_id, study_work_id) == work_id:
        raise ScreeningError(f"work {study_work_id} is already a report of study {work_id}; link the other way")
    return store.add_study_link(work_id, study_work_id, reviewer)


def studies(store: Store) -> dict[int, int]:
    """Each linked report's study (followed to the end of a chain); unlinked works are absent."""
    links = {r: s for r, s in store.study_links().items() if r != s}
    result = {}
    for report in links:
        study, seen = links[report], {report}
        while study in links and study not in seen:
            seen.add(study)
            study = links[study]
        result[report] = study
    return result


# ------------------------------------------------------------------ what a reviewer reads

_SECTION_WORDS = (
    "background", "introduction", "context", "objective", "objectives", "aim", "aims", "purpose",
    "rationale", "methods", "method", "design", "setting", "settings", "participants", "population",
    "interventions", "intervention", "measurements", "main outcome measures", "outcomes", "results",
    "findings", "conclusion", "conclusions", "discussion", "implications", "limitations",
    "data sources", "study selection", "data extraction", "data synthesis", "review methods",
    "trial registration", "significance", "evidence acquisition", "evidence synthesis",
)


_KNOWN_SECTIONS = "|".join(sorted((re.escape(w) for w in _SECTION_WORDS), key=len, reverse=True))
_SECTION_RE = re.compile(
    rf"(?:^|(?<=[.!?]\s)|(?<=[.!?]))\s*((?:[A-Z][A-Z/&,\- ]{{2,50}}[A-Z])|(?i:{_KNOWN_SECTIONS})):\s+")


def abstract_sections(abstract: str) -> list[tuple[str, str]]:
    """Split a structured abstract ("BACKGROUND: ... METHODS: ...") into (label, text);
    one ("", abstract) section when it is not structured. Labels are ALL CAPS words or
    the usual section names, at the start or after a sentence."""
    matches = list(_SECTION_RE.finditer(abstract))
    if not matches:
        return [("", abstract)] if abstract else []
    sections: list[tuple[str, str]] = []
    if matches[0].start() > 0 and abstract[: matches[0].start()].strip():
        sections.append(("", abstract[: matches[0].start()].strip()))
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(abstract)
        sections.append((match.group(1).strip(), abstract[match.end():end].strip()))
    return sections


def _completeness(record: dict) -> tuple:
    filled = sum(bool(record[k]) for k in ("title", "abstract", "authors", "year", "journal", "doi",
                                             "pmid", "type", "keywords", "volume", "pages"))
    return (filled, len(record["abstract"]), -record["id"])


def work_summary(store: Store, work_id: int) -> WorkSummary:
    """Display fields of a work from its most complete current member."""
    members = store.work_records(work_id)
    if not members:
        raise ScreeningError(f"work {work_id} is not in this project's current search runs")
    best = max(members, key=_completeness)
    unique = lambda values: list(dict.fromkeys(values))  # noqa: E731  (keeps first-seen order)
    return WorkSummary(
        work_id=work_id, title=best["title"], authors=best["authors"], journal=best["journal"],
        year=best["year"], volume=best["volume"], issue=best["issue"], pages=best["pages"],
        doi=best["doi"] or next((m["doi"] for m in members if m["doi"]), ""),
        pmid=best["pmid"] or next((m["pmid"] for m in members if m["pmid"]), ""),
        type=best["type"], language=best["language"], keywords=best["keywords"],
        abstract=best["abstract"], sections=abstract_sections(best["abstract"]), url=best["url"],
        record_id=best["id"], searches=unique(m["search"] for m in members),
        databases=unique(m["database"] for m in members), methods=unique(m["method"] for m in members),
    )


# ------------------------------------------------------------------ exchange (CSV)

def export_decisions(store: Store, own: dict[str, str] | None = None) -> list[dict]:
    """Every event as a CSV row (columns :data:`CSV_COLUMNS`), in the order they happened.

    ``kind`` is verdict, undo or resolution; an undo row repeats the verdict, reason and
    note it cancels, so a spreadsheet reader sees what was taken back. ``own`` (stage ->
    reviewer, from :func:`shown_verdicts`) keeps only that reviewer's events at those stages."""
    events = store.decision_events()
    by_id = {row["id"]: row for row in events}
    rows = []
    own = own or {}
    for row in events:
        if own.get(row["stage"], row["reviewer"]) != row["reviewer"]:
            continue
        shown = by_id.get(row["undoes"], row) if row["kind"] == "undo" else row
        rows.append({"work": row["work_id"], "reviewer": row["reviewer"], "stage": row["stage"],
                     "verdict": shown["verdict"] or "", "reason": shown["reason"], "note": shown["note"],
                     "time": row["time"], "kind": row["kind"]})
    return rows


def write_decisions_csv(rows: list[dict], out) -> None:
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)


def read_decisions_csv(path: str | Path) -> tuple[list[dict], list[int]]:
    """Rows of a decisions CSV and the line each starts on (notes may span lines)."""
    return _read_csv(path, ("work", "reviewer", "stage", "verdict"), CSV_COLUMNS[:7], "a decisions CSV")


def _read_csv(path: str | Path, required: tuple[str, ...], expected: tuple[str, ...],
              what: str) -> tuple[list[dict], list[int]]:
    """Rows of a CSV with these columns at least, and the line each starts on."""
    path = Path(path)
    if not path.exists():
        raise ScreeningError(f"{path}: file not found")
    rows, lines = [], []
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in required if c not in (reader.fieldnames or [])]
            if missing:
                raise ScreeningError(f"{path}:1: missing column(s) {', '.join(missing)}; expected {', '.join(expected)}")
            start = reader.line_num + 1
            for row in reader:
                rows.append(row)
                lines.append(start)
                start = reader.line_num + 1
    except UnicodeDecodeError:
        raise ScreeningError(f"{path}: not UTF-8 text; expected {what}") from None
    except csv.Error as exc:
        raise ScreeningError(f"{path}: not a readable CSV: {exc}") from None
    return rows, lines


def _normal_time(text: str) -> str:
    """A timestamp in the store's form (UTC, microseconds) so events sort in time order."""
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


def _event_key(row: dict) -> tuple:
    return (int(row["work"]), row["reviewer"], row["stage"], row["kind"], row["verdict"] or "",
            row["reason"], row["note"])


def import_decisions(store: Store, protocol: Protocol, rows: Iterable[dict], source: str = "decisions",
                     lines: list[int] | None = None) -> int:
    """Merge decision events (e.g. a reviewer who screened offline on a copy); returns how many
    were new. Events already present are skipped, so importing twice adds nothing. Any bad row
    (unknown work, reviewer, reason, ...) refuses the whole import naming ``source`` and line."""
    rows = list(rows)
    lines = lines or list(range(2, len(rows) + 2))
    current_works = store.current_work_ids()
    allowed_resolvers = resolvers(protocol)
    clean: list[tuple[int, dict]] = []
    for line, raw in zip(lines, rows):
        where = f"{source}:{line}"
        row = {k: (raw.get(k) or "").strip() for k in CSV_COLUMNS}
        row["kind"] = row["kind"] or "verdict"
        try:
            if row["kind"] not in ("verdict", "undo", "resolution"):
                raise ScreeningError(f"kind {row['kind']!r}; expected verdict | undo | resolution")
            if not row["work"].isdigit() or int(row["work"]) not in current_works:
                raise ScreeningError(f"unknown work {row['work']!r} (not in this project's current search runs)")
            _check_stage(row["stage"])
            if row["kind"] != "verdict":     # a resolver's resolution, or anyone's undo of their own event
                if row["reviewer"] not in allowed_resolvers:
                    raise ScreeningError(f"unknown resolver {row['reviewer']!r}; resolvers are {', '.join(allowed_resolvers)}")
            else:
                _check_reviewer(protocol, row["reviewer"])
            row["reason"] = _check_verdict(protocol, row["stage"], row["verdict"], row["reason"],
                                           resolution=row["kind"] == "resolution")
            if row["time"]:
                try:
                    row["time"] = _normal_time(row["time"])
                except ValueError:
                    raise ScreeningError(f"time {row['time']!r}; expected an ISO date and time") from None
        except ScreeningError as exc:
            raise ScreeningError(f"{where}: {exc}") from None
        clean.append((line, row))

    present = {(*_event_key(r), r["time"]) for r in export_decisions(store)}
    present_untimed = {k[:-1] for k in present}
    added = 0
    # rows without a time are ordered after timed ones; stable sort keeps file order otherwise
    clean.sort(key=lambda item: item[1]["time"] or "9999")
    with store.transaction():
        for line, row in clean:
            key = _event_key(row)
            if (row["time"] and (*key, row["time"]) in present) or (not row["time"] and key in present_untimed):
                continue
            undoes = None
            if row["kind"] == "undo":
                target = store.standing_match(int(row["work"]), row["stage"], row["reviewer"], row["verdict"],
                                              row["reason"], row["note"], row["time"] or None)
                if target is None:
                    raise ScreeningError(f"{source}:{line}: undo matches no earlier standing {row['verdict']} "
                                         f"by {row['reviewer']} on work {row['work']}")
                undoes = target
            store.add_decision(int(row["work"]), row["stage"], row["reviewer"], row["kind"],
                               None if row["kind"] == "undo" else row["verdict"], "" if row["kind"] == "undo" else row["reason"],
                               "" if row["kind"] == "undo" else row["note"], undoes=undoes, time=row["time"] or None)
            if row["time"]:
                present.add((*key, row["time"]))
            present_untimed.add(key)
            added += 1
    return added


# ------------------------------------------------------------------ resolutions in bulk

RESOLUTION_COLUMNS = ("work", "stage", "verdict", "reason", "resolver", "note")


def read_resolutions_csv(path: str | Path) -> tuple[list[dict], list[int]]:
    """Rows of a resolutions CSV (columns :data:`RESOLUTION_COLUMNS`; ``conflicts --format csv``
    with these added is one) and the line each starts on."""
    return _read_csv(path, ("work", "stage", "verdict"), RESOLUTION_COLUMNS, "a resolutions CSV")


def resolve_conflicts(store: Store, protocol: Protocol, rows: list[dict], lines: list[int], source: str,
                      resolver: str = "", note: str = "") -> tuple[int, int]:
    """Resolve many conflicts at once, each row through :func:`resolve_conflict` (so every rule of a
    single resolution holds), all in one transaction: a bad row refuses the whole file, naming
    ``source`` and its line. ``resolver`` and ``note`` stand in where a row leaves them empty. A
    row without a verdict is a conflict still open. Returns (resolved, left open)."""
    resolved, left_open, seen = 0, 0, {}
    with store.transaction():
        for line, raw in zip(lines, rows):
            row = {key: (raw.get(key) or "").strip() for key in RESOLUTION_COLUMNS}
            if not row["verdict"]:
                left_open += 1
                continue
            try:
                if not row["work"].isdigit():
                    raise ScreeningError(f"work {row['work']!r}: expected a work number")
                _check_stage(row["stage"])
                key = (int(row["work"]), row["stage"])
                if key in seen:
                    raise ScreeningError(f"work {key[0]} at {key[1]} is resolved on line {seen[key]} already")
                seen[key] = line
                who = row["resolver"] or resolver
                if not who:
                    raise ScreeningError("no resolver: fill in the resolver column or give --resolver NAME")
                resolve_conflict(store, protocol, key[0], key[1], who, row["verdict"], reason=row["reason"],
                                 note=row["note"] or note)
            except ScreeningError as exc:
                raise ScreeningError(f"{source}:{line}: {exc}") from None
            resolved += 1
    return resolved, left_open
