"""Talking to E-utilities politely: pace, identification, retries, and the API key kept out of the store."""
from __future__ import annotations

import logging
import socket
import struct
import time

import pytest
from werkzeug import Response

from conftest import shared_file
from pubmed_fakes import error_xml, settings_for, xml_response
from searchflow.sources.pubmed import Conversation, EutilsClient, EutilsError, PubMedSettings
from searchflow.sources.pubmed_xml import read_efetch, read_esearch
from searchflow.store.sqlite import SQLiteStore as Store

KEY = "k3y-d0-not-st0re-0123456789abcdef"


def serve(server, utility: str, handler):
    server.expect_request(f"/{utility}.fcgi", method="POST").respond_with_handler(handler)


def esearch_body() -> bytes:
    return shared_file("eutils", "esearch", "esearch_simple.xml").read_bytes()


class Recorder:
    """Answers with the real esearch reply; remembers when each request arrived and what it sent."""

    def __init__(self, body: bytes):
        self.body = body
        self.times: list[float] = []
        self.forms: list[dict] = []

    def __call__(self, request):
        self.times.append(time.monotonic())
        self.forms.append(request.form.to_dict(flat=False))
        return xml_response(self.body)


def max_in_one_second(times: list[float]) -> int:
    return max(sum(1 for t in times if start <= t < start + 1.0) for start in times)


def test_without_key_at_most_three_requests_a_second_with_tool_and_email(server):
    recorder = Recorder(esearch_body())
    serve(server, "esearch", recorder)
    client = EutilsClient(settings_for(server, requests_per_second=None))       # NCBI's pace
    for _ in range(7):
        _, result = client.post("esearch", {"db": "pubmed", "term": "biopython"}, read_esearch)
        assert result.count == 63
    gaps = [b - a for a, b in zip(recorder.times, recorder.times[1:])]
    assert min(gaps) >= 0.32, gaps
    assert max_in_one_second(recorder.times) <= 3
    form = recorder.forms[0]
    assert form["tool"] == ["searchflow"] and form["email"] == ["reviewer@example.org"]
    assert "api_key" not in form


def test_with_key_at_most_ten_a_second_and_key_sent(server):
    recorder = Recorder(esearch_body())
    serve(server, "esearch", recorder)
    client = EutilsClient(settings_for(server, api_key=KEY, requests_per_second=None))
    for _ in range(15):
        client.post("esearch", {"db": "pubmed", "term": "biopython"}, read_esearch)
    gaps = [b - a for a, b in zip(recorder.times, recorder.times[1:])]
    assert min(gaps) >= 0.08, gaps                              # arrival jitter is a few ms
    assert max_in_one_second(recorder.times) <= 10
    assert recorder.times[-1] - recorder.times[0] < 2.5          # and it did use the faster pace
    assert recorder.forms[0]["api_key"] == [KEY]


