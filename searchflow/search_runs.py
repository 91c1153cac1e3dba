"""A search run from start to finish, the same for every source: file imports, PubMed, citation chasing.

A run starts pending (it counts nothing), takes its records, and is completed as the next
version of its search: the one place a version number is made. The previous version is the
search's newest completed one, counted or not; an identical record in it gives its work (and
so its decisions) to the new one. A file import begins, adds and completes in one transaction;
a connector commits its replies as they arrive (an interrupted search resumes its pending run)
and completes in one transaction. Completing makes the new version current: a search the
protocol does not name stops counting again afterwards (see :mod:`searchflow.searches`).
"""
from __future__ import annotations

from dataclasses import dataclass

from .changes import SearchChange
from .store import Store


@dataclass
class PendingRun:
    """A search run under way: records go into ``id`` until it is completed or discarded."""

    id: int
    search_id: str
    date_run: str
    previous: dict | None       # the newest completed version, counted or not; None for a new search
    resumed: bool = False       # an interrupted run taken up again, its stored replies kept

    @property
    def previous_run_id(self) -> int | None:
        """What records are added with, so identical ones keep their works."""
        return self.previous["id"] if self.previous is not None else None


def unchanged(store: Store, search_id: str, fingerprint: str) -> SearchChange | None:
    """The search's newest version (counted or not) when it has this fingerprint: nothing to import."""
    latest = store.latest_run(search_id)
    if latest is None or latest["fingerprint"] != fingerprint:
        return None
    return SearchChange(search_id, "unchanged", latest["version"], latest["record_count"], latest["record_count"])


def begin(store: Store, search_id: str, *, connector: str, database: str, method: str, platform: str = "",
          query: str = "", limits: str = "", date_run: str = "", round: int = 1,
          resume: bool = False) -> PendingRun:
    """A pending run of the search. With ``resume``, an interrupted run of the same connector,
    query and limits is taken up again; any other pending run is discarded (a search has one)."""
    pending = store.pending_run(search_id)
    if pending is not None:
        if resume and (pending["connector"], pending["query"], pending["limits"]) == (connector, query, limits):
            return PendingRun(pending["id"], search_id, pending["date_run"], store.latest_run(search_id), True)
        discard(store, pending["id"])
    run_id = store.begin_pending_run(search_id, database=database, method=method, connector=connector,
                                     platform=platform, query=query, limits=limits, date_run=date_run, round=round)
    return PendingRun(run_id, search_id, date_run, store.latest_run(search_id))


def complete(store: Store, run: PendingRun, fingerprint: str, hits: int | None,
             translation: str = "") -> SearchChange:
    """The pending run becomes the search's next version, current from now on; what that changed."""
    with store.transaction():
        version = store.complete_run(run.id, fingerprint=fingerprint, hits_reported=hits,
                                     query_translation=translation)
        records = store.current_run(run.search_id)["record_count"]
        previous = run.previous
        if previous is None:
            return SearchChange(run.search_id, "new", version, records)
        return SearchChange(run.search_id, "changed", version, records, previous["record_count"],
                            carried=store.carried_records(run.id, previous["id"]))


def discard(store: Store, run_id: int) -> None:
    """An abandoned pending run goes with its records and the works made for them."""
    with store.transaction():
        store.drop_run_records(run_id)
        store.discard_run(run_id)
