"""EndNote XML (``<xml><records><record>...``), streamed with ElementTree.iterparse.

Each ``<record>`` is read when it closes and then cleared, so memory stays flat
however many records the file holds (EndNote writes them all on one line, so
a record's ``line`` is its ordinal in the file). Field text sits inside
``<style face=...>`` runs, hence ``itertext()``.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Iterator

from ..records import (
    Record, clean_text, normalise_author, normalise_doi, normalise_issns, normalise_isbns, normalise_issue,
    normalise_keyword, normalise_pages, normalise_pmcid, normalise_pmid, normalise_type, normalise_year, stated_pmid,
    unique,
)
from .base import FileInfo, ImportProblem

# Elements that only describe the EndNote library, not the reference
_LIBRARY_ELEMENTS = {"database", "source-app", "rec-number", "foreign-keys"}
_EMBASE_URL_ID = re.compile(r"embase\.com/.*[?&]id=(L\d+)")
_CENTRAL_SOURCE_ID = re.compile(r"\b(PUBMED|EMBASE)\s+(\d+)")  # CENTRAL custom3: "PUBMED 12625150,EMBASE 36231497"


def parse(path: Path, info: FileInfo) -> Iterator[Record]:
    info.vendor = "endnote"
    ordinal = 0
    records_element = None
    try:
        for event, element in ET.iterparse(path, events=("start", "end")):
            if event == "start":
                if element.tag == "records":
                    records_element = element
                continue
            if element.tag != "record":
                continue
            ordinal += 1
            yield _record(element, ordinal)
            element.clear()
            if records_element is not None:
                records_element.remove(element)  # drop the emptied record too
    except ET.ParseError as exc:
        line, _column = exc.position
        raise ImportProblem(path, line, f"malformed EndNote XML in record {ordinal + 1}: {exc}") from None


def _leaves(element: ET.Element, prefix: str = "") -> Iterator[tuple[str, str]]:
    """(element path, text) for every element holding text, style runs folded into their field."""
    for child in element:
        if child.tag in _LIBRARY_ELEMENTS:
            continue
        path = f"{prefix}{child.tag}"
        fields = [c for c in child if c.tag != "style"]
        if fields:
            yield from _leaves(child, f"{path}/")
        else:
            value = "".join(child.itertext())
            if value.strip():
                yield path, value


def _record(element: ET.Element, ordinal: int) -> Record:
    raw = list(_leaves(element))
    ref_type = element.find("ref-type")
    if ref_type is not None and ref_type.get("name"):
        raw.insert(0, ("ref-type/@name", ref_type.get("name", "")))
    fields: dict[str, list[str]] = {}
    for path, value in raw:
        fields.setdefault(path, []).append(value)

    def text(*paths: str) -> str:
        for path in paths:
            if fields.get(path):
                return clean_text(fields[path][0])
        return ""

    def multi(path: str) -> list[str]:
        """EndNote separates values inside one field with carriage returns (&#xD;)."""
        return [clean_text(v) for value in fields.get(path, []) for v in re.split(r"[\r\n]+", value) if v.strip()]

    databases = multi("remote-database-name")
    urls = [u for u in multi("urls/related-urls/url") + multi("urls/web-urls/url") if not u.startswith("internal-pdf")]
    pmid, accession = _identifiers(
        text("accession-num"), databases, text("remote-database-provider"), text("custom3"), text("custom5"), urls,
    )
    custom2 = text("custom2")
    if not pmid and custom2.isdigit() and any(d.lower() == "scopus" for d in databases):
        pmid, custom2 = normalise_pmid(custom2), ""   # a Scopus record: custom2 holds the PubMed id, not the PMCID
    pmid = pmid or stated_pmid([text("accession-num"), custom2] + multi("notes"))   # "PMID: 12345678"
    isbn_field = multi("isbn")
    return Record(
        raw=raw,
        line=ordinal,
        title=text("titles/title"),
        abstract=text("abstract"),
        authors=[a for a in (normalise_author(n) for n in multi("contributors/authors/author")) if a],
        year=normalise_year(text("dates/year")) or normalise_year(text("dates/pub-dates/date")),
        journal=text("titles/secondary-title", "periodical/full-title", "alt-periodical/full-title"),
        # short-title is a short form of the article title in EndNote, not a journal abbreviation
        journal_abbrev=text("periodical/abbr-1", "alt-periodical/abbr-1", "titles/alt-title"),
        volume=text("volume"),
        issue=normalise_issue(text("number")),
        pages=normalise_pages(text("pages")),
        doi=normalise_doi(text("electronic-resource-num")) or next((normalise_doi(u) for u in urls if "doi.org/" in u), ""),
        pmid=pmid,
        pmcid=normalise_pmcid(custom2),
        accession=accession,
        issn=normalise_issns(isbn_field),
        isbn=normalise_isbns(isbn_field),
        type=normalise_type(text("work-type"), text("ref-type/@name")),
        language=text("language"),
        keywords=unique(normalise_keyword(k) for k in multi("keywords/keyword")),
        url=urls[0] if urls else "",
        databases=databases,
    )


def _identifiers(
    accession_num: str, databases: list[str], provider: str, custom3: str, custom5: str, urls: list[str],
) -> tuple[str, dict[str, str]]:
    """PMID and database accession numbers from where EndNote's import filters put them.

    PubMed imports: numeric accession-num, provider NLM. Embase.com: Embase id only in the
    record URL, PMID in custom5. CENTRAL: "CN-..." accession-num, source ids in custom3.
    """
    pmid = ""
    accession: dict[str, str] = {}
    sources = {d.lower() for d in databases} | {provider.lower()}
    embase_export = any("embase.com" in u for u in urls) or "embase" in sources
    if accession_num.isdigit() and sources & {"nlm", "pubmed", "medline"}:
        pmid = normalise_pmid(accession_num)
    elif re.fullmatch(r"L\d+", accession_num):
        accession["embase"] = accession_num
    elif accession_num.startswith("CN-"):
        accession["central"] = accession_num
    elif accession_num.upper().startswith("WOS:"):
        accession["wos"] = accession_num
    elif accession_num:
        accession[databases[0].lower() if databases else "accession"] = accession_num
    for url in urls:
        match = _EMBASE_URL_ID.search(url)
        if match:
            accession.setdefault("embase", match.group(1))
    if embase_export and custom5.isdigit():
        pmid = pmid or normalise_pmid(custom5)
    for database, number in _CENTRAL_SOURCE_ID.findall(custom3):
        if database == "PUBMED":
            pmid = pmid or normalise_pmid(number)
        else:
            accession.setdefault("embase", f"L{number}")
    return pmid, accession
