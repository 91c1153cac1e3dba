"""Exports the importers met in the wild beyond the shared vendor files: RIS from reference
managers, ERIC's MEDLINE-format .nbib, Ovid tagged from databases other than Embase, identifiers
relayed through EndNote, UTF-16 files and truncated MEDLINE files.

Every fixture is invented and written from the formats' documentation (tests/fixtures/).
"""
from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from conftest import FIXTURES
from searchflow import Project
from searchflow.records import clean_text, normalise_author, normalise_keyword, stated_pmid
from searchflow.sources import ImportProblem, detect_format, open_export
from searchflow.sources.ovid_tagged import split_source


def load(path: Path, format: str | None = None):
    info, records = open_export(path, format)
    return info, list(records)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------- RIS from reference managers

def test_reference_manager_ris_with_unknown_tags_headers_and_title_tags():
    path = FIXTURES / "ris" / "reference_managers.ris"
    info, records = load(path)
    assert (info.format, info.vendor, len(records)) == ("ris", "generic", 6)
    assert [r.line for r in records] == [2, 21, 32, 42, 50, 58]          # "Record #n of 6" lines skipped
    assert info.warnings == [f"{path}: tags this importer does not know, kept in the raw tags only: "
                             "JP (1), M4 (2), SO (1), SV (1), TS (2), ZZ (1)"]
    article, book, chapter, in_press, web, case = records
    assert ("TS", "RIS") in article.raw and ("SO", "Invented Journal of Primary Care 12 (2), 101-109") in article.raw
    assert (article.doi, article.volume, article.issue, article.pages) == ("10.9999/ijpc.2018.0012", "12", "2", "101-109")
    assert (book.title, book.type, book.isbn) == ("Social prescribing: an invented handbook", "book", ["9780000000002"])
    assert (chapter.title, chapter.type) == ("Measuring loneliness: an invented chapter", "chapter")
    assert (in_press.title, in_press.type) == ("Invented short title only", "article")
    assert (web.title, web.type, web.url) == ("Invented guidance on social prescribing", "other", "https://example.org/guidance")
    assert (case.title, case.type, case.year) == ("Invented v Example", "other", 2019)
    assert ("ZZ", "a custom field of this library") in case.raw


def test_one_space_tags_and_a_numbered_first_line_do_not_make_a_file_ovid():
    path = FIXTURES / "ris" / "one_space.ris"
    assert detect_format(path) == "ris"
    info, (first, second) = load(path)
    assert info.vendor == "generic" and info.warnings == []
    assert first.title == "An invented rispy-style record"
    assert first.authors == ["Marx, K", "Lindgren, A"]                   # A2 is an editor
    assert first.abstract == "An abstract that continues on a second line."
    assert (first.journal, first.volume, first.issue, first.pages, first.issn) == (
        "Invented Journal", "9", "3", "e0815", ["1932-6208"])
    assert first.keywords == ["Pippi", "Nordwind"] and first.accession == {}        # ID is the writer's own number
    assert (second.line, second.year) == (21, 2015)


@pytest.mark.parametrize("spacing", ["TY - ", "TY   - ", " TY  - ", "\tTY - "])
def test_tag_spacing_variants(tmp_path, spacing):
    lines = ["JOUR", "An invented title", "Moffatt, Suzanne", "2020", ""]
    text = "\n".join(spacing.replace("TY", tag) + value
                     for tag, value in zip(["TY", "TI", "AU", "PY", "ER"], lines)) + "\n"
    _, (record,) = load(write(tmp_path, "spaced.ris", text))
    assert (record.title, record.authors, record.year) == ("An invented title", ["Moffatt, S"], 2020)


def test_text_that_is_not_an_export_is_still_refused(tmp_path):
    path = write(tmp_path, "notes.txt", "My reading list\nTY is what my tutor called it\n")
    with pytest.raises(ImportProblem, match="unrecognised format"):
        load(path)


