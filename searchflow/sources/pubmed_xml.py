"""Reading E-utilities replies: esearch and elink through Bio.Entrez, efetch's
PubmedArticleSet XML into source records.

esearch and elink replies are read with Bio.Entrez.read (checked against the DTDs Biopython
bundles). efetch PubmedArticleSet XML is read with ElementTree, because Entrez.read holds a
whole batch as nested dicts, drops the order of books among articles, refuses the http://
DTDs of older records and keeps inline <i>/MathML markup as literal text. Not lxml: it builds
a reply's tree faster (70 against 110 µs a record) but hands Python a new proxy object for
each element it touches, so walking a record costs twice ElementTree's walk and the whole read
is no faster, even walking each element's children once.

Every function here is pure (bytes in, records out), so replies can be read in reader
processes, and a stored reply reads back to the same records while PARSER_VERSION stands.
"""
from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from Bio import Entrez

from ..memory import collector_paused
from ..records import (
    Record, normalise_doi, normalise_issns, normalise_pages, normalise_pmcid, normalise_pmid,
    normalise_type, normalise_year, unique,
)
from ..store.encoding import encode_record

# Bump whenever records read from the same stored responses could come out different (a field,
# a raw tag, their order): unchanged searches are then read again, once, and the run says so.
# Version 1 is the reader of runs stored before this number was part of their fingerprint.
# Version 3: an empty ArticleTitle falls back to the VernacularTitle (and a book's to its BookTitle).
PARSER_VERSION = 3


class CorruptResponse(Exception):
    """A reply that is not the XML it should be (truncated, HTML error page): worth retrying."""


@dataclass
class NcbiError:
    """An <ERROR> document: NCBI answered, but refused (stored like any reply, so replays agree)."""

    message: str



# ------------------------------------------------------------------ reading replies

@dataclass
class EsearchResult:
    count: int
    ids: list[str]
    webenv: str
    query_key: str
    translation: str
    notes: list[str]


def _entrez_read(body: bytes) -> Any:
    try:
        # validate=False: an element NCBI adds later must not make every search fail
        return Entrez.read(io.BytesIO(body), validate=False)
    except RuntimeError as exc:          # Entrez.read raises this for an <ERROR> document
        return NcbiError(str(exc))
    except ValueError as exc:            # CorruptedXMLError, NotXMLError, ... are ValueErrors
        raise CorruptResponse(str(exc).split(". ")[0]) from None


# An esearch reply lists up to 10,000 PMIDs, and Entrez.read makes an object of each (35 ms a reply,
# the main process's biggest parse): a list of nothing but <Id>digits</Id> is read by a pattern instead
_ID_LIST = re.compile(rb"(?:\s*<Id>\d+</Id>)*+\s*")
_ID = re.compile(rb"<Id>(\d+)</Id>")


def _split_ids(body: bytes) -> tuple[bytes, list[str] | None]:
    """(the reply with its IdList emptied, the PMIDs it listed), or (the reply, None) when the list
    is not that plain (or a comment, CDATA section or processing instruction could hide a fake one)."""
    start = body.find(b"<IdList>")
    end = body.find(b"</IdList>", start)
    if start < 0 or end < 0 or b"<!--" in body or b"<![CDATA[" in body or body.count(b"<?") > 1:
        return body, None
    listed = body[start + len(b"<IdList>"):end]
    if not _ID_LIST.fullmatch(listed):
        return body, None
    return body[:start + len(b"<IdList>")] + body[end:], [pmid.decode() for pmid in _ID.findall(listed)]


def read_esearch(body: bytes) -> EsearchResult | NcbiError:
    rest, ids = _split_ids(body)
    try:
        result = _entrez_read(rest)
    except CorruptResponse:
        if rest is body:
            raise
        result, ids = _entrez_read(body), None      # the whole reply's own complaint
    if isinstance(result, NcbiError):
        return result
    if "Count" not in result:
        raise CorruptResponse("esearch reply without a Count")
    notes: list[str] = []
    for group in ("ErrorList", "WarningList"):
        for kind, values in (result.get(group) or {}).items():
            for value in values:
                notes.append(f"{kind}: {value}")
    return EsearchResult(
        count=int(result["Count"]), ids=ids if ids is not None else [str(i) for i in result.get("IdList", [])],
        webenv=str(result.get("WebEnv", "")), query_key=str(result.get("QueryKey", "")),
        translation=str(result.get("QueryTranslation", "")), notes=notes,
    )


