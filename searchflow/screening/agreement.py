"""Inter-rater agreement: Cohen's kappa, percent agreement and PABAK per reviewer pair.

Each stage's verdicts are reduced to two categories so the 2x2 table is the one
reviews report:

- title/abstract: "forward" (include or maybe: the work goes on to full text) vs exclude;
- full text: "forward" (include; a maybe counts with include) vs exclude. Works where
  either reviewer said not_retrieved are left out: nobody judged the report.

Only works both reviewers have a standing verdict on count. Hand-written because the
formulas are three lines and the 2x2 counts must be reported anyway; a test checks
kappa against scikit-learn.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from itertools import combinations

from ..protocol import Protocol
from ..store import Store
from .events import reviewer_verdicts
from .vocabulary import FORWARD, check_stage

TOTAL = "*"     # reviewer_a and reviewer_b of a stage's pooled row


@dataclass(frozen=True)
class PairAgreement:
    """Agreement of two reviewers at one stage (or every pair pooled when ``total``).

    2x2 counts: ``both_forward``, ``a_forward_b_exclude``, ``a_exclude_b_forward``, ``both_exclude``.
    ``kappa`` is None when chance agreement is 1 (both reviewers used one category only)."""

    stage: str
    reviewer_a: str
    reviewer_b: str
    n: int
    both_forward: int
    a_forward_b_exclude: int
    a_exclude_b_forward: int
    both_exclude: int
    percent_agreement: float | None
    kappa: float | None
    pabak: float | None
    total: bool = False

    def as_dict(self) -> dict:
        return asdict(self)


def _category(verdict: str) -> str | None:
    if verdict in FORWARD:
        return "forward"
    if verdict == "exclude":
        return "exclude"
    return None     # not_retrieved: not a judgement of eligibility


def statistics(a: int, b: int, c: int, d: int) -> tuple[float | None, float | None, float | None]:
    """(percent agreement, Cohen's kappa, PABAK) from 2x2 counts a=both forward,
    b=first forward/second exclude, c=first exclude/second forward, d=both exclude."""
    n = a + b + c + d
    if n == 0:
        return None, None, None
    observed = (a + d) / n
    chance = ((a + b) * (a + c) + (c + d) * (b + d)) / (n * n)
    kappa = None if chance == 1 else (observed - chance) / (1 - chance)
    return observed, kappa, 2 * observed - 1


def _pair(stage: str, name_a: str, name_b: str, counts: list[int], total: bool = False) -> PairAgreement:
    observed, kappa, pabak = statistics(*counts)
    return PairAgreement(stage, name_a, name_b, sum(counts), *counts, percent_agreement=observed,
                         kappa=kappa, pabak=pabak, total=total)


def agreement(store: Store, protocol: Protocol, stage: str) -> list[PairAgreement]:
    """One row per pair of reviewers who screened at least one work in common, then the
    stage's pooled row (``total=True``, reviewers ``*``)."""
    check_stage(stage)
    names = list(protocol.screening.reviewers)
    verdicts = {name: reviewer_verdicts(store, name, stage) for name in names}
    rows: list[PairAgreement] = []
    pooled = [0, 0, 0, 0]
    for name_a, name_b in combinations(names, 2):
        counts = [0, 0, 0, 0]
        for work, decision_a in verdicts[name_a].items():
            decision_b = verdicts[name_b].get(work)
            if decision_b is None:
                continue
            first, second = _category(decision_a.verdict), _category(decision_b.verdict)
            if first is None or second is None:
                continue
            counts[(first == "exclude") * 2 + (second == "exclude")] += 1
        if sum(counts):
            rows.append(_pair(stage, name_a, name_b, counts))
            pooled = [p + c for p, c in zip(pooled, counts)]
    rows.append(_pair(stage, TOTAL, TOTAL, pooled, total=True))
    return rows
