"""Candidate pairs: records that share a blocking key, so nothing is compared with everything.

Each key catches duplicates another misses: a DOI or PMID when titles differ,
title openings and endings when one export mangled the other end, first author
+ year when titles were translated, volume + first page when the title and
authors are both messy. Records sharing a key are paired; a key shared by more
than ``cap`` records (a common surname in a common year) is narrowed by title
similarity inside the block with rapidfuzz, so no block grows quadratically.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

# Records sharing one key beyond this many are paired by title similarity instead of all with all.
BLOCK_CAP = 40
# Title similarity (0-100) a pair from an oversized block needs to become a candidate.
BIG_BLOCK_TITLE_CUTOFF = 70


def blocking_keys(prepared: pd.DataFrame) -> dict[str, pd.Series]:
    """Every blocking key, one Series of strings per key ("" = no key for that record)."""
    title = prepared["title_compact"]
    has_title = title.str.len() >= 12
    year = prepared["year"].astype(str).where(prepared["year"] > 0, "")
    first = prepared["first_author"]
    volume, page = prepared["volume"], prepared["first_page"]
    words = prepared["title"].map(_signature)

    def join(*parts: pd.Series) -> pd.Series:
        out = parts[0].astype(str)
        empty = parts[0].astype(str) == ""
        for part in parts[1:]:
            part = part.astype(str)
            out = out + "|" + part
            empty |= part == ""
        return out.where(~empty, "")

    return {
        "doi": prepared["doi"],
        "pmid": prepared["pmid"],
        "pmcid": prepared["pmcid"],
        "title_start": title.str[:24].where(has_title, ""),
        "title_end": title.str[-24:].where(has_title, ""),
        "title_words": words,
        "author_year": join(first, year),
        # ahead-of-print copies have another year: first author + the title's opening instead
        "author_title": join(first, title.str[:16].where(has_title, "")),
        "author_page": join(first, page),
        "volume_page": join(volume, page),
        "year_page_journal": join(year, page, prepared["journal_initials"]),
    }


def _signature(title: str) -> str:
    """The four longest words of a title, sorted: survives reordered or truncated titles."""
    words = sorted(set(w for w in title.split() if len(w) > 3), key=lambda w: (-len(w), w))[:4]
    return " ".join(sorted(words)) if len(words) >= 3 else ""


def pairs_sharing(keys: pd.Series, titles: np.ndarray, cap: int = BLOCK_CAP) -> np.ndarray:
    """(i, j) row pairs, i < j, of records with the same non-empty key."""
    keys = keys[keys != ""]
    if keys.empty:
        return np.empty((0, 2), dtype=np.int64)
    codes, _ = pd.factorize(keys)
    rows = keys.index.to_numpy(dtype=np.int64)
    counts = np.bincount(codes)
    size = counts[codes]
    found = []
    small = (size >= 2) & (size <= cap)
    if small.any():
        block = pd.DataFrame({"k": codes[small], "i": rows[small]})
        joined = block.merge(block, on="k")
        a, b = joined["i_x"].to_numpy(), joined["i_y"].to_numpy()
        keep = a < b
        found.append(np.column_stack([a[keep], b[keep]]))
    big = np.nonzero(counts > cap)[0]
    if len(big):
        order = np.argsort(codes, kind="stable")
        starts = np.concatenate([[0], np.cumsum(counts)])
        for code in big:
            members = rows[order[starts[code]:starts[code + 1]]]
            found.append(_similar_titles(members, titles))
    if not found:
        return np.empty((0, 2), dtype=np.int64)
    return np.concatenate(found)


def _similar_titles(members: np.ndarray, titles: np.ndarray) -> np.ndarray:
    """Pairs inside an oversized block whose titles are alike (rapidfuzz's C loop, both cores)."""
    names = titles[members].tolist()
    scores = process.cdist(names, names, scorer=fuzz.ratio, score_cutoff=BIG_BLOCK_TITLE_CUTOFF,
                           dtype=np.uint8, workers=-1)
    a, b = np.nonzero(np.triu(scores, k=1))
    return np.column_stack([members[a], members[b]])


def candidate_pairs(prepared: pd.DataFrame, only: np.ndarray | None = None) -> pd.DataFrame:
    """Unique candidate pairs (columns a < b, and ``keys``: how many keys they share).

    ``only``: a boolean mask of records that must be in every pair (incremental
    runs compare new records with everything, never old with old again).
    """
    n = len(prepared)
    titles = prepared["title"].to_numpy(dtype=object)
    found = [pairs_sharing(keys, titles) for keys in blocking_keys(prepared).values()]
    found = [f for f in found if len(f)]
    if not found:
        return pd.DataFrame({"a": np.empty(0, np.int64), "b": np.empty(0, np.int64), "keys": np.empty(0, np.int64)})
    pairs = np.concatenate(found)
    if only is not None:
        pairs = pairs[only[pairs[:, 0]] | only[pairs[:, 1]]]
    codes, shared = np.unique(pairs[:, 0] * n + pairs[:, 1], return_counts=True)
    return pd.DataFrame({"a": codes // n, "b": codes % n, "keys": shared})
