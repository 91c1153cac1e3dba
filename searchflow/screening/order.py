"""The order a reviewer's screening list comes in: as imported, random or prioritised.

One rule for the screening screen and for scripts. As imported is the assigned works'
order; random is that order shuffled, seeded so it is the same every time for this reviewer
and stage; prioritised puts the works already decided first, in the order decided, then each
next work is the best-ranked one not yet placed of the newest ranking the model has finished
(import order until there is one). The model learns from this reviewer's own verdicts only
(blinding).
"""
from __future__ import annotations

import random
from typing import Container, Sequence

from ..protocol import ORDERS, Protocol
from ..store import Store
from . import prioritise
from .events import reviewer_verdicts
from .state import assigned_works

PRIORITISED, AS_IMPORTED, RANDOM = ORDERS          # the order key cycles through them in this order


def prioritise_on(protocol: Protocol) -> bool:
    """``[screening] prioritise = true`` or a table of thresholds."""
    return protocol.screening.prioritise is not None


def default_order(protocol: Protocol) -> str:
    """``[screening] order`` if given, else prioritised when the protocol prioritises, else as imported."""
    if protocol.screening.order is None:
        return PRIORITISED if prioritise_on(protocol) else AS_IMPORTED
    return protocol.screening.order


def shuffled(protocol: Protocol, reviewer: str, stage: str, works: Sequence[int]) -> list[int]:
    """Random order: the works shuffled whole (a filter then keeps the order), seeded by
    ``[screening] seed``, the reviewer and the stage."""
    order = list(works)
    random.Random(f"{protocol.screening.seed}:{reviewer}:{stage}").shuffle(order)
    return order


def next_ranked(ranking: Sequence[int] | None, works: Sequence[int], placed: Container[int],
                listed: Container[int] | None = None) -> int | None:
    """Prioritised order's next work: the best-ranked of ``works`` (the ranking holds their
    indices, likeliest first) not placed yet and let through by the filter (``listed``); with no
    ranking yet, or none of it left, the first such work in the order given. None when none is left."""
    if ranking:
        for index in ranking:
            work = works[index]
            if work not in placed and (listed is None or work in listed):
                return work
    for work in works:
        if work not in placed and (listed is None or work in listed):
            return work
    return None


def queue(store: Store, protocol: Protocol, reviewer: str, stage: str, works: Sequence[int] | None = None,
          order: str | None = None, settings: prioritise.Settings | None = None) -> list[int]:
    """The works this reviewer has still to screen at this stage, in the order their screening
    list brings them (``order``: the protocol's unless given; ``works``: the assigned works
    unless given). Prioritised, the ranking is trained here and now, on this reviewer's verdicts
    on these works: the order the list reaches once its model has caught up."""
    works = list(works) if works is not None else assigned_works(store, protocol, reviewer, stage)
    order = order or default_order(protocol)
    if order == PRIORITISED:
        settings = settings or prioritise.settings_from_protocol(protocol)
        mine = reviewer_verdicts(store, reviewer, stage)
        index_of = {work: i for i, work in enumerate(works)}
        labels = prioritise.training_labels({w: d.verdict for w, d in mine.items() if w in index_of})
        labelled = {index_of[w]: v for w, v in labels.items()}
        if not prioritise.can_rank(labels, settings):
            return [w for w in works if w not in mine]
        ranking = prioritise.rank(prioritise.work_texts(store, works), labelled, settings)
        return [works[i] for i in ranking if works[i] not in mine]
    done = store.screened_works(reviewer, stage)
    return [w for w in (shuffled(protocol, reviewer, stage, works) if order == RANDOM else works) if w not in done]
