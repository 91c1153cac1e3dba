"""A pretend PubMed for tests and the benchmark: templated E-utilities replies over a synthetic corpus.

The real recorded replies live in ../shared/data/eutils; this module makes the ones no
recording has: searches past 10,000 hits, history sets that expire, faults.
"""
from __future__ import annotations

import re
import time
from datetime import date
from xml.sax.saxutils import escape

from werkzeug import Request, Response

from searchflow.sources.pubmed import PubMedSettings

EFETCH_HEAD = ('<?xml version="1.0" ?>\n<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, '
               '1st January 2025//EN" "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n')
ESEARCH_HEAD = ('<?xml version="1.0" encoding="UTF-8" ?>\n<!DOCTYPE eSearchResult PUBLIC "-//NLM//DTD esearch '
                '20060628//EN" "https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20060628/esearch.dtd">\n')
ELINK_HEAD = ('<?xml version="1.0" encoding="UTF-8" ?>\n<!DOCTYPE eLinkResult PUBLIC "-//NLM//DTD elink '
              '20101123//EN" "https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20101123/elink.dtd">\n')
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
SECTIONS = ("BACKGROUND", "METHODS", "RESULTS", "CONCLUSIONS")
SENTENCE = ("Community link workers connected {n} adults with long-term conditions to local groups; "
            "wellbeing scores rose by 0.{d} points (95% CI 0.1 to 0.{d}, p &lt; 0.05) over <i>twelve</i> months. ")


def settings_for(server, **changes) -> PubMedSettings:
    """Settings for the local ``server``: no pace limit (tests of the pace pass
    requests_per_second=None), near-instant retries, no progress bar."""
    values = dict(base_url=server.url_for("/"), email="reviewer@example.org", requests_per_second=0,
                  backoff=0.01, timeout=5.0, progress=False)
    values.update(changes)
    return PubMedSettings(**values)


def article_xml(pmid: int, published: date | None = None, *, year_only: bool = False, rich: bool = True) -> str:
    """One PubmedArticle: of realistic size (structured abstract, authors with ORCID, MeSH, ids),
    or with ``rich=False`` just title, date and ids (fast, for big test searches)."""
    published = published or date(2000 + pmid % 24, 1 + pmid % 12, 1 + pmid % 28)
    pub_date = (f"<Year>{published.year}</Year>" if year_only else
                f"<Year>{published.year}</Year><Month>{MONTHS[published.month - 1]}</Month><Day>{published.day}</Day>")
    if not rich:
        return (f'<PubmedArticle><MedlineCitation Status="MEDLINE"><PMID Version="1">{pmid}</PMID><Article>'
                f"<Journal><JournalIssue><PubDate>{pub_date}</PubDate></JournalIssue><Title>J Synth</Title></Journal>"
                f"<ArticleTitle>Study {pmid}.</ArticleTitle></Article></MedlineCitation><PubmedData><ArticleIdList>"
                f'<ArticleId IdType="pubmed">{pmid}</ArticleId></ArticleIdList></PubmedData></PubmedArticle>')
    abstract = "".join(
        f'<AbstractText Label="{label}" NlmCategory="{label}">{SENTENCE.format(n=pmid % 900 + i, d=i + 2) * 2}'
        f"</AbstractText>" for i, label in enumerate(SECTIONS))
    authors = "".join(
        f"<Author ValidYN=\"Y\"><LastName>Author{pmid % 97 + i}</LastName><ForeName>Jane {chr(65 + i)}</ForeName>"
        f"<Initials>J{chr(65 + i)}</Initials><Identifier Source=\"ORCID\">0000-0002-{pmid % 9000 + 1000}-{i:04d}"
        f"</Identifier><AffiliationInfo><Affiliation>Department {i}, University of Somewhere, UK.</Affiliation>"
        f"</AffiliationInfo></Author>" for i in range(6))
    mesh = "".join(
        f'<MeshHeading><DescriptorName UI="D{i:06d}" MajorTopicYN="{"Y" if i == 0 else "N"}">Heading {i}'
        f'</DescriptorName><QualifierName UI="Q{i:06d}" MajorTopicYN="N">therapy</QualifierName></MeshHeading>'
        for i in range(8))
    keywords = "".join(f'<Keyword MajorTopicYN="N">keyword {i}</Keyword>' for i in range(5))
    return (
        f'<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="1">{pmid}</PMID>'
        f'<Article PubModel="Print-Electronic"><Journal><ISSN IssnType="Electronic">1234-5678</ISSN>'
        f'<JournalIssue CitedMedium="Internet"><Volume>{pmid % 60}</Volume><Issue>{pmid % 12 + 1}</Issue>'
        f"<PubDate>{pub_date}</PubDate></JournalIssue><Title>Journal of synthetic studies</Title>"
        f"<ISOAbbreviation>J Synth Stud</ISOAbbreviation></Journal>"
        f"<ArticleTitle>Social prescribing study number {pmid}: <i>a</i> realist evaluation.</ArticleTitle>"
        f"<Pagination><StartPage>{pmid % 500 + 1}</StartPage><EndPage>{pmid % 500 + 9}</EndPage>"
        f"<MedlinePgn>{pmid % 500 + 1}-{pmid % 500 + 9}</MedlinePgn></Pagination>"
        f'<ELocationID EIdType="doi" ValidYN="Y">10.5555/synth.{pmid}</ELocationID>'
        f"<Abstract>{abstract}</Abstract><AuthorList CompleteYN=\"Y\">{authors}</AuthorList>"
        f'<Language>eng</Language><PublicationTypeList><PublicationType UI="D016428">Journal Article'
        f"</PublicationType></PublicationTypeList></Article><MedlineJournalInfo><Country>England</Country>"
        f"<MedlineTA>J Synth Stud</MedlineTA><NlmUniqueID>0000001</NlmUniqueID><ISSNLinking>1234-5678</ISSNLinking>"
        f"</MedlineJournalInfo><MeshHeadingList>{mesh}</MeshHeadingList>"
        f'<KeywordList Owner="NOTNLM">{keywords}</KeywordList></MedlineCitation>'
        f"<PubmedData><PublicationStatus>ppublish</PublicationStatus><ArticleIdList>"
        f'<ArticleId IdType="pubmed">{pmid}</ArticleId><ArticleId IdType="doi">10.5555/synth.{pmid}</ArticleId>'
        f'<ArticleId IdType="pmc">PMC{pmid + 100}</ArticleId></ArticleIdList></PubmedData></PubmedArticle>'
    )


