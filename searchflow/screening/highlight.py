"""Highlight terms: which words of a title or abstract the protocol wants coloured.

The protocol lists include terms (signs a work may be relevant) and exclude terms
(signs it is not) under ``[screening.highlight]``. A term is a word or phrase,
case-insensitive, where ``*`` stands for any word ending (``prescrib*`` matches
prescribing, prescribers) and a space matches any run of spaces or hyphens
(``link worker`` matches "link-worker"). Kept apart from the terminal UI so the
matching is testable and the same anywhere it is shown.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

INCLUDE = "include"
EXCLUDE = "exclude"


@dataclass(frozen=True)
class Match:
    """One highlighted stretch of text: ``text[start:end]`` matched a term of ``kind``."""

    start: int
    end: int
    kind: str          # INCLUDE | EXCLUDE
    term: str


def term_pattern(term: str) -> str:
    """The regular expression for one protocol term (without flags)."""
    words = [w for w in re.split(r"[\s\-]+", term.strip()) if w]
    parts = []
    for word in words:
        pieces = word.split("*")
        parts.append(r"\w*".join(re.escape(p) for p in pieces))
    body = r"[\s\-]+".join(parts)
    # A term starts at a word start; it ends at a word end unless it ends in a wildcard,
    # where \w* has already run to the word's end.
    return rf"(?<!\w){body}(?!\w)" if body else ""


class Highlighter:
    """Compiled include and exclude terms; ``matches(text)`` finds where they occur."""

    def __init__(self, include: Iterable[str] = (), exclude: Iterable[str] = ()):
        self.include = [t for t in include if t.strip()]
        self.exclude = [t for t in exclude if t.strip()]
        self._patterns: list[tuple[re.Pattern[str], str, str]] = []
        for kind, terms in ((EXCLUDE, self.exclude), (INCLUDE, self.include)):
            for term in terms:
                pattern = term_pattern(term)
                if pattern:
                    self._patterns.append((re.compile(pattern, re.IGNORECASE), kind, term))

    def __bool__(self) -> bool:
        return bool(self._patterns)

    def matches(self, text: str) -> list[Match]:
        """Non-overlapping matches in text order.

        Where terms overlap the earliest wins, then the longest; on a tie an exclude
        term wins, since missing a reason to exclude costs the reviewer more time.
        """
        found: list[Match] = []
        for pattern, kind, term in self._patterns:
            for m in pattern.finditer(text):
                if m.end() > m.start():
                    found.append(Match(m.start(), m.end(), kind, term))
        found.sort(key=lambda m: (m.start, -(m.end - m.start), m.kind != EXCLUDE))
        kept: list[Match] = []
        end = -1
        for match in found:
            if match.start >= end:
                kept.append(match)
                end = match.end
        return kept


def from_protocol(protocol) -> Highlighter:
    """The highlighter for a protocol's ``[screening.highlight]`` terms."""
    return Highlighter(protocol.screening.highlight_include, protocol.screening.highlight_exclude)
