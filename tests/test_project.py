"""The import pipeline end to end: idempotent runs, versions, transactions, the CLI."""
from __future__ import annotations

import csv
import io
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from searchflow import Project
from searchflow.cli import main

ROOT = Path(__file__).resolve().parents[1]

RIS_A = """TY  - JOUR
TI  - Link workers in primary care: a qualitative study
AU  - Moffatt, Suzanne
AU  - Steer, Mel
PY  - 2017
T2  - BMJ Open
VL  - 7
SP  - e015203
DO  - 10.1136/bmjopen-2016-015203
ER  - 

TY  - JOUR
TI  - Social prescribing: a realist review
AU  - Husk, Kerryn
PY  - 2020
T2  - Health Soc Care Community
VL  - 28
IS  - 2
SP  - 309
EP  - 24
DO  - https://doi.org/10.1111/HSC.12839
ER  - 
"""

RIS_B_EXTRA = """
TY  - JOUR
TI  - The frontline of social prescribing
AU  - Frostick, Caroline
PY  - 2021
ER  - 
"""

# every test here runs on each store backend (tests/conftest.py)
pytestmark = pytest.mark.usefixtures("store_backend")


def make_project(tmp_path: Path, ris_text: str = RIS_A) -> Path:
    (tmp_path / "exports").mkdir(exist_ok=True)
    (tmp_path / "exports" / "embase.ris").write_text(ris_text, encoding="utf-8")
    protocol = tmp_path / "review.toml"
    protocol.write_text(
        '[review]\ntitle = "Test review"\n[screening]\nreviewers = ["alice", "bob"]\n'
        '[[search]]\nid = "embase"\ndatabase = "Embase"\nplatform = "Embase.com"\n'
        'date = "2023-03-14"\nquery = "link worker*"\nfiles = ["exports/embase.ris"]\n',
        encoding="utf-8")
    return protocol


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "searchflow", *args], capture_output=True, text=True)


def test_run_is_idempotent_and_a_changed_file_is_a_new_version(tmp_path):
    protocol = make_project(tmp_path)
    with Project.open(protocol) as project:
        first = project.run()
        assert [c.status for c in first.changes] == ["new"]
        assert first.changes[0].records == 2
        again = project.run()
        assert [c.status for c in again.changes] == ["unchanged"]
        assert project.store.counts() == {"records": 2, "works": 2}
        works_before = dict(zip(project.records()["title"], project.records()["work"]))

    (tmp_path / "exports" / "embase.ris").write_text(RIS_A + RIS_B_EXTRA, encoding="utf-8")
    with Project.open(protocol) as project:
        changed = project.run().changes[0]
        assert (changed.status, changed.version, changed.records, changed.carried) == ("changed", 2, 3, 2)
        assert "version 2" in changed.describe() and "+1" in changed.describe()
        records = project.records()
        assert len(records) == 3
        works_after = dict(zip(records["title"], records["work"]))
        for title, work in works_before.items():
            assert works_after[title] == work      # decisions on these works carry over
        runs = project.search_runs(current_only=False)
        assert list(runs["version"]) == [1, 2] and list(runs["is_current"]) == [0, 1]


def test_records_dataframe_has_the_interface_columns_and_normalised_values(tmp_path):
    with Project.open(make_project(tmp_path)) as project:
        project.run()
        df = project.records()
    for column in ["search", "database", "work", "title", "authors", "year", "journal", "volume",
                   "issue", "pages", "doi", "pmid", "abstract"]:
        assert column in df.columns
    husk = df[df["title"].str.startswith("Social")].iloc[0]
    assert husk["doi"] == "10.1111/hsc.12839"
    assert husk["pages"] == "309-324"
    assert husk["year"] == 2020 and husk["search"] == "embase" and husk["database"] == "Embase"
    assert husk["authors"] == "Husk, K"


