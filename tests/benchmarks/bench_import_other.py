"""Parser benchmark for MEDLINE, Web of Science, Ovid tagged, EndNote XML, CSV, PubMed XML, BibTeX
and Excel exports.

Generates one large file per format, parses it in a fresh process (parse +
normalise, no store) and prints file size, records per wall-clock second and per
CPU second (steadier on a shared machine) and peak RSS. Peak RSS that stays flat
while the file grows is the check that parsing streams.

    python tests/benchmarks/bench_import_other.py [--records 100000] [--formats medline,wos]

The machine's reference loop is printed first and last (see machine.py).
"""
from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from xml.sax.saxutils import escape

WORDS = ("realist synthesis mechanism context outcome primary care loneliness community "
         "qualitative interview nurse trial cohort adherence malaria prophylaxis restoration").split()
FAMILY = ["Smith", "Jones", "Martínez", "O'Brien", "Nguyen", "Müller", "Kowalski", "Østergaard"]
GIVEN = ["Anna", "José", "Li", "Kerryn", "Marcello", "Inês", "Peter", "Aisha"]


def fake(rng: random.Random, i: int) -> dict:
    start = rng.randint(1, 2000)
    return {
        "title": " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 16))).capitalize(),
        "abstract": " ".join(rng.choice(WORDS) for _ in range(rng.randint(120, 250))),
        "authors": [(rng.choice(FAMILY), rng.choice(GIVEN)) for _ in range(rng.randint(1, 8))],
        "year": rng.randint(1990, 2024), "volume": rng.randint(1, 60), "issue": rng.randint(1, 12),
        "start": start, "end": start + rng.randint(2, 20), "doi": f"10.{1000 + i % 9000}/bench.{i}",
        "pmid": 10_000_000 + i, "keywords": [rng.choice(WORDS) for _ in range(rng.randint(3, 10))],
    }


def wrap(text: str, width: int, indent: str) -> str:
    """Vendor-style wrapping: continuation lines carry the format's indent."""
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + len(word) + 1 > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return f"\n{indent}".join(lines)


def write_medline(path: Path, n: int, rng: random.Random) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            r = fake(rng, i)
            out = [f"PMID- {r['pmid']}", "OWN - NLM", f"DP  - {r['year']} Feb", f"TI  - {wrap(r['title'], 80, ' ' * 6)}",
                   f"PG  - {r['start']}-{r['end']}", f"AB  - {wrap(r['abstract'], 80, ' ' * 6)}"]
            for family, given in r["authors"]:
                out += [f"FAU - {family}, {given}", f"AU  - {family} {given[0]}"]
            out += ["LA  - eng", "PT  - Journal Article", f"VI  - {r['volume']}", f"IP  - {r['issue']}",
                    f"AID - {r['doi']} [doi]", "TA  - Bench J", "JT  - Bench journal"]
            out += [f"MH  - {k}" for k in r["keywords"]]
            fh.write("\n".join(out) + "\n\n")


def write_wos(path: Path, n: int, rng: random.Random) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("FN Clarivate Analytics Web of Science\nVR 1.0\n")
        for i in range(n):
            r = fake(rng, i)
            out = ["PT J", "AU " + "\n   ".join(f"{f}, {g[0]}" for f, g in r["authors"]),
                   "AF " + "\n   ".join(f"{f}, {g}" for f, g in r["authors"]),
                   f"TI {wrap(r['title'], 70, '   ')}", "SO BENCH JOURNAL", "LA English", "DT Article",
                   "DE " + "; ".join(r["keywords"]), f"AB {wrap(r['abstract'], 70, '   ')}",
                   f"PY {r['year']}", f"VL {r['volume']}", f"IS {r['issue']}", f"BP {r['start']}", f"EP {r['end']}",
                   f"DI {r['doi']}", f"UT WOS:{i:015d}", "ER", ""]
            fh.write("\n".join(out) + "\n")
        fh.write("EF\n")


