"""The project store: one SQLite file beside the protocol. All SQL lives here.

WAL journal so two reviewers can screen at once; foreign keys on; the schema
version is SQLite's ``user_version`` and :data:`MIGRATIONS` brings an older store
forward. Decisions, merges and pair verdicts are append-only event tables.
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator

from .records import Record

# Each entry moves the schema from version i to i+1. Never edit a released entry; append.
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
    CREATE INDEX source_record_run ON source_record(run_id);
    CREATE INDEX source_record_work ON source_record(work_id);
    CREATE INDEX source_record_doi ON source_record(doi) WHERE doi != '';
    CREATE INDEX source_record_pmid ON source_record(pmid) WHERE pmid != '';
    CREATE INDEX source_record_fingerprint ON source_record(fingerprint);

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
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)

RECORD_FIELDS = (
    "title", "abstract", "authors", "year", "journal", "journal_abbrev", "volume", "issue",
    "pages", "doi", "pmid", "pmcid", "accession", "issn", "isbn", "type", "language",
    "keywords", "url", "databases",
)
_JSON_FIELDS = {"authors", "accession", "issn", "isbn", "keywords", "databases"}


class StoreError(Exception):
    """The store cannot be used as asked (newer schema, not a searchflow store)."""


def now() -> str:
    """UTC timestamp with microseconds: event order survives two reviewers in one second."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class Store:
    """A connection to one project's SQLite store."""

    def __init__(self, conn: sqlite3.Connection, path: Path):
        self.conn = conn
        self.path = path

    # ------------------------------------------------------------ opening

    @classmethod
    def open(cls, path: str | Path) -> "Store":
        path = Path(path)
        conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        try:
            conn.execute("PRAGMA journal_mode=WAL")
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
        version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path}: store schema version {version} is newer than this searchflow "
                f"understands ({SCHEMA_VERSION}); upgrade searchflow"
            )
        for target in range(version, SCHEMA_VERSION):
            with self.transaction():
                for statement in _split_sql(MIGRATIONS[target]):
                    self.conn.execute(statement)
                self.conn.execute(f"PRAGMA user_version={target + 1}")

    @property
    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT: all of it or none of it; writers queue instead of failing."""
        if self.conn.in_transaction:  # nested: the outer transaction decides
            yield self.conn
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")

    # ------------------------------------------------------------ search runs

    def current_run(self, search_id: str) -> sqlite3.Row | None:
        return self.conn.execute(
            "SELECT * FROM search_run WHERE search_id = ? AND is_current = 1", (search_id,)
        ).fetchone()

    def add_search_run(self, search_id: str, *, database: str, method: str, fingerprint: str,
                       platform: str = "", query: str = "", limits: str = "", date_run: str = "",
                       round: int = 1, hits_reported: int | None = None, connector: str = "file",
                       query_translation: str = "") -> int:
        """A new version of a search; earlier versions stay but stop counting."""
        (last,) = self.conn.execute(
            "SELECT COALESCE(MAX(version), 0) FROM search_run WHERE search_id = ?", (search_id,)
        ).fetchone()
        self.conn.execute("UPDATE search_run SET is_current = 0 WHERE search_id = ?", (search_id,))
        cur = self.conn.execute(
            """INSERT INTO search_run (search_id, version, is_current, database, platform, method,
                   query, limits, date_run, round, hits_reported, connector, query_translation,
                   fingerprint, imported_at)
               VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (search_id, last + 1, database, platform, method, query, limits, date_run, round,
             hits_reported, connector, query_translation, fingerprint, now()),
        )
        return cur.lastrowid

    def update_search_run(self, run_id: int, **values: Any) -> None:
        allowed = {"hits_reported", "query_translation", "record_count", "date_run", "limits", "query", "round"}
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

    def finish_run(self, run_id: int) -> int:
        (count,) = self.conn.execute(
            "SELECT COUNT(*) FROM source_record WHERE run_id = ?", (run_id,)
        ).fetchone()
        self.conn.execute("UPDATE search_run SET record_count = ? WHERE id = ?", (count, run_id))
        return count

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

    def add_records(self, run_id: int, file_id: int | None, records: Iterable[Record],
                    previous_run_id: int | None = None, batch: int = 2000,
                    seed_work_id: int | None = None) -> int:
        """Store records, each in a work of its own unless an identical record of the
        previous version of this search already has one (decisions then carry over)."""
        carried: dict[str, int] = {}
        if previous_run_id is not None:
            carried = dict(self.conn.execute(
                "SELECT fingerprint, work_id FROM source_record WHERE run_id = ?", (previous_run_id,)))
        (next_work,) = self.conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM work").fetchone()
        created = now()
        rows: list[tuple] = []
        works: list[tuple] = []
        count = 0
        for position, record in enumerate(records, start=1):
            raw = _dumps(record.raw)
            fingerprint = hashlib.sha1(raw.encode("utf-8")).hexdigest()
            work_id = carried.pop(fingerprint, None)
            if work_id is None:
                work_id = next_work
                next_work += 1
                works.append((work_id, created))
            rows.append((
                run_id, file_id, position, record.line, work_id, fingerprint, raw, seed_work_id,
                record.title, record.abstract, _dumps(record.authors), record.year, record.journal,
                record.journal_abbrev, record.volume, record.issue, record.pages, record.doi,
                record.pmid, record.pmcid, _dumps(record.accession), _dumps(record.issn),
                _dumps(record.isbn), record.type, record.language, _dumps(record.keywords),
                record.url, _dumps(record.databases),
            ))
            count += 1
            if len(rows) >= batch:
                self._flush(works, rows)
        self._flush(works, rows)
        return count

    def _flush(self, works: list[tuple], rows: list[tuple]) -> None:
        if works:
            self.conn.executemany("INSERT INTO work (id, created_at) VALUES (?, ?)", works)
        if rows:
            self.conn.executemany(
                f"""INSERT INTO source_record (run_id, file_id, position, line, work_id, fingerprint,
                        raw, seed_work_id, {", ".join(RECORD_FIELDS)})
                    VALUES ({", ".join("?" * (8 + len(RECORD_FIELDS)))})""",
                rows,
            )
        works.clear()
        rows.clear()

    def record_rows(self, current_only: bool = True, run_id: int | None = None) -> Iterator[dict]:
        """Source records joined with their search run, JSON fields decoded, in import order."""
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
        for row in self.conn.execute(sql, params):
            item = dict(row)
            for key in _JSON_FIELDS | {"raw"}:
                item[key] = json.loads(item[key])
            yield item

    def field_coverage(self, run_id: int) -> dict[str, int]:
        """How many of a run's records have each normalised field filled."""
        parts = []
        for name in RECORD_FIELDS:
            if name == "year":
                parts.append("SUM(year IS NOT NULL)")
            elif name in _JSON_FIELDS:
                parts.append(f"SUM({name} NOT IN ('[]', '{{}}'))")
            else:
                parts.append(f"SUM({name} != '')")
        row = self.conn.execute(
            f"SELECT COUNT(*), {', '.join(parts)} FROM source_record WHERE run_id = ?", (run_id,)
        ).fetchone()
        return {"records": row[0], **{name: row[i + 1] or 0 for i, name in enumerate(RECORD_FIELDS)}}

    def counts(self) -> dict[str, int]:
        """Totals over the current search runs, for `status` and change reports."""
        row = self.conn.execute(
            """SELECT COUNT(*), COUNT(DISTINCT s.work_id) FROM source_record s
               JOIN search_run r ON r.id = s.run_id WHERE r.is_current = 1"""
        ).fetchone()
        return {"records": row[0], "works": row[1]}


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