def read_elink(body: bytes) -> list[tuple[str, dict[str, list[str]]]] | NcbiError:
    """(seed PMID, {link name: linked PMIDs}) for each LinkSet, in reply order."""
    result = _entrez_read(body)
    if isinstance(result, NcbiError):
        return result
    sets = []
    for linkset in result:
        ids = [str(i) for i in linkset.get("IdList", [])]
        links = {str(db["LinkName"]): [str(link["Id"]) for link in db.get("Link", [])]
                 for db in linkset.get("LinkSetDb", [])}
        sets.append((ids[0] if len(ids) == 1 else ",".join(ids), links))
    return sets


@dataclass
class EfetchResult:
    pmids: list[str]
    records: list[Record] = field(default_factory=list, repr=False)


def read_efetch(body: bytes) -> EfetchResult | NcbiError:
    """The records of a PubmedArticleSet and their PMIDs, in reply order.

    Parsing the whole reply is also its check: a truncated or garbled reply raises CorruptResponse
    here, while it can still be retried, and the records are never read a second time."""
    records = _read_set(body)
    if isinstance(records, NcbiError):
        return records
    return EfetchResult([record.pmid for record in records if record.pmid], records)


# PMID is the first child of MedlineCitation and of BookDocument (PubMed DTD)
_RECORD_PMID = re.compile(rb"<(?:MedlineCitation|BookDocument)\b[^>]*>\s*<PMID\b[^>]*>\s*(\d+)\s*</PMID>")
_SET_END = re.compile(rb"</PubmedArticleSet>\s*$")


def peek_efetch(body: bytes) -> EfetchResult | NcbiError:
    """What a search needs of a reply at once, while its records are read in another process:
    refused or not, its PMIDs (by a pattern), and not cut short. Anything unusual is read whole."""
    if b"<PubmedArticleSet" not in body[:4096] or not _SET_END.search(body, len(body) - 64):
        return read_efetch(body)
    return EfetchResult([m.decode().lstrip("0") for m in _RECORD_PMID.findall(body)])


def encoded_records(body: bytes) -> list[tuple[str, tuple]]:
    """(PMID, stored values) of each record of a reply: storing's work that needs no store,
    so a reader process can do it. Each record is encoded as soon as it is read, while it is
    still in the CPU's caches (5-8% faster than reading the reply first, with readers side by side)."""
    encoded = _read_set(body, encode=True)
    return [] if isinstance(encoded, NcbiError) else encoded


def encoded_entries(records: list[Record]) -> list[tuple[str, tuple]]:
    """(PMID, stored values) of records already read: a reply read in the searching process."""
    with collector_paused():               # 500 records' worth of small objects, no cycles among them
        return list(map(_entry, records))


def _entry(record: Record) -> tuple[str, tuple]:
    """(PMID, the record encoded for the store): what a reader process hands back."""
    return record.pmid, encode_record(record)


def _efetch_root(body: bytes) -> ET.Element | NcbiError:
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise CorruptResponse(f"not well-formed XML ({exc})") from None
    return _check_root(root)


def _check_root(root: ET.Element) -> ET.Element | NcbiError:
    if root.tag == "PubmedArticleSet":
        return root
    error = root.findtext(".//ERROR") if root.tag != "ERROR" else root.text
    if error is not None:
        return NcbiError(error.strip())
    raise CorruptResponse(f"expected <PubmedArticleSet>, got <{root.tag}>")


# ------------------------------------------------------------------ PubmedArticleSet -> Record

# The children a PubmedArticleSet may have (PubMed DTD); a record's line is its place among them
_SET_CHILDREN = {"PubmedArticle", "PubmedBookArticle", "DeleteCitation"}