class Faulty:
    """Fails in the listed ways, one per request, then answers properly."""

    def __init__(self, faults: list[str], body: bytes):
        self.faults = list(faults)
        self.body = body
        self.calls = 0

    def __call__(self, request):
        self.calls += 1
        fault = self.faults.pop(0) if self.faults else None
        if fault == "429":
            return Response("Too Many Requests", status=429, headers={"Retry-After": "0.05"})
        if fault == "500":
            return Response("Internal Server Error", status=500)
        if fault == "502":
            return Response("<html>Bad Gateway</html>", status=502)
        if fault == "slow":
            time.sleep(0.8)
        if fault == "truncated":
            return xml_response(self.body[: len(self.body) // 2])
        if fault == "html":
            return Response("<html><body>maintenance</body></html>", content_type="text/html")
        if fault == "reset":
            sock = request.environ["werkzeug.socket"]
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()                                # RST: "connection reset by peer"
            return Response("", status=200)
        return xml_response(self.body)


@pytest.mark.parametrize("faults", [["429", "429"], ["500", "502"], ["slow"], ["truncated", "html"], ["reset"]])
def test_retries_then_succeeds(server, faults, caplog):
    body = shared_file("eutils", "efetch", "efetch_pubmed_2025dtd_minimal.xml").read_bytes()
    faulty = Faulty(faults, body)
    serve(server, "efetch", faulty)
    client = EutilsClient(settings_for(server, api_key=KEY, timeout=0.4, requests_per_second=0))
    with caplog.at_level(logging.DEBUG):
        got, result = client.post("efetch", {"db": "pubmed", "id": "12091962,9997"}, read_efetch)
    assert got == body and result.pmids == ["12091962", "9997"]
    assert faulty.calls == len(faults) + 1
    assert len([r for r in caplog.records if "try" in r.getMessage()]) == len(faults)
    assert KEY not in caplog.text


def test_gives_up_after_max_tries_with_one_line_error_without_key(server):
    faulty = Faulty(["500"] * 10, b"")
    serve(server, "esearch", faulty)
    client = EutilsClient(settings_for(server, api_key=KEY, max_tries=3, requests_per_second=0))
    with pytest.raises(EutilsError) as failure:
        client.post("esearch", {"db": "pubmed", "term": "x"}, read_esearch)
    message = str(failure.value)
    assert faulty.calls == 3 and "HTTP 500" in message and "\n" not in message and KEY not in message


def test_backoff_doubles(server, monkeypatch):
    slept: list[float] = []
    monkeypatch.setattr("searchflow.sources.pubmed.client.time.sleep", slept.append)
    serve(server, "esearch", Faulty(["500", "500", "500"], esearch_body()))
    client = EutilsClient(settings_for(server, backoff=1.0, requests_per_second=0))
    client.post("esearch", {"db": "pubmed", "term": "x"}, read_esearch)
    assert slept == [1.0, 2.0, 4.0]


def test_client_error_is_not_retried(server):
    faulty = Faulty([], b"")
    server.expect_request("/esearch.fcgi").respond_with_response(Response("bad", status=400))
    client = EutilsClient(settings_for(server, requests_per_second=0))
    with pytest.raises(EutilsError, match="HTTP 400"):
        client.post("esearch", {"db": "pubmed", "term": "x"}, read_esearch)
    assert faulty.calls == 0 and len(server.log) == 1


def test_no_server_fails_in_one_line(server):
    url = server.url_for("/")
    server.stop()
    client = EutilsClient(PubMedSettings(base_url=url, backoff=0.01, max_tries=2, api_key=KEY))
    with pytest.raises(EutilsError) as failure:
        client.post("esearch", {"db": "pubmed", "term": "x"}, read_esearch)
    assert "connection failed" in str(failure.value) and KEY not in str(failure.value)


def test_conversation_stores_replies_without_key_and_replays_offline(server, tmp_path):
    body = esearch_body()
    serve(server, "esearch", Recorder(body))
    serve(server, "efetch", lambda request: xml_response(error_xml("eFetchResult", "Unable to obtain query #1")))
    store = Store.open(tmp_path / "p.db")
    run_id = store.begin_pending_run("s", database="PubMed", method="database", connector="pubmed")
    live = Conversation(store, run_id, EutilsClient(settings_for(server, api_key=KEY, requests_per_second=0)), "s")
    first = live.call("esearch", {"db": "pubmed", "term": "biopython"}, read_esearch)
    refused = live.call("efetch", {"db": "pubmed", "WebEnv": "old", "query_key": "1"}, read_efetch)
    assert first.count == 63 and "query #1" in refused.message     # refusals are stored too
    server.stop()
    replay = Conversation(store, run_id, None, "s")
    assert replay.call("esearch", {"db": "pubmed", "term": "biopython"}, read_esearch) == first
    assert replay.call("efetch", {"db": "pubmed", "WebEnv": "old", "query_key": "1"}, read_efetch) == refused
    with pytest.raises(EutilsError, match="offline"):
        replay.call("esearch", {"db": "pubmed", "term": "other"}, read_esearch)
    stored = store.conn.execute("SELECT request FROM eutils_response").fetchall()
    assert all(KEY not in row[0] and "api_key" not in row[0] for row in stored)
    store.close()
    assert KEY.encode() not in (tmp_path / "p.db").read_bytes()
