"""What every importer shares: reading text safely, knowing the format, failing clearly."""
from __future__ import annotations

import codecs
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

SNIFF_BYTES = 65536


class ImportProblem(Exception):
    """A user's file cannot be imported as asked; the message names file and line."""

    def __init__(self, path: str | Path, line: int | None, message: str):
        self.path = str(path)
        self.line = line
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


@dataclass
class FileInfo:
    """A file being imported; importers fill in ``vendor`` once they can tell."""

    path: Path
    format: str = ""
    vendor: str = ""
    encoding: str = "utf-8"
    warnings: list[str] = field(default_factory=list)


@dataclass
class Scan:
    """What one pass over a file tells: its checksum and how to decode it."""

    sha256: str
    encoding: str                 # "utf-8-sig", or "cp1252" when the bytes are not UTF-8
    warning: str | None = None


def scan(path: Path) -> Scan:
    """Checksum and encoding in one read: a 2 GB export is read once before parsing, not twice.

    UTF-8 (BOM stripped) when the whole file decodes, else cp1252 with a warning naming
    the first bad line; the whole file is checked so a bad byte at 1.9 GB is not found
    halfway through an import.
    """
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    line, warning = 1, None
    with open(path, "rb") as fh:
        while True:
            chunk = fh.read(1 << 20)
            digest.update(chunk)
            if warning is None:
                try:
                    decoder.decode(chunk, final=not chunk)
                except UnicodeDecodeError as exc:
                    line += chunk[: max(exc.start, 0)].count(b"\n")
                    warning = f"{path}:{line}: not valid UTF-8; read as Windows-1252 (cp1252) instead"
                else:
                    line += chunk.count(b"\n")
            if not chunk:
                break
    return Scan(digest.hexdigest(), "cp1252" if warning else "utf-8-sig", warning)


def check_readable(path: Path) -> None:
    """Missing, empty and binary files are refused before any parser sees them."""
    if not path.exists():
        raise ImportProblem(path, None, "file not found")
    if path.is_dir():
        raise ImportProblem(path, None, "is a folder, expected an export file")
    with open(path, "rb") as fh:
        head = fh.read(8192)
    if not head.strip(b"\xef\xbb\xbf \t\r\n"):
        raise ImportProblem(path, 1, "file is empty, expected exported records")
    if b"\x00" in head and not head.startswith(b"PK\x03\x04"):  # a zip (.xlsx) is binary by design
        raise ImportProblem(path, 1, "binary file (NUL bytes), expected a text export (RIS, MEDLINE, WoS, EndNote XML, CSV)")


def sniff_encoding(path: Path) -> tuple[str, str | None]:
    """(encoding, warning or None) of a file; see :func:`scan`."""
    result = scan(path)
    return result.encoding, result.warning


def read_lines(path: Path, encoding: str) -> Iterator[tuple[int, str]]:
    """(line number, text) pairs, any of LF, CRLF or bare CR ending a line, streamed.

    Text mode with universal newlines splits bare CRs (WoS RIS hides tags behind them).
    """
    with open(path, "r", encoding=encoding, errors="replace", newline=None) as fh:
        for number, text in enumerate(fh, start=1):
            yield number, text.rstrip("\n")


def head_text(path: Path, encoding: str, size: int = SNIFF_BYTES) -> str:
    with open(path, "rb") as fh:
        raw = fh.read(size)
    return raw.decode(encoding, errors="ignore").replace("\r\n", "\n").replace("\r", "\n")

