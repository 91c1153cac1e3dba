"""Who screens which work, and which search runs' works are screened at title/abstract.

With two reviewers both screen every work; ``second_reviewer_share`` keeps the first
reviewer on every work and gives the second a seeded share. With three or more reviewers
each work gets a seeded pair. Works with a record from a database or register search are
screened at title/abstract; works found only by other methods go straight to full text,
unless the search says ``screen = true`` or ``[screening] screen_other_methods = true``.
The works of each stage are listed by :mod:`.state`.
"""
from __future__ import annotations

import hashlib
from typing import Callable

from ..protocol import DATABASE_METHODS, Protocol
from ..store import Store
from .settings import screen_other_methods, second_reviewer_share, seed


def title_abstract_runs(store: Store, protocol: Protocol) -> list[int]:
    """Current search runs whose records are screened at title/abstract."""
    default = screen_other_methods(protocol)
    runs = []
    for run in store.search_runs(current_only=True):
        if run["method"] in DATABASE_METHODS:
            runs.append(run["id"])
            continue
        try:
            screen = protocol.search(run["search_id"]).screen
        except KeyError:      # an ad hoc `searchflow import`
            screen = None
        if screen if screen is not None else default:
            runs.append(run["id"])
    return runs


def assigner(protocol: Protocol, stage: str) -> Callable[[int], tuple[str, ...]]:
    """``work id -> who screens it`` at a stage, with the protocol's settings read once
    (it runs for every work of a 100,000-work project)."""
    names = tuple(protocol.screening.reviewers)
    if len(names) <= 1:
        return lambda work_id: names
    share = second_reviewer_share(protocol, stage)
    if len(names) == 2 and share >= 1:
        return lambda work_id: names
    salt = seed(protocol)

    def assign(work_id: int) -> tuple[str, ...]:
        digest = hashlib.blake2b(f"{salt}:{work_id}".encode(), digest_size=8).digest()
        h = int.from_bytes(digest, "big")
        if len(names) == 2:
            first, second = names
        else:
            i = (h >> 20) % len(names)
            j = (h >> 40) % (len(names) - 1)
            first, second = names[i], names[j + (j >= i)]
        if (h % 1_000_000) / 1_000_000 < share:
            return (first, second)
        return (first,)

    return assign


def work_reviewers(protocol: Protocol, stage: str, work_id: int) -> tuple[str, ...]:
    """Who screens this work at this stage. Deterministic: a seeded hash of the work id, so
    adding a search later never reshuffles earlier assignments."""
    return assigner(protocol, stage)(work_id)