def parse_efetch(body: bytes) -> list[Record]:
    """Records of an efetch PubmedArticleSet reply, articles and books in reply order."""
    records = _read_set(body)
    return [] if isinstance(records, NcbiError) else records


_FEED = 1 << 16                             # bytes a time into the pull parser: a dozen records


def _read_set(body: bytes, encode: bool = False) -> list | NcbiError:
    """The reply's records (with ``encode``, as :func:`encoded_entries` gives them), or NCBI's refusal.
    One record at a time (a pull parser fed 64 KB at a time, each finished record cleared): a
    500-record reply never stands as one tree of 60,000 elements, which keeps the reading in the
    CPU's caches (a whole-reply ET.fromstring tree read as fast alone, but 15-20% slower with
    reader processes running side by side)."""
    if b"<PubmedArticleSet" not in body[:4096]:
        root = _efetch_root(body)           # an <ERROR> document, or garbage: small, parse whole
        if isinstance(root, NcbiError):
            return root
    records = []
    position = 0
    node = None
    # XMLPullParser rather than iterparse: one generator fewer between the C parser and this loop
    parser = ET.XMLPullParser(("end",))
    with collector_paused():
        try:
            for start in range(0, len(body), _FEED):
                parser.feed(body[start:start + _FEED])
                for _, node in parser.read_events():
                    tag = node.tag
                    if tag not in _SET_CHILDREN:
                        continue
                    position += 1
                    if tag == "PubmedArticle":
                        record = parse_article(node)
                    elif tag == "PubmedBookArticle":
                        record = parse_book(node)
                    else:                   # DeleteCitation
                        node.clear()
                        continue
                    node.clear()
                    record.line = position
                    records.append(_entry(record) if encode else record)
            parser.close()
            for _, node in parser.read_events():    # the root's end, when the body ends right after it
                pass
        except ET.ParseError as exc:
            raise CorruptResponse(f"not well-formed XML ({exc})") from None
    checked = _check_root(node)             # the last element to end is the root
    return checked if isinstance(checked, NcbiError) else records


def _text(node: ET.Element | None) -> str:
    """Inline markup (<i>, <sup>, MathML) flattened to its text, whitespace collapsed."""
    if node is None:
        return ""
    if len(node):
        return _collapse("".join(node.itertext()))
    text = node.text
    if not text:
        return ""
    if "  " in text or "\n" in text or "\t" in text or "\xa0" in text:
        return " ".join(text.split())
    return text.strip()


def _collapse(text: str) -> str:
    """``" ".join(text.split())``, without the split when there is nothing to collapse: no double
    space and, printable, no other whitespace than single spaces (abstracts are long)."""
    text = text.strip()
    if "  " in text or not text.isprintable():
        return " ".join(text.split())
    return text


def _stripped(node: ET.Element) -> str:
    """An element's own text, stripped (as ``(node.text or "").strip()``)."""
    text = node.text
    return text.strip() if text else ""


def _date(node: ET.Element | None) -> str:
    """A PubMed date as written: "2018 Sep 12", "1990 Spring", or MedlineDate "1998 Dec-1999 Jan"."""
    if node is None:
        return ""
    medline = node.findtext("MedlineDate")
    if medline:
        return " ".join(medline.split())
    return " ".join([v.strip() for v in (node.findtext("Year"), node.findtext("Season"), node.findtext("Month"),
                                         node.findtext("Day")) if v])


