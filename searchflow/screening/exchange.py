"""Decisions and resolutions as CSV: every event out (``decisions --format csv``), events made
elsewhere back in (``decisions --import``), and many conflicts resolved from one file
(``resolve --from-csv``). A file is checked whole before anything is written: one bad row
refuses it, naming its line.
"""
from __future__ import annotations

import csv
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

from ..protocol import Protocol
from ..store import Store
from .conflicts import resolve_conflict
from .final import final_decision
from .settings import check_reviewer, check_verdict, resolvers
from .vocabulary import KINDS, ScreeningError, check_stage

CSV_COLUMNS = ("work", "reviewer", "stage", "verdict", "reason", "note", "time", "kind")


def export_decisions(store: Store, own: dict[str, str] | None = None) -> list[dict]:
    """Every event as a CSV row (columns :data:`CSV_COLUMNS`), in the order they happened.

    ``kind`` is verdict, undo or resolution; an undo row repeats the verdict, reason and
    note it cancels, so a spreadsheet reader sees what was taken back. ``own`` (stage ->
    reviewer, from :func:`~.blinding.shown_verdicts`) keeps only that reviewer's events at those stages."""
    events = store.decision_events()
    by_id = {row["id"]: row for row in events}
    rows = []
    own = own or {}
    for row in events:
        if own.get(row["stage"], row["reviewer"]) != row["reviewer"]:
            continue
        shown = by_id.get(row["undoes"], row) if row["kind"] == "undo" else row
        rows.append({"work": row["work_id"], "reviewer": row["reviewer"], "stage": row["stage"],
                     "verdict": shown["verdict"] or "", "reason": shown["reason"], "note": shown["note"],
                     "time": row["time"], "kind": row["kind"]})
    return rows


def write_decisions_csv(rows: list[dict], out) -> None:
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)


def read_decisions_csv(path: str | Path) -> tuple[list[dict], list[int]]:
    """Rows of a decisions CSV and the line each starts on (notes may span lines)."""
    return _read_csv(path, ("work", "reviewer", "stage", "verdict"), CSV_COLUMNS[:7], "a decisions CSV")


def _read_csv(path: str | Path, required: tuple[str, ...], expected: tuple[str, ...],
              what: str) -> tuple[list[dict], list[int]]:
    """Rows of a CSV with these columns at least, and the line each starts on."""
    path = Path(path)
    if not path.exists():
        raise ScreeningError(f"{path}: file not found")
    rows, lines = [], []
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in required if c not in (reader.fieldnames or [])]
            if missing:
                raise ScreeningError(f"{path}:1: missing column(s) {', '.join(missing)}; expected {', '.join(expected)}")
            start = reader.line_num + 1
            for row in reader:
                rows.append(row)
                lines.append(start)
                start = reader.line_num + 1
    except UnicodeDecodeError:
        raise ScreeningError(f"{path}: not UTF-8 text; expected {what}") from None
    except csv.Error as exc:
        raise ScreeningError(f"{path}: not a readable CSV: {exc}") from None
    return rows, lines


def _normal_time(text: str) -> str:
    """A timestamp in the store's form (UTC, microseconds) so events sort in time order."""
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


def _event_key(row: dict) -> tuple:
    return (int(row["work"]), row["reviewer"], row["stage"], row["kind"], row["verdict"] or "",
            row["reason"], row["note"])


