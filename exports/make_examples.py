"""Write the example exports the shipped protocol imports (protocols/link-workers.toml).

Real citations of a few social-prescribing link-worker studies, written the way each
database exports them (Embase.com RIS, EBSCOhost RIS for CINAHL and SocINDEX, PubMed
MEDLINE, Ovid RIS for PsycINFO, a grey-literature CSV and a CLUSTER-search RIS), with each
vendor's quirks, so the example exercises the importers and deduplication. The abstracts
are short summaries written for this example, not the published abstracts, and the
database accession numbers are made up; check any citation against its source before use.

Run `python exports/make_examples.py` to regenerate; the output is deterministic.
"""
from __future__ import annotations

import csv
from pathlib import Path

HERE = Path(__file__).resolve().parent

# key: (authors "Family, Given", title, journal, abbrev, year, volume, issue, pages, doi, pmid, issn, summary)
STUDIES = {
    "wildman2019": (["Wildman, Josephine M", "Moffatt, Suzanne", "Steer, Mel", "Laing, Kirsty", "Penn, Linda", "O'Brien, Nicola"],
                    "Service-users' perspectives of link worker social prescribing: a qualitative follow-up study",
                    "BMC Public Health", "BMC Public Health", 2019, "19", "1", "98", "10.1186/s12889-018-6349-x", "30670001", "1471-2458",
                    "Follow-up interviews with people with long-term conditions who used a link worker social prescribing service in the North East of England, describing what helped them sustain change and what got in the way."),
    "moffatt2017": (["Moffatt, Suzanne", "Steer, Mel", "Lawson, Sarah", "Penn, Linda", "O'Brien, Nicola"],
                    "Link Worker social prescribing to improve health and well-being for people with long-term conditions: qualitative study of service user perceptions",
                    "BMJ Open", "BMJ Open", 2017, "7", "7", "e015203", "10.1136/bmjopen-2016-015203", "28713072", "2044-6055",
                    "Qualitative study of service users referred by primary care to link workers who connected them with community resources; users reported reduced isolation and better self-management."),
    "tierney2020": (["Tierney, Stephanie", "Wong, Geoff", "Roberts, Nia", "Boylan, Anne-Marie", "Park, Sophie", "Abrams, Ruth", "Reeve, Joanne", "Williams, Veronika", "Mahtani, Kamal R"],
                    "Supporting social prescribing in primary care by linking people to local assets: a realist review",
                    "BMC Medicine", "BMC Med", 2020, "18", "1", "49", "10.1186/s12916-020-1510-7", "32164681", "1741-7015",
                    "Realist review of how link workers in primary care connect patients with community assets, building programme theory around connections, trust and capacity."),
    "husk2020": (["Husk, Kerryn", "Blockley, Kelly", "Lovell, Rebecca", "Bethel, Alison", "Lang, Iain", "Byng, Richard", "Garside, Ruth"],
                 "What approaches to social prescribing work, for whom, and in what circumstances? A realist review",
                 "Health & Social Care in the Community", "Health Soc Care Community", 2020, "28", "2", "309-324", "10.1111/hsc.12839", "31502314", "0966-0410",
                 "Realist review of social prescribing pathways: enrolment, engagement and adherence, and the role of the link worker relationship."),
    "frostick2021": (["Frostick, Caroline", "Bertotti, Marcello"],
                     "The frontline of social prescribing - How do we ensure Link Workers can work safely and effectively within primary care?",
                     "Chronic Illness", "Chronic Illn", 2021, "17", "4", "404-415", "10.1177/1742395319882068", "31623451", "1742-3953",
                     "Interviews with link workers about training, supervision and caseload in primary care social prescribing schemes."),
    "rhodes2021": (["Rhodes, Jessica", "Bell, Sarah"],
                   "\"It sounds a lot simpler on the job description\": A qualitative study exploring the role of social prescribing link workers and their training and support needs",
                   "Health & Social Care in the Community", "Health Soc Care Community", 2021, "29", "6", "e338-e347", "10.1111/hsc.13358", "", "0966-0410",
                   "Qualitative study of link workers' roles, the emotional demands of the work and the training and support they need."),
    "bertotti2018": (["Bertotti, Marcello", "Frostick, Caroline", "Hutt, Patrick", "Sohanpal, Ratna", "Carnes, Dawn"],
                     "A realist evaluation of social prescribing: an exploration into the context and mechanisms underpinning a pathway linking primary care with the voluntary sector",
                     "Primary Health Care Research & Development", "Prim Health Care Res Dev", 2018, "19", "3", "232-245", "10.1017/S1463423617000706", "29215328", "1463-4236",
                     "Realist evaluation of a social prescribing pathway in London: contexts and mechanisms that shaped referral, engagement and outcomes."),
    "kiely2022": (["Kiely, Bridget", "Croke, Aisling", "O'Shea, Michelle", "Boland, Fiona", "O'Shea, Eamon", "Connolly, Deirdre", "Smith, Susan M"],
                  "Effect of social prescribing link workers on health outcomes and costs for adults in primary care and community settings: a systematic review",
                  "BMJ Open", "BMJ Open", 2022, "12", "10", "e062951", "10.1136/bmjopen-2022-062951", "36253037", "2044-6055",
                  "Systematic review of controlled studies of link workers in primary care and community settings, with effects on health outcomes, use of services and costs."),
    "skivington2018": (["Skivington, Kathryn", "Smith, Mathew", "Chng, Nai Rui", "Mackenzie, Mhairi", "Wyke, Sally", "Mercer, Stewart W"],
                       "Delivering a primary care-based social prescribing initiative: a qualitative study of the benefits and challenges",
                       "British Journal of General Practice", "Br J Gen Pract", 2018, "68", "672", "e487-e494", "10.3399/bjgp18X696617", "29784868", "0960-1643",
                       "Qualitative study of practice staff and community link practitioners in deprived areas of Glasgow delivering a social prescribing programme."),
    "wood2021": (["Wood, Emily", "Ohlsen, Sally", "Fenton, Sarah-Jane", "Connell, Janice", "Weich, Scott"],
                 "Social prescribing for people with complex needs: a realist evaluation",
                 "BMC Family Practice", "BMC Fam Pract", 2021, "22", "1", "53", "10.1186/s12875-021-01407-x", "", "1471-2296",
                 "Realist evaluation of a social prescribing service for people with complex needs, and how link workers adapt support to them."),
    "hazeldine2021": (["Hazeldine, Emma", "Gowan, Gill", "Wigglesworth, Ruth", "Pollard, Jane", "Asthana, Sheena", "Husk, Kerryn"],
                      "Link worker perspectives of early implementation of social prescribing: A 'Researcher-in-Residence' study",
                      "Health & Social Care in the Community", "Health Soc Care Community", 2021, "29", "6", "1844-1851", "10.1111/hsc.13295", "", "0966-0410",
                      "Researcher-in-residence study of link workers during the early implementation of social prescribing in primary care networks."),
    "pescheny2018": (["Pescheny, Julia Vera", "Pappas, Yannis", "Randhawa, Gurch"],
                     "Facilitators and barriers of implementing and delivering social prescribing services: a systematic review",
                     "BMC Health Services Research", "BMC Health Serv Res", 2018, "18", "1", "86", "10.1186/s12913-018-2893-4", "", "1472-6963",
                     "Systematic review of qualitative and mixed-methods studies on what helps and hinders implementation and delivery of social prescribing services."),
    "elston2019": (["Elston, Julian", "Gradinger, Felix", "Asthana, Sheena", "Lilley-Woolnough, Caroline", "Wroe, Sarah", "Harman, Helen", "Byng, Richard"],
                   "Does a social prescribing 'holistic' link-worker for older people with complex, multimorbidity improve well-being and frailty and reduce health and social care use and costs? A 12-month before-and-after evaluation",
                   "Primary Health Care Research & Development", "Prim Health Care Res Dev", 2019, "20", "", "e135", "10.1017/S1463423619000598", "", "1463-4236",
                   "Before-and-after evaluation of a holistic link worker service for older people with multimorbidity: well-being, frailty and use of services at 12 months."),
    "drinkwater2019": (["Drinkwater, Chris", "Wildman, Josephine", "Moffatt, Suzanne"],
                       "Social prescribing",
                       "BMJ", "BMJ", 2019, "364", "", "l1285", "10.1136/bmj.l1285", "30923039", "0959-8138",
                       "Practice pointer on social prescribing for general practitioners: what it is, who may benefit and what evidence there is."),
}

