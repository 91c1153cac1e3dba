"""PubMed through NCBI's E-utilities: complete, polite, replayable searches and citation chasing.

A PubMed search run is a conversation with E-utilities: esearch on the history
server, then efetch in batches. Every response is stored (compressed) in the
``eutils_response`` table as it arrives, an efetch reply in the same commit as its
records, which are read from it once (in reader processes for a big search, while
the next batches are fetched). A search replays offline and identically from the
stored responses (and is not read again at all while they and PARSER_VERSION are
unchanged), and an interrupted search resumes from the batch it reached. PubMed will not page
past the first 10,000 records of a result set, so a bigger search is split by
publication date (and, for a single day, by PMID range) until every slice is under
10,000; the slices' counts must add up to PubMed's total.

HTTP goes through requests rather than Bio.Entrez's own opener, because Entrez
hard-codes NCBI's URL (no mirrors, proxies or test servers), sets no timeout and
sleeps a fixed 15 s between retries. Replies are read into records by
:mod:`searchflow.sources.pubmed_xml`.
"""
from __future__ import annotations

import gc
import hashlib
import json
import logging
import multiprocessing
import os
import time
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Callable, Iterable, Iterator

import requests
import urllib3

from .. import __version__
from ..changes import SearchChange
from ..protocol import Protocol, ProtocolError, Search
from ..progress import progress
from ..records import Record
from ..store import Store
from .chunked import workers_available
from .pubmed_xml import (
    PARSER_VERSION, CorruptResponse, EfetchResult, EsearchResult, NcbiError, encoded_entries, encoded_records,
    parse_efetch, peek_efetch, read_efetch, read_elink, read_esearch,
)

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"
PAGE_LIMIT = 10_000          # PubMed: retstart + retmax <= 10,000 within one result set
BATCH_SIZE = 500             # records per efetch request
ELINK_BATCH = 100            # seeds per elink request (one LinkSet each)
FIRST_DATE = date(1500, 1, 1)    # before PubMed's oldest publication date
MAX_PMID = 99_999_999
LINKNAMES = {"refs": "pubmed_pubmed_refs", "citedby": "pubmed_pubmed_citedin"}
PUBMED_SETTINGS_KEYS = {"email", "tool", "batch_size"}
FINGERPRINT_PREFIX = "pubmed-reader-"


class EutilsError(Exception):
    """PubMed cannot be searched as asked (offline, refused, replay mismatch); one line for the user."""


# ------------------------------------------------------------------ settings

@dataclass
class PubMedSettings:
    """How to reach E-utilities. The API key lives only here: never stored, printed or logged."""

    base_url: str = DEFAULT_BASE_URL
    api_key: str | None = field(default=None, repr=False)
    email: str = ""
    tool: str = "searchflow"
    requests_per_second: float | None = None   # None: NCBI's limit (10 with a key, else 3); 0: no limit
    batch_size: int = BATCH_SIZE
    timeout: float = 60.0
    max_tries: int = 6
    backoff: float = 1.0                        # first retry delay in seconds; doubles, at most 60
    progress: bool = True
    reader_processes: int | None = None         # None: one per core when there are 2 or more; 0: none

    @classmethod
    def from_protocol(cls, protocol: Protocol | None = None, api_key: str | None = None) -> "PubMedSettings":
        """Settings from the protocol's [pubmed] table and the environment
        (SEARCHFLOW_EUTILS_URL, NCBI_API_KEY, NCBI_EMAIL); ``api_key`` wins over the environment."""
        table = (protocol.raw.get("pubmed") if protocol is not None else None) or {}
        where = protocol.path if protocol is not None else "protocol"
        if not isinstance(table, dict):
            raise ProtocolError(f"{where}: pubmed: expected a table ([pubmed])")
        for key in table:
            if key not in PUBMED_SETTINGS_KEYS:
                raise ProtocolError(f"{where}: pubmed.{key}: expected one of the known keys "
                                    f"({', '.join(sorted(PUBMED_SETTINGS_KEYS))}), got {key!r}")
        batch = table.get("batch_size", BATCH_SIZE)
        if not isinstance(batch, int) or isinstance(batch, bool) or not 1 <= batch <= PAGE_LIMIT:
            raise ProtocolError(f"{where}: pubmed.batch_size: expected an integer from 1 to 10000, got {batch!r}")
        base_url = os.environ.get("SEARCHFLOW_EUTILS_URL") or DEFAULT_BASE_URL
        return cls(
            base_url=base_url if base_url.endswith("/") else base_url + "/",
            api_key=api_key or os.environ.get("NCBI_API_KEY") or None,
            email=str(table.get("email") or os.environ.get("NCBI_EMAIL") or ""),
            tool=str(table.get("tool") or "searchflow"),
            batch_size=batch,
        )


