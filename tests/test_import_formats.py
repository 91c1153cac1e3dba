"""PubMed XML files, CSV variants (Zotero, Embase, Rayyan, Covidence, ASReview/rispy, semicolon
and tab files), Excel workbooks and BibTeX.

The fixtures under tests/fixtures/{csv,pubmed_xml,bibtex} are written by hand from each format's
documentation (column lists, DTD, entry types); real-data tests read ../shared/data and skip
when it is absent.
"""
from __future__ import annotations

import csv
import datetime
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT, shared_file
from searchflow.cli import main
from searchflow.sources import FORMATS, ImportProblem, detect_format, open_export


def load(path: Path, format: str | None = None):
    info, records = open_export(path, format)
    return info, list(records)


def fixture(*parts: str) -> Path:
    return FIXTURES.joinpath(*parts)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_new_formats_are_choices_of_the_import_command(capsys):
    assert {"pubmed_xml", "bibtex", "xlsx"} <= set(FORMATS)
    with pytest.raises(SystemExit):
        main(["import", "p.toml", "x", "--database", "D", "--format", "nonsense"])
    err = capsys.readouterr().err
    assert all(name in err for name in ("pubmed_xml", "bibtex", "xlsx"))


def test_every_import_format_is_named_in_the_readme():
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("## Import formats")[1].split("\n## ")[0]
    assert [name for name in FORMATS if f"`{name}`" not in section] == []


# ---------------------------------------------------------------- PubMed XML as a file

def test_pubmed_xml_file_articles_books_and_fallback_titles():
    path = fixture("pubmed_xml", "pubmed_save.xml")
    assert detect_format(path) == "pubmed_xml"
    info, records = load(path)
    assert (info.format, info.vendor, len(records)) == ("pubmed_xml", "pubmed", 4)   # DeleteCitation is no record
    article, vernacular, chapter, book = records
    assert [r.line for r in records] == [4, 49, 73, 97]
    assert (article.title, article.pmid, article.doi, article.pmcid) == (
        "Social prescribing link workers: a realist review.", "30692113", "10.1136/jech-2018-211234", "PMC6439422")
    assert (article.authors, article.year, article.volume, article.issue, article.pages) == (
        ["Müller, J", "van der Berg, P"], 2019, "73", "4", "376-383")
    # empty ArticleTitle: the vernacular title, and the raw tags still say what was there
    assert vernacular.title == "Lenkearbeidere i allmennpraksis – en kvalitativ studie."
    assert ("ArticleTitle", "") in vernacular.raw and vernacular.language == "nor"
    assert (chapter.title, chapter.journal, chapter.type) == ("Lynch Syndrome", "GeneReviews®", "review")
    assert chapter.accession == {"pubmed": "20301295", "bookaccession": "NBK1116"}
    assert (book.title, book.type, book.isbn, book.year) == ("Social prescribing: evidence review", "book",
                                                             ["9781473112345"], 2022)


def test_pubmed_xml_empty_article_title_falls_back_in_the_connector_reader_too():
    from searchflow.sources.pubmed_xml import parse_efetch

    body = fixture("pubmed_xml", "pubmed_save.xml").read_bytes()
    assert [r.title for r in parse_efetch(body)][1] == "Lenkearbeidere i allmennpraksis – en kvalitativ studie."


@pytest.mark.parametrize("piece_bytes", [1 << 20, 1024])
def test_pubmed_xml_sets_saved_one_after_another_are_read_in_turn(tmp_path, monkeypatch, piece_bytes):
    from searchflow.sources import pubmed_xml_file

    monkeypatch.setattr(pubmed_xml_file, "_CHUNK", piece_bytes)     # small: records spread over many pieces
    one = fixture("pubmed_xml", "pubmed_save.xml").read_bytes()
    path = tmp_path / "efetch_batches.xml"
    path.write_bytes(one + one)
    _, records = load(path)
    lines = one.count(b"\n")
    assert [r.pmid for r in records] == ["30692113", "36987902", "20301295", "30000001"] * 2
    assert [r.line for r in records[4:]] == [lines + 4, lines + 49, lines + 73, lines + 97]


