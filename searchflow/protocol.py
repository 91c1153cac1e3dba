"""Protocol files: the TOML that names a review's searches, reviewers and outputs.

The protocol is the project's handle: every project command takes it first and
the store lives beside it. Every key is a field of one of the tables below, each
with a line saying what it does; the file is checked once, when it is read, and a
mistake names the key path (``search[2].method``) and what was expected, so a typo
never becomes a silently missing search or a setting quietly ignored. The rest of
the code reads these typed fields and checks nothing again.
"""
from __future__ import annotations

import datetime as _dt
import re
import tomllib
import typing
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any

from .sources import FORMATS
from .store import is_database_url

REVIEW_TYPES = ("realist", "meta-ethnography", "systematic", "scoping")
METHODS = ("database", "register", "website", "organisation", "citation", "expert", "alert", "grey")
DATABASE_METHODS = ("database", "register")   # PRISMA's first column; the rest are "other methods"
CONNECTORS = ("file", "pubmed")
STAGES = ("title_abstract", "full_text")
SEARCH_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]*")   # a search's stable handle
ORDERS = ("prioritised", "as imported", "random")          # screening orders, in the order `o` cycles them
_ORDER_SPELLINGS = {"prioritised": "prioritised", "prioritized": "prioritised", "as imported": "as imported",
                    "imported": "as imported", "random": "random"}
# The screening actions [screening] keys may remap, with their default keys.
SCREENING_ACTIONS = {
    "include": "i", "exclude": "e", "maybe": "m", "not_retrieved": "r", "note": "n", "undo": "u",
    "previous": "left", "next": "right", "search": "slash", "help": "question_mark", "quit": "q",
    "link": "l", "same": "s", "different": "d", "order": "o", "filter": "f",
}
# [outputs]: the files `run` regenerates, by key, with the flow format each is written in.
OUTPUT_KEYS = {
    "flow_svg": "svg",              # the PRISMA 2020 diagram
    "flow_mermaid": "mermaid",      # the same diagram as a Mermaid flowchart
    "flow_csv": "csv",              # counts in the PRISMA2020 R package's CSV template
    "flow_json": "json",            # every count (PRISMA, RAMESES, eMERGe), sorted keys
    "flow_md": "md",                # counts as Markdown tables
    "search_table": "search-table",  # PRISMA-S: one row per search run (CSV if the path ends .csv)
}
OUTPUT_ALIASES = {"prisma_" + key[len("flow_"):]: key for key in OUTPUT_KEYS if key.startswith("flow_")}


class ProtocolError(Exception):
    """A protocol that cannot be used; the message names file and key path."""


# ------------------------------------------------------------------ the model: one table per class, one field per key

@dataclass
class Previous:
    """``[review] previous``: the earlier version of an updated review."""

    studies: int = 0
    """Studies the earlier version included."""
    reports: int = 0
    """Reports of those studies (at least as many as the studies)."""


@dataclass
class Review:
    """``[review]``: what the review is and where its store lives."""

    title: str = ""
    """The review's title (required): the heading of every report."""
    type: str = "systematic"
    """One of REVIEW_TYPES: picks the RAMESES or eMERGe summaries beside PRISMA."""
    store: str = ""
    """The SQLite store, relative to the protocol (empty: the protocol's name with .db), or a
    postgresql:// URL."""
    question: str = ""
    """The review question, kept with the protocol for the record."""
    lead: str = ""
    """Who may unblind a stage; ``[screening] lead`` wins when both are given."""
    previous: Previous | None = None
    """An updated review's earlier counts, for the PRISMA "updated review" diagram."""


@dataclass
class Highlight:
    """``[screening] highlight``: words (``*`` for any ending) shown in colour while screening."""

    include: list[str] = field(default_factory=list)
    """Words suggesting an include, shown green."""
    exclude: list[str] = field(default_factory=list)
    """Words suggesting an exclude, shown red."""


@dataclass
class Prioritise:
    """``[screening] prioritise``: likely includes first, once a reviewer has decided enough."""

    min_includes: int = 1
    """Includes a reviewer must have given before their queue is ranked."""
    min_excludes: int = 1
    """Excludes a reviewer must have given before their queue is ranked."""


@dataclass
class StoppingRule:
    """``[screening] stopping_rule``: the rule the team stops prioritised screening under."""

    rule: str = ""
    """The rule in words, reported beside the "marked ineligible by automation" count."""
    description: str = ""
    """Another name for ``rule``."""
    stopped: bool = False
    """True: screening stopped under the rule; the unscreened works were marked ineligible."""
    irrelevant_in_a_row: int | None = None
    """The dashboard points at the rule after this many irrelevant works in a row (default 50)."""


