"""eMERGe phase 2 summary: search and selection as meta-ethnographies report them.

Per source and stage counts, exclusion reasons at each stage, studies vs papers
(eMERGe says "papers" for what PRISMA calls reports), who screened each stage and how
conflicts were resolved. Everything comes from :class:`~searchflow.flow.counts.Flow`.
"""
from __future__ import annotations

from collections import Counter

from ..protocol import Protocol
from .counts import Flow, listed_reasons, method_rank
from .rameses import source_label

STAGE_FIELDS = ("documents", "automation", "excluded_screening", "awaiting_screening", "not_retrieved",
                "excluded_full_text", "awaiting_full_text", "included")


def phase2(flow: Flow, protocol: Protocol) -> dict:
    """The phase 2 summary as plain data (JSON and Markdown render it)."""
    p = flow.prisma
    sources: dict[tuple, Counter] = {}
    for (round_, method, source), n in flow.records_by_origin.items():
        sources.setdefault((method_rank(method), method, source), Counter())["records"] += n
    for work_id, work in flow.works.items():
        _, method, source, _ = work.origin
        counts = sources.setdefault((method_rank(method), method, source), Counter())
        counts["documents"] += 1
        counts[flow.outcome[work_id]] += 1
    by_source = [{"source": source_label(m, s), "method": m, "records": c["records"],
                  **{k: c[k] for k in STAGE_FIELDS}} for (_, m, s), c in sorted(sources.items())]

    full_text_reasons = listed_reasons(Counter(p.dbr.excluded) + Counter(p.other.excluded))
    excluded = [f for f in flow.title_abstract.values() if f.verdict == "exclude"]
    title_abstract_reasons = listed_reasons(Counter(f.reason for f in excluded), optional=True)
    studies: dict[int, list[int]] = {}
    for report, study in sorted(flow.studies.items()):
        studies.setdefault(study, []).append(report)
    return {
        "sources": by_source,
        "exclusion_reasons": {
            "title_abstract": title_abstract_reasons,
            "title_abstract_without_reason": sum(1 for f in excluded if not f.reason),
            "full_text": full_text_reasons,
        },
        "studies": p.new_studies,
        "papers": p.new_reports,
        "papers_by_study": {str(s): r for s, r in sorted(studies.items())},
        "screening": {
            "title_abstract": _screening(flow.title_abstract, protocol),
            "full_text": _screening(flow.full_text, protocol),
        },
    }


def _screening(finals: dict, protocol: Protocol) -> dict:
    """Who screened a stage and how its conflicts were settled."""
    per_reviewer: Counter = Counter()
    independent = {1: 0, 2: 0}
    resolved_by: Counter = Counter()
    open_conflicts = 0
    for final in finals.values():
        for decision in final.decisions:
            per_reviewer[decision.reviewer] += 1
        if final.decisions:
            independent[min(len(final.decisions), 2)] += 1
        if final.status == "resolved" and final.resolution is not None:
            resolved_by[final.resolution.reviewer] += 1
        elif final.status == "conflict":
            open_conflicts += 1
    order = {name: i for i, name in enumerate(protocol.screening.reviewers)}
    return {
        "works": len(finals),
        "reviewers": {name: per_reviewer[name] for name in sorted(per_reviewer, key=lambda n: (order.get(n, len(order)), n))},
        "screened_by_one": independent[1],
        "screened_by_two_or_more": independent[2],
        "conflicts": sum(resolved_by.values()) + open_conflicts,
        "conflicts_resolved": dict(sorted(resolved_by.items())),
        "conflicts_open": open_conflicts,
    }
