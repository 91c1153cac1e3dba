"""Reading E-utilities replies: real recorded PubmedArticleSet/esearch/elink files, plus shapes no recording has."""
from __future__ import annotations

import hashlib
import json

import pytest

from conftest import FIXTURES, SHARED_DATA, shared_file
from pubmed_fakes import EFETCH_HEAD, article_xml, articleset
from searchflow.sources.pubmed_xml import (
    CorruptResponse, EfetchResult, NcbiError, encoded_records, parse_efetch, peek_efetch, read_efetch, read_elink,
    read_esearch,
)
from searchflow.store.encoding import encode_record


def records_of(name: str):
    return list(parse_efetch(shared_file("eutils", "efetch", name).read_bytes()))


def raw_values(record, name):
    return [value for key, value in record.raw if key == name]


def test_structured_abstract_keeps_labels_and_literal_less_than():
    (record,) = records_of("efetch_pubmed_html_escaping.xml")
    assert record.pmid == "28775130"
    sections = record.abstract.split("\n")
    assert [s.split(":")[0] for s in sections] == ["OBJECTIVES", "METHODS", "RESULTS", "CONCLUSIONS"]
    # <sub>Q3</sub> flattened, "&lt;" kept as the character it stands for
    assert "OR Q3" in record.abstract or "ORQ3" in record.abstract
    assert "<sub>" not in record.abstract and "<" in record.abstract
    assert [k for k, _ in record.raw if k.startswith("AbstractText")][:2] == ["AbstractText[OBJECTIVES]", "AbstractText[METHODS]"]
    assert record.doi == "10.1136/oemed-2017-104431" and record.pmcid == "PMC5771820"
    assert record.keywords[:2] == ["agriculture", "hypothyroidism"]


def test_inline_html_and_mathml_flattened_in_title_and_abstract():
    (tert,) = records_of("efetch_pubmed_structured_abstract_html_tags.xml")
    assert tert.title == ("Leucocyte telomere length, genetic variants at the TERT gene region and risk of "
                          "pancreatic cancer.")
    (lactate,) = records_of("efetch_pubmed_mathml.xml")
    assert lactate.title.startswith('A "Blood Relationship" Between')
    (pipeline,) = records_of("efetch_pubmed_mathml_nonascii.xml")
    assert "mml:" not in pipeline.abstract and "<" not in pipeline.abstract
    assert "inhaled He 3" in pipeline.abstract


def test_ids_come_from_the_citation_not_its_references():
    (record,) = records_of("efetch_pubmed_mathml_nonascii.xml")   # 49 references with their own ids
    assert record.pmid == "29963580"
    assert record.pmcid == "PMC6022861"
    assert record.doi == "10.1117/1.jmi.5.2.026002"
    assert raw_values(record, "PMID") == ["29963580"]
    orcids = raw_values(record, "Author.Identifier[ORCID]")
    assert orcids == ["https://orcid.org/0000-0002-4590-7461", "https://orcid.org/0000-0003-3525-2788"]
    assert record.authors[-1] == "Canadian Respiratory Research Network"   # collective name last


def test_collective_author_season_date_and_review_type():
    (record,) = records_of("efetch_pubmed_collective_name.xml")
    assert record.authors == ["Guideline Development Panel for the Treatment of Depressive Disorders"]
    assert raw_values(record, "CollectiveName") == record.authors
    spring, chromatium = records_of("efetch_pubmed_2025dtd_minimal.xml")
    assert raw_values(spring, "PubDate") == ["1990 Spring"] and spring.year == 1990
    assert spring.type == "review"
    assert chromatium.year == 1976 and chromatium.pages == "179-191"
    assert chromatium.journal_abbrev == "Biochim Biophys Acta" and chromatium.issn == ["0006-3002"]


