"""Importers other than RIS: PubMed MEDLINE, Web of Science plain text, Ovid tagged, EndNote XML, CSV.

Real-data tests read ../shared/data/exports (and the dedup benchmark files) and
skip when absent; the unit tests use small hand-written exports in this file.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import shared_file
from searchflow.sources import FileInfo, ImportProblem, detect_format, open_export
from searchflow.sources.base import sniff_encoding


def load(path: Path, format: str | None = None):
    info, records = open_export(path, format)
    return info, list(records)


def write(tmp_path: Path, name: str, text: str, newline: str = "\n") -> Path:
    path = tmp_path / name
    path.write_bytes(text.replace("\n", newline).encode("utf-8"))
    return path


# ---------------------------------------------------------------- format detection (all 26 real files)

EXPORT_FORMATS = {
    "ebsco/ebsco_academic_search_premier_9.ris": "ris",
    "ebsco/ebsco_criminal_justice_abstracts_41.ris": "ris",
    "ebsco/ebsco_psycinfo_64.ris": "ris",
    "embase/embase_com_elsevier_10.ris": "ris",
    "embase/embase_com_elsevier_6.ris": "ris",
    "embase/embase_ovid_tagged_2.txt": "ovid_tagged",
    "embase/embase_ovid_tagged_2_citavi.txt": "ovid_tagged",
    "endnote/endnote_ris_102_bluelight.ris": "ris",
    "endnote/endnote_ris_pubmed_6.txt": "ris",
    "endnote/endnote_xml_179.xml": "endnote_xml",
    "ovid/ovid_eric_10.ris": "ris",
    "ovid/ovid_medline_84.ris": "ris",
    "ovid/ovid_psycinfo_10.ris": "ris",
    "ovid/ovid_psycinfo_6.ris": "ris",
    "proquest/proquest_ptsdpubs_6.ris": "ris",
    "pubmed/pubmed_medline_104.nbib": "medline",
    "pubmed/pubmed_medline_50.nbib": "medline",
    "pubmed/pubmed_medline_80_crlf.nbib": "medline",
    "scopus/scopus_10.ris": "ris",
    "scopus/scopus_6_with_refs.ris": "ris",
    "scopus/scopus_92.ris": "ris",
    "wos/wos_plaintext_5.ciw": "wos",
    "wos/wos_plaintext_8.txt": "wos",
    "wos/wos_ris_10.ris": "ris",
    "wos/wos_ris_50.ris": "ris",
    "wos/wos_zoological_record_134.txt": "wos",
}


@pytest.mark.parametrize("name, expected", sorted(EXPORT_FORMATS.items()))
def test_detect_format_of_every_real_export(name, expected):
    path = shared_file("exports", name)
    assert detect_format(path, sniff_encoding(path)[0]) == expected


def test_detection_table_covers_every_export_file():
    folder = shared_file("exports")
    found = {
        str(p.relative_to(folder)) for p in folder.rglob("*")
        if p.is_file() and p.name not in {"README.md", "SHA256SUMS"}
    }
    assert found == set(EXPORT_FORMATS)


def test_detect_csv_by_suffix_lets_the_csv_importer_name_the_missing_column(tmp_path):
    path = write(tmp_path, "groups.csv", "merged_ids\n\"id_1;id_2\"\n")
    assert detect_format(path) == "csv"
    with pytest.raises(ImportProblem, match="no title column"):
        load(path)


def test_detect_unknown_text_is_refused(tmp_path):
    path = write(tmp_path, "notes.txt", "just some notes\nnothing exported here\n")
    with pytest.raises(ImportProblem, match="unrecognised format"):
        detect_format(path)


# ---------------------------------------------------------------- record counts on real files

REAL_COUNTS = [
    ("exports/pubmed/pubmed_medline_50.nbib", "medline", "pubmed", 50),
    ("exports/pubmed/pubmed_medline_80_crlf.nbib", "medline", "pubmed", 80),
    ("exports/pubmed/pubmed_medline_104.nbib", "medline", "pubmed", 104),
    ("eutils/efetch/efetch_medline_text_4.txt", "medline", "pubmed", 4),
    ("exports/wos/wos_plaintext_5.ciw", "wos", "wos", 5),
    ("exports/wos/wos_plaintext_8.txt", "wos", "wos", 8),
    ("exports/wos/wos_zoological_record_134.txt", "wos", "wos", 134),
    ("exports/embase/embase_ovid_tagged_2.txt", "ovid_tagged", "ovid", 2),
    ("exports/embase/embase_ovid_tagged_2_citavi.txt", "ovid_tagged", "ovid", 2),
    ("exports/endnote/endnote_xml_179.xml", "endnote_xml", "endnote", 179),
    ("dedup/rathbone2015_sra/respiratory/Respiratory_original_endnote.xml", "endnote_xml", "endnote", 1988),
]


@pytest.mark.parametrize("name, format, vendor, count", REAL_COUNTS)
def test_real_file_record_count(name, format, vendor, count):
    info, records = load(shared_file(*name.split("/")))
    assert (info.format, info.vendor, len(records)) == (format, vendor, count)
    assert all(r.title for r in records)
    assert all(r.raw for r in records)
    lines = [r.line for r in records]
    assert lines == sorted(lines) and len(set(lines)) == count


@pytest.mark.parametrize("name", sorted(EXPORT_FORMATS))
def test_every_real_export_is_stored_with_its_raw_tags_verbatim(tmp_path, name):
    """The store keeps a record's title and abstract once (its raw tags refer to them): what
    comes back must still be every tag and value as the importer read them, in order."""
    from searchflow.store.sqlite import SQLiteStore as Store
    path = shared_file("exports", *name.split("/"))
    _, records = load(path)
    store = Store.open(tmp_path / "raw.db")
    with store.transaction():
        run = store.begin_pending_run("s", database="d", method="database", connector="file")
        store.add_records(run, None, records)
        store.complete_run(run, fingerprint="f", hits_reported=None)
    stored = list(store.record_rows())
    assert [row["raw"] for row in stored] == [list(r.raw) for r in records]
    assert [row["fingerprint"] for row in stored] == [Store.record_fingerprint(r) for r in records]
    assert [(row["title"], row["abstract"]) for row in stored] == [(r.title, r.abstract) for r in records]
    store.close()


def by_line(records, line):
    return next(r for r in records if r.line == line)


# ---------------------------------------------------------------- MEDLINE, real data

def test_medline_real_records():
    _, records = load(shared_file("exports", "pubmed", "pubmed_medline_50.nbib"))
    first = records[0]
    assert first.line == 1
    assert first.title == "Time lapse: A glimpse into prehistoric genomics."
    assert first.authors[0] == "Griffin, DK"
    assert first.year == 2020
    assert first.doi == "10.1016/j.ejmg.2019.03.004"  # LID "[doi]", not the "[pii]"
    assert first.pmid == "30922926"
    assert first.issn == ["1878-0849", "1769-7212"]
    assert first.type == "review"  # Historical Article + Journal Article + Review
    assert first.journal == "European journal of medical genetics"
    assert first.journal_abbrev == "Eur J Med Genet"
    assert first.raw[0] == ("PMID", "30922926")
    middle = records[25]
    assert (middle.line, middle.authors[0], middle.year, middle.doi, middle.pmid) == (
        2579, "Stein, K", 2019, "10.1038/s41598-019-40604-8", "30872623")
    assert middle.title.startswith("Structure and evolutionary implications of the earliest")


def test_medline_real_crlf_and_collective_author():
    _, records = load(shared_file("exports", "pubmed", "pubmed_medline_80_crlf.nbib"))
    sadick = by_line(records, 3176)
    assert sadick.title == "Handheld LED array device in the treatment of acne vulgaris."
    assert (sadick.authors[0], sadick.year, sadick.doi, sadick.pmid, sadick.pages) == (
        "Sadick, NS", 2008, "", "18459515", "347-350")
    assert not any("\r" in value for r in records for _, value in r.raw)
    task_force = [r for r in records if "IADVL Task Force" in r.authors]
    assert len(task_force) == 1 and task_force[0].authors[-1] == "IADVL Task Force"


def test_medline_real_leading_blank_line():
    _, records = load(shared_file("exports", "pubmed", "pubmed_medline_104.nbib"))
    assert records[0].line == 2
    assert records[0].pmid == "30689646"
    assert records[0].doi == "10.1371/journal.pone.0209483"
    arponen = records[52]
    assert (arponen.title, arponen.authors[0], arponen.year, arponen.pages, arponen.pmid) == (
        "Restoration where it pays off.", "Arponen, A", 2019, "16-17", "30568283")


# ---------------------------------------------------------------- MEDLINE, own fixtures

MEDLINE_TWO = """\

