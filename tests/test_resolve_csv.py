"""Bulk resolutions: `resolve PROTOCOL --from-csv FILE`, fed the conflicts CSV with the
resolution columns filled in; one transaction, every row checked, errors name file and line."""
from __future__ import annotations

import csv
import io

import pytest

from searchflow.cli import main
from searchflow.screening import decisions as sd

from test_screening_rules import _works, decide, make_project

TA = "title_abstract"

# every test here runs on each store backend (tests/conftest.py)
pytestmark = pytest.mark.usefixtures("store_backend")


@pytest.fixture
def conflicted(tmp_path):
    """Four title/abstract conflicts between ann and bob; cat resolves."""
    with make_project(tmp_path, n_db=6) as project:
        works = _works(project, "database")[:4]
        for work in works:
            decide(project, work, TA, "ann", "include")
            decide(project, work, TA, "bob", "exclude", "wrong design")
        yield project, works


def cli(capsys, *args):
    status = main([str(a) for a in args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def filled_in(capsys, project, tmp_path, answers: dict[int, dict], name="resolved.csv"):
    """The conflicts CSV as `conflicts --format csv` writes it, with resolution columns added."""
    status, out, err = cli(capsys, "conflicts", project.protocol.path, "--format", "csv", "--lead", "ann")
    assert status == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    columns = list(rows[0]) + ["verdict", "reason", "resolver", "note"]
    path = tmp_path / name
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, **answers.get(int(row["work"]), {})})
    return path


def resolutions(project) -> dict[int, tuple]:
    finals = sd.final_decisions(project.store, project.protocol, TA)
    return {w: (f.verdict, f.reason, f.resolution.reviewer, f.resolution.note)
            for w, f in finals.items() if f.status == "resolved"}


def test_the_conflicts_csv_filled_in_resolves_them(conflicted, capsys, tmp_path):
    project, w = conflicted
    assert cli(capsys, "unblind", project.protocol.path, "--stage", TA, "--lead", "ann")[0] == 0   # consensus
    path = filled_in(capsys, project, tmp_path, {
        w[0]: {"verdict": "include", "resolver": "cat", "note": "meets criteria"},
        w[1]: {"verdict": "exclude", "reason": "Wrong design"},         # resolver from --resolver
        w[2]: {"verdict": "include"},
    })
    status, out, err = cli(capsys, "resolve", project.protocol.path, "--from-csv", path, "--resolver", "ann",
                           "--note", "consensus meeting")
    assert status == 0, err
    assert out == f"{path}: 3 conflicts resolved; 1 rows without a verdict left open\n"
    assert resolutions(project) == {
        w[0]: ("include", "", "cat", "meets criteria"),
        w[1]: ("exclude", "wrong design", "ann", "consensus meeting"),     # the protocol's spelling
        w[2]: ("include", "", "ann", "consensus meeting"),
    }
    assert [c.work_id for c in sd.conflicts(project.store, project.protocol, TA)] == [w[3]]


@pytest.mark.parametrize("answers, line, message", [
    ({1: {"verdict": "include", "resolver": "cat"}, 2: {"verdict": "discard", "resolver": "cat"}}, 3,
     "verdict 'discard' is not allowed at title_abstract"),
    ({1: {"verdict": "exclude", "reason": "too long", "resolver": "cat"}}, 2, "unknown reason 'too long'"),
    ({1: {"verdict": "include", "resolver": "zed"}}, 2, "'zed' may not resolve conflicts"),
    ({1: {"verdict": "include"}}, 2, "no resolver: fill in the resolver column or give --resolver NAME"),
    ({1: {"verdict": "include", "resolver": "bob"}}, 2, "title_abstract is blinded: bob screens it"),
    ({1: {"verdict": "include", "resolver": "cat"}, 4: {"verdict": "not_retrieved", "resolver": "cat"}}, 5,
     "verdict 'not_retrieved' is not allowed at title_abstract"),      # the first row is rolled back
])
def test_a_bad_row_refuses_the_whole_file_naming_its_line(conflicted, capsys, tmp_path, answers, line, message):
    project, w = conflicted
    path = filled_in(capsys, project, tmp_path, {w[i - 1]: a for i, a in answers.items()})
    status, out, err = cli(capsys, "resolve", project.protocol.path, "--from-csv", path)
    assert status == 2 and out == ""
    assert err.startswith(f"searchflow: error: {path}:{line}: {message}") and err.count("\n") == 1
    assert resolutions(project) == {}                # nothing of the file was kept


