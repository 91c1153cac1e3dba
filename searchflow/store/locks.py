"""Long tasks that run in one process at a time, for file stores: an OS lock on a file
beside the store, which the system releases when the process dies, so a killed task can
start again at once."""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


class Busy(Exception):
    """Another process holds the task's lock."""


@contextmanager
def file_lock(store_path: Path, task: str) -> Iterator[None]:
    """Hold ``task``'s lock beside the store at ``store_path``; :class:`Busy` if another
    process holds it. Not POSIX: no lock, as before."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in task)
    lock_path = store_path.with_name(f"{store_path.name}.{safe}.lock")
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Busy(task) from None
        yield
    finally:
        os.close(fd)                 # closing releases the lock
