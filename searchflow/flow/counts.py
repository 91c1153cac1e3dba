"""PRISMA 2020 flow counts from the store, with arithmetic that must close.

Definitions (PRISMA 2020 and ../DESIGN.md):

- A *record* is a source record of a current search run; a *work* is a cluster of
  records (deduplication). Counts per database count records; everything after
  "duplicates removed" counts works.
- Databases and registers column: every work with at least one record from a
  ``database`` or ``register`` search. A work also found by citation searching (or any
  other method) counts once, here, on the database side.
- Other-methods column: works found only by other methods, each counted under one
  method: the method of its earliest record (round first, then the protocol's method
  order). They go straight to "reports sought" unless the protocol screens them at
  title/abstract; then those excluded there are shown in that column too.
- Screening stages, verdicts and which works reach full text come from
  :mod:`searchflow.screening.state` (``final_decisions``, ``stage_works``); nothing here
  decides what a verdict means.
- Reports vs studies: every work included at full text is a report; reports linked to a
  study (``link_report``) count as one study.
- Work still in progress (no final decision yet, open conflicts) is counted as
  "awaiting" so the diagram can be drawn at any time and still closes.

Each box is counted from its own definition and then :func:`check` verifies the
arithmetic between boxes; a mismatch (e.g. a full-text decision on a work excluded at
title/abstract) raises :class:`FlowError` naming the boxes and the works involved.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any, Mapping

from ..protocol import DATABASE_METHODS, METHODS, Protocol
from ..screening.final import final_decision
from ..screening.reports import studies as report_studies
from ..screening.state import final_decisions
from ..store import Store

OTHER_METHODS = tuple(m for m in METHODS if m not in DATABASE_METHODS)
METHOD_LABELS = {
    "database": "Databases", "register": "Registers", "website": "Websites",
    "organisation": "Organisations", "citation": "Citation searching", "expert": "Experts",
    "alert": "Alerts", "grey": "Grey literature",
}
NO_REASON = "No reason recorded"
DECIDED = ("include", "exclude", "not_retrieved")   # full-text verdicts that settle a report


class FlowError(Exception):
    """The flow counts do not close; the message names the boxes and the works involved."""


@dataclass
class FullText:
    """One column's boxes from "reports sought" to "included"."""

    sought: int = 0
    not_retrieved: int = 0
    assessed: int = 0
    excluded: dict[str, int] = field(default_factory=dict)   # reason -> reports
    awaiting: int = 0          # sought, no final full-text decision yet (undecided, conflict, maybe)
    included: int = 0          # reports included

    @property
    def excluded_total(self) -> int:
        return sum(self.excluded.values())


@dataclass
class Prisma:
    """Every box of the PRISMA 2020 flow diagram (new and updated reviews)."""

    databases: dict[str, int] = field(default_factory=dict)      # database -> records identified
    registers: dict[str, int] = field(default_factory=dict)
    duplicates: int = 0
    automation: int = 0
    automation_rule: str = ""      # the protocol's stopping rule, when automation set records aside
    removed_other: int = 0
    screened: int = 0
    excluded: int = 0                                             # records excluded at title/abstract
    excluded_reasons: dict[str, int] = field(default_factory=dict)  # title/abstract reasons (see listed_reasons)
    awaiting_screening: int = 0
    dbr: FullText = field(default_factory=FullText)
    other_identified: dict[str, int] = field(default_factory=dict)   # method -> works counted there
    other_records: dict[str, int] = field(default_factory=dict)      # method -> records delivered
    other_found_by_database: int = 0     # other-methods records whose work a database also found
    other_excluded_screening: int = 0    # when the protocol screens other methods at title/abstract
    other_awaiting_screening: int = 0
    other: FullText = field(default_factory=FullText)
    other_by_method: dict[str, FullText] = field(default_factory=dict)
    new_studies: int = 0
    new_reports: int = 0
    previous_studies: int | None = None      # updated review only
    previous_reports: int | None = None

    @property
    def identified(self) -> int:
        return sum(self.databases.values()) + sum(self.registers.values())

    @property
    def has_other(self) -> bool:
        return bool(self.other_records)

    @property
    def updated(self) -> bool:
        return self.previous_studies is not None

    @property
    def total_studies(self) -> int:
        return (self.previous_studies or 0) + self.new_studies

    @property
    def total_reports(self) -> int:
        return (self.previous_reports or 0) + self.new_reports

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(identified=self.identified, total_studies=self.total_studies,
                    total_reports=self.total_reports, updated=self.updated)
        for key in ("dbr", "other"):
            data[key]["excluded_total"] = getattr(self, key).excluded_total
        return data


