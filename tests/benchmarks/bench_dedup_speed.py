"""Deduplication speed on generated records: 10k and 100k (1M with --million), 100k wild, a 12,000 series.

    .venv/bin/python tests/benchmarks/bench_dedup_speed.py [--million] [--sizes 10000 100000]
        [--wild 100000] [--series 12000] [--generic 20000]
    SEARCHFLOW_CODE=/path/to/other/checkout ...   # the same data through another checkout's engine

The "wild" generator adds what the plain one lacks and real searches deliver: 10% of
records with a generic title ("Editorial", "Erratum", "In this issue", ...), each its own
work, and series of thousands of records sharing authors, journal and a title stem
("... case 123"); the "series" generator is one such series of 9,000 works and its copies;
"generic" is distinct generic-title records only. Each has a truth column, so false merges
are counted. Targets: 100k wild <= 60 s and <= 2 GB peak RSS with 0 false merges; 100k
plain <= 25 s; the 12,000 series < 2 GB.

Each size runs in a fresh process so its peak RSS is its own. The generator
makes real-looking records (titles from a biomedical vocabulary, author lists with
common and rare surnames in Zipf-like proportions,
journals with abbreviations, DOIs, PMIDs, abstracts) and about one record in
four is another database's copy of a work with realistic variants: a typo,
initials instead of full given names, DOI upper-cased or with a resolver prefix,
missing fields, an ahead-of-print year, an abbreviated journal, Ovid's
ASCII-folded names, a "[Chinese]" tag. It prints records, wall and CPU seconds
(generating the table excluded; CPU time shows what a busy machine hides), peak
RSS, and the found/false-merge figures on the generated truth.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
# SEARCHFLOW_CODE: another checkout's engine on the same generated data (figures before a change)
sys.path.insert(0, os.environ.get("SEARCHFLOW_CODE", str(ROOT)))
sys.path.insert(1, str(ROOT / "tests" / "benchmarks"))

from searchflow.dedup.engine import deduplicate  # noqa: E402
from searchflow.dedup.evaluate import evaluate  # noqa: E402
from machine import speed_line  # noqa: E402

WORDS = (
    "effect efficacy safety randomized controlled trial patients adults children older women men cohort study "
    "systematic review meta analysis outcomes risk factors association mortality morbidity hospital primary care "
    "community intervention program therapy treatment management diagnosis screening prevention cancer diabetes "
    "heart failure stroke hypertension depression anxiety dementia asthma obesity pregnancy infection sepsis "
    "vaccine antibiotic insulin metformin statin aspirin exercise diet nutrition sleep pain surgery anaesthesia "
    "rehabilitation quality life cost effectiveness implementation qualitative interview experience barriers "
    "facilitators nurse physician pharmacist social prescribing link worker loneliness wellbeing mental health "
    "acute chronic kidney liver lung disease disorder syndrome injury trauma fracture elderly adolescent neonatal "
    "biomarker imaging ultrasound tomography genetic variant expression protein receptor inhibitor signalling "
    "pathway inflammation oxidative stress mitochondrial function cells mice model vivo vitro analysis national "
    "regional rural urban low middle income countries evaluation feasibility pilot protocol follow up years months"
).split()
FAMILY = (
    "Smith Jones Williams Brown Taylor Davies Wilson Evans Thomas Johnson Roberts Walker Wright Robinson Thompson "
    "White Hughes Edwards Green Hall Wood Harris Lewis Martin Jackson Clarke Clark Turner Hill Scott Cooper Morris "
    "Ward Moore King Watson Baker Harrison Morgan Patel Young Allen Mitchell James Anderson Phillips Lee Bell Parker "
    "Davis Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo He Lin Luo Gao Kim Park Choi Nguyen "
    "Tanaka Suzuki Sato Takahashi Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann "
    "García Fernández González Rodríguez López Martínez Sánchez Pérez Gómez Martín Jiménez Ruiz Hernández Díaz "
    "Moreno Álvarez Muñoz Romero Alonso Gutiérrez Navarro Torres Domínguez Vázquez Ramos Gil Ramírez Serrano "
    "Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Bruno Gallo Conti Costa Giordano "
    "Dubois Durand Lefèvre Moreau Laurent Simon Michel Leroy Roux David Bertrand Morel Fournier Girard Bonnet "
    "Nielsen Jensen Hansen Pedersen Andersen Larsen Sørensen Rasmussen Jørgensen Petersen Johansson Karlsson "
    "Nilsson Eriksson Larsson Olsson Persson Svensson Gustafsson Pettersson Öberg Åberg Kowalski Nowak Wiśniewski"
).split()
GIVEN = ("John Mary David Sarah Michael Anna James Laura Robert Emma Wei Li Jing Hiroshi Yuki Hans Petra Carlos "
         "María José Luca Giulia Pierre Claire Lars Ingrid Piotr Agnieszka Ahmed Fatima Raj Priya Olu Ama").split()
JOURNAL_WORDS = [("Journal", "J"), ("International", "Int"), ("Clinical", "Clin"), ("Medicine", "Med"),
                 ("Research", "Res"), ("Health", "Health"), ("Nursing", "Nurs"), ("Public", "Public"),
                 ("Psychiatry", "Psychiatry"), ("Cardiology", "Cardiol"), ("Oncology", "Oncol"),
                 ("Pediatrics", "Pediatr"), ("Epidemiology", "Epidemiol"), ("Diabetes", "Diabetes"),
                 ("Care", "Care"), ("Social", "Soc"), ("Science", "Sci"), ("British", "Br"),
                 ("American", "Am"), ("European", "Eur"), ("Reviews", "Rev"), ("Annals", "Ann"),
                 ("Primary", "Prim"), ("Geriatrics", "Geriatr"), ("Rehabilitation", "Rehabil")]


def _fold(text: str) -> str:
    import unicodedata
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


SYLLABLES = ("ka ren berg son man ler sch mid ta na ko vic ova ski li ang ez ra mo rel ti ni dor fer "
             "hau sen ber ger stein gaard hol mes ward tan ong yu hai ming ro sa lu ca vi no").split()


def _surnames(rng: np.random.Generator, count: int) -> tuple[list[str], np.ndarray]:
    """Common surnames plus made-up ones, with Zipf-like frequencies as in real author lists."""
    made = {"".join(rng.choice(SYLLABLES, size=rng.integers(2, 4))).capitalize() for _ in range(count)}
    names = FAMILY + sorted(made - set(FAMILY))
    weights = 1.0 / (np.arange(len(names)) + 20.0)
    return names, weights / weights.sum()


def _journals(rng: np.random.Generator, count: int) -> list[tuple[str, str]]:
    journals = []
    for _ in range(count):
        parts = [JOURNAL_WORDS[i] for i in rng.choice(len(JOURNAL_WORDS), size=rng.integers(2, 5), replace=False)]
        journals.append((" ".join(p[0] for p in parts), " ".join(p[1] for p in parts)))
    return journals


def _authors(rng: np.random.Generator, surnames: list[str], weights: np.ndarray, low: int = 1, high: int = 9) -> list:
    return [(str(surnames[i]), str(rng.choice(GIVEN)), str(rng.choice(list("ABCDEFGHJKLMNPRST"))))
            for i in rng.choice(len(surnames), size=rng.integers(low, high), p=weights)]


def _work(rng: np.random.Generator, w: int, title: str, authors: list, journal: tuple[str, str], year: int,
          volume: str, issue: str, pages: str, abstract: bool) -> dict:
    return {
        "title": title, "authors": authors, "year": year, "journal": journal[0], "journal_abbrev": journal[1],
        "volume": volume, "issue": issue, "pages": pages,
        "doi": f"10.{rng.integers(1000, 9999)}/{journal[1].replace(' ', '').lower()}.{year}.{w:07d}"
        if rng.random() < 0.7 else "",
        "pmid": str(10_000_000 + w) if rng.random() < 0.5 else "",
        "abstract": " ".join(rng.choice(WORDS, size=80)) if abstract and rng.random() < 0.6 else "",
        "type": "article",
    }


def generate(n: int, seed: int = 7) -> tuple[pd.DataFrame, np.ndarray]:
    """n records and their true work ids; about a quarter are variant copies of another record."""
    rng = np.random.default_rng(seed)
    surnames, weights = _surnames(rng, 20_000)
    works = int(n / 1.33)
    journals = _journals(rng, max(50, works // 200))
    base = []
    for w in range(works):
        words = list(rng.choice(WORDS, size=rng.integers(6, 16)))
        title = " ".join(words).capitalize()
        authors = _authors(rng, surnames, weights)
        journal = journals[rng.integers(len(journals))]
        year = int(rng.integers(1995, 2025))
        first = int(rng.integers(1, 2000))
        base.append(_work(rng, w, title, authors, journal, year, str(rng.integers(1, 120)),
                          str(rng.integers(1, 13)), f"{first}-{first + int(rng.integers(3, 15))}", abstract=True))
    return _with_copies(base, n, rng, [False] * len(base))


def _with_copies(base: list[dict], n: int, rng: np.random.Generator,
                 numbered: list[bool]) -> tuple[pd.DataFrame, np.ndarray]:
    """Every work once, then variant copies of random works up to n records, shuffled."""
    rows, truth = [], []
    for w, record in enumerate(base):
        rows.append(_render(record, rng, variant=False))
        truth.append(w)
    while len(rows) < n:
        w = int(rng.integers(len(base)))
        rows.append(_render(base[w], rng, variant=True, numbered=numbered[w]))
        truth.append(w)
    order = rng.permutation(len(rows))
    table = pd.DataFrame([rows[i] for i in order])
    table.insert(0, "id", [str(i + 1) for i in range(len(table))])
    return table, np.array(truth)[order]


# Titles that recur in every issue of every journal: never evidence that two records are one work.
GENERIC = ("Editorial", "Erratum", "Correction", "Reply", "Letter to the editor", "Abstracts", "Commentary",
           "In this issue", "Announcements", "Index", "Contents", "Meeting abstracts", "Editor's comments",
           "News", "Book reviews", "Introduction", "Foreword", "Preface", "Obituary", "Corrigendum")
# A series: one group of authors, one journal, titles that share a stem and differ by a number.
SERIES_STEMS = ("Clinical problem-solving series in general internal medicine: case {k}",
                "Weekly influenza surveillance report of the regional network, number {k}",
                "Proceedings of the annual scientific meeting of the society, abstract {k}",
                "Case records of the teaching hospital: case {k}")


def generate_wild(n: int, seed: int = 11, generic_share: float = 0.1, series: tuple[float, ...] = (0.05, 0.03, 0.02),
                  copies: float = 0.25) -> tuple[pd.DataFrame, np.ndarray]:
    """n records as real searches deliver them: ordinary works, ``generic_share`` of records with a
    generic title (each its own work: other authors, journal, volume and pages), series of works
    sharing authors, journal and a title stem (``series``: each one's share of n; 5,000, 3,000 and
    2,000 of 100,000 by default), and ``copies`` of the records other databases' copies."""
    rng = np.random.default_rng(seed)
    surnames, weights = _surnames(rng, 20_000)
    works = int(n * (1 - copies))
    journals = _journals(rng, max(50, works // 200))
    base, numbered = [], []
    for s, share in enumerate(series):
        size = int(n * share)
        authors = _authors(rng, surnames, weights, 3, 7)
        journal = journals[rng.integers(len(journals))]
        start_year = int(rng.integers(1995, 2020))
        for k in range(1, size + 1):
            year = start_year + (k * 3) // (size + 1)      # a series runs over three years
            page = 1 + (k * 7) % 1900
            base.append(_work(rng, len(base), SERIES_STEMS[s % len(SERIES_STEMS)].format(k=k), authors, journal,
                              year, str(year - 1990), str(1 + k % 12), f"{page}-{page + 6}", abstract=True))
            numbered.append(True)
    generic = int(works * generic_share)
    for _ in range(generic):
        # a decade and a few hundred pages: many share title, year and first page, as in real searches
        journal = journals[rng.integers(len(journals))]
        year = int(rng.integers(2000, 2012))
        first = int(rng.integers(1, 800))
        pages = str(first) if rng.random() < 0.6 else f"{first}-{first + int(rng.integers(1, 3))}"
        base.append(_work(rng, len(base), str(rng.choice(GENERIC)), _authors(rng, surnames, weights, 1, 3),
                          journal, year, str(rng.integers(1, 60)), str(rng.integers(1, 13)), pages, abstract=False))
        numbered.append(True)
    while len(base) < works:
        title = " ".join(rng.choice(WORDS, size=rng.integers(6, 16))).capitalize()
        journal = journals[rng.integers(len(journals))]
        year = int(rng.integers(1995, 2025))
        first = int(rng.integers(1, 2000))
        base.append(_work(rng, len(base), title, _authors(rng, surnames, weights), journal, year,
                          str(rng.integers(1, 120)), str(rng.integers(1, 13)),
                          f"{first}-{first + int(rng.integers(3, 15))}", abstract=True))
        numbered.append(False)
    return _with_copies(base, n, rng, numbered)


def _render(record: dict, rng: np.random.Generator, variant: bool, numbered: bool = False) -> dict:
    """A record as one database gives it; ``numbered`` titles (series, generic) keep their words:
    a typo there would make another work of the series, which no truth column could call a copy."""
    out = dict(record)
    full_names = rng.random() < 0.5
    fold_names = variant and rng.random() < 0.3
    names = []
    for family, given, middle in record["authors"]:
        family = _fold(family) if fold_names else family
        names.append(f"{family}, {given} {middle}." if full_names else f"{family}, {given[0]}{middle}")
    if variant and len(names) > 3 and rng.random() < 0.2:
        names = names[:3] + ["et al."]
    out["authors"] = "; ".join(names)
    if not variant:
        return out
    title = record["title"]
    roll = rng.random()
    if numbered and roll < 0.45:
        roll = 0.5
    if roll < 0.2:
        k = int(rng.integers(1, len(title) - 1))
        title = title[:k] + title[k + 1] + title[k] + title[k + 2:]          # a swapped pair of letters
    elif roll < 0.35:
        title = title.upper() if rng.random() < 0.3 else title.title()
    elif roll < 0.45:
        title = f"{title}. [Chinese]"
    elif roll < 0.55:
        title = f"{title}."
    out["title"] = title
    if out["doi"]:
        roll = rng.random()
        if roll < 0.3:
            out["doi"] = out["doi"].upper()
        elif roll < 0.5:
            out["doi"] = "https://doi.org/" + out["doi"]
        elif roll < 0.65:
            out["doi"] = ""
    if rng.random() < 0.2:                                                  # ahead of print
        out["year"] = record["year"] - 1
        out["volume"] = out["issue"] = out["pages"] = ""
    if rng.random() < 0.4:
        out["journal"] = record["journal_abbrev"]
    for name in ("abstract", "pmid", "issue"):
        if rng.random() < 0.3:
            out[name] = ""
    return out


GENERATORS = {
    "plain": generate,
    "wild": generate_wild,
    # one series of thousands of records (authors, journal, title stem) and their copies
    "series": lambda n: generate_wild(n, generic_share=0.0, series=(0.75,)),
    # distinct records only, every one with a generic title
    "generic": lambda n: generate_wild(n, generic_share=1.0, series=(), copies=0.0),
}


def run_one(kind: str, n: int) -> dict:
    table, truth = GENERATORS[kind](n)
    start, cpu = time.perf_counter(), time.process_time()
    result = deduplicate(table)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    figures = evaluate(truth, result.records["cluster_id"])
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"records": n, "seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2), "peak_rss_mb": round(peak_mb),
            "removable": figures["removable"], "found": figures["found"],
            "false_merges": figures["false_merges"], "possible": len(result.possible_pairs),
            "candidate_pairs": result.stats["candidate_pairs"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000],
                        help="sizes of the plain generator (records of ordinary works and their copies)")
    parser.add_argument("--million", action="store_true", help="also 1,000,000 records (several minutes)")
    parser.add_argument("--wild", type=int, nargs="*", default=[100_000],
                        help="sizes of the wild generator: 10%% generic titles, series of thousands of records")
    parser.add_argument("--series", type=int, nargs="*", default=[12_000], help="sizes of the one-series generator")
    parser.add_argument("--generic", type=int, nargs="*", default=[],
                        help="sizes of the generator of distinct records with generic titles only")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_one(args.child[0], int(args.child[1]))))
        return 0
    runs = [("plain", n) for n in args.sizes + ([1_000_000] if args.million else [])]
    runs += [("wild", n) for n in args.wild] + [("series", n) for n in args.series]
    runs += [("generic", n) for n in args.generic]
    print(f"{'data':<9}{'records':>9}{'seconds':>9}{'cpu s':>8}{'rec/s':>9}{'peak RSS MB':>13}{'pairs':>10}"
          f"{'removable':>11}{'found':>8}{'false':>7}{'possible':>10}")
    previous = None
    for kind, n in runs:
        proc = subprocess.run([sys.executable, __file__, "--child", kind, str(n)], capture_output=True, text=True)
        if proc.returncode:
            last = (proc.stderr.strip().splitlines() or ["killed"])[-1]
            print(f"{kind:<9}{n:>9}  failed (exit {proc.returncode}): {last}")
            continue
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        growth = f"  x{r['seconds'] / previous['seconds']:.1f} time for x{n / previous['records']:.0f} records" \
            if previous and kind == "plain" else ""
        print(f"{kind:<9}{r['records']:>9}{r['seconds']:>9.1f}{r['cpu_seconds']:>8.1f}"
              f"{r['records'] / r['seconds']:>9.0f}{r['peak_rss_mb']:>13}"
              f"{r['candidate_pairs']:>10}{r['removable']:>11}{r['found']:>8}{r['false_merges']:>7}"
              f"{r['possible']:>10}{growth}")
        previous = r if kind == "plain" else previous
    print(speed_line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