def test_one_warning_line_reaches_the_search_change(tmp_path):
    export = FIXTURES / "ris" / "reference_managers.ris"
    protocol = tmp_path / "p.toml"
    protocol.write_text(f'[review]\ntitle = "t"\n[dedup]\nenabled = false\n'
                        f'[[search]]\nid = "citavi"\ndatabase = "Citavi library"\nfiles = ["{export.as_posix()}"]\n')
    with Project.open(protocol) as project:
        report = project.run()
        (change,) = report.changes
        assert (change.status, change.records) == ("new", 6)
        assert len(change.warnings) == 1 and "TS (2)" in change.warnings[0]
        assert len(project.records()) == 6


# ---------------------------------------------------------------- ERIC and MEDLINE-format sources

def test_eric_nbib():
    path = FIXTURES / "medline" / "eric.nbib"
    assert detect_format(path) == "medline"
    info, (article, guide, short) = load(path)
    assert (info.vendor, info.warnings) == ("eric", [])
    assert article.title.startswith("Reading Aloud with Link Workers")
    assert article.authors == ["Okafor, C", "Lindqvist, EJ"]
    assert (article.journal, article.volume, article.issue, article.pages, article.year) == (
        "Journal of Invented Education Research", "14", "3", "201-219", 2021)
    assert article.doi == "10.9999/jier.2021.14.3.201"
    assert article.issn == ["1234-5679", "2345-678X"]                    # "ISSN - ISSN-..." and "EISSN-..."
    assert (article.accession, article.pmid, article.type) == ({"eric": "EJ1300001"}, "", "article")
    assert article.databases == ["ERIC"]
    assert article.abstract.endswith("Reading at home increased and referrals were valued.")
    assert (guide.accession, guide.isbn, guide.journal, guide.type) == (
        {"eric": "ED610002"}, ["9780000000002"], "", "report")          # an ERIC document's JT is its publisher
    assert (short.volume, short.issue, short.pages, short.year) == ("9", "2", "45-60", 2019)   # from "v9 n2 p45-60"
    assert short.line == 40 and ("ISSN", "ISSN-0000-0019") in short.raw


PUBMED = """PMID- 30000001
OWN - NLM
STAT- MEDLINE
DP  - 2020 Feb
TI  - An invented trial of link workers.
AB  - Link workers were offered to 200 invented patients and their wellbeing was
      measured after a year.
FAU - Husk, Kerryn
AU  - Husk K
MH  - *Loneliness/prevention & control
MH  - Humans
SO  - Invent Med. 2020 Feb;1(2):3-4.

PMID- 30000002
OWN - NLM
STAT- MEDLINE
DP  - 2021
TI  - A second invented trial.
AB  - The study wa"""


def test_truncated_medline_file_says_so_naming_file_and_line(tmp_path):
    path = write(tmp_path, "cut.nbib", PUBMED)
    info, records = open_export(path)
    assert next(records).pmid == "30000001"
    with pytest.raises(ImportProblem) as caught:
        next(records)
    message = str(caught.value)
    assert message.startswith(f"{path}:19: ") and "\n" not in message
    assert "looks truncated" in message and "line 14" in message


def test_medline_cut_at_a_line_end_before_the_title_is_truncated_too(tmp_path):
    path = write(tmp_path, "cut.nbib", PUBMED[:PUBMED.index("DP  - 2021")])
    with pytest.raises(ImportProblem, match="looks truncated"):
        load(path)


def test_medline_cut_inside_a_tag_is_truncated_not_garbage(tmp_path):
    path = write(tmp_path, "cut.nbib", PUBMED[:PUBMED.index("STAT- MEDLINE\nDP  - 2021") + 2])
    with pytest.raises(ImportProblem, match=r":16: .*looks truncated"):
        load(path)


def test_medline_book_record_without_source_line_is_complete(tmp_path):
    book = ("PMID- 30000003\nSTAT- Publisher\nDP  - 2023 Jan\nTI  - An invented chapter.\n"
            "BTI - An Invented Bookshelf\nPT  - Book Chapter\nAID - NBK000003 [bookaccession]\n")
    _, records = load(write(tmp_path, "book.nbib", PUBMED[:PUBMED.index("\n\nPMID- 30000002")] + "\n\n" + book))
    assert [r.title for r in records] == ["An invented trial of link workers.", "An invented chapter."]