def write_ovid(path: Path, n: int, rng: random.Random) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            r = fake(rng, i)
            half = len(r["abstract"]) // 2
            out = [f"<{i + 1}. >", "VN  - Ovid Technologies", "DB  - Embase", f"UI  - {600000000 + i}",
                   f"TI  - {r['title']}", f"SO  - Bench Journal. {r['volume']} ({r['issue']}) (pp {r['start']}-{r['end']}), {r['year']}."]
            out += [f"AU  - {f} {g[0]}." for f, g in r["authors"]]
            out += [f"AB  - Background: {r['abstract'][:half]}", f"Method(s): {r['abstract'][half:]}",
                    f"DO  - http://dx.doi.org/{r['doi']}", "PT  - Journal: Article", f"YR  - {r['year']}"]
            out += [f"MH  - {k}" for k in r["keywords"]]
            fh.write("\n".join(out) + "\n\n")


def write_endnote(path: Path, n: int, rng: random.Random) -> None:
    def s(text: object) -> str:
        return f'<style face="normal" font="default" size="100%">{escape(str(text))}</style>'

    with open(path, "w", encoding="utf-8") as fh:
        fh.write('<?xml version="1.0" encoding="UTF-8" ?><xml><records>')
        for i in range(n):
            r = fake(rng, i)
            authors = "".join(f"<author>{s(f'{f}, {g[0]}.')}</author>" for f, g in r["authors"])
            keywords = "".join(f"<keyword>{s(k)}</keyword>" for k in r["keywords"])
            pages = f"{r['start']}-{r['end']}"
            fh.write(
                f'<record><ref-type name="Journal Article">17</ref-type><contributors><authors>{authors}'
                f"</authors></contributors><titles><title>{s(r['title'])}</title><secondary-title>{s('Bench J')}"
                f"</secondary-title></titles><pages>{s(pages)}</pages><volume>{s(r['volume'])}</volume>"
                f"<number>{s(r['issue'])}</number><keywords>{keywords}</keywords><dates><year>{s(r['year'])}</year></dates>"
                f"<accession-num>{s(r['pmid'])}</accession-num><remote-database-provider>{s('NLM')}</remote-database-provider>"
                f"<electronic-resource-num>{s(r['doi'])}</electronic-resource-num><abstract>{s(r['abstract'])}</abstract></record>"
            )
        fh.write("</records></xml>")


def write_csv(path: Path, n: int, rng: random.Random) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["ID", "title", "author", "year", "journal", "volume", "number", "pages", "doi", "abstract"])
        for i in range(n):
            r = fake(rng, i)
            writer.writerow([f"id_{i:07d}", r["title"], " and ".join(f"{f}, {g}" for f, g in r["authors"]), r["year"],
                             "Bench journal", r["volume"], r["issue"], f"{r['start']}--{r['end']}", r["doi"], r["abstract"]])


def write_pubmed_xml(path: Path, n: int, rng: random.Random) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write('<?xml version="1.0" ?>\n<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January '
                 '2025//EN" "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n<PubmedArticleSet>\n')
        for i in range(n):
            r = fake(rng, i)
            authors = "".join(f"<Author ValidYN=\"Y\"><LastName>{escape(f)}</LastName><ForeName>{escape(g)}</ForeName>"
                              f"<Initials>{g[0]}</Initials></Author>\n" for f, g in r["authors"])
            mesh = "".join(f"<MeshHeading><DescriptorName MajorTopicYN=\"N\">{k}</DescriptorName></MeshHeading>\n"
                           for k in r["keywords"])
            fh.write(
                f"<PubmedArticle>\n<MedlineCitation Status=\"MEDLINE\" Owner=\"NLM\">\n<PMID Version=\"1\">{r['pmid']}</PMID>\n"
                f"<Article PubModel=\"Print\">\n<Journal><ISSN IssnType=\"Print\">1234-5678</ISSN><JournalIssue>"
                f"<Volume>{r['volume']}</Volume><Issue>{r['issue']}</Issue><PubDate><Year>{r['year']}</Year><Month>Feb"
                f"</Month></PubDate></JournalIssue>\n<Title>Bench journal</Title><ISOAbbreviation>Bench J</ISOAbbreviation>"
                f"</Journal>\n<ArticleTitle>{r['title']}</ArticleTitle>\n<Pagination><MedlinePgn>{r['start']}-{r['end']}"
                f"</MedlinePgn></Pagination>\n<ELocationID EIdType=\"doi\" ValidYN=\"Y\">{r['doi']}</ELocationID>\n"
                f"<Abstract><AbstractText>{r['abstract']}</AbstractText></Abstract>\n<AuthorList CompleteYN=\"Y\">\n"
                f"{authors}</AuthorList>\n<Language>eng</Language>\n<PublicationTypeList><PublicationType>Journal Article"
                f"</PublicationType></PublicationTypeList>\n</Article>\n<MeshHeadingList>\n{mesh}</MeshHeadingList>\n"
                f"</MedlineCitation>\n<PubmedData><ArticleIdList><ArticleId IdType=\"pubmed\">{r['pmid']}</ArticleId>"
                f"<ArticleId IdType=\"doi\">{r['doi']}</ArticleId></ArticleIdList></PubmedData>\n</PubmedArticle>\n")
        fh.write("</PubmedArticleSet>\n")


