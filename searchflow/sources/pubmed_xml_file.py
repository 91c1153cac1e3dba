"""PubMed XML files (``<PubmedArticleSet>``): PubMed's "Save > XML", or efetch output kept as a file.

Each article and book is read by the PubMed connector's own readers (:mod:`.pubmed_xml`), so a
saved file and a search run give the same records. The file is streamed: fed to a pull parser
1 MB at a time, each record dropped from the tree once read, so a 2 GB file never stands in
memory. Several sets saved one after another (efetch batches appended to one file) are read in
turn. A record's line is the line where its element starts.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import deque
from pathlib import Path
from typing import Iterator

from ..records import Record
from .base import FileInfo, ImportProblem
from .pubmed_xml import CorruptResponse, parse_article, parse_book

_CHUNK = 1 << 20
_READERS = {"PubmedArticle": parse_article, "PubmedBookArticle": parse_book}
_RECORD_START = re.compile(rb"<Pubmed(?:Book)?Article[\s>]")
_DOCUMENT_START = re.compile(rb"^\s*<\?xml\b", re.M)     # a further set's declaration, at a line's start
# expat error codes that mean the text stopped before the document closed
_ENDS_EARLY = {3, 5}     # "no element found", "unclosed token"


def parse(path: Path, info: FileInfo) -> Iterator[Record]:
    info.vendor = "pubmed"
    starts: deque[int] = deque()        # first lines of the record elements fed so far, in order
    document = _Document(path, 1)
    line = 1                            # line at the start of the next chunk
    for chunk in _line_chunks(path):
        pieces = _split_documents(chunk)
        for number, piece in enumerate(pieces):
            if number:                  # a further document starts here: close the one before
                yield from document.close(starts)
                document = _Document(path, line)
            _note_starts(piece, line, starts)
            yield from document.feed(piece, starts)
            line += piece.count(b"\n")
    yield from document.close(starts)


def _line_chunks(path: Path) -> Iterator[bytes]:
    """The file in chunks of about 1 MB, each ending at a line break (so a tag that starts a line
    is never cut in two)."""
    carry = b""
    with open(path, "rb") as fh:
        while True:
            block = fh.read(_CHUNK)
            if not block:
                if carry:
                    yield carry
                return
            data = carry + block
            cut = data.rfind(b"\n") + 1
            if cut == 0:
                carry = data
                continue
            yield data[:cut]
            carry = data[cut:]


def _split_documents(chunk: bytes) -> list[bytes]:
    """The chunk cut before each XML declaration after its start."""
    cuts = [m.start() for m in _DOCUMENT_START.finditer(chunk) if m.start() > 0]
    if not cuts:
        return [chunk]
    bounds = [0, *cuts, len(chunk)]
    return [chunk[a:b] for a, b in zip(bounds, bounds[1:])]


def _note_starts(data: bytes, line: int, starts: deque[int]) -> None:
    position = 0
    for match in _RECORD_START.finditer(data):
        line += data.count(b"\n", position, match.start())
        position = match.start()
        starts.append(line)


class _Document:
    """One PubmedArticleSet being read; its parser counts lines from 1, the file from ``first_line``."""

    def __init__(self, path: Path, first_line: int):
        self.path, self.first_line = path, first_line
        self.parser = ET.XMLPullParser(("start", "end"))
        self.root: ET.Element | None = None
        self.fed = False

    def feed(self, data: bytes, starts: deque[int]) -> Iterator[Record]:
        if data.strip():
            self.fed = True
        try:
            self.parser.feed(data)
        except ET.ParseError as exc:
            raise self._problem(exc) from None
        yield from self._records(starts)

    def close(self, starts: deque[int]) -> Iterator[Record]:
        if not self.fed:
            return
        try:
            self.parser.close()
        except ET.ParseError as exc:
            raise self._problem(exc) from None
        yield from self._records(starts)
        if self.root is not None and self.root.tag != "PubmedArticleSet":
            raise ImportProblem(self.path, self.first_line,
                                f"expected <PubmedArticleSet> (PubMed XML), found <{self.root.tag}>")

    def _records(self, starts: deque[int]) -> Iterator[Record]:
        for event, node in self.parser.read_events():
            if event == "start":
                if self.root is None:
                    self.root = node
                continue
            reader = _READERS.get(node.tag)
            if reader is None:
                continue
            line = starts.popleft() if starts else 0
            try:
                record = reader(node)
            except CorruptResponse as exc:
                raise ImportProblem(self.path, line, f"{exc}; expected PubMed's record structure") from None
            record.line = line
            node.clear()
            if self.root is not None:
                self.root.remove(node)      # the emptied element too: memory stays flat
            yield record

    def _problem(self, exc: ET.ParseError) -> ImportProblem:
        line = self.first_line + exc.position[0] - 1
        if exc.code in _ENDS_EARLY:
            return ImportProblem(self.path, line, "PubMed XML ends before </PubmedArticleSet>: the file looks "
                                                  "truncated; expected the whole saved file")
        return ImportProblem(self.path, line, f"not well-formed PubMed XML ({exc.msg.split(':')[0]}); "
                                              "expected a PubmedArticleSet as PubMed saves it")
