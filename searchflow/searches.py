"""Search runs in the store against the protocol: which searches count, renames, retirements.

The protocol says which searches the review counts. The store keeps every search it was
ever given (an id since renamed, an ad hoc import, a search of another protocol sharing
the store): such a search stays, with its records, works and decisions, for audit, but is
"not counted": none of its versions is current, so no count, screening queue or dedup
pass sees it. `run` reconciles the store with the protocol before importing; a search
renamed in the protocol is recognised by its files' sha256 and keeps its works.
Citation chases (`searchflow chase`) are the store's own searches and always count.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .protocol import SEARCH_ID, Protocol, Search
from .store import Store

OWN_CONNECTORS = ("citation",)       # search runs a project command makes: no protocol block to name them


class SearchesError(Exception):
    """A rename or retirement that cannot be done as asked; one line."""


@dataclass
class SearchState:
    """One search in the store: its newest version and whether the protocol counts it."""

    search_id: str
    database: str
    method: str
    version: int
    versions: int
    records: int
    counted: bool
    in_protocol: bool
    why: str = ""              # why it is not counted, or where it came from

    def describe(self) -> str:
        state = "counted" if self.counted else f"not counted ({self.why})"
        return (f"{self.search_id}: {self.database}, {self.records} records in version {self.version}"
                f"{f' of {self.versions}' if self.versions > 1 else ''}; {state}")


@dataclass
class Reconciliation:
    """What `run` changed so the store counts exactly the protocol's searches."""

    retired: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)


def protocol_ids(protocol: Protocol) -> set[str]:
    return {search.id for search in protocol.searches}


def _belongs(run: dict, ids: set[str]) -> bool:
    return run["search_id"] in ids or run["connector"] in OWN_CONNECTORS


def list_searches(store: Store, protocol: Protocol) -> list[SearchState]:
    """Every search in the store, in the order first imported, with why it does not count."""
    ids = protocol_ids(protocol)
    last_event: dict[str, dict] = {}
    for event in store.search_events():
        last_event[event["search_id"]] = event
    states = []
    for run in store.latest_runs():
        event = last_event.get(run["search_id"])
        if _belongs(run, ids):
            why = "" if run["counted"] else "in the protocol; counted again at the next run"
        elif event is not None and event["action"] == "retire" and event["note"]:
            # only `searches --retire` retires; an ad hoc import or a run has merely not counted it
            since = "retired" if event["actor"] == "searches" else "not counted since"
            why = f"{event['note']}; {since} {event['time'][:10]}"
        else:
            why = "not in the protocol"
        states.append(SearchState(run["search_id"], run["database"], run["method"], run["version"],
                                  run["versions"], run["record_count"], bool(run["counted"]),
                                  _belongs(run, ids), why))
    return states


def not_counted(store: Store, protocol: Protocol) -> list[SearchState]:
    return [state for state in list_searches(store, protocol) if not state.counted]


def not_counted_lines(store: Store, protocol: Protocol) -> list[str]:
    """The lines `run` and `status` end with: each search kept but not counted."""
    return [f"not counted: {state.search_id} ({state.records} records, {state.why}); kept with its works and "
            f"decisions (`searchflow searches {protocol.path}` renames or retires it)"
            for state in not_counted(store, protocol) if not state.in_protocol]


def status_lines(store: Store, protocol: Protocol) -> list[str]:
    """`status`: the searches whose counting the next run changes, and those not counted."""
    lines = []
    for state in list_searches(store, protocol):
        if state.counted and not state.in_protocol:
            lines.append(f"not in the protocol: {state.search_id} ({state.records} records); "
                         f"not counted from the next run")
        elif not state.counted and state.in_protocol:
            lines.append(f"not counted: {state.search_id} ({state.records} records); in the protocol, "
                         f"counted again at the next run")
    return lines + not_counted_lines(store, protocol)


def unreconciled(store: Store, protocol: Protocol) -> list[str]:
    """Searches whose counting differs from what the protocol says until the next run."""
    return [state.search_id for state in list_searches(store, protocol) if state.counted != state.in_protocol]


