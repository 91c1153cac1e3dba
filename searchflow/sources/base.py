"""What every importer shares: reading text safely, knowing the format, failing clearly."""
from __future__ import annotations

import codecs
import hashlib
from collections import Counter
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
    unknown_tags: Counter = field(default_factory=Counter)   # tag -> lines: kept in the raw tags only


def unknown_tags_warning(info: FileInfo) -> str | None:
    """One line naming the tags the importer does not map, with their counts; None if there were none."""
    if not info.unknown_tags:
        return None
    listed = ", ".join(f"{tag} ({count})" for tag, count in sorted(info.unknown_tags.items()))
    return f"{info.path}: tags this importer does not know, kept in the raw tags only: {listed}"


@dataclass
class Scan:
    """What one pass over a file tells: its checksum and how to decode it."""

    sha256: str
    encoding: str                 # "utf-8-sig", "utf-16" (a UTF-16 BOM), or "cp1252" when the bytes are not UTF-8
    warning: str | None = None


_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def is_utf16(head: bytes) -> bool:
    """EndNote on Windows writes "Unicode" text exports as UTF-16 with a byte order mark."""
    return head[:2] in _UTF16_BOMS


def scan(path: Path) -> Scan:
    """Checksum and encoding in one read: a 2 GB export is read once before parsing, not twice.

    UTF-16 when the file starts with its byte order mark; else UTF-8 (BOM stripped) when the
    whole file decodes, else cp1252 with a warning naming the first bad line. The whole file
    is checked so a bad byte at 1.9 GB is not found halfway through an import.
    """
    digest = hashlib.sha256()
    decoder = None
    line, warning = 1, None
    newline = b"\n"
    with open(path, "rb") as fh:
        while True:
            chunk = fh.read(1 << 20)
            digest.update(chunk)
            if decoder is None:
                utf16 = is_utf16(chunk)
                decoder = codecs.getincrementaldecoder("utf-16" if utf16 else "utf-8")()
                if utf16:
                    newline = "\n".encode("utf-16-le" if chunk[:2] == codecs.BOM_UTF16_LE else "utf-16-be")
            if warning is None:
                try:
                    decoder.decode(chunk, final=not chunk)
                except UnicodeDecodeError as exc:
                    line += chunk[: max(exc.start, 0)].count(newline)
                    warning = (f"{path}:{line}: not valid UTF-16; undecodable characters replaced" if utf16 else
                               f"{path}:{line}: not valid UTF-8; read as Windows-1252 (cp1252) instead")
                else:
                    line += chunk.count(newline)
            if not chunk:
                break
    if utf16:
        return Scan(digest.hexdigest(), "utf-16", warning)
    return Scan(digest.hexdigest(), "cp1252" if warning else "utf-8-sig", warning)


def check_readable(path: Path) -> None:
    """Missing, empty and binary files are refused before any parser sees them."""
    if not path.exists():
        raise ImportProblem(path, None, "file not found")
    if path.is_dir():
        raise ImportProblem(path, None, "is a folder, expected an export file")
    with open(path, "rb") as fh:
        head = fh.read(8192)
    if not head.strip(b"\xef\xbb\xbf \t\r\n") or (is_utf16(head) and not head[2:].strip(b"\x00 \t\r\n")):
        raise ImportProblem(path, 1, "file is empty, expected exported records")
    if b"\x00" in head and not is_utf16(head) and not head.startswith(b"PK\x03\x04"):  # a zip (.xlsx) is binary by design
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

