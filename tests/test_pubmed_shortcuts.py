"""The PubMed reader's shortcuts give exactly what the long way gives: esearch ids read by a pattern,
a reply body read in one go, whitespace collapsed without a split."""
from __future__ import annotations

import logging
import socketserver
import threading

from conftest import shared_file
from pubmed_fakes import esearch_xml
from searchflow.sources import pubmed_xml
from searchflow.sources.pubmed import EutilsClient, PubMedSettings
from searchflow.sources.pubmed_xml import CorruptResponse, read_efetch, read_esearch


def entrez_way(body: bytes):
    """What read_esearch gave when Entrez.read read the whole reply: its ids, or its complaint."""
    try:
        result = pubmed_xml._entrez_read(body)
    except CorruptResponse as exc:
        return "CorruptResponse", str(exc)
    return [str(i) for i in result.get("IdList", [])]


def our_way(body: bytes):
    try:
        return read_esearch(body).ids
    except CorruptResponse as exc:
        return "CorruptResponse", str(exc)


def test_esearch_ids_by_pattern_are_those_entrez_reads():
    plain = esearch_xml(10_000, range(30_000_000, 30_010_000), "MCID_1", "1", "q[All Fields]").encode()
    small = esearch_xml(3, [5, 6, 7], "MCID_1", "1", "q").encode()
    bodies = [
        plain, small, esearch_xml(0, [], translation="q").encode(),
        small.replace(b"<Id>6</Id>", b"<Id> 6 </Id>"),                                  # not plain: Entrez reads it
        small.replace(b"<Count>", b"<!-- <IdList><Id>9</Id></IdList> --><Count>"),       # a list in a comment
        shared_file("eutils", "esearch", "esearch_usehistory_webenv.xml").read_bytes(),
        shared_file("eutils", "esearch", "esearch_protein_phrase_not_found.xml").read_bytes(),
    ]
    for body in list(bodies):
        bodies += [body[: len(body) // 2], body[:-30], body.replace(b"</Id>", b"</Ix>", 1),
                   body.replace(b"<Count>", b"<Cuont>", 1)]
    for body in bodies:
        assert our_way(body) == entrez_way(body)
    assert our_way(plain) == [str(p) for p in range(30_000_000, 30_010_000)]
    assert read_esearch(small).count == 3 and read_esearch(small).webenv == "MCID_1"


def test_whitespace_collapses_as_split_and_join_would():
    for text in ["a b", " a  b ", "a\tb", "a\nb", "a\xa0b", "a\u2009b", "a\u3000 b", "a\x1fb", "a\u2028b", "",
                 "  ", "Résumé  en français", "p < 0.05", "x" * 400 + " y"]:
        assert pubmed_xml._collapse(text) == " ".join(text.split()), repr(text)


class CutShortServer(socketserver.ThreadingTCPServer):
    """An HTTP server that promises more body than it sends once (the connection drops mid-reply),
    then answers in full: what werkzeug, which fixes Content-Length, cannot stand in for."""

    daemon_threads = True

    def __init__(self, body: bytes):
        self.body = body
        self.calls = 0
        super().__init__(("127.0.0.1", 0), CutShortHandler)


class CutShortHandler(socketserver.StreamRequestHandler):
    def handle(self):
        length = 0
        while (line := self.rfile.readline()) not in (b"\r\n", b""):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        self.rfile.read(length)
        self.server.calls += 1
        body = self.server.body
        sent = body[:100] if self.server.calls == 1 else body
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nConnection: close\r\n"
                         b"Content-Length: %d\r\n\r\n" % len(body) + sent)


def test_a_reply_cut_short_is_a_broken_connection_and_retried(caplog):
    body = shared_file("eutils", "efetch", "efetch_pubmed_2025dtd_minimal.xml").read_bytes()
    with CutShortServer(body) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        client = EutilsClient(PubMedSettings(base_url=f"http://127.0.0.1:{server.server_address[1]}/",
                                             requests_per_second=0, backoff=0.01, timeout=2.0, progress=False))
        with caplog.at_level(logging.WARNING):
            got, result = client.post("efetch", {"db": "pubmed", "id": "12091962,9997"}, read_efetch)
        server.shutdown()
    assert got == body and result.pmids == ["12091962", "9997"] and server.calls == 2
    assert "connection failed (ChunkedEncodingError)" in caplog.text
