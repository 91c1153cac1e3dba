"""Blinding in every command: while a stage is blinded, output that shows verdicts needs the
lead (--lead) or shows only the asking reviewer's own (--reviewer); the TUI asks the same rule."""
from __future__ import annotations

import csv
import io
import json

import pytest

from searchflow.cli import main
from searchflow.screening import decisions as sd
from searchflow.screening import ScreeningError

from test_screening_rules import _works, decide, make_project

TA, FT = "title_abstract", "full_text"
BLINDED_COMMANDS = [
    ["conflicts"], ["agreement"], ["decisions", "--format", "csv"],
    ["export", "--stage", "title_abstract", "--verdict", "all", "--format", "csv"],
]

# every test here runs on each store backend (tests/conftest.py)
pytestmark = pytest.mark.usefixtures("store_backend")


@pytest.fixture
def review(tmp_path):
    """ann and bob disagree on one work and agree on another; nobody has unblinded."""
    with make_project(tmp_path) as project:
        w = _works(project, "database")
        decide(project, w[0], TA, "ann", "include", note="ann's note")
        decide(project, w[0], TA, "bob", "exclude", "wrong design", note="bob's note")
        decide(project, w[1], TA, "ann", "exclude", "wrong population")
        decide(project, w[1], TA, "bob", "exclude", "wrong population")
        decide(project, w[2], TA, "bob", "include")
        yield project, w


def cli(capsys, *args):
    status = main([str(a) for a in args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.mark.parametrize("command", BLINDED_COMMANDS, ids=lambda c: c[0])
def test_blinded_output_needs_the_lead_or_a_reviewer(review, capsys, command):
    project, _ = review
    status, out, err = cli(capsys, command[0], project.protocol.path, *command[1:])
    assert status == 2 and out == ""
    own = ", or --reviewer NAME to see only your own" if command[0] in ("decisions", "export") else ""
    assert err == ("searchflow: error: title_abstract is blinded: give --lead NAME (the lead, ann) to see "
                   f"every verdict{own}\n")        # conflicts and agreement refuse --reviewer: not offered
    status, _, err = cli(capsys, command[0], project.protocol.path, *command[1:], "--lead", "bob")
    assert status == 2 and err == "searchflow: error: only the lead (ann) may see every verdict of a blinded stage, not 'bob'\n"
    status, _, err = cli(capsys, command[0], project.protocol.path, *command[1:], "--reviewer", "zed")
    assert status == 2 and "unknown reviewer 'zed'" in err and err.count("\n") == 1
    status, out, err = cli(capsys, command[0], project.protocol.path, *command[1:], "--lead", "ann")
    assert status == 0 and out, err


def test_the_lead_sees_both_verdicts(review, capsys):
    project, w = review
    status, out, _ = cli(capsys, "conflicts", project.protocol.path, "--format", "csv", "--lead", "ann")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["work"], r["reviewer_1"], r["verdict_1"], r["reviewer_2"], r["verdict_2"]) for r in rows] == \
        [(str(w[0]), "ann", "include", "bob", "exclude")]
    status, out, _ = cli(capsys, "agreement", project.protocol.path, "--stage", TA, "--json", "--lead", "ann")
    pair = json.loads(out)[0]
    assert (pair["n"], pair["a_forward_b_exclude"], pair["both_exclude"]) == (2, 1, 1)


@pytest.mark.parametrize("command", [["conflicts"], ["agreement"]], ids=lambda c: c[0])
def test_a_blinded_reviewer_cannot_see_conflicts_or_agreement(review, capsys, command):
    project, _ = review
    status, out, err = cli(capsys, command[0], project.protocol.path, "--reviewer", "bob")
    assert status == 2 and out == ""
    assert err == ("searchflow: error: title_abstract is blinded: bob screens it and sees only their own verdicts "
                   "until ann unblinds it (searchflow unblind PROTOCOL --stage title_abstract --lead ann)\n")
    # a resolver who screens nothing may (their job), as in the TUI's conflicts screen
    assert cli(capsys, command[0], project.protocol.path, "--reviewer", "cat")[0] == 0