@dataclass
class Screening:
    """``[screening]``: who screens, with which reasons, in which order."""

    reviewers: list[str] = field(default_factory=list)
    """The screeners' names, as they type them with ``--reviewer``."""
    lead: str = ""
    """One of the reviewers or resolvers; the only one who may unblind a stage."""
    resolvers: list[str] = field(default_factory=list)
    """Who may resolve conflicts besides the lead (and the reviewers, once unblinded)."""
    exclusion_reasons: list[str] = field(default_factory=list)
    """Title/abstract exclusion reasons, numbered in the screening UI."""
    full_text_reasons: list[str] = field(default_factory=list)
    """Full-text exclusion reasons (PRISMA reports them); empty: the exclusion reasons."""
    highlight: Highlight = field(default_factory=Highlight)
    """Words highlighted green (include) and red (exclude)."""
    second_reviewer_share: dict[str, float] = field(default_factory=lambda: {stage: 1.0 for stage in STAGES})
    """Per stage, the seeded share of works a second reviewer screens (a plain number: title/abstract only)."""
    maybe_is_conflict: bool = False
    """True: a maybe at title/abstract is a conflict for the resolver."""
    screen_other_methods: bool = False
    """True: works found only by other methods are screened at title/abstract too."""
    keys: dict[str, str] = field(default_factory=dict)
    """TUI keys remapped by action (one of SCREENING_ACTIONS), e.g. ``include = "y"``; "i,y" for two."""
    order: str | None = None
    """The screening order to start with (one of ORDERS); None: prioritised when prioritising."""
    prioritise: Prioritise | None = None
    """Rank likely includes first (``true`` or a table); None: off."""
    stopping_rule: StoppingRule | None = None
    """The rule the team stops under; None: no rule declared."""
    seed: str = "searchflow"
    """The seed of the second-reviewer share and of random order."""

    @property
    def highlight_include(self) -> list[str]:
        return self.highlight.include

    @property
    def highlight_exclude(self) -> list[str]:
        return self.highlight.exclude


@dataclass
class Search:
    """``[[search]]``: one search as run, with its export files (what PRISMA-S reports)."""

    id: str
    """The search's stable handle (letters, digits, ``-_.:``)."""
    database: str
    """The source searched (required)."""
    method: str = "database"
    """How it was searched: one of METHODS."""
    platform: str = ""
    """The interface (Ovid, EBSCOhost, ...)."""
    date: str = ""
    """The date it was run (YYYY, YYYY-MM or YYYY-MM-DD)."""
    query: str = ""
    """The strategy as run."""
    limits: str = ""
    """Limits applied (language, dates, ...), as text for the search table."""
    files: list[Path] = field(default_factory=list)
    """The export files, relative to the protocol (at least one for a file search)."""
    round: int = 1
    """The search round (realist reviews search iteratively)."""
    connector: str = "file"
    """Where records come from: one of CONNECTORS."""
    mindate: str = ""
    """PubMed: the earliest publication date (YYYY, YYYY/MM or YYYY/MM/DD)."""
    maxdate: str = ""
    """PubMed: the latest publication date."""
    hits: int | None = None
    """The number of hits the database reported, for PRISMA-S."""
    format: str | None = None
    """Force an importer (one of sources.FORMATS) instead of detecting."""
    screen: bool | None = None
    """Other-methods searches: True sends their works to title/abstract screening."""
    notes: str = ""
    """Free text for the team; not used in counts."""


@dataclass
class Dedup:
    """``[dedup]``: whether and how strictly `run` deduplicates. Thresholds are title similarities
    from 0 to 1, or percentages above 1 (as written; the dedup rules read them either way)."""

    enabled: bool = True
    """False: `run` does not deduplicate."""
    duplicate_threshold: float = 0.95
    """Title similarity above which a pair is merged."""
    possible_threshold: float = 0.85
    """Title similarity above which a pair is sent to review (below duplicate_threshold)."""


@dataclass
class PubMed:
    """``[pubmed]``: how searchflow introduces itself to NCBI's E-utilities."""

    email: str = ""
    """Sent with each request, as NCBI's usage rules ask (else NCBI_EMAIL)."""
    tool: str = "searchflow"
    """The tool name sent with each request."""
    batch_size: int = 500
    """Records fetched per request (1 to 10,000)."""


