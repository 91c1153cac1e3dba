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


@pytest.fixture(scope="session")
def postgres_cluster():
    """A throwaway PostgreSQL cluster on a Unix socket for the whole test run (see
    postgres_cluster.py); skips where no PostgreSQL binaries are installed."""
    from postgres_cluster import Cluster, find_binaries

    binaries = find_binaries()
    if binaries is None:
        pytest.skip("PostgreSQL binaries (initdb, pg_ctl) not found on PATH or in /usr/lib/postgresql/*/bin")
    pytest.importorskip("psycopg", reason="psycopg is not installed")
    cluster = Cluster(binaries)
    try:
        cluster.start()
    except BaseException:
        cluster.stop()
        raise
    yield cluster
    cluster.stop()


@pytest.fixture
def postgres_database(postgres_cluster):
    """The URL of an empty database of this test's own, dropped afterwards."""
    url = postgres_cluster.new_database()
    yield url
    postgres_cluster.drop_database(url)


# Every store backend the store tests run on, by name: each gives the location open_store
# opens a fresh, empty store at. A new backend adds an entry (and starts its server here).
STORE_BACKENDS = {
    "sqlite": lambda request, tmp_path: str(tmp_path / "p.db"),
    "postgresql": lambda request, tmp_path: request.getfixturevalue("postgres_database"),
}


@pytest.fixture(params=sorted(STORE_BACKENDS))
def store(request, tmp_path):
    """A fresh store on each backend in turn; closed afterwards."""
    from searchflow.store import open_store

    opened = open_store(STORE_BACKENDS[request.param](request, tmp_path))
    yield opened
    opened.close()


@pytest.fixture(params=sorted(STORE_BACKENDS))
def store_backend(request, tmp_path, monkeypatch):
    """Runs a project-level test on each backend in turn: the projects it opens use a fresh
    store there (SEARCHFLOW_STORE) instead of the file beside their protocol; the backend's name."""
    if request.param != "sqlite":
        monkeypatch.setenv("SEARCHFLOW_STORE", STORE_BACKENDS[request.param](request, tmp_path))
    return request.param


def pytest_configure(config):
    config.addinivalue_line("markers", "sqlite_only(reason): a store_backend test that needs a SQLite "
                                       "file of its own (two projects, or the file itself); runs on SQLite alone")


def pytest_collection_modifyitems(config, items):
    """A sqlite_only test is not collected for the other backends: it would test nothing there."""
    kept, dropped = [], []
    for item in items:
        backend = getattr(getattr(item, "callspec", None), "params", {}).get("store_backend", "sqlite")
        (dropped if backend != "sqlite" and item.get_closest_marker("sqlite_only") else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
