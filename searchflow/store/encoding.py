"""A source record's stored form, the same in every store backend: its raw tags in one text
column, its list and dict fields as compact JSON, and its fingerprint.

Parsers call :func:`encode_record` in their own processes while the store writes, so this
module holds no store and no SQL. The fingerprint (sha1 of the raw tags written out in full)
is a record's identity across versions of a search: a store moved to another backend must
give every record the same one.
"""
from __future__ import annotations

import hashlib
import json
from operator import itemgetter
from typing import Any, Mapping

from ..records import Record

# The normalised columns of a stored record, in the order encode_record gives them.
RECORD_FIELDS = (
    "title", "abstract", "authors", "year", "journal", "journal_abbrev", "volume", "issue",
    "pages", "doi", "pmid", "pmcid", "accession", "issn", "isbn", "type", "language",
    "keywords", "url", "databases",
)
JSON_FIELDS = frozenset({"authors", "accession", "issn", "isbn", "keywords", "databases"})

_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def fingerprint(raw_text: str) -> str:
    """A record's identity across versions of a search: sha1 of its raw tags as stored."""
    return hashlib.sha1(raw_text.encode("utf-8")).hexdigest()


def dumps(value: Any) -> str:
    """Compact JSON; the shared encoder and the shortcuts matter at 100,000 records."""
    if not value:
        return "{}" if isinstance(value, dict) else "[]"
    if type(value) is list:
        # names and keywords rarely hold anything JSON escapes: quote them directly
        try:
            joined = '","'.join(value)
        except TypeError:             # not all strings
            return _ENCODER.encode(value)
        if joined.isprintable() and '"' not in joined and "\\" not in joined:
            return f'["{joined}"]'
    return _ENCODER.encode(value)


# Raw tags are stored as "tag<US>value" pairs joined by <RS> (the ASCII unit and record
# separators, made for this): a quarter of JSON's cost at 100,000 records. A value holding a
# separator itself falls back to JSON, which never contains a bare control character.
_UNIT, _RECORD_SEPARATOR = "\x1f", "\x1e"
# A raw value identical to the record's title or abstract column is stored as one of these
# characters: the abstract is most of a record, and keeping it twice doubled what an import
# writes. The fingerprint is still taken over the values written out in full.
_SAME_AS_TITLE, _SAME_AS_ABSTRACT = "\x11", "\x12"


def encode_raw(raw: list[tuple[str, str]]) -> str:
    """The raw tags written out in full (see :func:`decode_raw`): what the fingerprint hashes."""
    text = _RECORD_SEPARATOR.join(map(_UNIT.join, raw))
    return text if _separators_fit(text, raw) else _ENCODER.encode([list(pair) for pair in raw])


def _separators_fit(text: str, raw: list[tuple[str, str]]) -> bool:
    """No value holds a separator itself (else the tags are stored as JSON)."""
    return text.count(_UNIT) == len(raw) and text.count(_RECORD_SEPARATOR) == len(raw) - 1


def _stored_raw(raw: list[tuple[str, str]], title: str, abstract: str) -> tuple[str, str]:
    """(fingerprint, stored text) of the raw tags: the full text's sha1, and, when a value is
    the abstract column, the text with the values equal to the abstract or title column
    replaced by a reference to it."""
    pairs = list(map(_UNIT.join, raw))      # every step in C: this runs once per record imported
    text = _RECORD_SEPARATOR.join(pairs)
    if not _separators_fit(text, raw):
        text = _ENCODER.encode([list(pair) for pair in raw])
        return fingerprint(text), text
    full = fingerprint(text)
    if _SAME_AS_TITLE in text or _SAME_AS_ABSTRACT in text:   # a value a reference would mimic
        return full, _ENCODER.encode([list(pair) for pair in raw])
    values = list(map(itemgetter(1), raw))
    if not abstract or abstract not in values:
        return full, text                 # the title alone is not worth writing the text again
    for value, reference in ((abstract, _SAME_AS_ABSTRACT), (title, _SAME_AS_TITLE)):
        at = -1
        while value:
            try:
                at = values.index(value, at + 1)
            except ValueError:
                break
            pairs[at] = f"{raw[at][0]}{_UNIT}{reference}"
    return full, _RECORD_SEPARATOR.join(pairs)


def decode_raw(text: str, title: str = "", abstract: str = "") -> list[tuple[str, str]]:
    """The raw tags of a stored record; ``title`` and ``abstract`` are its columns, which the
    stored text may refer to instead of repeating them."""
    if _UNIT not in text:
        return [tuple(pair) for pair in json.loads(text)]
    pairs = [tuple(pair.split(_UNIT, 1)) for pair in text.split(_RECORD_SEPARATOR)]
    if _SAME_AS_ABSTRACT in text or _SAME_AS_TITLE in text:
        same_as = {_SAME_AS_TITLE: title, _SAME_AS_ABSTRACT: abstract}
        pairs = [(tag, same_as.get(value, value)) for tag, value in pairs]
    return pairs


def stored_size(values: tuple) -> int:
    """About how many characters of raw tags an encoded record stands for (the abstract a
    reference replaced counted again): what an import's progress is estimated from."""
    raw = values[2]
    return len(raw) + (len(values[4]) if _SAME_AS_ABSTRACT in raw else 0)


def encode_record(record: Record) -> tuple:
    """A record as the stored values that depend on it alone: (fingerprint, line, raw, then
    RECORD_FIELDS). Pure, so a parsing process can do it while the store writes."""
    full, raw = _stored_raw(record.raw, record.title, record.abstract)
    return (
        full, record.line, raw,
        record.title, record.abstract, dumps(record.authors), record.year, record.journal,
        record.journal_abbrev, record.volume, record.issue, record.pages, record.doi,
        record.pmid, record.pmcid, dumps(record.accession), dumps(record.issn),
        dumps(record.isbn), record.type, record.language, dumps(record.keywords),
        record.url, dumps(record.databases),
    )


def record_fingerprint(record: Record) -> str:
    """The fingerprint a store gives a record (sha1 of its raw tags written out in full)."""
    return fingerprint(encode_raw(record.raw))


def decode_record(row: Mapping[str, Any]) -> dict:
    """A stored record row as a dict, its JSON fields and raw tags decoded."""
    item = dict(row)
    for key in JSON_FIELDS:
        item[key] = json.loads(item[key])
    item["raw"] = decode_raw(item["raw"], item["title"], item["abstract"])
    return item