def articleset(articles) -> str:
    return EFETCH_HEAD + "<PubmedArticleSet>" + "".join(articles) + "</PubmedArticleSet>"


def esearch_xml(count: int, ids, webenv: str = "", query_key: str = "", translation: str = "") -> str:
    history = f"<QueryKey>{query_key}</QueryKey><WebEnv>{webenv}</WebEnv>" if webenv else ""
    id_list = "".join(f"<Id>{i}</Id>" for i in ids)
    return (f"{ESEARCH_HEAD}<eSearchResult><Count>{count}</Count><RetMax>{len(ids)}</RetMax><RetStart>0</RetStart>"
            f"{history}<IdList>{id_list}</IdList><TranslationSet/>"
            f"<QueryTranslation>{escape(translation)}</QueryTranslation></eSearchResult>")


def elink_xml(linksets) -> str:
    """linksets: [(seed PMID, {link name: [PMIDs]})], one LinkSet each."""
    out = []
    for seed, links in linksets:
        dbs = "".join(
            f"<LinkSetDb><DbTo>pubmed</DbTo><LinkName>{name}</LinkName>"
            + "".join(f"<Link><Id>{i}</Id></Link>" for i in ids) + "</LinkSetDb>"
            for name, ids in links.items())
        out.append(f"<LinkSet><DbFrom>pubmed</DbFrom><IdList><Id>{seed}</Id></IdList>{dbs}</LinkSet>")
    return ELINK_HEAD + "<eLinkResult>" + "".join(out) + "</eLinkResult>"


def error_xml(root: str, message: str) -> str:
    return f'<?xml version="1.0" encoding="UTF-8" ?>\n<{root}><ERROR>{escape(message)}</ERROR></{root}>'


def xml_response(text: str | bytes, status: int = 200) -> Response:
    return Response(text, status=status, content_type="text/xml; charset=UTF-8")


def _day(value: str, end: bool) -> date:
    parts = [int(p) for p in value.split("/")] + [0, 0]
    year, month, day = parts[:3]
    if end:
        return date(year, month or 12, day or 31)
    return date(year, month or 1, day or 1)


SERIES_AUTHORS = ("Okafor", "Lindqvist", "Moreau", "Tanaka")


