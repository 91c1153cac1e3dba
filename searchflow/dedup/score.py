"""Field-by-field comparison of candidate pairs, a whole chunk of pairs at once.

String similarities come from rapidfuzz's ``process.cpdist`` (element-wise, in
C, on both cores); equality and conflict of short fields are numpy comparisons.
Each field gives a similarity 0-100, or -1 when either record lacks the field,
so the decision rules can tell "different" from "unknown".
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from .normalise import CONFERENCE, acronyms_agree, numbers_agree, crossed_initials, swapped_family_names

MISSING = -1.0


def _similarity(left: np.ndarray, right: np.ndarray, scorer) -> np.ndarray:
    """Element-wise similarity 0-100, MISSING where either side is empty."""
    out = np.full(len(left), MISSING, dtype=np.float32)
    filled = (left != "") & (right != "")
    if filled.any():
        out[filled] = process.cpdist(left[filled].tolist(), right[filled].tolist(), scorer=scorer,
                                     workers=-1, dtype=np.float32)
    return out


def _relation(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """1 = equal, 0 = both filled and different, -1 = either missing."""
    filled = (left != "") & (right != "")
    return np.where(filled, (left == right).astype(np.int8), np.int8(-1)).astype(np.int8)


# Below this title similarity a pair with nothing else in common is not compared further.
WORTH_COMPARING = 50.0


def compare(prepared: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    """One row per candidate pair worth a look: the pair (a, b) and a similarity per field.

    Pairs whose titles are far apart and that share no identifier, volume and page
    (most pairs a common surname or year put in one block) are dropped after the
    cheap title comparison, so the costlier comparisons run on few pairs.
    Pairs with ``keys == 0`` (reviewers' pairs) are always kept.
    """
    a = pairs["a"].to_numpy()
    b = pairs["b"].to_numpy()
    column = {name: prepared[name].to_numpy(dtype=object)
              for name in ("title", "families", "first_author", "journal", "journal_abbrev", "journal_initials",
                           "volume", "issue", "first_page", "last_page", "doi", "pmid", "pmcid", "accession",
                           "abstract", "numbers")}
    title = _similarity(column["title"][a], column["title"][b], fuzz.ratio)
    pages = pages_relation(page_arrays(prepared), a, b)
    keep = (title >= WORTH_COMPARING) | (title == MISSING) | (pairs["keys"].to_numpy() == 0) \
        | ((_relation(column["volume"][a], column["volume"][b]) != 0) & (pages == 1)) \
        | (column["accession"][a] != "") & (column["accession"][b] != "")
    for name in ("doi", "pmid", "pmcid"):
        keep |= _relation(column[name][a], column[name][b]) == 1
    a, b, title, pages = a[keep], b[keep], title[keep], pages[keep]

    def sides(name: str) -> tuple[np.ndarray, np.ndarray]:
        return column[name][a], column[name][b]

    out = pd.DataFrame({"a": a, "b": b, "title": title})
    ta, tb = sides("title")
    length = prepared["title"].str.len().to_numpy()
    la, lb = length[a], length[b]
    out["title_length_ratio"] = np.where(np.maximum(la, lb) > 0, np.minimum(la, lb) / np.maximum(np.maximum(la, lb), 1),
                                         0).astype(np.float32)
    out["title_short"] = np.minimum(la, lb).astype(np.int32)
    # a title cut short or with its subtitle dropped keeps every word of the shorter one;
    # only needed where the plain ratio is not already decisive
    unsure = (title < 98) & (title != MISSING)
    out["title_words"] = _similarity_where(unsure, ta, tb, fuzz.token_set_ratio, title)
    # one export cut the title off mid-word: the shorter title is a substring of the longer
    out["title_partial"] = _similarity_where(unsure & (out["title_length_ratio"].to_numpy() < 0.95), ta, tb,
                                             fuzz.partial_ratio, title)
    fa, fb = sides("families")
    authors = _similarity(fa, fb, fuzz.token_set_ratio)
    # given and family names swapped in one export: only worth checking where the titles agree
    raw = prepared["authors_raw"].to_numpy(dtype=object)
    unsure = np.nonzero((authors >= 0) & (authors < 80) & (out["title_words"].to_numpy() >= 90))[0]
    for k in unsure:
        authors[k] = max(authors[k],
                         fuzz.token_set_ratio(swapped_family_names(raw[a[k]]), fb[k]),
                         fuzz.token_set_ratio(fa[k], swapped_family_names(raw[b[k]])),
                         crossed_initials(raw[a[k]], raw[b[k]]))
    out["authors"] = authors
    out["first_author"] = _relation(*sides("first_author"))
    ya = prepared["year"].to_numpy()[a]
    yb = prepared["year"].to_numpy()[b]
    out["year_gap"] = np.where((ya > 0) & (yb > 0), np.abs(ya - yb), -1).astype(np.int16)
    ja, jb = sides("journal")
    aa, ab = sides("journal_abbrev")
    journal = _similarity(ja, jb, fuzz.ratio)
    weak = journal < 75            # full name on one side, abbreviation on the other?
    for left, right in ((aa, ab), (ja, ab), (aa, jb)):
        journal = np.maximum(journal, _similarity_where(weak, left, right, fuzz.ratio, journal))
    ia, ib = sides("journal_initials")
    initials = prepared["journal_initials"].str.len().to_numpy()[a]
    journal = np.where((ia != "") & (ia == ib) & (initials >= 2), np.maximum(journal, 90), journal)
    kind = prepared["kind"].to_numpy(dtype=object)
    conference = (kind[a] == CONFERENCE) & (kind[b] == CONFERENCE)
    # "ICIS : Transforming Society ..." is the International Conference on Information Systems
    acronym = prepared["venue_acronym"].to_numpy(dtype=object)
    for k in np.nonzero(conference & (journal < 75))[0]:
        if acronyms_agree(acronym[a[k]], acronym[b[k]]):
            journal[k] = 90
    out["journal"] = journal.astype(np.float32)
    out["volume"] = _relation(*sides("volume"))
    out["issue"] = _relation(*sides("issue"))
    out["first_page"] = _relation(*sides("first_page"))
    out["last_page"] = _relation(*sides("last_page"))
    shifted = shifted_numbering(column["volume"], column["issue"], column["first_page"], a, b)
    if shifted.any():       # the shifted record's volume and issue are the other's; its page is lost
        out.loc[shifted, ["volume", "issue"]] = 1
        out.loc[shifted, ["first_page", "last_page"]] = -1
        pages = np.where(shifted, np.int8(-1), pages)
    out["doi"] = _relation(*sides("doi"))
    out["pmid"] = _relation(*sides("pmid"))
    out["pmcid"] = _relation(*sides("pmcid"))
    out["accession"] = _shared_words(*sides("accession"))
    out["abstract"] = _similarity(*sides("abstract"), fuzz.ratio)
    out["numbers"] = numbers_relation(*sides("numbers"))
    out["pages"] = pages
    low, high = prepared["page_low"].to_numpy(), prepared["page_high"].to_numpy()
    out["page_count"] = np.where((low[a] >= 0) & (low[b] >= 0),
                                 np.minimum(high[a] - low[a], high[b] - low[b]) + 1, -1).astype(np.int32)
    out["conference"] = conference.astype(np.int8)
    generic = prepared["generic"].to_numpy(dtype=bool)
    out["generic"] = (generic[a] | generic[b]).astype(np.int8)
    within = np.zeros(len(a), dtype=np.int8)      # only the generic titles' rules ask
    if generic.any():
        check = np.nonzero(out["generic"].to_numpy() == 1)[0]
        within[check] = journal_within(ja[check], jb[check])
    out["journal_within"] = within
    out["keys"] = pairs["keys"].to_numpy()[keep]
    return out


def journal_within(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Both journal names given and one's words all within the other's ("Nephron" and "Nephron -
    Clinical Practice", an English name and the original with the English one in brackets)."""
    out = np.zeros(len(left), dtype=bool)
    for k, (x, y) in enumerate(zip(left, right)):
        if x and y:
            wx, wy = set(x.split()), set(y.split())
            out[k] = wx <= wy or wy <= wx
    return out


def _similarity_where(mask: np.ndarray, left: np.ndarray, right: np.ndarray, scorer,
                      otherwise: np.ndarray) -> np.ndarray:
    """``scorer`` where ``mask``, else ``otherwise`` (a similarity already known to be decisive)."""
    out = np.asarray(otherwise, dtype=np.float32).copy()
    if mask.any():
        out[mask] = _similarity(left[mask], right[mask], scorer)
    return out


def numbers_relation(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """1 = the titles' numbers agree, 0 = they conflict, -1 = neither title has numbers."""
    out = np.where((left == "") & (right == ""), -1, 1).astype(np.int8)
    for k in np.nonzero((left != right) & (left != "") & (right != ""))[0]:
        out[k] = 1 if numbers_agree(left[k], right[k]) else 0
    return out


def shifted_numbering(volume: np.ndarray, issue: np.ndarray, first_page: np.ndarray,
                      a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """One record exported a column off: no volume, the other's volume in its issue field and the
    other's issue in its pages field ("", "26", "9" for volume 26, issue 9)."""
    def off(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return (volume[x] == "") & (issue[x] != "") & (issue[x] == volume[y]) & (first_page[x] != "") \
            & (first_page[x] == issue[y])
    return off(a, b) | off(b, a)


def page_arrays(prepared: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (prepared["page_low"].to_numpy(), prepared["page_high"].to_numpy(),
            prepared["page_prefix"].to_numpy(dtype=object))


def pages_relation(pages: tuple[np.ndarray, np.ndarray, np.ndarray], a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """1 = page ranges overlap ("487-488" and "488"), 0 = disjoint, -1 = unknown or not comparable.

    An article number ("e12724", "c1804") and a printed page range are not comparable.
    ``pages``: :func:`page_arrays` of the prepared table.
    """
    low, high, prefix = pages
    both = (low[a] >= 0) & (low[b] >= 0)
    # "c37-c42" and "37-42": the same full range whatever the letters
    same_range = both & (low[a] == low[b]) & (high[a] == high[b]) & (high[a] > low[a])
    known = both & ((prefix[a] == prefix[b]) | same_range)
    overlap = (low[a] <= high[b]) & (low[b] <= high[a])
    return np.where(known, overlap.astype(np.int8), np.int8(-1)).astype(np.int8)


def _shared_words(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """1 when two accession lists share an entry ("embase:l123"), 0 when both differ, -1 if missing."""
    out = np.full(len(left), -1, dtype=np.int8)
    for k, (x, y) in enumerate(zip(left, right)):
        if x and y:
            out[k] = 1 if set(x.split()) & set(y.split()) else 0
    return out
