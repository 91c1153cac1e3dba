"""The screening rules' public names in one import, for protocol scripts and tests.

Each rule lives in a module of its own (see the package's docstring); this module only
gathers their names, so ``from searchflow.screening import decisions`` keeps working
for the Python API. The project's own modules import from the rule modules directly.
"""
from __future__ import annotations

from ..protocol import DATABASE_METHODS, Protocol
from ..store import Store
from .assignment import work_reviewers
from .blinding import (can_see_others, check_can_view, check_sees_every_verdict, is_blinded, is_unblinded,
                       shown_verdicts, unblind)
from .carry import carry_decisions, uncarry_decisions
from .conflicts import Conflict, conflicts, resolve_conflict
from .display import WorkSummary, abstract_sections, work_summary
from .events import Decision, record_decision, reviewer_verdicts, undo_last
from .exchange import (CSV_COLUMNS, RESOLUTION_COLUMNS, export_decisions, import_decisions, read_decisions_csv,
                       read_resolutions_csv, resolve_conflicts, write_decisions_csv)
from .final import FinalDecision, final_decision
from .reports import link_report, studies
from .settings import check_lead, maybe_is_conflict, reason_required, reasons, resolvers, second_reviewer_share
from .state import (ScreeningState, assigned_works, final_decisions, own_decisions, screening_state,
                    stage_works)
from .vocabulary import FORWARD, STAGE_VERDICTS, STAGES, STATUSES, VERDICTS, ScreeningError, check_stage

__all__ = [
    "CSV_COLUMNS", "DATABASE_METHODS", "FORWARD", "RESOLUTION_COLUMNS", "STAGES", "STAGE_VERDICTS",
    "STATUSES", "VERDICTS", "Conflict", "Decision", "FinalDecision", "ScreeningError", "ScreeningState",
    "WorkSummary", "abstract_sections", "assigned_works", "blind", "can_see_others", "carry_decisions",
    "check_can_view", "check_sees_every_verdict", "conflicts", "export_decisions", "final_decision",
    "final_decisions", "import_decisions", "is_blinded", "is_unblinded", "link_report", "maybe_is_conflict",
    "own_decisions", "read_decisions_csv", "read_resolutions_csv", "reason_required", "reasons",
    "record_decision", "resolve_conflict", "resolve_conflicts", "resolvers", "reviewer_verdicts",
    "screening_state", "second_reviewer_share", "shown_verdicts", "stage_works", "studies", "unblind",
    "uncarry_decisions", "undo_last", "work_reviewers", "work_summary", "write_decisions_csv",
]


def blind(store: Store, protocol: Protocol, stage: str, lead: str) -> int:
    """The lead closes a stage again (e.g. a search update brings new works to screen)."""
    check_stage(stage)
    check_lead(protocol, lead)
    return store.add_blinding(stage, "blind", lead)