def test_truncated_pubmed_xml_is_one_line_naming_file_and_line(tmp_path):
    text = fixture("pubmed_xml", "pubmed_save.xml").read_text(encoding="utf-8")
    path = write(tmp_path, "cut.xml", "\n".join(text.split("\n")[:60]) + "\n")
    with pytest.raises(ImportProblem) as err:
        load(path)
    assert err.value.line == 61 and str(err.value).startswith(f"{path}:61: ")
    assert "truncated" in err.value.message and "\n" not in str(err.value)


@pytest.mark.parametrize("piece_bytes", [1 << 20, 1024])
def test_malformed_pubmed_xml_names_the_line(tmp_path, monkeypatch, piece_bytes):
    from searchflow.sources import pubmed_xml_file

    monkeypatch.setattr(pubmed_xml_file, "_CHUNK", piece_bytes)
    lines = fixture("pubmed_xml", "pubmed_save.xml").read_text(encoding="utf-8").split("\n")
    assert lines[60].strip().startswith("<AuthorList")
    broken = lines[:60] + ["            <AuthorList CompleteYN=\"Y\"><Author>"] + lines[61:]
    path = write(tmp_path, "broken.xml", "\n".join(broken))
    with pytest.raises(ImportProblem) as err:
        load(path)
    assert err.value.line == 63 and "mismatched tag" in err.value.message      # the unclosed <Author> shows there
    junk = lines[:48] + ["Saved from PubMed on 2024-05-01"] + lines[48:]
    with pytest.raises(ImportProblem) as err:
        load(write(tmp_path, "junk.xml", "\n".join(junk)))
    assert err.value.line == 49 and "unexpected text between PubMed records" in err.value.message


def test_pubmed_xml_is_streamed_record_by_record(tmp_path, monkeypatch):
    """The first record comes before the parser has seen the (broken) end of the file."""
    from searchflow.sources import pubmed_xml_file
    from searchflow.sources.base import FileInfo

    text = fixture("pubmed_xml", "pubmed_save.xml").read_text(encoding="utf-8")
    path = write(tmp_path, "big.xml", text.replace("</PubmedArticleSet>", "<PubmedArticle><Broken"))
    monkeypatch.setattr(pubmed_xml_file, "_CHUNK", 2048)     # several chunks even for this small file
    records = pubmed_xml_file.parse(path, FileInfo(path=path))
    assert next(records).pmid == "30692113"
    with pytest.raises(ImportProblem):
        list(records)


def test_real_efetch_files_import_as_pubmed_xml():
    path = shared_file("eutils", "efetch", "efetch_pubmed_two_articles_2013.xml")
    info, records = load(path)
    assert (info.format, [r.pmid for r in records]) == ("pubmed_xml", ["17284678", "9997"])
    _, (book,) = load(shared_file("eutils", "efetch", "efetch_pubmed_book_genereviews.xml"))
    assert (book.pmid, book.type) == ("20301295", "book")


# ---------------------------------------------------------------- CSV variants

def test_zotero_csv_columns_and_first_filled_synonym():
    info, (article, chapter, magazine, paper) = load(fixture("csv", "zotero.csv"))
    assert info.format == "csv"
    assert article.line == 2 and chapter.line == 4        # Zotero's Extra holds a line break
    assert (article.journal, article.abstract, article.type) == (
        "Journal of Epidemiology and Community Health", "Link workers connect patients with community support.",
        "article")
    assert article.authors == ["Müller, J", "García-López, AM", "van der Berg, P"]
    assert (article.issn, article.issue, article.pmid, article.pmcid) == (["0143-005X"], "4", "30692113", "PMC6439422")
    assert article.keywords == ["social prescribing", "link worker", "realist review"]   # manual and automatic tags
    # an empty ISSN column does not hide the ISBN, nor an empty Issue the Number; an ISBN is no ISSN
    assert (chapter.type, chapter.isbn, chapter.issn, chapter.journal) == (
        "chapter", ["9781447355473"], [], "Social Prescribing: Policy, Practice and Research")
    assert chapter.doi == "10.1332/policypress/9781447355473.003.0003"     # Zotero keeps it in Extra there
    assert (magazine.issue, magazine.volume) == ("12", "16")
    # a SICI DOI keeps its <...>: markup cleaning must not cut it
    assert magazine.doi == "10.1892/0891-6640(2002)016<0169:iatick>2.3.co;2"
    assert paper.type == "conference paper" and paper.authors == ["Smith, JA"]
    assert ("Library Catalog", "PubMed") in article.raw      # columns the importer does not map stay raw


