"""Vetoes and decision rules: duplicate (merge), possible (review queue) or distinct.

Vetoes come first and are absolute for the automatic merge: a false merge can
silently drop a study from a review, a missed duplicate only costs a second
screening. The same veto test runs on candidate pairs and, when clusters are
joined, on every pair of members across the two clusters (see cluster.py).
A few vetoes (REVIEW_ONLY) stop the merge but not a reviewer's look. The rules
are data, as in bib-dedupe: each RULES entry names the evidence it needs, and
:func:`evidence` says in one place what each piece of evidence means.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from .normalise import ARTICLE, CONFERENCE, NOTICE, RESPONSE
from .score import journal_within, page_arrays, pages_relation, shifted_numbering

DUPLICATE, POSSIBLE, DISTINCT = "duplicate", "possible", "distinct"

DIFFERENT_PMIDS = "different PMIDs"
DIFFERENT_ACCESSIONS = "different accession numbers of one database"
ONLINE_FIRST = "online-first pages a year before the issue version"
# Vetoes that keep a pair from being merged automatically but not from a reviewer's look, when the
# rest of the pair agrees as it says (identifiers: overwhelmingly; online-first: as any duplicate).
REVIEW_ONLY = {DIFFERENT_PMIDS: "overwhelming", DIFFERENT_ACCESSIONS: "overwhelming", ONLINE_FIRST: "match"}
# Journal name similarity (0-100, any of full name and abbreviation) above which two names are one journal.
SAME_JOURNAL = 90.0


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
        self.generic = prepared["generic"].to_numpy(dtype=bool)
        self.accession = get("accession")
        self.journal_abbrev = get("journal_abbrev")

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
        mark(_conflict(self.pmid, a, b), DIFFERENT_PMIDS)
        mark(_accession_conflict(self.accession, a, b), DIFFERENT_ACCESSIONS)
        # a generic title ("Editorial", "Erratum") says nothing: another journal or volume is another work
        generic = (self.generic[a] | self.generic[b]) & ~same_id
        if generic.any():
            other_journal = np.zeros(len(a), dtype=bool)
            other_journal[generic] = self._other_journal(a[generic], b[generic])
            mark(other_journal, "generic title in another journal")
            mark(generic & _conflict(self.volume, a, b), "generic title in another volume")
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
        online_first = np.zeros(len(a), dtype=bool)
        check = page_conflict & ~same_id & ~reissued & (out == "")
        if check.any():
            online_first[check] = self._online_first_year_before(a[check], b[check])
        mark(online_first, ONLINE_FIRST)
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

    def _online_first_year_before(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """An online-first record a year before the issue version, paginated on its own: the same
        long title, first author and journal, but nothing that proves it (for a reviewer to say)."""
        titles = process.cpdist(self.title[a].tolist(), self.title[b].tolist(), scorer=fuzz.ratio, workers=1)
        long_title = np.array([len(t) >= 30 for t in self.title[a]], dtype=bool)
        gap = np.abs(self.year[a] - self.year[b])
        return (titles >= 95) & long_title & _first_authors_agree(self.first_author, a, b) \
            & _equal(self.journal, a, b) & (self._online_first(a, b) | self._online_first(b, a)) \
            & (self.year[a] > 0) & (self.year[b] > 0) & (gap == 1)

    def _other_journal(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Both records name a journal and no form of one names the other's (full name, abbreviation)."""
        names = (self.journal_key, self.journal_abbrev)
        out = (self.journal_key[a] != "") & (self.journal_key[b] != "") & ~_equal(self.journal, a, b) \
            & ~journal_within(self.journal_key[a], self.journal_key[b])
        for left in names:
            for right in names:
                if out.any():
                    similar = process.cpdist(left[a].tolist(), right[b].tolist(), scorer=fuzz.ratio, workers=1)
                    out &= similar < SAME_JOURNAL
        return out

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