# ------------------------------------------------------------------ HTTP

class EutilsClient:
    """POSTs to E-utilities at NCBI's pace, retrying what is worth retrying.

    Always POST: the parameters (and the API key) then never appear in a URL, so
    not in proxy logs or exception messages either.
    """

    def __init__(self, settings: PubMedSettings):
        self.settings = settings
        limit = settings.requests_per_second
        if limit is None:
            limit = 10.0 if settings.api_key else 3.0
        # 5% over 1/limit: NCBI counts arrivals per second, and arrivals jitter
        self.interval = 1.05 / limit if limit else 0.0
        self._last = float("-inf")
        self.http = requests.Session()
        self.http.headers["User-Agent"] = f"searchflow/{__version__} (+tool={settings.tool})"

    def _wait_turn(self) -> None:
        if self.interval:
            wait = self._last + self.interval - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self._last = time.monotonic()

    def post(self, utility: str, params: dict[str, Any], check: Callable[[bytes], Any]) -> tuple[bytes, Any]:
        """The reply body and ``check(body)``; retries 429, 5xx, timeouts, resets and unreadable XML."""
        s = self.settings
        url = f"{s.base_url}{utility}.fcgi"
        data = dict(params, tool=s.tool)
        if s.email:
            data["email"] = s.email
        if s.api_key:
            data["api_key"] = s.api_key
        problem = ""
        for attempt in range(1, s.max_tries + 1):
            self._wait_turn()
            retry_after: float | None = None
            try:
                with self.http.post(url, data=data, timeout=s.timeout, stream=True) as response:
                    status, headers = response.status_code, response.headers
                    body = _read_body(response) if status < 400 else b""
                if status == 429 or status >= 500:
                    problem = f"HTTP {status}"
                    retry_after = _retry_after(headers.get("Retry-After"))
                elif status >= 400:
                    raise EutilsError(f"{utility}: PubMed refused the request (HTTP {status}) at {s.base_url}")
                else:
                    try:
                        return body, check(body)
                    except CorruptResponse as exc:
                        problem = f"unreadable reply: {exc}"
            except requests.Timeout:
                problem = f"no reply within {s.timeout:g} s"
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError,
                    requests.exceptions.ContentDecodingError) as exc:
                problem = f"connection failed ({type(exc).__name__})"
            if attempt < s.max_tries:
                delay = retry_after if retry_after is not None else min(s.backoff * 2 ** (attempt - 1), 60.0)
                log.warning("%s: %s; try %d of %d in %.1f s", utility, problem, attempt + 1, s.max_tries, delay)
                time.sleep(delay)
        raise EutilsError(f"{utility}: no usable reply from PubMed at {s.base_url} after {s.max_tries} tries "
                          f"({problem})")


def _read_body(response: requests.Response) -> bytes:
    """The whole body in one read: .content reads 10 KB at a time and iter_content in pieces too,
    3x the CPU on a 3 MB efetch reply. A broken read raises what iter_content would have raised."""
    try:
        return response.raw.read(decode_content=True)
    except urllib3.exceptions.ProtocolError as exc:
        raise requests.exceptions.ChunkedEncodingError(exc) from None
    except urllib3.exceptions.DecodeError as exc:
        raise requests.exceptions.ContentDecodingError(exc) from None
    except urllib3.exceptions.ReadTimeoutError as exc:
        raise requests.ConnectionError(exc) from None
    except urllib3.exceptions.SSLError as exc:
        raise requests.exceptions.SSLError(exc) from None


def _retry_after(value: str | None) -> float | None:
    try:
        return min(max(float(value), 0.0), 120.0) if value else None
    except ValueError:
        return None


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
        pool = self.records.pool() if self.records is not None and utility == "efetch" else None
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
        self.flush(keep=self.records.processes if pool is not None else 0)
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


