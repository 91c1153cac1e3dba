"""One search as PubMed will page through it: date (and PMID-range) slices under its 10,000-record cap.

PubMed will not page past the first 10,000 records of a result set, so a bigger search is
split by publication date (and, for a single day, by PMID range) until every slice is under
10,000; the slices' counts must add up to PubMed's total.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Callable

from ..pubmed_xml import EfetchResult, EsearchResult, NcbiError, read_efetch, read_esearch
from .client import EutilsError
from .conversation import Conversation
from .settings import BATCH_SIZE, PAGE_LIMIT

FIRST_DATE = date(1500, 1, 1)    # before PubMed's oldest publication date
MAX_PMID = 99_999_999


@dataclass
class Slice:
    """Part of a search PubMed will page through whole: a publication-date range, maybe a PMID range."""

    mindate: date
    maxdate: date
    uids: tuple[int, int] | None = None
    count: int = 0

    def describe(self) -> str:
        text = f"{self.mindate:%Y/%m/%d}-{self.maxdate:%Y/%m/%d}"
        return text + (f" PMIDs {self.uids[0]}-{self.uids[1]}" if self.uids else "")


@dataclass
class SearchOutcome:
    total: int                      # PubMed's count for the whole query, when the search began
    translation: str
    slices: list[Slice]             # empty when the search was under 10,000 and fetched whole
    pmids: list[str]                # every PMID fetched, once, in fetch order
    warnings: list[str] = field(default_factory=list)
    slices_add_up: bool = True      # the slices' counts sum to PubMed's total


def _parse_limit(value: str, end: bool) -> date | None:
    """Protocol mindate/maxdate ("2015", "2015-06", "2015/06/30") as a day; a maxdate ends its period."""
    if not value:
        return None
    try:
        parts = [int(p) for p in value.replace("-", "/").split("/")]
        year, month, day = (parts + [0, 0])[:3]
        if len(parts) > 3 or year < 1000 or month > 12:
            raise ValueError
        if not month:
            return date(year, 12, 31) if end else date(year, 1, 1)
        if not day:
            if not end:
                return date(year, month, 1)
            return date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
        return date(year, month, day)
    except ValueError:
        raise EutilsError(f"{'maxdate' if end else 'mindate'} {value!r} is not a date "
                          f"(YYYY, YYYY/MM or YYYY/MM/DD)") from None


class PubMedSearch:
    """The steps of one search over a conversation; the same steps replay from stored responses."""

    def __init__(self, conversation: Conversation, query: str, *, mindate: str = "", maxdate: str = "",
                 today: date, batch_size: int = BATCH_SIZE,
                 progress: Callable[[int, int], None] | None = None):
        self.conversation = conversation
        self.query = query
        self.explicit_dates = bool(mindate or maxdate)
        self.lo = _parse_limit(mindate, end=False) or FIRST_DATE
        self.hi = _parse_limit(maxdate, end=True) or date(today.year + 5, 12, 31)
        self.batch_size = batch_size
        self.progress = progress or (lambda done, total: None)
        self.warnings: list[str] = []

    # -- requests

    def esearch(self, piece: Slice | None, retmax: int, history: bool) -> EsearchResult:
        params: dict[str, Any] = {"db": "pubmed", "term": self._term(piece), "retmax": str(retmax)}
        if piece is not None or self.explicit_dates:
            lo, hi = (piece.mindate, piece.maxdate) if piece is not None else (self.lo, self.hi)
            params.update(datetype="pdat", mindate=f"{lo:%Y/%m/%d}", maxdate=f"{hi:%Y/%m/%d}")
        if history:
            params["usehistory"] = "y"
        result = self.conversation.call("esearch", params, read_esearch)
        if isinstance(result, NcbiError):
            raise EutilsError(f"PubMed refused the search {self.query!r}: {result.message}")
        return result

    def _term(self, piece: Slice | None) -> str:
        if piece is None or piece.uids is None:
            return self.query
        return f"({self.query}) AND {piece.uids[0]}:{piece.uids[1]}[uid]"

    def efetch(self, params: dict[str, Any]) -> EfetchResult | NcbiError:
        return self.conversation.call("efetch", {"db": "pubmed", "retmode": "xml", **params}, read_efetch)

    # -- the search

    def run(self) -> SearchOutcome:
        first = self.esearch(None, PAGE_LIMIT, history=True)
        self.warnings += [f"PubMed: {note}" for note in first.notes]
        total = first.count
        fetched: dict[str, None] = {}
        if total < PAGE_LIMIT:
            slices: list[Slice] = []
            self.fetch_slice(None, first, fetched, total)
        else:
            slices = self.split(Slice(self.lo, self.hi, None, total))
            planned = sum(s.count for s in slices)
            if planned != total:
                self.warnings.append(f"the {len(slices)} date slices count {planned} records, "
                                     f"PubMed's total is {total}")
            for piece in slices:
                self.fetch_slice(piece, self.esearch(piece, PAGE_LIMIT, history=True), fetched, total)
        if slices:
            final = self.esearch(None, 0, history=False).count
            if final != total:
                self.warnings.append(f"PubMed's total moved from {total} to {final} while the search ran; "
                                     f"this run holds the {len(fetched)} records fetched")
        return SearchOutcome(total, first.translation, slices, list(fetched), self.warnings,
                             slices_add_up=sum(s.count for s in slices) == total if slices else True)

    def split(self, piece: Slice) -> list[Slice]:
        """Halve the date range (then, within one day, the PMID range) until each slice is under 10,000."""
        if piece.count == 0:
            return []
        if piece.count < PAGE_LIMIT:
            return [piece]
        if piece.uids is None and piece.mindate < piece.maxdate:
            middle = piece.mindate + (piece.maxdate - piece.mindate) // 2
            halves = [Slice(piece.mindate, middle), Slice(middle + timedelta(days=1), piece.maxdate)]
        else:
            lo, hi = piece.uids or (1, MAX_PMID)
            if lo >= hi:
                self.warnings.append(f"slice {piece.describe()} still has {piece.count} records; "
                                     f"only the first {PAGE_LIMIT} can be fetched")
                return [piece]
            middle = (lo + hi) // 2
            halves = [Slice(piece.mindate, piece.maxdate, (lo, middle)),
                      Slice(piece.mindate, piece.maxdate, (middle + 1, hi))]
        for half in halves:
            half.count = self.esearch(half, 0, history=False).count
        if sum(h.count for h in halves) != piece.count:
            self.warnings.append(f"slice {piece.describe()} counted {piece.count} records, its halves "
                                 f"{' + '.join(str(h.count) for h in halves)}")
        return [s for half in halves for s in self.split(half)]

    def fetch_slice(self, piece: Slice | None, result: EsearchResult, fetched: dict[str, None],
                    total: int) -> None:
        """efetch a slice's (or the whole search's) history set in batches, then any PMID esearch
        listed that did not come back."""
        if piece is not None and result.count >= PAGE_LIMIT:
            self.warnings.append(f"slice {piece.describe()} grew to {result.count} records meanwhile")
        expected = list(result.ids)
        retstart, retried = 0, False
        webenv, query_key = result.webenv, result.query_key
        while retstart < min(result.count, PAGE_LIMIT) and webenv:
            reply = self.efetch({"WebEnv": webenv, "query_key": query_key, "retstart": str(retstart),
                                 "retmax": str(self.batch_size)})
            if isinstance(reply, NcbiError):
                if retried:
                    raise EutilsError(f"PubMed refused to fetch records: {reply.message}")
                # the history server forgot this set (a resumed search): search the slice again
                retried = True
                again = self.esearch(piece, PAGE_LIMIT, history=True)
                webenv, query_key = again.webenv, again.query_key
                known = set(expected)
                expected += [i for i in again.ids if i not in known]
                continue
            for pmid in reply.pmids:
                fetched.setdefault(pmid)
            retstart += self.batch_size
            self.progress(len(fetched), total)
        missing = [pmid for pmid in expected if pmid not in fetched]
        for start in range(0, len(missing), self.batch_size):
            chunk = missing[start:start + self.batch_size]
            reply = self.efetch({"id": ",".join(chunk)})
            if isinstance(reply, NcbiError):
                raise EutilsError(f"PubMed refused to fetch records: {reply.message}")
            for pmid in reply.pmids:
                fetched.setdefault(pmid)
            self.progress(len(fetched), total)
        gone = [pmid for pmid in expected if pmid not in fetched]
        if gone:
            self.warnings.append(f"{len(gone)} PMIDs listed by esearch could not be fetched "
                                 f"(deleted or withdrawn?): {listing(gone)}")


def listing(values: list[str], limit: int = 20) -> str:
    """PMIDs for a message: the first ``limit``, then how many more."""
    shown = ", ".join(values[:limit])
    return shown + (f", ... ({len(values) - limit} more)" if len(values) > limit else "")