# which database found which study (overlaps make duplicates for dedup to find)
EMBASE = ["wildman2019", "moffatt2017", "tierney2020", "husk2020", "frostick2021", "kiely2022", "elston2019", "drinkwater2019"]
CINAHL = ["wildman2019", "moffatt2017", "rhodes2021", "frostick2021", "hazeldine2021", "skivington2018"]
MEDLINE = ["wildman2019", "moffatt2017", "tierney2020", "husk2020", "bertotti2018", "kiely2022", "skivington2018", "drinkwater2019"]
PSYCINFO = ["moffatt2017", "wood2021", "husk2020"]
SOCINDEX = ["rhodes2021", "hazeldine2021", "pescheny2018"]
CLUSTER = ["bertotti2018", "pescheny2018", "elston2019"]


def _initials(given: str) -> str:
    return "".join(part[0] for part in given.replace("-", " ").split())


def _pages(pages: str) -> tuple[str, str]:
    start, _, end = pages.partition("-")
    return start, end


def embase_ris(keys: list[str]) -> str:
    """Embase.com: BOM, T1/N2, "Family G." authors, PMID in C5, Embase id in U2, DB Embase + Medline."""
    out = []
    for n, key in enumerate(keys):
        authors, title, journal, abbrev, year, vol, iss, pages, doi, pmid, issn, summary = STUDIES[key]
        sp, ep = _pages(pages)
        lines = ["TY  - JOUR", f"T1  - {title}"]
        lines += [f"A1  - {a.split(', ')[0]} {_initials(a.split(', ')[1])}." for a in authors]
        lines += [f"Y1  - {year}", f"N2  - {summary}", f"JF  - {journal}", f"JO  - {abbrev}",
                  f"SN  - {issn}", f"SN  - {issn}", f"VL  - {vol}"]
        if iss:
            lines.append(f"IS  - {iss}")
        lines.append(f"SP  - {sp}")
        if ep:
            lines.append(f"EP  - {ep}")
        lines += [f"M3  - {'Review' if 'review' in title.lower() else 'Article'}",
                  f"U2  - L{637000000 + 1117 * n}"] + ([f"C5  - {pmid}"] if pmid else []) + [f"DO  - {doi}",
                  f"L2  - http://dx.doi.org/{doi}", "DB  - Embase", "DB  - Medline",
                  f"UR  - https://www.embase.com/search/results?subaction=viewrecord&id=L{637000000 + 1117 * n}&from=export",
                  "KW  - social prescribing", "KW  - primary medical care", "LA  - English", "ER  - ", ""]
        out.append("\n".join(lines))
    return "\ufeff" + "\n".join(out)