def test_a_reviewer_gets_only_their_own_decisions(review, capsys):
    project, w = review
    status, out, _ = cli(capsys, "decisions", project.protocol.path, "--reviewer", "bob")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert status == 0 and {r["reviewer"] for r in rows} == {"bob"}
    assert [(r["work"], r["verdict"]) for r in rows] == [(str(w[0]), "exclude"), (str(w[1]), "exclude"),
                                                        (str(w[2]), "include")]
    assert "ann's note" not in out


def test_a_reviewer_exports_their_own_verdicts(review, capsys):
    project, w = review
    status, out, _ = cli(capsys, "export", project.protocol.path, "--stage", TA, "--verdict", "exclude",
                         "--format", "csv", "--reviewer", "ann")
    rows = list(csv.DictReader(io.StringIO(out)))
    # ann's own excludes (w[1]); the work she included but bob excluded is not in her export
    assert status == 0 and [r["work"] for r in rows] == [str(w[1])]
    assert rows[0]["title_abstract_status"] == "blinded"
    assert rows[0]["title_abstract_reviewers"] == "ann: exclude (wrong population)"
    status, out, _ = cli(capsys, "export", project.protocol.path, "--stage", TA, "--verdict", "include",
                         "--format", "ris", "--reviewer", "ann")
    assert "bob" not in out and "wrong design" not in out and f"ID  - {w[0]}" in out


def test_unblinding_opens_every_command(review, capsys, monkeypatch):
    project, w = review
    assert cli(capsys, "unblind", project.protocol.path, "--stage", TA, "--lead", "ann")[0] == 0
    assert cli(capsys, "unblind", project.protocol.path, "--stage", TA, "--lead", "ann") == \
        (0, "title_abstract is already unblinded: reviewers see each other's verdicts (nothing recorded)\n", "")
    recorded = []
    monkeypatch.setattr(project.store, "add_blinding", lambda *event: recorded.append(event))
    assert sd.unblind(project.store, project.protocol, TA, "ann") is None and recorded == []
    # full text is still blinded: a command over both stages still needs a name, one at TA does not
    status, _, err = cli(capsys, "conflicts", project.protocol.path)
    assert status == 2 and err == ("searchflow: error: full_text is blinded: give --lead NAME (the lead, ann) to see "
                                   "every verdict, or --stage title_abstract, unblinded\n")
    assert cli(capsys, "conflicts", project.protocol.path, "--stage", TA)[0] == 0
    assert cli(capsys, "unblind", project.protocol.path, "--stage", FT, "--lead", "ann")[0] == 0
    for command in BLINDED_COMMANDS:
        status, out, err = cli(capsys, command[0], project.protocol.path, *command[1:])
        assert status == 0, (command, err)
    status, out, _ = cli(capsys, "decisions", project.protocol.path, "--reviewer", "bob")
    assert {r["reviewer"] for r in csv.DictReader(io.StringIO(out))} == {"ann", "bob"}


def test_one_rule_for_commands_and_the_tui(review):
    """The TUI's test (can_see_others) and the commands' (shown_verdicts) agree for every person."""
    project, _ = review
    s, p = project.store, project.protocol
    for person in ("ann", "bob", "cat"):
        blinded = bool(sd.shown_verdicts(s, p, [TA], reviewer=person))
        assert blinded == (not sd.can_see_others(s, p, TA, person))
    assert sd.shown_verdicts(s, p, [TA, FT], lead="ann") == {}
    with pytest.raises(ScreeningError, match="title_abstract is blinded"):
        sd.shown_verdicts(s, p, [TA])


def test_one_reviewer_has_nobody_to_be_blind_to(tmp_path, capsys):
    with make_project(tmp_path) as project:
        path = project.protocol.path
    path.write_text(path.read_text().replace('reviewers = ["ann", "bob"]', 'reviewers = ["ann"]'))
    assert cli(capsys, "decisions", path)[0] == 0
