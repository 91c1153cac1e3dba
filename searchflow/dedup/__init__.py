"""Deduplication: records from many databases into works, with no false merges.

    normalise.py   matching forms of each field (title, authors, journal, pages, DOI, kind of record)
    block.py       candidate pairs: records sharing a blocking key; a big block by sorted neighbourhood
    score.py       field similarities of a chunk of candidate pairs at once (rapidfuzz cpdist, numpy)
    decide.py      vetoes, then named rules: duplicate (merge), possible (review queue) or distinct
    cluster.py     union-find that checks every cross pair against the vetoes before joining
    engine.py      the pipeline on one records table: deduplicate(table) -> DedupResult
    review.py      inside a project: incremental passes, the review queue, reviewer verdicts, undo
    standalone.py  export files -> clusters.csv without a project
    evaluate.py    scoring a clustering against labelled truth (benchmark and tests)
"""
from .engine import DedupResult, deduplicate, display_fields

__all__ = ["DedupResult", "deduplicate", "display_fields"]