# The protocol's tables, by name ([[search]] is an array of them; [outputs] is OUTPUT_KEYS).
TABLES: dict[str, type] = {"review": Review, "screening": Screening, "search": Search, "dedup": Dedup,
                           "pubmed": PubMed}
TOP_KEYS = {*TABLES, "outputs"}


def keys_of(table: type) -> list[str]:
    """The keys a table (a model class) takes, in the order declared."""
    return [f.name for f in fields(table)]


def nested_table(table: type, key: str) -> type | None:
    """The model class of a key whose value is itself a table (``prioritise``), else None."""
    hint = typing.get_type_hints(table)[key]
    for candidate in (hint, *typing.get_args(hint)):
        if is_dataclass(candidate):
            return candidate
    return None


@dataclass
class Protocol:
    path: Path
    review: Review
    store_path: Path | str      # a file, or a database server's URL
    searches: list[Search]
    screening: Screening
    outputs: dict[str, str] = field(default_factory=dict)     # key as written -> path (see OUTPUT_KEYS)
    dedup: Dedup = field(default_factory=Dedup)
    pubmed: PubMed = field(default_factory=PubMed)
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return self.review.title

    @property
    def type(self) -> str:
        return self.review.type

    def search(self, search_id: str) -> Search:
        for search in self.searches:
            if search.id == search_id:
                return search
        raise KeyError(search_id)

    def resolve(self, relative: str) -> Path:
        """A path written in the protocol, relative to the protocol file."""
        path = Path(relative).expanduser()
        return path if path.is_absolute() else (self.path.parent / path)


# ------------------------------------------------------------------ checking

