"""CSV / TSV with a header row: spreadsheets and the exports of reference managers, databases and
screening tools (Zotero, Embase, Rayyan, Covidence, ASReview and rispy, bib-dedupe and ASySD,
Web of Science tab-delimited).

Columns are matched by name, case-insensitively, with the synonyms those tools use. A field may
have several columns: per record the first non-empty one wins, so an empty column never hides a
filled synonym. Unknown columns are kept in the raw tags. The header may follow a few preamble
lines (Embase writes the search query first); its delimiter (comma, semicolon or tab) is read from
the header line itself. The stdlib csv reader gets the open file (not pre-split lines) so that
quoted values may hold newlines; ``line_num`` gives each row's first line.
"""
from __future__ import annotations

import ast
import csv
import html
import re
from pathlib import Path
from typing import Iterable, Iterator

from ..records import (
    Record, clean_text, normalise_author, normalise_doi, normalise_issue, normalise_issns, normalise_isbns,
    normalise_pages, normalise_pmcid, normalise_pmid, normalise_type, normalise_year, unique,
)
from .base import FileInfo, ImportProblem

# Record field -> accepted column names (folded: lower case, spaces and dashes as "_"), in preference order
COLUMNS: dict[str, tuple[str, ...]] = {
    "title": ("title", "ti", "t1", "article_title", "primary_title", "document_title"),
    "authors": ("author", "authors", "af", "au", "a1", "author_full_names", "author_names", "first_authors",
                "author(s)", "author/s", "authorships.author.display_name"),
    "year": ("year", "py", "publication_year", "pubyear", "published_year", "date", "publication_date",
             "date_of_publication", "date_published"),
    "journal": ("journal", "journal_name", "alternate_title3", "secondary_title", "journal_title", "source_title",
                "publication_title", "publication", "journal/book", "primary_location.source.display_name", "jf",
                "t2", "so", "booktitle"),
    # BibTeX-style files carry both columns: a conference paper's venue is in booktitle, its journal cell empty
    "booktitle": ("booktitle", "book_title", "proceedings_title"),
    "journal_abbrev": ("journal_abbrev", "journal_abbreviation", "j2", "ja", "abbreviation", "alternate_title1",
                       "alternate_title2", "abbreviated_source_title"),
    "volume": ("volume", "vl", "vol", "biblio.volume"),
    # Zotero's "Number" is a report's or patent's number: its "Issue" comes first
    "issue": ("issue", "number", "is", "no", "issue_number", "biblio.issue"),
    "pages": ("pages", "page", "pg", "page_range"),
    "start_page": ("start_page", "sp", "bp", "first_page", "page_start", "startpage", "beginning_page",
                   "biblio.first_page"),
    "end_page": ("end_page", "ep", "last_page", "page_end", "endpage", "ending_page", "biblio.last_page"),
    "doi": ("doi", "di", "do"),
    "pmid": ("pmid", "pubmed_id", "pm", "medline_pmid", "ids.pmid"),
    "pmcid": ("pmcid", "pmc", "pmc_id", "ids.pmcid"),
    "abstract": ("abstract", "ab", "n2", "abstract_note", "notes_abstract"),
    "isbn": ("isbn", "issn", "sn", "isbn_issn", "eissn", "issns"),   # one list: exports mix ISSNs and ISBNs
    "type": ("type", "entrytype", "item_type", "type_of_reference", "ty", "dt", "document_type",
             "publication_type", "ref_type"),
    "keywords": ("keywords", "kw", "keyword", "de", "author_keywords", "index_keywords", "keywords_plus", "mesh",
                 "mesh_terms", "manual_tags", "automatic_tags",
                 "emtree_medical_index_terms_(major_focus)", "emtree_medical_index_terms",
                 "emtree_drug_index_terms_(major_focus)", "emtree_drug_index_terms"),
    "id": ("id", "record_id", "recordid", "key", "covidence_#", "central_id", "lens_id", "accession",
           "accession_number", "an", "ut", "ut_(unique_wos_id)"),
    "embase": ("pui", "embase_accession_id", "embase_id"),        # "L2029880245", Cochrane's "EMBASE 643589775"
    "scopus": ("eid",),
    "extra": ("extra",),                                          # Zotero: "PMID: 123" and the like
    "url": ("url", "ur", "link", "urls", "articleurl"),
    "database": ("database", "db", "source_database", "databases", "name_of_database"),
    "language": ("language", "la", "lang", "article_language"),
    "source": ("source",),          # Embase: "Journal (2014) 3:3 (152-160). ..."; elsewhere a journal or a database
    "citation": ("citation",),      # PubMed's CSV: "Econ Bot. 2021 Mar;75(2):101-110. doi: ..."
}
# Placeholders some tools write for a missing value (ASySD "NA", bib-dedupe "UNKNOWN")
_MISSING = {"na", "n/a", "unknown", "null", "none"}
_AUTHOR_SPLIT = re.compile(r"\s*[;|]\s*|\s+and\s+")     # "|": OpenAlex
_LIST_SPLIT = re.compile(r"\s*;\s*")
_EMBASE_LIST_SPLIT = re.compile(r"\s*;\s*|,\s+")       # Embase keyword columns: "term one, term two"
# Comma-separated names with initials: Embase's and PubMed's "Liu R., Adler D.G." (family first) and
# Google Scholar's "R Liu, DG Adler" (initials first)
_INITIAL = r"(?:[A-Z\u00c0-\u00d6\u00d8-\u00de\u0100-\u017f]\.?-?){1,5}"
_FAMILY_INITIALS = re.compile(rf"^(\S.*?)\s+({_INITIAL})$")
_INITIALS_FAMILY = re.compile(rf"^({_INITIAL})\s+(\S.*)$")
_PUBMED_CITATION = re.compile(r";\s*(?P<volume>[^(:;\s]+)?(?:\((?P<issue>[^)]+)\))?:(?P<pages>[^.;\s]+)")
_EMBASE_NUMBER = re.compile(r"\bL?(\d{5,})\b")
# Embase's Source column: "Endoscopic Ultrasound (2014) 3:3 (152-160). Date of Publication: 2014"
_EMBASE_SOURCE = re.compile(
    r"^(?P<journal>.+?)\s*\((?P<year>\d{4})\)\s*(?P<volume>[^:\s(]+)?(?::(?P<issue>[^(]*?))?\s*"
    r"(?:\((?P<pages>[^)]*)\))?\s*(?:Article Number:\s*(?P<article>[^\s.]+))?\.?\s*(?:Date of Publication:.*)?$")