PMID- 11111111
OWN - NLM
IS  - 1234-5678 (Electronic)
IS  - 8765-4321 (Linking)
VI  - 12
IP  - 4
DP  - 1999 Dec
TI  - A title that is long enough to wrap onto
      a second line.
PG  - 623-31
AB  - First part of the abstract
      and its second part.
FAU - Smith, Jane Anne
AU  - Smith JA
CN  - Global Burden Study Group
LA  - eng
PT  - Journal Article
PT  - Published Erratum
MH  - Humans
MH  - *Malaria/drug therapy
OT  - tafenoquine
AID - S0000-0000(99)00001-X [pii]
AID - 10.1000/ABC.123 [doi]
TA  - J Test
JT  - Journal of Testing
PMC - PMC1234567

PMID- 22222222
DP  - 2001
TI  - Second record.
AU  - Doe J
LID - 10.2000/xyz [doi]
"""


def test_medline_fields_and_lines(tmp_path):
    info, (one, two) = load(write(tmp_path, "two.nbib", MEDLINE_TWO, newline="\r\n"))
    assert info.vendor == "pubmed"
    assert one.line == 2 and two.line == 29
    assert one.title == "A title that is long enough to wrap onto a second line."
    assert one.abstract == "First part of the abstract and its second part."
    assert one.pages == "623-631"
    assert one.doi == "10.1000/abc.123"
    assert one.issn == ["1234-5678", "8765-4321"]
    assert one.type == "erratum"
    assert one.authors == ["Smith, JA", "Global Burden Study Group"]
    assert one.keywords == ["Humans", "Malaria/drug therapy", "tafenoquine"]   # major-topic star dropped
    assert (one.year, one.volume, one.issue, one.language, one.pmcid) == (1999, "12", "4", "eng", "PMC1234567")
    assert (one.journal, one.journal_abbrev) == ("Journal of Testing", "J Test")
    assert ("TI", "A title that is long enough to wrap onto\na second line.") in one.raw
    assert [tag for tag, _ in one.raw[:4]] == ["PMID", "OWN", "IS", "IS"]
    assert two.authors == ["Doe, J"]  # AU when there is no FAU
    assert two.doi == "10.2000/xyz"  # from LID


def test_medline_garbage_line_names_its_line(tmp_path):
    text = MEDLINE_TWO.replace("LA  - eng\n", "LA  - eng\nthis line is not MEDLINE\n")
    with pytest.raises(ImportProblem) as err:
        load(write(tmp_path, "bad.nbib", text), "medline")
    assert err.value.line == 18 and "not a MEDLINE line" in err.value.message


def test_medline_text_that_is_not_medline(tmp_path):
    with pytest.raises(ImportProblem) as err:
        load(write(tmp_path, "notes.txt", "Dear reviewer,\nplease find the papers attached.\n"), "medline")
    assert err.value.line == 1


def test_medline_record_without_pmid(tmp_path):
    text = MEDLINE_TWO.replace("PMID- 22222222\n", "")
    with pytest.raises(ImportProblem) as err:
        load(write(tmp_path, "nopmid.nbib", text))
    assert err.value.line == 29 and "record 2 has no PMID" in err.value.message


def test_medline_continuation_before_any_tag(tmp_path):
    with pytest.raises(ImportProblem) as err:
        load(write(tmp_path, "cont.nbib", "      stray text\nPMID- 1\n"), "medline")
    assert err.value.line == 1


# ---------------------------------------------------------------- Web of Science, real data

def test_wos_real_records():
    _, records = load(shared_file("exports", "wos", "wos_plaintext_5.ciw"))
    first = records[0]
    assert first.title == ("Soil fauna diversity at different stages of reed restoration in a "
                           "lakeshore wetland at Lake Taihu, China")
    assert (first.line, first.authors[0], first.year, first.doi) == (3, "Li, W", 2020, "10.1080/20964129.2020.1722034")
    assert first.accession == {"wos": "WOS:000514379300001"}
    assert first.pages == "1722034"  # AR "UNSP 1722034"
    assert first.issn == ["2096-4129", "2332-8878"]
    assert len(first.authors) == 10
    last = records[4]
    assert (last.pmid, last.accession) == ("31851837", {"medline": "MEDLINE:31851837"})
    assert last.pages == "206-217"


def test_wos_real_full_names_keywords_and_abbreviation():
    _, records = load(shared_file("exports", "wos", "wos_plaintext_8.txt"))
    comment = records[4]
    assert comment.title.startswith('Comment on "Knowledge mapping of B cell and atherosclerosis')
    assert comment.authors[0] == "Zhao, Z"  # AF "Zhao, Ziqi", not AU "Zhao, ZQ"
    assert (comment.year, comment.doi, comment.pmid) == (2024, "10.1080/21645515.2024.2372912", "39436706")
    assert comment.accession == {"wos": "WOS:001338261400001"}
    first = records[0]
    assert first.journal_abbrev == "Surv. Rev."
    assert first.keywords[:2] == ["Word", "GIS"]
    assert "TEMPORALLY WEIGHTED REGRESSION" in first.keywords  # ID Keywords Plus
    assert first.language == "English" and first.type == "article"
    cited = [value for tag, value in first.raw if tag == "CR"][0].split("\n")
    assert len(cited) > 10  # one cited reference per continuation line


def test_wos_real_zoological_record():
    _, records = load(shared_file("exports", "wos", "wos_zoological_record_134.txt"))
    first = records[0]
    assert first.title == "Nest site selection and nest survival of Black-backed Woodpeckers after wildfire."
    assert first.authors[0] == "Stillman, AN"  # e-mail address dropped from the name
    assert (first.year, first.pages, first.doi) == (2019, "duz039", "")
    assert first.accession == {"zoorec": "ZOOREC:ZOOR15512090342"}
    hannon = records[67]
    assert (hannon.line, hannon.authors[0], hannon.year, hannon.pages) == (4264, "Hannon, SJ", 2005, "97-115")
    assert records[-1].year == 1900


# ---------------------------------------------------------------- Web of Science, own fixtures

WOS = """\
FN Clarivate Analytics Web of Science
VR 1.0
PT J
AU Garcia, M
   Tanaka, K
