"""How searchflow reaches PubMed's E-utilities: the protocol's [pubmed] table and the environment."""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from ...protocol import Protocol, PubMed

DEFAULT_BASE_URL = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"
PAGE_LIMIT = 10_000          # PubMed: retstart + retmax <= 10,000 within one result set
BATCH_SIZE = 500             # records per efetch request


@dataclass
class PubMedSettings:
    """How to reach E-utilities. The API key lives only here: never stored, printed or logged."""

    base_url: str = DEFAULT_BASE_URL
    api_key: str | None = field(default=None, repr=False)
    email: str = ""
    tool: str = "searchflow"
    requests_per_second: float | None = None   # None: NCBI's limit (10 with a key, else 3); 0: no limit
    batch_size: int = BATCH_SIZE
    timeout: float = 60.0
    max_tries: int = 6
    backoff: float = 1.0                        # first retry delay in seconds; doubles, at most 60
    progress: bool = True
    reader_processes: int | None = None         # None: one per core when there are 2 or more; 0: none

    @classmethod
    def from_protocol(cls, protocol: Protocol | None = None, api_key: str | None = None) -> "PubMedSettings":
        """Settings from the protocol's [pubmed] table and the environment
        (SEARCHFLOW_EUTILS_URL, NCBI_API_KEY, NCBI_EMAIL); ``api_key`` wins over the environment."""
        table = protocol.pubmed if protocol is not None else PubMed()
        base_url = os.environ.get("SEARCHFLOW_EUTILS_URL") or DEFAULT_BASE_URL
        return cls(
            base_url=base_url if base_url.endswith("/") else base_url + "/",
            api_key=api_key or os.environ.get("NCBI_API_KEY") or None,
            email=table.email or os.environ.get("NCBI_EMAIL") or "",
            tool=table.tool,
            batch_size=table.batch_size,
        )

