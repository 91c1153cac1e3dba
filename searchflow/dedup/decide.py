"""Vetoes and decision rules: duplicate (merge), possible (review queue) or distinct.

Vetoes come first and are absolute for the automatic merge: a false merge can
silently drop a study from a review, a missed duplicate only costs a second
screening. The same veto test runs on candidate pairs and, when clusters are
joined, on every pair of members across the two clusters (see cluster.py).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from .normalise import ARTICLE, CONFERENCE, NOTICE, RESPONSE
from .score import page_arrays, pages_relation, shifted_numbering

DUPLICATE, POSSIBLE, DISTINCT = "duplicate", "possible", "distinct"


@dataclass
class Thresholds:
    """Similarities (0-100) the rules need; the protocol's [dedup] table can tune the main two."""

    duplicate_title: float = 95.0     # title similarity for a fuzzy merge
    possible_title: float = 85.0      # below this a pair is distinct
    authors: float = 80.0
    journal: float = 75.0


class Vetoes:
    """The veto test over any index pairs of one prepared table (numpy arrays, no per-row Python).

    Volume, issue, page and year conflicts are often data-entry noise (a supplement
    number in the volume field, an article number in the issue field), so a shared
    DOI/PMID, or the same title, authors, first page and year, outweighs them.
    Parts, trial registrations and replies are never outweighed. What does outweigh:

    - pages/issue: the same long title, authors, journal, volume and year (a corrected
      version reprinted in a later issue; an online-first record paginated from 1);
      a record exported one column off; an article number in the issue field;
    - DOI, pages and numbering: the same title, authors and abstract in one journal
      (printed twice); a DOI that names another journal than both records carry;
    - erratum vs article: "Erratum: X" and "X" on the very same pages of one issue.
    """

    def __init__(self, prepared: pd.DataFrame):
        get = lambda name: prepared[name].to_numpy(dtype=object)  # noqa: E731
        self.doi = get("doi")
        self.pmid = get("pmid")
        self.volume = get("volume")
        self.issue = get("issue")
        self.first_page = get("first_page")
        self.pages = page_arrays(prepared)
        self.kind = get("kind")
        self.trials = get("trials")
        self.title = get("title")
        self.families = get("families")
        self.first_author = get("first_author")
        self.author_count = prepared["author_count"].to_numpy()
        self.journal = get("journal_initials")
        self.journal_key = get("journal")
        self.abstract = get("abstract")
        self.volume_plain = prepared["volume_plain"].to_numpy(dtype=bool)
        self.part = prepared["part"].to_numpy()
        self.year = prepared["year"].to_numpy()

    def reasons(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Why each pair (a[k], b[k]) can never be one work: "" when nothing forbids it."""
        out = np.full(len(a), "", dtype=object)

        def mark(mask: np.ndarray, reason: str) -> None:
            free = mask & (out == "")
            out[free] = reason

        same_id = _equal(self.doi, a, b) | _equal(self.pmid, a, b)
        same_page = pages_relation(self.pages, a, b) == 1
        same_citation = _equal(self.volume, a, b) & same_page
        twin = self._printed_twice(a, b)
        doi_conflict = _conflict(self.doi, a, b) & ~twin
        if doi_conflict.any():
            doi_conflict[doi_conflict] = ~self._misattached_doi(a[doi_conflict], b[doi_conflict])
        mark(doi_conflict, "different DOIs")
        mark(_conflict(self.pmid, a, b), "different PMIDs")
        kind_a, kind_b = self.kind[a], self.kind[b]
        # "Erratum: X" and "X" on the very same pages of one issue are one printed item that one
        # database titled with its section heading; a correction is printed elsewhere, later
        # (not so for replies: a letter and its reply may share a page)
        low, high = self.pages[0], self.pages[1]
        same_print = _equal(self.volume, a, b) & _equal(self.issue, a, b) & (low[a] >= 0) & (low[a] == low[b]) \
            & (high[a] == high[b]) & (self.year[a] == self.year[b]) & _equal(self.first_author, a, b)
        for kind, reason in ((NOTICE, "erratum/retraction vs the article"),
                             (RESPONSE, "comment/reply vs the article")):
            mark(((kind_a == kind) != (kind_b == kind)) & ~(same_print & (kind == NOTICE)), reason)
        conference = ((kind_a == CONFERENCE) & (kind_b == ARTICLE)) | ((kind_a == ARTICLE) & (kind_b == CONFERENCE))
        mark(conference & ~same_id & ~same_citation, "conference abstract vs journal article")
        mark(_disjoint(self.trials, a, b), "different trial registrations")
        pa, pb = self.part[a], self.part[b]
        mark((pa > 0) & (pb > 0) & (pa != pb), "different parts of a series")
        ya, yb = self.year[a], self.year[b]
        mark((ya > 0) & (yb > 0) & (np.abs(ya - yb) > 1) & ~same_id, "years more than one apart")
        shifted = shifted_numbering(self.volume, self.issue, self.first_page, a, b)
        page_conflict = (pages_relation(self.pages, a, b) == 0) & ~shifted
        issue_conflict = _disjoint(self.issue, a, b, sep="-") & ~same_citation & ~shifted
        # an e-journal's article number in the issue field ("11(791)") is the other record's page
        issue_conflict &= ~(_equal_across(self.issue, self.first_page, a, b)
                            | _equal_across(self.issue, self.first_page, b, a))
        reissued = np.zeros(len(a), dtype=bool)
        # only with both page ranges known: columns ("Editor's Comments") recur in every issue without pages
        check = page_conflict & ~same_id & (out == "")
        if check.any():
            reissued[check] = self._same_paper(a[check], b[check])
        reissued |= twin
        mark(page_conflict & ~same_id & ~reissued, "different pages")
        numbering = (_conflict(self.volume, a, b) | (issue_conflict & ~reissued)) & ~same_id & ~twin & (out == "")
        if numbering.any():
            na, nb = a[numbering], b[numbering]
            page_known = (self.pages[0][na] >= 0) & (self.pages[0][nb] >= 0)
            same_journal = (self.journal[na] == self.journal[nb]) & (self.journal[na] != "")
            # a garbled volume ("1)" for "58 (Suppl 1)") may lack pages too; issues of one volume
            # ("Editor's Comments" in each issue) need the same pages to be one work
            volume_only = ~_disjoint(self.issue, na, nb, sep="-") & ~(self.volume_plain[na] & self.volume_plain[nb])
            # a supplement number in the volume field ("1" for "16 (Suppl 1)") equals the other's issue
            volume_only |= _equal_across(self.volume, self.issue, na, nb) \
                | _equal_across(self.volume, self.issue, nb, na)
            same_text = self._same_text(na, nb) & (ya[numbering] == yb[numbering]) \
                & (same_page[numbering] | (~page_known & same_journal & volume_only))
            rows = np.nonzero(numbering)[0][~same_text]
            out[rows] = np.where(_conflict(self.volume, a[rows], b[rows]), "different volumes", "different issues")
        return out

    def _same_text(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Title and authors alike enough that a numbering conflict must be a data-entry slip."""
        titles = process.cpdist(self.title[a].tolist(), self.title[b].tolist(), scorer=fuzz.ratio, workers=1)
        authors = process.cpdist(self.families[a].tolist(), self.families[b].tolist(),
                                 scorer=fuzz.token_set_ratio, workers=1)
        return (titles >= 97) & (authors >= 90) & (self.title[a] != "") & (self.families[a] != "") \
            & (self.families[b] != "")

    def _same_paper(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """One long title, first author, journal, volume and year: a reprint or corrected version
        of the paper in a later issue, or its pages mistyped, not a second paper; or, same year,
        its online-first record paginated from page 1. A single author's recurring column is
        left out: it is the editor's, in every issue."""
        titles = process.cpdist(self.title[a].tolist(), self.title[b].tolist(), scorer=fuzz.ratio, workers=1)
        authors = process.cpdist(self.families[a].tolist(), self.families[b].tolist(),
                                 scorer=fuzz.token_set_ratio, workers=1)
        long_title = np.array([len(t) >= 30 for t in self.title[a]], dtype=bool)
        several = np.maximum(self.author_count[a], self.author_count[b]) >= 2
        volume = _equal(self.volume, a, b) | self._online_first(a, b) | self._online_first(b, a)
        return (titles >= 97) & long_title & several & (authors >= 85) & _first_authors_agree(self.first_author, a, b) \
            & _equal(self.journal, a, b) & volume & (self.year[a] > 0) & (self.year[a] == self.year[b])

    def _online_first(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """a is an online-first record (no volume yet, its own pagination from page 1), b the printed one."""
        return (self.volume[a] == "") & (self.pages[0][a] == 1) & (self.volume[b] != "")

    def _printed_twice(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """The same long title, authors and abstract in the same journal: one paper the publisher
        printed twice (another DOI, volume and pages), not two papers; different papers do not
        share an abstract word for word."""
        out = np.zeros(len(a), dtype=bool)
        check = (self.title[a] == self.title[b]) & (self.abstract[a] != "") & (self.abstract[b] != "") \
            & _equal(self.journal_key, a, b)
        if not check.any():
            return out
        ca, cb = a[check], b[check]
        abstracts = process.cpdist(self.abstract[ca].tolist(), self.abstract[cb].tolist(), scorer=fuzz.ratio,
                                   workers=1)
        authors = process.cpdist(self.families[ca].tolist(), self.families[cb].tolist(),
                                 scorer=fuzz.token_set_ratio, workers=1)
        long_title = np.array([len(t) >= 30 for t in self.title[ca]], dtype=bool)
        out[check] = (abstracts >= 95) & (authors >= 90) & long_title & (self.families[ca] != "")
        return out

    def _misattached_doi(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Different Elsevier DOIs where only one names the journal both records are in
        ("10.1016/j.regpep..." on an Appetite abstract): the other DOI belongs to another record."""
        out = np.zeros(len(a), dtype=bool)
        same_journal = _equal(self.journal_key, a, b)
        for k in np.nonzero(same_journal)[0]:
            first_word = self.journal_key[a[k]].split()[0]
            names = [_names_journal(self.doi[x], first_word) for x in (a[k], b[k])]
            out[k] = None not in names and names[0] != names[1]
        if out.any():
            out[out] = self._same_paper_any_pages(a[out], b[out])
        return out

    def _same_paper_any_pages(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        titles = process.cpdist(self.title[a].tolist(), self.title[b].tolist(), scorer=fuzz.ratio, workers=1)
        return (titles >= 97) & _equal(self.first_author, a, b) & (self.year[a] == self.year[b]) \
            & (pages_relation(self.pages, a, b) != 0)


_ELSEVIER_JOURNAL_RE = re.compile(r"^10\.1016/j\.([a-z]+)\.")


def _names_journal(doi: str, journal_word: str) -> bool | None:
    """Whether an Elsevier DOI's journal code starts like the journal's name; None if not such a DOI."""
    match = _ELSEVIER_JOURNAL_RE.match(doi)
    if not match:
        return None
    return match.group(1)[:3] == journal_word[:3]


def _first_authors_agree(names: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Same first author, or one name within the other ("Quintrec" and "Le Quintrec")."""
    out = _equal(names, a, b)
    for k in np.nonzero(~out & (names[a] != "") & (names[b] != ""))[0]:
        x, y = set(names[a[k]].split()), set(names[b[k]].split())
        out[k] = x <= y or y <= x
    return out


def _equal_across(values: np.ndarray, others: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """values[a] filled and equal to others[b] (one field's value misfiled in another field)."""
    left, right = values[a], others[b]
    return (left != "") & (left == right)


def _equal(values: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    left, right = values[a], values[b]
    return (left != "") & (left == right)


def _conflict(values: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    left, right = values[a], values[b]
    return (left != "") & (right != "") & (left != right)


def _disjoint(values: np.ndarray, a: np.ndarray, b: np.ndarray, sep: str = " ") -> np.ndarray:
    """Both filled and no word in common ("2-3" and "3" share an issue; "NCT1" and "NCT2" do not)."""
    conflict = _conflict(values, a, b)
    for k in np.nonzero(conflict)[0]:
        if set(values[a[k]].split(sep)) & set(values[b[k]].split(sep)):
            conflict[k] = False
    return conflict


def decide(scores: pd.DataFrame, vetoes: Vetoes, thresholds: Thresholds | None = None) -> pd.DataFrame:
    """Adds ``outcome``, ``rule``, ``score`` and ``veto`` to the compared pairs."""
    t = thresholds or Thresholds()
    s = scores
    a, b = s["a"].to_numpy(), s["b"].to_numpy()
    veto = vetoes.reasons(a, b)
    free = veto == ""

    title = s["title"].to_numpy()
    words = s["title_words"].to_numpy()
    length = s["title_length_ratio"].to_numpy()
    authors = s["authors"].to_numpy()
    journal = s["journal"].to_numpy()
    abstract = s["abstract"].to_numpy()
    gap = s["year_gap"].to_numpy()
    volume, issue = s["volume"].to_numpy(), s["issue"].to_numpy()
    page, last_page = s["pages"].to_numpy(), s["last_page"].to_numpy()
    no_title = title == -1
    # ahead-of-print and final versions; a conference paper a year later at another meeting is another paper
    near_year = (gap <= 1) & ~((s["conference"].to_numpy() == 1) & (gap == 1) & (journal < t.journal))
    # a reprint in another journal is another record; translated journal names still share volume and pages
    # (meeting names are written a dozen ways: "AMCIS 2017 Proceedings", "Americas Conference on ...")
    journal_ok = (journal >= 50) | (journal == -1) | ((page == 1) & (volume == 1)) \
        | ((s["conference"].to_numpy() == 1) & (gap == 0)) \
        | ((abstract >= 90) & (volume == 1) & (issue == 1))     # one abstract, volume and issue: a translated name
    authors_ok = (authors >= t.authors) | (authors == -1)
    same_numbers = s["numbers"].to_numpy() != 0  # "type 1" vs "type 2" are different studies
    # a title cut short, or a subtitle missing, still keeps all words of the shorter title
    partial = s["title_partial"].to_numpy()
    title_match = (title >= t.duplicate_title) | ((words >= 98) & (length >= 0.6)) \
        | ((partial >= 98) & (length >= 0.5) & (page == 1))
    # something beyond title and authors that says "same publication"
    venue = (journal >= t.journal) | (volume == 1) | (page == 1) | (abstract >= 90)
    # a short, generic title ("Editor's comments", "Introduction") recurs in every issue: it needs
    # the same pages, issue or abstract, not just the same journal and volume
    generic = s["title_short"].to_numpy() < 30
    venue &= ~generic | (page == 1) | (abstract >= 90) | ((volume == 1) & (issue == 1))
    citation = (volume == 1) & (page == 1) & ((issue != 0) | (last_page == 1))

    rule = np.full(len(s), "", dtype=object)
    outcome = np.full(len(s), DISTINCT, dtype=object)

    def apply(mask: np.ndarray, name: str, result: str) -> None:
        take = mask & (rule == "") & free
        rule[take] = name
        outcome[take] = result

    ident_title_ok = no_title | (title >= 80) | (words >= 90) | (abstract >= 90)
    apply((s["doi"].to_numpy() == 1) & ident_title_ok, "exact:doi", DUPLICATE)
    apply((s["pmid"].to_numpy() == 1) & ident_title_ok, "exact:pmid", DUPLICATE)
    apply((s["pmcid"].to_numpy() == 1) & ident_title_ok, "exact:pmcid", DUPLICATE)
    apply((s["accession"].to_numpy() == 1) & ident_title_ok, "exact:accession", DUPLICATE)
    apply(title_match & authors_ok & near_year & venue & same_numbers & (authors != -1) & journal_ok,
          "fuzzy:title+authors+venue", DUPLICATE)
    apply((title >= 90) & citation & near_year & authors_ok & same_numbers, "fuzzy:citation", DUPLICATE)
    # "Diminished control in crowdsourcing" = the same title with its subtitle: same pages and volume
    apply((partial >= 98) & (s["title_short"].to_numpy() >= 12) & (page == 1)
          & ((volume == 1) | ((volume == -1) & (journal >= t.journal))) & near_year & authors_ok & same_numbers,
          "fuzzy:short-title+citation", DUPLICATE)
    # nothing but title and authors: not for generic titles ("Editor's comments", "Introduction")
    apply((title >= 99) & (authors >= 95) & near_year & same_numbers & (s["doi"].to_numpy() != 0) & journal_ok
          & (s["title_short"].to_numpy() >= 30), "fuzzy:title+authors", DUPLICATE)
    # one journal, volume, page range, year and first author: the same paper even when one database
    # gives the original-language title and the other a translation
    full_range = (s["first_page"].to_numpy() == 1) & (last_page == 1) & (page == 1)
    apply(full_range & (volume == 1) & (gap == 0) & (s["first_author"].to_numpy() == 1) & (journal >= 50)
          & (issue != 0) & same_numbers & ~no_title, "fuzzy:citation+first-author", DUPLICATE)
    # ... or the same title with authors garbled ("Hua, T" for "Tong, H", a group name for its chair)
    apply(full_range & (volume == 1) & (gap == 0) & (title >= 97) & (journal >= 50) & (issue != 0)
          & same_numbers, "fuzzy:title+citation", DUPLICATE)
    # whole-issue records ("2015 BioIron Meeting Abstracts") have no authors or pages
    apply((title >= 99) & (s["title_short"].to_numpy() >= 15) & (volume == 1) & (issue != 0) & (gap == 0)
          & (journal >= t.journal) & (authors == -1) & same_numbers, "fuzzy:title+issue", DUPLICATE)
    # a record without authors, its title translated: the same journal, volume, year and full range
    # of several pages is one article (two articles cannot fill the same pages)
    apply(full_range & (s["page_count"].to_numpy() >= 3) & (volume == 1) & (gap == 0) & (authors == -1)
          & (journal >= t.journal) & (issue != 0) & ((title >= 75) | (words >= 85)) & same_numbers,
          "fuzzy:citation-without-authors", DUPLICATE)
    apply(no_title & (authors >= 95) & citation & (gap == 0) & (journal >= t.journal),
          "fuzzy:citation-no-title", POSSIBLE)
    apply((title >= t.possible_title) & near_year & ((authors >= 60) | (authors == -1)),
          "review:similar", POSSIBLE)

    out = s[["a", "b"]].copy()
    out["outcome"] = outcome
    out["rule"] = rule
    out["veto"] = veto
    out["score"] = _summary_score(title, authors, journal, abstract)
    return out


def _summary_score(*similarities: np.ndarray) -> np.ndarray:
    """Mean of the similarities both records have, 0-1: the number a reviewer sees beside a pair."""
    stack = np.vstack(similarities).astype(np.float32)
    have = stack >= 0
    total = np.where(have, stack, 0).sum(axis=0)
    count = np.maximum(have.sum(axis=0), 1)
    return np.round(total / count / 100.0, 3)