AF Garcia, Maria
   Tanaka, Kenji
CA Hip Fracture Study Group
TI A wrapped
   title
SO JOURNAL OF TESTS
J9 J TESTS
LA English
DT Review
DE alpha; beta
ID GAMMA
PD MAR 2019
VL 7
BP 120
EP 9
DI 10.1000/WOS.1
SN 1111-2222
EI 3333-444X
UT WOS:000000000000001
ER

PT B
AU Lee, S
TI Book without year tag
PD DEC 16 2020
AR 12
UT ZOOREC:ZOOR1
ER

EF
"""


def test_wos_fields(tmp_path):
    info, (one, two) = load(write(tmp_path, "wos.txt", WOS))
    assert info.vendor == "wos" and info.warnings == []
    assert one.line == 3 and two.line == 27
    assert one.title == "A wrapped title"
    assert one.authors == ["Garcia, M", "Tanaka, K", "Hip Fracture Study Group"]
    assert ("AU", "Garcia, M\nTanaka, K") in one.raw
    assert (one.year, one.pages, one.doi, one.type) == (2019, "120-129", "10.1000/wos.1", "review")
    assert one.issn == ["1111-2222", "3333-444X"]
    assert one.keywords == ["alpha", "beta", "GAMMA"]
    assert (one.journal, one.journal_abbrev, one.accession) == ("Journal of Tests", "J TESTS", {"wos": "WOS:000000000000001"})
    assert (two.year, two.pages, two.type, two.accession) == (2020, "12", "book", {"zoorec": "ZOOREC:ZOOR1"})


def test_wos_record_without_er_before_next_record(tmp_path):
    text = WOS.replace("UT WOS:000000000000001\nER\n", "UT WOS:000000000000001\n")
    with pytest.raises(ImportProblem) as err:
        load(write(tmp_path, "wos.txt", text))
    assert err.value.line == 3 and "line 26" in err.value.message


def test_wos_truncated_at_end_of_file(tmp_path):
    text = WOS.split("AR 12")[0]
    with pytest.raises(ImportProblem) as err:
        load(write(tmp_path, "wos.txt", text))
    assert err.value.line == 27 and "truncated" in err.value.message


def test_wos_missing_ef_is_a_warning(tmp_path):
    info, records = load(write(tmp_path, "wos.txt", WOS.replace("\nEF\n", "\n")))
    assert len(records) == 2
    assert any("EF" in warning for warning in info.warnings)


def test_wos_garbage_line(tmp_path):
    text = WOS.replace("VL 7\n", "VL 7\nvolume seven\n")
    with pytest.raises(ImportProblem) as err:
        load(write(tmp_path, "wos.txt", text))
    assert err.value.line == 19


# ---------------------------------------------------------------- Ovid tagged, real data

def test_ovid_tagged_real_records():
    _, endnote_variant = load(shared_file("exports", "embase", "embase_ovid_tagged_2.txt"))
    _, citavi_variant = load(shared_file("exports", "embase", "embase_ovid_tagged_2_citavi.txt"))
    first, second = endnote_variant
    assert first.title == "Quality of life in patients with primary ciliary dyskinesia: A systematic review."
    assert (first.line, first.authors[0], first.year, first.doi) == (1, "Behan, L", 2018, "10.1186/s12919-018-0099-8")
    assert first.accession == {"embase": "L621381829"}
    assert (first.type, first.journal, first.volume, first.issue) == (
        "conference abstract", "BMC Proceedings", "12", "Supplement 3")
    assert first.databases == ["Embase"] and first.issn == ["1753-6561"]
    assert (second.line, second.authors[0], second.accession) == (75, "Dyskinesia, PC", {"embase": "L621381823"})
    # the unindented "Method(s): ..." lines belong to the abstract, as in the one-line variant
    assert "Method(s): We searched MEDLINE" in first.abstract
    assert [r.abstract for r in endnote_variant] == [r.abstract for r in citavi_variant]
    institutions = [value for tag, value in first.raw if tag == "IN"][0].split("\n")
    assert len(institutions) == 2


# ---------------------------------------------------------------- Ovid tagged, own fixtures

OVID = """\
<1. >
VN  - Ovid Technologies
DB  - Embase
AN  - 2001234567
TI  - Structured abstracts
      wrap too.
