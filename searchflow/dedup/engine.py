"""normalise -> block -> score -> decide -> cluster, on one records table.

The engine knows nothing about files or the store: it takes a DataFrame of
records (columns as in :data:`normalise.INPUT_COLUMNS`) and returns, per record,
its cluster and decision, plus the pairs that were merged or sent to review
with the rule and score that decided them. The store and the standalone CLI
both call :func:`deduplicate`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable

import numpy as np
import pandas as pd

from ..progress import Update, progress
from .block import candidate_pairs
from .cluster import ConsistentClusters, cluster_numbers, representatives
from .decide import DISTINCT, DUPLICATE, POSSIBLE, Thresholds, Vetoes, decide
from .normalise import INPUT_COLUMNS, completeness, prepare
from .score import compare

UNIQUE = "unique"
# Candidate pairs compared at a time: a chunk's field similarities take some 100 MB at most.
CHUNK_PAIRS = 250_000
# Strongest first: identifiers, then reviewer-free fuzzy rules by score.
_RULE_ORDER = {"reviewer": 0, "exact:doi": 1, "exact:pmid": 2, "exact:pmcid": 3, "exact:accession": 4}


@dataclass
class DedupResult:
    """Per record: ``row``, ``cluster_id``, ``decision``, ``representative`` (row of the kept record).
    Per pair (rows ``a`` < ``b``): ``outcome`` (duplicate | possible), ``rule``, ``score``, ``note``."""

    records: pd.DataFrame
    pairs: pd.DataFrame
    stats: dict[str, int] = field(default_factory=dict)

    @property
    def possible_pairs(self) -> pd.DataFrame:
        return self.pairs[self.pairs["outcome"] == POSSIBLE]

    @property
    def merged_pairs(self) -> pd.DataFrame:
        return self.pairs[self.pairs["outcome"] == DUPLICATE]


def deduplicate(records: pd.DataFrame, *, thresholds: Thresholds | None = None,
                new: np.ndarray | None = None, clusters: Iterable | None = None,
                same: Iterable[tuple[int, int]] = (), different: Iterable[tuple[int, int]] = ()) -> DedupResult:
    """Cluster the records into works.

    new:       boolean mask; when given, only pairs involving a new record are compared
               (incremental runs: old records were compared with each other before).
    clusters:  a starting cluster label per record (existing works); records with the same
               label stay together.
    same / different: reviewer verdicts on row pairs, applied before and above every rule.
    """
    with progress("dedup: preparing, pairing, comparing and clustering records") as update:
        return _deduplicate(records, thresholds, new, clusters, same, different, update)


def _deduplicate(records: pd.DataFrame, thresholds: Thresholds | None, new: np.ndarray | None,
                 clusters: Iterable | None, same: Iterable[tuple[int, int]], different: Iterable[tuple[int, int]],
                 update: Update) -> DedupResult:
    records = records.reset_index(drop=True)
    n = len(records)
    prepared = prepare(records)
    update(1, 4)
    vetoes = Vetoes(prepared)
    same = {(min(a, b), max(a, b)) for a, b in same if a != b}
    different = {(min(a, b), max(a, b)) for a, b in different if a != b}

    pairs = candidate_pairs(prepared, only=new)
    if same or different:
        extra = np.array(sorted(same | different), dtype=np.int64).reshape(-1, 2)
        pairs = pd.concat([pairs, pd.DataFrame({"a": extra[:, 0], "b": extra[:, 1], "keys": 0})])
        pairs = pairs.drop_duplicates(["a", "b"]).reset_index(drop=True)
    chunks = -(-len(pairs) // CHUNK_PAIRS)
    update(2, 3 + chunks)
    decided = _decide_in_chunks(prepared, pairs, vetoes, thresholds, same, different,
                                lambda done: update(2 + done, 3 + chunks))

    groups = ConsistentClusters(n, vetoes, different)
    if clusters is not None:
        _seed(groups, np.asarray(list(clusters)))
    edges = decided[decided["outcome"] == DUPLICATE].copy()
    edges["order"] = edges["rule"].map(_RULE_ORDER).fillna(9)
    edges = edges.sort_values(["order", "score", "a", "b"], ascending=[True, False, True, True], kind="stable")
    for index, a, b, rule in zip(edges.index, edges["a"].to_numpy(), edges["b"].to_numpy(), edges["rule"]):
        reviewer = rule == "reviewer"
        # two single records: their own pair passed the vetoes already (reviewers' "different"
        # verdicts are checked whatever check_vetoes says)
        single = len(groups.group(groups.find(a))) == 1 and len(groups.group(groups.find(b))) == 1
        reason = groups.try_union(int(a), int(b), check_vetoes=not (reviewer or single))
        if reason:
            decided.at[index, "outcome"] = POSSIBLE
            decided.at[index, "note"] = f"not merged: {reason}"

    if different:
        # works a reviewer called different need no other pair of theirs reviewed
        queued = decided[decided["outcome"] == POSSIBLE]
        for index, a, b in zip(queued.index, queued["a"].to_numpy(), queued["b"].to_numpy()):
            if groups.conflict(int(a), int(b), check_vetoes=False):
                decided.at[index, "outcome"] = DISTINCT
    update(3 + chunks, 3 + chunks)
    labels = groups.labels()
    pairs_out = decided[decided["outcome"] != DISTINCT].reset_index(drop=True)
    # a possible pair whose records ended up in one work anyway is settled
    pairs_out = pairs_out[(pairs_out["outcome"] == DUPLICATE)
                          | (labels[pairs_out["a"].to_numpy()] != labels[pairs_out["b"].to_numpy()])]
    # one pair per two works in the review queue: the reviewer judges works, not every record pair
    pairs_out = pairs_out.assign(_ca=labels[pairs_out["a"].to_numpy()], _cb=labels[pairs_out["b"].to_numpy()])
    pairs_out[["_ca", "_cb"]] = np.sort(pairs_out[["_ca", "_cb"]].to_numpy(), axis=1)
    queued = pairs_out[pairs_out["outcome"] == POSSIBLE].sort_values("score", ascending=False, kind="stable")
    extra = queued.duplicated(["_ca", "_cb"])
    pairs_out = pairs_out.drop(index=queued.index[extra.to_numpy()]).drop(columns=["_ca", "_cb"]).sort_index()
    rep = representatives(labels, completeness(records))
    decision = np.where(rep == np.arange(n), UNIQUE, DUPLICATE).astype(object)
    possible = pairs_out[pairs_out["outcome"] == POSSIBLE]
    for a, b in zip(possible["a"].to_numpy(), possible["b"].to_numpy()):
        later = max(rep[a], rep[b])          # the kept record of the later work waits for review
        if decision[later] == UNIQUE:
            decision[later] = POSSIBLE
    out = pd.DataFrame({
        "row": np.arange(n),
        "id": records["id"].to_numpy() if "id" in records.columns else np.arange(1, n + 1),
        "cluster_id": cluster_numbers(labels),
        "decision": decision,
        "representative": rep,
    })
    stats = {
        "records": n, "candidate_pairs": len(pairs), "works": int(len(np.unique(labels))),
        "duplicates": int((decision == DUPLICATE).sum()), "possible_pairs": int(len(possible)),
    }
    return DedupResult(out, pairs_out.reset_index(drop=True), stats)


def _decide_in_chunks(prepared: pd.DataFrame, pairs: pd.DataFrame, vetoes: Vetoes, thresholds: Thresholds | None,
                      same: set, different: set, done: Callable[[int], None]) -> pd.DataFrame:
    """Compares and decides the candidate pairs a chunk at a time, keeping only the pairs that are
    not distinct: the field similarities of millions of pairs are never all in memory at once."""
    kept = []
    for k, start in enumerate(range(0, len(pairs), CHUNK_PAIRS), start=1):
        chunk = pairs.iloc[start:start + CHUNK_PAIRS]
        decided = decide(compare(prepared, chunk), vetoes, thresholds)
        _apply_reviewers(decided, same, different)
        kept.append(decided[decided["outcome"] != DISTINCT])
        done(k)
    if not kept:
        kept.append(decide(compare(prepared, pairs), vetoes, thresholds))
    return pd.concat(kept, ignore_index=True)


def _apply_reviewers(decided: pd.DataFrame, same: set, different: set) -> None:
    """Reviewers' verdicts replace whatever the rules said about their pairs."""
    if not (same or different):
        return
    keys = list(zip(decided["a"].to_numpy().tolist(), decided["b"].to_numpy().tolist()))
    is_same = np.array([k in same for k in keys], dtype=bool)
    is_different = np.array([k in different for k in keys], dtype=bool)
    decided.loc[is_same, ["outcome", "rule", "veto"]] = [DUPLICATE, "reviewer", ""]
    decided.loc[is_different, ["outcome", "rule"]] = [DISTINCT, "reviewer"]


def _seed(groups: ConsistentClusters, labels: np.ndarray) -> None:
    """Start from existing works: their members stay together whatever the rules say now."""
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]
    for k in range(1, len(order)):
        if sorted_labels[k] == sorted_labels[k - 1]:
            groups.union(int(order[k - 1]), int(order[k]))


def display_fields(records: pd.DataFrame, result: DedupResult) -> pd.DataFrame:
    """One row per work: fields of its most complete member, gaps filled from the others."""
    records = records.reset_index(drop=True)
    fields = [c for c in INPUT_COLUMNS if c in records.columns]
    table = records[fields].copy()
    table["cluster_id"] = result.records["cluster_id"].to_numpy()
    table["_rank"] = (result.records["representative"].to_numpy() != np.arange(len(records))).astype(int)
    table = table.sort_values(["cluster_id", "_rank"], kind="stable")
    blank = table[fields].map(lambda v: v is None or (isinstance(v, float) and v != v) or str(v).strip() == "")
    filled = table[fields].mask(blank)
    works = filled.groupby(table["cluster_id"], sort=True).first()
    return works.fillna("").reset_index()
