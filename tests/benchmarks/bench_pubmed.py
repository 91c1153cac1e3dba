"""Benchmark: a 50,000-record PubMed search through efetch -> parse -> store, from a local server.

The pretend PubMed runs in a child process (so its XML templating does not share our CPU
time) with every efetch reply body prepared before timing starts; the rate limit is off.
The search is over 10,000 hits, so the date slicing runs too. Prints records/s (wall and per
CPU-second of this process and its reader processes: the machine may be busy with other work),
what `searchflow run` costs when nothing changed and after a reader version change, and peak RSS.
Records are read in reader processes (one per core, or READER_PROCESSES; 0 reads them here).

    .venv/bin/python tests/benchmarks/bench_pubmed.py [N [READER_PROCESSES [RUNS]]]
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # tests/ for pubmed_fakes

from pubmed_fakes import EFETCH_HEAD, FakePubMed, article_xml, xml_response  # noqa: E402

from searchflow.protocol import Search  # noqa: E402
from searchflow.sources.pubmed import PubMedSettings, default_reader_processes, run_search, stored_records  # noqa: E402
from searchflow.sources.pubmed import runs as pubmed  # noqa: E402  (the module that reads stored replies)
from searchflow.sources.pubmed_xml import parse_efetch  # noqa: E402
from searchflow.store.sqlite import SQLiteStore as Store  # noqa: E402

TODAY = date(2026, 11, 22)


def make_corpus(n: int) -> dict[int, date]:
    rng = random.Random(42)
    return {p: date(1995, 1, 1) + timedelta(days=rng.randrange(30 * 365))
            for p in rng.sample(range(1_000_000, 40_000_000), n)}


class PreparedPubMed(FakePubMed):
    """efetch replies joined from article XML made before the clock starts (the server's own
    work per reply is a join of 500 strings; an esearch scans the corpus in under 10 ms)."""

    def __init__(self, corpus):
        super().__init__(corpus, rich=True)
        self.xml = {p: article_xml(p, d) for p, d in corpus.items()}

    def efetch(self, form):
        ids = self.histories[form["WebEnv"]][int(form["retstart"]):int(form["retstart"]) + int(form["retmax"])] \
            if "WebEnv" in form else [int(i) for i in form["id"].split(",")]
        return xml_response((EFETCH_HEAD + "<PubmedArticleSet>" + "".join(self.xml[p] for p in ids)
                             + "</PubmedArticleSet>").encode())


def serve(n: int, port_queue) -> None:
    from werkzeug import Request
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)     # no line per request
    fake = PreparedPubMed(make_corpus(n))
    server = make_server("127.0.0.1", 0, Request.application(fake), threaded=True)
    port_queue.put(server.port)
    server.serve_forever()


def cpu_seconds() -> float:
    """CPU time of this process only (the server runs in a child process)."""
    return time.process_time()


def reader_cpu_seconds() -> float:
    """CPU time of the finished child processes: the search's reader processes once it has ended
    (the server is still running, so it is not counted)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(n: int = 50_000, readers: int | None = None, runs: int = 3) -> None:
    readers = default_reader_processes() if readers is None else readers
    ports = multiprocessing.Queue()
    child = multiprocessing.Process(target=serve, args=(n, ports), daemon=True)
    child.start()
    port = ports.get(timeout=120)
    settings = PubMedSettings(base_url=f"http://127.0.0.1:{port}/", email="bench@example.org",
                              requests_per_second=0, progress=False, reader_processes=readers)
    rss_after_search = 0.0
    try:
        with tempfile.TemporaryDirectory() as tmp:
            search = Search(id="bench", database="PubMed", connector="pubmed", query="social prescribing")
            rates = []
            for run in range(1, runs + 1):         # each run into a fresh store; the last one is kept
                store = Store.open(Path(tmp) / f"bench{run}.db")
                start, cpu_start, readers_start = time.perf_counter(), cpu_seconds(), reader_cpu_seconds()
                change, messages = run_search(store, search, settings, today=TODAY)
                elapsed, cpu = time.perf_counter() - start, cpu_seconds() - cpu_start
                reader_cpu = reader_cpu_seconds() - readers_start
                run_id = store.current_run("bench")["id"]
                requests = store.eutils_requests(run_id)
                rates.append(change.records / elapsed)
                print(f"search run {run}: {change.records} records in {elapsed:.2f} s = {rates[-1]:,.0f} records/s "
                      f"(efetch -> parse -> store, {len(requests)} E-utilities requests, rate limit off)")
                print(f"  client CPU time {cpu:.2f} s here + {reader_cpu:.2f} s in {readers} reader processes "
                      f"= {change.records / (cpu + reader_cpu):,.0f} records per CPU-second "
                      f"(load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
                print(f"  {messages[0]}"[:150])
                assert change.records == n, change.records
                if run < runs:
                    store.close()
            print(f"median of {runs}: {statistics.median(rates):,.0f} records/s (target >= 5,000)")

            rss_after_search = peak_rss_mb()
            seqs = [seq for seq, utility, _ in requests if utility == "efetch"]
            size = parsed = 0
            parse_time = parse_cpu = 0.0
            for seq in seqs:                       # one reply at a time, in this process
                body = store.eutils_body(run_id, seq)
                size += len(body)
                start, cpu_start = time.perf_counter(), cpu_seconds()
                parsed += sum(1 for _ in parse_efetch(body))
                parse_time += time.perf_counter() - start
                parse_cpu += cpu_seconds() - cpu_start
            print(f"parse only (one process): {parsed} records from {size / 1e6:.0f} MB XML in {parse_time:.2f} s "
                  f"= {parsed / parse_time:,.0f} records/s; {parsed / parse_cpu:,.0f} per CPU-second")
            start = time.perf_counter()
            replayed = sum(1 for _ in stored_records(store, run_id))
            replay_time = time.perf_counter() - start
            print(f"offline replay (decompress + parse + dedup by PMID): {replayed / replay_time:,.0f} records/s")
            for label in ("unchanged", "after a reader version change"):
                if label != "unchanged":
                    pubmed.PARSER_VERSION += 1
                start, cpu_start = time.perf_counter(), cpu_seconds()
                again, notes = run_search(store, search, settings, today=TODAY)
                print(f"searchflow run again, {label}: {again.status} in {time.perf_counter() - start:.2f} s "
                      f"({cpu_seconds() - cpu_start:.2f} s CPU)")
                print("".join(f"  {note}\n" for note in notes), end="")
            stored_mb = (Path(tmp) / f"bench{runs}.db").stat().st_size / 1e6
            print(f"store file: {stored_mb:.0f} MB (responses zlib-compressed + records)")
            store.close()
    finally:
        child.terminate()
    print(f"peak RSS (this process): {rss_after_search:.0f} MB after the search run, "
          f"{peak_rss_mb():.0f} MB at the end")


if __name__ == "__main__":
    from machine import speed_line
    print(speed_line())
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50_000,
         int(sys.argv[2]) if len(sys.argv) > 2 else None,
         int(sys.argv[3]) if len(sys.argv) > 3 else 3)
    print(speed_line())
