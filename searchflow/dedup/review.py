"""Deduplication inside a project: incremental passes over the store, the review queue, reversible merges.

A pass compares the records imported since the previous pass with every current
record (old records were compared with each other before), starting from the
works as they stand, so earlier merges and reviewers' splits are kept. A merge
moves records between works and logs a merge_event per record; pair_decision
holds the review queue ('possible') and reviewers' verdicts ('same' /
'different'), which every later pass applies before any rule. Verdicts are
matched to records by fingerprint too, so they survive a new version of an export.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..screening.decisions import carry_decisions, resolvers, uncarry_decisions
from ..store import Store
from .decide import DUPLICATE, Thresholds
from .engine import deduplicate
from .normalise import completeness

VERDICTS = ("same", "different")


class DedupError(Exception):
    """A review action that cannot be done as asked (unknown pair, a verdict that contradicts another)."""


@dataclass
class DedupSummary:
    """What one pass did."""

    records: int = 0         # current records
    compared: int = 0        # records new to this pass
    merged: int = 0          # records moved into another work
    possible: int = 0        # pairs newly sent to review
    waiting: int = 0         # possible pairs waiting for a reviewer
    works: int = 0           # works after the pass

    def describe(self) -> str:
        if not self.compared:
            return f"dedup: no new records; {self.waiting} possible pairs to review"
        return (f"dedup: {self.merged} duplicates merged, {self.waiting} possible pairs to review "
                f"({self.compared} new records compared; {self.records} records in {self.works} works)")


@dataclass
class PossiblePair:
    """A pair waiting for review, each side a stored record (dict) with its search and database."""

    id: int
    record_a: dict
    record_b: dict
    score: float | None


def thresholds_from(protocol: Any) -> Thresholds:
    """The protocol's [dedup] duplicate_threshold / possible_threshold (0-1 or 0-100) over the defaults."""
    settings = getattr(protocol, "dedup", None) or {}
    thresholds = Thresholds()
    for key, attribute in (("duplicate_threshold", "duplicate_title"), ("possible_threshold", "possible_title")):
        if key in settings:
            value = float(settings[key])
            setattr(thresholds, attribute, value * 100 if value <= 1 else value)
    return thresholds


def dedup_project(store: Store, protocol: Any = None, full: bool = False) -> DedupSummary:
    """One dedup pass over the store, in one transaction. ``full`` compares every record again."""
    with store.transaction():
        if not full and store.last_current_record() <= store.dedup_checkpoint():
            counts = store.counts()      # nothing new: no need to read the records
            return DedupSummary(records=counts["records"], works=counts["works"],
                                waiting=len(possible_pairs(store)))
        rows = store.dedup_rows()
        summary = DedupSummary(records=len(rows))
        if not rows:
            return summary
        checkpoint = 0 if full else store.dedup_checkpoint()
        table = pd.DataFrame(rows)
        ids = table["id"].to_numpy()
        new = ids > checkpoint
        summary.compared = int(new.sum())
        if not summary.compared:
            summary.waiting = len(possible_pairs(store))
            summary.works = int(table["work_id"].nunique())
            return summary
        same, different = _reviewer_pairs(store, table)
        table["issn"] = table["issn"].map("; ".join)
        table["isbn"] = table["isbn"].map("; ".join)
        result = deduplicate(table, thresholds=thresholds_from(protocol), new=new,
                             clusters=table["work_id"].to_numpy(), same=same, different=different)
        moves = _moves(table, result)
        summary.merged = store.move_records(moves, actor="dedup")
        carry_decisions(store, [(source, target) for _, source, target, _, _ in moves], actor="dedup")
        possible = result.possible_pairs
        summary.possible = store.add_possible_pairs(
            (int(ids[a]), int(ids[b]), float(score))
            for a, b, score in zip(possible["a"], possible["b"], possible["score"]))
        store.add_dedup_run(int(ids.max()), summary.merged, summary.possible)
        summary.works = int(result.records["cluster_id"].nunique())
        summary.waiting = len(possible_pairs(store))
    return summary


