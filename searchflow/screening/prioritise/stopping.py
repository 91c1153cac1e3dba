"""Figures for a stopping rule: the model never stops screening by itself, it only gives reviewers
the figures (irrelevant in a row since the last include, share screened, an estimate of the
relevant records left) for a stopping rule their protocol names."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence


@dataclass(frozen=True)
class Progress:
    """Figures for a reviewer's stopping decision; the tool itself never stops."""

    screened: int
    total: int
    includes: int
    irrelevant_in_a_row: int          # excludes since the last include (all, if none yet)
    estimated_remaining: int          # relevant records estimated among the unscreened

    @property
    def share_screened(self) -> float:
        return self.screened / self.total if self.total else 1.0

    def describe(self) -> str:
        return (f"{self.includes} relevant · {self.irrelevant_in_a_row} irrelevant in a row · "
                f"{100 * self.share_screened:.0f}% screened · ~{self.estimated_remaining} relevant left (estimate)")


def progress(verdicts_in_order: Sequence[bool], total: int, window: int = 50) -> Progress:
    """Stopping figures from one reviewer's decisions in the order made (True = include).

    The estimate carries the include rate of the last ``window`` decisions over the
    unscreened records: while the ranking still turns up includes it is high (prioritised
    order puts the likeliest first, so it over-estimates), after a clean run it is zero.
    A guide for the reviewers' own rule, not a rule."""
    verdicts = [bool(v) for v in verdicts_in_order]
    in_a_row = 0
    for verdict in reversed(verdicts):
        if verdict:
            break
        in_a_row += 1
    recent = verdicts[-window:]
    rate = sum(recent) / len(recent) if recent else 0.0
    left = max(0, total - len(verdicts))
    return Progress(screened=len(verdicts), total=total, includes=sum(verdicts),
                    irrelevant_in_a_row=in_a_row, estimated_remaining=round(rate * left))

