"""E-utilities over HTTP: at NCBI's pace, retrying what is worth retrying.

HTTP goes through requests rather than Bio.Entrez's own opener, because Entrez
hard-codes NCBI's URL (no mirrors, proxies or test servers), sets no timeout and
sleeps a fixed 15 s between retries.
"""
from __future__ import annotations

import logging
import time
from typing import Any, Callable

import requests
import urllib3

from ... import __version__
from ..pubmed_xml import CorruptResponse
from .settings import PubMedSettings

log = logging.getLogger(__name__)


class EutilsError(Exception):
    """PubMed cannot be searched as asked (offline, refused, replay mismatch); one line for the user."""


class EutilsClient:
    """POSTs to E-utilities at NCBI's pace, retrying what is worth retrying.

    Always POST: the parameters (and the API key) then never appear in a URL, so
    not in proxy logs or exception messages either.
    """

    def __init__(self, settings: PubMedSettings):
        self.settings = settings
        limit = settings.requests_per_second
        if limit is None:
            limit = 10.0 if settings.api_key else 3.0
        # 5% over 1/limit: NCBI counts arrivals per second, and arrivals jitter
        self.interval = 1.05 / limit if limit else 0.0
        self._last = float("-inf")
        self.http = requests.Session()
        self.http.headers["User-Agent"] = f"searchflow/{__version__} (+tool={settings.tool})"

    def _wait_turn(self) -> None:
        if self.interval:
            wait = self._last + self.interval - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self._last = time.monotonic()

    def post(self, utility: str, params: dict[str, Any], check: Callable[[bytes], Any]) -> tuple[bytes, Any]:
        """The reply body and ``check(body)``; retries 429, 5xx, timeouts, resets and unreadable XML."""
        s = self.settings
        url = f"{s.base_url}{utility}.fcgi"
        data = dict(params, tool=s.tool)
        if s.email:
            data["email"] = s.email
        if s.api_key:
            data["api_key"] = s.api_key
        problem = ""
        for attempt in range(1, s.max_tries + 1):
            self._wait_turn()
            retry_after: float | None = None
            try:
                with self.http.post(url, data=data, timeout=s.timeout, stream=True) as response:
                    status, headers = response.status_code, response.headers
                    body = _read_body(response) if status < 400 else b""
                if status == 429 or status >= 500:
                    problem = f"HTTP {status}"
                    retry_after = _retry_after(headers.get("Retry-After"))
                elif status >= 400:
                    raise EutilsError(f"{utility}: PubMed refused the request (HTTP {status}) at {s.base_url}")
                else:
                    try:
                        return body, check(body)
                    except CorruptResponse as exc:
                        problem = f"unreadable reply: {exc}"
            except requests.Timeout:
                problem = f"no reply within {s.timeout:g} s"
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError,
                    requests.exceptions.ContentDecodingError) as exc:
                problem = f"connection failed ({type(exc).__name__})"
            if attempt < s.max_tries:
                delay = retry_after if retry_after is not None else min(s.backoff * 2 ** (attempt - 1), 60.0)
                log.warning("%s: %s; try %d of %d in %.1f s", utility, problem, attempt + 1, s.max_tries, delay)
                time.sleep(delay)
        raise EutilsError(f"{utility}: no usable reply from PubMed at {s.base_url} after {s.max_tries} tries "
                          f"({problem})")


def _read_body(response: requests.Response) -> bytes:
    """The whole body in one read: .content reads 10 KB at a time and iter_content in pieces too,
    3x the CPU on a 3 MB efetch reply. A broken read raises what iter_content would have raised."""
    try:
        return response.raw.read(decode_content=True)
    except urllib3.exceptions.ProtocolError as exc:
        raise requests.exceptions.ChunkedEncodingError(exc) from None
    except urllib3.exceptions.DecodeError as exc:
        raise requests.exceptions.ContentDecodingError(exc) from None
    except urllib3.exceptions.ReadTimeoutError as exc:
        raise requests.ConnectionError(exc) from None
    except urllib3.exceptions.SSLError as exc:
        raise requests.exceptions.SSLError(exc) from None


def _retry_after(value: str | None) -> float | None:
    try:
        return min(max(float(value), 0.0), 120.0) if value else None
    except ValueError:
        return None

