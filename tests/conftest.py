"""Shared test helpers. Real-data tests read ../shared/data beside the project and skip when it is absent."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("SEARCHFLOW_SHARED_DATA", ROOT.parent / "shared" / "data"))
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def shared_file(*parts: str) -> Path:
    """A file in ../shared/data, or skip the test with the reason."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data not available: {path} (real-data test)")
    return path


@pytest.fixture
def shared():
    return shared_file


@pytest.fixture
def server():
    """A local HTTP server standing in for E-utilities (or any web service a test talks to);
    threaded, so a reply a test holds back does not block the next request."""
    from pytest_httpserver import HTTPServer

    httpserver = HTTPServer(threaded=True)
    httpserver.start()
    yield httpserver
    if httpserver.is_running():
        httpserver.clear()
        httpserver.stop()


# Every store backend the store tests run on, by name: each gives the location open_store
# opens a fresh, empty store at. A new backend adds an entry (and starts its server here).
STORE_BACKENDS = {
    "sqlite": lambda tmp_path: str(tmp_path / "p.db"),
}


@pytest.fixture(params=sorted(STORE_BACKENDS))
def store(request, tmp_path):
    """A fresh store on each backend in turn; closed afterwards."""
    from searchflow.store import open_store

    opened = open_store(STORE_BACKENDS[request.param](tmp_path))
    yield opened
    opened.close()