def test_errata_and_corrections_are_visible():
    (erratum,) = records_of("efetch_pubmed_published_erratum.xml")
    assert erratum.type == "erratum"
    assert any(k == "CommentsCorrections[ErratumFor]" for k, _ in erratum.raw)
    (corrected,) = records_of("efetch_pubmed_erratum_in.xml")
    assert corrected.type == "article"
    assert any(k == "CommentsCorrections[ErratumIn]" for k, _ in corrected.raw)


def test_vernacular_title_and_languages():
    (record,) = records_of("efetch_pubmed_vernacular_title_nor.xml")
    assert record.title.startswith("Patients over 75 years")
    (vernacular,) = raw_values(record, "VernacularTitle")
    assert "ø" in vernacular or "å" in vernacular
    assert record.language == "eng; nor"
    assert record.authors[0] == "Bruserud, Ø"


def test_mesh_headings_keep_major_topic_marks():
    (record,) = records_of("efetch_pubmed_structured_abstract_commentin.xml")
    mesh = raw_values(record, "MeshHeading")
    assert mesh and any(m.startswith("*") or "/*" in m for m in mesh)
    assert "Humans" in record.keywords


def test_book_without_article_title_is_a_book_with_editors_not_authors():
    (book,) = records_of("efetch_pubmed_book_genereviews.xml")   # http:// DTD: Entrez.read would refuse it
    assert book.pmid == "20301295" and book.type == "book"
    assert book.title == "GeneReviews™" and book.year == 1993
    assert book.accession == {"pubmed": "20301295", "bookaccession": "NBK1116"}
    assert book.authors == [] and raw_values(book, "Editor")[0] == "Pagon, Roberta A"
    assert book.abstract.startswith("GeneReviews are expert-authored")


def test_empty_set_has_no_records():
    assert records_of("efetch_pubmed_empty_set.xml") == []


def test_every_real_efetch_file_parses_with_pmid_title_and_year():
    for name in ("efetch_pubmed_2025dtd_entity.xml", "efetch_pubmed_two_articles_2013.xml",
                 "efetch_pubmed_corrigendum.xml"):
        for record in records_of(name):
            assert record.pmid and record.title and record.year
            assert record.url == f"https://pubmed.ncbi.nlm.nih.gov/{record.pmid}/"


CONSTRUCTED = EFETCH_HEAD + """<PubmedArticleSet>
<PubmedBookArticle><BookDocument><PMID Version="1">29083762</PMID>
 <ArticleIdList><ArticleId IdType="bookaccession">NBK459123</ArticleId></ArticleIdList>
 <Book><Publisher><PublisherName>StatPearls Publishing</PublisherName></Publisher>
  <BookTitle book="statpearls">StatPearls</BookTitle><PubDate><Year>2024</Year><Month>01</Month></PubDate>
  <Isbn>9780000000002</Isbn></Book>
 <LocationLabel Type="chapter">Link workers</LocationLabel>
 <ArticleTitle book="statpearls" part="article-1">Social <i>prescribing</i></ArticleTitle>
 <Language>eng</Language>
 <AuthorList Type="authors"><Author><LastName>Rahman</LastName><ForeName>Ayesha</ForeName><Initials>A</Initials></Author></AuthorList>
 <PublicationType UI="D000072">Study Guide</PublicationType>
</BookDocument><PubmedBookData><ArticleIdList><ArticleId IdType="pubmed">29083762</ArticleId></ArticleIdList></PubmedBookData></PubmedBookArticle>
<PubmedArticle><MedlineCitation Status="MEDLINE"><PMID Version="1">10000001</PMID><Article>
 <Journal><JournalIssue><Volume>3</Volume><PubDate><MedlineDate>1998 Dec-1999 Jan</MedlineDate></PubDate></JournalIssue>
 <Title>Old journal</Title></Journal><ArticleTitle>Winter issue.</ArticleTitle>
 <ELocationID EIdType="doi">10.1000/OLD.1</ELocationID>
 <AuthorList><Author><LastName>Smith</LastName><ForeName>John</ForeName><Initials>J</Initials><Suffix>Jr</Suffix></Author></AuthorList>
 <Language>eng</Language></Article>
 <OtherAbstract Type="Publisher" Language="fre"><AbstractText>Résumé.</AbstractText></OtherAbstract>
</MedlineCitation><PubmedData><ArticleIdList><ArticleId IdType="pubmed">10000001</ArticleId></ArticleIdList></PubmedData></PubmedArticle>
</PubmedArticleSet>"""