def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class _Checker:
    def __init__(self, path: Path):
        self.path = path

    def fail(self, key: str, expected: str, got: Any = None) -> typing.NoReturn:
        shown = "" if got is None else f", got {got!r}"
        raise ProtocolError(f"{self.path}: {key}: expected {expected}{shown}")

    def table(self, value: Any, key: str, expected: str = "a table") -> dict:
        if not isinstance(value, dict):
            self.fail(key, expected, value)
        return value

    def keys(self, table: dict, model: type | set[str], key: str) -> None:
        allowed = set(keys_of(model)) if isinstance(model, type) else model
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

    def strings(self, table: dict, name: str, key: str, expected: str = "a list of strings") -> list[str]:
        value = table.get(name, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(f"{key}.{name}", expected, value)
        return list(value)

    def choice(self, table: dict, name: str, key: str, choices: tuple[str, ...], default: str) -> str:
        value = self.string(table, name, key, default=default)
        if value not in choices:
            self.fail(f"{key}.{name}", f"one of {' | '.join(choices)}", value)
        return value

    def integer(self, table: dict, name: str, key: str, default: int | None, minimum: int = 0,
                expected: str = "an integer") -> int | None:
        if name not in table:
            return default
        value = table[name]
        if not _whole(value) or value < minimum:
            self.fail(f"{key}.{name}", f"{expected} >= {minimum}", value)
        return value

    def flag(self, table: dict, name: str, key: str, default: bool | None) -> bool | None:
        value = table.get(name, default)
        if value is not default and not isinstance(value, bool):
            self.fail(f"{key}.{name}", "true or false", value)
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
    """The protocol model of a TOML document, every key checked."""
    check = _Checker(path)
    check.keys(data, TOP_KEYS, "")
    if "review" not in data:
        check.fail("review", "a [review] table")
    review = _review(check, check.table(data["review"], "review"))
    store_path = review.store if is_database_url(review.store) else (path.parent / review.store) if review.store else path.with_suffix(".db")
    if review.store and Path(review.store).is_absolute():
        store_path = Path(review.store)
    raw_searches = data.get("search", [])
    if not isinstance(raw_searches, list):
        check.fail("search", "an array of tables ([[search]])", raw_searches)
    searches: list[Search] = []
    for index, item in enumerate(raw_searches, start=1):
        search = _search(check, check.table(item, f"search[{index}]"), index, path)
        if any(s.id == search.id for s in searches):
            check.fail(f"search[{index}] (id {search.id!r}).id", "an id used by no other search", search.id)
        searches.append(search)
    return Protocol(
        path=path, review=review, store_path=store_path, searches=searches,
        screening=_screening(check, check.table(data.get("screening", {}), "screening"), review.lead),
        outputs=_outputs(check, check.table(data.get("outputs", {}), "outputs")),
        dedup=_dedup(check, check.table(data.get("dedup", {}), "dedup")),
        pubmed=_pubmed(check, check.table(data.get("pubmed", {}), "pubmed", "a table ([pubmed])")),
        raw=data,
    )


def _review(check: _Checker, table: dict) -> Review:
    check.keys(table, Review, "review")
    previous = None
    if "previous" in table:
        key = "review.previous"
        value = check.table(table["previous"], key, "a table {studies = N, reports = M}")
        check.keys(value, Previous, key)
        studies, reports = (check.integer(value, name, key, None) for name in ("studies", "reports"))
        if studies is None or reports is None:
            check.fail(f"{key}.{'studies' if studies is None else 'reports'}", "an integer >= 0 (required)")
        if reports < studies:
            raise ProtocolError(f"{check.path}: {key}: reports ({reports}) cannot be fewer than studies ({studies})")
        previous = Previous(studies, reports)
    return Review(
        title=check.string(table, "title", "review", required=True),
        type=check.choice(table, "type", "review", REVIEW_TYPES, "systematic"),
        store=check.string(table, "store", "review"),
        question=check.string(table, "question", "review"),
        lead=check.string(table, "lead", "review"),
        previous=previous,
    )


def _screening(check: _Checker, table: dict, review_lead: str) -> Screening:
    key = "screening"
    check.keys(table, Screening, key)
    reviewers = check.strings(table, "reviewers", key)
    if len(set(reviewers)) != len(reviewers):
        check.fail("screening.reviewers", "distinct names", reviewers)
    resolvers = check.strings(table, "resolvers", key, "a list of names")
    lead = check.string(table, "lead", key, default=review_lead)
    if lead and reviewers and lead not in reviewers and lead not in resolvers:
        check.fail("screening.lead", f"one of the reviewers or resolvers ({', '.join(reviewers)})", lead)
    highlight = check.table(table.get("highlight", {}), "screening.highlight")
    check.keys(highlight, Highlight, "screening.highlight")
    seed = table.get("seed", "searchflow")
    if not isinstance(seed, str) and not _whole(seed):
        check.fail("screening.seed", "a string or a whole number", seed)
    return Screening(
        reviewers=reviewers,
        lead=lead,
        resolvers=resolvers,
        exclusion_reasons=check.strings(table, "exclusion_reasons", key),
        full_text_reasons=check.strings(table, "full_text_reasons", key),
        highlight=Highlight(include=check.strings(highlight, "include", "screening.highlight"),
                            exclude=check.strings(highlight, "exclude", "screening.highlight")),
        second_reviewer_share=_shares(check, table.get("second_reviewer_share", 1.0)),
        maybe_is_conflict=check.flag(table, "maybe_is_conflict", key, False),
        screen_other_methods=check.flag(table, "screen_other_methods", key, False),
        keys=_keys(check, table.get("keys", {})),
        order=_order(check, table.get("order")),
        prioritise=_prioritise(check, table.get("prioritise", False)),
        stopping_rule=_stopping_rule(check, table.get("stopping_rule")),
        seed=str(seed),
    )


def _shares(check: _Checker, value: Any) -> dict[str, float]:
    """A plain number is the title/abstract share (full texts are assessed in duplicate);
    a table ``{title_abstract = 0.2, full_text = 1.0}`` sets each stage."""
    key = "screening.second_reviewer_share"
    if isinstance(value, dict):
        check.keys(value, set(STAGES), key)
        given = {stage: (f"{key}.{stage}", value.get(stage, 1.0)) for stage in STAGES}
    else:
        given = {"title_abstract": (key, value), "full_text": (key, 1.0)}
    for where, share in given.values():
        if not _number(share) or not 0 <= share <= 1:
            check.fail(where, "a number from 0 to 1 (0.2 for 20%)", share)
    return {stage: float(share) for stage, (_, share) in given.items()}


def _keys(check: _Checker, value: Any) -> dict[str, str]:
    keys = check.table(value, "screening.keys", 'a table of action = "key"')
    for action, key in keys.items():
        if action not in SCREENING_ACTIONS:
            check.fail(f"screening.keys.{action}", f"one of {', '.join(sorted(SCREENING_ACTIONS))}", action)
        if not isinstance(key, str) or not key.strip():
            check.fail(f"screening.keys.{action}", 'a key name like "y"')
    return dict(keys)


def _order(check: _Checker, value: Any) -> str | None:
    if value is None:
        return None
    order = _ORDER_SPELLINGS.get(value.strip().casefold().replace("_", " ")) if isinstance(value, str) else None
    if order is None:
        check.fail("screening.order", f"one of {', '.join(repr(o) for o in ORDERS)}", value)
    return order


def _prioritise(check: _Checker, value: Any) -> Prioritise | None:
    key = "screening.prioritise"
    if isinstance(value, bool):
        return Prioritise() if value else None
    table = check.table(value, key, "true, false or a table { min_includes = N, min_excludes = M }")
    check.keys(table, Prioritise, key)
    return Prioritise(**{name: check.integer(table, name, key, 1, minimum=1, expected="a whole number")
                         for name in keys_of(Prioritise)})


def _stopping_rule(check: _Checker, value: Any) -> StoppingRule | None:
    key = "screening.stopping_rule"
    if value is None:
        return None
    table = check.table(value, key, 'a table { rule = "...", stopped = true }')
    check.keys(table, StoppingRule, key)
    return StoppingRule(
        rule=check.string(table, "rule", key),
        description=check.string(table, "description", key),
        stopped=check.flag(table, "stopped", key, False),
        irrelevant_in_a_row=check.integer(table, "irrelevant_in_a_row", key, None, minimum=1, expected="a whole number"),
    )


def _search(check: _Checker, item: dict, index: int, path: Path) -> Search:
    key = f"search[{index}]"
    check.keys(item, Search, key)
    search_id = check.string(item, "id", key, required=True)
    key = f"search[{index}] (id {search_id!r})"
    if not SEARCH_ID.fullmatch(search_id):
        check.fail(f"{key}.id", "letters, digits, '-', '_', '.' or ':' (it is the stable handle)", search_id)
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
    fmt = check.string(item, "format", key) or None
    if fmt is not None and fmt not in FORMATS:
        check.fail(f"{key}.format", f"one of {' | '.join(FORMATS)}", fmt)
    return Search(
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
        screen=check.flag(item, "screen", key, None),
        notes=check.string(item, "notes", key),
    )


def output_format(path: Path, key: str) -> str:
    """The flow format an [outputs] key is written in; an unknown key is a protocol error."""
    canonical = OUTPUT_ALIASES.get(key, key)
    if canonical not in OUTPUT_KEYS:
        known = sorted(OUTPUT_KEYS) + sorted(OUTPUT_ALIASES)
        raise ProtocolError(f"{path}: outputs.{key}: unknown output; expected one of {', '.join(known)}")
    return OUTPUT_KEYS[canonical]


def _outputs(check: _Checker, table: dict) -> dict[str, str]:
    for name, value in table.items():
        if not isinstance(value, str):
            check.fail(f"outputs.{name}", "a file path string", value)
        output_format(check.path, name)
    return dict(table)


def similarity(threshold: float) -> float:
    """A [dedup] threshold as a percentage: 0-1 is a fraction, above 1 already a percentage."""
    return float(threshold * 100 if threshold <= 1 else threshold)


def _dedup(check: _Checker, table: dict) -> Dedup:
    check.keys(table, Dedup, "dedup")
    dedup = Dedup(enabled=check.flag(table, "enabled", "dedup", True))
    for name in ("duplicate_threshold", "possible_threshold"):
        value = table.get(name, getattr(dedup, name))
        if not _number(value) or not 0 <= value <= 100:
            check.fail(f"dedup.{name}", "a number from 0 to 1 (or a percentage up to 100)", value)
        setattr(dedup, name, value)
    if similarity(dedup.possible_threshold) >= similarity(dedup.duplicate_threshold):
        if "possible_threshold" in table:
            check.fail("dedup.possible_threshold", f"a similarity below duplicate_threshold "
                       f"({dedup.duplicate_threshold})", dedup.possible_threshold)
        check.fail("dedup.duplicate_threshold", f"a similarity above possible_threshold "
                   f"({dedup.possible_threshold})", dedup.duplicate_threshold)
    return dedup


def _pubmed(check: _Checker, table: dict) -> PubMed:
    check.keys(table, PubMed, "pubmed")
    batch = table.get("batch_size", PubMed.batch_size)
    if not _whole(batch) or not 1 <= batch <= 10_000:     # PubMed pages at most 10,000 records
        check.fail("pubmed.batch_size", "an integer from 1 to 10000", batch)
    return PubMed(email=check.string(table, "email", "pubmed"),
                  tool=check.string(table, "tool", "pubmed") or PubMed.tool, batch_size=batch)
