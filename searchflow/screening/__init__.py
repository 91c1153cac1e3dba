"""Screening: assignment, blinding, decisions, conflicts, final decisions and agreement.

One module per job; the TUI, the CLI and the flow counts only call them:

- :mod:`.vocabulary`  the stages, verdicts, event kinds and statuses (each list once)
- :mod:`.settings`    what the protocol's ``[screening]`` table says (reviewers, reasons, shares)
- :mod:`.events`      a reviewer's verdict and undo, as append-only events
- :mod:`.assignment`  who screens which work
- :mod:`.final`       what a work's events add up to (conflict rules included)
- :mod:`.state`       every work's final decision per stage, derived once per change of the store
- :mod:`.conflicts`   open conflicts and their resolution
- :mod:`.blinding`    who may see whose verdicts
- :mod:`.carry`       decisions follow a work merged by deduplication
- :mod:`.reports`     full-text reports linked to the study they report
- :mod:`.exchange`    decisions and resolutions as CSV
- :mod:`.display`     what a reviewer reads about a work (no rules)
- :mod:`.agreement`, :mod:`.filters`, :mod:`.highlight`, :mod:`.prioritise`

:mod:`.decisions` gathers the public names in one import for protocol scripts.
"""
from .vocabulary import ScreeningError

__all__ = ["ScreeningError"]