def test_embase_csv_preamble_authors_and_source_split():
    path = fixture("csv", "embase.csv")
    assert detect_format(path) == "csv"                      # the header is on line 4, after the query
    info, (full, source_only, abstract) = load(path)
    assert (info.vendor, [r.line for r in (full, source_only, abstract)]) == ("embase", [5, 6, 7])
    assert full.authors == ["Yang, Z", "Jiang, B", "Xu, J", "McNamara, ME"]
    assert (full.journal, full.year, full.volume, full.issue, full.pages) == ("Nature Communications", 2024, "15",
                                                                             "1", "4063")
    assert (full.pmid, full.doi, full.accession, full.issn) == (
        "38773066", "10.1038/s41467-024-48400-3", {"embase": "L2029880245"}, ["2041-1723"])
    assert full.keywords == ["animal scales", "cell structure", "dinosaur"]
    assert source_only.authors == ["Liu, R", "Adler, DG"]                 # not "Liu R., ADG"
    assert (source_only.journal, source_only.year, source_only.volume, source_only.issue, source_only.pages) == (
        "Endoscopic Ultrasound", 2014, "3", "3", "152-160")
    assert (abstract.type, abstract.authors, abstract.pages, abstract.accession) == (
        "conference abstract", ["Jalil, NE", "Dos Santos, HB"], "e18123", {"embase": "L628123456"})


def test_rispy_and_asreview_named_csv_with_list_literals():
    _, (article, chapter) = load(fixture("csv", "rispy_asreview.csv"))
    assert article.authors == ["Marx, K", "Lindgren, A"]
    assert (article.year, article.journal, article.journal_abbrev, article.pages) == (
        2014, "Journal of Political Economy", "J Polit Econ", "101-120")
    assert (article.keywords, article.url, article.issue, article.type) == (
        ["economics", "capital"], "https://example.org/kapital", "3", "article")
    assert article.abstract == "A long look at capital."
    assert (chapter.year, chapter.journal, chapter.type, chapter.keywords, chapter.url) == (
        1999, "Nordic Social Policy", "chapter", [], "")


def test_asreview_export_columns(tmp_path):
    text = ('record_id,title,abstract,authors,keywords,year,doi,included\n'
            '7,"Link work, revisited",An abstract,"[\'Marx, Karl\', \'Lindgren, Astrid\']","[\'a\', \'b\']",2019,'
            '10.1/x,1\n')
    _, (record,) = load(write(tmp_path, "asreview_export.csv", text))
    assert (record.title, record.authors, record.keywords, record.year) == (
        "Link work, revisited", ["Marx, K", "Lindgren, A"], ["a", "b"], 2019)


def test_a_list_literal_is_read_safely(tmp_path):
    text = 'title,authors\nT,"[__import__(\'os\').system(\'false\')]"\n'
    _, (record,) = load(write(tmp_path, "x.csv", text))
    assert record.authors == ["[__import__('os').system('false')]"]   # kept as text, never run


def test_rayyan_csv():
    _, (article, erratum) = load(fixture("csv", "rayyan.csv"))
    assert article.authors == ["Yang, Z", "Jiang, B", "Xu, J"]
    assert (article.journal, article.year, article.volume, article.issue, article.pages) == (
        "BMJ Open", 2021, "11", "2", "e041234")
    assert (article.issn, article.pmid, article.pmcid, article.doi) == (
        ["2044-6055", "2044-6056"], "33568372", "PMC7883451", "10.1136/bmjopen-2020-041234")
    assert (article.keywords, article.accession) == (["loneliness", "social prescribing"], {"id": "rayyan-42924189"})
    assert any(tag == "notes" and "RAYYAN-INCLUSION" in value for tag, value in article.raw)
    assert erratum.doi == "10.1136/bmjopen-2020-041234corr1"


