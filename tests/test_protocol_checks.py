"""Every protocol setting is checked when the file is read: a wrong value is one line naming the
key path, `searchflow run` exits 2, and the store is as it was (nothing imported, nothing written)."""
from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from searchflow.cli import main
from searchflow.dedup.decide import Thresholds
from searchflow.protocol import Dedup, Prioritise, load, similarity

RIS = "TY  - JOUR\nTI  - {title}\nAU  - Smith, Jane\nPY  - 2021\nDO  - 10.1000/{doi}\nER  - \n\n"

PROTOCOL = """
[review]
title = "Link workers"
{review}
[screening]
reviewers = ["ann", "bob"]
{screening}
[[search]]
id = "embase"
database = "Embase"
files = ["embase.ris"]
{second}
{tables}
"""

SECOND_SEARCH = """
[[search]]
id = "cinahl"
database = "CINAHL"
files = ["cinahl.ris"]
"""

# (table the line goes in, the line, the error expected after "review.toml: ")
WRONG_VALUES = [
    ("screening", 'resolvers = 3', "screening.resolvers: expected a list of names, got 3"),
    ("screening", 'resolvers = ["carol", 3]', "screening.resolvers: expected a list of names, got ['carol', 3]"),
    ("screening", "prioritise = 3",
     "screening.prioritise: expected true, false or a table { min_includes = N, min_excludes = M }, got 3"),
    ("screening", 'prioritise = { min_includes = "abc" }',
     "screening.prioritise.min_includes: expected a whole number >= 1, got 'abc'"),
    ("screening", "prioritise = { min_excludes = 0 }",
     "screening.prioritise.min_excludes: expected a whole number >= 1, got 0"),
    ("screening", "prioritise = { min_inclues = 3 }",
     "screening.prioritise.min_inclues: expected one of the known keys (min_excludes, min_includes), got 'min_inclues'"),
    ("screening", "seed = 1.5", "screening.seed: expected a string or a whole number, got 1.5"),
    ("screening", 'seed = ["abc"]', "screening.seed: expected a string or a whole number, got ['abc']"),
    ("screening", "second_reviewer_share = 20",
     "screening.second_reviewer_share: expected a number from 0 to 1 (0.2 for 20%), got 20"),
    ("screening", "second_reviewer_share = true",
     "screening.second_reviewer_share: expected a number from 0 to 1 (0.2 for 20%), got True"),
    ("screening", "second_reviewer_share = { title_abstract = 0.2, fulltext = 1 }",
     "screening.second_reviewer_share.fulltext: expected one of the known keys (full_text, title_abstract), "
     "got 'fulltext'"),
    ("screening", "second_reviewer_share = { full_text = 1.5 }",
     "screening.second_reviewer_share.full_text: expected a number from 0 to 1 (0.2 for 20%), got 1.5"),
    ("screening", 'maybe_is_conflict = "yes"', "screening.maybe_is_conflict: expected true or false, got 'yes'"),
    ("screening", "screen_other_methods = 1", "screening.screen_other_methods: expected true or false, got 1"),
    ("screening", 'order = "by magic"',
     "screening.order: expected one of 'prioritised', 'as imported', 'random', got 'by magic'"),
    ("screening", 'keys = { inclde = "y" }', "screening.keys.inclde: expected one of different, exclude, filter"),
    ("screening", 'keys = { include = "" }', 'screening.keys.include: expected a key name like "y"'),
    ("screening", 'keys = "y"', 'screening.keys: expected a table of action = "key", got \'y\''),
    ("screening", 'highlight = { include = ["link*"], exclde = ["x"] }',
     "screening.highlight.exclde: expected one of the known keys (exclude, include), got 'exclde'"),
    ("screening", "highlight = { include = [3] }", "screening.highlight.include: expected a list of strings, got [3]"),
    ("screening", 'stopping_rule = "100 irrelevant in a row"',
     "screening.stopping_rule: expected a table { rule = \"...\", stopped = true }, got '100 irrelevant in a row'"),
    ("screening", 'stopping_rule = { rule = "100 irrelevant in a row", stopped = "yes" }',
     "screening.stopping_rule.stopped: expected true or false, got 'yes'"),
    ("screening", "stopping_rule = { irrelevant_in_a_row = 0 }",
     "screening.stopping_rule.irrelevant_in_a_row: expected a whole number >= 1, got 0"),
    ("screening", 'stopping_rule = { rul = "x", stopped = true }',
     "screening.stopping_rule.rul: expected one of the known keys (description, irrelevant_in_a_row, rule, stopped)"),
    ("screening", 'lead = "dave"', "screening.lead: expected one of the reviewers or resolvers (ann, bob), got 'dave'"),
    ("dedup", 'duplicate_threshold = "high"',
     "dedup.duplicate_threshold: expected a number from 0 to 1 (or a percentage up to 100), got 'high'"),
    ("dedup", "possible_threshold = 250",
     "dedup.possible_threshold: expected a number from 0 to 1 (or a percentage up to 100), got 250"),
    ("dedup", "duplicate_threshold = -0.1",
     "dedup.duplicate_threshold: expected a number from 0 to 1 (or a percentage up to 100), got -0.1"),
    ("dedup", "possible_threshold = 0.97",
     "dedup.possible_threshold: expected a similarity below duplicate_threshold (0.95), got 0.97"),
    ("dedup", "duplicate_threshold = 80",
     "dedup.duplicate_threshold: expected a similarity above possible_threshold (0.85), got 80"),
    ("dedup", "duplicate_threshold = 0.9\npossible_threshold = 90",
     "dedup.possible_threshold: expected a similarity below duplicate_threshold (0.9), got 90"),
    ("dedup", 'enabled = "no"', "dedup.enabled: expected true or false, got 'no'"),
    ("pubmed", "batch_size = 0", "pubmed.batch_size: expected an integer from 1 to 10000, got 0"),
    ("pubmed", 'api_key = "x"', "pubmed.api_key: expected one of the known keys (batch_size, email, tool), got 'api_key'"),
    ("pubmed", "email = 5", "pubmed.email: expected a string, got 5"),
    ("outputs", 'flow_pdf = "out/flow.pdf"', "outputs.flow_pdf: unknown output; expected one of flow_csv, flow_json"),
    ("outputs", "flow_svg = 3", "outputs.flow_svg: expected a file path string, got 3"),
    ("review", 'previous = { studies = 2, reports = "five" }',
     "review.previous.reports: expected an integer >= 0, got 'five'"),
    ("review", "previous = { studies = 5, reports = 3 }", "review.previous: reports (3) cannot be fewer than studies (5)"),
    ("review", "previous = 5", "review.previous: expected a table {studies = N, reports = M}, got 5"),
    ("review", "question = 5", "review.question: expected a string, got 5"),
    ("search", 'format = "ris2"', "search[2] (id 'cinahl').format: expected one of ris | medline | wos"),
    ("search", "notes = 3", "search[2] (id 'cinahl').notes: expected a string, got 3"),
    ("search", 'screen = "yes"', "search[2] (id 'cinahl').screen: expected true or false, got 'yes'"),
]