def reconcile(store: Store, protocol: Protocol) -> Reconciliation:
    """Count the protocol's searches and no others: a counted search the protocol no longer
    names stops counting; a search it names again counts again. Call inside a transaction."""
    ids = protocol_ids(protocol)
    done = Reconciliation()
    for run in store.latest_runs():
        belongs = _belongs(run, ids)
        if run["counted"] and not belongs:
            store.set_search_counted(run["search_id"], False, actor="run", note="not in the protocol")
            done.retired.append(run["search_id"])
        elif not run["counted"] and belongs:
            store.set_search_counted(run["search_id"], True, actor="run", note="in the protocol")
            done.restored.append(run["search_id"])
    return done


def adopt_renamed(store: Store, protocol: Protocol, search_id: str, fingerprint: str) -> str | None:
    """A search new to the store whose files are byte for byte those of one search the protocol
    no longer names is that search renamed: it takes the new id (keeping its works and
    decisions) and counts again. Returns the old id, or None."""
    if store.latest_run(search_id) is not None:
        return None
    ids = protocol_ids(protocol)
    same = [run for run in store.latest_runs()
            if run["fingerprint"] == fingerprint and not _belongs(run, ids)]
    if len(same) != 1:
        return None                      # none, or several: which one was renamed is not known
    old = same[0]["search_id"]
    store.rename_search(old, search_id, actor="run", note="same files (sha256) as the protocol's search")
    store.set_search_counted(search_id, True, actor="run", note="in the protocol")
    return old


def rename(store: Store, protocol: Protocol, old: str, new: str) -> SearchState:
    """Search ``old`` takes the id ``new`` with every version, record, work and decision; it
    counts when the protocol names ``new``."""
    if not SEARCH_ID.fullmatch(new):
        raise SearchesError(f"search id {new!r}: expected letters, digits, '-', '_', '.' or ':'")
    with store.transaction():
        if store.latest_run(old) is None:
            raise SearchesError(f"unknown search {old!r}; `searchflow searches {protocol.path}` lists them")
        if store.latest_run(new) is not None:
            raise SearchesError(f"search {new!r} is already in the store; to give its id to {old!r}, rename it "
                                f"first (e.g. --rename {new} {new}-superseded): it is kept, not counted")
        store.rename_search(old, new, actor="searches")
        counts = new in protocol_ids(protocol)
        if bool(store.current_run(new)) != counts:
            store.set_search_counted(new, counts, actor="searches",
                                     note="in the protocol" if counts else "not in the protocol")
    return _state(store, protocol, new)


def retire(store: Store, protocol: Protocol, search_id: str, note: str = "") -> SearchState:
    """Stop counting a search the protocol no longer names, now and with a note, rather than
    at the next run. Its records, works and decisions stay."""
    if search_id in protocol_ids(protocol):
        raise SearchesError(f"search {search_id!r} is still in {protocol.path}; remove its [[search]] block "
                            f"first (else the next run counts it again)")
    with store.transaction():
        if store.latest_run(search_id) is None:
            raise SearchesError(f"unknown search {search_id!r}; `searchflow searches {protocol.path}` lists them")
        store.set_search_counted(search_id, False, actor="searches", note=note.strip() or "retired")
    return _state(store, protocol, search_id)


def _state(store: Store, protocol: Protocol, search_id: str) -> SearchState:
    return next(s for s in list_searches(store, protocol) if s.search_id == search_id)


def protocol_block(search: Search, protocol_path: Path) -> str:
    """The [[search]] table that makes an ad hoc import one of the protocol's searches."""
    def quoted(value: str) -> str:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'

    base = protocol_path.resolve().parent
    files = [Path(os.path.relpath(path.resolve(), base)).as_posix() for path in search.files]
    lines = ["[[search]]", f"id = {quoted(search.id)}", f"database = {quoted(search.database)}"]
    for key in ("platform", "method", "date", "query"):
        value = getattr(search, key)
        if value:
            lines.append(f"{key} = {quoted(value)}")
    lines.append("files = [" + ", ".join(quoted(f) for f in files) + "]")
    if search.format:
        lines.append(f"format = {quoted(search.format)}")
    return "\n".join(lines)
