"""How searchflow reaches PubMed's E-utilities: the protocol's [pubmed] table and the environment."""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from ...protocol import Protocol, ProtocolError

DEFAULT_BASE_URL = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"
PAGE_LIMIT = 10_000          # PubMed: retstart + retmax <= 10,000 within one result set
BATCH_SIZE = 500             # records per efetch request
PUBMED_SETTINGS_KEYS = {"email", "tool", "batch_size"}


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
        table = (protocol.raw.get("pubmed") if protocol is not None else None) or {}
        where = protocol.path if protocol is not None else "protocol"
        if not isinstance(table, dict):
            raise ProtocolError(f"{where}: pubmed: expected a table ([pubmed])")
        for key in table:
            if key not in PUBMED_SETTINGS_KEYS:
                raise ProtocolError(f"{where}: pubmed.{key}: expected one of the known keys "
                                    f"({', '.join(sorted(PUBMED_SETTINGS_KEYS))}), got {key!r}")
        batch = table.get("batch_size", BATCH_SIZE)
        if not isinstance(batch, int) or isinstance(batch, bool) or not 1 <= batch <= PAGE_LIMIT:
            raise ProtocolError(f"{where}: pubmed.batch_size: expected an integer from 1 to 10000, got {batch!r}")
        base_url = os.environ.get("SEARCHFLOW_EUTILS_URL") or DEFAULT_BASE_URL
        return cls(
            base_url=base_url if base_url.endswith("/") else base_url + "/",
            api_key=api_key or os.environ.get("NCBI_API_KEY") or None,
            email=str(table.get("email") or os.environ.get("NCBI_EMAIL") or ""),
            tool=str(table.get("tool") or "searchflow"),
            batch_size=batch,
        )

