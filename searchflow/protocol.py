"""Protocol files: the TOML that names a review's searches, reviewers and outputs.

The protocol is the project's handle: every project command takes it first and
the store lives beside it. Errors name the key path (``search[2].method``) and
what was expected, so a typo never becomes a silently missing search.
"""
from __future__ import annotations

import datetime as _dt
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REVIEW_TYPES = ("realist", "meta-ethnography", "systematic", "scoping")
METHODS = ("database", "register", "website", "organisation", "citation", "expert", "alert", "grey")
CONNECTORS = ("file", "pubmed")
STAGES = ("title_abstract", "full_text")
SEARCH_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]*")   # a search's stable handle

# Known keys per table. Later features add theirs here; anything else is a typo to report.
REVIEW_KEYS = {"title", "type", "store", "question", "lead", "previous"}
SEARCH_KEYS = {
    "id", "database", "platform", "method", "date", "query", "limits", "files", "round",
    "connector", "mindate", "maxdate", "hits", "format", "notes", "screen",
}
SCREENING_KEYS = {
    "reviewers", "exclusion_reasons", "full_text_reasons", "highlight", "lead", "resolvers",
    "second_reviewer_share", "maybe_is_conflict", "screen_other_methods", "keys", "order",
    "prioritise", "stopping_rule", "seed",
}
DEDUP_KEYS = {"enabled", "possible_threshold", "duplicate_threshold"}
TOP_KEYS = {"review", "screening", "search", "outputs", "dedup", "pubmed"}


class ProtocolError(Exception):
    """A protocol that cannot be used; the message names file and key path."""


@dataclass
class Search:
    id: str
    database: str
    method: str = "database"
    platform: str = ""
    date: str = ""
    query: str = ""
    limits: str = ""
    files: list[Path] = field(default_factory=list)
    round: int = 1
    connector: str = "file"
    mindate: str = ""
    maxdate: str = ""
    hits: int | None = None       # hits the database reported, for PRISMA-S
    format: str | None = None     # force an importer instead of detecting
    screen: bool | None = None    # other-methods records screened at title/abstract?


@dataclass
class Screening:
    reviewers: list[str] = field(default_factory=list)
    exclusion_reasons: list[str] = field(default_factory=list)
    full_text_reasons: list[str] = field(default_factory=list)
    highlight_include: list[str] = field(default_factory=list)
    highlight_exclude: list[str] = field(default_factory=list)
    lead: str = ""
    extra: dict[str, Any] = field(default_factory=dict)   # settings later features read


@dataclass
class Protocol:
    path: Path
    title: str
    type: str
    store_path: Path
    searches: list[Search]
    screening: Screening
    outputs: dict[str, str] = field(default_factory=dict)
    dedup: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)

    def search(self, search_id: str) -> Search:
        for search in self.searches:
            if search.id == search_id:
                return search
        raise KeyError(search_id)

    def resolve(self, relative: str) -> Path:
        """A path written in the protocol, relative to the protocol file."""
        path = Path(relative).expanduser()
        return path if path.is_absolute() else (self.path.parent / path)


