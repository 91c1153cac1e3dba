"""A reviewer's place in their screening queue, between the screens and the screening rules.

The queue is loaded once as work ids; a work's display fields are read only when it
is shown (a small cache keeps back-and-forth instant), so a 100,000-work project
opens in well under a second. Every verdict, note and undo goes through
:mod:`searchflow.screening.decisions`, which validates and commits before this
returns, so the screen never moves on from an unsaved keypress. No SQL and no
screening rules live here: only "where am I" and "what did I say".
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from ..protocol import Protocol
from ..screening import decisions
from ..store import Store


@dataclass
class MyVerdict:
    """What this reviewer said about one work (the blinded view: never anyone else's)."""

    verdict: str
    reason: str = ""
    note: str = ""


def _mine(decision: Any) -> MyVerdict:
    return MyVerdict(decision.verdict or "", getattr(decision, "reason", "") or "",
                     getattr(decision, "note", "") or "")


class ScreeningSession:
    """One reviewer screening one stage: the queue, the position and their own verdicts."""

    CACHE_SIZE = 64

    def __init__(self, store: Store, protocol: Protocol, reviewer: str, stage: str):
        self.store = store
        self.protocol = protocol
        self.reviewer = reviewer
        self.stage = stage
        # A resolver who screens nothing has an empty queue; for anyone else assigned_works
        # validates the reviewer and stage (ScreeningError: one line, exit 2).
        self.screens = reviewer in protocol.screening.reviewers or reviewer not in decisions.resolvers(protocol)
        self.work_ids: list[int] = (list(decisions.assigned_works(store, protocol, reviewer, stage))
                                    if self.screens else [])
        self._position_of = {work_id: i for i, work_id in enumerate(self.work_ids)}
        self.verdicts: dict[int, MyVerdict] = {}
        self._screened = 0
        self._reload_verdicts()
        self.position = self.next_unscreened(-1, wrap=False)
        if self.position is None:
            self.position = 0
        self.pending_note = ""      # a note typed before the verdict, sent with it
        self._summaries: OrderedDict[int, Any] = OrderedDict()

    def reload(self) -> None:
        """Load the queue again (duplicate review merged or split works), staying on the same work if it is still there."""
        current = self.work_id
        self.work_ids = (list(decisions.assigned_works(self.store, self.protocol, self.reviewer, self.stage))
                         if self.screens else [])
        self._position_of = {work_id: i for i, work_id in enumerate(self.work_ids)}
        self._summaries.clear()
        self._reload_verdicts()
        if current is None or not self.go_to_work(current):
            self.position = min(self.position, max(len(self.work_ids) - 1, 0))

    # ------------------------------------------------------------ reading

    def _reload_verdicts(self) -> None:
        if not self.screens:
            return
        mine = decisions.reviewer_verdicts(self.store, self.reviewer, self.stage)
        self.verdicts = {w: _mine(d) for w, d in mine.items() if w in self._position_of}
        self._screened = len(self.verdicts)

    @property
    def assigned(self) -> int:
        return len(self.work_ids)

    @property
    def screened(self) -> int:
        return self._screened

    @property
    def remaining(self) -> int:
        return self.assigned - self._screened

    @property
    def work_id(self) -> int | None:
        return self.work_ids[self.position] if self.work_ids else None

    def verdict(self, work_id: int | None = None) -> MyVerdict | None:
        work_id = self.work_id if work_id is None else work_id
        return self.verdicts.get(work_id) if work_id is not None else None

    def summary(self, work_id: int | None = None) -> Any:
        """The work's display fields, read on first show and kept in a small cache."""
        work_id = self.work_id if work_id is None else work_id
        if work_id is None:
            return None
        cached = self._summaries.get(work_id)
        if cached is None:
            cached = decisions.work_summary(self.store, work_id)
            self._summaries[work_id] = cached
            if len(self._summaries) > self.CACHE_SIZE:
                self._summaries.popitem(last=False)
        else:
            self._summaries.move_to_end(work_id)
        return cached

    def reasons(self) -> list[str]:
        return decisions.reasons(self.protocol, self.stage)

    def reason_required(self, verdict: str) -> bool:
        return decisions.reason_required(self.protocol, self.stage, verdict)

    # ------------------------------------------------------------ moving

    def next_unscreened(self, after: int, wrap: bool = True) -> int | None:
        """The first position after ``after`` not yet screened, wrapping to the start."""
        n = len(self.work_ids)
        for i in range(after + 1, n):
            if self.work_ids[i] not in self.verdicts:
                return i
        if wrap:
            for i in range(0, min(after + 1, n)):
                if self.work_ids[i] not in self.verdicts:
                    return i
        return None

    def move(self, step: int) -> bool:
        """Previous/next in queue order; False at either end."""
        target = self.position + step
        if not 0 <= target < len(self.work_ids):
            return False
        self.position = target
        return True

    def go_to_work(self, work_id: int) -> bool:
        position = self._position_of.get(work_id)
        if position is None:
            return False
        self.position = position
        return True

    def find(self, text: str, start: int | None = None) -> int | None:
        """The next work (after the current one, wrapping) whose title, authors or
        abstract contains ``text``; reads summaries one by one, so it is for modest queues."""
        needle = text.casefold()
        n = len(self.work_ids)
        begin = self.position if start is None else start
        for step in range(1, n + 1):
            i = (begin + step) % n
            s = self.summary(self.work_ids[i])
            haystack = " ".join([s.title, " ".join(s.authors), s.abstract]).casefold()
            if needle in haystack:
                return i
        return None

    # ------------------------------------------------------------ deciding

    def decide(self, verdict: str, reason: str = "", note: str | None = None, work_id: int | None = None) -> bool:
        """Record a verdict on the current work, or on ``work_id`` (committed), then move to
        the next unscreened work. Returns False when every assigned work is screened."""
        if work_id is not None and work_id != self.work_id:
            self.go_to_work(work_id)
        work_id = self.work_id
        if work_id is None:
            return False
        note = self.pending_note if note is None else note
        decisions.record_decision(self.store, self.protocol, work_id, self.stage, self.reviewer,
                                  verdict, reason=reason, note=note)
        if work_id not in self.verdicts:
            self._screened += 1
        self.verdicts[work_id] = MyVerdict(verdict, reason, note)
        self.pending_note = ""
        following = self.next_unscreened(self.position)
        if following is None:
            return False
        self.position = following
        return True

    def add_note(self, note: str) -> bool:
        """A note on the current work. With a verdict already given, the verdict is
        recorded again carrying the note (events are append-only); otherwise the note
        waits for the verdict. Returns True when it was committed now."""
        mine = self.verdict()
        if mine is None:
            self.pending_note = note
            return False
        decisions.record_decision(self.store, self.protocol, self.work_id, self.stage, self.reviewer,
                                  mine.verdict, reason=mine.reason, note=note)
        mine.note = note
        return True

    def undo(self) -> int | None:
        """Undo this reviewer's latest verdict at this stage and show that work again."""
        undone = decisions.undo_last(self.store, self.protocol, self.reviewer, self.stage)
        if undone is None:
            return None
        self._reload_verdicts()
        self.go_to_work(undone.work_id)
        return undone.work_id