def _authors(author_list: ET.Element | None, raw: list, role: str = "Author") -> list[str]:
    """ "Family, GI" per author (collective names as written); raw gets each name, then its ORCID
    and affiliations."""
    names: list[str] = []
    if author_list is None:
        return names
    identifier, affiliation = f"{role}.Identifier", f"{role}.Affiliation"
    for author in author_list.findall("Author"):
        last = fore = initials = suffix = collective = None
        extra: list[tuple[str, str]] = []
        for child in author:                # one pass over the author's children: authors are many
            tag = child.tag
            if tag == "LastName":
                last = (child.text or "").strip()
            elif tag == "ForeName":
                fore = (child.text or "").strip()
            elif tag == "Initials":
                initials = (child.text or "").strip()
            elif tag == "Identifier":
                extra.append((f"{identifier}[{child.get('Source', '')}]", _text(child)))
            elif tag == "AffiliationInfo":
                for a in child.findall("Affiliation"):
                    extra.append((affiliation, _text(a)))
            elif tag == "CollectiveName":
                collective = _text(child)
            elif tag == "Suffix":
                suffix = (child.text or "").strip()
        if collective is not None:
            raw.append(("CollectiveName", collective))
            names.append(collective)
        else:
            last, initials = last or "", initials or ""
            full = f"{last}, {fore or initials}".strip(", ") + (f" {suffix}" if suffix else "")
            raw.append((role, full))
            names.append(f"{last}, {initials}" if initials else last)
        raw += extra
    return [n for n in names if n]


def _abstract(node: ET.Element | None, raw: list) -> str:
    """Structured abstracts keep their section labels ("METHODS: ...", one section a line)."""
    if node is None:
        return ""
    sections = []
    for part in node.findall("AbstractText"):
        label = part.get("Label", "")
        text = _text(part)
        raw.append((f"AbstractText[{label}]" if label else "AbstractText", text))
        sections.append(f"{label}: {text}" if label else text)
    copyright_ = _text(node.find("CopyrightInformation"))
    if copyright_:
        raw.append(("CopyrightInformation", copyright_))
    return "\n".join(s for s in sections if s)


def _article_ids(node: ET.Element | None, raw: list) -> dict[str, str]:
    ids: dict[str, str] = {}
    if node is None:
        return ids
    for article_id in node.findall("ArticleId"):
        kind, value = article_id.get("IdType", ""), _stripped(article_id)
        raw.append((f"ArticleId[{kind}]", value))
        ids.setdefault(kind, value)
    return ids


def _mesh_and_keywords(citation: ET.Element, raw: list) -> list[str]:
    """Author keywords, then MeSH descriptors; raw keeps MEDLINE's "*Major/*qualifier" form."""
    keywords, mesh = [], []
    for keyword_list in citation.findall("KeywordList"):
        for keyword in keyword_list.findall("Keyword"):
            text = _text(keyword)
            raw.append(("Keyword", text))
            keywords.append(text)
    for heading_list in citation.findall("MeshHeadingList"):
        for heading in heading_list.findall("MeshHeading"):
            descriptor = heading.find("DescriptorName")
            if descriptor is None:
                name = value = ""
            else:
                name = _stripped(descriptor)        # MeSH terms: plain text
                value = "*" + name if descriptor.get("MajorTopicYN") == "Y" else name
            for qualifier in heading.findall("QualifierName"):
                value += ("/*" if qualifier.get("MajorTopicYN") == "Y" else "/") + _stripped(qualifier)
            raw.append(("MeshHeading", value))
            mesh.append(name)
    return unique(keywords + mesh)


@lru_cache(maxsize=4096)
def _record_type(types: tuple[str, ...]) -> str:
    """Publication types are a small vocabulary; normalising each combination once saves much regex work."""
    return normalise_type(*types) or "article"


@lru_cache(maxsize=4096)
def _issns(values: tuple[str, ...]) -> list[str]:
    """A journal's ISSNs come back with each of its articles: normalised once per journal (a copy
    each time, as records own their lists)."""
    return normalise_issns(values)