def _accession_conflict(values: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Both records carry an accession number of one database ("embase:l123") and none in common."""
    out = np.zeros(len(a), dtype=bool)
    for k in np.nonzero((values[a] != "") & (values[b] != ""))[0]:
        left, right = set(values[a[k]].split()), set(values[b[k]].split())
        if left & right:
            continue
        databases = {v.split(":", 1)[0] for v in left} & {v.split(":", 1)[0] for v in right}
        out[k] = bool(databases)
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


@dataclass(frozen=True)
class Rule:
    """A match rule: its name (stored with every merge), its outcome, and the evidence it needs,
    all of it (names of :func:`evidence` masks)."""

    name: str
    outcome: str
    needs: tuple[str, ...]


# First rule that holds decides; every fuzzy rule needs a title that is evidence ("meaningful").
RULES = (
    Rule("exact:doi", DUPLICATE, ("same_doi", "title_fits_identifier")),
    Rule("exact:pmid", DUPLICATE, ("same_pmid", "title_fits_identifier")),
    Rule("exact:pmcid", DUPLICATE, ("same_pmcid", "title_fits_identifier")),
    Rule("exact:accession", DUPLICATE, ("same_accession", "title_fits_identifier")),
    # a generic title ("Editorial") merges only on an identifier or the whole citation
    # (an issue or pages missing on one side: the rest of the citation must be there)
    Rule("fuzzy:generic-title+full-citation", DUPLICATE,
         ("generic", "same_title", "journal_same_or_within", "same_volume", "issue_and_pages", "near_year",
          "authors_agree_or_absent")),
    Rule("fuzzy:title+authors+venue", DUPLICATE,
         ("meaningful", "title_match", "authors_agree", "near_year", "venue", "same_numbers", "journal_ok")),
    Rule("fuzzy:citation", DUPLICATE,
         ("meaningful", "title_90", "citation", "near_year", "authors_agree_or_absent", "same_numbers")),
    # "Diminished control in crowdsourcing" = the same title with its subtitle: same pages and volume
    Rule("fuzzy:short-title+citation", DUPLICATE,
         ("meaningful", "title_within", "same_pages", "volume_or_journal", "near_year", "authors_agree_or_absent",
          "same_numbers")),
    # nothing but title and authors: not for titles under 30 characters
    Rule("fuzzy:title+authors", DUPLICATE,
         ("meaningful", "title_99", "authors_95", "near_year", "same_numbers", "no_doi_conflict", "journal_ok",
          "title_30")),
    # a short record (no journal, volume) with the full record's title, year and pages
    Rule("fuzzy:short-record+pages", DUPLICATE,
         ("meaningful", "short_record", "title_95", "same_year", "same_pages", "same_numbers")),
    # one journal, volume, page range, year and first author: the same paper even when one database
    # gives the original-language title and the other a translation
    Rule("fuzzy:citation+first-author", DUPLICATE,
         ("meaningful", "full_range", "same_volume", "same_year", "same_first_author", "journal_50",
          "issue_not_different", "same_numbers", "has_title")),
    # ... or the same title with authors garbled ("Hua, T" for "Tong, H", a group name for its chair)
    Rule("fuzzy:title+citation", DUPLICATE,
         ("meaningful", "full_range", "same_volume", "same_year", "title_97", "journal_50", "issue_not_different",
          "same_numbers")),
    # whole-issue records ("2015 BioIron Meeting Abstracts") have no authors or pages
    Rule("fuzzy:title+issue", DUPLICATE,
         ("meaningful", "title_99", "title_15", "same_volume", "issue_not_different", "same_year", "journal_75",
          "no_authors", "same_numbers")),
    # a record without authors, its title translated: the same journal, volume, year and full range
    # of several pages is one article (two articles cannot fill the same pages)
    Rule("fuzzy:citation-without-authors", DUPLICATE,
         ("meaningful", "full_range", "several_pages", "same_volume", "same_year", "no_authors", "journal_75",
          "issue_not_different", "title_75_or_words_85", "same_numbers")),
    Rule("fuzzy:citation-no-title", POSSIBLE,
         ("no_title", "authors_95", "citation", "same_year", "journal_75")),
    # one record in PubMed (or Embase) twice under two numbers: only when everything else agrees
    Rule("review:same-record-other-identifier", POSSIBLE,
         ("identifier_conflict", "title_99", "authors_95", "same_year", "same_journal", "volume_not_different",
          "issue_not_different", "pages_not_different", "same_numbers")),
    Rule("review:short-record", POSSIBLE, ("meaningful", "short_record", "title_95", "same_year", "same_numbers")),
    Rule("review:generic-title", POSSIBLE,
         ("generic", "same_title", "journal_same_or_within", "same_volume_or_pages", "near_year",
          "authors_agree_or_absent")),
    Rule("review:similar", POSSIBLE, ("meaningful", "title_possible", "near_year", "authors_60_or_absent",
                                     "same_numbers")),
)


# A fuzzy match that these facts hold for goes to review instead of being merged (reason, evidence).
HOLDS = (
    ("another journal", "other_venue"),
    # a working paper or preprint and the article a year later: two versions, not two exports
    ("a year apart, one without a venue", "year_apart_without_venue"),
)


def evidence(s: pd.DataFrame, t: Thresholds) -> dict[str, np.ndarray]:
    """Named facts about each compared pair, the words the rules are written in."""
    title = s["title"].to_numpy()
    words = s["title_words"].to_numpy()
    length = s["title_length_ratio"].to_numpy()
    short = s["title_short"].to_numpy()
    partial = s["title_partial"].to_numpy()
    authors = s["authors"].to_numpy()
    journal = s["journal"].to_numpy()
    abstract = s["abstract"].to_numpy()
    gap = s["year_gap"].to_numpy()
    volume, issue = s["volume"].to_numpy(), s["issue"].to_numpy()
    page, last_page = s["pages"].to_numpy(), s["last_page"].to_numpy()
    conference = s["conference"].to_numpy() == 1
    e = {
        "generic": s["generic"].to_numpy() == 1, "no_title": title == -1, "has_title": title != -1,
        "same_title": title >= 95, "title_possible": title >= t.possible_title,
        "title_90": title >= 90, "title_95": title >= 95, "title_97": title >= 97, "title_99": title >= 99,
        "title_15": short >= 15, "title_30": short >= 30,
        "title_75_or_words_85": (title >= 75) | (words >= 85),
        # a title cut short, or a subtitle missing, still keeps all words of the shorter title
        "title_match": (title >= t.duplicate_title) | ((words >= 98) & (length >= 0.6))
        | ((partial >= 98) & (length >= 0.5) & (page == 1)),
        "title_within": (partial >= 98) & (short >= 12),
        "authors_agree": authors >= t.authors, "authors_95": authors >= 95, "no_authors": authors == -1,
        "authors_agree_or_absent": (authors >= t.authors) | (authors == -1),
        "authors_60_or_absent": (authors >= 60) | (authors == -1),
        "same_first_author": s["first_author"].to_numpy() == 1,
        # ahead-of-print and final versions; a conference paper a year later at another meeting is another paper
        "near_year": (gap <= 1) & ~(conference & (gap == 1) & (journal < t.journal)),
        "same_year": gap == 0,
        "same_journal": journal >= SAME_JOURNAL, "journal_50": journal >= 50, "journal_75": journal >= t.journal,
        # a reprint in another journal is another record; translated journal names still share volume and
        # pages (meeting names are written a dozen ways: "AMCIS 2017 Proceedings", "Americas Conference on ...")
        "journal_ok": (journal >= 50) | (journal == -1) | ((page == 1) & (volume == 1)) | (conference & (gap == 0))
        | ((abstract >= 90) & (volume == 1) & (issue == 1)),   # one abstract, volume and issue: a translated name
        # something beyond title and authors that says "same publication"; a title under 30 characters
        # ("Editor's comments", "Introduction") recurs in every issue: it needs pages, issue or abstract
        "venue": ((journal >= t.journal) | (volume == 1) | (page == 1) | (abstract >= 90))
        & ((short >= 30) | (page == 1) | (abstract >= 90) | ((volume == 1) & (issue == 1))),
        "same_volume": volume == 1, "same_issue": issue == 1, "same_pages": page == 1,
        "same_volume_or_pages": (volume == 1) | (page == 1),
        "issue_and_pages": ((issue == 1) & (page != 0)) | ((issue != 0) & (page == 1)),
        "journal_same_or_within": (journal >= SAME_JOURNAL) | (s["journal_within"].to_numpy() == 1),
        "volume_or_journal": (volume == 1) | ((volume == -1) & (journal >= t.journal)),
        "volume_not_different": volume != 0, "issue_not_different": issue != 0, "pages_not_different": page != 0,
        "citation": (volume == 1) & (page == 1) & ((issue != 0) | (last_page == 1)),
        "full_range": (s["first_page"].to_numpy() == 1) & (last_page == 1) & (page == 1),
        "several_pages": s["page_count"].to_numpy() >= 3,
        "same_numbers": s["numbers"].to_numpy() != 0,   # "type 1" vs "type 2" are different studies
        "same_doi": s["doi"].to_numpy() == 1, "same_pmid": s["pmid"].to_numpy() == 1,
        "same_pmcid": s["pmcid"].to_numpy() == 1, "same_accession": s["accession"].to_numpy() == 1,
        "no_doi_conflict": s["doi"].to_numpy() != 0,
        "title_fits_identifier": (title == -1) | (title >= 80) | (words >= 90) | (abstract >= 90),
        # one record has no venue at all (a conference list, a reference manager's short entry)
        "short_record": (s["journal"].to_numpy() == -1) & (volume == -1) & (issue == -1),
        "identifier_conflict": np.zeros(len(s), dtype=bool),
    }
    e["meaningful"] = ~e["generic"]
    e["year_apart_without_venue"] = e["short_record"] & (gap == 1)
    # the same title and authors in another journal is another record unless the citation or the
    # abstract says it is this one (a meeting's name is written a dozen ways: a looser test there)
    e["other_venue"] = (journal != -1) & (journal < np.where(conference, t.journal, SAME_JOURNAL)) \
        & ~((volume == 1) & (page == 1)) & (abstract < 90) & ~(conference & (gap == 0))
    return e


def decide(scores: pd.DataFrame, vetoes: Vetoes, thresholds: Thresholds | None = None) -> pd.DataFrame:
    """Adds ``outcome``, ``rule``, ``score``, ``veto`` and ``note`` to the compared pairs: the first
    of :data:`RULES` that holds, among pairs no veto forbids (or only holds for review)."""
    t = thresholds or Thresholds()
    s = scores
    a, b = s["a"].to_numpy(), s["b"].to_numpy()
    veto = vetoes.reasons(a, b)
    held = np.array([REVIEW_ONLY.get(v, "") for v in veto], dtype=object)
    free = (veto == "") | (held == "match")
    e = evidence(s, t)
    e["identifier_conflict"] = held == "overwhelming"
    free |= e["identifier_conflict"]

    rule = np.full(len(s), "", dtype=object)
    outcome = np.full(len(s), DISTINCT, dtype=object)
    for r in RULES:
        take = free & (rule == "")
        for need in r.needs:
            take &= e[need]
        if "identifier_conflict" not in r.needs:      # such pairs go to review by that rule only
            take &= ~e["identifier_conflict"]
        rule[take] = r.name
        outcome[take] = r.outcome
    note = np.full(len(s), "", dtype=object)
    hold = (outcome != DISTINCT) & (veto != "")       # only the REVIEW_ONLY vetoes got this far
    note[hold] = "held for review: " + veto[hold]
    fuzzy = (outcome == DUPLICATE) & np.char.startswith(rule.astype(str), "fuzzy:")
    if (fuzzy & e["other_venue"]).any():     # "Journal of X" and "Journal of X: JX" are one journal
        rows = np.nonzero(fuzzy & e["other_venue"])[0]
        e["other_venue"][rows] = ~journal_within(vetoes.journal_key[a[rows]], vetoes.journal_key[b[rows]])
    for reason, name in HOLDS:
        take = fuzzy & e[name] & (note == "")
        note[take] = f"held for review: {reason}"
        hold |= take
    outcome[hold] = POSSIBLE

    out = s[["a", "b"]].copy()
    out["outcome"] = outcome
    out["rule"] = rule
    out["veto"] = veto
    out["note"] = note
    out["score"] = _summary_score(s["title"].to_numpy(), s["authors"].to_numpy(), s["journal"].to_numpy(),
                                  s["abstract"].to_numpy())
    return out


def _summary_score(*similarities: np.ndarray) -> np.ndarray:
    """Mean of the similarities both records have, 0-1: the number a reviewer sees beside a pair."""
    stack = np.vstack(similarities).astype(np.float32)
    have = stack >= 0
    total = np.where(have, stack, 0).sum(axis=0)
    count = np.maximum(have.sum(axis=0), 1)
    return np.round(total / count / 100.0, 3)