def test_covidence_csv():
    _, (first, second, third) = load(fixture("csv", "covidence.csv"))
    assert first.authors == ["Boisvert, C", "Curtice, B", "Wedel, M"]
    assert (first.year, first.journal, first.volume, first.issue, first.pages, first.doi) == (
        2024, "Anatomical Record", "307", "3", "549-565", "10.1002/ar.25520")
    assert (first.accession, second.accession) == ({"id": "#17"}, {"id": "#20"})
    assert (second.year, second.authors) == (2023, ["Eberth, DA"])
    assert (third.pages, third.doi) == ("", "10.1002/ar.25521")      # author addresses in Pages are not pages


def test_semicolon_and_tab_delimited_files_are_detected():
    path = fixture("csv", "semicolon.csv")
    assert detect_format(path) == "csv"
    _, (first, second) = load(path)
    assert (first.title, first.authors, first.year, first.journal) == (
        "Social prescribing, an evaluation", ["Müller, J", "Schmidt, A"], 2020, "Gesundheitswesen")
    assert second.title == "Link workers; a second look" and second.line == 3
    assert ("Effect size", "0,42") in first.raw
    path = fixture("csv", "tabbed.txt")
    assert detect_format(path) == "csv"
    _, (record,) = load(path)
    assert (record.title, record.journal, record.pages, record.authors) == (
        "A tabbed title, with a comma", "Health & Place", "102-110", ["Kim, J", "Ito, Y"])


# Other tools' CSV exports, one header each as their documentation shows it
PUBMED_CSV = (
    "PMID,Title,Authors,Citation,First Author,Journal/Book,Publication Year,Create Date,PMCID,NIHMS ID,DOI\r\n"
    '"30000011","Seed oil of chayote cultivars","Lira R, de Oliveira Filho ASB, Cruz A.",'
    '"Econ Bot. 2021 Mar;75(2):101-110. doi: 10.1000/eb.21. Epub 2021 Jan 3.","Lira R","Econ Bot","2021",'
    '"2021/01/04","PMC7654321","","10.1000/eb.21"\r\n')
SCHOLAR_CSV = ("Authors,Title,Publication,Volume,Number,Pages,Year,Publisher\n"
               '"Barrett, Paul M; Willis, Katherine J; ",Did link workers invent flowers?,Biological Reviews,76,3,'
               "411-447,2001,Cambridge University Press\n")
PUBLISH_OR_PERISH_CSV = ("Cites,Authors,Title,Year,Source,Publisher,ArticleURL,Type,DOI,Volume,Issue,StartPage,EndPage\n"
                         '12,"J Smith, KL Jones",Link work at scale,2019,BMJ Open,BMJ,https://x.org/1,,10.1/x,9,4,'
                         "e1,e9\n")
COCHRANE_CSV = ("CENTRAL ID,Author(s),Title,Source,Year,Abstract,Volume,Issue,Pages,Database Name,PubMed ID,Embase ID,"
                "Publication Type,Keywords,DOI,URL\n"
                '"CN-02677909","Kim, JS; Gilbert, JB","Time to transfer","Developmental psychology","2024","An abstract.",'
                '"60","7","1279\u20101297","CENTRAL","PUBMED 38407106","EMBASE 643589775","Journal article",'
                '"*Literacy; Reading","10.1037/dev0001710","https://www.cochranelibrary.com/central/doi/x"\n')
SCOPUS_CSV = ('\ufeff"Authors","Author full names","Title","Year","Source title","Volume","Issue","Art. No.",'
              '"Page start","Page end","DOI","Abstract","Author Keywords","Index Keywords","ISSN","PubMed ID",'
              '"Abbreviated Source Title","Document Type","Source","EID"\n'
              '"Smith J.; Jones K.L.","Smith, John (123); Jones, Kim L. (456)","Scoped title","2020","Health Policy",'
              '"124","3","","301","309","10.1016/j.healthpol.2020.01.001","Abstract.","link worker","social care",'
              '"01688510","32000000","Health Policy","Article","Scopus","2-s2.0-85078000000"\n')