def parse_article(node: ET.Element) -> Record:
    """One <PubmedArticle>; ids come from MedlineCitation/PMID and PubmedData/ArticleIdList only,
    never from the references or comments/corrections that carry their own."""
    raw: list[tuple[str, str]] = []
    citation = node.find("MedlineCitation")
    article = citation.find("Article") if citation is not None else None
    if citation is None or article is None:
        raise CorruptResponse("PubmedArticle without MedlineCitation/Article")
    pmid = normalise_pmid(citation.findtext("PMID"))
    raw.append(("PMID", pmid))
    status = citation.get("Status")
    if status:
        raw.append(("Status", status))
    title = _text(article.find("ArticleTitle"))
    raw.append(("ArticleTitle", title))
    vernacular = _text(article.find("VernacularTitle"))
    if vernacular:
        raw.append(("VernacularTitle", vernacular))
    # PubMed leaves ArticleTitle empty for some non-English articles: the title is then the vernacular one
    title = title or vernacular
    abstract = _abstract(article.find("Abstract"), raw)
    for other in citation.findall("OtherAbstract"):
        raw.append((f"OtherAbstract[{other.get('Language', '')}]",
                    " ".join(_text(p) for p in other.findall("AbstractText"))))
    authors = _authors(article.find("AuthorList"), raw)

    journal = article.find("Journal")
    journal_title = _text(journal.find("Title")) if journal is not None else ""
    iso = _text(journal.find("ISOAbbreviation")) if journal is not None else ""
    issue_node = journal.find("JournalIssue") if journal is not None else None
    volume = _text(issue_node.find("Volume")) if issue_node is not None else ""
    issue = _text(issue_node.find("Issue")) if issue_node is not None else ""
    pub_date = _date(issue_node.find("PubDate")) if issue_node is not None else ""
    raw += [("Journal", journal_title), ("ISOAbbreviation", iso)]
    issns = []
    if journal is not None:
        for issn in journal.findall("ISSN"):
            value = _text(issn)
            raw.append((f"ISSN[{issn.get('IssnType', '')}]", value))
            issns.append(value)
    info = citation.find("MedlineJournalInfo")
    if info is not None:
        for tag in ("MedlineTA", "NlmUniqueID", "ISSNLinking"):
            value = _text(info.find(tag))
            if value:
                raw.append((tag, value))
                if tag == "ISSNLinking":
                    issns.append(value)
    raw += [("Volume", volume), ("Issue", issue), ("PubDate", pub_date)]
    article_date = _date(article.find("ArticleDate"))
    if article_date:
        raw.append(("ArticleDate", article_date))

    pagination = article.find("Pagination")
    pages = ""
    if pagination is not None:
        medline_pages = _text(pagination.find("MedlinePgn"))
        start, end = _text(pagination.find("StartPage")), _text(pagination.find("EndPage"))
        raw.append(("MedlinePgn", medline_pages or "-".join(p for p in (start, end) if p)))
        pages = normalise_pages(medline_pages) if medline_pages else normalise_pages(start, end)
    elocation_doi = ""
    for location in article.findall("ELocationID"):
        kind, value = location.get("EIdType", ""), _text(location)
        raw.append((f"ELocationID[{kind}]", value))
        if kind == "doi" and not elocation_doi:
            elocation_doi = value

    languages = [_text(lang) for lang in article.findall("Language")]
    raw += [("Language", lang) for lang in languages]
    types = [_text(t) for type_list in article.findall("PublicationTypeList")
             for t in type_list.findall("PublicationType")]
    raw += [("PublicationType", t) for t in types]
    keywords = _mesh_and_keywords(citation, raw)
    for comments in citation.findall("CommentsCorrectionsList"):
        for comment in comments.findall("CommentsCorrections"):
            ref_pmid = comment.findtext("PMID")
            raw.append((f"CommentsCorrections[{comment.get('RefType', '')}]",
                        _text(comment.find("RefSource")) + (f" PMID: {ref_pmid.strip()}" if ref_pmid else "")))

    pubmed_data = node.find("PubmedData")
    ids = _article_ids(pubmed_data.find("ArticleIdList") if pubmed_data is not None else None, raw)
    status = pubmed_data.findtext("PublicationStatus") if pubmed_data is not None else None
    if status:
        raw.append(("PublicationStatus", status.strip()))

    year = normalise_year(pub_date) or normalise_year(article_date)
    return Record(
        raw=raw, title=title, abstract=abstract, authors=authors, year=year,
        journal=journal_title, journal_abbrev=iso, volume=volume, issue=issue, pages=pages,
        doi=normalise_doi(ids.get("doi") or elocation_doi), pmid=pmid, pmcid=normalise_pmcid(ids.get("pmc")),
        accession={"pubmed": pmid} if pmid else {}, issn=_issns(tuple(issns)).copy(),
        type=_record_type(tuple(types)), language="; ".join(languages), keywords=keywords,
        url=f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/" if pmid else "", databases=["PubMed"],
    )