def test_medline_garbage_is_still_not_medline(tmp_path):
    path = write(tmp_path, "bad.nbib", PUBMED.replace("STAT- MEDLINE\nDP  - 2021", "STAT- MEDLINE\n<html>\nDP  - 2021"))
    with pytest.raises(ImportProblem, match=r":17: not a MEDLINE line: '<html>'"):
        load(path)


def test_major_topic_stars_are_handled_alike_in_medline_and_ris(tmp_path):
    _, (medline, _) = load(write(tmp_path, "one.nbib", PUBMED.replace("AB  - The study wa", "SO  - Invent Med. 2021.")))
    ris = write(tmp_path, "one.ris", "TY  - JOUR\nTI  - An invented trial of link workers.\n"
                                     "KW  - *Loneliness/prevention & control\nHumans\nER  - \n")
    _, (from_ris,) = load(ris)
    assert medline.keywords == from_ris.keywords == ["Loneliness/prevention & control", "Humans"]
    assert normalise_keyword("Aurovertins/*chemistry/*metabolism") == "Aurovertins/chemistry/metabolism"
    assert ("MH", "*Loneliness/prevention & control") in medline.raw      # the raw tags keep the stars


# ---------------------------------------------------------------- Ovid tagged beyond Embase

def test_ovid_tagged_from_journals_ovid_biosis_eric_and_cab():
    path = FIXTURES / "ovid" / "ovid_tagged_databases.txt"
    assert detect_format(path) == "ovid_tagged"
    info, (jovid, biosis, patent, eric, cab) = load(path)
    assert info.vendor == "ovid"
    assert jovid.title == "Link Workers in General Practice: An Invented Evaluation."   # "[Article]" label dropped
    assert jovid.authors == ["Moffatt, SA", "Okonkwo, C", "Brandt, H"]
    assert (jovid.journal, jovid.volume, jovid.issue, jovid.pages, jovid.year) == (
        "Journal of Invented Primary Care", "43", "5", "623-634", 2021)
    assert jovid.doi == "10.9999/jipc.0000000000000123"                  # from DI
    assert jovid.journal_abbrev == ""                                     # JC is an NLM id
    assert jovid.keywords == ["social prescribing", "link workers", "primary care"]
    assert jovid.accession == {"journals_ovid": "00009999-202103000-00012"}
    assert (jovid.language, jovid.type) == ("English", "article")
    assert biosis.authors == ["Haddad, RN", "Lindqvist, E"]              # roles and e-mail dropped
    assert (biosis.journal, biosis.volume, biosis.issue, biosis.pages, biosis.year) == (
        "Invented Gerontology", "15", "2-3", "101-109", 2021)
    assert biosis.issn == ["2345-6786"] and biosis.accession == {"biosis_previews": "PREV202100000001"}
    assert (patent.authors, patent.volume, patent.issue, patent.pages) == (["Tierney, PJ"], "1501", "4", "")
    assert (eric.journal, eric.volume, eric.issue, eric.pages, eric.accession) == (
        "Journal of Invented Adult Learning", "37", "1", "24-36", {"eric": "EJ1300004"})
    assert (cab.journal, cab.volume, cab.issue, cab.pages, cab.year) == (
        "Invented Journal of Horticultural Therapy", "12", "4", "210-218", 2019)
    assert cab.doi == "10.9999/ijht.2019.12.4.210"


def test_ovid_tagged_psycinfo_indented_by_one_space():
    path = FIXTURES / "ovid" / "ovid_psycinfo_indented.txt"
    assert detect_format(path) == "ovid_tagged"
    _, (first, second) = load(path)
    assert first.line == 1 and second.line == 30
    assert first.title == "Befriending and loneliness in later life: An invented trial."
    assert first.authors == ["Husk, K", "Wildman, J"]
    assert (first.journal, first.volume, first.issue, first.pages, first.year) == (
        "Invented Journal of Ageing", "43", "5", "623-634", 2021)
    assert (first.pmid, first.accession, first.type) == ("30000007", {"psycinfo": "2021-00000-007"}, "article")
    assert first.keywords == ["Loneliness", "Aging"]
    assert ("GS", "<b>Sponsor: </b>Invented Research Council\n<b>Grant: </b>IRC/0001") in first.raw
    assert (second.volume, second.issue, second.pages) == ("43", "6", "700-712")