def import_decisions(store: Store, protocol: Protocol, rows: Iterable[dict], source: str = "decisions",
                     lines: list[int] | None = None) -> int:
    """Merge decision events (e.g. a reviewer who screened offline on a copy); returns how many
    were new. Events already present are skipped, so importing twice adds nothing. Any bad row
    (unknown work, reviewer, reason, ...) refuses the whole import naming ``source`` and line."""
    rows = list(rows)
    lines = lines or list(range(2, len(rows) + 2))
    current_works = store.current_work_ids()
    allowed_resolvers = resolvers(protocol)
    clean: list[tuple[int, dict]] = []
    for line, raw in zip(lines, rows):
        where = f"{source}:{line}"
        row = {k: (raw.get(k) or "").strip() for k in CSV_COLUMNS}
        row["kind"] = row["kind"] or "verdict"
        try:
            if row["kind"] not in KINDS:
                raise ScreeningError(f"kind {row['kind']!r}; expected {' | '.join(KINDS)}")
            if not row["work"].isdigit() or int(row["work"]) not in current_works:
                raise ScreeningError(f"unknown work {row['work']!r} (not in this project's current search runs)")
            check_stage(row["stage"])
            if row["kind"] != "verdict":     # a resolver's resolution, or anyone's undo of their own event
                if row["reviewer"] not in allowed_resolvers:
                    raise ScreeningError(f"unknown resolver {row['reviewer']!r}; resolvers are {', '.join(allowed_resolvers)}")
            else:
                check_reviewer(protocol, row["reviewer"])
            row["reason"] = check_verdict(protocol, row["stage"], row["verdict"], row["reason"],
                                           resolution=row["kind"] == "resolution")
            if row["time"]:
                try:
                    row["time"] = _normal_time(row["time"])
                except ValueError:
                    raise ScreeningError(f"time {row['time']!r}; expected an ISO date and time") from None
        except ScreeningError as exc:
            raise ScreeningError(f"{where}: {exc}") from None
        clean.append((line, row))

    present = {(*_event_key(r), r["time"]) for r in export_decisions(store)}
    present_untimed = {k[:-1] for k in present}
    added = 0
    # rows without a time are ordered after timed ones; stable sort keeps file order otherwise
    clean.sort(key=lambda item: item[1]["time"] or "9999")
    with store.transaction():
        for line, row in clean:
            key = _event_key(row)
            if (row["time"] and (*key, row["time"]) in present) or (not row["time"] and key in present_untimed):
                continue
            undoes = None
            if row["kind"] == "undo":
                target = store.standing_match(int(row["work"]), row["stage"], row["reviewer"], row["verdict"],
                                              row["reason"], row["note"], row["time"] or None)
                if target is None:
                    raise ScreeningError(f"{source}:{line}: undo matches no earlier standing {row['verdict']} "
                                         f"by {row['reviewer']} on work {row['work']}")
                undoes = target
            store.add_decision(int(row["work"]), row["stage"], row["reviewer"], row["kind"],
                               None if row["kind"] == "undo" else row["verdict"], "" if row["kind"] == "undo" else row["reason"],
                               "" if row["kind"] == "undo" else row["note"], undoes=undoes, time=row["time"] or None)
            if row["time"]:
                present.add((*key, row["time"]))
            present_untimed.add(key)
            added += 1
    return added


# ------------------------------------------------------------------ resolutions in bulk

RESOLUTION_COLUMNS = ("work", "stage", "verdict", "reason", "resolver", "note")


def read_resolutions_csv(path: str | Path) -> tuple[list[dict], list[int]]:
    """Rows of a resolutions CSV (columns :data:`RESOLUTION_COLUMNS`; ``conflicts --format csv``
    with these added is one) and the line each starts on."""
    return _read_csv(path, ("work", "stage", "verdict"), RESOLUTION_COLUMNS, "a resolutions CSV")


def resolve_conflicts(store: Store, protocol: Protocol, rows: list[dict], lines: list[int], source: str,
                      resolver: str = "", note: str = "") -> tuple[int, int, int]:
    """Resolve many conflicts at once, each row through :func:`resolve_conflict` (so every rule of a
    single resolution holds), all in one transaction: a bad row refuses the whole file, naming
    ``source`` and its line. ``resolver`` and ``note`` stand in where a row leaves them empty. A
    row without a verdict is a conflict still open; a row its resolver has resolved so already (the
    file run again) records nothing. Returns (resolved, left open, already resolved so)."""
    resolved, left_open, already, seen = 0, 0, 0, {}
    with store.transaction():
        for line, raw in zip(lines, rows):
            row = {key: (raw.get(key) or "").strip() for key in RESOLUTION_COLUMNS}
            if not row["verdict"]:
                left_open += 1
                continue
            try:
                if not row["work"].isdigit():
                    raise ScreeningError(f"work {row['work']!r}: expected a work number")
                check_stage(row["stage"])
                key = (int(row["work"]), row["stage"])
                if key in seen:
                    raise ScreeningError(f"work {key[0]} at {key[1]} is resolved on line {seen[key]} already")
                seen[key] = line
                who = row["resolver"] or resolver
                if not who:
                    raise ScreeningError("no resolver: fill in the resolver column or give --resolver NAME")
                standing = final_decision(store, protocol, key[0], key[1]).resolution
                event = resolve_conflict(store, protocol, key[0], key[1], who, row["verdict"],
                                         reason=row["reason"], note=row["note"] or note)
            except ScreeningError as exc:
                raise ScreeningError(f"{source}:{line}: {exc}") from None
            if standing is not None and event == standing.id:
                already += 1
            else:
                resolved += 1
    return resolved, left_open, already
