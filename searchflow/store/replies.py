"""The PubMed connector's stored E-utilities replies: what lets a search replay offline,
identically, and an interrupted search resume where it stopped.

Every reply is kept zlib-compressed, with its request (never the API key), in the order it
arrived. The compression and the digest are the same in every backend, so a replay skipped
on one store would be skipped on its copy; only where the rows live differs
(:class:`SQLiteReplyCache` for the SQLite store).
"""
from __future__ import annotations

import hashlib
import sqlite3
import zlib
from abc import ABC, abstractmethod
from typing import Iterable

from .clock import now


class ReplyCache(ABC):
    """A store's E-utilities replies, by search run and sequence number."""

    def add_eutils_response(self, run_id: int, seq: int, utility: str, request: str, body: bytes) -> None:
        """One E-utilities response, compressed; ``request`` must not hold the API key."""
        self._insert_reply(run_id, seq, utility, request, zlib.compress(body, 1), now())

    def eutils_body(self, run_id: int, seq: int) -> bytes:
        """One stored response, as it came (read one at a time: a search may hold gigabytes)."""
        return zlib.decompress(self._reply_body(run_id, seq))

    def eutils_digest(self, run_id: int) -> str:
        """sha256 over a run's stored requests and (still compressed) responses: a replay that
        would read the same bytes can be skipped."""
        digest = hashlib.sha256()
        for seq, utility, request, body in self._replies(run_id):
            digest.update(f"{seq}\t{utility}\t{request}\t{len(body)}\n".encode("utf-8"))
            digest.update(body)
        return digest.hexdigest()

    @abstractmethod
    def eutils_requests(self, run_id: int) -> list[tuple[int, str, str]]:
        """(seq, utility, request JSON) of a run's stored responses, in order; the bodies are
        not read (resuming a search needs only to know what was asked)."""

    @abstractmethod
    def drop_eutils_responses(self, run_id: int, from_seq: int) -> None:
        """Forget a run's responses from ``from_seq`` on (a reply that no longer parses is asked again)."""

    @abstractmethod
    def copy_eutils_responses(self, from_run: int, to_run: int) -> None:
        """Give a new run the responses of an earlier one (a replay re-reads them as its own)."""

    @abstractmethod
    def _insert_reply(self, run_id: int, seq: int, utility: str, request: str, body: bytes, time: str) -> None:
        """Store one compressed response."""

    @abstractmethod
    def _reply_body(self, run_id: int, seq: int) -> bytes:
        """One compressed response."""

    @abstractmethod
    def _replies(self, run_id: int) -> Iterable[tuple[int, str, str, bytes]]:
        """(seq, utility, request, compressed body) of a run's responses, in order, read lazily."""


class SQLiteReplyCache(ReplyCache):
    """The replies in the SQLite store's ``eutils_response`` table."""

    conn: sqlite3.Connection

    def eutils_requests(self, run_id: int) -> list[tuple[int, str, str]]:
        return [tuple(row) for row in self.conn.execute(
            "SELECT seq, utility, request FROM eutils_response WHERE run_id = ? ORDER BY seq", (run_id,))]

    def drop_eutils_responses(self, run_id: int, from_seq: int) -> None:
        self.conn.execute("DELETE FROM eutils_response WHERE run_id = ? AND seq >= ?", (run_id, from_seq))

    def copy_eutils_responses(self, from_run: int, to_run: int) -> None:
        self.conn.execute(
            """INSERT INTO eutils_response (run_id, seq, utility, request, body, time)
               SELECT ?, seq, utility, request, body, time FROM eutils_response WHERE run_id = ?""",
            (to_run, from_run),
        )

    def _insert_reply(self, run_id: int, seq: int, utility: str, request: str, body: bytes, time: str) -> None:
        self.conn.execute(
            "INSERT INTO eutils_response (run_id, seq, utility, request, body, time) VALUES (?, ?, ?, ?, ?, ?)",
            (run_id, seq, utility, request, body, time),
        )

    def _reply_body(self, run_id: int, seq: int) -> bytes:
        (body,) = self.conn.execute(
            "SELECT body FROM eutils_response WHERE run_id = ? AND seq = ?", (run_id, seq)).fetchone()
        return body

    def _replies(self, run_id: int) -> Iterable[tuple[int, str, str, bytes]]:
        return self.conn.execute(
            "SELECT seq, utility, request, body FROM eutils_response WHERE run_id = ? ORDER BY seq", (run_id,))