def test_ovid_tagged_with_separators_without_a_dot(tmp_path):
    text = ("<1>\nUI  - 30000021\nDB  - Ovid MEDLINE(R)\nTI  - An invented record.\n"
            "SO  - Invented Medicine. 12(3):45-52, 2020 Mar.\n\n<2>\nUI  - 30000022\nDB  - Ovid MEDLINE(R)\n"
            "TI  - Another invented record.\nSO  - Invented Medicine. 12(4):60-61, 2020 Apr.\n")
    path = write(tmp_path, "medlars.txt", text)
    assert detect_format(path) == "ovid_tagged"
    _, records = load(path)
    assert [(r.line, r.pmid, r.pages, r.year) for r in records] == [(1, "30000021", "45-52", 2020),
                                                                   (7, "30000022", "60-61", 2020)]


def test_ovid_tagged_records_framed_by_their_vn_line(tmp_path):
    text = ("VN  - Ovid Technologies\nDB  - CAB Abstracts\nAN  - 20190000001\nTI  - First invented record.\n"
            "SO  - Invented Journal. 3(1):1-9. 2019.\nYR  - 2019\n\n"
            "VN  - Ovid Technologies\nDB  - CAB Abstracts\nAN  - 20190000002\nTI  - Second invented record.\nYR  - 2019\n")
    path = write(tmp_path, "cab.txt", text)
    assert detect_format(path) == "ovid_tagged"
    _, records = load(path)
    assert [(r.line, r.title) for r in records] == [(1, "First invented record."), (8, "Second invented record.")]


@pytest.mark.parametrize("source, split", [
    ("Journal of Hepatology. 58 (1) (pp 123-130), 2013.", ("Journal of Hepatology", "58", "1", "123-130")),
    ("BMC Proceedings. Conference: X. 12 (Supplement 3) (no pagination), 2018.", ("BMC Proceedings", "12", "Supplement 3", "")),
    ("Invented Psychotherapy. Vol.43(5), Sep 2015, pp. 623-634. ", ("Invented Psychotherapy", "43", "5", "623-634")),
    ("Invented Review. Vol.12, 2019, pp. 1-10.", ("Invented Review", "12", "", "1-10")),
    ("Invented Sinica August 2011;43(8):647-653", ("Invented Sinica", "43", "8", "647-653")),
    ("Invented Fitness Journal January/February 2010;14(1):56", ("Invented Fitness Journal", "14", "1", "56")),
    ("Invented Chirurgica November/December 2010;6:611-613", ("Invented Chirurgica", "6", "", "611-613")),
    ("Invented Ecology & Management. 201(2-3):327-334, November 15, 2004.", ("Invented Ecology & Management", "201", "2-3", "327-334")),
    ("Invented Learning, v37 n1 p24-36 Jan 2020", ("Invented Learning", "37", "1", "24-36")),
    ("Handbook of Invented Care. (pp. 1-20). New York: Invented Press.", ("Handbook of Invented Care", "", "", "1-20")),
])
def test_ovid_source_lines_of_each_database(source, split):
    assert split_source(source) == split


@pytest.mark.parametrize("written, expected", [
    ("Peterson, James A. Ph.D., FACSM", "Peterson, JA"),
    ("Zhang, Weijia 1,2,+", "Zhang, W"),
    ("Gazic, Barbara MD, PhD *", "Gazic, B"),
    ("Walsdorf, Neill B. [Inventor, Reprint Author]", "Walsdorf, NB"),
    ("Benz, George W [E-mail: gbenz@example.org]", "Benz, GW"),
    ("Simon, Ph. 1", "Simon, P"),
    ("Hern, Matt, Ed", "Hern, M"),
    ("Smith, MD", "Smith, MD"),                 # initials, not a degree
    ("[Anonymous]", "[Anonymous]"),             # Web of Science's name for no author, not a role
    ("Li, Ma", "Li, M"),
])
def test_authors_lose_degrees_roles_and_marks(written, expected):
    assert normalise_author(written) == expected


# ---------------------------------------------------------------- identifiers

