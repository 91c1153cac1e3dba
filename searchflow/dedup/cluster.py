"""Union-find clustering that never lets a veto be bypassed through a chain.

Pairwise rules can say A = B and B = C while A and C carry different DOIs; a
plain union-find would then put A and C in one work. Here every union checks
all pairs across the two clusters (vetoes and reviewers' "different" verdicts)
and refuses it if any pair is forbidden. Edges are applied strongest first, so
an exact identifier wins over a fuzzy match when they compete for a record.
"""
from __future__ import annotations

import numpy as np

from .decide import Vetoes

# Vetoes a shared DOI or PMID outweighs on a pair (see Vetoes.reasons); other vetoes always stand.
SOFT_VETOES = {"years more than one apart", "different pages", "different volumes", "different issues"}


class Clusters:
    """Disjoint sets of row numbers, each remembering its members."""

    def __init__(self, n: int):
        self.parent = np.arange(n, dtype=np.int64)
        self.members: dict[int, list[int]] = {}

    def find(self, x: int) -> int:
        parent = self.parent
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:          # path compression
            parent[x], x = root, parent[x]
        return int(root)

    def group(self, root: int) -> list[int]:
        return self.members.get(root, [root])

    def union(self, x: int, y: int) -> int:
        rx, ry = self.find(x), self.find(y)
        if rx == ry:
            return rx
        gx, gy = self.group(rx), self.group(ry)
        if len(gx) < len(gy):
            rx, ry, gx, gy = ry, rx, gy, gx
        self.parent[ry] = rx
        self.members[rx] = gx + gy
        self.members.pop(ry, None)
        return rx

    def labels(self) -> np.ndarray:
        return np.array([self.find(i) for i in range(len(self.parent))], dtype=np.int64)


class ConsistentClusters(Clusters):
    """Clusters that refuse a union when any cross pair is vetoed or was judged different."""

    def __init__(self, n: int, vetoes: Vetoes, different: set[tuple[int, int]] | None = None):
        super().__init__(n)
        self.vetoes = vetoes
        self.different = different or set()

    def conflict(self, x: int, y: int, check_vetoes: bool = True) -> str:
        """Why the clusters of x and y cannot be one work ("" if they can)."""
        gx, gy = self.group(self.find(x)), self.group(self.find(y))
        if self.different:
            for i in gx:
                for j in gy:
                    if (min(i, j), max(i, j)) in self.different:
                        return "reviewer said different"
        if not check_vetoes:
            return ""
        a = np.repeat(np.array(gx, dtype=np.int64), len(gy))
        b = np.tile(np.array(gy, dtype=np.int64), len(gx))
        reasons = self.vetoes.reasons(a, b)
        if not (reasons != "").any():
            return ""
        grid = reasons.reshape(len(gx), len(gy))
        for x, y in zip(*np.nonzero(grid != "")):
            if not self._outweighed(grid, gx, gy, int(x), int(y)):
                return f"{grid[x, y]} within the cluster"
        return ""

    def _outweighed(self, grid: np.ndarray, gx: list[int], gy: list[int], x: int, y: int) -> bool:
        """A numbering veto between gx[x] and gy[y] that the clusters already accepted.

        When gy[y] shares a DOI or PMID with a member k of its cluster that gx[x] agrees with,
        their conflicting pages, volume or year were outweighed by that identifier already
        (ahead-of-print and final versions, Cochrane updates): gx[x] matches k, so it inherits
        the same verdict. Likewise the other way round.
        """
        if grid[x, y] not in SOFT_VETOES:
            return False
        i, j = gx[x], gy[y]
        for k in range(len(gy)):
            if k != y and grid[x, k] == "" and self._share_identifier(gy[k], j):
                return True
        for k in range(len(gx)):
            if k != x and grid[k, y] == "" and self._share_identifier(gx[k], i):
                return True
        return False

    def _share_identifier(self, i: int, j: int) -> bool:
        v = self.vetoes
        return (v.doi[i] != "" and v.doi[i] == v.doi[j]) or (v.pmid[i] != "" and v.pmid[i] == v.pmid[j])

    def try_union(self, x: int, y: int, check_vetoes: bool = True) -> str:
        """Join the clusters of x and y unless forbidden; returns the reason it was refused."""
        if self.find(x) == self.find(y):
            return ""
        reason = self.conflict(x, y, check_vetoes)
        if not reason:
            self.union(x, y)
        return reason


def representatives(labels: np.ndarray, completeness: np.ndarray) -> np.ndarray:
    """For each row, the row of its cluster's most complete member (earliest on ties)."""
    n = len(labels)
    order = np.lexsort((np.arange(n), -completeness, labels))  # by cluster, most complete first
    first = np.ones(n, dtype=bool)
    first[1:] = labels[order][1:] != labels[order][:-1]
    best = {int(labels[i]): int(i) for i in order[first]}
    return np.array([best[int(c)] for c in labels], dtype=np.int64)


def cluster_numbers(labels: np.ndarray) -> np.ndarray:
    """1-based cluster ids numbered by each cluster's first record, so output is stable."""
    _, first_index, inverse = np.unique(labels, return_index=True, return_inverse=True)
    rank = np.empty(len(first_index), dtype=np.int64)
    rank[np.argsort(first_index, kind="stable")] = np.arange(1, len(first_index) + 1)
    return rank[inverse]