def test_chapter_then_article_in_reply_order_with_medline_date():
    chapter, article = parse_efetch(CONSTRUCTED.encode())
    assert chapter.type == "chapter" and chapter.title == "Social prescribing"
    assert chapter.journal == "StatPearls" and chapter.isbn == ["9780000000002"] and chapter.year == 2024
    assert chapter.authors == ["Rahman, A"] and ("LocationLabel[chapter]", "Link workers") in chapter.raw
    assert article.year == 1998 and ("PubDate", "1998 Dec-1999 Jan") in article.raw
    assert article.doi == "10.1000/old.1"           # ELocationID when ArticleIdList has no DOI
    assert ("Author", "Smith, John Jr") in article.raw and article.authors == ["Smith, J"]
    assert ("OtherAbstract[fre]", "Résumé.") in article.raw
    assert article.type == "article" and article.pmcid == ""


def test_efetch_reply_checks():
    assert read_efetch(CONSTRUCTED.encode()).pmids == ["29083762", "10000001"]     # reply order
    with pytest.raises(CorruptResponse):
        read_efetch(CONSTRUCTED.encode()[:-40])                   # truncated
    with pytest.raises(CorruptResponse):
        read_efetch(b"<html><body>Bad gateway</body></html>")      # a proxy's error page
    refused = read_efetch(b"<eFetchResult><ERROR>Unable to obtain query #1</ERROR></eFetchResult>")
    assert isinstance(refused, NcbiError) and "query #1" in refused.message


def test_records_keep_their_place_in_the_reply():
    body = CONSTRUCTED.replace("<PubmedArticleSet>", "<PubmedArticleSet><DeleteCitation><PMID>7</PMID></DeleteCitation>")
    records = parse_efetch(body.encode())
    assert [(r.pmid, r.line) for r in records] == [("29083762", 2), ("10000001", 3)]   # line 1: the DeleteCitation
    assert [(r.pmid, r.line) for r in read_efetch(body.encode()).records] == [("29083762", 2), ("10000001", 3)]
    assert list(parse_efetch(b"<eFetchResult><ERROR>Unable to obtain query #1</ERROR></eFetchResult>")) == []
    assert list(parse_efetch((EFETCH_HEAD + "<ERROR>Search Backend failed</ERROR>").encode())) == []
    with pytest.raises(CorruptResponse, match="not well-formed"):
        list(parse_efetch(CONSTRUCTED.encode()[:-40]))               # truncated
    with pytest.raises(CorruptResponse, match="expected <PubmedArticleSet>, got <Other>"):
        list(parse_efetch((EFETCH_HEAD + "<Other><DeleteCitation/></Other>").encode()))