OPENALEX_CSV = ("id,doi,title,publication_year,authorships.author.display_name,primary_location.source.display_name,"
                "biblio.volume,biblio.issue,biblio.first_page,biblio.last_page,ids.pmid,type\n"
                "https://openalex.org/W1,https://doi.org/10.1234/oa,Open title,2022,Ana Silva|Ben Okafor,Open Journal,"
                "5,2,10,19,https://pubmed.ncbi.nlm.nih.gov/35000001,article\n")


def test_pubmed_google_scholar_cochrane_scopus_and_openalex_csv(tmp_path):
    _, (pubmed,) = load(write(tmp_path, "csv-pubmed.csv", PUBMED_CSV))
    assert pubmed.authors == ["Lira, R", "de Oliveira Filho, ASB", "Cruz, A"]
    assert (pubmed.journal, pubmed.year, pubmed.volume, pubmed.issue, pubmed.pages, pubmed.pmcid) == (
        "Econ Bot", 2021, "75", "2", "101-110", "PMC7654321")
    _, (scholar,) = load(write(tmp_path, "citations.csv", SCHOLAR_CSV))
    assert (scholar.authors, scholar.journal, scholar.issue) == (["Barrett, PM", "Willis, KJ"], "Biological Reviews", "3")
    _, (perish,) = load(write(tmp_path, "pop.csv", PUBLISH_OR_PERISH_CSV))
    assert (perish.authors, perish.journal, perish.pages, perish.url) == (
        ["Smith, J", "Jones, KL"], "BMJ Open", "e1-e9", "https://x.org/1")
    _, (cochrane,) = load(write(tmp_path, "central.csv", COCHRANE_CSV))
    assert (cochrane.authors, cochrane.journal, cochrane.pages, cochrane.pmid) == (
        ["Kim, JS", "Gilbert, JB"], "Developmental psychology", "1279-1297", "38407106")
    assert cochrane.accession == {"id": "CN-02677909", "embase": "L643589775"}
    _, (scopus,) = load(write(tmp_path, "scopus.csv", SCOPUS_CSV))
    assert (scopus.authors, scopus.journal, scopus.journal_abbrev, scopus.pages, scopus.issn, scopus.pmid) == (
        ["Smith, J", "Jones, KL"], "Health Policy", "Health Policy", "301-309", ["0168-8510"], "32000000")
    assert (scopus.keywords, scopus.accession) == (["link worker", "social care"], {"scopus": "2-s2.0-85078000000"})
    _, (openalex,) = load(write(tmp_path, "works.csv", OPENALEX_CSV))
    assert (openalex.authors, openalex.journal, openalex.pages, openalex.pmid, openalex.doi) == (
        ["Silva, A", "Okafor, B"], "Open Journal", "10-19", "35000001", "10.1234/oa")


def test_a_csv_without_title_still_names_what_it_found(tmp_path):
    path = write(tmp_path, "refs.csv", "name;year\nSomething;2020\n")
    with pytest.raises(ImportProblem) as err:
        load(path)
    assert err.value.line == 1 and "found: name, year" in err.value.message


# ---------------------------------------------------------------- Excel

def write_workbook(path: Path, rows: list[list]) -> Path:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    workbook.create_sheet("Notes").append(["not read"])
    workbook.save(path)
    return path


def test_xlsx_first_sheet_with_typed_cells(tmp_path):
    path = write_workbook(tmp_path / "screening.xlsx", [
        ["Exported from the team's spreadsheet"],
        ["Title", "Authors", "Year", "Journal", "Volume", "DOI", "Added"],
        ["Link workers in Wales", "Jones, A; Evans, B", 2019, "BMC Health Serv Res", 19.0, "10.1186/s12913-019-1", datetime.datetime(2024, 5, 1)],
        [None, None, None, None, None, None, None],
        ["Second", "Smith J.", 2020.0, None, None, None, None],
    ])
    assert detect_format(path) == "xlsx"
    info, (first, second) = load(path)
    assert (info.format, info.warnings) == ("xlsx", [])
    assert (first.line, first.title, first.authors, first.year, first.volume) == (
        3, "Link workers in Wales", ["Jones, A", "Evans, B"], 2019, "19")
    assert ("Added", "2024-05-01") in first.raw
    assert (second.line, second.year, second.authors) == (5, 2020, ["Smith, J"])