def test_sici_dois_survive_markup_cleaning_in_endnote_xml():
    info, records = load(FIXTURES / "endnote" / "relayed_ids.xml")
    assert [r.doi for r in records] == [
        "10.1892/0891-6640(2002)016<0169:iatick>2.3.co;2",
        "10.1892/0891-6640(2002)016<0175:iatick>2.3.co;2",
        "10.1892/0891-6640(2002)016<0181:iatick>2.3.co;2",
    ]
    assert records[0].title == "A SICI DOI with markup around it"
    assert [r.pmid for r in records] == ["30000011", "30000012", ""]       # notes; Scopus custom2; another paper's
    assert [r.pmcid for r in records] == ["", "", "PMC7000013"]


def test_pmids_relayed_through_endnote_ris():
    info, records = load(FIXTURES / "ris" / "endnote_relayed_ids.ris")
    assert info.vendor == "endnote"
    assert [r.pmid for r in records] == ["30000001", "30000002", "30000003", ""]
    assert records[0].doi == "10.1892/0891-6640(2002)016<0169:iatick>2.3.co;2"
    assert records[0].accession == {"scopus": "2-s2.0-85000000001"} and records[0].pmcid == ""
    assert records[0].keywords == ["Loneliness", "Social Isolation/prevention & control"]


@pytest.mark.parametrize("written, kept", [
    ("10.1892/0891-6640(2002)016<0169:iatick>2.3.co;2", "10.1892/0891-6640(2002)016<0169:iatick>2.3.co;2"),
    ("p<0.05 in group A and q>0.1 in group B", "p<0.05 in group A and q>0.1 in group B"),
    ("<i>Homo</i> sapiens<sup>2</sup>", "Homo sapiens2"),
    ('<span style="font-style:italic">italic</span> text', "italic text"),
    ("eye diseases (< http://www.example.org >)", "eye diseases (< http://www.example.org >)"),
])
def test_markup_cleaning_removes_tags_only(written, kept):
    assert clean_text(written) == kept


def test_stated_pmid_takes_only_a_plain_statement():
    assert stated_pmid(["1234-5678", "PMID: 30000002", "PMID: 30000003"]) == "30000002"
    assert stated_pmid(["PubMed ID: 30000004."]) == "30000004"
    assert stated_pmid(["Erratum in: J. 2003;1:1. PMID: 30000099", "Funding: 12345678", "30000005"]) == ""


# ---------------------------------------------------------------- encodings

@pytest.mark.parametrize("codec, bom", [("utf-16-le", codecs.BOM_UTF16_LE), ("utf-16-be", codecs.BOM_UTF16_BE)])
@pytest.mark.parametrize("fixture", ["ris/reference_managers.ris", "medline/eric.nbib", "ovid/ovid_tagged_databases.txt"])
def test_utf16_with_a_bom_reads_as_utf8_does(tmp_path, codec, bom, fixture):
    source = FIXTURES / fixture
    path = tmp_path / source.name
    path.write_bytes(bom + source.read_text(encoding="utf-8").replace("Okafor", "Ọkafọ").encode(codec))
    info, records = load(path)
    _, expected = load(source)
    assert info.encoding == "utf-16" and len(records) == len(expected)
    assert [r.title for r in records] == [r.title for r in expected]
    assert [r.line for r in records] == [r.line for r in expected]
    if fixture.startswith("medline"):
        assert records[0].authors[0] == "Ọkafọ, C"


def test_nul_bytes_without_a_utf16_bom_are_still_binary(tmp_path):
    path = tmp_path / "x.ris"
    path.write_bytes("TY  - JOUR\nER  - \n".encode("utf-16-le"))
    with pytest.raises(ImportProblem, match="binary file"):
        load(path)


def test_ovid_ris_with_angle_bracket_sequence_lines_is_ris(tmp_path):
    text = ("<1. >\nTY  - JOUR\nDB  - Ovid MEDLINE(R)\nT1  - An invented record.\nY1  - 2020//\nER  - \n\n"
            "<2. >\nTY  - JOUR\nDB  - Ovid MEDLINE(R)\nT1  - Another invented record.\nY1  - 2021//\nER  - \n")
    path = write(tmp_path, "ovid.ris", text)
    assert detect_format(path) == "ris"
    info, records = load(path)
    assert (info.vendor, [r.line for r in records]) == ("ovid", [2, 9])
