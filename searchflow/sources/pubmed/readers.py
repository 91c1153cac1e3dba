"""Reader processes: a big search's efetch replies are read into records there while the next batches are fetched."""
from __future__ import annotations

import gc
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

from ..chunked import workers_available


class ReaderPool:
    """Reader processes for a search's live efetch replies, started once the search has shown it is big."""

    # replies read here before a search counts as big enough to start reader processes
    READ_HERE = 1

    def __init__(self, processes: int | None = 0):
        self.processes = processes if processes is not None else default_reader_processes()
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


def default_reader_processes() -> int:
    """One reader process per core (at most 4): reading costs about three times what storing does."""
    cores = workers_available()
    return min(cores, 4) if cores >= 2 else 0