class RunRecords:
    """A pending search run's records, stored with the efetch replies they come from, each PMID
    once (the first fetched wins: date slices can overlap).

    The records of stored replies replayed on resuming are in the store already, so they are only
    counted; before the first new ones are stored (and before the run completes) the stored
    records are checked against that count, and rebuilt from the stored replies if they differ
    (replies dropped on resuming, or stored by a searchflow that kept records apart)."""

    # replies read here before a search counts as big enough to start reader processes
    READ_HERE = 1

    def __init__(self, store: Store, run_id: int, previous_run_id: int | None, processes: int | None = 0):
        self.store = store
        self.run_id = run_id
        self.previous_run_id = previous_run_id
        self.processes = processes if processes is not None else default_reader_processes()
        self.seen: set[str] = set()
        self.count = 0                              # records of the replies so far
        self.carried: dict[str, int] | None = None  # previous version's works not yet claimed
        self.live = 0                               # live replies asked for
        self._pool: ProcessPoolExecutor | None = None

    def pool(self) -> ProcessPoolExecutor | None:
        """Reader processes for the next live reply, once the search has shown it is big."""
        self.live += 1
        if self._pool is None and self.processes and self.live > self.READ_HERE:
            # fork where there is one, as for big file imports (sources/chunked.py): spawn would re-run a
            # script that lacks a main guard. A reader freezes what it inherits, so the collector does not
            # rescan it between replies (several percent of a reader's time otherwise)
            method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
            self._pool = ProcessPoolExecutor(self.processes, mp_context=multiprocessing.get_context(method),
                                             initializer=gc.freeze)
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _new(self, pmids: Iterable[str]) -> list[bool]:
        fresh = []
        for pmid in pmids:
            if pmid:
                if pmid in self.seen:
                    fresh.append(False)
                    continue
                self.seen.add(pmid)
            fresh.append(True)
        return fresh

    def replayed(self, records: list[Record]) -> None:
        self.count += sum(self._new(record.pmid for record in records))

    def add(self, records: list[tuple[str, tuple]]) -> None:
        """Store a live reply's new records, (PMID, stored values) each (inside the reply's transaction)."""
        if self.carried is None:
            self.sync()
        fresh = [values for (_, values), new in zip(records, self._new(pmid for pmid, _ in records)) if new]
        self.store.add_encoded(self.run_id, None, fresh, first_position=self.count + 1, carried=self.carried)
        self.count += len(fresh)

    def sync(self) -> None:
        keys = self.store.run_record_keys(self.run_id)
        if len(keys) != self.count:
            self.rebuild()
            keys = self.store.run_record_keys(self.run_id)
        self.carried = self.store.carried_works(self.previous_run_id)
        for _, fingerprint, _ in keys:
            self.carried.pop(fingerprint, None)

    def rebuild(self) -> None:
        """The records read again from the stored replies, as a run completed in one go stores them."""
        self.store.drop_run_records(self.run_id)
        self.count = self.store.add_records(self.run_id, None, stored_records(self.store, self.run_id),
                                            previous_run_id=self.previous_run_id)
        self.carried = None

    def ready(self) -> bool:
        """The stored records are those of the stored replies, each in the work a completion now
        would give it: meanwhile dedup or a reviewer may have moved the previous version's records
        to other works, or a dedup pass may have compared records past these ids."""
        keys = self.store.run_record_keys(self.run_id)
        if len(keys) != self.count:
            return False
        if keys and min(record_id for record_id, _, _ in keys) <= self.store.dedup_checkpoint():
            return False
        carried = self.store.carried_works(self.previous_run_id)
        return all(carried.pop(fingerprint, work) == work for _, fingerprint, work in keys)


def default_reader_processes() -> int:
    """One reader process per core (at most 4): reading costs about three times what storing does."""
    cores = workers_available()
    return min(cores, 4) if cores >= 2 else 0


# ------------------------------------------------------------------ searching

@dataclass
class Slice:
    """Part of a search PubMed will page through whole: a publication-date range, maybe a PMID range."""

    mindate: date
    maxdate: date
    uids: tuple[int, int] | None = None
    count: int = 0

    def describe(self) -> str:
        text = f"{self.mindate:%Y/%m/%d}-{self.maxdate:%Y/%m/%d}"
        return text + (f" PMIDs {self.uids[0]}-{self.uids[1]}" if self.uids else "")


@dataclass
class SearchOutcome:
    total: int                      # PubMed's count for the whole query, when the search began
    translation: str
    slices: list[Slice]             # empty when the search was under 10,000 and fetched whole
    pmids: list[str]                # every PMID fetched, once, in fetch order
    warnings: list[str] = field(default_factory=list)
    slices_add_up: bool = True      # the slices' counts sum to PubMed's total


