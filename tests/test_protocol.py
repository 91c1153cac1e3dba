"""Protocol files: the example loads, and every mistake names its key path."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from searchflow.protocol import ProtocolError, load, parse

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "protocols" / "link-workers.toml"

MINIMAL = """
[review]
title = "T"
[[search]]
id = "embase"
database = "Embase"
files = ["a.ris"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "p.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_example_protocol_loads_with_store_beside_it():
    protocol = load(EXAMPLE)
    assert protocol.type == "realist"
    assert protocol.store_path == EXAMPLE.with_suffix(".db")
    ids = [s.id for s in protocol.searches]
    assert ids == ["embase", "cinahl", "medline", "psycinfo", "socindex", "grey", "cluster"]
    cluster = protocol.search("cluster")
    assert cluster.method == "citation" and cluster.round == 2
    for search in protocol.searches:
        for file in search.files:
            assert file.exists(), file
    assert protocol.screening.reviewers == ["alice", "bob"]
    assert "social prescrib*" in protocol.screening.highlight_include


def test_store_key_and_relative_files(tmp_path):
    path = write(tmp_path, MINIMAL.replace('title = "T"', 'title = "T"\nstore = "data/x.db"'))
    protocol = load(path)
    assert protocol.store_path == tmp_path / "data" / "x.db"
    assert protocol.searches[0].files == [tmp_path / "a.ris"]


def test_a_store_url_is_kept_as_written():
    url = "postgresql://review.example.org:5432/linkworkers"
    protocol = parse({"review": {"title": "T", "store": url}}, Path("/reviews/x.toml"))
    assert protocol.store_path == url


@pytest.mark.parametrize("change, expected", [
    (('title = "T"', 'titel = "T"'), "review.titel: expected one of the known keys"),
    (('title = "T"', 'title = 3'), "review.title: expected a string, got 3"),
    (('id = "embase"', 'id = "embase"\nmethod = "library"'), "search[1] (id 'embase').method: expected one of database | register"),
    (('files = ["a.ris"]', 'files = []'), "search[1] (id 'embase').files: expected at least one export file"),
    (('files = ["a.ris"]', 'files = ["a.ris"]\ndate = "14/03/2023"'), "search[1] (id 'embase').date: expected a date as YYYY-MM-DD"),
    (('files = ["a.ris"]', 'files = ["a.ris"]\ndate = "2023-13-45"'), "search[1] (id 'embase').date: expected a date as YYYY-MM-DD, got '2023-13-45'"),
    (('files = ["a.ris"]', 'files = ["a.ris"]\ndate = "2023-02-29"'), "search[1] (id 'embase').date: expected a date as YYYY-MM-DD"),
    (('files = ["a.ris"]', 'files = ["a.ris"]\nmaxdate = "2023/3/14"'), "search[1] (id 'embase').maxdate: expected a publication date as YYYY, YYYY/MM or YYYY/MM/DD"),
    (('files = ["a.ris"]', 'files = ["a.ris"]\nmindate = "2015-00"'), "search[1] (id 'embase').mindate: expected a publication date"),
    (('files = ["a.ris"]', 'files = ["a.ris"]\nround = 0'), "search[1] (id 'embase').round: expected an integer >= 1"),
    (('[review]', '[reveiw]'), "reveiw: expected one of the known keys"),
])
def test_mistakes_name_the_key_path(tmp_path, change, expected):
    path = write(tmp_path, MINIMAL.replace(*change))
    with pytest.raises(ProtocolError) as err:
        load(path)
    assert expected in str(err.value)
    assert str(path) in str(err.value)


@pytest.mark.parametrize("value", ["2023", "2023-03", "2023-03-14", "2024-02-29", "2015/06", "2015/06/30"])
def test_search_dates_of_every_precision_are_accepted(tmp_path, value):
    path = write(tmp_path, MINIMAL.replace('files = ["a.ris"]', f'files = ["a.ris"]\ndate = "{value}"\nmindate = "{value}"'))
    search = load(path).searches[0]
    assert (search.date, search.mindate) == (value, value)


def test_duplicate_search_ids_and_bad_toml(tmp_path):
    path = write(tmp_path, MINIMAL + MINIMAL.split("\n", 3)[3])
    with pytest.raises(ProtocolError, match="id: expected an id used by no other search"):
        load(path)
    path = write(tmp_path, "[review\ntitle = 'x'")
    with pytest.raises(ProtocolError, match="not valid TOML"):
        load(path)
    with pytest.raises(ProtocolError, match="protocol file not found"):
        load(tmp_path / "missing.toml")


def test_cli_reports_protocol_error_in_one_line(tmp_path):
    path = write(tmp_path, MINIMAL.replace('method', 'x').replace('database = "Embase"', 'database = 7'))
    result = subprocess.run([sys.executable, "-m", "searchflow", "status", str(path)],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "search[1] (id 'embase').database: expected a string, got 7" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "p.db").exists()
