"""Field-by-field comparison of candidate pairs, all pairs at once.

String similarities come from rapidfuzz's ``process.cpdist`` (element-wise, in
C, on both cores); equality and conflict of short fields are numpy comparisons.
Each field gives a similarity 0-100, or -1 when either record lacks the field,
so the decision rules can tell "different" from "unknown".
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from .normalise import CONFERENCE, numbers_agree

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


def compare(prepared: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    """One row per candidate pair: the pair (a, b) and a similarity per field."""
    a = pairs["a"].to_numpy()
    b = pairs["b"].to_numpy()

    def sides(name: str) -> tuple[np.ndarray, np.ndarray]:
        values = prepared[name].to_numpy(dtype=object)
        return values[a], values[b]

    out = pd.DataFrame({"a": a, "b": b})
    ta, tb = sides("title")
    out["title"] = _similarity(ta, tb, fuzz.ratio)
    # a title cut short or with its subtitle dropped keeps every word of the shorter one
    out["title_words"] = _similarity(ta, tb, fuzz.token_set_ratio)
    out["title_length_ratio"] = _length_ratio(ta, tb)
    out["title_short"] = np.minimum(np.char.str_len(ta.astype(str)), np.char.str_len(tb.astype(str))).astype(np.int32)
    # one export cut the title off mid-word: the shorter title is a substring of the longer
    out["title_partial"] = _similarity(ta, tb, fuzz.partial_ratio)
    fa, fb = sides("families")
    out["authors"] = _similarity(fa, fb, fuzz.token_set_ratio)
    out["authors_order"] = _similarity(fa, fb, fuzz.ratio)
    out["first_author"] = _relation(*sides("first_author"))
    ya = prepared["year"].to_numpy()[a]
    yb = prepared["year"].to_numpy()[b]
    out["year_gap"] = np.where((ya > 0) & (yb > 0), np.abs(ya - yb), -1).astype(np.int16)
    ja, jb = sides("journal")
    aa, ab = sides("journal_abbrev")
    journal = np.maximum.reduce([
        _similarity(ja, jb, fuzz.ratio), _similarity(aa, ab, fuzz.ratio),
        _similarity(ja, ab, fuzz.ratio), _similarity(aa, jb, fuzz.ratio),
    ])
    ia, ib = sides("journal_initials")
    journal = np.where((ia != "") & (ia == ib) & (np.char.str_len(ia.astype(str)) >= 2),
                       np.maximum(journal, 90), journal)
    out["journal"] = journal.astype(np.float32)
    out["volume"] = _relation(*sides("volume"))
    out["issue"] = _relation(*sides("issue"))
    out["first_page"] = _relation(*sides("first_page"))
    out["last_page"] = _relation(*sides("last_page"))
    out["doi"] = _relation(*sides("doi"))
    out["pmid"] = _relation(*sides("pmid"))
    out["pmcid"] = _relation(*sides("pmcid"))
    out["accession"] = _shared_words(*sides("accession"))
    out["abstract"] = _similarity(*sides("abstract"), fuzz.ratio)
    out["numbers"] = numbers_relation(*sides("numbers"))
    out["pages"] = pages_relation(page_arrays(prepared), a, b)
    kind = prepared["kind"].to_numpy(dtype=object)
    out["conference"] = ((kind[a] == CONFERENCE) & (kind[b] == CONFERENCE)).astype(np.int8)
    out["keys"] = pairs["keys"].to_numpy()
    return out


def numbers_relation(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """1 = the titles' numbers agree, 0 = they conflict, -1 = neither title has numbers."""
    out = np.where((left == "") & (right == ""), -1, 1).astype(np.int8)
    for k in np.nonzero((left != right) & (left != "") & (right != ""))[0]:
        out[k] = 1 if numbers_agree(left[k], right[k]) else 0
    return out


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


def _length_ratio(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    la = np.fromiter((len(s) for s in left), dtype=np.float32, count=len(left))
    lb = np.fromiter((len(s) for s in right), dtype=np.float32, count=len(right))
    longer = np.maximum(la, lb)
    return np.where(longer > 0, np.minimum(la, lb) / np.maximum(longer, 1), 0).astype(np.float32)


def _shared_words(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """1 when two accession lists share an entry ("embase:l123"), 0 when both differ, -1 if missing."""
    out = np.full(len(left), -1, dtype=np.int8)
    for k, (x, y) in enumerate(zip(left, right)):
        if x and y:
            out[k] = 1 if set(x.split()) & set(y.split()) else 0
    return out
