"""RAMESES document flow: documents by source of origin and search round.

Realist syntheses search iteratively (databases, reference lists, CLUSTER, experts) and
report where each included document came from. A document's *source of origin* is
where it was first found: its earliest round, a database before other methods within
a round. So unlike PRISMA (database side wins whatever the round) a document first met
through CLUSTER in round 1 keeps that origin even if a round-2 database search finds it.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass

from ..protocol import DATABASE_METHODS
from ..screening.display import work_summary
from ..store import Store
from .counts import METHOD_LABELS, Flow, method_rank


@dataclass
class OriginRow:
    """One source of origin in one round, with what happened to its documents."""

    round: int
    method: str
    source: str                # the database or source as the protocol names it
    records: int = 0           # records its searches delivered (before deduplication)
    documents: int = 0         # documents (works) that originate here
    automation: int = 0
    excluded_screening: int = 0
    awaiting_screening: int = 0
    not_retrieved: int = 0
    excluded_full_text: int = 0
    awaiting_full_text: int = 0
    included: int = 0


def source_label(method: str, source: str) -> str:
    """"Embase" for a database, "Citation searching: CLUSTER" for the rest."""
    if method in DATABASE_METHODS:
        return source
    label = METHOD_LABELS.get(method, method)
    if not source or source.lower().startswith(label.lower()):
        return source or label
    return f"{label}: {source}"


def document_flow(flow: Flow, store: Store) -> dict:
    """Rows per (round, source of origin) and the included documents with their origin."""
    rows: dict[tuple, OriginRow] = {}

    def row(round_: int, method: str, source: str) -> OriginRow:
        key = (round_, method_rank(method), method, source)
        if key not in rows:
            rows[key] = OriginRow(round_, method, source)
        return rows[key]

    for (round_, method, source), n in flow.records_by_origin.items():
        row(round_, method, source).records += n
    for work_id, work in flow.works.items():
        round_, method, source, _ = work.origin
        target = row(round_, method, source)
        target.documents += 1
        outcome = flow.outcome[work_id]
        setattr(target, outcome, getattr(target, outcome) + 1)
    ordered = [rows[k] for k in sorted(rows)]
    included = []
    for work_id in sorted(w for w, o in flow.outcome.items() if o == "included"):
        work = flow.works[work_id]
        summary = work_summary(store, work_id)
        included.append({
            "work": work_id, "study": flow.studies.get(work_id, work_id),
            "citation": citation(summary.authors, summary.year, summary.title),
            "origin": source_label(work.origin[1], work.origin[2]), "round": work.origin[0],
            "found_by": [source_label(m, d) for m, d in work.sources],
        })
    totals = Counter()
    for r in ordered:
        for key, value in asdict(r).items():
            if isinstance(value, int) and key != "round":
                totals[key] += value
    return {"rows": [asdict(r) | {"label": source_label(r.method, r.source)} for r in ordered],
            "totals": dict(sorted(totals.items())), "included": included}


def citation(authors: list[str], year: int | None, title: str, width: int = 80) -> str:
    """"Smith J et al. (2020) Title…": enough to recognise a document in a table."""
    first = authors[0].replace(",", "") if authors else "Anonymous"
    who = first + (" et al." if len(authors) > 2 else f" and {authors[1].split(',')[0]}" if len(authors) == 2 else "")
    text = f"{who} ({year or 'n.d.'}) {title}".strip()
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"
