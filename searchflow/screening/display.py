"""What a reviewer reads about a work: its display fields, taken from its most complete
current record, the abstract split into its sections, and the stages' names as people
write them. The CLI, the TUI and the exports show these; no screening rule lives here.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..store import Store
from .vocabulary import ScreeningError

STAGE_NAMES = {"title_abstract": "title/abstract", "full_text": "full text"}


@dataclass(frozen=True)
class WorkSummary:
    """What a reviewer reads about a work, from its most complete current record."""

    work_id: int
    title: str = ""
    authors: list[str] = field(default_factory=list)
    journal: str = ""
    year: int | None = None
    volume: str = ""
    issue: str = ""
    pages: str = ""
    doi: str = ""
    pmid: str = ""
    type: str = ""
    language: str = ""
    keywords: list[str] = field(default_factory=list)
    abstract: str = ""
    sections: list[tuple[str, str]] = field(default_factory=list)  # ("", text) when unstructured
    url: str = ""
    record_id: int = 0
    searches: list[str] = field(default_factory=list)    # the searches that found it
    databases: list[str] = field(default_factory=list)
    methods: list[str] = field(default_factory=list)


_SECTION_WORDS = (
    "background", "introduction", "context", "objective", "objectives", "aim", "aims", "purpose",
    "rationale", "methods", "method", "design", "setting", "settings", "participants", "population",
    "interventions", "intervention", "measurements", "main outcome measures", "outcomes", "results",
    "findings", "conclusion", "conclusions", "discussion", "implications", "limitations",
    "data sources", "study selection", "data extraction", "data synthesis", "review methods",
    "trial registration", "significance", "evidence acquisition", "evidence synthesis",
)


_KNOWN_SECTIONS = "|".join(sorted((re.escape(w) for w in _SECTION_WORDS), key=len, reverse=True))
_SECTION_RE = re.compile(
    rf"(?:^|(?<=[.!?]\s)|(?<=[.!?]))\s*((?:[A-Z][A-Z/&,\- ]{{2,50}}[A-Z])|(?i:{_KNOWN_SECTIONS})):\s+")


def abstract_sections(abstract: str) -> list[tuple[str, str]]:
    """Split a structured abstract ("BACKGROUND: ... METHODS: ...") into (label, text);
    one ("", abstract) section when it is not structured. Labels are ALL CAPS words or
    the usual section names, at the start or after a sentence."""
    matches = list(_SECTION_RE.finditer(abstract))
    if not matches:
        return [("", abstract)] if abstract else []
    sections: list[tuple[str, str]] = []
    if matches[0].start() > 0 and abstract[: matches[0].start()].strip():
        sections.append(("", abstract[: matches[0].start()].strip()))
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(abstract)
        sections.append((match.group(1).strip(), abstract[match.end():end].strip()))
    return sections


def _completeness(record: dict) -> tuple:
    filled = sum(bool(record[k]) for k in ("title", "abstract", "authors", "year", "journal", "doi",
                                             "pmid", "type", "keywords", "volume", "pages"))
    return (filled, len(record["abstract"]), -record["id"])


def work_summary(store: Store, work_id: int) -> WorkSummary:
    """Display fields of a work from its most complete current member; the abstract, keywords,
    DOI and PMID from another member when that one lacks them."""
    members = store.work_records(work_id)
    if not members:
        raise ScreeningError(f"work {work_id} is not in this project's current search runs")
    best = max(members, key=_completeness)
    unique = lambda values: list(dict.fromkeys(values))  # noqa: E731  (keeps first-seen order)
    # A work screened on its title and abstract shows an abstract whenever one of its records has
    # one, even when another record of the work is more complete otherwise.
    abstract = best["abstract"] or max((m["abstract"] for m in members), key=len)
    keywords = best["keywords"] or next((m["keywords"] for m in members if m["keywords"]), [])
    return WorkSummary(
        work_id=work_id, title=best["title"], authors=best["authors"], journal=best["journal"],
        year=best["year"], volume=best["volume"], issue=best["issue"], pages=best["pages"],
        doi=best["doi"] or next((m["doi"] for m in members if m["doi"]), ""),
        pmid=best["pmid"] or next((m["pmid"] for m in members if m["pmid"]), ""),
        type=best["type"], language=best["language"], keywords=keywords,
        abstract=abstract, sections=abstract_sections(abstract), url=best["url"],
        record_id=best["id"], searches=unique(m["search"] for m in members),
        databases=unique(m["database"] for m in members), methods=unique(m["method"] for m in members),
    )