@pytest.mark.sqlite_only("the store file's size")
def test_failed_import_changes_nothing_and_says_one_line(tmp_path):
    protocol = make_project(tmp_path)
    assert main(["run", str(protocol)]) == 0
    # a second search whose file is truncated: the whole run is refused, the store unchanged
    bad = tmp_path / "exports" / "cinahl.ris"
    bad.write_text(RIS_A + "TY  - JOUR\nTI  - cut off in the middle\n", encoding="utf-8")
    with open(protocol, "a", encoding="utf-8") as fh:
        fh.write('[[search]]\nid = "cinahl"\ndatabase = "CINAHL"\nfiles = ["exports/cinahl.ris"]\n')
    before = (tmp_path / "review.db").stat().st_size, _counts(protocol)
    result = run_cli("run", str(protocol))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "cinahl.ris" in result.stderr
    assert _counts(protocol) == before[1]


def _counts(protocol: Path) -> tuple:
    with Project.open(protocol) as project:
        return (project.store.counts()["records"], len(project.store.search_runs()))


@pytest.mark.parametrize("content, message", [
    (b"", "file is empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "binary file"),
    (b"Dear colleague,\nplease find the references attached.\n", "unrecognised format"),
])
def test_bad_files_get_one_line_errors(tmp_path, content, message):
    protocol = make_project(tmp_path)
    bad = tmp_path / "bad.ris"
    bad.write_bytes(content)
    result = run_cli("import", str(protocol), str(bad), "--database", "CINAHL")
    assert result.returncode == 2
    assert message in result.stderr and str(bad) in result.stderr
    assert result.stderr.count("\n") == 1
    assert _counts(protocol) == (0, 0)


def test_ad_hoc_import_refuses_a_date_that_is_no_day(tmp_path):
    protocol = make_project(tmp_path)
    good = tmp_path / "exports" / "embase.ris"
    result = run_cli("import", str(protocol), str(good), "--database", "Embase", "--date", "2023-13-45")
    assert result.returncode == 2
    assert result.stderr == ("searchflow import: error: argument --date: expected a date as YYYY-MM-DD, "
                             "got '2023-13-45' (`searchflow import --help` shows the usage)\n")
    assert _counts(protocol) == (0, 0)


def test_an_out_file_that_cannot_be_written_is_one_line_and_a_new_folder_is_made(tmp_path):
    protocol = make_project(tmp_path)
    assert main(["run", str(protocol)]) == 0
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder", encoding="utf-8")
    result = run_cli("records", str(protocol), "--format", "csv", "--out", str(blocked / "records.csv"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr == f"searchflow: error: {blocked / 'records.csv'}: Not a directory\n"
    fresh = tmp_path / "new" / "folder" / "records.csv"
    assert run_cli("records", str(protocol), "--format", "csv", "--out", str(fresh)).returncode == 0
    assert fresh.read_text(encoding="utf-8").startswith("search,database,work,")


def test_one_file_named_twice_in_an_import_is_refused(tmp_path):
    protocol = make_project(tmp_path)
    export = tmp_path / "exports" / "embase.ris"
    result = run_cli("import", str(protocol), str(export), str(tmp_path / "exports" / ".." / "exports" / "embase.ris"),
                     "--database", "Embase")
    assert result.returncode == 2 and "named twice in search 'import:embase'" in result.stderr
    assert _counts(protocol) == (0, 0)
    with open(protocol, "a", encoding="utf-8") as fh:       # the same in a protocol, spelt two ways
        fh.write('[[search]]\nid = "twice"\ndatabase = "Embase"\nfiles = ["exports/embase.ris", "./exports/embase.ris"]\n')
    result = run_cli("run", str(protocol))
    assert result.returncode == 2 and "named twice in search 'twice'" in result.stderr
    assert result.stderr.count("\n") == 1
    assert _counts(protocol) == (0, 0)


def test_missing_file_named_in_protocol(tmp_path):
    protocol = make_project(tmp_path)
    (tmp_path / "exports" / "embase.ris").unlink()
    result = run_cli("run", str(protocol))
    assert result.returncode == 2
    assert "embase.ris: file not found" in result.stderr and "embase" in result.stderr


def test_invalid_utf8_falls_back_to_cp1252_with_a_warning(tmp_path):
    protocol = make_project(tmp_path)
    legacy = tmp_path / "legacy.ris"
    legacy.write_bytes(RIS_A.replace("Moffatt, Suzanne", "Mart\xednez, Jos\xe9").encode("cp1252"))
    result = run_cli("import", str(protocol), str(legacy), "--database", "PsycINFO", "--id", "embase")  # a search the protocol counts
    assert result.returncode == 0, result.stderr
    assert "legacy.ris" in result.stderr and "Windows-1252" in result.stderr
    with Project.open(protocol) as project:
        authors = list(project.records()["authors"])
    assert any(a.startswith("Martínez, J") for a in authors)


def test_records_csv_and_status_through_the_entry_point(tmp_path):
    protocol = make_project(tmp_path)
    assert run_cli("run", str(protocol)).returncode == 0
    result = run_cli("records", str(protocol), "--format", "csv")
    assert result.returncode == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 2
    assert list(rows[0])[:13] == ["search", "database", "work", "title", "authors", "year", "journal",
                                  "volume", "issue", "pages", "doi", "pmid", "abstract"]
    status = run_cli("status", str(protocol))
    assert status.returncode == 0
    assert "embase" in status.stdout and "100%" in status.stdout


def test_example_protocol_runs(tmp_path):
    shutil.copytree(ROOT / "protocols", tmp_path / "protocols", ignore=shutil.ignore_patterns("*.db*"))
    shutil.copytree(ROOT / "exports", tmp_path / "exports")
    result = run_cli("run", str(tmp_path / "protocols" / "link-workers.toml"))
    assert result.returncode == 0, result.stderr
    for search in ["embase", "cinahl", "medline", "psycinfo", "socindex", "grey", "cluster"]:
        assert f"{search}: imported" in result.stdout
    with Project.open(tmp_path / "protocols" / "link-workers.toml") as project:
        df = project.records()
    assert len(df) == 8 + 6 + 8 + 3 + 3 + 3 + 3
    assert set(df["search"]) == {"embase", "cinahl", "medline", "psycinfo", "socindex", "grey", "cluster"}
    # every database record carries the DOI its vendor hid somewhere (L3, prefixed DO, LID)
    assert (df[df["search"] != "grey"]["doi"] != "").all()


def test_example_screening_script_fills_the_flow(tmp_path):
    shutil.copytree(ROOT / "protocols", tmp_path / "protocols", ignore=shutil.ignore_patterns("*.db*"))
    shutil.copytree(ROOT / "exports", tmp_path / "exports")
    protocol = tmp_path / "protocols" / "link-workers.toml"
    assert run_cli("run", str(protocol)).returncode == 0
    script = subprocess.run([sys.executable, str(tmp_path / "protocols" / "example_screening.py"), str(protocol)],
                            capture_output=True, text=True)
    assert script.returncode == 0, script.stderr
    assert run_cli("run", str(protocol)).returncode == 0
    with open(tmp_path / "out" / "link-workers" / "prisma.csv", newline="", encoding="utf-8") as fh:
        values = {row["data"]: row["n"] for row in csv.DictReader(fh)}
    # bob has three works still to screen at title/abstract (one alice excluded, two she included)
    assert values["records_screened"] == "14" and values["records_excluded"] == "1"
    assert values["dbr_sought_reports"] == "10"
    assert values["new_studies"] == "8" and values["new_reports"] == "9"
    flow_md = (tmp_path / "out" / "link-workers" / "flow.md").read_text(encoding="utf-8")
    assert "| awaiting_screening | Awaiting a screening decision (databases and registers) | 3 |" in flow_md
