"""RIS exports (Embase.com, Ovid, EBSCOhost, ProQuest, Web of Science, Scopus, EndNote).

Hand-written tokenizer: rispy folds repeated tags into dicts and drops line
numbers, but we keep every tag verbatim and in file order (the second EBSCO
``AB``, Ovid's repeated ``DO``) and name the line of any problem.

Each vendor bends RIS its own way (see shared/data/exports/README.md, section 3);
the tokenizer handles the framing once and ``_record`` maps tags per vendor:

* a line without a tag continues the previous tag: for list tags (``KW``, ``AU``,
  ``N1`` ...) it is a new value (EndNote, Scopus references, WoS citation counts),
  for text tags (``AB``, ``TI`` ...) it wraps the same value (WoS 3-space lines);
* everything between ``ER`` and the next ``TY`` is ignored (Ovid sequence lines,
  ``NL`` and "Link to the Ovid Full Text" after ``ER``);
* a ``TY`` before the previous record's ``ER``, or the end of the file inside a
  record, is an error naming the unterminated record's line;
* a tag outside the specification and the vendors' tags (Citavi ``TS``, ``SV``, custom tags)
  never refuses a file: it stays in the raw tags and the import warns once, with counts;
* a file whose first ``TY`` is spaced otherwise (``TY - JOUR``) is read with that spacing;
* text before the first ``TY`` is a header (Ovid's search history, EndNote's "Record #1 of 2"):
  skipped, with a warning when it is not a header shape known here; a tag line there is an error
  (the file lost its first record's start).
"""
from __future__ import annotations

import re
from collections import defaultdict
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Iterator

from ..records import (
    Record, clean_text, normalise_author, normalise_doi, normalise_isbns, normalise_issns, normalise_issue,
    normalise_journal, normalise_keyword, normalise_pages, normalise_pmcid, normalise_pmid, normalise_type,
    normalise_year, stated_pmid, unique,
)
from .base import FileInfo, ImportProblem, read_lines

# The RIS specification's tags plus the vendor tags seen in real exports.
SPEC_TAGS = frozenset("""
    TY A1 A2 A3 A4 AB AD AN AU AV BT C1 C2 C3 C4 C5 C6 C7 C8 CA CN CP CT CY DA DB DO DP
    ED EP ET ID IS J1 J2 JA JF JO KW L1 L2 L3 L4 LA LB LK M1 M2 M3 N1 N2 NV OP PB PP PY
    RI RN RP SE SN SP ST T1 T2 T3 TA TI TT U1 U2 U3 U4 U5 UR VL VO Y1 Y2 ER
""".split())
VENDOR_TAGS = frozenset("""
    AI NL PT WE FU FX PU PI PA J9 JI H1 H2 UK PMID
""".split())  # Ovid: AI NL PT; WoS: WE FU FX PU PI PA J9 JI; rispy extras: H1 H2 UK; APA PsycNET: PMID
KNOWN_TAGS = SPEC_TAGS | VENDOR_TAGS

# A tagless line after one of these is a further value (EndNote puts each extra
# keyword, author, address or note on a bare line); after any other tag it wraps the text.
LIST_TAGS = frozenset("""
    A1 A2 A3 A4 AU ED TA AD AI KW N1 M1 M2 SN LA DO UR L1 L2 L3 L4 LK DB C3
""".split())

_TAG_SHAPE = re.compile(r"[A-Z][A-Z0-9]")
_OVID_SEQUENCE = re.compile(r"^\s*<?\d+\.\s*>?\s*$")  # "1.", "47. "
# Headers: APA PsycNET / Ovid ("Provider:", "Database:", "Search Strategy:" and its numbered lines
# "1     exp Loneliness/ (123)"), EndNote's "Record #1 of 2", rules of dashes or stars
_PREAMBLE = re.compile(r"^(Provider|Database|Content|Search Strategy)\s*:|^[-*=]+\s*$|^Record\s*#?\s*\d+\s+of\s+\d+\s*$"
                       r"|^\s*\d+\s+.*\(\d+\)\s*$")
# A tag line spaced otherwise than "TY  - ": "TY - JOUR", "TY  -JOUR", " TY  - JOUR" (some web exports)
_SPACED_TAG = re.compile(r"^[\s\ufeff]*([A-Z][A-Z0-9])[ \t]{1,3}-(?:[ \t]+|$)(.*)$")