def ebsco_ris(keys: list[str], db: str, name: str) -> str:
    """EBSCOhost: CRLF, DOI in L3, boilerplate second AB, accession in N1 and UR, DB code."""
    out = []
    for n, key in enumerate(keys):
        authors, title, journal, abbrev, year, vol, iss, pages, doi, pmid, issn, summary = STUDIES[key]
        sp, ep = _pages(pages)
        an = str(150000000 + 731 * n)
        lines = ["TY  - JOUR", f"ID  - {an}", f"T1  - {title}"]
        lines += [f"AU  - {a}" for a in authors]
        lines += [f"Y1  - {year}/{(n % 12) + 1:02d}//", f"N1  - Accession Number: {an}. Language: English.",
                  "KW  - Social Prescribing", "KW  - Link Workers", "KW  - Primary Health Care",
                  f"AB  - {summary} [ABSTRACT FROM AUTHOR]",
                  f"AB  - Copyright of {journal} is the property of its publisher and its content may not be copied without the copyright holder's express written permission.",
                  f"SN  - {issn.replace('-', '')}", f"AD  - {authors[0].split(', ')[1]} {authors[0].split(', ')[0]}, university department",
                  f"UR  - https://search.ebscohost.com/login.aspx?direct=true&db={db}&AN={an}&site=ehost-live",
                  f"DP  - EBSCOhost", f"DB  - {db}", f"JF  - {journal}", f"JA  - {abbrev}", f"VL  - {vol}"]
        if iss:
            lines.append(f"IS  - {iss}")
        lines.append(f"SP  - {sp}")
        if ep:
            lines.append(f"EP  - {ep}")
        lines += [f"L3  - {doi}", "ER  - ", ""]
        out.append("\r\n".join(lines))
    return "\r\n".join(out)


def ovid_ris(keys: list[str]) -> str:
    """Ovid PsycINFO: sequence lines, ASCII-folded names, DOI prefixed and repeated, text after ER."""
    out = []
    for n, key in enumerate(keys):
        authors, title, journal, abbrev, year, vol, iss, pages, doi, pmid, issn, summary = STUDIES[key]
        sp, ep = _pages(pages)
        lines = [f"{n + 1}. ", "TY  - JOUR", f"ID  - 2020-{10000 + 37 * n}-001", f"T1  - {title}"]
        lines += [f"A1  - {a}" for a in authors]
        lines += [f"Y1  - {year}//", f"N2  - {summary}", "KW  - *Social Prescribing", "KW  - Community Services",
                  f"JF  - {journal}", f"JA  - {abbrev}", f"VL  - {vol}"]
        if iss:
            lines.append(f"IS  - {iss}")
        lines += [f"SP  - {sp}" if sp else "SP  - No", f"EP  - {ep}" if ep else "EP  - Specified",
                  f"SN  - {issn}", f"M3  - Journal Article", f"DO  - https://dx.doi.org/{doi}",
                  f"DO  - http://dx.doi.org/{doi}", "DB  - APA PsycInfo <2016 to 2023 March Week 1>",
                  f"L2  - http://ovidsp.ovid.com/ovidweb.cgi?T=JS&PAGE=reference&D=psyh&AN=2020-{10000 + 37 * n}-001",
                  "ER  -", "", "Link to the Ovid Full Text or citation: https://ovidsp.ovid.com/example", ""]
        out.append("\n".join(lines))
    return "\n".join(out)