def _reviewer_pairs(store: Store, table: pd.DataFrame) -> tuple[set, set]:
    """Reviewers' verdicts as row pairs of ``table``, found by record id or fingerprint."""
    rows_of: dict[str, list[int]] = defaultdict(list)
    for row, fingerprint in enumerate(table["fingerprint"]):
        rows_of[fingerprint].append(row)
    same: set[tuple[int, int]] = set()
    different: set[tuple[int, int]] = set()
    for verdict in store.pair_verdicts():
        if verdict["verdict"] not in VERDICTS:
            continue
        target = same if verdict["verdict"] == "same" else different
        for a in rows_of.get(verdict["fingerprint_a"], []):
            for b in rows_of.get(verdict["fingerprint_b"], []):
                if a != b:
                    target.add((min(a, b), max(a, b)))
    return same, different


def _moves(table: pd.DataFrame, result) -> list[tuple[int, int, int, str, float | None]]:
    """(record, from work, to work, rule, score) for every record whose cluster holds another work.

    A cluster keeps the work of its earliest record, so works that reviewers already
    screened keep their id and their decisions.
    """
    rule_of: dict[int, tuple[str, float]] = {}
    merged = result.pairs[result.pairs["outcome"] == DUPLICATE]
    for a, b, rule, score in zip(merged["a"], merged["b"], merged["rule"], merged["score"]):
        rule_of.setdefault(int(b), (rule, float(score)))
        rule_of.setdefault(int(a), (rule, float(score)))
    works = table["work_id"].to_numpy()
    ids = table["id"].to_numpy()
    clusters = result.records["cluster_id"].to_numpy()
    first_row: dict[int, int] = {}
    for row, cluster in enumerate(clusters):
        first_row.setdefault(int(cluster), row)
    moves = []
    for row, cluster in enumerate(clusters):
        target = int(works[first_row[int(cluster)]])
        if int(works[row]) != target:
            rule, score = rule_of.get(row, ("fuzzy", None))
            moves.append((int(ids[row]), int(works[row]), target, rule, score))
    return moves


# ------------------------------------------------------------------ the review queue

def possible_pairs(store: Store, protocol: Any = None) -> list[PossiblePair]:
    """Pairs waiting for a reviewer: latest verdict 'possible', both records current, still two works."""
    verdicts = store.pair_verdicts()
    judged = {(min(v["work_a"], v["work_b"]), max(v["work_a"], v["work_b"])) for v in verdicts
              if v["verdict"] == "different"}
    waiting = [v for v in verdicts if v["verdict"] == "possible" and v["work_a"] != v["work_b"]
               and (min(v["work_a"], v["work_b"]), max(v["work_a"], v["work_b"])) not in judged]
    records = store.records_by_id([v["record_a"] for v in waiting] + [v["record_b"] for v in waiting])
    best: dict[tuple[int, int], PossiblePair] = {}
    for v in waiting:
        a, b = records.get(v["record_a"]), records.get(v["record_b"])
        if a and b and a["is_current"] and b["is_current"]:
            works = (min(a["work_id"], b["work_id"]), max(a["work_id"], b["work_id"]))
            pair = PossiblePair(v["id"], a, b, v["score"])
            # one pair per two works: the verdict is about the works
            if works not in best or (pair.score or 0) > (best[works].score or 0):
                best[works] = pair
    return sorted(best.values(), key=lambda p: p.id)


@dataclass
class PairVerdict:
    """What a reviewer's pair verdict did: what :func:`take_back` needs to reverse it."""

    records: tuple[int, int]
    verdict: str
    reviewer: str
    score: float | None = None
    moves: list[int] = field(default_factory=list)            # merge events it wrote
    overridden: list[tuple[int, int, str]] = field(default_factory=list)   # earlier 'different' pairs

    def describe(self) -> str:
        a, b = self.records
        text = f"records {a} and {b}: {self.verdict} ({self.reviewer})"
        if self.overridden:
            earlier = ", ".join(f"{x} and {y} by {who or 'a reviewer'}" for x, y, who in self.overridden)
            text += f"; this overrides the earlier 'different' verdicts on records {earlier}"
        return text


def check_person(protocol: Any, name: str) -> None:
    """A dedup verdict or undo is given by someone the protocol names (a reviewer, resolver or lead)."""
    team = resolvers(protocol) if protocol is not None else []
    if not name:
        raise DedupError("a pair verdict or undo needs the reviewer's name (--reviewer NAME)")
    if protocol is not None and name not in team:
        raise DedupError(f"unknown reviewer {name!r}; the protocol's reviewers, resolvers and lead are "
                         f"{', '.join(team) or 'none ([screening] reviewers)'}")