_OVID_DB_SEGMENT = re.compile(r"\s*<[^>]*>\s*")       # "APA PsycInfo <2021>" -> "APA PsycInfo"
_URL_PARAM = re.compile(r"[?&](AN|D|db|id|eid|doi)=([^&#\s]+)")
_EBSCO_ACCESSION = re.compile(r"Accession Number:\s*([^\s;]+)")
_PROQUEST_DOCVIEW = re.compile(r"proquest\.com/docview/(\d+)")
_EMBASE_ID = re.compile(r"^L\d+$")
# Where vendor boilerplate starts inside an abstract; the rest is dropped. EBSCO "[ABSTRACT FROM AUTHOR]",
# ProQuest "[Author Abstract] KEY WORDS: ...", APA "(PsycInfo Database Record (c) 2022 APA, ...)" which
# Ovid follows with the translated abstract.
_ABSTRACT_ENDS = ("[ABSTRACT FROM ", "[Author Abstract]", "Database Record (c)")
_OVID_STRUCTURED = re.compile(r"\.,\s+(?=[A-Z][A-Z ,/&()-]{2,}:)")  # "territories., RESEARCH DESIGN:" -> ". "

# EBSCOhost database codes (DB tag, "db=" in the permalink) -> readable name.
EBSCO_DATABASES = {
    "psyh": "APA PsycInfo", "pdh": "APA PsycArticles", "i3h": "Criminal Justice Abstracts",
    "aph": "Academic Search Premier", "a9h": "Academic Search Complete", "asn": "Academic Search Ultimate",
    "rzh": "CINAHL Plus with Full Text", "ccm": "CINAHL Complete", "c8h": "CINAHL with Full Text",
    "cin20": "CINAHL Ultimate", "jlh": "CINAHL Plus", "sih": "SocINDEX with Full Text", "sxi": "SocINDEX",
    "cmedm": "MEDLINE", "mdc": "MEDLINE Complete", "mnh": "MEDLINE with Full Text", "eric": "ERIC",
    "bth": "Business Source Premier", "hch": "Health Source: Nursing/Academic Edition",
    "eue": "Education Source", "ehh": "Education Research Complete",
    "lxh": "Library, Information Science & Technology Abstracts",
}
# Which accession key an EBSCO database's AN belongs to ("pmid": it is the PubMed id).
_EBSCO_ACCESSION_KEY = {
    "psyh": "psycinfo", "rzh": "cinahl", "ccm": "cinahl", "c8h": "cinahl", "cin20": "cinahl",
    "jlh": "cinahl", "cmedm": "pmid", "mdc": "pmid", "mnh": "pmid", "eric": "eric",
}
# Ovid database segment codes ("D=psyc16" in the L2 link) -> (accession key, readable name).
_OVID_SEGMENTS = (
    ("psyc", "psycinfo", "APA PsycInfo"), ("eric", "eric", "ERIC"), ("emed", "embase", "Embase"),
    ("emez", "embase", "Embase"), ("emex", "embase", "Embase"), ("oemez", "embase", "Embase"),
    ("med", "pmid", "Ovid MEDLINE(R)"), ("prem", "pmid", "Ovid MEDLINE(R)"),
    ("pmnm", "pmid", "Ovid MEDLINE(R)"), ("mesz", "pmid", "Ovid MEDLINE(R)"),
)
_NLM_SOURCES = frozenset({"nlm", "pubmed", "medline"})

# vendor -> (tags holding the journal's full name, tags holding its abbreviation), in preference order
_JOURNAL_TAGS = {
    "embase.com": (("JF", "T2", "JO"), ("JO", "J2", "JA")),
    "ovid": (("JF", "T2", "JO"), ("NL", "J2", "JA", "JO")),
    "ebsco": (("JF", "JO", "T2"), ("JA", "J2", "JO")),
    "proquest": (("JF", "T2", "JO"), ("J2", "JA", "JO")),
    "wos": (("T2", "JF", "JO"), ("JI", "J9", "J2")),
    "scopus": (("T2", "JF", "JO"), ("J2", "JA")),
}
_GENERIC_JOURNAL_TAGS = (("JF", "T2", "JO", "JA", "J1", "J2"), ("J2", "JA", "J1", "JO"))


# "TI  - " and "TI  -" (empty value, end of line) -> "TI": one dict lookup on a line's first six
# characters recognises a known tag line, the only per-line test most lines need. A BOM the
# decoder kept (plain utf-8) can only sit before the first TY.
_LINE_HEADS = {f"{tag}  - ": tag for tag in KNOWN_TAGS if len(tag) == 2}
_LINE_HEADS.update({f"{tag}  -": tag for tag in KNOWN_TAGS if len(tag) == 2})
_LINE_HEADS.update({"\ufeffTY  - ": "TY", "\ufeffTY  -": "TY"})


