"""PubMed through NCBI's E-utilities: complete, polite, replayable searches and citation chasing.

A PubMed search run is a conversation with E-utilities: esearch on the history server, then
efetch in batches; every response is stored as it arrives, so the search replays offline and
identically, and an interrupted one resumes. One job per module:

- ``settings``: the [pubmed] table and the environment (where, who, how fast);
- ``client``: HTTP at NCBI's pace, with retries;
- ``conversation``: a run's exchanges, stored as they arrive and replayed in order;
- ``readers``: reader processes for a big search's efetch replies;
- ``slicing``: date and PMID-range slices under PubMed's 10,000-record cap;
- ``runs``: a search run from start to finish (run, resume, replay) through
  :mod:`searchflow.search_runs`, which makes its versions: ``run_search``;
- ``chasing``: citation chasing through elink: ``chase``.

Replies are read into records by :mod:`searchflow.sources.pubmed_xml`.
"""
from __future__ import annotations

from .chasing import ChaseResult, chase
from .client import EutilsClient, EutilsError
from .conversation import Conversation
from .readers import default_reader_processes
from .runs import RunRecords, run_search, stored_records
from .settings import PubMedSettings
from .slicing import PubMedSearch, SearchOutcome, Slice

__all__ = [
    "ChaseResult", "Conversation", "EutilsClient", "EutilsError", "PubMedSearch", "PubMedSettings", "RunRecords",
    "SearchOutcome", "Slice", "chase", "default_reader_processes", "run_search", "stored_records",
]
