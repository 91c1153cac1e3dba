"""PubMed XML files (``<PubmedArticleSet>``): PubMed's "Save > XML", or efetch output kept as a file.

The file is cut into article-aligned pieces of about 1 MB, each read by the PubMed connector's own
reader (:func:`.pubmed_xml.parse_efetch`) as a small set of its own: a saved file and a search run give
the same records, and a 2 GB file never stands in memory. What lies between the records may only
be what a PubMed file has there (declarations, the set's tags, DeleteCitation), so several sets
saved one after another (efetch batches appended to one file) are read in turn, and a file cut
short is told apart from a whole one. A record's line is the line where its element starts.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

from ..records import Record
from .base import FileInfo, ImportProblem
from .pubmed_xml import CorruptResponse, parse_efetch

_CHUNK = 1 << 20
_RECORD_TAG = re.compile(rb"<(/?)Pubmed(?:Book)?Article[\s>]")
# What a PubmedArticleSet holds besides its records (PubMed DTD), and what a file has around it
_BETWEEN = re.compile(rb"(?:\s+|<\?xml[^>]*\?>|<!DOCTYPE[^>\[]*(?:\[.*?\])?\s*>|<PubmedArticleSet\b[^>]*>"
                      rb"|</PubmedArticleSet\s*>|<DeleteCitation\b.*?</DeleteCitation\s*>|<!--.*?-->)*", re.S)
_SET_OPEN = re.compile(rb"<PubmedArticleSet\b")
_SET_CLOSE = re.compile(rb"</PubmedArticleSet\s*>")
_DECLARATION = re.compile(rb"<\?xml[^>]*\?>")
_ERROR_LINE = re.compile(r"line (\d+)")


def parse(path: Path, info: FileInfo) -> Iterator[Record]:
    info.vendor = "pubmed"
    for body, first_line, starts in _pieces(path):
        try:
            records = parse_efetch(body)
        except CorruptResponse as exc:
            where = _ERROR_LINE.search(str(exc))
            line = first_line + int(where.group(1)) - 1 if where else first_line
            raise ImportProblem(path, line, f"{exc}; expected PubMed XML as PubMed saves it") from None
        for record, line in zip(records, starts):
            record.line = line
            yield record


def _pieces(path: Path) -> Iterator[tuple[bytes, int, list[int]]]:
    """(a PubmedArticleSet of whole records, the file line of its first record, each record's line)."""
    buffer = b""
    line = 1                         # file line at buffer[0]
    counted, counted_line = 0, 1     # newlines counted in buffer up to index `counted`
    inside, start, done, scan = False, 0, 0, 0
    gap_line = record_line = 1       # lines of the last record's end and of the current record's start
    pending: list[bytes] = []
    size, first_line, starts = 0, 0, []
    open_sets, seen_set = 0, False
    declaration = b""

    def line_at(index: int) -> int:
        nonlocal counted, counted_line
        counted_line += buffer.count(b"\n", counted, index)
        counted = index
        return counted_line

    def between(text: bytes, at: int) -> None:
        nonlocal open_sets, seen_set, declaration
        if not _BETWEEN.fullmatch(text):
            junk = re.search(rb"\S", text[_BETWEEN.match(text).end():])
            offset = _BETWEEN.match(text).end() + (junk.start() if junk else 0)
            raise ImportProblem(path, at + text.count(b"\n", 0, offset),
                                "unexpected text between PubMed records; expected <PubmedArticle> or "
                                "<PubmedBookArticle> elements in a <PubmedArticleSet>")
        opened = len(_SET_OPEN.findall(text))
        open_sets += opened - len(_SET_CLOSE.findall(text))
        seen_set = seen_set or opened > 0
        if not declaration and (found := _DECLARATION.search(text)):
            declaration = found.group(0)    # its encoding holds for every piece

    def piece() -> tuple[bytes, int, list[int]]:
        nonlocal pending, size, starts
        body = declaration + b"<PubmedArticleSet>" + b"".join(pending) + b"</PubmedArticleSet>"
        result = (body, first_line, starts)
        pending, size, starts = [], 0, []
        return result

    with open(path, "rb") as fh:
        while True:
            block = fh.read(_CHUNK)
            buffer += block
            for match in _RECORD_TAG.finditer(buffer, scan):
                scan = match.end()
                if match.group(1):                       # a record's end tag
                    if inside:
                        if pending:                      # the lines between records kept: errors name the right one
                            pending.append(b"\n" * (record_line - gap_line))
                        else:
                            first_line = record_line
                        pending.append(buffer[start:match.end()])
                        starts.append(record_line)
                        size += match.end() - start
                        inside, done = False, match.end()
                elif not inside:                         # a record's start tag
                    gap_line = line_at(done)
                    between(buffer[done:match.start()], gap_line)
                    record_line = line_at(match.start())
                    inside, start = True, match.start()
            if not block:
                break
            if size >= _CHUNK:
                yield piece()
            keep = start if inside else done             # drop what is read: the buffer holds one record at most
            line = line_at(keep)
            buffer, scan = buffer[keep:], scan - keep
            start, done, counted, counted_line = start - keep if inside else 0, done - keep, 0, line
    if inside:
        raise ImportProblem(path, line_at(len(buffer)),
                            f"the file ends inside the PubMed record that starts on line {record_line}: it looks "
                            "truncated; expected the whole saved file, ending with </PubmedArticleSet>")
    tail = buffer[done:]
    if not seen_set and not _SET_OPEN.search(tail):
        raise ImportProblem(path, 1, "no <PubmedArticleSet> found; expected PubMed XML as PubMed saves it")
    cut_in_a_tag = b">" not in tail[_BETWEEN.match(tail).end():] and not _BETWEEN.fullmatch(tail)
    if not cut_in_a_tag:
        between(tail, line_at(done))
    if cut_in_a_tag or open_sets > 0:
        raise ImportProblem(path, line_at(len(buffer)), "PubMed XML ends before </PubmedArticleSet>: the file "
                                                        "looks truncated; expected the whole saved file")
    if pending:
        yield piece()
