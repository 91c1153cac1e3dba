"""Candidate pairs: records that share a blocking key, so nothing is compared with everything.

Each key catches duplicates another misses: a DOI or PMID when titles differ,
title openings and endings when one export mangled the other end, first author
+ year when titles were translated, volume + first page when the title and
authors are both messy. Records sharing a key are paired; a key shared by more
than ``cap`` records (a common surname in a common year, a series, a generic title)
is narrowed to each record's nearest neighbours in a sorted ranking, so no block
grows quadratically and the pairs stay O(n) whatever the data.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

# Records sharing one key beyond this many are paired by title similarity instead of all with all.
BLOCK_CAP = 40
# Each record of an oversized block is paired with this many neighbours in each ranking.
WINDOW = 8


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


def pairs_sharing(keys: pd.Series, order: tuple[np.ndarray, np.ndarray], cap: int = BLOCK_CAP,
                  window: int = WINDOW) -> np.ndarray:
    """(i, j) row pairs, i < j, of records with the same non-empty key.

    A block of at most ``cap`` records gives all its pairs; a bigger one (a common surname in a
    common year, a series of thousands of records, a generic title) gives each record's
    ``window`` neighbours in each of the two ``order`` rankings (:func:`neighbour_orders`), so
    its pairs grow with its size, not with its square.
    """
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
    big = size > cap
    if big.any():
        big_rows, big_codes = rows[big], codes[big]
        for rank in order:
            # the block first, then the record's place in the ranking: a block is one run of rows
            ranked = big_rows[np.lexsort((rank[big_rows], big_codes))]
            block_of = np.sort(big_codes)
            for step in range(1, window + 1):
                same = block_of[step:] == block_of[:-step]
                found.append(np.sort(np.column_stack([ranked[:-step][same], ranked[step:][same]]), axis=1))
    if not found:
        return np.empty((0, 2), dtype=np.int64)
    return np.concatenate(found)


def neighbour_orders(prepared: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Two rankings of the records for oversized blocks: by title then citation (copies of one
    title sit together, a series in title order), and by citation then title (one journal,
    volume and page together: copies of a generic title such as "Editorial" or "Erratum")."""
    table = pd.DataFrame({"title": prepared["title_compact"].to_numpy(),
                          "citation": (prepared["journal_initials"] + "|" + prepared["volume"] + "|"
                                       + prepared["first_page"]).to_numpy()})
    by_title = table.sort_values(["title", "citation"], kind="stable").index.to_numpy()
    by_citation = table.sort_values(["citation", "title"], kind="stable").index.to_numpy()
    return _ranks(by_title), _ranks(by_citation)


def _ranks(order: np.ndarray) -> np.ndarray:
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank


def without_identifier_conflicts(pairs: np.ndarray, prepared: pd.DataFrame) -> np.ndarray:
    """Drops pairs that carry different PMIDs, or different accession numbers of one database,
    before any is compared: records of one series or one journal's "Editorial"s share everything
    else. A pair with the very same title stays: it may still be worth a reviewer's look."""
    if not len(pairs):
        return pairs
    a, b = pairs[:, 0], pairs[:, 1]
    pmid = prepared["pmid_code"].to_numpy()
    conflict = (pmid[a] > 0) & (pmid[b] > 0) & (pmid[a] != pmid[b])
    accession, database = prepared["accession_code"].to_numpy(), prepared["accession_database"].to_numpy()
    conflict |= (database[a] > 0) & (database[a] == database[b]) & (accession[a] != accession[b])
    if conflict.any():
        title = prepared["title_code"].to_numpy()
        conflict &= title[a] != title[b]
    return pairs[~conflict]


def candidate_pairs(prepared: pd.DataFrame, only: np.ndarray | None = None) -> pd.DataFrame:
    """Unique candidate pairs (columns a < b, and ``keys``: how many keys they share).

    ``only``: a boolean mask of records that must be in every pair (incremental
    runs compare new records with everything, never old with old again).
    Each key's pairs are filtered before the next key's are made, so the whole
    is never more than the pairs worth comparing.
    """
    n = len(prepared)
    order = neighbour_orders(prepared)
    found = []
    for keys in blocking_keys(prepared).values():
        pairs = pairs_sharing(keys, order)
        if only is not None:
            pairs = pairs[only[pairs[:, 0]] | only[pairs[:, 1]]]
        pairs = without_identifier_conflicts(pairs, prepared)
        if len(pairs):
            found.append(np.unique(pairs[:, 0] * n + pairs[:, 1]))
    if not found:
        return pd.DataFrame({"a": np.empty(0, np.int64), "b": np.empty(0, np.int64), "keys": np.empty(0, np.int64)})
    codes, shared = np.unique(np.concatenate(found), return_counts=True)
    return pd.DataFrame({"a": codes // n, "b": codes % n, "keys": shared})