def _parse_limit(value: str, end: bool) -> date | None:
    """Protocol mindate/maxdate ("2015", "2015-06", "2015/06/30") as a day; a maxdate ends its period."""
    if not value:
        return None
    try:
        parts = [int(p) for p in value.replace("-", "/").split("/")]
        year, month, day = (parts + [0, 0])[:3]
        if len(parts) > 3 or year < 1000 or month > 12:
            raise ValueError
        if not month:
            return date(year, 12, 31) if end else date(year, 1, 1)
        if not day:
            if not end:
                return date(year, month, 1)
            return date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
        return date(year, month, day)
    except ValueError:
        raise EutilsError(f"{'maxdate' if end else 'mindate'} {value!r} is not a date "
                          f"(YYYY, YYYY/MM or YYYY/MM/DD)") from None


class PubMedSearch:
    """The steps of one search over a conversation; the same steps replay from stored responses."""

    def __init__(self, conversation: Conversation, query: str, *, mindate: str = "", maxdate: str = "",
                 today: date, batch_size: int = BATCH_SIZE,
                 progress: Callable[[int, int], None] | None = None):
        self.conversation = conversation
        self.query = query
        self.explicit_dates = bool(mindate or maxdate)
        self.lo = _parse_limit(mindate, end=False) or FIRST_DATE
        self.hi = _parse_limit(maxdate, end=True) or date(today.year + 5, 12, 31)
        self.batch_size = batch_size
        self.progress = progress or (lambda done, total: None)
        self.warnings: list[str] = []

    # -- requests

    def esearch(self, piece: Slice | None, retmax: int, history: bool) -> EsearchResult:
        params: dict[str, Any] = {"db": "pubmed", "term": self._term(piece), "retmax": str(retmax)}
        if piece is not None or self.explicit_dates:
            lo, hi = (piece.mindate, piece.maxdate) if piece is not None else (self.lo, self.hi)
            params.update(datetype="pdat", mindate=f"{lo:%Y/%m/%d}", maxdate=f"{hi:%Y/%m/%d}")
        if history:
            params["usehistory"] = "y"
        result = self.conversation.call("esearch", params, read_esearch)
        if isinstance(result, NcbiError):
            raise EutilsError(f"PubMed refused the search {self.query!r}: {result.message}")
        return result

    def _term(self, piece: Slice | None) -> str:
        if piece is None or piece.uids is None:
            return self.query
        return f"({self.query}) AND {piece.uids[0]}:{piece.uids[1]}[uid]"

    def efetch(self, params: dict[str, Any]) -> EfetchResult | NcbiError:
        return self.conversation.call("efetch", {"db": "pubmed", "retmode": "xml", **params}, read_efetch)

    # -- the search

    def run(self) -> SearchOutcome:
        first = self.esearch(None, PAGE_LIMIT, history=True)
        self.warnings += [f"PubMed: {note}" for note in first.notes]
        total = first.count
        fetched: dict[str, None] = {}
        if total < PAGE_LIMIT:
            slices: list[Slice] = []
            self.fetch_slice(None, first, fetched, total)
        else:
            slices = self.split(Slice(self.lo, self.hi, None, total))
            planned = sum(s.count for s in slices)
            if planned != total:
                self.warnings.append(f"the {len(slices)} date slices count {planned} records, "
                                     f"PubMed's total is {total}")
            for piece in slices:
                self.fetch_slice(piece, self.esearch(piece, PAGE_LIMIT, history=True), fetched, total)
        if slices:
            final = self.esearch(None, 0, history=False).count
            if final != total:
                self.warnings.append(f"PubMed's total moved from {total} to {final} while the search ran; "
                                     f"this run holds the {len(fetched)} records fetched")
        return SearchOutcome(total, first.translation, slices, list(fetched), self.warnings,
                             slices_add_up=sum(s.count for s in slices) == total if slices else True)

    def split(self, piece: Slice) -> list[Slice]:
        """Halve the date range (then, within one day, the PMID range) until each slice is under 10,000."""
        if piece.count == 0:
            return []
        if piece.count < PAGE_LIMIT:
            return [piece]
        if piece.uids is None and piece.mindate < piece.maxdate:
            middle = piece.mindate + (piece.maxdate - piece.mindate) // 2
            halves = [Slice(piece.mindate, middle), Slice(middle + timedelta(days=1), piece.maxdate)]
        else:
            lo, hi = piece.uids or (1, MAX_PMID)
            if lo >= hi:
                self.warnings.append(f"slice {piece.describe()} still has {piece.count} records; "
                                     f"only the first {PAGE_LIMIT} can be fetched")
                return [piece]
            middle = (lo + hi) // 2
            halves = [Slice(piece.mindate, piece.maxdate, (lo, middle)),
                      Slice(piece.mindate, piece.maxdate, (middle + 1, hi))]
        for half in halves:
            half.count = self.esearch(half, 0, history=False).count
        if sum(h.count for h in halves) != piece.count:
            self.warnings.append(f"slice {piece.describe()} counted {piece.count} records, its halves "
                                 f"{' + '.join(str(h.count) for h in halves)}")
        return [s for half in halves for s in self.split(half)]

    def fetch_slice(self, piece: Slice | None, result: EsearchResult, fetched: dict[str, None],
                    total: int) -> None:
        """efetch a slice's (or the whole search's) history set in batches, then any PMID esearch
        listed that did not come back."""
        if piece is not None and result.count >= PAGE_LIMIT:
            self.warnings.append(f"slice {piece.describe()} grew to {result.count} records meanwhile")
        expected = list(result.ids)
        retstart, retried = 0, False
        webenv, query_key = result.webenv, result.query_key
        while retstart < min(result.count, PAGE_LIMIT) and webenv:
            reply = self.efetch({"WebEnv": webenv, "query_key": query_key, "retstart": str(retstart),
                                 "retmax": str(self.batch_size)})
            if isinstance(reply, NcbiError):
                if retried:
                    raise EutilsError(f"PubMed refused to fetch records: {reply.message}")
                # the history server forgot this set (a resumed search): search the slice again
                retried = True
                again = self.esearch(piece, PAGE_LIMIT, history=True)
                webenv, query_key = again.webenv, again.query_key
                known = set(expected)
                expected += [i for i in again.ids if i not in known]
                continue
            for pmid in reply.pmids:
                fetched.setdefault(pmid)
            retstart += self.batch_size
            self.progress(len(fetched), total)
        missing = [pmid for pmid in expected if pmid not in fetched]
        for start in range(0, len(missing), self.batch_size):
            chunk = missing[start:start + self.batch_size]
            reply = self.efetch({"id": ",".join(chunk)})
            if isinstance(reply, NcbiError):
                raise EutilsError(f"PubMed refused to fetch records: {reply.message}")
            for pmid in reply.pmids:
                fetched.setdefault(pmid)
            self.progress(len(fetched), total)
        gone = [pmid for pmid in expected if pmid not in fetched]
        if gone:
            self.warnings.append(f"{len(gone)} PMIDs listed by esearch could not be fetched "
                                 f"(deleted or withdrawn?): {_listing(gone)}")