def test_xlsx_named_by_format_and_a_broken_workbook_is_one_line(tmp_path):
    path = write_workbook(tmp_path / "refs.data", [["title"], ["Only a title"]])
    _, (record,) = load(path, "xlsx")
    assert record.title == "Only a title"
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(path.read_bytes()[:300])
    with pytest.raises(ImportProblem) as err:
        load(broken)
    assert str(err.value).startswith(str(broken)) and "\n" not in str(err.value)


# ---------------------------------------------------------------- BibTeX

def test_bibtex_entries_fields_and_latex():
    path = fixture("bibtex", "mixed.bib")
    assert detect_format(path) == "bibtex"
    info, records = load(path)
    assert (info.format, len(records)) == ("bibtex", 9)
    article, paper, book, chapter, thesis, report, preprint, online, sici = records
    assert [r.type for r in records] == ["article", "conference paper", "book", "chapter", "thesis", "report",
                                         "preprint", "other", "article"]
    assert article.line == 6
    assert article.authors == ["Müller, J", "García-López, AM", "Østergaard, S"]
    assert article.title == "Social prescribing and Link Workers: a realist review of ça va"
    assert (article.journal, article.year, article.volume, article.issue, article.pages) == (
        "Journal of Epidemiology and Community Health", 2019, "73", "4", "376-383")     # @string macro resolved
    assert (article.doi, article.pmid, article.issn) == ("10.1136/jech-2018-211234", "30692113", ["0143-005X"])
    assert article.keywords == ["social prescribing", "link worker", "realist review"]
    assert article.abstract == "Around 20% of patients consult their GP for non-medical problems."
    assert article.accession == {"id": "muller2019link"}
    # "First Last" names, particles, a corporate author kept whole
    assert paper.authors == ["Smith, JA", "van der Berg, P", "World Health Organization"]
    assert paper.journal == "Proceedings of the 12th International Conference on Integrated Care"
    assert (book.authors, book.year, book.isbn) == (["World Health Organization"], 2022, ["9789240040136"])
    assert (chapter.authors, chapter.journal, chapter.pages) == (
        ["Husk, K", "Elston, J"], "Social Prescribing: Policy, Practice and Research", "45-62")
    assert (thesis.authors, thesis.title) == (["Åberg, L"], "Loneliness in åldre people")
    assert report.authors == ["NHS England"]
    assert preprint.accession == {"id": "chen2021", "arxiv": "2101.00001"}
    assert online.url == "https://www.ons.gov.uk/loneliness_2020"     # not LaTeX-decoded
    assert (sici.doi, sici.pmid, sici.journal) == (
        "10.1892/0891-6640(2002)016<0169:iatick>2.3.co;2", "12345678", "Journal of Vector Ecology")


def test_bibtex_from_mendeley_with_its_preamble_and_a_duplicate_key(tmp_path):
    text = ("Automatically generated by Mendeley Desktop 1.19.8\n"
            "Any changes to this file will be lost if it is regenerated by Mendeley.\n\n"
            "@article{Lee2020,\nauthor = {Lee, Kim},\ntitle = {{One}},\njournal = {J},\nyear = {2020}\n}\n"
            "@article{Lee2020,\nauthor = {Lee, Kim},\ntitle = {{Two}},\nyear = {2021}\n}\n")
    path = write(tmp_path, "library.txt", text)
    assert detect_format(path) == "bibtex"
    _, records = load(path)
    assert [(r.title, r.line) for r in records] == [("One", 4), ("Two", 10)]


def test_bibtex_from_web_of_science_and_scopus_keeps_their_record_ids(tmp_path):
    text = ("@article{ WOS:000123456700001,\nAuthor = {Kim, Jiwoo and Ito, Yuki},\nTitle = {{A title}},\n"
            "Journal = {HEALTH \\& PLACE},\nYear = {2021},\nDOI = {10.1016/j.healthplace.2021.1},\n"
            "Unique-ID = {WOS:000123456700001},\n}\n\n"
            "@ARTICLE{Smith2020,\nauthor={Smith, J. and Jones, K.L.},\ntitle={Scoped},\njournal={Health Policy},\n"
            "year={2020},\nurl={https://www.scopus.com/inward/record.uri?eid=2-s2.0-85078000000&partnerID=40},\n"
            "note={cited By 3},\nsource={Scopus},\n}\n")
    _, (wos, scopus) = load(write(tmp_path, "savedrecs.bib", text))
    assert (wos.journal, wos.accession) == ("HEALTH & PLACE", {"id": "WOS:000123456700001", "wos": "WOS:000123456700001"})
    assert (scopus.authors, scopus.accession["scopus"]) == (["Smith, J", "Jones, KL"], "2-s2.0-85078000000")


