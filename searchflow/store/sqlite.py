"""The SQLite store: one file beside the protocol, its schema, migrations and SQL.

WAL journal so two reviewers can screen at once; foreign keys on; the schema version is
SQLite's ``user_version`` and :data:`MIGRATIONS` brings an older store forward. What each
method promises is said once, in :class:`searchflow.store.base.Store`.
"""
from __future__ import annotations

import json
import sqlite3
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator

from .base import Store, StoreError
from .clock import now
from .encoding import JSON_FIELDS, RECORD_FIELDS, decode_raw, decode_record, encode_raw, fingerprint
from .locks import Busy, file_lock
from .replies import SQLiteReplyCache

# Each entry moves the schema from version i to i+1. Never edit a released entry; append.
# An entry is SQL, or the name of a function below that rewrites data SQL cannot.
# A record's stored raw tags may refer to its title and abstract columns (see encoding.py):
# an entry that rewrites those columns must write the raw tags out in full first.
MIGRATIONS: list[str] = [
    # 1: the nouns of the design: search runs, files, source records, works, events.
    """
    CREATE TABLE search_run (
        id                INTEGER PRIMARY KEY,
        search_id         TEXT NOT NULL,              -- the protocol's [[search]] id
        version           INTEGER NOT NULL,           -- a changed file or query is a new version
        is_current        INTEGER NOT NULL DEFAULT 1,
        database          TEXT NOT NULL,
        platform          TEXT NOT NULL DEFAULT '',
        method            TEXT NOT NULL,              -- database | register | website | ... | citation
        query             TEXT NOT NULL DEFAULT '',
        limits            TEXT NOT NULL DEFAULT '',
        date_run          TEXT NOT NULL DEFAULT '',
        round             INTEGER NOT NULL DEFAULT 1,
        hits_reported     INTEGER,
        connector         TEXT NOT NULL DEFAULT 'file', -- file | pubmed | citation
        query_translation TEXT NOT NULL DEFAULT '',
        fingerprint       TEXT NOT NULL,              -- sha256 over what was imported
        record_count      INTEGER NOT NULL DEFAULT 0,
        imported_at       TEXT NOT NULL,
        UNIQUE (search_id, version)
    );
    CREATE TABLE search_file (
        id           INTEGER PRIMARY KEY,
        run_id       INTEGER NOT NULL REFERENCES search_run(id) ON DELETE CASCADE,
        path         TEXT NOT NULL,
        sha256       TEXT NOT NULL,
        bytes        INTEGER NOT NULL,
        format       TEXT NOT NULL,
        vendor       TEXT NOT NULL DEFAULT '',
        encoding     TEXT NOT NULL DEFAULT 'utf-8',
        record_count INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE work (
        id         INTEGER PRIMARY KEY,
        created_at TEXT NOT NULL
    );
    CREATE TABLE source_record (
        id             INTEGER PRIMARY KEY,
        run_id         INTEGER NOT NULL REFERENCES search_run(id) ON DELETE CASCADE,
        file_id        INTEGER REFERENCES search_file(id),
        position       INTEGER NOT NULL,           -- 1-based within its file or response
        line           INTEGER NOT NULL DEFAULT 0,
        work_id        INTEGER NOT NULL REFERENCES work(id),
        fingerprint    TEXT NOT NULL,              -- sha1 of the raw tags: same record in a new version
        raw            TEXT NOT NULL,              -- JSON [[tag, value], ...] verbatim
        title          TEXT NOT NULL DEFAULT '',
        abstract       TEXT NOT NULL DEFAULT '',
        authors        TEXT NOT NULL DEFAULT '[]', -- JSON list of "Family, GI"
        year           INTEGER,
        journal        TEXT NOT NULL DEFAULT '',
        journal_abbrev TEXT NOT NULL DEFAULT '',
        volume         TEXT NOT NULL DEFAULT '',
        issue          TEXT NOT NULL DEFAULT '',
        pages          TEXT NOT NULL DEFAULT '',
        doi            TEXT NOT NULL DEFAULT '',
        pmid           TEXT NOT NULL DEFAULT '',
        pmcid          TEXT NOT NULL DEFAULT '',
        accession      TEXT NOT NULL DEFAULT '{}', -- JSON {"embase": "L…", "wos": "WOS:…"}
        issn           TEXT NOT NULL DEFAULT '[]',
        isbn           TEXT NOT NULL DEFAULT '[]',
        type           TEXT NOT NULL DEFAULT '',
        language       TEXT NOT NULL DEFAULT '',
        keywords       TEXT NOT NULL DEFAULT '[]',
        url            TEXT NOT NULL DEFAULT '',
        databases      TEXT NOT NULL DEFAULT '[]',
        seed_work_id   INTEGER REFERENCES work(id) -- citation chasing: the work whose links found it
    );
    CREATE INDEX source_record_work ON source_record(work_id);
    CREATE INDEX source_record_doi ON source_record(doi) WHERE doi != '';
    CREATE INDEX source_record_pmid ON source_record(pmid) WHERE pmid != '';

    -- dedup: every change of a record's work, so merges can be reversed
    CREATE TABLE merge_event (
        id          INTEGER PRIMARY KEY,
        record_id   INTEGER NOT NULL REFERENCES source_record(id) ON DELETE CASCADE,
        from_work   INTEGER NOT NULL REFERENCES work(id),
        to_work     INTEGER NOT NULL REFERENCES work(id),
        rule        TEXT NOT NULL,               -- exact:doi | fuzzy:<rule> | reviewer | split
        score       REAL,
        actor       TEXT NOT NULL DEFAULT 'dedup',
        time        TEXT NOT NULL
    );
    -- dedup: reviewers' verdicts on possible pairs; always respected on re-runs
    CREATE TABLE pair_decision (
        id        INTEGER PRIMARY KEY,
        record_a  INTEGER NOT NULL REFERENCES source_record(id) ON DELETE CASCADE,
        record_b  INTEGER NOT NULL REFERENCES source_record(id) ON DELETE CASCADE,
        verdict   TEXT NOT NULL CHECK (verdict IN ('same', 'different', 'possible')),
        score     REAL,
        reviewer  TEXT NOT NULL DEFAULT '',
        time      TEXT NOT NULL
    );
    CREATE INDEX pair_decision_pair ON pair_decision(record_a, record_b);

    -- screening: append-only; the current state is derived from these events
    CREATE TABLE decision (
        id        INTEGER PRIMARY KEY,
        work_id   INTEGER NOT NULL REFERENCES work(id),
        stage     TEXT NOT NULL CHECK (stage IN ('title_abstract', 'full_text')),
        reviewer  TEXT NOT NULL,
        kind      TEXT NOT NULL DEFAULT 'verdict' CHECK (kind IN ('verdict', 'undo', 'resolution')),
        verdict   TEXT CHECK (verdict IN ('include', 'exclude', 'maybe', 'not_retrieved')),
        reason    TEXT NOT NULL DEFAULT '',
        note      TEXT NOT NULL DEFAULT '',
        undoes    INTEGER REFERENCES decision(id),
        time      TEXT NOT NULL
    );
    CREATE INDEX decision_work ON decision(work_id, stage);
    CREATE INDEX decision_reviewer ON decision(reviewer, stage);

    -- PubMed: raw E-utilities responses, compressed, so a search replays offline
    CREATE TABLE eutils_response (
        id        INTEGER PRIMARY KEY,
        run_id    INTEGER NOT NULL REFERENCES search_run(id) ON DELETE CASCADE,
        seq       INTEGER NOT NULL,
        utility   TEXT NOT NULL,                 -- esearch | efetch | elink
        request   TEXT NOT NULL,                 -- JSON of the parameters, never the API key
        body      BLOB NOT NULL,                 -- zlib-compressed response
        time      TEXT NOT NULL,
        UNIQUE (run_id, seq)
    );

    -- screening: which verdict an undo cancels is looked up on every screen move
    CREATE INDEX decision_undoes ON decision(undoes) WHERE undoes IS NOT NULL;
    -- screening: undo finds a reviewer's latest event without sorting all of them
    CREATE INDEX decision_reviewer_time ON decision(reviewer, stage, time);
    -- screening: a reviewer's queue reads (record, work, run) of every record without the wide rows
    CREATE INDEX source_record_run_work ON source_record(run_id, work_id);
    -- screening: the lead unblinding (or blinding again) a stage; the latest event counts
    CREATE TABLE blinding (
        id        INTEGER PRIMARY KEY,
        stage     TEXT NOT NULL CHECK (stage IN ('title_abstract', 'full_text')),
        action    TEXT NOT NULL CHECK (action IN ('unblind', 'blind')),
        lead      TEXT NOT NULL,
        time      TEXT NOT NULL
    );
    -- full text: this report belongs to that study (PRISMA counts reports and studies);
    -- append-only, the latest link of a report counts; a link to itself undoes a link
    CREATE TABLE study_link (
        id          INTEGER PRIMARY KEY,
        report_work INTEGER NOT NULL REFERENCES work(id),
        study_work  INTEGER NOT NULL REFERENCES work(id),
        reviewer    TEXT NOT NULL,
        time        TEXT NOT NULL
    );
    """,
    # 2: dedup: each pass remembers the last record it compared, so the next one compares only newer records
    """
    CREATE TABLE dedup_run (
        id           INTEGER PRIMARY KEY,
        last_record  INTEGER NOT NULL,             -- records up to this id have been compared
        merged       INTEGER NOT NULL DEFAULT 0,   -- records moved into another work
        possible     INTEGER NOT NULL DEFAULT 0,   -- new pairs sent to review
        time         TEXT NOT NULL
    );
    """,
    # 3: raw tags in the separator form of encode_raw (JSON before), fingerprints recomputed
    "_reencode_raw",
    # 4: a search's life in the store against the protocol: renamed, no longer counted, counted
    # again. Append-only; a search that is not counted has no current version (is_current = 0)
    # but keeps its records, works and decisions.
    """
    CREATE TABLE search_event (
        id          INTEGER PRIMARY KEY,
        search_id   TEXT NOT NULL,              -- the search's id after the event
        action      TEXT NOT NULL CHECK (action IN ('rename', 'retire', 'restore')),
        previous_id TEXT NOT NULL DEFAULT '',   -- rename: the id before
        actor       TEXT NOT NULL DEFAULT '',
        note        TEXT NOT NULL DEFAULT '',
        time        TEXT NOT NULL
    );
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)
# A source record's columns as an import writes them: where it came from, then its encoded form.
SOURCE_RECORD_COLUMNS = ("run_id", "file_id", "position", "work_id", "seed_work_id", "fingerprint", "line", "raw",
                         *RECORD_FIELDS)

def _reencode_raw(conn: sqlite3.Connection) -> None:
    """Migration 3: raw tags from JSON to the separator form, fingerprints recomputed."""
    rows = conn.execute("SELECT id, raw FROM source_record").fetchall()
    updates = []
    for record_id, stored in rows:
        raw = encode_raw(decode_raw(stored))
        updates.append((raw, fingerprint(raw), record_id))
    conn.executemany("UPDATE source_record SET raw = ?, fingerprint = ? WHERE id = ?", updates)


class SQLiteStore(Store, SQLiteReplyCache):
    """A connection to one project's SQLite store."""

    def __init__(self, conn: sqlite3.Connection, path: Path):
        self.conn = conn
        self.path = path

    @property
    def location(self) -> str:
        return str(self.path)

    # ------------------------------------------------------------ opening

    @classmethod
    def open(cls, path: str | Path) -> "SQLiteStore":
        path = Path(path)
        try:
            conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:      # a missing folder, a directory, no permission
            raise StoreError(f"{path}: cannot open the store ({exc})") from None
        conn.row_factory = sqlite3.Row
        try:
            # records are a few KB each: 16 KB pages store one in a page instead of a page and an
            # overflow page (a fifth off an import). Takes effect on a new store only.
            conn.execute("PRAGMA page_size=16384")
            conn.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError as exc:   # cannot be opened or written: no such folder, read-only
            conn.close()
            raise StoreError(f"{path}: cannot open the store ({exc})") from None
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise StoreError(f"{path}: not a searchflow store ({exc})") from None
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA synchronous=NORMAL")   # durable at commit in WAL mode up to a power cut
        conn.execute("PRAGMA busy_timeout=30000")
        store = cls(conn, path)
        store.migrate()
        return store

    def close(self) -> None:
        self.conn.close()

    def migrate(self) -> None:
        """Bring an older store to :data:`SCHEMA_VERSION`, one transaction per step."""
        version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path}: store schema version {version} is newer than this searchflow "
                f"understands ({SCHEMA_VERSION}); upgrade searchflow"
            )
        for target in range(version, SCHEMA_VERSION):
            with self.transaction():
                step = MIGRATIONS[target]
                if step.startswith("_"):
                    globals()[step](self.conn)
                else:
                    for statement in _split_sql(step):
                        self.conn.execute(statement)
                self.conn.execute(f"PRAGMA user_version={target + 1}")

    @property
    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    @contextmanager
    def transaction(self) -> Iterator[None]:
        # BEGIN IMMEDIATE takes the write lock at once: writers queue (busy_timeout) instead of failing
        if self.conn.in_transaction:  # nested: the outer transaction decides
            yield
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")

    @property
    def in_transaction(self) -> bool:
        return self.conn.in_transaction

    @contextmanager
    def exclusive(self, task: str, what: str) -> Iterator[None]:
        try:
            with file_lock(self.path, task):
                yield
        except Busy:
            raise StoreError(f"{self.path}: {what} is running in another process; "
                             f"wait for it to finish (or stop it) and run again") from None

    def change_counter(self) -> tuple[int, int]:
        # data_version counts other connections' commits, total_changes this connection's writes
        (version,) = self.conn.execute("PRAGMA data_version").fetchone()
        return version, self.conn.total_changes

    def _one(self, sql: str, params: Iterable[Any] = ()) -> dict | None:
        """The first row as a dict (the interface's rows outlive the connection's row type)."""
        row = self.conn.execute(sql, tuple(params)).fetchone()
        return None if row is None else dict(row)

    def _all(self, sql: str, params: Iterable[Any] = ()) -> list[dict]:
        return [dict(row) for row in self.conn.execute(sql, tuple(params))]

    # ------------------------------------------------------------ search runs

    def current_run(self, search_id: str) -> dict | None:
        return self._one("SELECT * FROM search_run WHERE search_id = ? AND is_current = 1", (search_id,))

    def latest_run(self, search_id: str) -> dict | None:
        return self._one(
            "SELECT * FROM search_run WHERE search_id = ? AND version > 0 ORDER BY version DESC LIMIT 1",
            (search_id,))

    def latest_runs(self) -> list[dict]:
        return [dict(row) for row in self.conn.execute(
            """SELECT r.*, (SELECT MAX(c.is_current) FROM search_run c WHERE c.search_id = r.search_id) AS counted,
                      (SELECT COUNT(*) FROM search_run c WHERE c.search_id = r.search_id AND c.version > 0)
                          AS versions,
                      (SELECT MIN(c.id) FROM search_run c WHERE c.search_id = r.search_id) AS first_id
               FROM search_run r
               WHERE r.version = (SELECT MAX(c.version) FROM search_run c WHERE c.search_id = r.search_id)
                 AND r.version > 0
               ORDER BY first_id""")]

    def set_search_counted(self, search_id: str, counted: bool, actor: str, note: str = "") -> None:
        self.conn.execute("UPDATE search_run SET is_current = 0 WHERE search_id = ?", (search_id,))
        if counted:
            self.conn.execute(
                """UPDATE search_run SET is_current = 1 WHERE id =
                   (SELECT id FROM search_run WHERE search_id = ? AND version > 0 ORDER BY version DESC LIMIT 1)""",
                (search_id,))
        self.add_search_event(search_id, "restore" if counted else "retire", actor=actor, note=note)

    def rename_search(self, old: str, new: str, actor: str, note: str = "") -> None:
        self.conn.execute("UPDATE search_run SET search_id = ? WHERE search_id = ?", (new, old))
        self.add_search_event(new, "rename", previous_id=old, actor=actor, note=note)

    def add_search_event(self, search_id: str, action: str, previous_id: str = "", actor: str = "",
                         note: str = "") -> int:
        cur = self.conn.execute(
            "INSERT INTO search_event (search_id, action, previous_id, actor, note, time) VALUES (?, ?, ?, ?, ?, ?)",
            (search_id, action, previous_id, actor, note, now()))
        return cur.lastrowid

    def search_events(self) -> list[dict]:
        return [dict(row) for row in self.conn.execute("SELECT * FROM search_event ORDER BY id")]

    def update_search_run(self, run_id: int, **values: Any) -> None:
        allowed = {"hits_reported", "query_translation", "record_count", "date_run", "limits", "query", "round",
                   "fingerprint"}
        bad = set(values) - allowed
        if bad:
            raise ValueError(f"cannot update search_run columns {sorted(bad)}")
        sets = ", ".join(f"{k} = ?" for k in values)
        self.conn.execute(f"UPDATE search_run SET {sets} WHERE id = ?", (*values.values(), run_id))

    def add_file(self, run_id: int, *, path: str, sha256: str, size: int, format: str,
                 vendor: str = "", encoding: str = "utf-8") -> int:
        cur = self.conn.execute(
            """INSERT INTO search_file (run_id, path, sha256, bytes, format, vendor, encoding)
               VALUES (?, ?, ?, ?, ?, ?, ?)""",
            (run_id, path, sha256, size, format, vendor, encoding),
        )
        return cur.lastrowid

    def finish_file(self, file_id: int, record_count: int, vendor: str, encoding: str) -> None:
        self.conn.execute(
            "UPDATE search_file SET record_count = ?, vendor = ?, encoding = ? WHERE id = ?",
            (record_count, vendor, encoding, file_id),
        )

    def carried_records(self, run_id: int, previous_run_id: int) -> int:
        (count,) = self.conn.execute(
            """SELECT COUNT(*) FROM source_record WHERE run_id = ? AND fingerprint IN
               (SELECT fingerprint FROM source_record WHERE run_id = ?)""", (run_id, previous_run_id)
        ).fetchone()
        return count

    def search_runs(self, current_only: bool = False) -> list[dict]:
        sql = "SELECT * FROM search_run"
        if current_only:
            sql += " WHERE is_current = 1"
        sql += " ORDER BY id"
        return [dict(r) for r in self.conn.execute(sql)]

    def run_files(self, run_id: int) -> list[dict]:
        return [dict(r) for r in self.conn.execute(
            "SELECT * FROM search_file WHERE run_id = ? ORDER BY id", (run_id,))]

    # ------------------------------------------------------------ records

    def carried_works(self, previous_run_id: int | None) -> dict[str, int]:
        if previous_run_id is None:
            return {}
        return dict(self.conn.execute(
            "SELECT fingerprint, work_id FROM source_record WHERE run_id = ?", (previous_run_id,)))

    def add_encoded(self, run_id: int, file_id: int | None, encoded: Iterable[tuple],
                    previous_run_id: int | None = None, batch: int = 2000,
                    seed_work_id: int | None = None, *, first_position: int = 1,
                    carried: dict[str, int] | None = None) -> int:
        if carried is None:
            carried = self.carried_works(previous_run_id)
        created = now()
        pending_rows: list[tuple] = []       # (position, carried work or None, encoded values)
        count = 0
        # SQLite releases the GIL while it writes, so a writer thread overlaps the inserts
        # with parsing the next batch; one batch in flight bounds memory.
        with ThreadPoolExecutor(max_workers=1) as writer:
            pending: Future | None = None
            for position, values in enumerate(encoded, start=first_position):
                pending_rows.append((position, carried.pop(values[0], None), values))
                count += 1
                if len(pending_rows) >= batch:
                    if pending is not None:
                        pending.result()
                    pending = writer.submit(self._flush, run_id, file_id, seed_work_id, created, pending_rows)
                    pending_rows = []
            if pending is not None:
                pending.result()
        self._flush(run_id, file_id, seed_work_id, created, pending_rows)
        return count

    def _flush(self, run_id: int, file_id: int | None, seed_work_id: int | None, created: str,
               batch: list[tuple]) -> None:
        """Write a batch of records, first making the works of those that carry none."""
        new_works = iter(self._new_works(sum(work is None for _, work, _ in batch), created))
        rows = [(run_id, file_id, position, next(new_works) if work is None else work, seed_work_id) + values
                for position, work, values in batch]
        if rows:
            self._insert_records(rows)

    def _insert_records(self, rows: list[tuple]) -> None:
        """One batch of source records, in :data:`SOURCE_RECORD_COLUMNS` order (a backend with
        a faster bulk path of its own, PostgreSQL's COPY, writes them its way)."""
        self.conn.executemany(
            f"""INSERT INTO source_record ({", ".join(SOURCE_RECORD_COLUMNS)})
                VALUES ({", ".join("?" * len(SOURCE_RECORD_COLUMNS))})""",
            rows,
        )

    def _new_works(self, count: int, created: str) -> list[int]:
        """``count`` new works in one statement, their ids ascending. SQLite gives each the next
        rowid as it inserts, so writers beside this one never get the same id (reading
        MAX(id) first and counting on would race them outside a transaction)."""
        if not count:
            return []
        return sorted(row[0] for row in self.conn.execute(
            """WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
               INSERT INTO work (created_at) SELECT ? FROM n RETURNING id""", (count, created)))

    def record_rows(self, current_only: bool = True, run_id: int | None = None) -> Iterator[dict]:
        where, params = [], []
        if current_only:
            where.append("r.is_current = 1")
        if run_id is not None:
            where.append("r.id = ?")
            params.append(run_id)
        sql = """SELECT s.*, r.search_id AS search, r.database AS database, r.method AS method,
                        r.round AS round
                 FROM source_record s JOIN search_run r ON r.id = s.run_id"""
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY s.id"
        for row in self._stream(sql, params):
            yield decode_record(row)

    def _stream(self, sql: str, params: Iterable[Any] = ()) -> Iterator:
        """Rows read as they are consumed, not all at once (SQLite's cursors do that already)."""
        return self.conn.execute(sql, tuple(params))

    def field_coverage(self, run_id: int) -> dict[str, int]:
        parts = []
        for name in RECORD_FIELDS:
            if name == "year":
                parts.append("COUNT(year)")
            elif name in JSON_FIELDS:
                parts.append(f"COUNT(CASE WHEN {name} NOT IN ('[]', '{{}}') THEN 1 END)")
            else:
                parts.append(f"COUNT(NULLIF({name}, ''))")
        row = self.conn.execute(
            f"SELECT COUNT(*), {', '.join(parts)} FROM source_record WHERE run_id = ?", (run_id,)
        ).fetchone()
        return {"records": row[0], **{name: row[i + 1] or 0 for i, name in enumerate(RECORD_FIELDS)}}

    def counts(self) -> dict[str, int]:
        row = self.conn.execute(
            """SELECT COUNT(*), COUNT(DISTINCT s.work_id) FROM source_record s
               JOIN search_run r ON r.id = s.run_id WHERE r.is_current = 1"""
        ).fetchone()
        return {"records": row[0], "works": row[1]}

    # ------------------------------------------------------------ pending runs
    # Every search run is first a pending row (version 0, not current) that takes its records;
    # complete_run() then gives it the next version number and makes it current.

    def pending_run(self, search_id: str) -> dict | None:
        return self._one("SELECT * FROM search_run WHERE search_id = ? AND version = 0", (search_id,))

    def begin_pending_run(self, search_id: str, *, database: str, method: str, connector: str,
                          platform: str = "", query: str = "", limits: str = "", date_run: str = "",
                          round: int = 1) -> int:
        cur = self.conn.execute(
            """INSERT INTO search_run (search_id, version, is_current, database, platform, method,
                   query, limits, date_run, round, connector, fingerprint, imported_at)
               VALUES (?, 0, 0, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)""",
            (search_id, database, platform, method, query, limits, date_run, round, connector, now()),
        )
        return cur.lastrowid

    def complete_run(self, run_id: int, *, fingerprint: str, hits_reported: int | None,
                     query_translation: str = "") -> int:
        (search_id,) = self.conn.execute("SELECT search_id FROM search_run WHERE id = ?", (run_id,)).fetchone()
        (last,) = self.conn.execute(
            "SELECT COALESCE(MAX(version), 0) FROM search_run WHERE search_id = ?", (search_id,)
        ).fetchone()
        self.conn.execute("UPDATE search_run SET is_current = 0 WHERE search_id = ?", (search_id,))
        (count,) = self.conn.execute(
            "SELECT COUNT(*) FROM source_record WHERE run_id = ?", (run_id,)).fetchone()
        self.conn.execute(
            """UPDATE search_run SET version = ?, is_current = 1, fingerprint = ?, hits_reported = ?,
                   query_translation = ?, record_count = ?, imported_at = ? WHERE id = ?""",
            (last + 1, fingerprint, hits_reported, query_translation, count, now(), run_id),
        )
        return last + 1

    def discard_run(self, run_id: int) -> None:
        self.conn.execute("DELETE FROM search_run WHERE id = ? AND version = 0", (run_id,))

    def run_record_keys(self, run_id: int) -> list[tuple[int, str, int]]:
        return [tuple(row) for row in self.conn.execute(
            "SELECT id, fingerprint, work_id FROM source_record WHERE run_id = ? ORDER BY position", (run_id,))]

    def drop_run_records(self, run_id: int) -> None:
        works = [row[0] for row in self.conn.execute(
            "SELECT DISTINCT work_id FROM source_record WHERE run_id = ?", (run_id,))]
        self.conn.execute("DELETE FROM source_record WHERE run_id = ?", (run_id,))
        among, ids = self._among(works)
        self.conn.execute(
            f"""DELETE FROM work WHERE id {among}
                   AND NOT EXISTS (SELECT 1 FROM source_record s WHERE s.work_id = work.id)
                   AND NOT EXISTS (SELECT 1 FROM decision d WHERE d.work_id = work.id)
                   AND id NOT IN (SELECT from_work FROM merge_event UNION SELECT to_work FROM merge_event
                                  UNION SELECT report_work FROM study_link UNION SELECT study_work FROM study_link
                                  UNION SELECT seed_work_id FROM source_record WHERE seed_work_id IS NOT NULL)""",
            (ids,))

    def _among(self, ids: list[int]) -> tuple[str, Any]:
        """``column <among>`` true for these ids, and its one parameter (SQLite takes a JSON list)."""
        return "IN (SELECT value FROM json_each(?))", json.dumps(ids)

    def run_fingerprints(self, run_id: int) -> list[str]:
        return [row[0] for row in self.conn.execute(
            "SELECT fingerprint FROM source_record WHERE run_id = ? ORDER BY id", (run_id,))]

    def run_pmids(self, run_id: int) -> list[str]:
        return [row[0] for row in self.conn.execute(
            "SELECT pmid FROM source_record WHERE run_id = ? AND pmid != '' ORDER BY id", (run_id,))]

    def work_identifiers(self, work_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
        found: dict[int, dict[str, Any]] = {}
        for work_id in work_ids:
            rows = self.conn.execute(
                "SELECT pmid, doi, title, year FROM source_record WHERE work_id = ? ORDER BY id",
                (int(work_id),)).fetchall()
            if not rows:
                continue
            found[int(work_id)] = {
                key: next((row[key] for row in rows if row[key]), "" if key != "year" else None)
                for key in ("pmid", "doi", "title", "year")
            }
        return found

    def flow_records(self) -> list[tuple[int, int, int, str, str, str, int]]:
        cursor = self.conn.cursor()
        cursor.row_factory = None       # plain tuples straight from SQLite: no Row objects to convert
        return cursor.execute(
            """SELECT s.id, s.work_id, r.id, r.search_id, r.database, r.method, r.round
               FROM source_record s JOIN search_run r ON r.id = s.run_id
               WHERE r.is_current = 1 ORDER BY s.id""").fetchall()

    # ------------------------------------------------------------ screening

    def last_work_id(self) -> int:
        (last,) = self.conn.execute("SELECT COALESCE(MAX(id), 0) FROM work").fetchone()
        return last

    def current_work_ids_after(self, work_id: int) -> set[int]:
        return {row[0] for row in self.conn.execute(
            """SELECT DISTINCT s.work_id FROM source_record s JOIN search_run r ON r.id = s.run_id
               WHERE r.is_current = 1 AND s.work_id > ?""", (work_id,))}

    def work_exists(self, work_id: int) -> bool:
        return self.conn.execute("SELECT 1 FROM work WHERE id = ?", (work_id,)).fetchone() is not None

    def is_current_work(self, work_id: int) -> bool:
        return self.conn.execute(
            """SELECT 1 FROM source_record s JOIN search_run r ON r.id = s.run_id
               WHERE s.work_id = ? AND r.is_current = 1 LIMIT 1""", (work_id,)
        ).fetchone() is not None

    def current_work_ids(self) -> set[int]:
        return {row[0] for row in self.conn.execute(
            """SELECT DISTINCT s.work_id FROM source_record s JOIN search_run r ON r.id = s.run_id
               WHERE r.is_current = 1""")}

    def work_entries(self, title_abstract_runs: Iterable[int]) -> list[tuple[int, int, int]]:
        # grouped in SQL over the covering (run, work) index: about twice as fast as grouping
        # the records in Python on 100,000 works
        current = [row[0] for row in self.conn.execute("SELECT id FROM search_run WHERE is_current = 1")]
        if not current:
            return []
        screened = ",".join(str(int(run)) for run in title_abstract_runs) or "NULL"   # "IN ()" is SQLite's alone
        cursor = self.conn.cursor()
        cursor.row_factory = None
        return cursor.execute(
            f"""SELECT work_id, MIN(id) AS first, MAX(CASE WHEN run_id IN ({screened}) THEN 1 ELSE 0 END)
                FROM source_record
                WHERE run_id IN ({",".join(map(str, current))}) GROUP BY work_id ORDER BY first""").fetchall()

    def work_texts(self, work_ids: Iterable[int]) -> dict[int, tuple[str, str]]:
        wanted = {int(w) for w in work_ids}
        texts: dict[int, tuple[str, str]] = {}
        for work_id, title, abstract in self.conn.execute(
                """SELECT s.work_id, s.title, s.abstract FROM source_record s
                   JOIN search_run r ON r.id = s.run_id WHERE r.is_current = 1"""):
            if work_id in wanted:
                old_title, old_abstract = texts.get(work_id, ("", ""))
                texts[work_id] = (max(old_title, title, key=len), max(old_abstract, abstract, key=len))
        return texts

    def work_search_texts(self, work_ids: Iterable[int]) -> dict[int, tuple[frozenset[str], str]]:
        wanted = {int(w) for w in work_ids}
        searches: dict[int, set[str]] = {}
        texts: dict[int, list[str]] = {}
        for work_id, search, title, abstract, keywords in self.conn.execute(
                """SELECT s.work_id, r.search_id, s.title, s.abstract, s.keywords FROM source_record s
                   JOIN search_run r ON r.id = s.run_id WHERE r.is_current = 1"""):
            if work_id in wanted:
                searches.setdefault(work_id, set()).add(search)
                texts.setdefault(work_id, []).extend([title, abstract, "; ".join(json.loads(keywords))])
        return {w: (frozenset(searches[w]), "\n".join(texts[w])) for w in searches}

    def work_records(self, work_id: int) -> list[dict]:
        rows = self.conn.execute(
            """SELECT s.*, r.search_id AS search, r.database AS database, r.method AS method
               FROM source_record s JOIN search_run r ON r.id = s.run_id
               WHERE s.work_id = ? AND r.is_current = 1 ORDER BY s.id""", (work_id,))
        return [decode_record(row) for row in rows]

    def add_decision(self, work_id: int, stage: str, reviewer: str, kind: str = "verdict",
                     verdict: str | None = None, reason: str = "", note: str = "",
                     undoes: int | None = None, time: str | None = None) -> int:
        cur = self.conn.execute(
            """INSERT INTO decision (work_id, stage, reviewer, kind, verdict, reason, note, undoes, time)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (work_id, stage, reviewer, kind, verdict, reason, note, undoes, time or now()),
        )
        return cur.lastrowid

    def decision_events(self, stage: str | None = None, reviewer: str | None = None,
                        work_id: int | None = None, kinds: Iterable[str] | None = None) -> list[dict]:
        where, params = [], []
        for column, value in (("stage", stage), ("reviewer", reviewer), ("work_id", work_id)):
            if value is not None:
                where.append(f"d.{column} = ?")
                params.append(value)
        if kinds is not None:
            kinds = list(kinds)
            where.append(f"d.kind IN ({', '.join('?' * len(kinds))})")
            params.extend(kinds)
        sql = """SELECT d.*, CAST(EXISTS (SELECT 1 FROM decision u WHERE u.undoes = d.id) AS INTEGER) AS undone
                 FROM decision d"""
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY d.time, d.id"
        return self._all(sql, params)

    def screened_works(self, reviewer: str, stage: str) -> set[int]:
        undone = {row[0] for row in self.conn.execute(
            "SELECT undoes FROM decision WHERE undoes IS NOT NULL AND stage = ? AND reviewer = ?", (stage, reviewer))}
        return {work for event, work in self.conn.execute(
            "SELECT id, work_id FROM decision WHERE reviewer = ? AND stage = ? AND kind = 'verdict'", (reviewer, stage))
            if event not in undone}

    def decision_tuples(self, stage: str, reviewer: str | None = None, work_id: int | None = None,
                        kinds: Iterable[str] = ("verdict", "resolution"), by_work: bool = False,
                        works_with: Iterable[str] | None = None) -> list[tuple]:
        where, params = ["stage = ?"], [stage]
        if reviewer is not None:
            where.append("reviewer = ?")
            params.append(reviewer)
        if work_id is not None:
            where.append("work_id = ?")
            params.append(work_id)
        kinds = list(kinds)
        where.append(f"kind IN ({', '.join('?' * len(kinds))})")
        params.extend(kinds)
        if works_with is not None:
            verdicts = list(works_with)
            where.append(f"""work_id IN (SELECT work_id FROM decision WHERE stage = ?
                                         AND verdict IN ({', '.join('?' * len(verdicts))}))""")
            params.extend([stage, *verdicts])
        undone = {row[0] for row in self.conn.execute(
            "SELECT undoes FROM decision WHERE undoes IS NOT NULL AND stage = ?", (stage,))}
        cursor = self.conn.cursor()
        cursor.row_factory = None
        rows = cursor.execute(
            f"SELECT {', '.join(self.DECISION_COLUMNS)} FROM decision WHERE {' AND '.join(where)} "
            f"ORDER BY {'work_id, ' if by_work else ''}time, id", params).fetchall()
        return [row for row in rows if row[0] not in undone] if undone else rows

    def decided_works(self, stage: str) -> list[int]:
        return [row[0] for row in self.conn.execute(
            "SELECT DISTINCT work_id FROM decision WHERE stage = ? ORDER BY work_id", (stage,))]

    def decision_event(self, decision_id: int) -> dict | None:
        return self._one(
            """SELECT d.*, CAST(EXISTS (SELECT 1 FROM decision u WHERE u.undoes = d.id) AS INTEGER) AS undone
               FROM decision d WHERE d.id = ?""", (decision_id,))

    def latest_standing(self, reviewer: str, stage: str) -> dict | None:
        return self._one(
            """SELECT d.* FROM decision d
               WHERE d.reviewer = ? AND d.stage = ? AND d.kind IN ('verdict', 'resolution')
                 AND NOT EXISTS (SELECT 1 FROM decision u WHERE u.undoes = d.id)
               ORDER BY d.time DESC, d.id DESC LIMIT 1""", (reviewer, stage))

    def standing_match(self, work_id: int, stage: str, reviewer: str, verdict: str, reason: str,
                       note: str, before: str | None = None) -> int | None:
        row = self.conn.execute(
            """SELECT d.id FROM decision d
               WHERE d.work_id = ? AND d.stage = ? AND d.reviewer = ? AND d.verdict = ?
                 AND d.reason = ? AND d.note = ? AND d.kind IN ('verdict', 'resolution')
                 AND d.time <= COALESCE(?, d.time)
                 AND NOT EXISTS (SELECT 1 FROM decision u WHERE u.undoes = d.id)
               ORDER BY d.time DESC, d.id DESC LIMIT 1""",
            (work_id, stage, reviewer, verdict, reason, note, before)).fetchone()
        return row[0] if row else None

    def add_blinding(self, stage: str, action: str, lead: str) -> int:
        cur = self.conn.execute(
            "INSERT INTO blinding (stage, action, lead, time) VALUES (?, ?, ?, ?)",
            (stage, action, lead, now()))
        return cur.lastrowid

    def blinding_action(self, stage: str) -> str | None:
        row = self.conn.execute(
            "SELECT action FROM blinding WHERE stage = ? ORDER BY id DESC LIMIT 1", (stage,)).fetchone()
        return row[0] if row else None

    def add_study_link(self, report_work: int, study_work: int, reviewer: str) -> int:
        cur = self.conn.execute(
            "INSERT INTO study_link (report_work, study_work, reviewer, time) VALUES (?, ?, ?, ?)",
            (report_work, study_work, reviewer, now()))
        return cur.lastrowid

    def study_links(self) -> dict[int, int]:
        return {row[0]: row[1] for row in self.conn.execute(
            "SELECT report_work, study_work FROM study_link ORDER BY id")}

    # ------------------------------------------------------------ deduplication
    # A work's members are the records whose work_id points at it; a merge moves records and
    # logs a merge_event per record, so it can be reversed. pair_decision is append-only:
    # the latest row of a pair is its verdict.

    def dedup_checkpoint(self) -> int:
        (last,) = self.conn.execute("SELECT COALESCE(MAX(last_record), 0) FROM dedup_run").fetchone()
        return last

    def add_dedup_run(self, last_record: int, merged: int, possible: int) -> int:
        cur = self.conn.execute(
            "INSERT INTO dedup_run (last_record, merged, possible, time) VALUES (?, ?, ?, ?)",
            (last_record, merged, possible, now()))
        return cur.lastrowid

    def new_work(self) -> int:
        cur = self.conn.execute("INSERT INTO work (created_at) VALUES (?)", (now(),))
        return cur.lastrowid

    def move_records(self, moves: Iterable[tuple[int, int, int, str, float | None]], actor: str = "dedup") -> int:
        time = now()
        rows = list(moves)
        self.conn.executemany("UPDATE source_record SET work_id = ? WHERE id = ? AND work_id = ?",
                              [(to_work, record, from_work) for record, from_work, to_work, _, _ in rows])
        self.conn.executemany(
            """INSERT INTO merge_event (record_id, from_work, to_work, rule, score, actor, time)
               VALUES (?, ?, ?, ?, ?, ?, ?)""",
            [(record, from_work, to_work, rule, score, actor, time) for record, from_work, to_work, rule, score in rows])
        return len(rows)

    def merge_events(self, record_id: int | None = None) -> list[dict]:
        sql, params = "SELECT * FROM merge_event", []
        if record_id is not None:
            sql += " WHERE record_id = ?"
            params.append(record_id)
        return self._all(sql + " ORDER BY id", params)

    def last_merge_events(self, count: int) -> list[int]:
        rows = self.conn.execute("SELECT id FROM merge_event ORDER BY id DESC LIMIT ?", (count,)).fetchall()
        return [row[0] for row in reversed(rows)]

    def merge_event(self, event_id: int) -> dict | None:
        return self._one("SELECT * FROM merge_event WHERE id = ?", (event_id,))

    def add_pair_decision(self, record_a: int, record_b: int, verdict: str, score: float | None = None,
                          reviewer: str = "") -> int:
        a, b = sorted((int(record_a), int(record_b)))
        cur = self.conn.execute(
            "INSERT INTO pair_decision (record_a, record_b, verdict, score, reviewer, time) VALUES (?, ?, ?, ?, ?, ?)",
            (a, b, verdict, score, reviewer, now()))
        return cur.lastrowid

    def add_possible_pairs(self, pairs: Iterable[tuple[int, int, float]]) -> int:
        known = {(a, b) for a, b in self.conn.execute("SELECT record_a, record_b FROM pair_decision")}
        time = now()
        rows = []
        for a, b, score in pairs:
            key = tuple(sorted((int(a), int(b))))
            if key not in known:
                known.add(key)
                rows.append((*key, "possible", score, "", time))
        self.conn.executemany(
            "INSERT INTO pair_decision (record_a, record_b, verdict, score, reviewer, time) VALUES (?, ?, ?, ?, ?, ?)",
            rows)
        return len(rows)

    def pair_verdicts(self) -> list[dict]:
        return self._all(
            """SELECT p.id, p.record_a, p.record_b, p.verdict, p.score, p.reviewer, p.time,
                      a.fingerprint AS fingerprint_a, b.fingerprint AS fingerprint_b,
                      a.work_id AS work_a, b.work_id AS work_b
               FROM pair_decision p
               JOIN source_record a ON a.id = p.record_a
               JOIN source_record b ON b.id = p.record_b
               WHERE p.id = (SELECT MAX(q.id) FROM pair_decision q
                             WHERE q.record_a = p.record_a AND q.record_b = p.record_b)
               ORDER BY p.id""")

    def records_by_id(self, record_ids: Iterable[int]) -> dict[int, dict]:
        ids = sorted({int(i) for i in record_ids})
        found: dict[int, dict] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            rows = self.conn.execute(
                f"""SELECT s.*, r.search_id AS search, r.database AS database, r.is_current AS is_current
                    FROM source_record s JOIN search_run r ON r.id = s.run_id
                    WHERE s.id IN ({", ".join("?" * len(chunk))})""", chunk)
            for row in rows:
                item = decode_record(row)
                found[item["id"]] = item
        return found

    def last_current_record(self) -> int:
        (last,) = self.conn.execute(
            """SELECT COALESCE(MAX(s.id), 0) FROM source_record s JOIN search_run r ON r.id = s.run_id
               WHERE r.is_current = 1""").fetchone()
        return last

    def dedup_rows(self) -> list[dict]:
        cursor = self.conn.execute(
            """SELECT s.id, s.work_id, s.fingerprint, s.title, s.abstract, s.authors, s.year, s.journal,
                      s.journal_abbrev, s.volume, s.issue, s.pages, s.doi, s.pmid, s.pmcid, s.accession,
                      s.issn, s.isbn, s.type
               FROM source_record s JOIN search_run r ON r.id = s.run_id
               WHERE r.is_current = 1 ORDER BY s.id""")
        rows = []
        for row in cursor:
            item = dict(row)
            for key in ("authors", "accession", "issn", "isbn"):
                item[key] = json.loads(item[key])
            rows.append(item)
        return rows

    def work_member_ids(self, work_id: int) -> list[int]:
        return [row[0] for row in self.conn.execute(
            "SELECT id FROM source_record WHERE work_id = ? ORDER BY id", (work_id,))]


def _split_sql(script: str) -> list[str]:
    """Statements of a migration script (no semicolons inside our own DDL strings)."""
    statements, buf = [], []
    for line in script.splitlines():
        line = line.split("--", 1)[0]
        buf.append(line)
        if line.rstrip().endswith(";"):
            statement = "\n".join(buf).strip()
            if statement.strip(";").strip():
                statements.append(statement)
            buf = []
    tail = "\n".join(buf).strip()
    if tail:
        statements.append(tail)
    return statements