def stored_records(store: Store, run_id: int) -> Iterator[Record]:
    """The run's records, read from its stored efetch responses: each PMID once, in fetch order."""
    seen: set[str] = set()
    for seq, utility, _ in store.eutils_requests(run_id):
        if utility != "efetch":
            continue
        for record in parse_efetch(store.eutils_body(run_id, seq)):
            if record.pmid and record.pmid in seen:
                continue
            seen.add(record.pmid)
            yield record


def _run_fingerprint(store: Store, run_id: int) -> str:
    """What a PubMed run's records are read from: its stored exchanges, and this reader's version.
    A run whose fingerprint this still is would replay to the same records, so it is not read again."""
    return f"{FINGERPRINT_PREFIX}{PARSER_VERSION}:{store.eutils_digest(run_id)}"


def _reader_version(fingerprint: str) -> int:
    head = fingerprint.partition(":")[0]
    version = head[len(FINGERPRINT_PREFIX):]
    return int(version) if head.startswith(FINGERPRINT_PREFIX) and version.isdigit() else 1


def _digest(fingerprints: Iterable[str]) -> str:
    digest = hashlib.sha256()
    for fingerprint in fingerprints:
        digest.update(fingerprint.encode("ascii"))
    return digest.hexdigest()


def _listing(values: list[str], limit: int = 20) -> str:
    shown = ", ".join(values[:limit])
    return shown + (f", ... ({len(values) - limit} more)" if len(values) > limit else "")


def _limits(search: Search) -> str:
    parts = [f"{name}={value}" for name, value in (("mindate", search.mindate), ("maxdate", search.maxdate)) if value]
    return "; ".join(parts)


# ------------------------------------------------------------------ a protocol's PubMed search