@dataclass
class Work:
    """What the flow needs to know about one current work."""

    id: int
    dbr: bool                      # found by a database or register search
    origin: tuple                  # (round, method, database, search) of its earliest record
    method: str                    # the method it is counted under in PRISMA
    sources: list[tuple[str, str]] = field(default_factory=list)   # every (method, database)


@dataclass
class Flow:
    """The PRISMA counts plus what RAMESES, eMERGe and the exports read."""

    prisma: Prisma
    works: dict[int, Work]
    outcome: dict[int, str]        # work -> stage outcome (see OUTCOMES)
    title_abstract: dict[int, Any]     # work -> FinalDecision
    full_text: dict[int, Any]
    studies: dict[int, int]        # included report -> its study
    records_by_origin: Counter     # (round, method, database) -> records delivered


OUTCOMES = ("automation", "excluded_screening", "awaiting_screening", "not_retrieved",
            "excluded_full_text", "awaiting_full_text", "included")


# ------------------------------------------------------------------ inputs

def previous_review(protocol: Protocol) -> tuple[int, int] | None:
    """``[review] previous = {studies = N, reports = M}``: the updated-review variant."""
    previous = protocol.review.previous
    return None if previous is None else (previous.studies, previous.reports)


def automation_ineligible(protocol: Protocol, awaiting: list[int]) -> set[int]:
    """Works a prioritisation stopping rule set aside without a reviewer.

    A protocol that says ``[screening] stopping_rule = {..., stopped = true}`` declares
    screening stopped under the rule, and every database work still awaiting its
    title/abstract decision was marked ineligible by the tool. Else none."""
    rule = protocol.screening.stopping_rule
    if rule is not None and rule.stopped:
        return set(awaiting)
    return set()


def stopping_rule_text(protocol: Protocol) -> str:
    """How the protocol states its stopping rule, for the report beside the automation count."""
    rule = protocol.screening.stopping_rule
    if rule is None:
        return ""
    text = rule.rule.strip() or rule.description.strip()
    if text:
        return text
    if rule.irrelevant_in_a_row is not None:
        return f"stopping rule (irrelevant_in_a_row = {rule.irrelevant_in_a_row})"
    return "stopping rule declared in the protocol"


def method_rank(method: str) -> int:
    return METHODS.index(method) if method in METHODS else len(METHODS)


def _works(store: Store) -> tuple[dict[int, Work], list[tuple], Counter]:
    """Every current work with its column, origin and sources; also the records themselves."""
    records = store.flow_records()
    members: dict[int, list[tuple]] = {}
    by_origin: Counter = Counter()
    for rec in records:
        members.setdefault(rec[1], []).append(rec)
        by_origin[(rec[6], rec[5], rec[4])] += 1
    works = {}
    for work_id, recs in members.items():
        if len(recs) == 1:          # most works: one record says it all
            r = recs[0]
            works[work_id] = Work(work_id, r[5] in DATABASE_METHODS, (r[6], r[5], r[4], r[3]), r[5], [(r[5], r[4])])
            continue
        dbr = any(r[5] in DATABASE_METHODS for r in recs)
        first = min(recs, key=lambda r: (r[6], r[5] not in DATABASE_METHODS, method_rank(r[5]), r[0]))
        counted = first if not dbr else min(
            (r for r in recs if r[5] in DATABASE_METHODS), key=lambda r: (r[6], r[0]))
        sources = list(dict.fromkeys((r[5], r[4]) for r in recs))
        works[work_id] = Work(work_id, dbr, (first[6], first[5], first[4], first[3]), counted[5], sources)
    return works, records, by_origin


# ------------------------------------------------------------------ counting

def listed_reasons(counts: Mapping[str, int], optional: bool = False) -> dict[str, int]:
    """Exclusion reasons by count, most first, then the exclusions without one as
    :data:`NO_REASON`: every list of reasons adds up to its box. ``optional`` (title/abstract,
    where reasons need not be given): no list at all when no reason was given."""
    named = sorted(((r, n) for r, n in counts.items() if r and r != NO_REASON and n), key=lambda kv: (-kv[1], kv[0]))
    if optional and not named:
        return {}
    missing = counts.get("", 0) + counts.get(NO_REASON, 0)
    return dict(named + ([(NO_REASON, missing)] if missing else []))


