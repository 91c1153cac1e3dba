"""Citation chasing through PubMed's links (elink): reference lists and citing articles of seed works."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Iterable

from ... import search_runs
from ...records import Record
from ...store import Store
from ..pubmed_xml import NcbiError, read_efetch, read_elink, read_esearch
from .client import EutilsClient, EutilsError
from .conversation import Conversation
from .runs import digest
from .settings import PubMedSettings
from .slicing import listing

ELINK_BATCH = 100            # seeds per elink request (one LinkSet each)
LINKNAMES = {"refs": "pubmed_pubmed_refs", "citedby": "pubmed_pubmed_citedin"}


@dataclass
class ChaseResult:
    """What a chase found, for the report: seeds, how each was found in PubMed, links, failures."""

    search_id: str
    direction: str
    version: int = 0
    seeds: dict[int, str] = field(default_factory=dict)          # work -> PMID
    resolved_by: dict[int, str] = field(default_factory=dict)    # work -> "doi" | "title" (no PMID stored)
    unresolved: list[tuple[int, str]] = field(default_factory=list)   # (work, title or DOI)
    links: dict[int, int] = field(default_factory=dict)          # work -> linked records stored
    records: int = 0
    warnings: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"{self.search_id}: {self.records} records linked ({self.direction}) from "
               f"{len(self.seeds)} seed works (version {self.version})"]
        for work, pmid in self.seeds.items():
            how = f", found by {self.resolved_by[work]}" if work in self.resolved_by else ""
            out.append(f"  work {work} (PMID {pmid}{how}): {self.links.get(work, 0)} records")
        if self.unresolved:
            out.append(f"{len(self.unresolved)} seed works not found in PubMed (chase their references by hand):")
            out += [f"  work {work}: {label}" for work, label in self.unresolved]
        return out + self.warnings


def _resolve(conversation: Conversation, term: str) -> str:
    """The one PMID a search finds, else ""."""
    result = conversation.call("esearch", {"db": "pubmed", "term": term, "retmax": "2"}, read_esearch)
    if isinstance(result, NcbiError) or result.count != 1 or not result.ids:
        return ""
    return result.ids[0]


def _title_term(title: str) -> str:
    words = "".join(c if c.isalnum() else " " for c in title).split()
    return f"\"{' '.join(words)}\"[ti]" if words else ""


def chase(store: Store, work_ids: Iterable[int], *, direction: str = "both", settings: PubMedSettings,
          today: date | None = None) -> ChaseResult:
    """Reference lists (refs) and citing articles (citedby) of the seed works, through elink, stored as a
    "citation" search run with each record's seed work. Works without a PMID are looked up by DOI,
    then title. Chasing the same seeds in the same direction again is a new version of that run."""
    if direction not in ("refs", "citedby", "both"):
        raise ValueError(f"direction must be refs, citedby or both, not {direction!r}")
    wanted = sorted({int(w) for w in work_ids})
    if not wanted:
        raise EutilsError("no seed works to chase")
    known = store.work_identifiers(wanted)
    unknown = [w for w in wanted if w not in known]
    if unknown:
        raise EutilsError(f"no work with id {', '.join(map(str, unknown))} in this project")
    linknames = [LINKNAMES[d] for d in (("refs", "citedby") if direction == "both" else (direction,))]
    search_id = f"citation:{direction}:{hashlib.sha1(','.join(map(str, wanted)).encode()).hexdigest()[:8]}"
    with store.exclusive(f"search-{search_id}", "this citation chase"):
        return _chase(store, wanted, known, linknames, search_id, direction, settings, today)


def _chase(store: Store, wanted: list[int], known: dict[int, dict[str, Any]], linknames: list[str],
           search_id: str, direction: str, settings: PubMedSettings, today: date | None) -> ChaseResult:
    """:func:`chase` once this process alone runs it."""
    result = ChaseResult(search_id, direction)
    run = search_runs.begin(          # chases are short: a pending one starts again rather than resumes
        store, search_id, connector="citation", database="PubMed", method="citation",
        platform="NCBI E-utilities ELink", date_run=(today or date.today()).isoformat())
    conversation = Conversation(store, run.id, EutilsClient(settings), search_id)
    try:
        for work in wanted:
            ident = known[work]
            pmid = ident["pmid"]
            if not pmid and ident["doi"]:
                pmid = _resolve(conversation, f"\"{ident['doi']}\"[aid]")
                if pmid:
                    result.resolved_by[work] = "doi"
            if not pmid and ident["title"]:
                term = _title_term(ident["title"])
                pmid = _resolve(conversation, term) if term else ""
                if pmid:
                    result.resolved_by[work] = "title"
            if pmid:
                result.seeds[work] = pmid
            else:
                result.unresolved.append((work, ident["title"] or ident["doi"] or "(no title, DOI or PMID)"))

        linked: dict[int, list[str]] = {work: [] for work in result.seeds}
        by_pmid: dict[str, list[int]] = {}
        for work, pmid in result.seeds.items():
            by_pmid.setdefault(pmid, []).append(work)
        seeds = list(by_pmid)
        for linkname in linknames:
            for start in range(0, len(seeds), ELINK_BATCH):
                chunk = seeds[start:start + ELINK_BATCH]
                # a list of ids is sent as repeated id= parameters: one LinkSet per seed
                reply = conversation.call("elink", {"dbfrom": "pubmed", "db": "pubmed", "linkname": linkname,
                                                    "id": chunk}, read_elink)
                if isinstance(reply, NcbiError):
                    raise EutilsError(f"PubMed refused the citation links: {reply.message}")
                for seed, links in reply:
                    for work in by_pmid.get(seed, []):
                        linked[work] += [p for p in links.get(linkname, []) if p not in linked[work]]
        targets = list(dict.fromkeys(p for pmids in linked.values() for p in pmids))
        records: dict[str, Record] = {}
        for start in range(0, len(targets), settings.batch_size):
            reply = conversation.call("efetch", {"db": "pubmed", "retmode": "xml",
                                                 "id": ",".join(targets[start:start + settings.batch_size])},
                                      read_efetch)
            if isinstance(reply, NcbiError):
                raise EutilsError(f"PubMed refused to fetch records: {reply.message}")
            for record in reply.records:
                records.setdefault(record.pmid, record)
    except EutilsError as exc:
        search_runs.discard(store, run.id)
        raise EutilsError(f"citation chasing: {exc}") from None

    missing = [p for p in targets if p not in records]
    if missing:
        result.warnings.append(f"{len(missing)} linked PMIDs could not be fetched: {listing(missing)}")
    query = (f"{' + '.join(linknames)} of PMIDs "
             + ", ".join(f"{pmid} (work {work})" for work, pmid in result.seeds.items()))
    with store.transaction():
        store.update_search_run(run.id, query=query)
        for work, pmids in linked.items():
            found = [records[p] for p in pmids if p in records]
            result.links[work] = store.add_records(run.id, None, found, previous_run_id=run.previous_run_id,
                                                   seed_work_id=work)
        result.version = search_runs.complete(store, run, digest(store.run_fingerprints(run.id)),
                                              sum(len(p) for p in linked.values())).version
    result.records = sum(result.links.values())
    return result
