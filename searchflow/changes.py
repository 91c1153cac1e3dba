"""What importing one search did: the change report's line for it, from file imports and connectors alike."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class SearchChange:
    """What importing one search did, for the change report."""

    search_id: str
    status: str                   # new | changed | unchanged | skipped
    version: int = 0
    records: int = 0
    previous_records: int = 0
    carried: int = 0              # records identical to the previous version's
    files: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    renamed_from: str | None = None   # the id the same files were imported under before

    def describe(self) -> str:
        if self.renamed_from:
            return (f"{self.search_id}: the same files as search {self.renamed_from!r}, renamed: "
                    f"{self.records} records keep their works and decisions")
        if self.status == "unchanged":
            return f"{self.search_id}: unchanged ({self.records} records)"
        if self.status == "skipped":
            return f"{self.search_id}: skipped ({'; '.join(self.warnings)})"
        if self.status == "new":
            return f"{self.search_id}: imported {self.records} records (version 1)"
        delta = self.records - self.previous_records
        return (f"{self.search_id}: changed, version {self.version}: {self.records} records "
                f"({delta:+d}; {self.carried} identical to version {self.version - 1})")
