"""Deduplication rules on hand-made records: each normaliser, each veto, the three outcomes,
and clusters that never bypass a veto through a chain of pairs."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from searchflow.dedup import normalise as n
from searchflow.dedup.block import candidate_pairs
from searchflow.dedup.cluster import ConsistentClusters
from searchflow.dedup.decide import Vetoes
from searchflow.dedup.engine import deduplicate, display_fields
from searchflow.dedup.normalise import prepare


# ------------------------------------------------------------------ normalisers

@pytest.mark.parametrize("raw, expected", [
    ("Efficacy of <i>batroxobin</i> in stroke. [Chinese]", "efficacy of batroxobin in stroke"),
    ("Haemolytic anaemia in children.", "hemolytic anemia in children"),
    ("Oesophageal cancer: a randomised trial (author's transl)", "esophageal cancer a randomized trial"),
    ("Plasmatherapy in &quot;atypical&quot; HUS", "plasmatherapy in atypical hus"),
    ("Stegemöller’s study [Article in German]", "stegemoller s study"),
    ("Severe deficiency of ADAMTS13.[Erratum appears in J Pediatr. 2003 Jun", "severe deficiency of adamts13"),
    ("Colposcopy in 2008. [57 refs]", "colposcopy in 2008"),
])
def test_title_key(raw, expected):
    assert n.title_key(raw) == expected


def test_title_key_keeps_non_latin_titles():
    assert n.title_key("Платформенная занятость: масштабы.") == "платформенная занятость масштабы"
    assert n.fold("ЗАЙНЯТІСТЬ") == "заинятість"


@pytest.mark.parametrize("raw, expected", [
    ("Zuna, R E and Wang, S S", ["zuna r", "wang s"]),
    ("Adeli K.Lewis G. F.Puig-Domingo M.", ["adeli k", "lewis g", "puigdomingo m"]),
    ("Roper, Jaimie A.; Stegemöller, E. L.", ["roper j", "stegemoller e"]),
    (["Smith, John", "Smith, J", "Anonymous"], ["smith j"]),
    ("Schmidt, J. and Fleming, J. and et al.", ["schmidt j", "fleming j"]),
])
def test_author_keys_initials_full_names_and_glued_lists(raw, expected):
    assert n.author_keys(raw) == expected


@pytest.mark.parametrize("raw, expected", [
    ("e1129-38", ("1129", "1138")),
    ("376 -- 383", ("376", "383")),
    ("S35-S36", ("35", "36")),
    ("1014", ("1014", "")),
    ("No pagination specified", ("", "")),
    ("NA", ("", "")),
    ("62 p", ("", "")),            # a thesis's length
])
def test_page_range(raw, expected):
    assert n.page_range(raw) == expected


@pytest.mark.parametrize("raw, expected", [
    ("532, 534-536, 538-540", ("532", "540")),   # advertisements between the pages
    ("01-Jun", ("1", "6")),                      # a spreadsheet read "1-6" as a date
    ("23-Jul", ("7", "23")),
])
def test_page_range_repairs(raw, expected):
    assert n.page_range(raw) == expected


def test_cochrane_number_gives_the_review_doi():
    assert n.cochrane_doi("CD006828", "Cochrane Database of Systematic Reviews") == "10.1002/14651858.cd006828"
    assert n.cochrane_doi("CD006828", "Stroke") == ""
    assert n.cochrane_doi("100-110", "Cochrane Database of Systematic Reviews") == ""


def test_volume_that_is_the_year_is_no_volume():
    prepared = prepare(frame({"volume": "2019"}, {"volume": "50"}))
    assert prepared["volume"].tolist() == ["", "50"]


def test_swapped_family_names():
    assert n.swapped_family_names("Carignani, Andrea and Negri, Lorenzo") == "andrea lorenzo"
    assert n.swapped_family_names("Andrea, C. and Lorenzo, N.") == "andrea lorenzo"   # initials stay put
    # an importer that kept initials only: "Carignani, A" written "Andrea, C"
    assert n.crossed_initials(["Carignani, A", "Negri, L"], ["Andrea, C", "Lorenzo, N"]) == 100
    assert n.crossed_initials(["Smith, J", "Doe, A"], ["Smith, J", "Doe, A"]) == 0
    assert n.crossed_initials(["Carignani, A"], ["Andrea, C"]) == 0      # one pair of letters is chance


def test_page_prefix_tells_article_numbers_from_pages():
    assert n.page_prefix("e0143396") == "e"
    assert n.page_prefix("c1804") == "c"
    assert n.page_prefix("969-972") == ""


@pytest.mark.parametrize("raw, first_only, expected", [
    ("61 (Supplement 1)", True, "61"), ("Supplement 3", False, "3"), ("2/3", False, "2-3"),
    ("UNKNOWN", False, ""), ("NA", False, ""), ("e0143396", False, ""), ("007", False, "7"),
])
def test_number_key(raw, first_only, expected):
    assert n.number_key(raw, first_only=first_only) == expected


@pytest.mark.parametrize("raw, expected", [
    ("http://dx.doi.org/10.1016/S0025-7753%2817%2930624-3", "10.1016/s0025-7753(17)30624-3"),
    ("https://doi.org/10.1111/HSC.12839", "10.1111/hsc.12839"),
    ("DOI: 10.1002/14651858.CD001234.pub3", "10.1002/14651858.cd001234"),   # Cochrane versions: one work
    ("NA", ""),
])
def test_doi_key(raw, expected):
    assert n.doi_key(raw) == expected


@pytest.mark.parametrize("journal, abbrev", [
    ("Nature Reviews Nephrology", "Nat Rev Nephrol"),
    ("Journal of Vascular Surgery", "J Vasc Surg"),
    ("JPEN. Journal of parenteral and enteral nutrition", "Jpen: Journal of Parenteral & Enteral Nutrition"),
])
def test_journal_key_meets_abbreviations(journal, abbrev):
    assert n.journal_key(journal) == n.journal_key(abbrev)


def test_journal_key_drops_conference_tail():
    assert n.journal_key("Circulation. Conference: Resuscitation Science Symposium") == n.journal_key("Circulation")


@pytest.mark.parametrize("type_, title, journal, volume, issue, pages, expected", [
    ("", "Erratum: Gain-of-function mutations", "", "", "", "", n.NOTICE),
    ("Published Erratum", "Gain-of-function mutations", "", "", "", "", n.NOTICE),
    ("", "Long-term effect of eculizumab (vol 85, pg 553, 2010)", "", "", "", "911", n.NOTICE),   # Web of Science
    ("", "Reply to the letter by Smith", "", "", "", "", n.RESPONSE),
    ("Comment", "Gain-of-function mutations", "", "", "", "", n.RESPONSE),
    ("Conference Abstract", "Anything", "Diabetes", "67", "", "", n.CONFERENCE),
    ("", "Anything", "Diabetes. Conference: 78th Scientific Sessions", "67", "", "", n.CONFERENCE),
    ("", "Anything", "Stroke", "44", "2 MeetingAbstract", "", n.CONFERENCE),
    ("", "Anything", "Diabetes", "67", "Suppl 1", "A12", n.SUPPLEMENT),
    ("", "Anything", "Diabetes", "67", "4", "", n.UNKNOWN),
    ("", "Anything", "Diabetes", "67", "4", "100-110", n.ARTICLE),
    ("article", "Anything", "Diabetes", "67", "4", "", n.ARTICLE),
])
def test_record_kind(type_, title, journal, volume, issue, pages, expected):
    assert n.record_kind(type_, title, journal, volume, issue, pages) == expected


@pytest.mark.parametrize("title, part", [
    ("Stroke care, Part II: rehabilitation", 2), ("Stroke care part 1", 1), ("The second report of X", 2),
    ("Stroke care", 0),
])
def test_part_number(title, part):
    assert n.part_number(n.title_key(title)) == part


def test_trial_ids_normalised_and_sorted():
    assert n.trial_ids("Registered as NCT 01234567.", "ISRCTN12345678 and NCT01234567") == \
        "ISRCTN12345678 NCT01234567"


def test_numbers_agree():
    assert n.numbers_agree("3", "3 45")              # a "[45 refs]" tail
    assert n.numbers_agree("10 000", "10000")
    assert not n.numbers_agree("1", "2")             # type 1 vs type 2 diabetes


# ------------------------------------------------------------------ vetoes

BASE = {"id": "", "title": "Exercise after stroke: a randomised controlled trial in older adults",
        "authors": "Smith, J; Jones, A", "year": 2019, "journal": "Stroke", "volume": "50", "issue": "3",
        "pages": "100-110", "doi": "", "type": "article", "abstract": ""}


def frame(*changes: dict) -> pd.DataFrame:
    rows = []
    for k, change in enumerate(changes):
        row = dict(BASE, id=str(k + 1))
        row.update(change)
        rows.append(row)
    return pd.DataFrame(rows)


def veto(a: dict, b: dict) -> str:
    vetoes = Vetoes(prepare(frame(a, b)))
    return vetoes.reasons(np.array([0]), np.array([1]))[0]


@pytest.mark.parametrize("a, b, reason", [
    ({"doi": "10.1000/a"}, {"doi": "10.1000/b"}, "different DOIs"),
    ({"pages": "100-110"}, {"pages": "200-210", "volume": ""}, "different pages"),
    # title, authors, journal, volume and year agree, but a single author's column recurs in every issue
    ({"authors": "Weber, R", "pages": "100-110"}, {"authors": "Weber, R", "pages": "200-210", "issue": "4"},
     "different pages"),
    # a reprint in a later issue needs the same long title: a short one is a recurring heading
    ({"title": "Stroke in 2019", "pages": "100-110"}, {"title": "Stroke in 2019", "pages": "200-210"},
     "different pages"),
    ({"doi": "10.1016/j.appet.2012.05.003"}, {"doi": "10.1016/j.stroke.2012.05.039", "title": "Other words"},
     "different DOIs"),
    ({"doi": "10.1000/a", "abstract": "Background: one thing we did."},
     {"doi": "10.1000/b", "abstract": "Background: another thing altogether, in other words."}, "different DOIs"),
    ({"volume": "50"}, {"volume": "51", "pages": ""}, "different volumes"),
    ({"issue": "3"}, {"issue": "4", "pages": ""}, "different issues"),
    ({}, {"title": "Erratum: " + BASE["title"], "pages": "111"}, "erratum/retraction vs the article"),
    ({}, {"type": "Comment", "pages": "111"}, "comment/reply vs the article"),
    ({"title": "Reply: " + BASE["title"]}, {}, "comment/reply vs the article"),   # even on the same page
    ({"type": "Conference Abstract", "volume": "49", "pages": "", "issue": ""}, {},
     "conference abstract vs journal article"),
    ({"abstract": "Registered NCT01234567."}, {"abstract": "Registered NCT07654321."}, "different trial registrations"),
    ({"title": BASE["title"] + ": part 1"}, {"title": BASE["title"] + ": part 2"}, "different parts of a series"),
    ({"year": 2015}, {"year": 2019}, "years more than one apart"),
])
def test_each_veto(a, b, reason):
    assert veto(a, b) == reason


@pytest.mark.parametrize("a, b", [
    ({"pages": "487-488"}, {"pages": "488"}),                      # one page inside the other's range
    ({"pages": "e12724"}, {"pages": "1-6"}),                       # article number vs printed pages
    ({"issue": "2-3"}, {"issue": "3"}),
    ({"doi": "10.1000/A"}, {"doi": "https://doi.org/10.1000/a"}),
    ({"year": 2018}, {"year": 2019}),                              # ahead of print
    ({"volume": "1"}, {"volume": "58"}),                           # same title, authors, first page and year
    ({"type": "Conference Abstract"}, {}),                         # same volume and pages: the printed abstract
    # a corrected version reprinted in a later issue: same long title, authors, journal, volume, year
    ({"pages": "100-110"}, {"pages": "200-210", "issue": "7"}),
    ({"pages": "1-6", "volume": "", "issue": ""}, {"pages": "2422-2427"}),   # online-first pagination
    ({"issue": "791", "pages": ""}, {"issue": "3", "pages": "791"}),  # article number in the issue field
    ({"volume": "1", "issue": "", "pages": "i22"}, {"volume": "16", "issue": "Suppl. 1", "pages": ""}),
    ({"volume": "", "issue": "50", "pages": "3"}, {}),              # exported one column off
    ({"title": "Erratum: " + BASE["title"]}, {}),                   # one printed item, same pages
    ({"pages": "532, 534-536, 538-540"}, {"pages": "532-536"}),      # a page list with gaps
    ({"journal": "Appetite", "doi": "10.1016/j.regpep.2012.05.039", "pages": "e24"},
     {"journal": "Appetite", "doi": "10.1016/j.appet.2012.05.003", "pages": "e24"}),   # misattached DOI
    # printed twice by the publisher: same title, authors and abstract, other DOI, volume, pages, year
    ({"doi": "10.1000/a", "abstract": "Background: one thing we did.", "year": 2009, "volume": "24", "pages": "46-54"},
     {"doi": "10.1000/b", "abstract": "Background: one thing we did.", "year": 2010, "volume": "25", "pages": "56-64"}),
])
def test_no_veto_for_noise(a, b):
    assert veto(a, b) == ""


# ------------------------------------------------------------------ outcomes and clusters

def decisions(table: pd.DataFrame) -> list[str]:
    return deduplicate(table).records["decision"].tolist()


def test_exact_doi_merges_despite_messy_title():
    table = frame({"doi": "10.1000/x"}, {"doi": "10.1000/X", "title": BASE["title"].upper() + ". [Chinese]",
                                      "authors": "Smith, John; Jones, Anne"})
    result = deduplicate(table)
    assert result.records["decision"].tolist() == ["unique", "duplicate"]
    assert result.merged_pairs["rule"].tolist() == ["exact:doi"]


def test_shared_supplement_doi_with_different_titles_is_not_a_merge():
    table = frame({"doi": "10.2337/db18-supplement1", "title": "Insulin pumps in adolescents with type 1 diabetes",
                   "pages": "A12"},
                  {"doi": "10.2337/db18-supplement1", "title": "Statins after myocardial infarction in older women",
                   "authors": "Lee, K; Park, J", "pages": "A13"})
    assert decisions(table) == ["unique", "unique"]


def test_fuzzy_duplicate_with_typo_initials_and_ahead_of_print():
    table = frame({}, {"title": BASE["title"].replace("randomised", "randomsied"), "authors": "Smith, John; Jones, Anne",
                       "year": 2018, "volume": "", "issue": "", "pages": ""})
    assert decisions(table) == ["unique", "duplicate"]


def test_similar_but_unconfirmed_pair_is_possible():
    table = frame({"journal": "", "volume": "", "issue": "", "pages": ""},
                  {"title": BASE["title"].replace("older adults", "elderly adults"),
                   "journal": "", "volume": "", "issue": "", "pages": ""})
    result = deduplicate(table)
    assert result.records["decision"].tolist() == ["unique", "possible"]
    assert len(result.possible_pairs) == 1


def test_unrelated_records_are_distinct():
    table = frame({}, {"title": "Statins after myocardial infarction in older women", "authors": "Lee, K"})
    assert decisions(table) == ["unique", "unique"]


def test_chain_never_joins_two_vetoed_records():
    # B has no DOI and matches both A and C; A and C carry different DOIs: B may join one of them only
    table = frame({"doi": "10.1000/a"}, {"doi": ""}, {"doi": "10.1000/c"})
    result = deduplicate(table)
    clusters = result.records["cluster_id"].tolist()
    assert clusters[0] != clusters[2]
    assert clusters[1] in (clusters[0], clusters[2])
    blocked = result.possible_pairs
    assert len(blocked) == 1 and "not merged" in blocked["note"].iloc[0]


def test_consistent_clusters_check_every_cross_pair():
    prepared = prepare(frame({"doi": "10.1000/a"}, {}, {}, {"doi": "10.1000/d"}))
    groups = ConsistentClusters(4, Vetoes(prepared))
    assert groups.try_union(0, 1) == ""
    assert groups.try_union(2, 3) == ""
    assert groups.try_union(1, 2) == "different DOIs within the cluster"
    assert groups.find(1) != groups.find(2)


def test_identifier_outweighs_a_conflict_for_the_whole_cluster():
    # B (final, DOI) and C (ahead of print, DOI, other year) are one record by their DOI; A matches B
    # field for field: A's year conflict with C is the one the DOI outweighed already
    table = frame({"year": 2012, "pages": "", "volume": "6"}, {"year": 2012, "doi": "10.1000/x", "pages": "", "volume": "6"},
                  {"year": 2008, "doi": "10.1000/x", "pages": "", "volume": ""})
    assert len(set(deduplicate(table).records["cluster_id"])) == 1
    # ... but never a DOI conflict: D carries another DOI
    prepared = prepare(frame({"doi": "10.1000/x"}, {"doi": "10.1000/x", "year": 2015}, {"doi": "10.1000/d"}))
    groups = ConsistentClusters(3, Vetoes(prepared))
    assert groups.try_union(0, 1) == ""
    assert groups.try_union(1, 2) == "different DOIs within the cluster"


def test_swapped_names_and_translated_journal_still_merge():
    swapped = frame({"authors": "Carignani, Andrea; Negri, Lorenzo", "journal": "", "volume": "", "issue": "",
                     "pages": ""},
                    {"authors": "Andrea, C.; Lorenzo, N.", "journal": "", "volume": "", "issue": "", "pages": ""})
    assert decisions(swapped) == ["unique", "duplicate"]
    abstract = "Success of software projects depends on the skills of developers in the teams we studied."
    translated = frame({"journal": "Jinko Chino Gakkai Ronbunshi", "pages": "", "abstract": abstract},
                       {"journal": "Transactions of the Japanese Society for Artificial Intelligence",
                        "abstract": abstract})
    assert sorted(decisions(translated)) == ["duplicate", "unique"]


def test_reviewer_verdicts_beat_rules():
    table = frame({}, {}, {"title": "Statins after myocardial infarction in older women"})
    result = deduplicate(table, same=[(0, 2)], different=[(0, 1)])
    clusters = result.records["cluster_id"].tolist()
    assert clusters[0] == clusters[2] != clusters[1]


def test_blocking_finds_pairs_without_comparing_everything():
    rng = np.random.default_rng(1)
    words = BASE["title"].split() + "heart lung kidney liver brain cancer insulin diet sleep pain".split()
    rows = [dict(BASE, id=str(k), title=" ".join(rng.choice(words, size=9)), authors=f"Author{k}, A",
                 pages=f"{k * 10}-{k * 10 + 5}", volume=str(k)) for k in range(1000)]
    rows.append(dict(BASE, id="dup", title=rows[17]["title"], authors=rows[17]["authors"], pages=rows[17]["pages"],
                     volume=rows[17]["volume"]))
    prepared = prepare(pd.DataFrame(rows))
    pairs = candidate_pairs(prepared)
    assert ((pairs["a"] == 17) & (pairs["b"] == 1000)).any()
    assert len(pairs) < 1000 * 999 / 2 / 20


def test_display_fields_come_from_the_most_complete_member():
    table = frame({"doi": "10.1000/x", "abstract": "", "journal": ""},
                  {"doi": "10.1000/x", "abstract": "Background: something.", "type": "article"})
    result = deduplicate(table)
    works = display_fields(table, result)
    assert len(works) == 1
    assert works.loc[0, "abstract"] == "Background: something."
    assert works.loc[0, "journal"] == "Stroke"
    assert result.records["decision"].tolist() == ["duplicate", "unique"]


def test_generic_titles_need_more_than_title_and_authors():
    editorial = {"title": "Editor's comments", "authors": "Weber, Ron", "journal": "MIS Quarterly", "volume": "26",
                 "pages": "", "year": 2002}
    # one editor's comments in each issue of a volume: the issues keep them apart
    assert decisions(frame(dict(editorial, issue="1"), dict(editorial, issue="2"))) == ["unique", "unique"]
    # with no issue or pages to tell, the pair is not merged automatically
    assert decisions(frame(dict(editorial, issue="", journal=""), dict(editorial, issue="", journal=""))) \
        != ["unique", "duplicate"]


# ------------------------------------------------------------------ parallel journal titles

def test_parallel_titles_give_each_title_of_the_journal():
    assert n.parallel_titles("Ai zheng = Aizheng = Chinese journal of cancer") == \
        ["ai zhe aiz chi can", "ai zhe", "aiz", "chi can"]
    # a part's subtitle is cut off, but never down to one word: "CMAJ" is "cma", a key many journals share
    assert n.parallel_titles("Ulusal Travma Dergisi = Turkish Journal of Trauma: TJTES") == \
        ["ulu tra der tur tra tjt", "ulu tra der", "tur tra tjt", "tur tra"]
    assert "cma" not in n.parallel_titles("CMAJ : Canadian Medical Association journal = journal de l'AMC")
    assert n.parallel_titles("Ai zheng") == []


def test_journal_aliases_join_the_titles_one_record_names_together():
    aliases = n.journal_aliases(["Aizheng", "Chinese Journal of Cancer", "Stroke",
                                 "Ai zheng = Aizheng = Chinese journal of cancer"])
    assert aliases["aiz"] == aliases["chi can"] == "ai zhe aiz chi can"
    assert "str" not in aliases
    assert n.journal_aliases(["Aizheng", "Chinese Journal of Cancer"]) == {}


EDITION = {"title": "Gene therapy with cisplatin for malignant pleural effusion in lung cancer",
           "authors": "Zhao, W; Wang, J; Li, W", "year": 2009, "volume": "28", "issue": "", "doi": ""}


def test_parallel_title_journal_joins_the_language_editions():
    # one article in a journal's Chinese and English editions: other pages, one volume and year
    chinese = dict(EDITION, journal="Aizheng", pages="1324-1327")
    english = dict(EDITION, journal="Chinese Journal of Cancer", pages="84-87")
    both = dict(EDITION, journal="Ai zheng = Aizheng = Chinese journal of cancer", pages="1324-1327")
    assert len(set(deduplicate(frame(chinese, english, both)).records["cluster_id"])) == 1
    # nothing in the records says the two names are one journal: the page conflict stands
    assert veto(chinese, english) == "different pages"
    assert decisions(frame(chinese, english)) == ["unique", "unique"]


# ------------------------------------------------------------------ names as the export wrote them

def test_names_as_written_from_raw_tags():
    from searchflow.dedup.tables import names_as_written
    assert names_as_written([("TY", "JOUR"), ("AU", "Xiaoguang, Wang"), ("AU", "Junping, Liu")]) == \
        "Xiaoguang, Wang; Junping, Liu"
    # Web of Science gives full names (AF) beside initials (AU): the full ones win
    assert names_as_written([("AU", "Zhao, ZQ"), ("AF", "Zhao, Ziqi")]) == "Zhao, Ziqi"
    assert names_as_written([("\ufeffauthor", "Ronco, G and Giorgi, Rossi P")]) == "Ronco, G and Giorgi, Rossi P"
    assert names_as_written([("FAU", ["Smith,", "John"])]) == "Smith, John"     # MEDLINE's continued lines
    assert names_as_written([("title", "No names here")]) == ""


def test_importer_keeps_swapped_names_visible(tmp_path):
    from searchflow.dedup.standalone import dedup_files
    # Paolo Giorgi Rossi, once "Rossi, P G" and once "Giorgi, Rossi P" (the family name split at the
    # wrong space); the CSV importer keeps "Giorgi, RP", so only the names as written show the swap
    path = tmp_path / "refs.csv"
    path.write_text(
        "ID,title,author,year,journal,volume,pages\n"
        "a,New paradigms in screening for cervical cancer: chances and risks,\"Ronco, G and Rossi, P G\","
        "2008,BMC Women's Health,8,\n"
        "b,New paradigms in screening for cervical cancer: chances and risks,\"Ronco, G and Giorgi, Rossi P\","
        "2008,BMC Women's Health,8,23\n", encoding="utf-8")
    table, _ = dedup_files([path], id_column="ID")
    assert sorted(table["decision"]) == ["duplicate", "unique"]


# ------------------------------------------------------------------ in the wild: look-alike distinct records

def outcome(*records: dict) -> tuple[list[str], pd.DataFrame]:
    result = deduplicate(pd.DataFrame([dict(BASE, id=str(k + 1), **r) for k, r in enumerate(records)]))
    return result.records["decision"].tolist(), result.pairs


ANNOUNCEMENTS = {"title": "Announcements", "authors": "Davies, A", "year": 2006, "journal": "BMC Public Health",
                 "volume": "23", "issue": "8", "pages": "502", "abstract": ""}


@pytest.mark.parametrize("title", ["Editorial", "In this issue", "Meeting abstracts", "Intrapleural therapy"])
def test_generic_and_short_titles_are_generic(title):
    assert prepare(frame({"title": title}))["generic"].tolist() == [True]
    assert not n.generic_title(n.title_key(BASE["title"]))


def test_generic_title_in_another_journal_is_a_veto():
    other = dict(ANNOUNCEMENTS, authors="Davis, C", journal="Scandinavian Journal of Public Health", volume="3",
                 issue="6")
    assert veto(ANNOUNCEMENTS, other) == "generic title in another journal"
    assert outcome(ANNOUNCEMENTS, other)[0] == ["unique", "unique"]


def test_generic_title_in_another_volume_is_a_veto():
    assert veto(ANNOUNCEMENTS, dict(ANNOUNCEMENTS, volume="24")) == "generic title in another volume"


def test_generic_title_merges_on_the_whole_citation_or_an_identifier():
    copy = dict(ANNOUNCEMENTS, authors="Davies, Alan", journal="BMC Public Health [Electronic Resource]")
    decisions, pairs = outcome(ANNOUNCEMENTS, copy)
    assert decisions == ["unique", "duplicate"]
    assert pairs["rule"].tolist() == ["fuzzy:generic-title+full-citation"]
    # same journal and year, nothing else to go on: two editorials
    bare = dict(ANNOUNCEMENTS, volume="", issue="", pages="")
    assert outcome(bare, dict(bare, authors="Davies, Alan"))[0] == ["unique", "unique"]
    # ... unless the DOI says they are one
    with_doi = dict(bare, doi="10.1186/1471-2458-6-502")
    assert outcome(with_doi, dict(with_doi, journal="Other Journal"))[0] == ["unique", "duplicate"]


def test_generic_title_with_another_page_is_not_a_duplicate():
    decisions, _ = outcome(ANNOUNCEMENTS, dict(ANNOUNCEMENTS, pages="610"))
    assert decisions == ["unique", "unique"]


def test_same_title_and_authors_in_another_venue_is_not_a_duplicate():
    paper = {"title": "Interpretive accounts of nursing practice: a critical polemic against empiricism",
             "authors": "Stahl, Bernd Carsten", "year": 2014, "volume": "23", "issue": "", "pages": "",
             "journal": "Journal of Clinical Nursing"}
    other = dict(paper, journal="Journal of Advanced Nursing")
    decisions, pairs = outcome(paper, other)
    assert decisions == ["unique", "possible"]
    assert pairs["note"].tolist() == ["held for review: another journal"]
    doi = "10.1057/ejis.2012.58"
    assert outcome(dict(paper, doi=doi), dict(other, doi=doi))[0] == ["unique", "duplicate"]


def test_versions_a_year_apart_one_without_a_venue_are_not_merged():
    article = {"title": "Platform work and the wellbeing of older adults in rural communities",
               "authors": "Smith, John; Jones, Anne", "year": 2020}
    working_paper = dict(article, year=2019, journal="", volume="", issue="", pages="")
    decisions, pairs = outcome(article, working_paper)
    assert decisions == ["unique", "possible"]
    assert pairs["note"].tolist() == ["held for review: a year apart, one without a venue"]


def test_different_pmids_are_distinct_unless_everything_else_agrees():
    decisions, pairs = outcome({"pmid": "111"}, {"pmid": "222", "pages": "120-130"})
    assert decisions == ["unique", "unique"] and pairs.empty
    decisions, pairs = outcome({"pmid": "111"}, {"pmid": "222"})
    assert decisions == ["unique", "possible"]
    assert pairs["rule"].tolist() == ["review:same-record-other-identifier"]


def test_different_accession_numbers_of_one_database_are_distinct():
    decisions, _ = outcome({"accession": "embase:L1"}, {"accession": "embase:L2", "pages": "120-130"})
    assert decisions == ["unique", "unique"]
    assert outcome({"accession": "embase:L1"}, {"accession": "embase:L2"})[0] == ["unique", "possible"]
    # numbers of two databases say nothing against each other
    assert outcome({"accession": "embase:L1"}, {"accession": "medline:2", "issue": ""})[0] == ["unique", "duplicate"]


def test_series_titles_that_differ_by_their_number_are_distinct():
    stem = "Clinical problem-solving series in general internal medicine: case {}"
    decisions, pairs = outcome({"title": stem.format(12), "pages": ""}, {"title": stem.format(13), "pages": ""})
    assert decisions == ["unique", "unique"] and pairs.empty


def test_short_record_next_to_the_full_record():
    full = {"doi": "10.1000/x", "abstract": "Background: something we measured."}
    short = {"authors": "J. Smith, A. Jones", "journal": "", "volume": "", "issue": "", "pages": ""}
    assert outcome(full, short)[0] == ["unique", "possible"]
    assert outcome(full, dict(short, pages="100-110"))[0] == ["unique", "duplicate"]
    assert outcome(full, dict(short, doi="10.1000/X"))[0] == ["unique", "duplicate"]


def test_online_first_version_next_to_the_issue_version():
    issue_version = {"year": 2020, "volume": "45", "issue": "3", "pages": "233-244"}
    online_first = {"year": 2019, "volume": "", "issue": "", "pages": "1-12", "authors": "Smith, John; Jones, Anne"}
    decisions, pairs = outcome(issue_version, online_first)
    assert decisions == ["unique", "possible"]
    assert "online-first" in pairs["note"].iloc[0]
    doi = {"doi": "10.1000/online"}
    assert outcome(dict(issue_version, **doi), dict(online_first, **doi))[0] == ["unique", "duplicate"]


# ------------------------------------------------------------------ bounded candidate generation

def test_a_series_of_thousands_gives_pairs_in_proportion_to_its_size():
    stem = "Weekly influenza surveillance report of the regional network, number {}"
    rows = [dict(BASE, id=str(k), title=stem.format(k), pages=f"{k}-{k + 3}", pmid=str(1000 + k))
            for k in range(3000)]
    # another database's copy of one report: no PMID, abbreviated journal
    rows.append(dict(rows[1234], id="copy", pmid="", journal="Stroke."))
    table = pd.DataFrame(rows)
    pairs = candidate_pairs(prepare(table))
    assert len(pairs) < 3001 * 30                   # all pairs of the block would be 4.5 million
    assert ((pairs["a"] == 1234) & (pairs["b"] == 3000)).any()
    result = deduplicate(table)
    assert result.records["cluster_id"][1234] == result.records["cluster_id"][3000]
    assert result.stats["works"] == 3000 and result.possible_pairs.empty


def test_dedup_reports_its_progress_through_every_step(monkeypatch):
    from contextlib import contextmanager

    from searchflow.dedup import engine
    seen = []

    @contextmanager
    def recording(label, **_):
        yield lambda done, total: seen.append((done, total))
    monkeypatch.setattr(engine, "CHUNK_PAIRS", 1)       # one pair a chunk: a step per pair
    monkeypatch.setattr(engine, "progress", recording)
    deduplicate(frame({}, {}, {"doi": "10.1000/x"}))
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    assert seen[-1][0] == seen[-1][1] >= 6              # prepare, pair, 3 pairs compared, cluster


def test_completeness_reads_a_column_no_record_fills(recwarn):
    """A small project can have a column every record leaves empty: pandas reads it as float NaN,
    which a text fill would refuse in a future pandas."""
    frame = pd.DataFrame({name: [np.nan, np.nan] for name in n.INPUT_COLUMNS})
    frame["title"] = ["Link workers", "Social prescribing"]
    frame["doi"] = ["10.1/x", np.nan]
    assert list(n.completeness(frame)) == [3.0, 1.0]
    assert not [w for w in recwarn if "fill value" in str(w.message)]