class _Checker:
    def __init__(self, path: Path):
        self.path = path

    def fail(self, key: str, expected: str, got: Any = None) -> None:
        shown = "" if got is None else f", got {got!r}"
        raise ProtocolError(f"{self.path}: {key}: expected {expected}{shown}")

    def table(self, value: Any, key: str) -> dict:
        if not isinstance(value, dict):
            self.fail(key, "a table", value)
        return value

    def keys(self, table: dict, allowed: set[str], key: str) -> None:
        for name in table:
            if name not in allowed:
                where = f"{key}.{name}" if key else name
                self.fail(where, f"one of the known keys ({', '.join(sorted(allowed))})", name)

    def string(self, table: dict, name: str, key: str, required: bool = False, default: str = "") -> str:
        if name not in table:
            if required:
                self.fail(f"{key}.{name}", "a string (required)")
            return default
        value = table[name]
        if isinstance(value, (_dt.date, _dt.datetime)):
            return value.isoformat()
        if not isinstance(value, str):
            self.fail(f"{key}.{name}", "a string", value)
        if required and not value.strip():
            self.fail(f"{key}.{name}", "a non-empty string", value)
        return value

    def strings(self, table: dict, name: str, key: str) -> list[str]:
        value = table.get(name, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(f"{key}.{name}", "a list of strings", value)
        return list(value)

    def choice(self, table: dict, name: str, key: str, choices: tuple[str, ...], default: str) -> str:
        value = self.string(table, name, key, default=default)
        if value not in choices:
            self.fail(f"{key}.{name}", f"one of {' | '.join(choices)}", value)
        return value

    def integer(self, table: dict, name: str, key: str, default: int | None, minimum: int = 0) -> int | None:
        if name not in table:
            return default
        value = table[name]
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            self.fail(f"{key}.{name}", f"an integer >= {minimum}", value)
        return value


_DATE_RE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$|^\d{4}/\d{2}(/\d{2})?$")


def is_search_date(value: str) -> bool:
    """YYYY, YYYY-MM or YYYY-MM-DD (or with slashes, as PubMed writes them) naming a real day or
    month: a typo such as 2023-13-45 is caught when the protocol is read, not in a PRISMA-S table."""
    if not _DATE_RE.match(value):
        return False
    year, month, day = ([int(p) for p in re.split(r"[-/]", value)] + [1, 1])[:3]
    try:
        _dt.date(year, month, day)
    except ValueError:
        return False
    return True


def load(path: str | Path) -> Protocol:
    """Read and validate a protocol file."""
    path = Path(path)
    if not path.exists():
        raise ProtocolError(f"{path}: protocol file not found")
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ProtocolError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ProtocolError(f"{path}: not valid UTF-8 text, expected a TOML protocol") from None
    return parse(data, path)


def parse(data: dict, path: Path) -> Protocol:
    check = _Checker(path)
    check.keys(data, TOP_KEYS, "")
    review = check.table(data.get("review"), "review") if "review" in data else check.fail("review", "a [review] table")
    check.keys(review, REVIEW_KEYS, "review")
    title = check.string(review, "title", "review", required=True)
    review_type = check.choice(review, "type", "review", REVIEW_TYPES, "systematic")
    store = check.string(review, "store", "review", default="")
    store_path = (path.parent / store) if store else path.with_suffix(".db")
    if store and Path(store).is_absolute():
        store_path = Path(store)

    screening_table = check.table(data.get("screening", {}), "screening")
    check.keys(screening_table, SCREENING_KEYS, "screening")
    reviewers = check.strings(screening_table, "reviewers", "screening")
    if len(set(reviewers)) != len(reviewers):
        check.fail("screening.reviewers", "distinct names", reviewers)
    highlight = check.table(screening_table.get("highlight", {}), "screening.highlight")
    check.keys(highlight, {"include", "exclude"}, "screening.highlight")
    lead = check.string(screening_table, "lead", "screening", default=check.string(review, "lead", "review"))
    if lead and reviewers and lead not in reviewers and lead not in check.strings(screening_table, "resolvers", "screening"):
        check.fail("screening.lead", f"one of the reviewers or resolvers ({', '.join(reviewers)})", lead)
    screening = Screening(
        reviewers=reviewers,
        exclusion_reasons=check.strings(screening_table, "exclusion_reasons", "screening"),
        full_text_reasons=check.strings(screening_table, "full_text_reasons", "screening"),
        highlight_include=check.strings(highlight, "include", "screening.highlight"),
        highlight_exclude=check.strings(highlight, "exclude", "screening.highlight"),
        lead=lead,
        extra={k: v for k, v in screening_table.items() if k not in {
            "reviewers", "exclusion_reasons", "full_text_reasons", "highlight", "lead"}},
    )

    raw_searches = data.get("search", [])
    if not isinstance(raw_searches, list):
        check.fail("search", "an array of tables ([[search]])", raw_searches)
    searches: list[Search] = []
    seen: set[str] = set()
    for index, item in enumerate(raw_searches, start=1):
        key = f"search[{index}]"
        check.table(item, key)
        check.keys(item, SEARCH_KEYS, key)
        search_id = check.string(item, "id", key, required=True)
        key = f"search[{index}] (id {search_id!r})"
        if not SEARCH_ID.fullmatch(search_id):
            check.fail(f"{key}.id", "letters, digits, '-', '_', '.' or ':' (it is the stable handle)", search_id)
        if search_id in seen:
            check.fail(f"{key}.id", "an id used by no other search", search_id)
        seen.add(search_id)
        connector = check.choice(item, "connector", key, CONNECTORS, "file")
        files = check.strings(item, "files", key)
        if connector == "file" and not files:
            check.fail(f"{key}.files", "at least one export file (or connector = \"pubmed\")")
        date = check.string(item, "date", key)
        if date and not is_search_date(date):
            check.fail(f"{key}.date", "a date as YYYY-MM-DD", date)
        limits = {name: check.string(item, name, key) for name in ("mindate", "maxdate")}
        for name, value in limits.items():
            if value and not is_search_date(value):
                check.fail(f"{key}.{name}", "a publication date as YYYY, YYYY/MM or YYYY/MM/DD", value)
        if connector == "pubmed" and not check.string(item, "query", key):
            check.fail(f"{key}.query", "a PubMed query for connector = \"pubmed\"")
        screen = item.get("screen")
        if screen is not None and not isinstance(screen, bool):
            check.fail(f"{key}.screen", "true or false", screen)
        fmt = check.string(item, "format", key, default="") or None
        searches.append(Search(
            id=search_id,
            database=check.string(item, "database", key, required=True),
            method=check.choice(item, "method", key, METHODS, "database"),
            platform=check.string(item, "platform", key),
            date=date,
            query=check.string(item, "query", key),
            limits=check.string(item, "limits", key),
            files=[Path(f) if Path(f).is_absolute() else path.parent / f for f in files],
            round=check.integer(item, "round", key, 1, minimum=1) or 1,
            connector=connector,
            mindate=limits["mindate"],
            maxdate=limits["maxdate"],
            hits=check.integer(item, "hits", key, None),
            format=fmt,
            screen=screen,
        ))

    outputs = check.table(data.get("outputs", {}), "outputs")
    for name, value in outputs.items():
        if not isinstance(value, str):
            check.fail(f"outputs.{name}", "a file path string", value)
    dedup = check.table(data.get("dedup", {}), "dedup")
    check.keys(dedup, DEDUP_KEYS, "dedup")

    return Protocol(
        path=path, title=title, type=review_type, store_path=store_path, searches=searches,
        screening=screening, outputs=dict(outputs), dedup=dict(dedup), raw=data,
    )