def decide_pair(store: Store, protocol: Any, pair: PossiblePair | tuple[int, int], verdict: str,
                reviewer: str) -> PairVerdict:
    """A reviewer's verdict on a pair of records: 'same' merges their works, 'different' keeps
    (or makes) them apart; either is stored and respected by every later pass.

    The newest verdict wins: 'same' on two works overrides earlier 'different' verdicts between
    their records (an undone merge, another reviewer's judgement), and says which it overrode."""
    if verdict not in VERDICTS:
        raise DedupError(f"verdict {verdict!r}: expected one of {', '.join(VERDICTS)}")
    check_person(protocol, reviewer)
    a, b = (pair.record_a["id"], pair.record_b["id"]) if isinstance(pair, PossiblePair) else map(int, pair)
    if a == b:
        raise DedupError(f"records {a} and {b}: a verdict needs two different records")
    done = PairVerdict((a, b), verdict, reviewer, pair.score if isinstance(pair, PossiblePair) else None)
    with store.transaction():
        found = store.records_by_id([a, b])
        for record in (a, b):
            if record not in found:
                raise DedupError(f"record {record} does not exist")
        work_a, work_b = found[a]["work_id"], found[b]["work_id"]
        if verdict == "same":
            if work_a != work_b:
                done.overridden = _judged_different(store, work_a, work_b)
            for x, y, _ in done.overridden:
                if {x, y} != {a, b}:
                    store.add_pair_decision(x, y, "same", reviewer=reviewer)
            store.add_pair_decision(a, b, "same", reviewer=reviewer)
            if work_a != work_b:
                target, source = sorted((work_a, work_b))
                done.moves = _move(store, [(r, source, target, "reviewer", None) for r in store.work_member_ids(source)],
                                   reviewer)
                carry_decisions(store, [(source, target)], actor=reviewer)
        else:
            store.add_pair_decision(a, b, "different", reviewer=reviewer)
            if work_a == work_b:
                # the later record leaves; its earlier work if that is empty now, else a new one
                moving = max(a, b)
                done.moves = _move(store, [(moving, work_a, _home_work(store, moving, work_a), "split", None)],
                                   reviewer)
    return done


def _move(store: Store, moves: list[tuple[int, int, int, str, float | None]], actor: str) -> list[int]:
    """Move records, returning the merge events written (inside the caller's transaction)."""
    return store.last_merge_events(store.move_records(moves, actor=actor))


def take_back(store: Store, protocol: Any, done: PairVerdict) -> None:
    """Undo a pair verdict just given (the duplicate screen's undo): the records go back to
    the works they were in and the pair waits for review again. Its events stay."""
    check_person(protocol, done.reviewer)
    with store.transaction():
        events = [store.merge_event(event_id) for event_id in done.moves]
        back = [(e["record_id"], e["to_work"], e["from_work"], "split" if done.verdict == "same" else "reviewer", None)
                for e in events]
        for record, now_in, home, _, _ in back:
            if record not in store.work_member_ids(now_in):
                raise DedupError(f"record {record} has moved since the verdict; nothing to take back")
            if done.verdict == "same" and any(r not in {m[0] for m in back} for r in store.work_member_ids(home)):
                raise DedupError(f"work {home} holds other records now; nothing to take back")
        store.move_records(back, actor=done.reviewer)
        if done.verdict == "same" and back:
            uncarry_decisions(store, back[0][2], back[0][1], actor=done.reviewer)
        elif back:
            carry_decisions(store, [(back[0][1], back[0][2])], actor=done.reviewer)
        for x, y, who in done.overridden:                # the 'different' verdicts it overrode stand again
            if {x, y} != set(done.records):
                store.add_pair_decision(x, y, "different", reviewer=who)
        store.add_pair_decision(*done.records, "possible", score=done.score, reviewer=done.reviewer)


def _judged_different(store: Store, work_a: int, work_b: int) -> list[tuple[int, int, str]]:
    """(record, record, reviewer) of the standing 'different' verdicts between two works' records."""
    members_a, members_b = set(store.work_member_ids(work_a)), set(store.work_member_ids(work_b))
    return [(v["record_a"], v["record_b"], v["reviewer"]) for v in store.pair_verdicts()
            if v["verdict"] == "different" and (
                (v["record_a"] in members_a and v["record_b"] in members_b)
                or (v["record_a"] in members_b and v["record_b"] in members_a))]


