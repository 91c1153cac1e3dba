"""Reports and studies at full text: PRISMA counts both, and several reports (works) may
report one study. Links are append-only; the latest link of a report counts."""
from __future__ import annotations

from ..protocol import Protocol
from ..store import Store
from .settings import check_reviewer, resolvers
from .vocabulary import ScreeningError


def link_report(store: Store, protocol: Protocol, work_id: int, study_work_id: int, reviewer: str) -> int:
    """Full text: record that this report (work) belongs to that study; linking a work to
    itself removes its link."""
    if reviewer not in resolvers(protocol):
        check_reviewer(protocol, reviewer)
    for work in {work_id, study_work_id}:
        if not store.is_current_work(work):
            raise ScreeningError(f"work {work} is not in this project's current search runs")
    if work_id != study_work_id and studies(store).get(study_work_id, study_work_id) == work_id:
        raise ScreeningError(f"work {study_work_id} is already a report of study {work_id}; link the other way")
    return store.add_study_link(work_id, study_work_id, reviewer)


def studies(store: Store) -> dict[int, int]:
    """Each linked report's study (followed to the end of a chain); unlinked works are absent."""
    links = {r: s for r, s in store.study_links().items() if r != s}
    result = {}
    for report in links:
        study, seen = links[report], {report}
        while study in links and study not in seen:
            seen.add(study)
            study = links[study]
        result[report] = study
    return result
