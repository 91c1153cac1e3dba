"""PubMed search runs: run or resume one, store its records as replies arrive, complete it as a
new version of its search, or replay it offline from its stored responses.

A search replays from its stored responses and is not read again at all while they and
PARSER_VERSION are unchanged; a newer reader reads them again.
"""
from __future__ import annotations

import hashlib
from datetime import date
from typing import Any, Iterable, Iterator

from ... import search_runs
from ...changes import SearchChange
from ...progress import progress
from ...protocol import Search
from ...records import Record
from ...store import Store
from ..pubmed_xml import PARSER_VERSION, parse_efetch
from .client import EutilsClient, EutilsError
from .conversation import Conversation
from .readers import ReaderPool
from .settings import PubMedSettings
from .slicing import PubMedSearch, listing

FINGERPRINT_PREFIX = "pubmed-reader-"


class RunRecords:
    """A pending search run's records, stored with the efetch replies they come from, each PMID
    once (the first fetched wins: date slices can overlap).

    The records of stored replies replayed on resuming are in the store already, so they are only
    counted; before the first new ones are stored (and before the run completes) the stored
    records are checked against that count, and rebuilt from the stored replies if they differ
    (replies dropped on resuming, or stored by a searchflow that kept records apart)."""

    def __init__(self, store: Store, run_id: int, previous_run_id: int | None, processes: int | None = 0):
        self.store = store
        self.run_id = run_id
        self.previous_run_id = previous_run_id
        self.readers = ReaderPool(processes)        # reads live efetch replies (see Conversation.call)
        self.seen: set[str] = set()
        self.count = 0                              # records of the replies so far
        self.carried: dict[str, int] | None = None  # previous version's works not yet claimed

    def close(self) -> None:
        """End the reader processes."""
        self.readers.close()

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


def digest(fingerprints: Iterable[str]) -> str:
    """One digest of a run's record fingerprints (a citation chase's run fingerprint)."""
    hashed = hashlib.sha256()
    for fingerprint in fingerprints:
        hashed.update(fingerprint.encode("ascii"))
    return hashed.hexdigest()


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
    run = search_runs.begin(
        store, search.id, connector="pubmed", database=search.database, method=search.method,
        platform=search.platform or "PubMed (NCBI E-utilities)", query=search.query, limits=limits,
        date_run=(today or date.today()).isoformat(), round=search.round, resume=True)
    records = RunRecords(store, run.id, run.previous_run_id, settings.reader_processes)
    conversation = Conversation(store, run.id, EutilsClient(settings), search.id, records)
    resumed = len(conversation.stored)
    try:
        with progress(f"PubMed {search.id}", enabled=settings.progress) as update:
            outcome = PubMedSearch(conversation, search.query, mindate=search.mindate, maxdate=search.maxdate,
                                   today=date.fromisoformat(run.date_run), batch_size=settings.batch_size,
                                   progress=update).run()
            conversation.flush()
    except EutilsError as exc:
        try:
            conversation.flush()            # keep the replies already fetched: a rerun resumes after them
        except EutilsError:
            pass
        if not store.eutils_requests(run.id):
            search_runs.discard(store, run.id)
        raise EutilsError(f"search {search.id!r}: {exc}") from None
    finally:
        conversation.close()

    change = _complete(store, run, outcome.total, outcome.translation, records)
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
    if run.previous is not None:
        messages += _changes(store, search.id, run.previous_run_id, run.id)
    return change, messages


def _complete(store: Store, run: search_runs.PendingRun, hits: int | None, translation: str,
              records: RunRecords | None = None) -> SearchChange:
    """The pending run completed as its search's next version, its records stored (as its replies
    arrived, or now from the stored replies): one transaction."""
    with store.transaction():
        if records is None:
            records = RunRecords(store, run.id, run.previous_run_id)
            records.rebuild()
        elif not records.ready():
            records.rebuild()
        return search_runs.complete(store, run, _run_fingerprint(store, run.id), hits, translation)


def _replay(store: Store, search: Search, current: Any) -> tuple[SearchChange, list[str]]:
    """The current version again, offline. Its stored responses and this reader's version still
    giving its fingerprint, nothing is read: unchanged. Otherwise (a newer reader of PubMed XML)
    the records are read again from the stored responses: identical records keep the version
    (which now notes this reader); different ones make a new version built from the same
    responses, decisions carried over for records that did not change."""
    fingerprint = _run_fingerprint(store, current["id"])
    unchanged = search_runs.unchanged(store, search.id, fingerprint)
    if unchanged is not None:
        return unchanged, []
    was = _reader_version(current["fingerprint"])
    why = (f"the PubMed reader changed from version {was} to {PARSER_VERSION}" if was != PARSER_VERSION
           else "the stored responses changed")
    read_again = f"{search.id}: records read again from the responses stored on {current['date_run']} ({why})"
    replayed = [Store.record_fingerprint(r) for r in stored_records(store, current["id"])]
    if replayed == store.run_fingerprints(current["id"]):
        store.update_search_run(current["id"], fingerprint=fingerprint)
        return search_runs.unchanged(store, search.id, fingerprint), [f"{read_again}; no record changed"]
    with store.exclusive(f"search-{search.id}", f"PubMed search {search.id!r}"):   # as run_search's
        run = search_runs.begin(
            store, search.id, connector="pubmed", database=current["database"], method=current["method"],
            platform=current["platform"], query=current["query"], limits=current["limits"],
            date_run=current["date_run"], round=current["round"])
        store.copy_eutils_responses(current["id"], run.id)
        change = _complete(store, run, current["hits_reported"], current["query_translation"])
    return change, [f"{read_again}; no new search was run"]


def _changes(store: Store, search_id: str, old_run: int, new_run: int) -> list[str]:
    old, new = set(store.run_pmids(old_run)), set(store.run_pmids(new_run))
    added = sorted(new - old, key=int)
    dropped = sorted(old - new, key=int)
    lines = [f"{search_id}: search update: {len(added)} new PMIDs, {len(dropped)} no longer returned"]
    if added:
        lines.append(f"  new: {listing(added)}")
    if dropped:
        lines.append(f"  no longer returned: {listing(dropped)}")
    return lines