def test_bibtex_is_read_in_chunks_with_macros_kept(tmp_path, monkeypatch):
    from searchflow.sources import bibtex

    monkeypatch.setattr(bibtex, "CHUNK_ENTRIES", 2)
    entries = "".join(f"@article{{k{i},\n  title = {{T{i}}},\n  journal = jn,\n  abstract = {{Write to\n"
                      f"@someone}},\n  year = 2000\n}}\n" for i in range(5))     # "@" starting a line inside a value
    _, records = load(write(tmp_path, "x.bib", '@string{jn = "Journal N"}\n' + entries))
    assert [(r.title, r.journal, r.line) for r in records] == [(f"T{i}", "Journal N", 2 + 7 * i) for i in range(5)]
    assert records[4].abstract == "Write to @someone"


def test_malformed_and_truncated_bibtex_are_one_line_with_file_and_line(tmp_path):
    bad = write(tmp_path, "bad.bib", "@article{a,\n title={x},\n year={2020}\n}\n"
                                     "@inproceedings{b,\n title = {Broken\n year = {2020},\n}\n@book{c, title={Ok}}\n")
    with pytest.raises(ImportProblem) as err:
        load(bad)
    assert err.value.line == 5 and "malformed BibTeX entry" in err.value.message and "\n" not in str(err.value)
    text = fixture("bibtex", "mixed.bib").read_text(encoding="utf-8")
    cut = write(tmp_path, "cut.bib", text[:text.index("@book{who2022") + 60])
    with pytest.raises(ImportProblem) as err:
        load(cut)
    assert err.value.line == 32 and "truncated" in err.value.message


def test_cli_import_of_each_new_format_and_a_refusal_changes_nothing(tmp_path, capsys):
    protocol = tmp_path / "p.toml"
    protocol.write_text('[review]\ntitle = "t"\ntype = "systematic"\n', encoding="utf-8")
    for path in (fixture("bibtex", "mixed.bib"), fixture("pubmed_xml", "pubmed_save.xml"),
                 fixture("csv", "embase.csv")):
        assert main(["import", str(protocol), str(path), "--database", path.stem, "--id", path.stem]) == 0
    bad = write(tmp_path, "bad.bib", "@article{a,\n title = {open\n")
    capsys.readouterr()
    assert main(["import", str(protocol), str(bad), "--database", "Bad", "--id", "bad"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"{bad}:1:" in err
    counts = []
    for name in ("mixed", "pubmed_save", "embase"):    # ad hoc imports: kept, listed by search, not counted
        assert main(["records", str(protocol), "--search", name, "--format", "csv",
                     "--out", str(tmp_path / "r.csv")]) == 0
        with open(tmp_path / "r.csv", encoding="utf-8", newline="") as fh:
            counts.append(sum(1 for r in csv.DictReader(fh) if r["database"] == name))
    assert counts == [9, 4, 3]
    assert main(["records", str(protocol), "--search", "bad"]) == 2     # the refused file left no search


@pytest.mark.parametrize("format, expected", [
    ("pubmed_xml", ":1: no <PubmedArticleSet> found"), ("bibtex", ": no records found; expected bibtex"),
    ("xlsx", ": cannot open as an Excel workbook"), ("csv", ":1: no title column")])
def test_a_file_forced_into_the_wrong_format_is_refused_in_one_line(tmp_path, format, expected):
    path = write(tmp_path, "refs.ris", "TY  - JOUR\nTI  - Something\nER  - \n")
    with pytest.raises(ImportProblem) as err:
        load(path, format)
    assert str(err.value).startswith(f"{path}{expected}") and "\n" not in str(err.value)