def test_real_esearch_replies():
    history = read_esearch(shared_file("eutils", "esearch", "esearch_usehistory_webenv.xml").read_bytes())
    assert history.count == 42249 and len(history.ids) == 100
    assert history.webenv == "MCID_6927d6e7fee3e90f880ec190" and history.query_key == "1"
    translated = read_esearch(shared_file("eutils", "esearch", "esearch_retstart_translationset.xml").read_bytes())
    assert translated.count == 2651 and '"proc natl acad sci u s a"[Journal]' in translated.translation
    nothing = read_esearch(shared_file("eutils", "esearch", "esearch_protein_phrase_not_found.xml").read_bytes())
    assert nothing.count == 0 and "PhraseNotFound: abcXYZ" in nothing.notes
    body = shared_file("eutils", "esearch", "esearch_usehistory_webenv.xml").read_bytes()
    with pytest.raises(CorruptResponse):
        read_esearch(body[: len(body) // 2])
    refused = read_esearch(shared_file("eutils", "esummary", "esummary_error_no_id.xml").read_bytes())
    assert isinstance(refused, NcbiError) and "query_key" in refused.message


def test_real_elink_reply_one_linkset_per_seed():
    (linkset,) = read_elink(shared_file("eutils", "elink", "elink_neighbor_refs_citedin.xml").read_bytes())
    seed, links = linkset
    assert seed == "9298984"
    assert len(links["pubmed_pubmed_refs"]) == 56 and len(links["pubmed_pubmed_citedin"]) == 39
    merged = read_elink(shared_file("eutils", "elink", "elink_two_ids_commajoined_mindate.xml").read_bytes())
    assert len(merged) == 1 and "," in merged[0][0]     # what a comma-joined id= gives: seeds mixed


# What reader version 2 gave for these replies (before replies were read once, as they arrive, in
# reader processes), as digests of every field a record stores: making it faster must not change one.
READER_V2 = json.loads((FIXTURES / "pubmed" / "reader_v2_records.json").read_text())
FIELDS = ("raw", "line", "title", "abstract", "authors", "year", "journal", "journal_abbrev", "volume", "issue",
          "pages", "doi", "pmid", "pmcid", "accession", "issn", "isbn", "type", "language", "keywords", "url",
          "databases")


def digests(records):
    return [hashlib.sha256(repr([getattr(r, f) for f in FIELDS]).encode()).hexdigest()[:20] for r in records]


def replies():
    """(name, body) of every reply the reader version 2 digests cover."""
    yield "pubmed_fakes rich", articleset(article_xml(p) for p in range(1000, 1040)).encode()
    yield "pubmed_fakes plain", articleset(article_xml(p, rich=False, year_only=p % 2 == 0)
                                           for p in range(1000, 1010)).encode()
    yield "test_pubmed_parse CONSTRUCTED", CONSTRUCTED.encode()
    for name in READER_V2:
        if name.endswith(".xml"):
            yield name, shared_file("eutils", "efetch", name).read_bytes()


def test_records_are_those_reader_version_2_gave():
    seen = []
    for name, body in replies():
        assert digests(parse_efetch(body)) == READER_V2[name], name
        assert digests(read_efetch(body).records) == READER_V2[name], name
        seen.append(name)
    assert sorted(seen) == sorted(READER_V2)
    assert len(READER_V2) > 10 and sum(map(len, READER_V2.values())) > 60
    real = sorted(p.name for p in (SHARED_DATA / "eutils" / "efetch").glob("*.xml"))
    assert real == sorted(n for n in READER_V2 if n.endswith(".xml"))     # a new recording needs its digests


def test_quick_check_agrees_with_the_full_read_and_reader_processes_store_the_same():
    for name, body in replies():
        full, quick = read_efetch(body), peek_efetch(body)
        assert isinstance(quick, EfetchResult) and quick.pmids == full.pmids, name
        assert encoded_records(body) == [(r.pmid, encode_record(r)) for r in full.records], name
    body = articleset(article_xml(p) for p in range(1000, 1003)).encode()
    for cut in (body[:-30], body[:len(body) // 2], body[:-len("</PubmedArticleSet>")]):
        with pytest.raises(CorruptResponse):
            peek_efetch(cut)                    # cut short: read whole, so retried at once
    garbled = body.replace(b"</ArticleTitle>", b"</ArticleTitel>", 1)
    assert peek_efetch(garbled).pmids == ["1000", "1001", "1002"]   # the pattern cannot tell: the full read can
    with pytest.raises(CorruptResponse, match="not well-formed"):
        encoded_records(garbled)
    refused = peek_efetch(b"<eFetchResult><ERROR>Unable to obtain query #1</ERROR></eFetchResult>")
    assert isinstance(refused, NcbiError)