def _home_work(store: Store, record: int, current: int) -> int:
    """The work a record came from before its last merge into ``current``, if nobody is in it now."""
    for event in reversed(store.merge_events(record)):
        if event["to_work"] == current:
            if not store.work_member_ids(event["from_work"]):
                return event["from_work"]
            break
    return store.new_work()


def undo_merge(store: Store, event_id: int, reviewer: str, protocol: Any = None) -> list[int]:
    """Reverse one event of the merge history (``dedup --history``); returns the records moved.

    A merge: the record, and the records that came with it from the same work, go back to
    that work, marked 'different' from the rest so no pass merges them again. A split (an
    undone merge, or a 'different' verdict that parted one work): the records join the work
    they left again, marked 'same', so an undo can itself be undone."""
    check_person(protocol, reviewer)
    with store.transaction():
        event = store.merge_event(event_id)
        if event is None:
            raise DedupError(f"merge event {event_id} does not exist")
        members = set(store.work_member_ids(event["to_work"]))
        if event["record_id"] not in members:
            raise DedupError(f"merge event {event_id}: record {event['record_id']} has moved since; "
                             f"nothing to undo")
        moving = sorted(
            e["record_id"] for e in store.merge_events()
            if e["from_work"] == event["from_work"] and e["to_work"] == event["to_work"]
            and e["time"] == event["time"] and e["record_id"] in members)
        if event["rule"] == "split":
            left = store.work_member_ids(event["from_work"])
            if not left:
                raise DedupError(f"merge event {event_id}: work {event['from_work']} has no records left to rejoin")
            decide_pair(store, protocol, (left[0], moving[0]), "same", reviewer)
            return moving
        if store.work_member_ids(event["from_work"]):
            raise DedupError(f"merge event {event_id}: work {event['from_work']} holds other records now")
        store.move_records([(r, event["to_work"], event["from_work"], "split", None) for r in moving],
                           actor=reviewer)
        uncarry_decisions(store, event["from_work"], event["to_work"], actor=reviewer)
        for kept in sorted(members - set(moving)):
            for moved in moving:
                store.add_pair_decision(kept, moved, "different", reviewer=reviewer)
    return moving


DISPLAY_FIELDS = ("title", "authors", "year", "journal", "journal_abbrev", "volume", "issue", "pages", "doi",
                  "pmid", "pmcid", "abstract", "type", "language", "url")


def work_display(store: Store, work_id: int) -> dict[str, Any]:
    """A work's display fields: its most complete current member's, gaps filled from the others
    (in order of completeness), plus the databases that found it."""
    members = store.work_records(work_id)
    if not members:
        raise DedupError(f"work {work_id} has no current records")
    table = pd.DataFrame([{k: m.get(k) for k in DISPLAY_FIELDS} for m in members])
    score = completeness(table)
    order = sorted(range(len(members)), key=lambda i: (-score[i], members[i]["id"]))
    shown: dict[str, Any] = {}
    for name in DISPLAY_FIELDS:
        shown[name] = next((members[i][name] for i in order if members[i][name] not in ("", None, [])), "")
    shown["work_id"] = work_id
    shown["records"] = [m["id"] for m in members]
    shown["databases"] = sorted({m["database"] for m in members})
    return shown


def merge_history(store: Store, record_id: int | None = None, work_id: int | None = None) -> pd.DataFrame:
    """Merge events as a table (for `searchflow dedup --history` and protocol scripts); with
    ``work_id``, the events that moved a record into or out of that work."""
    events = [dict(e) for e in store.merge_events(record_id)
              if work_id is None or work_id in (e["from_work"], e["to_work"])]
    return pd.DataFrame(events, columns=["id", "record_id", "from_work", "to_work", "rule", "score", "actor", "time"])


__all__ = ["DedupError", "DedupSummary", "PairVerdict", "PossiblePair", "check_person", "dedup_project",
           "decide_pair", "possible_pairs", "take_back", "undo_merge", "merge_history", "thresholds_from", "work_display"]
