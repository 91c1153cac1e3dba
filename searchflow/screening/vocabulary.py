"""The words of screening, each list defined once: stages, verdicts, event kinds, statuses.

The CLI's choices, the TUI, the exports and the flow counts import these; the stages are
the protocol's (its ``[screening]`` tables are keyed by stage) and are imported from it.
The store's CHECK constraints spell the same lists in SQL (a test keeps the two in step).
"""
from __future__ import annotations

from ..protocol import STAGES

__all__ = ["FORWARD", "INCLUSIVE", "KINDS", "STAGES", "STAGE_VERDICTS", "STATUSES", "VERDICTS",
           "ScreeningError", "check_stage"]

VERDICTS = ("include", "exclude", "maybe", "not_retrieved")
STAGE_VERDICTS = {
    "title_abstract": ("include", "exclude", "maybe"),
    "full_text": ("include", "exclude", "maybe", "not_retrieved"),
}
FORWARD = ("include", "maybe")          # title/abstract verdicts that send a work to full text
KINDS = ("verdict", "undo", "resolution")   # what a decision event is
STATUSES = ("pending", "single", "agreed", "conflict", "resolved")
# Most inclusive first: where two verdicts must give way to one (a carried duplicate, an agreed
# include and maybe), the more inclusive wins, so an included study is never dropped.
INCLUSIVE = {"include": 0, "maybe": 1, "exclude": 2, "not_retrieved": 3}


class ScreeningError(Exception):
    """A screening request that breaks a rule (unknown reviewer, missing reason, ...); one line."""


def check_stage(stage: str) -> None:
    if stage not in STAGES:
        raise ScreeningError(f"unknown stage {stage!r}; expected {' or '.join(STAGES)}")
