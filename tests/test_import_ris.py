"""The RIS importer: every real vendor export, each quirk, each kind of bad file, and the CLI.

Real-data tests read ../shared/data/exports and skip when it is absent; the unit
tests use small invented records written here or in tests/fixtures/ris/.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from textwrap import dedent

import pytest

from conftest import FIXTURES, shared_file
from searchflow.sources import FileInfo, ImportProblem, open_export
from searchflow.sources import ris
from searchflow.sources.base import read_lines
from searchflow.store.sqlite import SQLiteStore as Store

RIS_FIXTURES = FIXTURES / "ris"


def load(path: Path):
    info, records = open_export(path)
    return info, list(records)


def write(tmp_path: Path, text: str, newline: str = "\n", bom: bool = False, name: str = "export.ris") -> Path:
    data = dedent(text).lstrip("\n").replace("\n", newline).encode("utf-8")
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def parse_text(tmp_path: Path, text: str, **options):
    return load(write(tmp_path, text, **options))


def problem(tmp_path: Path, text: str) -> ImportProblem:
    path = write(tmp_path, text)
    with pytest.raises(ImportProblem) as caught:
        list(ris.parse(path, FileInfo(path=path, format="ris", encoding="utf-8-sig")))
    return caught.value


# ---------------------------------------------------------------- real exports: counts and vendors

REAL_FILES = {  # file -> (records per README section 1, vendor)
    "embase/embase_com_elsevier_6.ris": (6, "embase.com"),
    "embase/embase_com_elsevier_10.ris": (10, "embase.com"),
    "ovid/ovid_psycinfo_6.ris": (6, "ovid"),
    "ovid/ovid_psycinfo_10.ris": (10, "ovid"),
    "ovid/ovid_eric_10.ris": (10, "ovid"),
    "ovid/ovid_medline_84.ris": (84, "ovid"),
    "ebsco/ebsco_psycinfo_64.ris": (64, "ebsco"),
    "ebsco/ebsco_criminal_justice_abstracts_41.ris": (41, "ebsco"),
    "ebsco/ebsco_academic_search_premier_9.ris": (9, "ebsco"),
    "proquest/proquest_ptsdpubs_6.ris": (6, "proquest"),
    "wos/wos_ris_10.ris": (10, "wos"),
    "wos/wos_ris_50.ris": (50, "wos"),
    "scopus/scopus_10.ris": (10, "scopus"),
    "scopus/scopus_92.ris": (92, "scopus"),
    "scopus/scopus_6_with_refs.ris": (6, "scopus"),
    "endnote/endnote_ris_102_bluelight.ris": (102, "endnote"),
    "endnote/endnote_ris_pubmed_6.txt": (6, "endnote"),
}


@pytest.mark.parametrize("name", sorted(REAL_FILES))
def test_real_export_count_vendor_and_record_lines(name):
    path = shared_file("exports", *name.split("/"))
    count, vendor = REAL_FILES[name]
    info, records = load(path)
    assert info.format == "ris"
    assert info.vendor == vendor
    assert len(records) == count
    ty_lines = {number for number, text in read_lines(path, "utf-8-sig") if text.lstrip("\ufeff").startswith("TY  -")}
    assert [r.line for r in records] == sorted(ty_lines)
    for record in records:
        assert record.raw[0][0] == "TY"
        assert "ER" not in {tag for tag, _ in record.raw}
        assert record.title and record.year, record.line


# file, index, TY line, title, first author, year, DOI, PMID, accession
EXPECTED = [
    ("embase/embase_com_elsevier_6.ris", 0, 1, "Duplication cysts: Diagnosis, management, and the role of endoscopic ultrasound", "Liu, R", 2014, "10.4103/2303-9027.138783", "", {"embase": "L373791783"}),
    ("embase/embase_com_elsevier_6.ris", 3, 197, "Congenital Neck Masses", "Quintanilla-Dieck, L", 2018, "10.1016/j.clp.2018.07.012", "30396417", {"embase": "L2001108924"}),
    ("embase/embase_com_elsevier_10.ris", 0, 1, "Cellular structure of dinosaur scales reveals retention of reptile-type skin during the evolutionary transition to feathers", "Yang, Z", 2024, "10.1038/s41467-024-48400-3", "38773066", {"embase": "L2029880245"}),
    ("ovid/ovid_psycinfo_6.ris", 0, 2, "The influence of self-criticism on depression symptoms among ambulatory patients with inflammatory bowel disease.", "Trindade, IA", 2019, "10.1002/cpp.2398", "", {"psycinfo": "2019-65183-001"}),
    ("ovid/ovid_psycinfo_6.ris", 1, 31, "Gender differences in inflammatory bowel disease: Explaining body image dissatisfaction.", "Trindade, IA", 2019, "10.1177/1359105317742958", "", {"psycinfo": "2019-29490-001"}),
    ("ovid/ovid_psycinfo_10.ris", 5, 508, "The incredible years parenting and child treatment programs: A randomized controlled trial in a child welfare setting in Spain.", "Arruabarrena, I", 2022, "10.5093/pi2022a2", "", {"psycinfo": "2022-43721-004"}),
    ("ovid/ovid_eric_10.ris", 0, 2, "Creationism and the Dinosaur Boom.", "Stokes, WL", 1989, "", "", {"eric": "EJ389705"}),
    ("ovid/ovid_eric_10.ris", 9, 319, "The Jurassic Spark.", "Czerniak, CM", 1993, "", "", {"eric": "EJ471630"}),
    ("ovid/ovid_medline_84.ris", 42, 1311, "The association of ABO and Rhesus blood type with the risks of developing SARS-CoV-2 infection: A meta-analysis.", "Soo, KM", 2022, "10.47665/tb.39.1.015", "35507935", {}),
    ("ovid/ovid_medline_84.ris", 83, 2642, "A systematic review of wild burro grazing effects on Mojave Desert vegetation, USA.", "Abella, SR", 2008, "10.1007/s00267-008-9105-7", "18379838", {}),
    ("ebsco/ebsco_psycinfo_64.ris", 32, 1547, "Gambling alone? A study of solitary and social gambling in America", "Bernhard, BJ", 2007, "", "", {"psycinfo": "2007-17475-001"}),
    ("ebsco/ebsco_criminal_justice_abstracts_41.ris", 0, 1, "Discourses of responsible gambling and gambling harm: observations from Victoria, Australia.", "Francis, L", 2021, "10.1080/16066359.2020.1867111", "", {"ebsco": "150283836"}),
    ("ebsco/ebsco_criminal_justice_abstracts_41.ris", 40, 1500, "A Prospective Investigation of Affect, the Desire to Gamble, Gambling Motivations and Gambling Behavior in the Mood Disorders.", "Quilty, LC", 2016, "10.1007/s10899-016-9616-8", "", {"ebsco": "119520603"}),
    ("ebsco/ebsco_academic_search_premier_9.ris", 4, 155, "Size-mediated competition and community structure in a Late Cretaceous herbivorous dinosaur assemblage.", "Wyenberg-Henzler, T", 2022, "10.1080/08912963.2021.2010191", "", {"ebsco": "159687475"}),
    ("proquest/proquest_ptsdpubs_6.ris", 0, 1, "Predictors of posttraumatic stress symptom trajectories following the fatal 2011 Christchurch, New Zealand earthquake", "Jones, H", 2019, "10.1002/jts.22387", "", {"proquest": "2214991469"}),
    ("proquest/proquest_ptsdpubs_6.ris", 5, 234, "Bayesian PTSD-trajectory analysis with informed priors based on a systematic literature search and expert elicitation", "van de Schoot, R", 2018, "10.1080/00273171.2017.1412293", "", {"proquest": "2032784247"}),
    ("wos/wos_ris_10.ris", 1, 56, "Dinosaur footprints from Arizona", "Riggs, ES", 1904, "10.2475/ajs.s4-17.102.423", "", {"wos": "WOS:000200210400001"}),
    ("wos/wos_ris_10.ris", 5, 202, "Gastroliths in an ornithopod dinosaur", "Cerda, IA", 2008, "10.4202/app.2008.0213", "", {"wos": "WOS:000257331900015"}),
    ("wos/wos_ris_50.ris", 0, 1, "Microangiography of the humeral condyle in Cocker Spaniel and non-Cocker Spaniel dogs", "Larsen, LJ", 1999, "", "", {"wos": "WOS:000082252000006"}),
    ("wos/wos_ris_50.ris", 25, 1115, "Ultrasound Biomicroscopy Studies to Evaluate Ciliary Cleft Parameters in Healthy Eyes of American Cocker Spaniels", "Choi, KH", 2019, "10.29261/pakvetj/2019.002", "", {"wos": "WOS:000459620300012"}),
    ("scopus/scopus_10.ris", 0, 1, "Global latitudinal gradients and the evolution of body size in dinosaurs and mammals", "Wilson, LN", 2024, "10.1038/s41467-024-46843-2", "38580657", {"scopus": "2-s2.0-85189760133"}),
    ("scopus/scopus_10.ris", 9, 466, "The evolution of femoral morphology in giant non-avian theropod dinosaurs", "Pintore, R", 2024, "10.1017/pab.2024.6", "", {"scopus": "2-s2.0-85191998754"}),
    ("scopus/scopus_92.ris", 46, 1382, "Foraging-habitat selection of black-backed wood peckers info rest burns of southwestern Idaho", "Dudley, JG", 2012, "10.1525/cond.2012.110020", "", {"scopus": "2-s2.0-84862303807"}),
    ("scopus/scopus_6_with_refs.ris", 3, 569, "Self-compassion and adjustment in epilepsy and psychogenic nonepileptic seizures", "Clegg, S", 2019, "10.1016/j.yebeh.2019.106490", "31574429", {"scopus": "2-s2.0-85072655092"}),
    ("endnote/endnote_ris_102_bluelight.ris", 1, 44, "Phototherapy in the treatment of acne vulgaris: what is its role?", "Charakida, A", 2004, "10.2165/00128071-200405040-00001", "15301568", {}),
    ("endnote/endnote_ris_102_bluelight.ris", 51, 2261, "A split-face comparative trial of photopneumatic therapy versus intense pulsed light for the treatment of acne vulgaris", "Kim, JE", 2020, "10.1080/14764172.2020.1827149", "33070649", {}),
    ("endnote/endnote_ris_pubmed_6.txt", 5, 302, "Indigo Naturalis Ameliorates Oxazolone-Induced Dermatitis but Aggravates Colitis by Changing the Composition of Gut Microflora", "Adachi, S", 2017, "10.1159/000471923", "28482341", {}),
]

_loaded: dict[str, list] = {}


def real_records(name: str) -> list:
    if name not in _loaded:
        _loaded[name] = load(shared_file("exports", *name.split("/")))[1]
    return _loaded[name]


@pytest.mark.parametrize("name, index, line, title, author, year, doi, pmid, accession", EXPECTED,
                         ids=[f"{e[0].split('/')[1]}[{e[1]}]" for e in EXPECTED])
def test_real_record_fields(name, index, line, title, author, year, doi, pmid, accession):
    record = real_records(name)[index]
    assert record.line == line
    assert record.title == title
    assert record.authors[0] == author
    assert record.year == year
    assert record.doi == doi
    assert record.pmid == pmid
    assert record.accession == accession


def test_real_embase_types_databases_and_noise():
    records = real_records("embase/embase_com_elsevier_10.ris")
    assert records[1].type == "erratum"                    # M3 Erratum over TY JOUR
    assert records[1].databases == ["Medline"]
    assert records[0].databases == ["Embase", "Medline"]
    assert (records[0].journal, records[0].journal_abbrev) == ("Nature Communications", "Nat. Commun.")
    assert real_records("embase/embase_com_elsevier_6.ris")[3].type == "review"
    assert all("embase.com" in r.url for r in records)     # the UR, never the LK link resolver
    # Embase M1 holds affiliations: never authors
    assert all(len(r.authors) == sum(1 for t, _ in r.raw if t == "A1") for r in records)


def test_real_ovid_psycinfo_quirks():
    records = real_records("ovid/ovid_psycinfo_6.ris")
    first = records[0]
    assert first.pages == ""                               # SP No / EP Specified
    assert [t for t, _ in first.raw].count("DO") == 2
    assert first.authors == ["Trindade, IA", "Irons, C", "Ferreira, C", "Portela, F", "Pinto-Gouveia, J"]
    for record in records + real_records("ovid/ovid_psycinfo_10.ris"):
        # A2 (cited first authors) and M1 (cited references) are never authors
        assert len(record.authors) == sum(1 for t, _ in record.raw if t == "A1")
        assert not any(k.startswith("*") for k in record.keywords)
        assert "Database Record" not in record.abstract
        assert record.type == "article"                    # M3 is a classification code, not a type
    assert records[1].keywords[0] == "Body Image"          # "*Body Image" is a major heading
    assert "NL" not in {t for t, _ in first.raw}           # NL after ER is outside the record
    ten = real_records("ovid/ovid_psycinfo_10.ris")
    assert ten[0].journal_abbrev == "J Neurodev Disord"


def test_real_ovid_medline_issue_holds_nlm_ids():
    records = real_records("ovid/ovid_medline_84.ris")
    assert records[0].issue == ""                          # IS eag, 7805975
    issues = {r.issue for r in records}
    assert "6660" in issues                                # a real (Science) issue stays
    assert not any("," in i or sum(c.isdigit() for c in i) >= 7 for i in issues)
    assert all(r.pmid for r in records)                    # from AN= in the L2 link
    assert "RESEARCH DESIGN AND METHODS:" in records[0].abstract
    assert "territories., RESEARCH" not in records[0].abstract


def test_real_ebsco_quirks():
    for name in ("ebsco/ebsco_criminal_justice_abstracts_41.ris", "ebsco/ebsco_academic_search_premier_9.ris",
                 "ebsco/ebsco_psycinfo_64.ris"):
        for record in real_records(name):
            assert not record.abstract.startswith("Copyright of")
            assert "[ABSTRACT FROM" not in record.abstract
            assert "ebscohost.com" in record.url           # not the junk ORCID / e-mail UR lines
            assert record.accession
    i3h = real_records("ebsco/ebsco_criminal_justice_abstracts_41.ris")
    assert i3h[0].databases == ["i3h", "Criminal Justice Abstracts"]
    assert i3h[0].issn == ["1606-6359"]                    # SN 16066359
    assert sum(1 for r in i3h if r.doi) == 41              # all from L3
    assert i3h[40].pages == ""                             # N.PAG
    psyh = real_records("ebsco/ebsco_psycinfo_64.ris")
    assert psyh[0].issn == ["0028-3932", "1873-3514"]
    assert psyh[-1].type == "thesis"
    translated = next(r for r in psyh if sum(1 for t, _ in r.raw if t == "AB") == 2)
    assert not translated.abstract.startswith(("Les ", "Objectif"))   # the 2nd AB is the French version


def test_real_wos_bare_cr_and_journal_case():
    records = real_records("wos/wos_ris_50.ris")
    assert all(r.accession["wos"].startswith("WOS:") for r in records)   # AN hidden behind bare CRs
    assert real_records("wos/wos_ris_10.ris")[1].journal == "American Journal of Science"
    first = real_records("wos/wos_ris_10.ris")[0]
    assert first.pages == "e12292"                         # C7 article number
    assert "Methodology/Principal Findings:" in first.abstract
    notes = [v for t, v in first.raw if t == "N1"]
    assert notes[1:] == ["Total Times Cited:  162", "Cited Reference Count:  49"]


def test_real_scopus_references_are_separate_notes():
    records = real_records("scopus/scopus_6_with_refs.ris")
    notes = [v for r in records for t, v in r.raw if t == "N1"]
    assert len(notes) >= 34 + 789
    assert records[0].issn == ["0306-4530"]                # SN 03064530 (ISSN)
    assert records[0].type == "review"


def test_real_endnote_bare_line_values():
    first = real_records("endnote/endnote_ris_102_bluelight.ris")[0]
    assert first.keywords == ["Acne", "Antirrhinum majus", "Propionibacterium acnes", "blue light"]
    assert first.pmcid == "PMC5887696"
    assert first.issn == ["2277-9175"]
    assert sum(1 for t, _ in first.raw if t == "AD") == 5


def test_every_real_ris_file_parses():
    """Beyond the table: any RIS file added to the shared exports must import without error."""
    root = shared_file("exports")
    paths = sorted(root.glob("*/*.ris")) + [root / "endnote" / "endnote_ris_pubmed_6.txt"]
    for path in paths:
        info, records = load(path)
        assert records, path


# ---------------------------------------------------------------- framing quirks

ONE = """\
TY  - JOUR
TI  - An invented title
AU  - Moffatt, Suzanne
PY  - 2020
ER  - 
"""


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
@pytest.mark.parametrize("bom", [False, True])
def test_line_endings_and_bom(tmp_path, newline, bom):
    info, records = parse_text(tmp_path, ONE + "\n" + ONE.replace("2020", "2021"), newline=newline, bom=bom)
    assert [r.year for r in records] == [2020, 2021]
    assert [r.line for r in records] == [1, 7]
    assert records[0].title == "An invented title"


def test_bom_kept_by_a_plain_utf8_reader_is_still_stripped(tmp_path):
    path = write(tmp_path, ONE, bom=True)
    records = list(ris.parse(path, FileInfo(path=path, encoding="utf-8")))
    assert records[0].raw[0] == ("TY", "JOUR")


def test_bare_cr_inside_lf_file(tmp_path):
    path = tmp_path / "mixed.ris"
    path.write_bytes(b"TY  - JOUR\nTI  - Mixed endings\nWE  - Science Citation Index Expanded\rAN  - WOS:000000000000001\nPY  - 2019\nER  -\n")
    info, records = load(path)
    assert info.vendor == "wos"
    assert records[0].accession == {"wos": "WOS:000000000000001"}


@pytest.mark.parametrize("end", ["ER  -", "ER  - ", "ER  -  "])
def test_end_tag_variants(tmp_path, end):
    _, records = parse_text(tmp_path, ONE.replace("ER  - ", end) * 2)
    assert len(records) == 2


def test_ovid_sequence_lines_and_text_after_er_are_ignored():
    info, records = load(RIS_FIXTURES / "ovid_sequence.ris")
    assert info.vendor == "ovid"
    assert [r.line for r in records] == [2, 31]
    first, second = records
    assert [t for t, _ in first.raw][-1] == "PT"           # NL and the link text after ER are dropped
    assert first.authors == ["Pereira, JA", "Brennan, S"]  # not A2's cited authors, not M1's references
    assert first.pages == ""
    assert first.doi == "10.9999/invented.2019.1"
    assert first.keywords == ["Tea", "Reviewers"]
    assert first.abstract == "Tea breaks were counted. Reviewers drank tea."
    assert first.accession == {"psycinfo": "2019-00000-001"}
    assert first.databases == ["APA PsycInfo"]
    assert first.type == "article"
    assert first.year == 2019
    assert second.issue == ""                              # "abc, 7654321" is an NLM journal id
    assert second.pmid == "33000001"                       # AN= in a MEDLINE segment link
    assert second.journal_abbrev == "Invent Med"
    assert second.pages == "10-19"


def test_known_headers_before_first_record_are_skipped_silently(tmp_path):
    info, records = parse_text(tmp_path, "Provider: An Invented Provider\nDatabase: Invented\n\n12.\n" + ONE)
    assert records[0].line == 5 and info.warnings == []
    history = ("Database: Invented Ovid Segment <1946 to 2023>\nSearch Strategy:\n" + "-" * 40 + "\n"
               "1     exp Loneliness/ (1234)\n2     link worker*.tw. (56)\n3     1 and 2 (7)\n" + "*" * 27 + "\n\n")
    info, records = parse_text(tmp_path, history + "Record #1 of 1\n" + ONE)
    assert records[0].line == 10 and info.warnings == []


# ---------------------------------------------------------------- continuation lines

def test_bare_lines_are_new_values_for_list_tags_and_wrap_text_tags(tmp_path):
    _, records = parse_text(tmp_path, """\
        TY  - JOUR
        TI  - A title that
        wraps onto a second line
        AU  - Wong, Li
        Tierney, Peter
        KW  - Loneliness
        Social prescribing/*methods
        AB  - First part of the abstract.
           Second paragraph, indented three spaces.
        N1  - References: Smith, A., One (2001) J One;
        Jones, B., Two (2002) J Two;
        PY  - 2022
        ER  - 
        """)
    record = records[0]
    assert record.title == "A title that wraps onto a second line"
    assert record.authors == ["Wong, L", "Tierney, P"]
    assert record.keywords == ["Loneliness", "Social prescribing/methods"]   # major-topic star dropped
    assert record.abstract == "First part of the abstract. Second paragraph, indented three spaces."
    assert record.raw == [
        ("TY", "JOUR"), ("TI", "A title that\nwraps onto a second line"), ("AU", "Wong, Li"), ("AU", "Tierney, Peter"),
        ("KW", "Loneliness"), ("KW", "Social prescribing/*methods"),
        ("AB", "First part of the abstract.\nSecond paragraph, indented three spaces."),
        ("N1", "References: Smith, A., One (2001) J One;"), ("N1", "Jones, B., Two (2002) J Two;"), ("PY", "2022"),
    ]


# ---------------------------------------------------------------- vendors (invented records)

EMBASE = """\
TY  - JOUR
M3  - Article in Press
Y1  - 2023
SN  - 1234-5678
SN  - 1234-5678
JF  - Journal of Invented Studies
JO  - J. Invented Stud.
UR  - https://www.embase.com/search/results?subaction=viewrecord&id=L600000001&from=export
U2  - L600000001
C5  - 31000001
DB  - Embase
DB  - Medline
L2  - http://dx.doi.org/10.9999/JIS.2023.1
DO  - 10.9999/JIS.2023.1
LK  - https://resolver.example.org/link?sid=EMBASE&id=doi:10.9999%2Fother
A1  - Okafor C.
A1  - van Dijk P.J.
M1  - (Okafor C., c.okafor@example.org) Department of Examples, Example University
T1  - An invented trial
LA  - English
N2  - Text of the abstract.
ER  - 
"""


def test_embase(tmp_path):
    info, (record,) = parse_text(tmp_path, EMBASE)
    assert info.vendor == "embase.com"
    assert record.authors == ["Okafor, C", "van Dijk, PJ"]
    assert record.pmid == "31000001"
    assert record.accession == {"embase": "L600000001"}
    assert record.databases == ["Embase", "Medline"]
    assert record.doi == "10.9999/jis.2023.1"
    assert record.issn == ["1234-5678"]
    assert (record.journal, record.journal_abbrev) == ("Journal of Invented Studies", "J. Invented Stud.")
    assert record.url.startswith("https://www.embase.com/")
    assert record.type == "article"
    _, (erratum,) = parse_text(tmp_path, EMBASE.replace("Article in Press", "Erratum"))
    assert erratum.type == "erratum"
    _, (abstract,) = parse_text(tmp_path, EMBASE.replace("Article in Press", "Conference Abstract"))
    assert abstract.type == "conference abstract"


EBSCO = """\
TY  - JOUR
AU  - Østergaard, Inês
T1  - Invented gambling harms.
JO  - Invented Addiction Journal
JF  - Invented Addiction Journal
Y1  - 2022/11/05/
VL  - 12
IS  - 3
M3  - Article
SP  - 1
EP  - 9
SN  - 12345678
AB  - An invented abstract. [ABSTRACT FROM AUTHOR]
AB  - Copyright of Invented Addiction Journal is the property of Invented Publisher and its content may not be copied.
KW  - GAMBLING
N1  - Accession Number: 123456789; Østergaard, Inês 1; Affiliations: 1 : Nowhere
L3  - 10.9999/iaj.2022.3
UR  - https://search.ebscohost.com/login.aspx?direct=true&db=rzh&AN=123456789&site=ehost-live
UR  - ORCID: 0000-0000-0000-0002
UR  - someone@example.org
DP  - EBSCOhost
DB  - rzh
ER  - 
"""


def test_ebsco(tmp_path):
    info, (record,) = parse_text(tmp_path, EBSCO)
    assert info.vendor == "ebsco"
    assert record.abstract == "An invented abstract."
    assert record.doi == "10.9999/iaj.2022.3"
    assert record.accession == {"cinahl": "123456789"}
    assert record.databases == ["rzh", "CINAHL Plus with Full Text"]
    assert record.url == "https://search.ebscohost.com/login.aspx?direct=true&db=rzh&AN=123456789&site=ehost-live"
    assert record.issn == ["1234-5678"]
    assert record.year == 2022
    assert record.authors == ["Østergaard, I"]
    # no "Accession Number" note: the permalink's AN= is used; MEDLINE on EBSCO numbers records by PMID
    no_note = EBSCO.replace("N1  - Accession Number: 123456789; ", "N1  - ").replace("rzh", "cmedm")
    _, (medline,) = parse_text(tmp_path, no_note)
    assert medline.pmid == "123456789" and medline.accession == {}
    assert medline.databases == ["cmedm", "MEDLINE"]
    _, (unknown,) = parse_text(tmp_path, EBSCO.replace("rzh", "zzz"))
    assert unknown.databases == ["zzz"] and unknown.accession == {"ebsco": "123456789"}


def test_scopus(tmp_path):
    info, (record,) = parse_text(tmp_path, """\
        TY  - CHAP
        AU  - Frostick, C.
        TI  - An invented chapter
        PY  - 2021
        T2  - Invented Handbook
        J2  - Invent. Handb.
        SN  - 20411723 (ISSN)
        SN  - 9780000000002 (ISBN)
        C2  - 34000001
        UR  - https://www.scopus.com/inward/record.uri?eid=2-s2.0-85000000001&doi=10.9999%2fih.2021.7&partnerID=40
        DB  - Scopus
        M3  - Book Chapter
        ER  - 
        """)
    assert info.vendor == "scopus"
    assert record.issn == ["2041-1723"]
    assert record.isbn == ["9780000000002"]
    assert record.pmid == "34000001"
    assert record.accession == {"scopus": "2-s2.0-85000000001"}
    assert record.doi == "10.9999/ih.2021.7"           # from the UR when there is no DO
    assert record.type == "chapter"
    assert (record.journal, record.journal_abbrev) == ("Invented Handbook", "Invent. Handb.")


def test_wos(tmp_path):
    info, (record,) = parse_text(tmp_path, """\
        TY  - JOUR
        AU  - Wildman, JM
        TI  - An invented title
        T2  - JOURNAL OF INVENTED RESEARCH IN THE COMMUNITY
        J9  - J INVENT RES COMMUNITY
        JI  - J. Invent. Res. Community
        DA  - SEP 22
        PY  - 2010
        WE  - Social Science Citation Index (SSCI)
        AN  - WOS:000000000000002
        N1  - Times Cited in Web of Science Core Collection:  3
        Total Times Cited:  4
        ER  -
        """)
    assert info.vendor == "wos"
    assert record.year == 2010
    assert record.journal == "Journal of Invented Research in the Community"
    assert record.journal_abbrev == "J. Invent. Res. Community"
    assert record.accession == {"wos": "WOS:000000000000002"}
    assert record.databases == ["Social Science Citation Index (SSCI)"]


def test_proquest(tmp_path):
    text = """\
        TY  - JOUR
        T1  - An invented title
        AN  - 2200000001; 51000
        JF  - Journal of Invented Stress
        AU  - Bertotti, Marcello
        PY  - 2019
        SN  - 0894-9867, 0894-9867
        UR  - https://search.proquest.com/docview/2200000001?accountid=1
        L2  - http://resolver.example.org/?sid=ProQ&atitle=An+invented+title
        L2  - http://dx.doi.org/10.9999/jis.22387
        DB  - PTSDpubs
        DO  - http://dx.doi.org/10.9999/jis.22387
        ER  -
        """
    text = dedent(text)
    info, (record,) = parse_text(tmp_path, text)
    assert info.vendor == "proquest"
    assert record.accession == {"proquest": "2200000001"}
    assert record.doi == "10.9999/jis.22387"
    assert record.issn == ["0894-9867"]
    _, (no_do,) = parse_text(tmp_path, text.replace("DO  - http://dx.doi.org/10.9999/jis.22387\n", ""))
    assert no_do.doi == "10.9999/jis.22387"             # from the DOI link in L2


@pytest.mark.parametrize("written, year", [("2019//", 2019), ("2022/11/05/", 2022), ("2024///", 2024), ("2021/06//", 2021)])
def test_year_forms(tmp_path, written, year):
    _, (record,) = parse_text(tmp_path, f"TY  - JOUR\nT1  - Dated\nY1  - {written}\nER  - \n")
    assert record.year == year


def test_endnote_from_pubmed(tmp_path):
    info, (record,) = parse_text(tmp_path, """\
        TY  - JOUR
        AN  - 32000001
        AU  - Nguyen, T. H.
        C2  - PMC7000001
        DA  - Nov
        DP  - NLM
        KW  - Humans
        Loneliness/*prevention & control
        LA  - eng
        N1  - 1234-5678
        Nguyen, Thi Hoa
        Journal Article
        PY  - 2020
        SN  - 1234-5678 (Print)
        1234-5678
        T2  - Invent Health
        TI  - An invented record
        ID  - 42
        ER  - 
        """, newline="\r\n", bom=True)
    assert info.vendor == "endnote"
    assert record.pmid == "32000001"
    assert record.pmcid == "PMC7000001"
    assert record.keywords == ["Humans", "Loneliness/prevention & control"]
    assert record.journal == record.journal_abbrev == "Invent Health"
    assert record.issn == ["1234-5678"]
    assert record.year == 2020
    assert record.databases == ["NLM"]


def test_generic_ris(tmp_path):
    info, (record,) = parse_text(tmp_path, """\
        TY  - BOOK
        A1  - Husk, Kerryn
        T1  - An invented book
        PY  - 2018
        SN  - 0-00-000000-2
        AN  - X-1
        DB  - Invented Index
        ER  - 
        """)
    assert info.vendor == "generic"
    assert record.type == "book"
    assert record.isbn == ["0000000002"]
    assert record.issn == []
    assert record.accession == {"invented index": "X-1"}


def test_apa_psycnet_pmid_tag(tmp_path):
    _, (record,) = parse_text(tmp_path, "TY  - JOUR\nT1  - Invented\nPMID  - 30000001\nER  - \n")
    assert record.pmid == "30000001"
    assert ("PMID", "30000001") in record.raw


# ---------------------------------------------------------------- bad input

def test_known_tags_cover_the_ris_specification():
    spec = ("A1 A2 A3 A4 AB AD AN AU AV BT C1 C2 C3 C4 C5 C6 C7 C8 CA CN CP CT CY DA DB DO DP ED EP ET ID IS J1 "
            "J2 JA JF JO KW L1 L2 L3 L4 LA LB LK M1 M2 M3 N1 N2 NV OP PB PP PY RI RN RP SE SN SP ST T1 T2 T3 TA "
            "TI TT TY U1 U2 U3 U4 U5 UR VL VO Y1 Y2 ER").split()
    assert set(spec) <= ris.KNOWN_TAGS
    assert {"WE", "AI", "NL", "PT", "J9", "JI"} <= ris.KNOWN_TAGS


def test_missing_end_tag_before_next_record_names_the_unterminated_record(tmp_path):
    caught = problem(tmp_path, (RIS_FIXTURES / "unterminated.ris").read_text())
    assert caught.line == 7
    assert "no end tag" in caught.message and "line 12" in caught.message


def test_file_ending_inside_a_record(tmp_path):
    caught = problem(tmp_path, ONE + "\nTY  - JOUR\nTI  - Cut short\n")
    assert caught.line == 7
    assert "ends inside" in caught.message


def test_tag_before_first_record(tmp_path):
    caught = problem(tmp_path, "AU  - Smith, Anna\n" + ONE)
    assert caught.line == 1
    assert "'AU'" in caught.message and "TY" in caught.message


def test_other_text_before_first_record_is_skipped_with_one_warning(tmp_path):
    info, records = parse_text(tmp_path, "Exported from an invented library\nfor the review team\n" + ONE)
    assert [r.line for r in records] == [3]
    assert info.warnings == [f"{tmp_path / 'export.ris'}:1: text before the first record skipped: "
                             "'Exported from an invented library'"]


def test_unknown_tag_is_kept_and_warned_about_once_with_counts(tmp_path):
    text = ONE + "\n" + ONE.replace("PY  - 2020", "PY  - 2020\nZZ  - what is this\nwrapped on\nZZ  - again\nTS  - RIS")
    info, records = parse_text(tmp_path, text)
    assert len(records) == 2
    assert ("ZZ", "what is this\nwrapped on") in records[1].raw and ("TS", "RIS") in records[1].raw
    assert records[1].year == 2020 and records[1].title == "An invented title"
    assert len(info.warnings) == 1
    assert str(tmp_path / "export.ris") in info.warnings[0]
    assert "TS (1), ZZ (2)" in info.warnings[0] and "\n" not in info.warnings[0]


def test_known_tags_raise_no_warning(tmp_path):
    info, _ = parse_text(tmp_path, ONE)
    assert info.warnings == []


def test_records_stream_before_a_later_error(tmp_path):
    path = write(tmp_path, ONE + "\nTY  - JOUR\nTI  - Cut short\n")
    records = ris.parse(path, FileInfo(path=path, encoding="utf-8-sig"))
    assert next(records).title == "An invented title"
    with pytest.raises(ImportProblem):
        next(records)


def test_problem_message_is_one_line_naming_file_and_line(tmp_path):
    caught = problem(tmp_path, "AU  - Smith, Anna\n" + ONE)
    text = str(caught)
    assert "\n" not in text
    assert text.startswith(f"{tmp_path / 'export.ris'}:1: ")


# ---------------------------------------------------------------- the CLI

def _searchflow() -> list[str]:
    script = Path(sys.executable).parent / "searchflow"
    if script.exists():
        return [str(script)]
    found = shutil.which("searchflow")
    return [found] if found else [sys.executable, "-m", "searchflow"]


def _store_state(path: Path) -> tuple:
    store = Store.open(path)
    try:
        runs = store.search_runs(current_only=False)
        return store.counts(), [(r["search_id"], r["version"], r["record_count"]) for r in runs]
    finally:
        store.close()


def test_cli_bad_file_exits_2_with_one_line_and_leaves_store_unchanged(tmp_path):
    good = write(tmp_path, ONE + "\n" + EMBASE, name="good.ris")
    protocol = tmp_path / "review.toml"
    protocol.write_text('[review]\ntitle = "RIS import check"\n\n[[search]]\nid = "embase"\n'
                        'database = "Embase"\nfiles = ["good.ris"]\n', encoding="utf-8")
    command = _searchflow()
    ok = subprocess.run(command + ["import", str(protocol), str(good), "--database", "Embase", "--id", "embase"],
                        capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    before = _store_state(protocol.with_suffix(".db"))
    assert before[0]["records"] == 2

    bad = RIS_FIXTURES / "unterminated.ris"
    failed = subprocess.run(command + ["import", str(protocol), str(bad), "--database", "CINAHL"],
                            capture_output=True, text=True, timeout=120)
    assert failed.returncode == 2
    lines = failed.stderr.strip().splitlines()
    assert len(lines) == 1, failed.stderr
    assert f"{bad}:7:" in lines[0] and "no end tag" in lines[0]
    assert _store_state(protocol.with_suffix(".db")) == before