# Where a record begins, for cutting a large file into ranges parsed in parallel.
RECORD_START = b"TY  - "


def parse(path: Path, info: FileInfo) -> Iterator[Record]:
    """Stream the file's records, each yielded as soon as its ``ER`` line is read."""
    return parse_lines(read_lines(path, info.encoding), path, info)


def parse_lines(lines: Iterable[tuple[int, str]], path: Path, info: FileInfo, *,
                final: bool = True, inside: bool = False) -> Iterator[Record]:
    """Records from (line number, text) pairs: a whole file, or a range of one that starts
    at a record (``inside``: past the file's first record, ``info.vendor`` already known;
    not ``final``: the file goes on after the range)."""
    heads = _LINE_HEADS
    list_tags = LIST_TAGS
    unknown = info.unknown_tags
    raw: list[tuple[str, str]] = []
    start = 0                 # line of the open record's TY; 0 between records
    seen_record = inside
    ovid_hint = False         # Ovid sequence lines ("1.") precede records
    vendor = info.vendor if inside else ""
    spaced = False            # the file spaces its tags otherwise than "TY  - "
    header = 0                # first line of unrecognised text before the first record
    last_tag = ""
    number = 0
    for number, text in lines:
        tag = heads.get(text[:6])
        if tag is None and (spaced or not seen_record):
            # off the hot path: a file spaced its own way, rewritten to "XX  - value" (decided by its first TY)
            match = _SPACED_TAG.match(text)
            if match and (spaced or match.group(1) == "TY"):
                spaced = True
                text = f"{match.group(1)}  - {match.group(2)}"
                tag = heads.get(text[:6])
        if tag is not None:
            value = text[6:].strip()
            if start:
                if tag == "ER":
                    if not vendor or vendor == "generic":
                        vendor = info.vendor = _vendor(raw, ovid_hint)
                    yield _record(raw, start, vendor)
                    raw = []
                    start = 0
                elif tag == "TY":
                    raise ImportProblem(
                        path, start,
                        f"record has no end tag 'ER  -' before the next record's 'TY' on line {number}",
                    )
                else:
                    raw.append((tag, value))
                    last_tag = tag
            elif tag == "TY":
                start = number
                seen_record = True
                raw = [("TY", value)]
                last_tag = "TY"
            elif not seen_record:
                raise ImportProblem(path, number, f"tag {tag!r} before the first record; expected 'TY  - ' to start a record")
            # else: tag lines between ER and the next TY (Ovid's trailing NL) are ignored
            continue

        # Not a known tag: an unknown tag, a continuation line, or text outside records.
        if text[2:5] == "  -" and (len(text) == 5 or text[5] == " ") and _TAG_SHAPE.fullmatch(text[:2]):
            if start:         # kept verbatim; the import warns once with every unknown tag's count
                last_tag = text[:2]
                raw.append((last_tag, text[6:].strip()))
                unknown[last_tag] += 1
                continue
            if seen_record:
                continue          # between ER and the next TY everything is ignored
            raise ImportProblem(path, number, f"unknown tag {text[:2]!r} before the first record; expected 'TY  - ' to start a record")
        if start:
            if text.startswith("PMID  -"):      # APA PsycNET's one 4-letter tag
                raw.append(("PMID", text[7:].strip()))
                last_tag = "PMID"
                continue
            line = text.strip()
            if not line:
                continue
            if last_tag in list_tags:
                raw.append((last_tag, line))
            else:
                previous = raw[-1][1]
                raw[-1] = (last_tag, f"{previous}\n{line}" if previous else line)
        elif not seen_record:
            text = text.lstrip("\ufeff")
            if text.strip() and not _OVID_SEQUENCE.match(text) and not _PREAMBLE.match(text) and not header:
                header = number   # a header the export put first: skipped, and said once
                info.warnings.append(f"{path}:{number}: text before the first record skipped: {text.strip()[:40]!r}")
            ovid_hint = ovid_hint or bool(_OVID_SEQUENCE.match(text))
    if start and final:
        raise ImportProblem(path, start, "record has no end tag 'ER  -': the file ends inside it (truncated export?)")
    if start:
        raise ImportProblem(
            path, start, f"record has no end tag 'ER  -' before the next record's 'TY' on line {number + 1}",
        )


