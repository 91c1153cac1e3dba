"""Retraining in the background: the model runs in its own process so the screening screen never waits."""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from .model import DEFAULT, Settings, can_rank, features, rank, work_texts


@dataclass(frozen=True)
class StoreTexts:
    """The works' texts, to be read from the store by the model's own process: 100,000
    abstracts then never pass through, or stay in, the screen's process."""

    path: str
    works: tuple[int, ...]      # the model's text i is work works[i]'s title + abstract

    def __len__(self) -> int:
        return len(self.works)

    def load(self) -> list[str]:
        from ...store import open_store

        store = open_store(self.path)
        try:
            return work_texts(store, self.works)
        finally:
            store.close()


def prepare_background() -> None:
    """Start multiprocessing's resource tracker now, while ``sys.stderr`` is the real one: it is
    started on first use and handed ``sys.stderr``'s file descriptor, which a running Textual
    app has swapped for a capture without one (the start then fails)."""
    if os.name == "posix":            # elsewhere spawn needs no tracker
        from multiprocessing import resource_tracker

        resource_tracker.ensure_running()


TEXT_CHUNK = 5_000     # texts per message: pickling a chunk holds the screen's interpreter only briefly


class BackgroundRanker:
    """Retrains in a separate process whenever decisions arrive; :meth:`ranking` never waits.

    The screen calls :meth:`update` after each decision and :meth:`ranking` for the next
    record (:func:`searchflow.screening.order.next_ranked`): it gets the newest finished
    ranking (perhaps one or two decisions old) or, until the first one is ready, None. The features and the SVM run in their own process
    (a thread would hold the interpreter lock through numpy and scipy steps and freeze the
    screen for a few hundred ms at a time, and keep a gigabyte of features in its memory).
    Two threads here only pass messages: the texts once, then the newest decisions; back
    come rankings. Call :meth:`close` when done: it ends the process.
    """

    def __init__(self, texts: Sequence[str] | StoreTexts, settings: Settings = DEFAULT):
        import multiprocessing

        self.settings = settings
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._done = threading.Condition(self._lock)
        self._pending: dict[int, bool] | None = None
        self._asked = 0              # version of the latest update
        self._ranked = 0             # version the current ranking was trained on
        self._ranking: list[int] | None = None
        self._closed = False
        self._stopped = False        # the process has ended (closed, or died)
        self.error: BaseException | None = None
        self.retrains = 0
        # spawn, not fork: this process has threads (the screen's, SQLite's), and a forked
        # child could inherit a lock some other thread held.
        context = multiprocessing.get_context("spawn")
        prepare_background()
        child_requests, self._requests = context.Pipe(duplex=False)      # (reading end, writing end)
        self._results, child_results = context.Pipe(duplex=False)
        self.process = context.Process(target=_serve, args=(child_requests, child_results, settings),
                                       name="searchflow-prioritise", daemon=True)
        self.process.start()
        child_requests.close()       # the child's ends are its own now: our reads see its exit as EOF
        child_results.close()
        self._sender = threading.Thread(target=self._send, args=(texts,), name="searchflow-prioritise-send",
                                        daemon=True)
        self._receiver = threading.Thread(target=self._receive, name="searchflow-prioritise-receive", daemon=True)
        self._sender.start()
        self._receiver.start()

    def update(self, labelled: Mapping[int, bool]) -> None:
        """New decisions (all of them, index -> include?); returns at once."""
        with self._lock:
            self._pending = dict(labelled)
            self._asked += 1
        self._wake.set()

    def ranking(self) -> list[int] | None:
        """The newest finished ranking (unlabelled indices, likeliest first), None before the first."""
        with self._lock:
            return self._ranking

    @property
    def current(self) -> bool:
        """The ranking reflects the latest update."""
        with self._lock:
            return self._ranked == self._asked

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the ranking reflects the latest update (scripts and tests, not the screen)."""
        with self._done:
            return self._done.wait_for(lambda: self._ranked == self._asked or self._closed or self._stopped,
                                       timeout)

    def close(self) -> None:
        """End the model's process (at once, even mid-training: nothing in it needs saving)."""
        with self._lock:
            self._closed = True
            self._done.notify_all()
        self._wake.set()
        process = self.process
        if process.is_alive():
            process.terminate()
        process.join(5)
        if process.is_alive():
            process.kill()
            process.join()
        for thread in (self._sender, self._receiver):
            if thread is not threading.current_thread():
                thread.join(5)
        self._requests.close()
        self._results.close()

    def _send(self, texts: Sequence[str] | StoreTexts) -> None:
        try:
            if isinstance(texts, StoreTexts):
                self._requests.send(("texts", texts, True))
            else:
                texts = list(texts)
                for start in range(0, len(texts), TEXT_CHUNK):
                    self._requests.send(("texts", texts[start:start + TEXT_CHUNK], False))
                self._requests.send(("texts", [], True))
            del texts
            sent = 0
            while True:
                self._wake.wait()
                with self._lock:
                    self._wake.clear()
                    if self._closed:
                        return
                    labelled, version = self._pending, self._asked
                if version != sent:        # only the newest decisions: older ones are out of date
                    self._requests.send(("labels", version, labelled or {}))
                    sent = version
        except (OSError, ValueError):      # the process has ended: the receiver says why
            return

    def _receive(self) -> None:
        while True:
            try:
                version, order, error = self._results.recv()
            except (EOFError, OSError):
                break
            ranking = None if order is None else order.tolist()
            with self._lock:
                self._ranking = ranking
                self._ranked = version
                if ranking is not None:
                    self.retrains += 1
                if error is not None:
                    self.error = error
                self._done.notify_all()
        self.process.join(5)
        with self._lock:
            if not self._closed and self.error is None:
                self.error = RuntimeError(f"the prioritisation process stopped (exit code {self.process.exitcode})")
            self._stopped = True
            self._done.notify_all()


def _serve(requests, results, settings: Settings) -> None:
    """The model's process: collect the texts, then retrain on the newest decisions whenever
    some arrive, and send back each ranking (an int array of text indices). Ends when the
    screen's process closes its end of the pipe (or terminates it)."""
    import pickle

    if hasattr(os, "nice"):
        os.nice(5)                     # the screen comes first on a busy machine
    source: list[str] | StoreTexts = []
    complete = False
    texts: list[str] | None = None
    matrix = None
    latest: tuple[int, dict[int, bool]] | None = None
    while True:
        try:
            while True:                # everything waiting, then train once on the newest decisions
                message = requests.recv()
                if message[0] == "texts":
                    if isinstance(message[1], StoreTexts):
                        source = message[1]
                    else:
                        source.extend(message[1])
                    complete = message[2]
                elif message[0] == "labels":
                    latest = (message[1], message[2])
                if not requests.poll():
                    break
        except (EOFError, OSError):
            return
        if not complete or latest is None:
            continue
        (version, labelled), latest = latest, None
        order, error = None, None
        try:
            if can_rank(labelled, settings):
                if texts is None:
                    texts = source.load() if isinstance(source, StoreTexts) else source
                if matrix is None:
                    matrix = features(texts, settings)
                order = np.asarray(rank(texts, labelled, settings, matrix=matrix), dtype=np.int64)
        except Exception as exc:       # keep the given order rather than stop the screen
            try:
                pickle.dumps(exc)
                error = exc
            except Exception:
                error = RuntimeError(f"{type(exc).__name__}: {exc}")
        try:
            results.send((version, order, error))
        except (OSError, ValueError):
            return