def run_search(store: Store, search: Search, settings: PubMedSettings, *, refresh: bool = False,
               today: date | None = None) -> tuple[SearchChange, list[str]]:
    """Run, resume or replay one ``connector = "pubmed"`` search; the change and report lines.

    Without ``refresh`` a search already run with the same query is replayed from its stored
    responses (offline). With ``refresh``, or a changed query, it runs again as a search update:
    a new version, reporting new PMIDs and PMIDs no longer returned.
    """
    limits = _limits(search)
    current = store.current_run(search.id)
    same = (current is not None and current["connector"] == "pubmed" and current["query"] == search.query
            and current["limits"] == limits)
    if same and not refresh:
        return _replay(store, search, current)
    # two processes running one search would write the same pending run's replies
    with store.exclusive(f"search-{search.id}", f"PubMed search {search.id!r}"):
        return _run(store, search, settings, limits, today)


def _run(store: Store, search: Search, settings: PubMedSettings, limits: str,
         today: date | None) -> tuple[SearchChange, list[str]]:
    """:func:`run_search` when the search goes to PubMed: this process alone runs it."""
    current = store.current_run(search.id)          # as it stands now that this process runs it
    pending = store.pending_run(search.id)
    if pending is not None and (pending["query"], pending["limits"]) != (search.query, limits):
        _discard(store, pending["id"])
        pending = None
    if pending is None:
        day = today or date.today()
        run_id = store.begin_pending_run(
            search.id, database=search.database, method=search.method, connector="pubmed",
            platform=search.platform or "PubMed (NCBI E-utilities)", query=search.query, limits=limits,
            date_run=day.isoformat(), round=search.round)
    else:
        run_id, day = pending["id"], date.fromisoformat(pending["date_run"])
    records = RunRecords(store, run_id, current["id"] if current is not None else None, settings.reader_processes)
    conversation = Conversation(store, run_id, EutilsClient(settings), search.id, records)
    resumed = len(conversation.stored)
    try:
        with progress(f"PubMed {search.id}", enabled=settings.progress) as update:
            outcome = PubMedSearch(conversation, search.query, mindate=search.mindate, maxdate=search.maxdate,
                                   today=day, batch_size=settings.batch_size, progress=update).run()
            conversation.flush()
    except EutilsError as exc:
        try:
            conversation.flush()            # keep the replies already fetched: a rerun resumes after them
        except EutilsError:
            pass
        if not store.eutils_requests(run_id):
            _discard(store, run_id)
        raise EutilsError(f"search {search.id!r}: {exc}") from None
    finally:
        conversation.close()

    version, count = _complete(store, run_id, current, outcome.total, outcome.translation, records)
    change = SearchChange(search.id, "new" if current is None else "changed", version, count,
                          current["record_count"] if current is not None else 0)
    change.warnings += [f"{search.id}: {w}" for w in outcome.warnings]
    if not settings.email:
        change.warnings.append("no contact email sent to NCBI: add email = \"...\" under [pubmed] in the "
                               "protocol or set NCBI_EMAIL")
    messages = [f"{search.id}: PubMed reported {outcome.total} hits"
                + (f" (fetched in {len(outcome.slices)} date slices, whose counts "
                   f"{'add up to' if outcome.slices_add_up else 'do NOT add up to'} the total)"
                   if outcome.slices else "")
                + (f"; resumed after {resumed} stored responses" if resumed else "")
                + f"; query translation: {outcome.translation}"]
    if current is not None:
        change.carried = store.carried_records(run_id, current["id"])
        messages += _changes(store, search.id, current["id"], run_id)
    return change, messages


def _complete(store: Store, run_id: int, current: Any, hits: int | None, translation: str,
              records: RunRecords | None = None) -> tuple[int, int]:
    """The pending run becomes current, its records stored (as its replies arrived, or now from
    the stored replies): one transaction."""
    with store.transaction():
        if records is None:
            records = RunRecords(store, run_id, current["id"] if current is not None else None)
            records.rebuild()
        elif not records.ready():
            records.rebuild()
        version = store.complete_run(run_id, fingerprint=_run_fingerprint(store, run_id),
                                     hits_reported=hits, query_translation=translation)
    return version, records.count


def _discard(store: Store, run_id: int) -> None:
    """An abandoned pending run goes with its records and the works made for them."""
    with store.transaction():
        store.drop_run_records(run_id)
        store.discard_run(run_id)


