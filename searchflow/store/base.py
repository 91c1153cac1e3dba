"""The Store interface: what the rest of searchflow asks of a project store, whatever holds it.

Every module outside ``searchflow/store/`` depends on :class:`Store` alone, never on a
database: a backend (SQLite today, :mod:`searchflow.store.sqlite`) implements each abstract
method below. Rows come back as plain dicts (or tuples where a hot path reads a hundred
thousand of them), never a driver's row type. Decisions, merges, pair verdicts, blinding,
study links and search events are append-only: no method updates or deletes one.
"""
from __future__ import annotations

from abc import abstractmethod
from contextlib import AbstractContextManager
from typing import Any, Hashable, Iterable, Iterator

from ..records import Record
from .encoding import encode_record, record_fingerprint
from .replies import ReplyCache


class StoreError(Exception):
    """The store cannot be used as asked (newer schema, not a searchflow store, a task already
    running elsewhere): one line for the user."""


class Store(ReplyCache):
    """One project's store. Open one with :func:`searchflow.store.open_store`; close it when done."""

    # The columns of decision_tuples' tuples, in order.
    DECISION_COLUMNS = ("id", "work_id", "stage", "reviewer", "kind", "verdict", "reason", "note", "time", "undoes")

    # ------------------------------------------------------------ the store itself

    @property
    @abstractmethod
    def location(self) -> str:
        """What :func:`~searchflow.store.open_store` takes to open this store again: another
        process (the prioritisation model's) opens its own connection from it."""

    @property
    @abstractmethod
    def schema_version(self) -> int:
        """The schema's version number: an older store is migrated when opened, a newer refused."""

    @abstractmethod
    def close(self) -> None:
        """Release the connection."""

    @abstractmethod
    def transaction(self) -> AbstractContextManager[None]:
        """All of the block's writes or none of them: an import, a merge or a resolution is one
        transaction. Writers queue instead of failing; a nested block joins the outer one."""

    @property
    @abstractmethod
    def in_transaction(self) -> bool:
        """Inside an open transaction, whose writes a rollback may still undo (a cache built
        from them must not be kept)."""

    @abstractmethod
    def exclusive(self, task: str, what: str) -> AbstractContextManager[None]:
        """Only one process at a time runs ``task`` on this store: a PubMed search takes minutes,
        far too long to hold the store's write lock, which would stall reviewers' decisions.
        Released when the process dies, so a killed search can resume at once. Raises
        :class:`StoreError` naming ``what`` when another process runs it."""

    @abstractmethod
    def change_counter(self) -> Hashable:
        """A value that changes whenever the data does, through this connection or any other:
        what tells a cached derivation (the screening state) it is stale."""

    def ids_taken(self) -> None:
        """Rows were written with their ids (a copy of another store): rows added from now on
        must get ids after them. A store whose ids follow the largest one already needs nothing."""

    @property
    def derived(self) -> dict[Any, Any]:
        """What other modules derive from this store's contents, kept with it by owner (the
        screening state's :class:`~searchflow.screening.state.StateCache`); each owner keys what
        it keeps on :meth:`change_counter`, so nothing is used after the store changed."""
        return self.__dict__.setdefault("_derived", {})

    @staticmethod
    def record_fingerprint(record: Record) -> str:
        """The fingerprint add_records gives a record (sha1 of its raw tags written out in full)."""
        return record_fingerprint(record)

    # ------------------------------------------------------------ search runs
    # A search run is one version of one search; a changed file or query is a new version and
    # the earlier one stops counting (is_current 0). A search that is not counted has no
    # current version but keeps its records, works and decisions. Every run, a file import's
    # or a connector's, is written in two steps (see :mod:`searchflow.search_runs`): a pending
    # run (version 0, not current) takes its records, then complete_run() gives it the next
    # version number and makes it current. A file import does both in one transaction; a
    # connector commits each reply as it arrives, so an interrupted search resumes.

    @abstractmethod
    def current_run(self, search_id: str) -> dict | None:
        """The search's version that counts, None when none does."""

    @abstractmethod
    def latest_run(self, search_id: str) -> dict | None:
        """A search's newest completed version, whether it counts or not."""

    @abstractmethod
    def latest_runs(self) -> list[dict]:
        """Every search's newest completed version, with ``counted`` (1 if it has a current
        version) and ``versions``, in the order the searches were first imported."""

    @abstractmethod
    def search_runs(self, current_only: bool = False) -> list[dict]:
        """Every search run (or only those that count), oldest first."""

    @abstractmethod
    def update_search_run(self, run_id: int, **values: Any) -> None:
        """Set a run's hits, translation, counts, dates, limits, query, round or fingerprint
        (ValueError for any other column)."""

    @abstractmethod
    def set_search_counted(self, search_id: str, counted: bool, actor: str, note: str = "") -> None:
        """Count a search again (its newest version becomes current) or stop counting it
        (no version is current); its records, works and decisions stay. Logged."""

    @abstractmethod
    def rename_search(self, old: str, new: str, actor: str, note: str = "") -> None:
        """Every version (and a pending run) of search ``old`` takes the id ``new``. Logged."""

    @abstractmethod
    def add_search_event(self, search_id: str, action: str, previous_id: str = "", actor: str = "",
                         note: str = "") -> int:
        """Log a rename, retirement or restoration of a search."""

    @abstractmethod
    def search_events(self) -> list[dict]:
        """Every search event, oldest first."""

    @abstractmethod
    def add_file(self, run_id: int, *, path: str, sha256: str, size: int, format: str,
                 vendor: str = "", encoding: str = "utf-8") -> int:
        """An export file of a run (PRISMA-S reports each, with its checksum)."""

    @abstractmethod
    def finish_file(self, file_id: int, record_count: int, vendor: str, encoding: str) -> None:
        """What reading the file found: its records, vendor and text encoding."""

    @abstractmethod
    def run_files(self, run_id: int) -> list[dict]:
        """A run's files in the order they were imported."""

    @abstractmethod
    def carried_records(self, run_id: int, previous_run_id: int) -> int:
        """How many of a run's records are identical to one of the previous version's."""

    # ------------------------------------------------------------ records

    def add_records(self, run_id: int, file_id: int | None, records: Iterable[Record],
                    previous_run_id: int | None = None, batch: int = 2000,
                    seed_work_id: int | None = None, *, first_position: int = 1,
                    carried: dict[str, int] | None = None) -> int:
        """Store records, each in a work of its own unless an identical record of the
        previous version of this search already has one (decisions then carry over)."""
        return self.add_encoded(run_id, file_id, map(encode_record, records), previous_run_id,
                                batch, seed_work_id, first_position=first_position, carried=carried)

    @abstractmethod
    def add_encoded(self, run_id: int, file_id: int | None, encoded: Iterable[tuple],
                    previous_run_id: int | None = None, batch: int = 2000,
                    seed_work_id: int | None = None, *, first_position: int = 1,
                    carried: dict[str, int] | None = None) -> int:
        """:meth:`add_records` for records already through
        :func:`~searchflow.store.encoding.encode_record` (parsed in other processes). The
        store allocates new works' ids itself, safely beside other writers, in the order the
        records come; ``position`` numbers them from ``first_position``."""

    @abstractmethod
    def carried_works(self, previous_run_id: int | None) -> dict[str, int]:
        """fingerprint -> work of the previous version's records: what an identical record keeps.
        Pass it to successive add_records calls of one run so each is claimed once."""

    @abstractmethod
    def record_rows(self, current_only: bool = True, run_id: int | None = None) -> Iterator[dict]:
        """Source records with their run's ``search``, ``database``, ``method`` and ``round``,
        JSON fields and raw tags decoded, in import order (streamed: a store may hold millions)."""

    @abstractmethod
    def field_coverage(self, run_id: int) -> dict[str, int]:
        """How many of a run's records have each normalised field filled, and ``records``."""

    @abstractmethod
    def counts(self) -> dict[str, int]:
        """``records`` and ``works`` over the current search runs, for `status` and change reports."""

    @abstractmethod
    def flow_records(self) -> list[tuple[int, int, int, str, str, str, int]]:
        """(record, work, run, search id, database, method, round) of every current record,
        in import order: all the flow counts need, without decoding the raw tags."""

    @abstractmethod
    def run_record_keys(self, run_id: int) -> list[tuple[int, str, int]]:
        """(record id, fingerprint, work) of a run's records in stored order: what a PubMed run,
        whose records were stored as its replies arrived, checks before it completes."""

    @abstractmethod
    def run_fingerprints(self, run_id: int) -> list[str]:
        """The run's record fingerprints in stored order (a replay must give the same list)."""

    @abstractmethod
    def run_pmids(self, run_id: int) -> list[str]:
        """The run's PMIDs in stored order (what a refreshed PubMed search is compared with)."""

    # ------------------------------------------------------------ pending runs
    # A search's one pending run, before complete_run() makes it a version (see "search runs").

    @abstractmethod
    def pending_run(self, search_id: str) -> dict | None:
        """The search's unfinished run, None when there is none."""

    @abstractmethod
    def begin_pending_run(self, search_id: str, *, database: str, method: str, connector: str,
                          platform: str = "", query: str = "", limits: str = "", date_run: str = "",
                          round: int = 1) -> int:
        """Start a search run (a file import's or a connector's) that counts nothing until
        :meth:`complete_run`; a search has at most one pending run."""

    @abstractmethod
    def complete_run(self, run_id: int, *, fingerprint: str, hits_reported: int | None,
                     query_translation: str = "") -> int:
        """The pending run becomes its search's next version (one more than its newest, counted
        or not), current from now on, earlier versions no longer current; its records are counted
        into it (``record_count``). Returns the version. The only place a version number is made."""

    @abstractmethod
    def discard_run(self, run_id: int) -> None:
        """Drop a pending run and its stored replies."""

    @abstractmethod
    def drop_run_records(self, run_id: int) -> None:
        """Delete a pending run's records, and the works made for them that nothing else refers to."""

    # ------------------------------------------------------------ works

    @abstractmethod
    def new_work(self) -> int:
        """An empty work (a record split off into a work of its own)."""

    @abstractmethod
    def last_work_id(self) -> int:
        """The newest work's id (0 when there is none): what an import is measured from."""

    @abstractmethod
    def current_work_ids_after(self, work_id: int) -> set[int]:
        """Current works made after ``work_id``: what an import brought (dedup may have emptied some)."""

    @abstractmethod
    def work_exists(self, work_id: int) -> bool:
        """Whether the id names a work at all (counted or not)."""

    @abstractmethod
    def is_current_work(self, work_id: int) -> bool:
        """A work counts while it has a member in a current search run (dedup may empty it)."""

    @abstractmethod
    def current_work_ids(self) -> set[int]:
        """Every work with a member in a current search run."""

    @abstractmethod
    def work_entries(self, title_abstract_runs: Iterable[int]) -> list[tuple[int, int, int]]:
        """(work, first record id, 1 if a member came from one of ``title_abstract_runs``)
        for every current work, in import order: what the screening lists are built from."""

    @abstractmethod
    def work_texts(self, work_ids: Iterable[int]) -> dict[int, tuple[str, str]]:
        """work id -> (title, abstract) for prioritisation: the longest of each among the
        work's current members."""

    @abstractmethod
    def work_search_texts(self, work_ids: Iterable[int]) -> dict[int, tuple[frozenset[str], str]]:
        """work id -> (the searches that found it, its members' titles, abstracts and keywords as
        one text), for filtering a screening list."""

    @abstractmethod
    def work_records(self, work_id: int) -> list[dict]:
        """A work's current members with their run's ``search``, ``database`` and ``method``,
        JSON fields and raw tags decoded, in import order."""

    @abstractmethod
    def work_identifiers(self, work_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
        """PMID, DOI, title and year of each work (first non-empty among its records);
        works that do not exist are left out."""

    @abstractmethod
    def work_member_ids(self, work_id: int) -> list[int]:
        """The ids of a work's records, counted or not, in import order."""

    # ------------------------------------------------------------ screening decisions
    # Append-only events; the current state is derived from them and an undo is a new event.

    @abstractmethod
    def add_decision(self, work_id: int, stage: str, reviewer: str, kind: str = "verdict",
                     verdict: str | None = None, reason: str = "", note: str = "",
                     undoes: int | None = None, time: str | None = None) -> int:
        """Append one decision event; durable at once unless inside a transaction (a reviewer's
        keypress is kept when the screen moves on)."""

    @abstractmethod
    def decision_events(self, stage: str | None = None, reviewer: str | None = None,
                        work_id: int | None = None, kinds: Iterable[str] | None = None) -> list[dict]:
        """Decision events in the order they happened, each with ``undone`` (1 if an undo cancels it)."""

    @abstractmethod
    def decision_event(self, decision_id: int) -> dict | None:
        """One decision event with ``undone``, None when there is no such event."""

    @abstractmethod
    def decision_tuples(self, stage: str, reviewer: str | None = None, work_id: int | None = None,
                        kinds: Iterable[str] = ("verdict", "resolution"), by_work: bool = False,
                        works_with: Iterable[str] | None = None) -> list[tuple]:
        """Standing events (no undo cancels them) as plain tuples of :attr:`DECISION_COLUMNS`,
        in the order they happened (``by_work``: grouped by work, in the order they happened
        within each work): the fast path for deriving screening state. ``works_with``: only
        works with some event (standing or not) whose verdict is one of these."""

    @abstractmethod
    def screened_works(self, reviewer: str, stage: str) -> set[int]:
        """Works this reviewer has a standing verdict on: a reviewer's queue without loading the verdicts."""

    @abstractmethod
    def decided_works(self, stage: str) -> list[int]:
        """Works with any decision event at a stage, in work order."""

    @abstractmethod
    def latest_standing(self, reviewer: str, stage: str) -> dict | None:
        """This person's latest verdict or resolution at a stage that no undo cancels (what undo takes back)."""

    @abstractmethod
    def standing_match(self, work_id: int, stage: str, reviewer: str, verdict: str, reason: str,
                       note: str, before: str | None = None) -> int | None:
        """The latest standing event with these values, at or before ``before`` (what an imported undo cancels)."""

    @abstractmethod
    def add_blinding(self, stage: str, action: str, lead: str) -> int:
        """The lead unblinds (or blinds again) a stage; the latest event counts."""

    @abstractmethod
    def blinding_action(self, stage: str) -> str | None:
        """The latest blinding event of a stage ('unblind' | 'blind'), None if there is none."""

    @abstractmethod
    def add_study_link(self, report_work: int, study_work: int, reviewer: str) -> int:
        """This report belongs to that study (a link to itself undoes a link)."""

    @abstractmethod
    def study_links(self) -> dict[int, int]:
        """Each report's latest link (report work -> study work), itself when unlinked."""

    # ------------------------------------------------------------ deduplication
    # A work's members are the records whose work points at it; a merge moves records and logs
    # a merge event per record, so it can be reversed. The latest pair decision of a pair is
    # its verdict.

    @abstractmethod
    def dedup_checkpoint(self) -> int:
        """The last record id an earlier dedup pass compared (0 before the first pass)."""

    @abstractmethod
    def add_dedup_run(self, last_record: int, merged: int, possible: int) -> int:
        """A dedup pass done: the next compares only records after ``last_record``."""

    @abstractmethod
    def last_current_record(self) -> int:
        """The newest record id of the current search runs (0 when there is none)."""

    @abstractmethod
    def dedup_rows(self) -> list[dict]:
        """What dedup compares, for every record of the current search runs, in import order:
        no raw tags (they are the bulk of the store and dedup never reads them); ``authors``,
        ``accession``, ``issn`` and ``isbn`` decoded."""

    @abstractmethod
    def move_records(self, moves: Iterable[tuple[int, int, int, str, float | None]], actor: str = "dedup") -> int:
        """Move records to another work: (record, from work, to work, rule, score) each, logged."""

    @abstractmethod
    def merge_events(self, record_id: int | None = None) -> list[dict]:
        """Merge events (of one record, or all), oldest first."""

    @abstractmethod
    def merge_event(self, event_id: int) -> dict | None:
        """One merge event, None when there is no such event."""

    @abstractmethod
    def last_merge_events(self, count: int) -> list[int]:
        """The ids of the latest ``count`` merge events, oldest first (what a move just wrote)."""

    @abstractmethod
    def add_pair_decision(self, record_a: int, record_b: int, verdict: str, score: float | None = None,
                          reviewer: str = "") -> int:
        """A verdict on a pair of records (same, different or possible), in either order."""

    @abstractmethod
    def add_possible_pairs(self, pairs: Iterable[tuple[int, int, float]]) -> int:
        """Queue pairs for review, skipping pairs that already have any verdict; returns how many were queued."""

    @abstractmethod
    def pair_verdicts(self) -> list[dict]:
        """The latest verdict of every pair, with both records' ``fingerprint_a``/``_b`` and
        current ``work_a``/``_b`` (a changed export gives records new ids; the fingerprint
        finds them again), oldest first."""

    @abstractmethod
    def records_by_id(self, record_ids: Iterable[int]) -> dict[int, dict]:
        """Records with their run's ``search``, ``database`` and ``is_current`` (for showing a
        pair side by side), JSON fields and raw tags decoded."""