def test_lines_are_counted_in_the_file_and_repeats_refused(conflicted, capsys, tmp_path):
    project, w = conflicted
    path = tmp_path / "by-hand.csv"
    path.write_text('work,stage,verdict,resolver,note\n'
                    f'{w[0]},{TA},include,cat,"two\nlines"\n'
                    f'{w[1]},{TA},exclude,cat,\n'
                    f'{w[0]},{TA},exclude,cat,\n', encoding="utf-8")
    status, _, err = cli(capsys, "resolve", project.protocol.path, "--from-csv", path)
    assert status == 2
    assert err == f"searchflow: error: {path}:5: work {w[0]} at {TA} is resolved on line 2 already\n"
    path.write_text(f"work,stage\n{w[0]},{TA}\n", encoding="utf-8")
    status, _, err = cli(capsys, "resolve", project.protocol.path, "--from-csv", path)
    assert err == (f"searchflow: error: {path}:1: missing column(s) verdict; "
                   "expected work, stage, verdict, reason, resolver, note\n")
    path.write_text(f"work,stage,verdict,resolver\nfive,{TA},include,cat\n", encoding="utf-8")
    assert cli(capsys, "resolve", project.protocol.path, "--from-csv", path)[2] == \
        f"searchflow: error: {path}:2: work 'five': expected a work number\n"
    assert resolutions(project) == {}


def test_from_csv_and_single_options_do_not_mix(conflicted, capsys, tmp_path):
    project, w = conflicted
    status, _, err = cli(capsys, "resolve", project.protocol.path, "--from-csv", tmp_path / "x.csv", "--work", w[0])
    assert status == 2 and err == "searchflow: error: --work: the file's columns give these with --from-csv\n"
    status, _, err = cli(capsys, "resolve", project.protocol.path, "--work", w[0], "--stage", TA)
    assert status == 2 and err == "searchflow: error: resolve needs --resolver, --verdict (or --from-csv FILE for many)\n"
    status, _, err = cli(capsys, "resolve", project.protocol.path, "--from-csv", tmp_path / "missing.csv")
    assert status == 2 and err == f"searchflow: error: {tmp_path / 'missing.csv'}: file not found\n"


def test_the_same_file_run_again_records_nothing_new(conflicted, capsys, tmp_path):
    project, w = conflicted
    assert cli(capsys, "unblind", project.protocol.path, "--stage", TA, "--lead", "ann")[0] == 0
    path = filled_in(capsys, project, tmp_path, {w[0]: {"verdict": "include"}, w[1]: {"verdict": "exclude",
                                                                                        "reason": "wrong design"}})
    assert cli(capsys, "resolve", project.protocol.path, "--from-csv", path, "--resolver", "ann")[0] == 0
    events = len(sd.export_decisions(project.store))
    status, out, err = cli(capsys, "resolve", project.protocol.path, "--from-csv", path, "--resolver", "ann")
    assert status == 0, err
    assert out == f"{path}: 0 conflicts resolved; 2 already resolved so, unchanged; 2 rows without a verdict left open\n"
    assert len(sd.export_decisions(project.store)) == events
    # one row changed: only that one is a new resolution
    path.write_text(path.read_text(encoding="utf-8").replace(",wrong design,", ",wrong population,"), encoding="utf-8")
    status, out, _ = cli(capsys, "resolve", project.protocol.path, "--from-csv", path, "--resolver", "ann")
    assert out.startswith(f"{path}: 1 conflicts resolved; 1 already resolved so, unchanged")
    assert len(sd.export_decisions(project.store)) == events + 1
    assert resolutions(project)[w[1]][:2] == ("exclude", "wrong population")
    # the single command alike: the same resolution again is the standing event
    status, out, _ = cli(capsys, "resolve", project.protocol.path, "--work", w[0], "--stage", TA,
                         "--resolver", "ann", "--verdict", "include")
    assert status == 0 and len(sd.export_decisions(project.store)) == events + 1


def test_conflicts_out_writes_the_same_csv_to_a_file(conflicted, capsys, tmp_path):
    project, w = conflicted
    status, shown, _ = cli(capsys, "conflicts", project.protocol.path, "--format", "csv", "--lead", "ann")
    out = tmp_path / "sheets" / "conflicts.csv"                    # a missing folder is made
    status, printed, err = cli(capsys, "conflicts", project.protocol.path, "--format", "csv", "--lead", "ann",
                               "--out", out)
    assert status == 0, err
    assert printed == "" and out.read_text(encoding="utf-8") == shown
    assert len(list(csv.DictReader(io.StringIO(shown)))) == 4