_ZOTERO_IDS = re.compile(r"\b(PMID|PMCID|DOI):\s*(\S+)", re.IGNORECASE)   # Zotero's Extra: "PMID: 123 DOI: ..."
HEADER_SEARCH_LINES = 20       # preamble lines an export may write before its header row
_DELIMITERS = (",", ";", "\t")


def parse(path: Path, info: FileInfo) -> Iterator[Record]:
    csv.field_size_limit(max(csv.field_size_limit(), 1 << 24))  # abstracts and reference lists exceed the 128 KB default
    with open(path, "r", encoding=info.encoding, errors="replace", newline="") as fh:
        head = [line for line in (fh.readline() for _ in range(HEADER_SEARCH_LINES)) if line]
        skip, delimiter = header_line(head)
        fh.seek(0)
        for _ in range(skip):
            fh.readline()
        reader = csv.reader(fh, delimiter=delimiter)
        yield from read_rows(path, info, _numbered(path, reader, skip))


def header_line(lines: list[str]) -> tuple[int, str]:
    """(index of the header among a file's first lines, its delimiter)."""
    index = header_row([_split_line(line) for line in lines])
    return index, _delimiter(lines[index]) if lines else ","


def header_row(rows: list[list[str]]) -> int:
    """Index of the header among the first rows: the first naming a title column that has more
    cells than every row before it (a preamble is narrower), else the first row."""
    widest = 0
    for index, cells in enumerate(rows):
        width = sum(1 for cell in cells if cell and cell.strip())
        if (index == 0 or width > widest) and title_column(cells) is not None:
            return index
        widest = max(widest, width)
    return 0


def has_header(lines: list[str]) -> bool:
    """Whether a file's first lines hold a header row of two or more cells, one naming the title."""
    rows = [_split_line(line) for line in lines[:HEADER_SEARCH_LINES]]
    header = rows[header_row(rows)] if rows else []
    return len(header) > 1 and title_column(header) is not None


def title_column(header: Iterable[str]) -> int | None:
    folded = [_fold(h) for h in header]
    return next((folded.index(name) for name in COLUMNS["title"] if name in folded), None)


def _delimiter(line: str) -> str:
    """The delimiter a header line uses most, quoted text aside (a column may be named "Title, short")."""
    unquoted = re.sub(r'"[^"]*"', "", line)
    return max(_DELIMITERS, key=unquoted.count)


def _split_line(line: str) -> list[str]:
    return next(csv.reader([line], delimiter=_delimiter(line)), [])