# Names as reference managers write them in BibTeX: accents in LaTeX
LATEX = {"Martínez": "Mart{\\'\\i}nez", "Müller": "M{\\\"u}ller", "Østergaard": "{\\O}stergaard",
         "José": "Jos{\\'e}", "Inês": "In{\\^e}s"}


def write_bibtex(path: Path, n: int, rng: random.Random) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            r = fake(rng, i)
            authors = " and ".join(f"{LATEX.get(f, f)}, {LATEX.get(g, g)}" for f, g in r["authors"])
            fh.write(f"@article{{bench{i},\n  author = {{{authors}}},\n  title = {{{{{r['title']}}}}},\n"
                     f"  journal = {{Bench Journal}},\n  year = {{{r['year']}}},\n  volume = {{{r['volume']}}},\n"
                     f"  number = {{{r['issue']}}},\n  pages = {{{r['start']}--{r['end']}}},\n  doi = {{{r['doi']}}},\n"
                     f"  pmid = {{{r['pmid']}}},\n  keywords = {{{', '.join(r['keywords'])}}},\n"
                     f"  abstract = {{{r['abstract']}}},\n}}\n\n")


def write_xlsx(path: Path, n: int, rng: random.Random) -> None:
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(["ID", "Title", "Author", "Year", "Journal", "Volume", "Issue", "Pages", "DOI", "Abstract"])
    for i in range(n):
        r = fake(rng, i)
        sheet.append([f"id_{i:07d}", r["title"], "; ".join(f"{f}, {g}" for f, g in r["authors"]), r["year"],
                      "Bench journal", r["volume"], r["issue"], f"{r['start']}-{r['end']}", r["doi"], r["abstract"]])
    workbook.save(path)


WRITERS = {"medline": (write_medline, "nbib"), "wos": (write_wos, "txt"), "ovid_tagged": (write_ovid, "txt"),
           "endnote_xml": (write_endnote, "xml"), "csv": (write_csv, "csv"), "pubmed_xml": (write_pubmed_xml, "xml"),
           "bibtex": (write_bibtex, "bib"), "xlsx": (write_xlsx, "xlsx")}


def one_run(path: Path, format: str) -> dict:
    from searchflow.sources import open_export

    def cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    start, start_cpu = time.perf_counter(), cpu()
    _info, records = open_export(path, format)
    count = sum(1 for _ in records)
    return {"records": count, "seconds": time.perf_counter() - start, "cpu_seconds": cpu() - start_cpu,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--formats", default=",".join(WRITERS))
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(one_run(Path(args.child[0]), args.child[1])))
        return
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from machine import speed_line

    print(speed_line())
    print(f"{'format':<12}{'records':>9}{'MB':>7}{'seconds':>9}{'records/s':>11}{'per CPU s':>11}{'peak RSS MB':>13}")
    with tempfile.TemporaryDirectory() as tmp:
        for format in args.formats.split(","):
            writer, suffix = WRITERS[format]
            path = Path(tmp) / f"bench.{suffix}"
            writer(path, args.records, random.Random(7))
            out = subprocess.run([sys.executable, __file__, "--child", str(path), format],
                                 capture_output=True, text=True, check=True)
            result = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"{format:<12}{result['records']:>9,}{path.stat().st_size / 1e6:>7.0f}{result['seconds']:>9.2f}"
                  f"{result['records'] / result['seconds']:>11,.0f}{result['records'] / result['cpu_seconds']:>11,.0f}"
                  f"{result['peak_rss_mb']:>13.0f}")
            path.unlink()
    print(speed_line())


if __name__ == "__main__":
    main()
