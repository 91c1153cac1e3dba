"""A reviewer's place in their screening queue, between the screens and the screening rules.

The queue is loaded once as work ids; a work's display fields are read only when it
is shown (a small cache keeps back-and-forth instant), so a 100,000-work project
opens in well under a second. Every verdict, note and undo goes through
:mod:`searchflow.screening.decisions`, which validates and commits before this
returns, so the screen never moves on from an unsaved keypress. No SQL and no
screening rules live here: only "where am I" and "what did I say".

The order works are shown in is the reviewer's choice, by the rule of
:mod:`searchflow.screening.order`: as imported, random or prioritised. Prioritised order is
built as the reviewer goes: the works already shown keep their place (so previous/next stays
put) and each next work comes from the newest ranking that
:class:`~searchflow.screening.prioritise.BackgroundRanker` has finished, never waiting for a
retrain.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from ..protocol import Protocol
from ..screening import decisions, filters, order as screening_order, prioritise
from ..screening.order import AS_IMPORTED, ORDERS, PRIORITISED, RANDOM, default_order
from ..store import Store

STOPPING_HINT_AFTER = 50       # irrelevant in a row before the dashboard points at the stopping rule


def stopping_hint_after(protocol: Protocol) -> int:
    """``[screening] stopping_rule = { irrelevant_in_a_row = N }`` if the protocol names N."""
    rule = protocol.screening.extra.get("stopping_rule")
    number = rule.get("irrelevant_in_a_row") if isinstance(rule, dict) else None
    if isinstance(number, int) and not isinstance(number, bool) and number >= 1:
        return number
    return STOPPING_HINT_AFTER


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

    def __init__(self, store: Store, protocol: Protocol, reviewer: str, stage: str, order: str | None = None):
        self.store = store
        self.protocol = protocol
        self.reviewer = reviewer
        self.stage = stage
        self.order = order or default_order(protocol)          # a bad [screening] order fails here
        self.settings = prioritise.settings_from_protocol(protocol)
        self.stopping_hint_after = stopping_hint_after(protocol)
        # A resolver who screens nothing has an empty queue; for anyone else assigned_works
        # validates the reviewer and stage (ScreeningError: one line, exit 2).
        self.screens = reviewer in protocol.screening.reviewers or reviewer not in decisions.resolvers(protocol)
        self.imported: list[int] = (list(decisions.assigned_works(store, protocol, reviewer, stage))
                                    if self.screens else [])
        self.filter = filters.Filter()
        self._listed: set[int] | None = None      # the works the filter lets through (None: no filter)
        self.verdicts: dict[int, MyVerdict] = {}
        self._decided: list[int] = []        # works with a standing verdict, in the order decided
        self._screened = 0
        self._lock = threading.Lock()        # the verdicts, between the screen and the model's loader
        self._ranker: prioritise.BackgroundRanker | None = None
        self._loader: threading.Thread | None = None
        self._model_works: list[int] = []    # the model's texts are these works' (import order)
        self._index_of: dict[int, int] = {}  # work id -> its index in the model's texts
        self._labels: dict[int, bool] = {}
        self._shown: set[int] = set()        # prioritised order: works placed so far (by work id)
        self._frontier: int | None = None    # prioritised order: work_ids[:frontier] are placed
        self._reload_verdicts()
        prioritise.prepare_background()      # before the app runs: the order key can turn prioritising on
        self.position = 0
        self._arrange(None)
        self.pending_note = ""      # a note typed before the verdict, sent with it
        self._summaries: OrderedDict[int, Any] = OrderedDict()

    def reload(self) -> None:
        """Load the queue again (duplicate review merged or split works), staying on the same work if it is still there."""
        current = self.work_id
        self.imported = (list(decisions.assigned_works(self.store, self.protocol, self.reviewer, self.stage))
                         if self.screens else [])
        self._summaries.clear()
        self._reload_verdicts()
        self._stop_ranker()                  # the works changed: the model's texts are stale
        self._apply_filter()
        self._arrange(current)

    # ------------------------------------------------------------ filter

    def set_filter(self, text: str) -> filters.Filter:
        """Narrow the list to the works a typed filter lets through (see
        :mod:`searchflow.screening.filters`); empty text shows every work again. A bad filter
        raises ScreeningError and changes nothing."""
        chosen = filters.parse(text, self.store)
        current, self.filter = self.work_id, chosen
        self._apply_filter()
        self._arrange(current)
        return chosen

    def _apply_filter(self) -> None:
        self._listed = (set(filters.matching(self.store, self.protocol, self.reviewer, self.stage,
                                             self.imported, self.filter)) if self.filter else None)

    def _shown_order(self, works: list[int]) -> list[int]:
        return works if self._listed is None else [w for w in works if w in self._listed]

    # ------------------------------------------------------------ order

    def set_order(self, order: str) -> None:
        """Show the works in another order, staying on the current work."""
        if order not in ORDERS:
            raise ValueError(f"unknown order {order!r}")
        self.order = order
        self._arrange(self.work_id)

    def cycle_order(self) -> str:
        """The next order of :data:`ORDERS`; returns it."""
        self.set_order(ORDERS[(ORDERS.index(self.order) + 1) % len(ORDERS)])
        return self.order

    def _arrange(self, current: int | None) -> None:
        """Lay the works out in the chosen order and show ``current`` (else the first unscreened)."""
        self._frontier = None
        if self.order == RANDOM:
            self.work_ids = self._shown_order(screening_order.shuffled(self.protocol, self.reviewer, self.stage,
                                                                       self.imported))
        elif self.order == PRIORITISED:
            # Decided works first, in the order decided (so "previous" walks back through them);
            # the rest follow, to be placed one by one from the newest ranking.
            decided = self._shown_order([w for w in self._decided if w in self.verdicts])
            placed = set(decided)
            self.work_ids = decided + [w for w in self._shown_order(self.imported) if w not in placed]
            self._shown, self._frontier = placed, len(decided)
            self._start_ranker()
        else:
            self.work_ids = self._shown_order(self.imported)
        self._position_of = {work_id: i for i, work_id in enumerate(self.work_ids)}
        if current is None or not self.go_to_work(current):
            following = self.next_unscreened(-1, wrap=False)
            self.position = 0 if following is None else following

    def _place(self, position: int) -> int:
        """Prioritised order: put the work at ``position`` next after the works already placed."""
        frontier = self._frontier
        if frontier is None or position < frontier:
            return position
        ids, where = self.work_ids, self._position_of
        ids[position], ids[frontier] = ids[frontier], ids[position]
        where[ids[position]], where[ids[frontier]] = position, frontier
        self._shown.add(ids[frontier])
        self._frontier = frontier + 1
        return frontier

    def _place_next_ranked(self) -> int | None:
        """Prioritised order: place the best-ranked unplaced work (import order until there is a
        ranking) and return its position; None when every work is placed. Never waits."""
        if self._frontier is None or self._frontier >= len(self.work_ids):
            return None
        ranker = self._ranker
        ranking = ranker.ranking() if ranker is not None and self._index_of else None   # a decision or two old
        works = self._model_works if ranking else self.imported    # the ranking's indices are the model's works
        work_id = screening_order.next_ranked(ranking, works, self._shown, self._position_of)  # listed: filtered
        if work_id is None:                      # placed-but-new works (cannot happen after a reload)
            work_id = self.work_ids[self._frontier]
        return self._place(self._position_of[work_id])

    def order_label(self) -> str:
        """The order as the header states it; prioritised says from when it applies."""
        if self.order != PRIORITISED:
            return self.order
        if prioritise.can_rank(self._labels, self.settings):
            return PRIORITISED
        includes, excludes = max(1, self.settings.min_includes), max(1, self.settings.min_excludes)
        return (f"{PRIORITISED} (from {includes} include{'s' * (includes != 1)}, "
                f"{excludes} exclude{'s' * (excludes != 1)})")

    # ------------------------------------------------------------ the model

    def _start_ranker(self) -> None:
        """Start the model's process, which reads the works' texts and retrains, all in the
        background: opening the screen never waits for either."""
        if self._ranker is not None or self._loader is not None or not self.imported:
            return
        works = list(self.imported)
        path = self.store.location

        def load() -> None:                # the model's process reads the texts from the store itself
            ranker = prioritise.BackgroundRanker(prioritise.StoreTexts(str(path), tuple(works)), self.settings)
            with self._lock:
                if self._loader is not threading.current_thread():     # stopped meanwhile
                    ranker.close()
                    return
                self._model_works = works
                self._index_of = {w: i for i, w in enumerate(works)}
                self._ranker = ranker
                self._train()

        self._loader = threading.Thread(target=load, name="searchflow-prioritise-load", daemon=True)
        self._loader.start()

    def _stop_ranker(self) -> None:
        with self._lock:
            loader, ranker = self._loader, self._ranker
            self._ranker, self._loader, self._index_of = None, None, {}
        if ranker is not None:
            ranker.close()
        if loader is not None and loader is not threading.current_thread():
            loader.join(10)                # it closes a model it started too late: no process outlives us

    def _train(self) -> None:
        """Give the model this reviewer's own verdicts (call with the lock held); returns at once."""
        labels = prioritise.training_labels({work: mine.verdict for work, mine in self.verdicts.items()})
        self._labels = labels
        if self._ranker is not None:
            index_of = self._index_of
            self._ranker.update({index_of[w]: v for w, v in labels.items() if w in index_of})

    def wait_for_ranking(self, timeout: float = 30) -> bool:
        """Block until the ranking reflects every verdict so far (tests and scripts; the screen never waits)."""
        loader = self._loader
        if loader is not None:
            loader.join(timeout)
        ranker = self._ranker
        return ranker is not None and ranker.wait(timeout)

    @property
    def retrains(self) -> int:
        """Rankings finished so far in this session (0: the order is still the import order)."""
        ranker = self._ranker
        return ranker.retrains if ranker is not None else 0

    def close(self) -> None:
        """Stop retraining (the screen is closing)."""
        self._stop_ranker()

    # ------------------------------------------------------------ reading

    def _reload_verdicts(self) -> None:
        if not self.screens:
            return
        mine = decisions.reviewer_verdicts(self.store, self.reviewer, self.stage)
        assigned = set(self.imported)
        with self._lock:
            self.verdicts = {w: _mine(d) for w, d in mine.items() if w in assigned}
            self._decided = [w for w, d in sorted(mine.items(), key=lambda item: item[1].id) if w in assigned]
            self._screened = len(self.verdicts)
            self._train()

    @property
    def assigned(self) -> int:
        return len(self.imported)

    @property
    def listed(self) -> int:
        """Works in the list as shown (all assigned works, unless a filter narrows it)."""
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

    def stopping_figures(self) -> prioritise.Progress:
        """Irrelevant in a row since the last include, share screened and the estimated relevant
        records left, from this reviewer's own verdicts in the order given. Figures only: nothing
        here stops screening."""
        with self._lock:
            labels = [self.verdicts[w].verdict for w in self._decided if w in self.verdicts]
        return prioritise.progress([prioritise.TRAINING_VERDICTS[v] for v in labels
                                    if v in prioritise.TRAINING_VERDICTS], self.assigned)

    def reasons(self) -> list[str]:
        return decisions.reasons(self.protocol, self.stage)

    def reason_required(self, verdict: str) -> bool:
        return decisions.reason_required(self.protocol, self.stage, verdict)

    # ------------------------------------------------------------ moving

    def next_unscreened(self, after: int, wrap: bool = True) -> int | None:
        """The first position after ``after`` not yet screened, wrapping to the start. In
        prioritised order, after the works placed so far comes the best-ranked of the rest."""
        n = len(self.work_ids) if self._frontier is None else self._frontier
        for i in range(after + 1, n):
            if self.work_ids[i] not in self.verdicts:
                return i
        if self._frontier is not None:
            placed = self._place_next_ranked()
            if placed is not None:
                return placed
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
        if self._frontier is not None and target >= self._frontier:
            placed = self._place_next_ranked()      # next, past the works shown so far
            if placed is None:
                return False
            target = placed
        self.position = target
        return True

    def go_to(self, position: int) -> None:
        """Show the work at ``position`` (a search hit); in prioritised order it is placed next."""
        self.position = self._place(position)

    def go_to_work(self, work_id: int) -> bool:
        position = self._position_of.get(work_id)
        if position is None:
            return False
        self.go_to(position)
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
        with self._lock:
            if work_id not in self.verdicts:
                self._screened += 1
            else:
                self._decided.remove(work_id)
            self._decided.append(work_id)
            self.verdicts[work_id] = MyVerdict(verdict, reason, note)
            self._train()       # retrains in the background; the next work below does not wait
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