def _replay(store: Store, search: Search, current: Any) -> tuple[SearchChange, list[str]]:
    """The current version again, offline. Its stored responses and this reader's version still
    giving its fingerprint, nothing is read: unchanged. Otherwise (a newer reader of PubMed XML)
    the records are read again from the stored responses: identical records keep the version
    (which now notes this reader); different ones make a new version built from the same
    responses, decisions carried over for records that did not change."""
    fingerprint = _run_fingerprint(store, current["id"])
    unchanged = SearchChange(search.id, "unchanged", current["version"], current["record_count"],
                             current["record_count"])
    if current["fingerprint"] == fingerprint:
        return unchanged, []
    was = _reader_version(current["fingerprint"])
    why = (f"the PubMed reader changed from version {was} to {PARSER_VERSION}" if was != PARSER_VERSION
           else "the stored responses changed")
    read_again = f"{search.id}: records read again from the responses stored on {current['date_run']} ({why})"
    replayed = [Store.record_fingerprint(r) for r in stored_records(store, current["id"])]
    if replayed == store.run_fingerprints(current["id"]):
        store.update_search_run(current["id"], fingerprint=fingerprint)
        return unchanged, [f"{read_again}; no record changed"]
    run_id = store.begin_pending_run(
        search.id, database=current["database"], method=current["method"], connector="pubmed",
        platform=current["platform"], query=current["query"], limits=current["limits"],
        date_run=current["date_run"], round=current["round"])
    store.copy_eutils_responses(current["id"], run_id)
    version, count = _complete(store, run_id, current, current["hits_reported"], current["query_translation"])
    change = SearchChange(search.id, "changed", version, count, current["record_count"],
                          carried=store.carried_records(run_id, current["id"]))
    return change, [f"{read_again}; no new search was run"]


def _changes(store: Store, search_id: str, old_run: int, new_run: int) -> list[str]:
    old, new = set(store.run_pmids(old_run)), set(store.run_pmids(new_run))
    added = sorted(new - old, key=int)
    dropped = sorted(old - new, key=int)
    lines = [f"{search_id}: search update: {len(added)} new PMIDs, {len(dropped)} no longer returned"]
    if added:
        lines.append(f"  new: {_listing(added)}")
    if dropped:
        lines.append(f"  no longer returned: {_listing(dropped)}")
    return lines


# ------------------------------------------------------------------ citation chasing

@dataclass
class ChaseResult:
    """What a chase found, for the report: seeds, how each was found in PubMed, links, failures."""

    search_id: str
    direction: str
    version: int = 0
    seeds: dict[int, str] = field(default_factory=dict)          # work -> PMID
    resolved_by: dict[int, str] = field(default_factory=dict)    # work -> "doi" | "title" (no PMID stored)
    unresolved: list[tuple[int, str]] = field(default_factory=list)   # (work, title or DOI)
    links: dict[int, int] = field(default_factory=dict)          # work -> linked records stored
    records: int = 0
    warnings: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"{self.search_id}: {self.records} records linked ({self.direction}) from "
               f"{len(self.seeds)} seed works (version {self.version})"]
        for work, pmid in self.seeds.items():
            how = f", found by {self.resolved_by[work]}" if work in self.resolved_by else ""
            out.append(f"  work {work} (PMID {pmid}{how}): {self.links.get(work, 0)} records")
        if self.unresolved:
            out.append(f"{len(self.unresolved)} seed works not found in PubMed (chase their references by hand):")
            out += [f"  work {work}: {label}" for work, label in self.unresolved]
        return out + self.warnings


def _resolve(conversation: Conversation, term: str) -> str:
    """The one PMID a search finds, else ""."""
    result = conversation.call("esearch", {"db": "pubmed", "term": term, "retmax": "2"}, read_esearch)
    if isinstance(result, NcbiError) or result.count != 1 or not result.ids:
        return ""
    return result.ids[0]


def _title_term(title: str) -> str:
    words = "".join(c if c.isalnum() else " " for c in title).split()
    return f"\"{' '.join(words)}\"[ti]" if words else ""


def chase(store: Store, work_ids: Iterable[int], *, direction: str = "both", settings: PubMedSettings,
          today: date | None = None) -> ChaseResult:
    """Reference lists (refs) and citing articles (citedby) of the seed works, through elink, stored as a
    "citation" search run with each record's seed work. Works without a PMID are looked up by DOI,
    then title. Chasing the same seeds in the same direction again is a new version of that run."""
    if direction not in ("refs", "citedby", "both"):
        raise ValueError(f"direction must be refs, citedby or both, not {direction!r}")
    wanted = sorted({int(w) for w in work_ids})
    if not wanted:
        raise EutilsError("no seed works to chase")
    known = store.work_identifiers(wanted)
    unknown = [w for w in wanted if w not in known]
    if unknown:
        raise EutilsError(f"no work with id {', '.join(map(str, unknown))} in this project")
    linknames = [LINKNAMES[d] for d in (("refs", "citedby") if direction == "both" else (direction,))]
    search_id = f"citation:{direction}:{hashlib.sha1(','.join(map(str, wanted)).encode()).hexdigest()[:8]}"
    with store.exclusive(f"search-{search_id}", "this citation chase"):
        return _chase(store, wanted, known, linknames, search_id, direction, settings, today)