def _count_full_text(column: FullText, population: list[int], decided: dict[int, Any], works: set[int]) -> None:
    """Fill a column's full-text boxes. ``decided`` holds every final full-text decision with a
    verdict, wherever the work is; boxes count decided works of this column, "sought" counts
    the works the screening rules sent to full text, so a stray decision cannot hide."""
    column.sought = len(population)
    reasons: Counter = Counter()
    for work_id, final in decided.items():
        if work_id not in works:
            continue
        if final.verdict == "not_retrieved":
            column.not_retrieved += 1
        elif final.verdict == "exclude":
            column.assessed += 1
            reasons[final.reason] += 1
        elif final.verdict == "include":
            column.assessed += 1
            column.included += 1
    column.excluded = listed_reasons(reasons)
    column.awaiting = sum(1 for w in population if w not in decided)


def compute(store: Store, protocol: Protocol) -> Flow:
    """Every count of the flow diagram from the store; raises FlowError when they do not close."""
    works, records, by_origin = _works(store)
    p = Prisma()
    databases: Counter = Counter()
    registers: Counter = Counter()
    other_records: Counter = Counter()
    for rec in records:
        method, database = rec[5], rec[4]
        if method == "database":
            databases[database] += 1
        elif method == "register":
            registers[database] += 1
        else:
            other_records[method] += 1
            if works[rec[1]].dbr:
                p.other_found_by_database += 1
    p.databases = dict(sorted(databases.items()))
    p.registers = dict(sorted(registers.items()))
    p.other_records = {m: other_records[m] for m in OTHER_METHODS if other_records[m]}

    dbr_works = {w for w, info in works.items() if info.dbr}
    other_works = set(works) - dbr_works
    p.duplicates = p.identified - len(dbr_works)

    title_abstract = final_decisions(store, protocol, "title_abstract")
    full_text = final_decisions(store, protocol, "full_text")

    # title/abstract, databases and registers
    ta_dbr = [w for w in title_abstract if w in dbr_works]
    awaiting = [w for w in ta_dbr if title_abstract[w].verdict is None]
    automated = automation_ineligible(protocol, awaiting)
    p.automation = len(automated)
    p.automation_rule = stopping_rule_text(protocol) if automated else ""
    p.screened = len(ta_dbr) - p.automation
    excluded = [w for w in ta_dbr if title_abstract[w].verdict == "exclude"]
    p.excluded = len(excluded)
    p.excluded_reasons = listed_reasons(Counter(title_abstract[w].reason for w in excluded), optional=True)
    p.awaiting_screening = len(awaiting) - p.automation

    # title/abstract, other methods (only when the protocol screens them there)
    ta_other = [w for w in title_abstract if w in other_works]
    p.other_excluded_screening = sum(1 for w in ta_other if title_abstract[w].verdict == "exclude")
    p.other_awaiting_screening = sum(1 for w in ta_other if title_abstract[w].verdict is None)

    # full text: every decided work, including any outside the stage's population
    decided = {w: f for w, f in full_text.items() if f.verdict in DECIDED}
    for work_id in store.decided_works("full_text"):
        if work_id in works and work_id not in full_text and work_id not in decided:
            final = final_decision(store, protocol, work_id, "full_text")
            if final.verdict in DECIDED:
                decided[work_id] = final
    _count_full_text(p.dbr, [w for w in full_text if w in dbr_works], decided, dbr_works)
    _count_full_text(p.other, [w for w in full_text if w in other_works], decided, other_works)

    identified = Counter(works[w].method for w in other_works)
    p.other_identified = {m: identified[m] for m in OTHER_METHODS if identified[m] or other_records[m]}
    for method in p.other_identified:
        mine = {w for w in other_works if works[w].method == method}
        column = FullText()
        _count_full_text(column, [w for w in full_text if w in mine], decided, mine)
        p.other_by_method[method] = column

    # reports and studies
    included = [w for w, f in decided.items() if f.verdict == "include"]
    links = report_studies(store)
    studies = {w: links.get(w, w) for w in included}
    p.new_reports = len(included)
    p.new_studies = len(set(studies.values()))
    previous = previous_review(protocol)
    if previous is not None:
        p.previous_studies, p.previous_reports = previous

    outcome = _outcomes(works, title_abstract, full_text, decided, automated)
    flow = Flow(p, works, outcome, title_abstract, full_text, studies, by_origin)
    check(p, _stray(works, full_text, decided))
    return flow


