"""Screening: assignment, blinding, decisions, conflicts, final decisions and agreement.

The rules live in :mod:`.decisions` and :mod:`.agreement`; the TUI and CLI only call them.
"""
from .decisions import ScreeningError

__all__ = ["ScreeningError"]