def parse_text(text: str, first_line: int, path: Path, info: FileInfo, *,
               final: bool = True, inside: bool = False) -> Iterator[Record]:
    """:func:`parse_lines` over decoded text (newlines already LF) that starts on line
    ``first_line``: a range of a large file, parsed in a worker process."""
    return parse_lines(enumerate(text.split("\n"), first_line), path, info, final=final, inside=inside)


# ---------------------------------------------------------------- vendor

def _vendor(raw: list[tuple[str, str]], ovid_hint: bool) -> str:
    """Which system wrote the record, from the marks each vendor leaves (README section 3)."""
    links = " ".join(v for t, v in raw if t in ("UR", "L2")).lower()
    values = {t: v for t, v in reversed(raw)}   # first value of each tag
    databases = [v for t, v in raw if t == "DB"]
    if raw[-1][0] == "ID" and raw[-1][1].isdigit():
        return "endnote"   # EndNote writes tags A-Z and its own record number last
    if "embase.com" in links or _EMBASE_ID.match(values.get("U2", "")):
        return "embase.com"
    # a sequence line alone is not enough: other writers number their records too ("1." in rispy's examples)
    ovid_hint = ovid_hint and ("DB" in values or "PT" in values)
    if ovid_hint or "ovid.com" in links or any(db.startswith("Ovid") or "<" in db for db in databases):
        return "ovid"
    if values.get("DP", "").lower() == "ebscohost" or "ebscohost.com" in links:
        return "ebsco"
    if "proquest.com" in links:
        return "proquest"
    if "WE" in values or values.get("AN", "").startswith("WOS:"):
        return "wos"
    if "Scopus" in databases or "scopus.com" in links:
        return "scopus"
    if {v.lower() for t, v in raw if t in ("DP", "DB")} & _NLM_SOURCES:
        return "pubmed"
    return "generic"


# ---------------------------------------------------------------- mapping

# Cached wrappers: names, types, years and ISSNs recur across a search's records.
_author = lru_cache(maxsize=65536)(normalise_author)
_type = lru_cache(maxsize=4096)(normalise_type)
_year = lru_cache(maxsize=4096)(normalise_year)
_BLANK = ("",)


_keyword = lru_cache(maxsize=65536)(normalise_keyword)


