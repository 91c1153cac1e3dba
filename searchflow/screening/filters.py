"""Filters of a reviewer's screening list: by search, by keyword, by highlight hit, or by their
own verdict (still undecided, or maybe).

A filter is typed as words, every part must hold (quote a phrase: ``"link worker*"``):

- ``undecided`` / ``maybe``: works with no verdict of yours yet / your verdict is maybe;
- ``hit:include`` / ``hit:exclude``: the title, abstract or keywords hit one of the protocol's
  include / exclude highlight terms;
- ``search:ID``: works a search (its protocol id) found;
- any other word or phrase: in the title, abstract or keywords, with ``*`` for any word ending,
  as highlight terms are written.

The TUI's filter key calls :func:`parse` and :func:`matching`; the rule lives here so a script
can narrow a list the same way. Only the reviewer's own verdicts are read (blinding).
"""
from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from ..protocol import Protocol
from ..store import Store
from . import highlight
from .events import reviewer_verdicts
from .vocabulary import ScreeningError

MINE = ("undecided", "maybe")          # filters on the reviewer's own verdict
HITS = (highlight.INCLUDE, highlight.EXCLUDE)
SYNTAX = "undecided | maybe | hit:include | hit:exclude | search:ID | words (* for any ending)"


@dataclass(frozen=True)
class Filter:
    """What a reviewer narrowed the list to; every part must hold."""

    mine: tuple[str, ...] = ()
    hits: tuple[str, ...] = ()
    searches: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.mine or self.hits or self.searches or self.keywords)

    def describe(self) -> str:
        """The filter as it would be typed."""
        parts = [*self.mine, *(f"hit:{h}" for h in self.hits), *(f"search:{s}" for s in self.searches),
                 *(f'"{k}"' if " " in k else k for k in self.keywords)]
        return " ".join(parts)


def parse(text: str, store: Store) -> Filter:
    """A typed filter (see the module notes); a part that means nothing raises ScreeningError
    naming it. A ``search:`` part names one of the store's current searches."""
    try:
        words = shlex.split(text)
    except ValueError:
        raise ScreeningError(f"filter {text!r}: a quote is not closed") from None
    mine, hits, searches, keywords = [], [], [], []
    for word in words:
        kind, _, value = word.partition(":")
        if word.casefold() in MINE:
            mine.append(word.casefold())
        elif value and kind.casefold() == "hit":
            if value.casefold() not in HITS:
                raise ScreeningError(f"filter {word!r}: expected hit:include or hit:exclude")
            hits.append(value.casefold())
        elif value and kind.casefold() == "search":
            search_ids = sorted({run["search_id"] for run in store.search_runs(current_only=True)})
            if value not in search_ids:
                raise ScreeningError(f"filter {word!r}: no search {value!r}; the searches are {', '.join(search_ids)}")
            searches.append(value)
        elif re.search(r"\w", word):        # a word or phrase to find, not just wildcards
            keywords.append(word)
        else:
            raise ScreeningError(f"filter {word!r}: expected {SYNTAX}")
    if len(set(mine)) > 1:
        raise ScreeningError("filter: undecided and maybe cannot both hold; choose one")
    return Filter(tuple(dict.fromkeys(mine)), tuple(dict.fromkeys(hits)), tuple(dict.fromkeys(searches)),
                  tuple(dict.fromkeys(keywords)))


def matching(store: Store, protocol: Protocol, reviewer: str, stage: str, works: list[int],
             chosen: Filter) -> list[int]:
    """The works, in the order given, that pass every part of the filter."""
    kept = list(works)
    if chosen.mine:
        mine = reviewer_verdicts(store, reviewer, stage)
        if chosen.mine == ("undecided",):
            kept = [w for w in kept if w not in mine]
        else:
            kept = [w for w in kept if w in mine and mine[w].verdict == "maybe"]
    if not (chosen.hits or chosen.searches or chosen.keywords) or not kept:
        return kept
    texts = store.work_search_texts(kept)
    patterns = [re.compile(highlight.term_pattern(k), re.IGNORECASE) for k in chosen.keywords]
    highlighter = highlight.from_protocol(protocol) if chosen.hits else None

    def passes(work: int) -> bool:
        searches, text = texts.get(work, (frozenset(), ""))
        if any(s not in searches for s in chosen.searches):
            return False
        if any(not p.search(text) for p in patterns):
            return False
        if highlighter is not None:
            kinds = {m.kind for m in highlighter.matches(text)}
            return all(h in kinds for h in chosen.hits)
        return True

    return [w for w in kept if passes(w)]