def write_protocol(folder: Path, table: str = "", line: str = "") -> Path:
    """The protocol with ``line`` in ``table``; with a line, a second search the run would import."""
    placed = {"review": "", "screening": "", "search": "", "tables": ""}
    if table in placed:
        placed[table] = line
    elif table:
        placed["tables"] = f"[{table}]\n{line}\n"
    if not line.startswith("lead ="):
        placed["screening"] += '\nlead = "ann"\n'
    second = SECOND_SEARCH + placed["search"] if line else ""
    path = folder / "review.toml"
    path.write_text(PROTOCOL.format(review=placed["review"], screening=placed["screening"], second=second,
                                    tables=placed["tables"]), encoding="utf-8")
    return path


def store_digest(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        return hashlib.sha256("\n".join(conn.iterdump()).encode()).hexdigest()


@pytest.fixture
def project(tmp_path):
    """A review already run once, with a second export waiting for the next run."""
    for name in ("embase", "cinahl"):
        (tmp_path / f"{name}.ris").write_text(
            "".join(RIS.format(title=f"{name} link workers study {i}", doi=f"{name}{i}") for i in range(3)))
    assert main(["run", str(write_protocol(tmp_path))]) == 0
    return tmp_path


@pytest.mark.parametrize("table, line, expected", WRONG_VALUES, ids=[f"{t}: {v}" for t, v, _ in WRONG_VALUES])
def test_a_wrong_value_stops_run_with_one_line_and_the_store_unchanged(project, capsys, table, line, expected):
    before = store_digest(project / "review.db")
    path = write_protocol(project, table, line)
    capsys.readouterr()
    assert main(["run", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"searchflow: error: {path}: {expected}"), err
    assert err.count("\n") == 1
    assert store_digest(project / "review.db") == before
    assert not (project / "out").exists()


def test_the_wrong_values_are_right_once_corrected(project):
    """The same protocol with the second search and right values of every setting runs."""
    path = write_protocol(project, "search", 'format = "ris"\nnotes = "from the librarian"\nscreen = true')
    text = path.read_text().replace('lead = "ann"', '\n'.join([
        'lead = "carol"', 'resolvers = "carol"', "prioritise = { min_includes = 2 }", 'seed = "abc"',
        "second_reviewer_share = { title_abstract = 0.5 }", "maybe_is_conflict = true", 'order = "random"',
        'keys = { include = "y" }', 'stopping_rule = { rule = "50 irrelevant in a row", stopped = false }']))
    path.write_text(text + "[dedup]\nduplicate_threshold = 97\npossible_threshold = 0.5\n[pubmed]\nbatch_size = 200\n"
                    "[outputs]\nprisma_svg = \"out/prisma.svg\"\n")
    assert main(["run", str(path)]) == 0
    assert (project / "out" / "prisma.svg").exists()


def test_no_traceback_from_the_command_line(project):
    path = write_protocol(project, "dedup", 'duplicate_threshold = "high"')
    result = subprocess.run([sys.executable, "-m", "searchflow", "run", str(path)], capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr == (f"searchflow: error: {path}: dedup.duplicate_threshold: expected a number from 0 to 1 "
                             "(or a percentage up to 100), got 'high'\n")


def test_settings_are_read_as_typed_values(tmp_path):
    path = write_protocol(tmp_path, "screening", "\n".join([
        "second_reviewer_share = 0.25", "prioritise = true", 'order = "Prioritized"', "seed = 42",
        "stopping_rule = { irrelevant_in_a_row = 80 }", 'resolvers = "carol"']))
    screening = load(path).screening
    assert screening.second_reviewer_share == {"title_abstract": 0.25, "full_text": 1.0}
    assert screening.prioritise == Prioritise(min_includes=1, min_excludes=1)
    assert (screening.order, screening.seed, screening.resolvers) == ("prioritised", "42", ["carol"])
    assert screening.stopping_rule.irrelevant_in_a_row == 80 and not screening.stopping_rule.stopped
    protocol = load(write_protocol(tmp_path))
    assert protocol.screening.prioritise is None and protocol.screening.order is None
    assert protocol.dedup == Dedup(enabled=True, duplicate_threshold=0.95, possible_threshold=0.85)


def test_the_dedup_defaults_are_the_rules_defaults():
    """The protocol's default thresholds are the ones the dedup rules use without a protocol."""
    assert similarity(Dedup().duplicate_threshold) == Thresholds().duplicate_title
    assert similarity(Dedup().possible_threshold) == Thresholds().possible_title
    assert similarity(0.9) == similarity(90) == 90.0
