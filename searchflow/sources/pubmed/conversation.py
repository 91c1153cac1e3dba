"""A search run's exchanges with E-utilities: stored ones replay in order, new ones are stored as they arrive.

Every response is stored (compressed) in the ``eutils_response`` table, an efetch reply in the
same commit as its records. A search replays offline and identically from them, and an
interrupted search resumes from the batch it reached.
"""
from __future__ import annotations

import json
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from ...store import Store
from ..pubmed_xml import CorruptResponse, EfetchResult, encoded_entries, encoded_records, peek_efetch, read_efetch
from .client import EutilsClient, EutilsError

if TYPE_CHECKING:   # the run's records are handed in by runs.py, which imports this module
    from .runs import RunRecords


def request_json(utility: str, params: dict[str, Any]) -> str:
    """How a request is stored and matched on replay: its own parameters only (no key, tool or email)."""
    return json.dumps({"utility": utility, **params}, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


@dataclass
class _Reply:
    """A live reply not stored yet: its records (PMID and stored values of each) still being read."""

    seq: int
    utility: str
    request: str
    params: dict[str, Any]
    body: bytes
    records: Future | None


class Conversation:
    """One search run's exchanges: stored ones replay in order, then (online) new ones go live
    and are stored as they arrive, each in its own commit, so an interruption loses at most the
    replies still being read. With ``records``, an efetch reply's records are stored in the same
    commit as the reply; a big search reads them in worker processes while the next requests
    are made (at most one reply per process in flight)."""

    def __init__(self, store: Store, run_id: int, client: EutilsClient | None, search_id: str,
                 records: RunRecords | None = None):
        self.store = store
        self.run_id = run_id
        self.client = client
        self.search_id = search_id
        self.records = records
        self.stored = store.eutils_requests(run_id)
        self.position = 0
        self.unstored: deque[_Reply] = deque()

    def call(self, utility: str, params: dict[str, Any], check: Callable[[bytes], Any]) -> Any:
        request = request_json(utility, params)
        if self.position < len(self.stored):
            seq, stored_utility, stored_request = self.stored[self.position]
            if stored_utility == utility and stored_request == request:
                self.position += 1
                parsed = check(self.store.eutils_body(self.run_id, seq))
                if self.records is not None and isinstance(parsed, EfetchResult):
                    self.records.replayed(parsed.records)
                return parsed
            if self.client is None:
                raise EutilsError(f"search {self.search_id!r}: the stored PubMed responses do not match the "
                                  f"requests this version makes (response {seq}); run it again with --refresh")
            # a resumed search took another path (e.g. an expired history): drop what no longer applies
            # (and the records of dropped replies, when the next records are stored: RunRecords.sync)
            self.store.drop_eutils_responses(self.run_id, seq)
            del self.stored[self.position:]
        if self.client is None:
            raise EutilsError(f"search {self.search_id!r}: not stored and offline")
        pool = self.records.readers.pool() if self.records is not None and utility == "efetch" else None
        body, parsed = self.client.post(utility, params, peek_efetch if pool is not None else check)
        seq = self.stored[-1][0] + 1 if self.stored else 1
        self.stored.append((seq, utility, request))
        self.position += 1
        reply = _Reply(seq, utility, request, params, body, None)
        if self.records is not None and isinstance(parsed, EfetchResult):
            if pool is not None:
                reply.records = pool.submit(encoded_records, body)
            else:
                reply.records = _done(encoded_entries(parsed.records))
        self.unstored.append(reply)
        self.flush(keep=self.records.readers.processes if pool is not None else 0)
        return parsed

    def flush(self, keep: int = 0) -> None:
        """Store the live replies, oldest first, until ``keep`` are left being read."""
        while len(self.unstored) > keep:
            reply = self.unstored[0]
            records = None
            if reply.records is not None:
                try:
                    records = reply.records.result()
                except CorruptResponse:
                    # the full read found what the quick check could not: ask again, read here
                    reply.body, parsed = self.client.post(reply.utility, reply.params, read_efetch)
                    if not isinstance(parsed, EfetchResult):
                        raise EutilsError(f"efetch: PubMed refused a request it had answered: {parsed.message}")
                    records = encoded_entries(parsed.records)
            with self.store.transaction():
                if records is not None:         # first: a rebuild (RunRecords.sync) reads the earlier replies only
                    self.records.add(records)
                self.store.add_eutils_response(self.run_id, reply.seq, reply.utility, reply.request, reply.body)
            self.unstored.popleft()

    def close(self) -> None:
        """Drop the replies still being read (an interrupted search fetches them again)."""
        self.unstored.clear()
        if self.records is not None:
            self.records.close()


def _done(value: Any) -> Future:
    future: Future = Future()
    future.set_result(value)
    return future