def _outcomes(works: dict[int, Work], title_abstract: dict, full_text: dict, decided: dict,
              automated: set[int]) -> dict[int, str]:
    """Where each work's journey ends so far (RAMESES, eMERGe and exports read this)."""
    outcome = {}
    for work_id in works:
        ft = decided.get(work_id)
        ta = title_abstract.get(work_id)
        if ft is not None and work_id in full_text:
            outcome[work_id] = {"include": "included", "exclude": "excluded_full_text",
                                "not_retrieved": "not_retrieved"}.get(ft.verdict, "awaiting_full_text")
        elif work_id in full_text:
            outcome[work_id] = "awaiting_full_text"
        elif work_id in automated:
            outcome[work_id] = "automation"
        elif ta is not None and ta.verdict == "exclude":
            outcome[work_id] = "excluded_screening"
        else:
            outcome[work_id] = "awaiting_screening"
    return outcome


def _stray(works: dict[int, Work], full_text: dict, decided: dict) -> list[int]:
    """Works with a full-text decision that the screening rules never sent to full text."""
    return sorted(w for w in decided if w in works and w not in full_text)


# ------------------------------------------------------------------ arithmetic

def check(p: Prisma, stray: list[int] | None = None) -> None:
    """Every equation between boxes; raises FlowError naming the boxes that do not close."""
    problems: list[str] = []

    def equal(left: list[tuple[str, int]], right: list[tuple[str, int]]) -> None:
        lhs, rhs = sum(n for _, n in left), sum(n for _, n in right)
        if lhs != rhs:
            show = lambda side: " + ".join(f"{name} ({n})" for name, n in side)  # noqa: E731
            problems.append(f"{show(left)} = {lhs} but {show(right)} = {rhs}")

    equal([("records identified from databases and registers", p.identified)],
          [("duplicate records removed", p.duplicates), ("marked ineligible by automation tools", p.automation),
           ("removed for other reasons", p.removed_other), ("records screened", p.screened)])
    equal([("records screened", p.screened)],
          [("records excluded", p.excluded), ("awaiting screening", p.awaiting_screening),
           ("reports sought for retrieval", p.dbr.sought)])
    for label, column in (("databases and registers", p.dbr), ("other methods", p.other)):
        equal([(f"reports sought for retrieval [{label}]", column.sought)],
              [(f"reports not retrieved [{label}]", column.not_retrieved),
               (f"reports assessed for eligibility [{label}]", column.assessed),
               (f"awaiting full-text decision [{label}]", column.awaiting)])
        equal([(f"reports assessed for eligibility [{label}]", column.assessed)],
              [(f"reports excluded [{label}]", column.excluded_total),
               (f"reports included [{label}]", column.included)])
    equal([("records identified from other methods", sum(p.other_identified.values()))],
          [("excluded at screening [other methods]", p.other_excluded_screening),
           ("awaiting screening [other methods]", p.other_awaiting_screening),
           ("reports sought for retrieval [other methods]", p.other.sought)])
    if sum(p.other_identified.values()) + p.other_found_by_database > sum(p.other_records.values()):
        problems.append("records identified from other methods + already found by databases and registers "
                        "exceed the records other methods delivered")
    if p.other_by_method:
        equal([("reports sought for retrieval [other methods]", p.other.sought)],
              [(f"reports sought [{m}]", c.sought) for m, c in p.other_by_method.items()])
    equal([("reports of new included studies", p.new_reports)],
          [("reports included [databases and registers]", p.dbr.included),
           ("reports included [other methods]", p.other.included)])
    if p.new_studies > p.new_reports or (p.new_reports and not p.new_studies):
        problems.append(f"new studies included ({p.new_studies}) must be between 1 and "
                        f"reports of new included studies ({p.new_reports})")
    if min(p.duplicates, p.screened, p.awaiting_screening, p.other_found_by_database) < 0:
        problems.append("a box is negative (duplicates, records screened or awaiting screening)")
    if problems:
        detail = ""
        if stray:
            shown = ", ".join(str(w) for w in stray[:10]) + (" ..." if len(stray) > 10 else "")
            detail = f" (works with a full-text decision that never reached full text: {shown})"
        raise FlowError("flow counts do not close: " + "; ".join(problems) + detail)
