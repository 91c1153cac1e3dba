"""Large exports parsed in worker processes while this process writes the store.

Parsing and normalising cost about as much CPU as storing, so a big file is cut into byte
ranges that each begin at a record's first line (RIS: ``TY  - ``), and the ranges are
parsed in parallel by the format's own line parser. Each comes back already encoded for the
store (:func:`searchflow.store.encoding.encode_record`) and in file order. This process counts the
lines of each range as it cuts, so records and errors name the same lines a serial parse
would, and the first problem in file order is the one reported.
"""
from __future__ import annotations

import multiprocessing
import os
from collections import deque
from pathlib import Path
from types import ModuleType
from typing import Iterator

from ..store.encoding import encode_record
from ..memory import collector_paused
from .base import FileInfo, ImportProblem, unknown_tags_warning

RANGE_BYTES = 4 << 20            # about 1,800 typical RIS records: enough to amortise a hand-off
PARALLEL_FROM = 24 << 20         # below this a worker's start-up costs more than it saves


def workers_available() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:       # not on Linux
        return os.cpu_count() or 1


def worth_parallel(path: Path, module: ModuleType) -> bool:
    return (hasattr(module, "parse_text") and workers_available() > 1
            and path.stat().st_size >= PARALLEL_FROM)


def ranges(path: Path, marker: bytes, size: int | None = None) -> Iterator[tuple[int, int, int]]:
    """(start byte, end byte, first line) of ranges that each begin with ``marker`` at the
    start of a line (the first may begin with anything). Line breaks are counted as Python's
    universal newlines count them: LF, CRLF and bare CR."""
    size = size or RANGE_BYTES
    start, line, data = 0, 1, b""
    with open(path, "rb") as fh:
        while True:
            block = fh.read(size)
            data = data + block if data else block
            if not block:
                if data:
                    yield start, start + len(data), line
                return
            cut = max(data.rfind(b"\n" + marker), data.rfind(b"\r" + marker)) + 1
            if cut <= 0:         # no record starts in this block: read on
                continue
            yield start, start + cut, line
            line += data.count(b"\n", 0, cut)
            if data.find(b"\r", 0, cut) >= 0:
                line += data.count(b"\r", 0, cut) - data.count(b"\r\n", 0, cut)
            start += cut
            data = data[cut:]


def _parse_range(task: tuple) -> tuple:
    """In a worker: one range's records, encoded; or the problem that stopped it."""
    module_name, path, encoding, format, vendor, start, end, first_line, final = task
    module = __import__(module_name, fromlist=["parse_text"])
    with open(path, "rb") as fh:
        fh.seek(start)
        data = fh.read(end - start)
    text = data.decode(encoding, errors="replace").replace("\r\n", "\n").replace("\r", "\n")
    if text.endswith("\n"):
        text = text[:-1]         # the newline ending the range's last line
    info = FileInfo(path=Path(path), format=format, vendor=vendor, encoding=encoding)
    rows: list[tuple] = []
    try:
        with collector_paused():
            for record in module.parse_text(text, first_line, info.path, info, final=final, inside=start > 0):
                rows.append(encode_record(record))
    except ImportProblem as problem:
        return "problem", rows, problem.line, problem.message
    except (ValueError, UnicodeError, KeyError, IndexError) as exc:
        return "error", rows, len(rows), str(exc)
    return "ok", rows, info.vendor, dict(info.unknown_tags), info.warnings


def encoded_records(path: Path, info: FileInfo, module: ModuleType,
                    range_bytes: int | None = None) -> Iterator[tuple]:
    """The file's records encoded for the store, in order, parsed by worker processes.

    ``info.vendor`` is taken from the first record (parsed here) and given to every range,
    as a serial parse would carry it; the caller should use the serial parser instead when
    the first record does not tell (see :func:`first_vendor`)."""
    # fork where there is one: spawn would re-run a protocol script that lacks a main guard
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    workers = min(workers_available(), 4)
    tasks = ((module.__name__, str(path), info.encoding, info.format, info.vendor, start, end, line, False)
             for start, end, line in ranges(path, module.RECORD_START, range_bytes))
    count = 0
    with context.Pool(workers) as pool:
        in_flight: deque = deque()
        task = next(tasks, None)
        while task is not None or in_flight:
            # keep a few ranges ahead of the store and no more: memory stays bounded
            while task is not None and len(in_flight) < workers + 2:
                following = next(tasks, None)
                if following is None:
                    task = task[:-1] + (True,)       # the last range ends the file
                in_flight.append(pool.apply_async(_parse_range, (task,)))
                task = following
            outcome = in_flight.popleft().get()
            rows = outcome[1]
            yield from rows
            count += len(rows)
            if outcome[0] == "problem":
                raise ImportProblem(path, outcome[2], outcome[3])
            if outcome[0] == "error":
                raise ImportProblem(path, None, f"cannot read record {count + 1} as {info.format}: {outcome[3]}")
            info.unknown_tags.update(outcome[3])
            info.warnings.extend(outcome[4])
    warning = unknown_tags_warning(info)
    if warning:
        info.warnings.append(warning)


def first_vendor(path: Path, info: FileInfo, module: ModuleType) -> str:
    """The vendor the file's first record shows, or "" when it shows none (or cannot be read:
    the serial parse then reports the problem)."""
    probe = FileInfo(path=path, format=info.format, encoding=info.encoding)
    records = module.parse(path, probe)
    try:
        next(records)
    except (ImportProblem, StopIteration, ValueError, UnicodeError, KeyError, IndexError):
        return ""
    finally:
        records.close()
    return "" if probe.vendor in ("", "generic") else probe.vendor