@lru_cache(maxsize=4096)
def _serial_numbers(value: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(ISSNs, ISBNs) in one SN value: SN holds ISSNs for serials, ISBNs for books."""
    isbns = normalise_isbns([value])
    return (() if isbns else tuple(normalise_issns([value]))), tuple(isbns)


def _record(raw: list[tuple[str, str]], line: int, vendor: str) -> Record:
    fields: dict[str, list[str]] = defaultdict(list)
    for tag, value in raw:
        if value:
            fields[tag].append(value)
    get = fields.get
    # Values are stripped and non-empty; only text that may wrap or carry markup goes through clean_text.

    # abstract: the first real one (EBSCO's 2nd AB is copyright boilerplate; psyh's 2nd is a translation)
    abstract = ""
    for value in get("AB", []) + get("N2", []):
        if value.startswith("Copyright of ") and "is the property of" in value:
            continue
        abstract = clean_text(value)
        for marker in _ABSTRACT_ENDS:
            cut = abstract.find(marker)
            if cut >= 0:
                if marker[0] == "D":            # back to the notice's opening parenthesis
                    cut = max(abstract.rfind("(", 0, cut), 0)
                abstract = abstract[:cut].rstrip()
        if abstract:
            break
    if vendor == "ovid" and abstract:
        abstract = _OVID_STRUCTURED.sub(". ", abstract)

    full_tags, abbrev_tags = _JOURNAL_TAGS.get(vendor, _GENERIC_JOURNAL_TAGS)
    journal = journal_abbrev = ""
    for tag in full_tags:
        if tag in fields:
            journal = clean_text(fields[tag][0])
            break
    journal = normalise_journal(journal)
    for tag in abbrev_tags:
        if tag in fields:
            journal_abbrev = clean_text(fields[tag][0])
            break
    if journal_abbrev.lower() == journal.lower():
        journal_abbrev = ""
    nlm = False
    if "DP" in fields or "DB" in fields:
        nlm = any(v.lower() in _NLM_SOURCES for v in get("DP", []) + get("DB", []))
        if nlm and not journal_abbrev and vendor in ("endnote", "pubmed"):
            journal_abbrev = journal    # PubMed-sourced references carry the NLM abbreviation as the journal

    pages = normalise_pages(get("SP", _BLANK)[0], get("EP", _BLANK)[0]) or get("C7", _BLANK)[0]   # C7: article number

    doi = ""
    for value in get("DO", []) + get("L3", []):
        doi = normalise_doi(value)
        if doi:
            break
    if not doi:   # a DOI link (ProQuest, Embase L2) or Scopus's "doi=" link parameter
        links = get("L2", []) + get("UR", []) + get("L1", []) + get("L4", [])
        for value in links:
            if "doi.org/" in value:
                doi = normalise_doi(value)
                if doi:
                    break
        if not doi:
            doi = normalise_doi(_params(links).get("doi", ""))

    ty = get("TY", _BLANK)[0]
    if vendor == "ovid":
        # PsycINFO's M3 is a subject classification ("... [3300]"); PT's first part is the type
        kind = _type(ty, get("PT", _BLANK)[0].split(",")[0])
    else:
        kind = _type(ty, get("M3", _BLANK)[0])

    issn: list[str] = []
    isbn: list[str] = []
    for value in get("SN", ()):
        issns, isbns = _serial_numbers(value)
        issn.extend(i for i in issns if i not in issn)
        isbn.extend(i for i in isbns if i not in isbn)

    year = None
    for tag in ("PY", "Y1", "DA", "Y2"):
        for value in get(tag, ()):
            year = _year(value)
            if year:
                break
        if year:
            break

    authors = [_author(v) for v in get("AU", []) + get("A1", [])]
    keywords = [_keyword(v) for v in get("KW", ())]
    title = get("TI") or get("T1") or get("CT") or get("BT") or get("ST") or get("TT")
    record = Record(
        raw=raw,
        line=line,
        title=clean_text(title[0]) if title else "",
        abstract=abstract,
        authors=[a for a in authors if a],
        year=year,
        journal=journal,
        journal_abbrev=journal_abbrev,
        volume=(get("VL") or get("VO") or _BLANK)[0],
        issue=normalise_issue(get("IS", _BLANK)[0]),
        pages=pages,
        doi=doi,
        pmid=normalise_pmid(get("PMID", _BLANK)[0]),
        pmcid=normalise_pmcid(" ".join(get("C2", ()))),
        issn=issn,
        isbn=isbn,
        type=kind,
        language=get("LA", _BLANK)[0],
        keywords=list(dict.fromkeys(k for k in keywords if k)),
        url=next((v for v in get("UR", ()) if v.startswith("http")), ""),
        databases=list(dict.fromkeys(get("DB", []) + get("DP", []))),
    )
    _IDENTIFIERS.get(vendor, _generic_ids)(record, fields, nlm)
    if not record.pmid and ("C2" in fields or "AN" in fields or "N1" in fields):
        record.pmid = stated_pmid(get("C2", []) + get("AN", []) + get("N1", []))   # "PMID: 12345678"
    return record


def _params(values: list[str]) -> dict[str, str]:
    """Query parameters of the vendor links (first value of each name)."""
    found: dict[str, str] = {}
    for value in values:
        for name, param in _URL_PARAM.findall(value):
            found.setdefault(name, param)
    return found


# Identifiers and database names: where each vendor hides them.

def _embase_ids(record: Record, fields: dict[str, list[str]], nlm: bool) -> None:
    record.pmid = record.pmid or normalise_pmid(_first(fields, "C5"))
    embase_id = _first(fields, "U2") or _params(fields.get("UR", [])).get("id", "")
    if _EMBASE_ID.match(embase_id):
        record.accession["embase"] = embase_id


def _ovid_ids(record: Record, fields: dict[str, list[str]], nlm: bool) -> None:
    link = _params(fields.get("L2", []) + fields.get("UR", []))
    key, name = _ovid_segment(link.get("D", ""))
    if "DB" in fields:
        record.databases = list(dict.fromkeys(ovid_database(db) for db in fields["DB"]))
        key = ovid_database_key(record.databases[0]) or key
    elif name:
        record.databases = [name]
    if not record.url:
        record.url = next((v for v in fields.get("L2", ()) if "ovid.com" in v), "")
    accession = _first(fields, "ID") or _first(fields, "AN") or link.get("AN", "")
    if accession:
        if key == "pmid":
            record.pmid = record.pmid or normalise_pmid(accession)
        else:
            record.accession[key] = accession


@lru_cache(maxsize=256)
def _ovid_segment(code: str) -> tuple[str, str]:
    """(accession key, database name) for an Ovid segment code such as "psyc16" or "medp"."""
    code = code.lower()
    for prefix, key, name in _OVID_SEGMENTS:
        if code.startswith(prefix):
            return key, name
    return "ovid", ""


@lru_cache(maxsize=256)
def ovid_database(label: str) -> str:
    """ "APA PsycInfo <2016 to 2023 March Week 1>" -> "APA PsycInfo" (the segment dates are noise)."""
    return _OVID_DB_SEGMENT.sub(" ", label).strip()


@lru_cache(maxsize=256)
def ovid_database_key(name: str) -> str:
    label = name.lower()
    if "psycinfo" in label:
        return "psycinfo"
    if label.startswith("eric"):
        return "eric"
    if "embase" in label:
        return "embase"
    if "medline" in label:
        return "pmid"
    return ""


def _ebsco_ids(record: Record, fields: dict[str, list[str]], nlm: bool) -> None:
    link = _params(fields.get("UR", []))
    code = (_first(fields, "DB") or link.get("db", "")).lower()
    accession = _first(fields, "AN")
    if not accession:
        for note in fields.get("N1", []):
            match = _EBSCO_ACCESSION.search(note)
            if match:
                accession = match.group(1).rstrip(".")
                break
    accession = accession or link.get("AN", "")
    record.databases = unique([code, EBSCO_DATABASES.get(code, "")]) if code else []
    url = next((u for u in fields.get("UR", []) if "ebscohost.com" in u), "")
    record.url = url or record.url
    if accession:
        key = _EBSCO_ACCESSION_KEY.get(code, "ebsco")
        if key == "pmid":
            record.pmid = record.pmid or normalise_pmid(accession)
        else:
            record.accession[key] = accession


def _proquest_ids(record: Record, fields: dict[str, list[str]], nlm: bool) -> None:
    accession = _first(fields, "AN").split(";")[0].strip()   # "2214991469; 51887": ProQuest id first
    if not accession:
        match = _PROQUEST_DOCVIEW.search(" ".join(fields.get("UR", [])))
        accession = match.group(1) if match else ""
    if accession:
        record.accession["proquest"] = accession


def _wos_ids(record: Record, fields: dict[str, list[str]], nlm: bool) -> None:
    record.databases = unique(fields.get("WE", []))
    accession = _first(fields, "AN")
    if ":" in accession:            # "WOS:000282053100002", "MEDLINE:31858815"
        database = accession.split(":", 1)[0].lower()
        record.accession[database] = accession
        if database == "medline":
            record.pmid = record.pmid or normalise_pmid(accession)
    elif accession:
        record.accession["wos"] = accession


def _scopus_ids(record: Record, fields: dict[str, list[str]], nlm: bool) -> None:
    c2 = _first(fields, "C2")
    if c2.isdigit():                # Scopus puts the PubMed id in C2 (EndNote: the PMCID)
        record.pmid = record.pmid or normalise_pmid(c2)
        record.pmcid = ""
    eid = _params(fields.get("UR", [])).get("eid", "")
    if eid:
        record.accession["scopus"] = eid


def _generic_ids(record: Record, fields: dict[str, list[str]], nlm: bool) -> None:
    """EndNote, PubMed-via-a-reference-manager and unknown writers: AN belongs to DB/DP."""
    source = (_first(fields, "DB") or _first(fields, "DP")).lower()
    c2 = _first(fields, "C2")
    if "scopus" in source and c2.isdigit():     # a Scopus record relayed by EndNote: C2 is the PubMed id
        record.pmid = record.pmid or normalise_pmid(c2)
        record.pmcid = ""
    accession = _first(fields, "AN")
    if not accession:
        return
    if nlm and accession.isdigit():
        record.pmid = record.pmid or normalise_pmid(accession)
        return
    if "embase" in source:
        record.accession["embase"] = accession
    elif "scopus" in source:
        record.accession["scopus"] = accession
    elif accession.startswith("WOS:"):
        record.accession["wos"] = accession
    else:
        record.accession[source or "an"] = accession


_IDENTIFIERS = {
    "embase.com": _embase_ids, "ovid": _ovid_ids, "ebsco": _ebsco_ids, "proquest": _proquest_ids,
    "wos": _wos_ids, "scopus": _scopus_ids,
}


def _first(fields: dict[str, list[str]], tag: str) -> str:
    values = fields.get(tag)
    return values[0].strip() if values else ""