def _numbered(path: Path, reader, skip: int) -> Iterator[tuple[int, list[str]]]:
    """(first line, cells) of each row, lines counted in the whole file."""
    start = skip + 1
    try:
        for row in reader:
            yield start, row
            start = reader.line_num + skip + 1
    except csv.Error as exc:
        raise ImportProblem(path, start, f"malformed CSV row: {exc}") from None


def read_rows(path: Path, info: FileInfo, rows: Iterator[tuple[int, list[str]]]) -> Iterator[Record]:
    """Records from (line, cells) rows whose first row is the header (shared with the Excel importer)."""
    first = next(rows, None)
    if first is None or not any(cell.strip() for cell in first[1]):
        raise ImportProblem(path, 1, "empty CSV; expected a header row naming the columns (title, author, year, ...)")
    header_at, header = first
    columns = _match_columns(header)
    folded = {_fold(h) for h in header}
    if [_fold(h) for h in header[:1]] == ["pt"] and "ut" in folded:
        info.vendor = "wos"  # Web of Science "tab-delimited" export: same tags as its plain text
    elif folded & {"pui", "embase_accession_id", "embase_link"}:
        info.vendor = "embase"
    if "title" not in columns:
        found = ", ".join(h.strip() for h in header[:12] if h.strip()) or "(none)"
        raise ImportProblem(
            path, header_at,
            f"no title column in the header row (found: {found}); expected one named "
            f"{' or '.join(COLUMNS['title'][:3])}",
        )
    keyword_split = _EMBASE_LIST_SPLIT if info.vendor == "embase" else _LIST_SPLIT
    for line, row in rows:
        if any(cell.strip() for cell in row):
            yield _record(header, row, columns, line, keyword_split)


def _fold(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().strip('"').lower())


def _match_columns(header: list[str]) -> dict[str, tuple[int, ...]]:
    """Record field -> indexes of its columns, in COLUMNS' preference order."""
    folded = [_fold(h) for h in header]
    columns: dict[str, tuple[int, ...]] = {}
    for field_name, names in COLUMNS.items():
        found = tuple(i for name in names for i, f in enumerate(folded) if f == name)
        if found:
            columns[field_name] = found
    return columns


def _listed(value: str) -> list[str] | None:
    """The items of a Python or JSON list literal ("['Marx, Karl', 'Lindgren, Astrid']", as ASReview and
    pandas write rispy's lists), or None when the value is not one."""
    if not (value.startswith("[") and value.endswith("]")) or len(value) > 1 << 20:
        return None
    try:
        items = ast.literal_eval(value)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    if isinstance(items, (list, tuple)) and all(isinstance(i, (str, int)) for i in items):
        return [str(i) for i in items]
    return None


def _split_authors(value: str) -> list[str]:
    """One cell's authors: "A; B", "A and B", a list literal, or Embase's "Liu R., Adler D.G."."""
    listed = _listed(value)
    if listed is not None:
        return listed
    parts = _AUTHOR_SPLIT.split(value)
    if len(parts) > 1:
        return [part for part in parts if part.strip()]
    parts = [part.strip() for part in value.rstrip(". ").split(",")]
    if len(parts) > 1:
        if all(_FAMILY_INITIALS.match(part) for part in parts):
            return [_FAMILY_INITIALS.sub(r"\1, \2", part) for part in parts]
        if all(_INITIALS_FAMILY.match(part) for part in parts):
            return [_INITIALS_FAMILY.sub(r"\2, \1", part) for part in parts]
    return [value]


def _split_list(value: str, pattern: re.Pattern) -> list[str]:
    listed = _listed(value)
    return listed if listed is not None else [part for part in pattern.split(value) if part.strip()]


def embase_source(value: str) -> dict[str, str]:
    """Journal, year, volume, issue and pages of Embase's Source column, or {} when it is not one."""
    if "(" not in value:
        return {}
    match = _EMBASE_SOURCE.match(value)
    if not match:
        return {}
    parts = {k: (v or "").strip() for k, v in match.groupdict().items()}
    parts["pages"] = parts["pages"] or parts.pop("article")
    return parts


def pubmed_citation(value: str) -> dict[str, str]:
    """Volume, issue and pages of PubMed's Citation column ("Econ Bot. 2021 Mar;75(2):101-110. ...")."""
    match = _PUBMED_CITATION.search(value) if value else None
    return {k: v for k, v in match.groupdict().items() if v} if match else {}