SO  - Journal of Hepatology. 58 (1) (pp 123-130), 2013. Date of Publication: January 2013.
AU  - Rossi M.
AU  - Adler D.G.
IN  - (Rossi) Dept A, Rome, Italy
      (Adler) Dept B, Salt Lake City, United States
AB  - Background: first.
Method(s): second.
Conclusion(s): third.
DO  - https://dx.doi.org/10.5555/OVID.1
PT  - Journal: Article
KW  - own keyword
MH  - *hepatitis

<2. >
VN  - Ovid Technologies
DB  - Ovid MEDLINE(R)
UI  - 30000001
TI  - Second.
YR  - 2020
"""


def test_ovid_tagged_fields(tmp_path):
    info, (one, two) = load(write(tmp_path, "ovid.txt", OVID))
    assert info.format == "ovid_tagged" and info.vendor == "ovid"
    assert (one.line, two.line) == (1, 20)
    assert one.title == "Structured abstracts wrap too."
    assert one.abstract == "Background: first. Method(s): second. Conclusion(s): third."
    assert ("AB", "Background: first.\nMethod(s): second.\nConclusion(s): third.") in one.raw
    assert one.authors == ["Rossi, M", "Adler, DG"]
    assert (one.journal, one.volume, one.issue, one.pages, one.year) == ("Journal of Hepatology", "58", "1", "123-130", 2013)
    assert (one.doi, one.accession, one.type) == ("10.5555/ovid.1", {"embase": "L2001234567"}, "article")
    assert one.keywords == ["own keyword", "hepatitis"]   # major-topic star dropped
    assert (two.pmid, two.accession, two.year) == ("30000001", {}, 2020)


def test_ovid_tagged_text_before_first_record(tmp_path):
    with pytest.raises(ImportProblem) as err:
        load(write(tmp_path, "ovid.txt", "Search history\n" + OVID), "ovid_tagged")
    assert err.value.line == 1


def test_ovid_tagged_empty_record(tmp_path):
    with pytest.raises(ImportProblem) as err:
        load(write(tmp_path, "ovid.txt", OVID + "\n<3. >\n"))
    assert err.value.line == 27 and "empty record" in err.value.message


# ---------------------------------------------------------------- EndNote XML, real data

def test_endnote_xml_real_records():
    _, records = load(shared_file("exports", "endnote", "endnote_xml_179.xml"))
    first = records[0]
    assert (first.title, first.authors[0], first.year, first.doi, first.pmid) == (
        "8-Aminoquinoline Therapy for Latent Malaria", "Baird, JK", 2019, "10.1128/cmr.00011-19", "31366609")
    assert (first.pmcid, first.issn, first.journal, first.volume, first.issue) == (
        "PMC6750137", ["0893-8512"], "Clin Microbiol Rev", "32", "4")
    charles = records[89]
    assert charles.title == "Population pharmacokinetics of tafenoquine during malaria prophylaxis in healthy subjects"
    assert (charles.authors[0], charles.year, charles.doi, charles.pmid, charles.pages) == (
        "Charles, BG", 2007, "10.1128/aac.01183-06", "17517850", "2709-2715")
    last = records[178]
    assert (last.authors[0], last.year, last.doi, last.pmid) == ("Bancone, G", 2018, "10.1371/journal.pone.0196716", "29738562")
    embase = records[6]  # Embase.com import: id only in the URL, PMID in custom5
    assert (embase.accession, embase.pmid, embase.databases) == ({"embase": "L613873024"}, "27836630", ["Embase", "Medline"])
    central = records[12]  # CENTRAL: CN- accession, source ids in custom3
    assert central.accession == {"central": "CN-01997878", "embase": "L629408226"}
    assert records[1].pages == "623-631"  # "623-31"
    assert ("ref-type/@name", "Journal Article") in first.raw
    handbook = next(r for r in records if r.title == "8-aminoquinolines: Primaquine and tafenoquine")
    assert handbook.issue == ""          # its "number" holds the author's address and e-mail
    assert any(tag == "number" and "Australian Army Malaria Institute" in value for tag, value in handbook.raw)


def test_endnote_xml_real_respiratory():
    _, records = load(shared_file("dedup", "rathbone2015_sra", "respiratory", "Respiratory_original_endnote.xml"))
    first = records[0]
    assert first.title == "Perioperative nutritional support in patients undergoing hepatectomy for hepatocellular carcinoma"
    assert (first.authors, first.year, first.pages, first.journal_abbrev) == (["Ziegler, TR"], 1996, "91-92", "")
    assert sum(1 for r in records if ("caption", "Duplicate") in r.raw) == 799


# ---------------------------------------------------------------- EndNote XML, own fixtures

def style(text: str) -> str:
    return f'<style face="normal" font="default" size="100%">{text}</style>'


ENDNOTE = f"""<?xml version="1.0" encoding="UTF-8" ?><xml><records>
<record><database name="x.enl">x.enl</database><ref-type name="Book Section">5</ref-type>
<contributors><authors><author>{style("Nguyen, Thi B.")}</author><author>{style("WHO Group")}</author></authors></contributors>
<titles><title>{style("Malaria in ")}<style face="italic" font="default" size="100%">Anopheles</style>{style(" mosquitoes")}</title>
<secondary-title>{style("Vector Biology")}</secondary-title><alt-title>{style("Vector Biol.")}</alt-title>
<short-title>{style("Malaria")}</short-title></titles>
<pages>{style("101-9")}</pages><volume>{style("3")}</volume><number>{style("2")}</number>
<dates><year>{style("2016")}</year></dates>
<isbn>{style("1234-5678 (Print)&#xD;978-3-16-148410-0")}</isbn>
<accession-num>{style("L612345678")}</accession-num>
<remote-database-name>{style("Embase&#xD;Medline")}</remote-database-name>
<electronic-resource-num>{style("https://doi.org/10.7777/EN.1")}</electronic-resource-num>
<keywords><keyword>{style("malaria")}</keyword><keyword>{style("vectors")}</keyword></keywords>
<language>{style("English")}</language></record>
<record><ref-type name="Journal Article">17</ref-type><titles><title>{style("PubMed import")}</title></titles>
<accession-num>{style("12345678")}</accession-num><remote-database-provider>{style("NLM")}</remote-database-provider>
<urls><related-urls><url>{style("https://pubmed.ncbi.nlm.nih.gov/12345678/")}</url></related-urls></urls></record>
</records></xml>
"""


def test_endnote_xml_fields(tmp_path):
    info, (one, two) = load(write(tmp_path, "lib.xml", ENDNOTE))
    assert (info.format, info.vendor) == ("endnote_xml", "endnote")
    assert (one.line, two.line) == (1, 2)
    assert one.title == "Malaria in Anopheles mosquitoes"  # three style runs, one title
    assert one.authors == ["Nguyen, TB", "WHO Group"]
    assert (one.journal, one.journal_abbrev) == ("Vector Biology", "Vector Biol.")  # short-title is not a journal
    assert (one.pages, one.volume, one.issue, one.year) == ("101-109", "3", "2", 2016)
    assert (one.issn, one.isbn) == (["1234-5678"], ["9783161484100"])
    assert (one.accession, one.pmid, one.doi) == ({"embase": "L612345678"}, "", "10.7777/en.1")
    assert one.databases == ["Embase", "Medline"]
    assert (one.type, one.keywords, one.language) == ("chapter", ["malaria", "vectors"], "English")
    assert ("contributors/authors/author", "Nguyen, Thi B.") in one.raw
    assert not any(path.startswith("database") for path, _ in one.raw)
    assert (two.pmid, two.accession, two.url) == ("12345678", {}, "https://pubmed.ncbi.nlm.nih.gov/12345678/")


def test_endnote_xml_malformed_names_the_line(tmp_path):
    broken = ENDNOTE.replace("<pages>", "<pages", 1)
    with pytest.raises(ImportProblem) as err:
        load(write(tmp_path, "broken.xml", broken))
    assert err.value.line == 7 and "malformed EndNote XML in record 1" in err.value.message


def test_endnote_xml_truncated_file(tmp_path):
    truncated = ENDNOTE[: ENDNOTE.index("<record><ref-type name=\"Journal")] + "<record><titles>"
    info, records = open_export(write(tmp_path, "cut.xml", truncated))
    first = next(records)
    assert first.title == "Malaria in Anopheles mosquitoes"
    with pytest.raises(ImportProblem, match="in record 2"):
        next(records)


# ---------------------------------------------------------------- CSV

DEDUP_CSVS = [
    ("asysd2023_diabetes/diabetes_labelled_utf8.csv", 1845, "1"),
    ("asysd2023_diabetes/labelled_test_set.csv", 1845, "1"),
    ("bibdedupe_special_cases/records_labelled.csv", 12, "id_0000001"),
    ("rathbone2015_sra/cytology_screening/records_labelled.csv", 1856, "id_0000001"),
    ("rathbone2015_sra/haematology/records_labelled.csv", 1415, "id_0000001"),
    ("rathbone2015_sra/respiratory/records_labelled.csv", 1988, "id_0000001"),
    ("rathbone2015_sra/stroke/records_labelled.csv", 1292, "id_0000001"),
    ("wagner2021_digital_work/records_labelled.csv", 7159, "id_0000000"),
]


@pytest.mark.parametrize("name, count, first_id", DEDUP_CSVS)
def test_dedup_csvs_load(name, count, first_id):
    info, records = load(shared_file("dedup", *name.split("/")))
    assert (info.format, len(records)) == ("csv", count)
    assert records[0].accession == {"id": first_id}
    assert records[0].line == 2
    assert sum(1 for r in records if r.title) >= count - 2
    assert sum(1 for r in records if r.year) >= count - 1


def test_dedup_csv_real_values():
    _, records = load(shared_file("dedup", "wagner2021_digital_work", "records_labelled.csv"))
    assert records[0].pages == "376-383"  # "376 -- 383"
    assert records[0].volume == ""  # "UNKNOWN"
    _, diabetes = load(shared_file("dedup", "asysd2023_diabetes", "labelled_test_set.csv"))
    first = diabetes[0]
    assert (first.title, first.year, first.journal, first.doi, first.issn) == (
        "Intestinal lipoprotein overproduction in insulin-resistant states", 2008, "Curr Opin Lipidol",
        "10.1097/mol.0b013e3282ffaf82", ["0957-9672"])
    assert sum(1 for r in diabetes if r.doi) == 1845 - 492 - 2  # "NA" is missing, not a DOI


CSV = '''\
TI,AU,Publication_Year,Source,Abstract,DOI,Pages,ENTRYTYPE,Keywords,ID
"First, with a comma","Smith, Jane and van der Berg, Piet",2019,Journal A,"An abstract
over two lines",https://doi.org/10.1000/CSV.1,10 -- 19,inproceedings,alpha; beta,r1
Second,"Doe, J; Roe, R",NA,Journal B,,NA,,article,,r2
'''


def test_csv_fields_and_lines(tmp_path):
    info, (one, two) = load(write(tmp_path, "refs.csv", CSV, newline="\r\n"))
    assert (info.format, info.vendor) == ("csv", "")  # a spreadsheet does not say who exported it
    assert (one.line, two.line) == (2, 4)
    assert one.title == "First, with a comma"
    assert one.authors == ["Smith, J", "van der Berg, P"]
    assert (one.year, one.journal, one.doi, one.pages, one.type) == (2019, "Journal A", "10.1000/csv.1", "10-19", "conference paper")
    assert one.abstract == "An abstract over two lines"
    assert (one.keywords, one.accession) == (["alpha", "beta"], {"id": "r1"})
    assert ("TI", "First, with a comma") in one.raw
    assert two.authors == ["Doe, J", "Roe, R"]
    assert (two.year, two.doi, two.abstract) == (None, "", "")


def test_csv_empty_journal_falls_back_to_booktitle(tmp_path):
    text = ("title,author,journal,booktitle,year\n"
            "A paper,\"Doe, J\",,International Conference on Information Systems,2010\n"
            "An article,\"Roe, R\",MIS Quarterly,Some Proceedings,2011\n")
    _, (paper, article) = load(write(tmp_path, "bib.csv", text))
    assert paper.journal == "International Conference on Information Systems"
    assert article.journal == "MIS Quarterly"


def test_csv_tab_separated(tmp_path):
    info, records = load(write(tmp_path, "refs.tsv", "Title\tAuthors\tYear\nTabbed, title\tLee, K\t2001\n"))
    assert [(r.title, r.authors, r.year) for r in records] == [("Tabbed, title", ["Lee, K"], 2001)]


def test_csv_web_of_science_tab_delimited(tmp_path):
    header = "PT\tAU\tAF\tTI\tSO\tDT\tDE\tPY\tBP\tEP\tDI\tPM\tUT\n"
    row = "J\tKim, J; Ito, Y\tKim, Jiwoo; Ito, Yuki\tA title\tSOME JOURNAL\tLetter\tx; y\t2021\t5\t9\t10.1000/T.1\t123\tWOS:1\n"
    info, (record,) = load(write(tmp_path, "savedrecs.txt", header + row))
    assert (info.format, info.vendor) == ("csv", "wos")
    assert (record.title, record.authors, record.journal, record.type) == ("A title", ["Kim, J", "Ito, Y"], "SOME JOURNAL", "letter")
    assert (record.year, record.pages, record.doi, record.pmid) == (2021, "5-9", "10.1000/t.1", "123")
    assert (record.keywords, record.accession) == (["x", "y"], {"id": "WOS:1"})


def test_csv_without_title_column(tmp_path):
    with pytest.raises(ImportProblem) as err:
        load(write(tmp_path, "refs.csv", "name,year\nSomething,2020\n"), "csv")
    assert err.value.line == 1
    assert "no title column" in err.value.message and "found: name, year" in err.value.message


def test_csv_header_only_has_no_records(tmp_path):
    with pytest.raises(ImportProblem, match="no records found"):
        load(write(tmp_path, "refs.csv", "title,year\n"))


# ---------------------------------------------------------------- streaming

def test_parsers_are_lazy(tmp_path):
    """A parser yields its first record before reading the rest (so 2 GB never sits in memory)."""
    from searchflow.sources import medline, wos

    path = write(tmp_path, "wos.txt", WOS.replace("\nEF\n", "\nPT J\nTI broken\n"))
    records = wos.parse(path, FileInfo(path=path, encoding="utf-8"))
    assert next(records).title == "A wrapped title"
    path = write(tmp_path, "x.nbib", MEDLINE_TWO + "\nnot medline\n")
    records = medline.parse(path, FileInfo(path=path, encoding="utf-8"))
    assert next(records).pmid == "11111111"
    with pytest.raises(ImportProblem):
        list(records)