def medline(keys: list[str]) -> str:
    """PubMed MEDLINE (.nbib): 4-char tags, 6-space continuations, DOI in LID/AID."""
    out = []
    for key in keys:
        authors, title, journal, abbrev, year, vol, iss, pages, doi, pmid, issn, summary = STUDIES[key]
        lines = [f"PMID- {pmid}", "OWN - NLM", "STAT- MEDLINE", f"IS  - {issn} (Electronic)", f"VI  - {vol}"]
        if iss:
            lines.append(f"IP  - {iss}")
        lines += [f"DP  - {year} Mar", f"TI  - {title}", f"PG  - {pages}", f"LID - {doi} [doi]",
                  f"AB  - {summary}"]
        for a in authors:
            family, given = a.split(", ")
            lines += [f"FAU - {family}, {given}", f"AU  - {family} {_initials(given)}"]
        lines += ["LA  - eng", "PT  - Journal Article"]
        if "review" in title.lower():
            lines.append("PT  - Review")
        lines += [f"TA  - {abbrev}", f"JT  - {journal}", "MH  - Humans", "MH  - *Primary Health Care",
                  "OT  - link worker", "OT  - social prescribing", f"AID - {doi} [doi]", ""]
        out.append("\n".join(lines))
    return "\n".join(out)


def generic_ris(keys: list[str]) -> str:
    out = []
    for key in keys:
        authors, title, journal, abbrev, year, vol, iss, pages, doi, pmid, issn, summary = STUDIES[key]
        sp, ep = _pages(pages)
        lines = ["TY  - JOUR", f"TI  - {title}"] + [f"AU  - {a}" for a in authors]
        lines += [f"PY  - {year}", f"T2  - {journal}", f"VL  - {vol}", f"SP  - {sp}"]
        if ep:
            lines.append(f"EP  - {ep}")
        lines += [f"DO  - {doi}", f"AB  - {summary}", "ER  - ", ""]
        out.append("\n".join(lines))
    return "\n".join(out)


GREY = [
    {"title": "Social prescribing link workers: reference guide for primary care networks",
     "author": "NHS England", "year": "2023", "type": "report", "url": "https://www.england.nhs.uk/",
     "abstract": "Guidance for primary care networks on recruiting, supervising and supporting social prescribing link workers."},
    {"title": "Making sense of social prescribing", "author": "Polley, Marie; Fleming, Jo; Anfilogoff, Tim; Carpenter, Andrew",
     "year": "2017", "type": "report", "url": "https://westminsterresearch.westminster.ac.uk/",
     "abstract": "Report explaining social prescribing models, the link worker role and how schemes can be evaluated."},
    {"title": "The role of link workers in social prescribing: a survey of the national workforce",
     "author": "National Academy for Social Prescribing", "year": "2022", "type": "report", "url": "https://socialprescribingacademy.org.uk/",
     "abstract": "Survey of link workers in England about caseloads, training, supervision and retention."},
]


def write_all(folder: Path = HERE) -> list[Path]:
    files = {
        "embase-2023-03-14.ris": embase_ris(EMBASE),
        "cinahl-2023-03-14.ris": ebsco_ris(CINAHL, "rzh", "CINAHL"),
        "medline-2023-03-14.nbib": medline(MEDLINE),
        "psycinfo-2023-03-14.ris": ovid_ris(PSYCINFO),
        "socindex-2023-03-15.ris": ebsco_ris(SOCINDEX, "sih", "SocINDEX"),
        "cluster-2023-05-02.ris": generic_ris(CLUSTER),
    }
    written = []
    for name, text in files.items():
        path = folder / name
        path.write_bytes(text.encode("utf-8"))
        written.append(path)
    grey = folder / "grey-literature-2023-04-20.csv"
    with open(grey, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=["title", "author", "year", "type", "url", "abstract"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(GREY)
    written.append(grey)
    return written


if __name__ == "__main__":
    for path in write_all():
        print(path.relative_to(HERE.parent))