def series_article_xml(pmid: int, published: date) -> str:
    """One report of a long series: the same authors, journal and title stem in every one, a number
    (the PMID here) and the pages telling them apart, as a surveillance network's weekly reports."""
    authors = "".join(f"<Author ValidYN=\"Y\"><LastName>{name}</LastName><Initials>{chr(65 + i)}</Initials></Author>"
                      for i, name in enumerate(SERIES_AUTHORS))
    page = pmid % 5000 + 1
    return (f'<PubmedArticle><MedlineCitation Status="MEDLINE"><PMID Version="1">{pmid}</PMID><Article>'
            f"<Journal><JournalIssue><Volume>{published.year - 1990}</Volume><Issue>{published.month}</Issue>"
            f"<PubDate><Year>{published.year}</Year></PubDate></JournalIssue>"
            f"<Title>Weekly epidemiological record</Title><ISOAbbreviation>Wkly Epidemiol Rec</ISOAbbreviation>"
            f"</Journal><ArticleTitle>Influenza surveillance report of the regional network, number {pmid}."
            f"</ArticleTitle><Pagination><MedlinePgn>{page}-{page + 4}</MedlinePgn></Pagination>"
            f"<AuthorList>{authors}</AuthorList></Article></MedlineCitation><PubmedData><ArticleIdList>"
            f'<ArticleId IdType="pubmed">{pmid}</ArticleId></ArticleIdList></PubmedData></PubmedArticle>')


class FakePubMed:
    """esearch (counts by publication date and [uid] range, history server) and efetch over a corpus
    {PMID: publication date}. ``log`` keeps (arrival time, utility, form) of every request."""

    def __init__(self, corpus: dict[int, date], year_only: set[int] | None = None, rich: bool = False,
                 webenv_prefix: str = "MCID_fake", series: set[int] | None = None):
        self.corpus = dict(corpus)
        self.series = series or set()      # PMIDs served as reports of one series (series_article_xml)
        self.webenv_prefix = webenv_prefix
        self.rich = rich
        self.year_only = year_only or set()
        self.log: list[tuple[float, str, dict]] = []
        self.histories: dict[str, list[int]] = {}
        self.after_first_search = None     # callable run once after the first esearch (e.g. add a record)

    def __call__(self, request: Request) -> Response:
        utility = request.path.rsplit("/", 1)[-1].split(".")[0]
        form = request.form.to_dict(flat=False)
        self.log.append((time.monotonic(), utility, form))
        return getattr(self, utility)({k: v[0] if len(v) == 1 else v for k, v in form.items()})

    def requests(self, utility: str) -> list[dict]:
        return [form for _, name, form in self.log if name == utility]

    def matching(self, form: dict) -> list[int]:
        term = form["term"]
        uids = re.search(r" AND (\d+):(\d+)\[uid\]$", term)
        lo_uid, hi_uid = (int(uids.group(1)), int(uids.group(2))) if uids else (0, 10**9)
        lo = _day(form["mindate"], end=False) if "mindate" in form else date.min
        hi = _day(form["maxdate"], end=True) if "maxdate" in form else date.max
        return sorted((p for p, d in self.corpus.items() if lo <= d <= hi and lo_uid <= p <= hi_uid), reverse=True)

    def esearch(self, form: dict) -> Response:
        ids = self.matching(form)
        retmax = int(form.get("retmax", 20))
        webenv = ""
        if form.get("usehistory") == "y":
            webenv = f"{self.webenv_prefix}{len(self.histories)}"
            self.histories[webenv] = ids
        reply = xml_response(esearch_xml(len(ids), ids[:min(retmax, 10_000)], webenv, "1" if webenv else "",
                                         translation=f"{form['term']}[All Fields]"))
        if self.after_first_search is not None:
            hook, self.after_first_search = self.after_first_search, None
            hook(self)
        return reply

    def efetch(self, form: dict) -> Response:
        if "WebEnv" in form:
            ids = self.histories.get(form["WebEnv"])
            if ids is None:
                return xml_response(error_xml("eFetchResult", "Unable to obtain query #1"))
            start, size = int(form["retstart"]), int(form["retmax"])
            if start >= 10_000:                  # PubMed pages through the first 10,000 only
                return xml_response(error_xml("eFetchResult", "Search Backend failed: cannot retrieve"))
            ids = ids[start:start + size]
        else:
            ids = [int(i) for i in form["id"].split(",")]
        return xml_response(articleset(
            series_article_xml(p, self.corpus[p]) if p in self.series
            else article_xml(p, self.corpus[p], year_only=p in self.year_only, rich=self.rich)
            for p in ids if p in self.corpus))