def _record(header: list[str], row: list[str], columns: dict[str, tuple[int, ...]], line: int,
            keyword_split: re.Pattern = _LIST_SPLIT) -> Record:
    width = len(row)

    def cell(field_name: str) -> str:
        """The field's first filled cell, markup cleaned, placeholders ("NA") skipped."""
        for index in columns.get(field_name, ()):
            if index < width and row[index]:
                value = clean_text(row[index])
                if value and value.lower() not in _MISSING:
                    return value
        return ""

    def cells(field_name: str) -> list[str]:
        """Every filled cell of the field (keywords, ISSNs and types are spread over columns)."""
        indexes = columns.get(field_name, ())
        if len(indexes) == 1:
            value = cell(field_name)
            return [value] if value else []
        return [v for v in (clean_text(row[i]) for i in indexes if i < width) if v and v.lower() not in _MISSING]

    # BibTeX-style "376 -- 383" page ranges
    pages = re.sub(r"\s*-{2,}\s*", "-", cell("pages"))
    if len(pages) > 40 or "@" in pages:
        pages = ""              # Covidence can put an Embase record's author addresses there
    written_source = cell("source") if "source" in columns else ""
    source = embase_source(written_source) if written_source else {}
    if "citation" in columns and not source:
        source = pubmed_citation(cell("citation"))
    record_id = cell("id")
    accession = {"id": record_id} if record_id else {}
    embase_id = _EMBASE_NUMBER.search(cell("embase")) if "embase" in columns else None
    if embase_id:
        accession["embase"] = f"L{embase_id.group(1)}"
    scopus_id = cell("scopus") if "scopus" in columns else ""
    if scopus_id:
        accession["scopus"] = scopus_id
    extra = {kind.lower(): value for kind, value in _ZOTERO_IDS.findall(cell("extra"))} if "extra" in columns else {}
    authors = cell("authors")
    numbers = cells("isbn") if "isbn" in columns else []
    return Record(
        raw=[(name, value) for name, value in zip(header, row) if value != ""],
        line=line,
        title=cell("title"),
        abstract=cell("abstract"),
        authors=[a for a in (normalise_author(name) for name in _split_authors(authors)) if a] if authors else [],
        year=normalise_year(cell("year")) or normalise_year(source.get("year")),
        # "Source" is the journal only where no other column names it (ASySD's "source" is the database)
        journal=(cell("journal") or cell("booktitle") or source.get("journal")
                 or (written_source if "journal" not in columns else "")),
        journal_abbrev=cell("journal_abbrev"),
        volume=cell("volume") or source.get("volume", ""),
        issue=normalise_issue(cell("issue") or source.get("issue", "")),
        pages=(normalise_pages(pages) if pages else normalise_pages(cell("start_page"), cell("end_page"))
               or normalise_pages(source.get("pages"))),
        doi=normalise_doi(_unmarked(row, columns.get("doi", ())) or extra.get("doi")),
        pmid=normalise_pmid(cell("pmid") or extra.get("pmid")),
        pmcid=normalise_pmcid(cell("pmcid") or extra.get("pmcid")),
        accession=accession,
        issn=normalise_issns([_without_isbns(number) for number in numbers]) if numbers else [],
        isbn=normalise_isbns(numbers) if numbers else [],
        type=normalise_type(*[_spaced(t) for t in cells("type")]) if "type" in columns else "",
        language=cell("language"),
        keywords=(unique([k for value in cells("keywords") for k in _split_list(value, keyword_split)])
                  if "keywords" in columns else []),
        url=_first(cell("url")),
        databases=unique(_split_list(cell("database"), _LIST_SPLIT)) if "database" in columns else [],
    )


def _unmarked(row: list[str], indexes: tuple[int, ...]) -> str:
    """The first filled cell as written, entities decoded but no markup stripped: a SICI DOI
    such as 10.1892/0891-6640(2002)016<0169:iatick>2.3.co;2 holds "<...>"."""
    for index in indexes:
        if index < len(row) and row[index].strip() and row[index].strip().lower() not in _MISSING:
            return html.unescape(row[index]).strip()
    return ""


def _first(value: str) -> str:
    """A list literal's first item (ASReview writes rispy's ``urls`` as one), else the value."""
    listed = _listed(value)
    if listed is None:
        return value
    return listed[0] if listed else ""


def _without_isbns(value: str) -> str:
    """The value less its ISBNs, whose digits would otherwise read as an ISSN (978-1-4473-5547-3)."""
    return " ".join(token for token in re.split(r"[\s,;]+", value) if not normalise_isbns([token]))


def _spaced(kind: str) -> str:
    """Zotero's item types are camel case ("bookSection", "conferencePaper"): spaced for normalise_type."""
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", kind)