def _chase(store: Store, wanted: list[int], known: dict[int, dict[str, Any]], linknames: list[str],
           search_id: str, direction: str, settings: PubMedSettings, today: date | None) -> ChaseResult:
    """:func:`chase` once this process alone runs it."""
    result = ChaseResult(search_id, direction)
    current = store.current_run(search_id)
    pending = store.pending_run(search_id)
    if pending is not None:
        _discard(store, pending["id"])        # chases are short: start again rather than resume
    day = today or date.today()
    run_id = store.begin_pending_run(
        search_id, database="PubMed", method="citation", connector="citation",
        platform="NCBI E-utilities ELink", query="", date_run=day.isoformat())
    conversation = Conversation(store, run_id, EutilsClient(settings), search_id)
    try:
        for work in wanted:
            ident = known[work]
            pmid = ident["pmid"]
            if not pmid and ident["doi"]:
                pmid = _resolve(conversation, f"\"{ident['doi']}\"[aid]")
                if pmid:
                    result.resolved_by[work] = "doi"
            if not pmid and ident["title"]:
                term = _title_term(ident["title"])
                pmid = _resolve(conversation, term) if term else ""
                if pmid:
                    result.resolved_by[work] = "title"
            if pmid:
                result.seeds[work] = pmid
            else:
                result.unresolved.append((work, ident["title"] or ident["doi"] or "(no title, DOI or PMID)"))

        linked: dict[int, list[str]] = {work: [] for work in result.seeds}
        by_pmid: dict[str, list[int]] = {}
        for work, pmid in result.seeds.items():
            by_pmid.setdefault(pmid, []).append(work)
        seeds = list(by_pmid)
        for linkname in linknames:
            for start in range(0, len(seeds), ELINK_BATCH):
                chunk = seeds[start:start + ELINK_BATCH]
                # a list of ids is sent as repeated id= parameters: one LinkSet per seed
                reply = conversation.call("elink", {"dbfrom": "pubmed", "db": "pubmed", "linkname": linkname,
                                                    "id": chunk}, read_elink)
                if isinstance(reply, NcbiError):
                    raise EutilsError(f"PubMed refused the citation links: {reply.message}")
                for seed, links in reply:
                    for work in by_pmid.get(seed, []):
                        linked[work] += [p for p in links.get(linkname, []) if p not in linked[work]]
        targets = list(dict.fromkeys(p for pmids in linked.values() for p in pmids))
        records: dict[str, Record] = {}
        for start in range(0, len(targets), settings.batch_size):
            reply = conversation.call("efetch", {"db": "pubmed", "retmode": "xml",
                                                 "id": ",".join(targets[start:start + settings.batch_size])},
                                      read_efetch)
            if isinstance(reply, NcbiError):
                raise EutilsError(f"PubMed refused to fetch records: {reply.message}")
            for record in reply.records:
                records.setdefault(record.pmid, record)
    except EutilsError as exc:
        _discard(store, run_id)
        raise EutilsError(f"citation chasing: {exc}") from None

    missing = [p for p in targets if p not in records]
    if missing:
        result.warnings.append(f"{len(missing)} linked PMIDs could not be fetched: {_listing(missing)}")
    query = (f"{' + '.join(linknames)} of PMIDs "
             + ", ".join(f"{pmid} (work {work})" for work, pmid in result.seeds.items()))
    with store.transaction():
        store.update_search_run(run_id, query=query)
        previous = current["id"] if current is not None else None
        for work, pmids in linked.items():
            found = [records[p] for p in pmids if p in records]
            result.links[work] = store.add_records(run_id, None, found, previous_run_id=previous,
                                                   seed_work_id=work)
        result.version = store.complete_run(run_id, fingerprint=_digest(store.run_fingerprints(run_id)),
                                            hits_reported=sum(len(p) for p in linked.values()))
    result.records = sum(result.links.values())
    return result