def parse_book(node: ET.Element) -> Record:
    """One <PubmedBookArticle>: a whole book (title = BookTitle) or a chapter (ArticleTitle in a book)."""
    raw: list[tuple[str, str]] = []
    document = node.find("BookDocument")
    if document is None:
        raise CorruptResponse("PubmedBookArticle without BookDocument")
    pmid = normalise_pmid(document.findtext("PMID"))
    raw.append(("PMID", pmid))
    book = document.find("Book")
    if book is None:
        book = ET.Element("Book")
    book_title = _text(book.find("BookTitle"))
    chapter_title = _text(document.find("ArticleTitle"))
    raw.append(("BookTitle", book_title))
    if chapter_title:
        raw.append(("ArticleTitle", chapter_title))
    for label in document.findall("LocationLabel"):
        raw.append((f"LocationLabel[{label.get('Type', '')}]", _text(label)))
    vernacular = _text(document.find("VernacularTitle"))
    if vernacular:
        raw.append(("VernacularTitle", vernacular))
    for tag in ("Publisher/PublisherName", "Publisher/PublisherLocation", "CollectionTitle", "Volume", "Edition",
                "Medium"):
        value = _text(book.find(tag))
        if value:
            raw.append((tag.split("/")[-1], value))
    pub_date = _date(book.find("PubDate"))
    raw.append(("PubDate", pub_date))
    isbns = [_text(i) for i in book.findall("Isbn")]
    raw += [("Isbn", i) for i in isbns]

    authors: list[str] = []
    for author_list in list(book.findall("AuthorList")) + list(document.findall("AuthorList")):
        if author_list.get("Type") == "editors":
            _authors(author_list, raw, role="Editor")
        else:
            authors += _authors(author_list, raw)
    abstract = _abstract(document.find("Abstract"), raw)
    languages = [_text(lang) for lang in document.findall("Language")]
    raw += [("Language", lang) for lang in languages]
    types = [_text(t) for t in document.findall("PublicationType")]
    raw += [("PublicationType", t) for t in types]
    keywords = []
    for keyword_list in document.findall("KeywordList"):
        for keyword in keyword_list.findall("Keyword"):
            raw.append(("Keyword", _text(keyword)))
            keywords.append(_text(keyword))
    pages = ""
    pagination = document.find("Pagination")
    if pagination is not None:
        pages = normalise_pages(_text(pagination.find("MedlinePgn")) or _text(pagination.find("StartPage")),
                                _text(pagination.find("EndPage")))
        raw.append(("MedlinePgn", pages))
    book_ids = _article_ids(document.find("ArticleIdList"), raw)
    pubmed_data = node.find("PubmedBookData")
    ids = _article_ids(pubmed_data.find("ArticleIdList") if pubmed_data is not None else None, raw)
    elocation_doi = next((_text(e) for e in document.findall("ELocationID") if e.get("EIdType") == "doi"), "")
    accession = {"pubmed": pmid} if pmid else {}
    if book_ids.get("bookaccession"):
        accession["bookaccession"] = book_ids["bookaccession"]
    kind = "chapter" if chapter_title else "book"
    return Record(
        raw=raw, title=chapter_title or book_title or vernacular, abstract=abstract, authors=authors,
        year=normalise_year(pub_date), journal=book_title if chapter_title else "", volume=_text(book.find("Volume")),
        pages=pages, doi=normalise_doi(ids.get("doi") or book_ids.get("doi") or elocation_doi), pmid=pmid,
        pmcid=normalise_pmcid(ids.get("pmc")), accession=accession, isbn=unique(isbns),
        type=normalise_type(*types, kind) if types else kind, language="; ".join(languages),
        keywords=unique(keywords), url=f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/" if pmid else "",
        databases=["PubMed"],
    )
