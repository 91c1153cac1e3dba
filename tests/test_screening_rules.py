"""Screening rules without the UI: assignment, blinding, undo, conflicts, resolution,
final decisions, the full-text flow, agreement, CSV exchange and two reviewers at once."""
from __future__ import annotations

import csv
import json
import multiprocessing
import random
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from searchflow.project import Project
from searchflow.protocol import ProtocolError
from searchflow.screening import agreement as agreement_module
from searchflow.screening import decisions as sd
from searchflow.screening.decisions import ScreeningError
from searchflow.screening.order import queue
from searchflow.store import is_database_url

TA, FT = "title_abstract", "full_text"


# ------------------------------------------------------------------ a small constructed project

def _ris(titles: list[str], prefix: str) -> str:
    out = []
    for i, title in enumerate(titles, start=1):
        out += ["TY  - JOUR", f"TI  - {title}", f"AU  - {prefix.title()}, Author{i}", f"PY  - {2000 + i % 20}",
                "JO  - Journal of Tests", f"AB  - BACKGROUND: about {title}. METHODS: a study. RESULTS: findings.",
                f"DO  - 10.1234/{prefix}.{i}", "ER  - ", ""]
    return "\n".join(out)

# every test here runs on each store backend (tests/conftest.py)
pytestmark = pytest.mark.usefixtures("store_backend")


def make_project(tmp_path: Path, screening: str = "", n_db: int = 6, n_other: int = 2,
                 other_screen: bool | None = None) -> Project:
    """A protocol with a database search (n_db records) and a citation search (n_other records)."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "embase.ris").write_text(_ris([f"Database record {i}" for i in range(n_db)], "db"), encoding="utf-8")
    (tmp_path / "refs.ris").write_text(_ris([f"Reference list record {i}" for i in range(n_other)], "cit"), encoding="utf-8")
    screen = "" if other_screen is None else f"screen = {'true' if other_screen else 'false'}\n"
    settings = screening or ""
    other_search = f'''[[search]]
id = "refs"
database = "Reference lists"
method = "citation"
files = ["refs.ris"]
{screen}'''
    (tmp_path / "review.toml").write_text(f"""
[review]
title = "Link workers"

[screening]
reviewers = ["ann", "bob"]
lead = "ann"
resolvers = ["cat"]
exclusion_reasons = ["wrong population", "wrong design"]
full_text_reasons = ["wrong population", "wrong design", "no outcome data"]
{settings}

[[search]]
id = "embase"
database = "Embase"
files = ["embase.ris"]

{other_search if n_other else ""}""", encoding="utf-8")
    project = Project.open(tmp_path / "review.toml")
    project.run()
    return project


@pytest.fixture
def project(tmp_path):
    with make_project(tmp_path) as p:
        yield p


def _works(project, method: str) -> list[int]:
    return sorted({r["work_id"] for r in project.store.record_rows() if r["method"] == method})


def decide(project, work, stage, reviewer, verdict, reason="", note=""):
    return sd.record_decision(project.store, project.protocol, work, stage, reviewer, verdict, reason, note)


# ------------------------------------------------------------------ stages and assignment

def test_database_works_are_screened_and_other_methods_go_to_full_text(project):
    s, p = project.store, project.protocol
    db, other = _works(project, "database"), _works(project, "citation")
    assert len(db) == 6 and len(other) == 2
    assert sd.assigned_works(s, p, "ann", TA) == db            # import order
    assert sd.assigned_works(s, p, "bob", TA) == db
    assert sd.assigned_works(s, p, "ann", FT) == other         # nothing forwarded yet
    assert queue(s, p, "ann", TA) == db
    decide(project, db[0], TA, "ann", "include")
    assert queue(s, p, "ann", TA) == db[1:]
    assert queue(s, p, "bob", TA) == db


@pytest.mark.parametrize("how", ["search", "protocol"])
def test_other_methods_screened_when_the_protocol_asks(tmp_path, how):
    settings = "screen_other_methods = true" if how == "protocol" else ""
    with make_project(tmp_path, settings, other_screen=True if how == "search" else None) as project:
        everything = sorted(_works(project, "database") + _works(project, "citation"))
        assert sd.assigned_works(project.store, project.protocol, "ann", TA) == everything
        assert sd.assigned_works(project.store, project.protocol, "ann", FT) == []


def test_unknown_reviewer_is_refused(project):
    with pytest.raises(ScreeningError, match="unknown reviewer 'zed'.*ann, bob"):
        sd.assigned_works(project.store, project.protocol, "zed", TA)
    with pytest.raises(ScreeningError, match="unknown reviewer"):
        decide(project, 1, TA, "zed", "include")


def test_second_reviewer_share(tmp_path):
    with make_project(tmp_path, "second_reviewer_share = 0.2\nseed = 7", n_db=400, n_other=0) as project:
        s, p = project.store, project.protocol
        ann, bob = sd.assigned_works(s, p, "ann", TA), sd.assigned_works(s, p, "bob", TA)
        assert len(ann) == 400                       # the first reviewer screens everything
        assert set(bob) <= set(ann)
        assert 0.13 * 400 <= len(bob) <= 0.27 * 400, len(bob)
        assert sd.assigned_works(s, p, "bob", TA) == bob   # deterministic
        # a work only ann screens is decided by her verdict alone; a shared one waits for bob
        alone = next(w for w in ann if w not in bob)
        shared = bob[0]
        decide(project, alone, TA, "ann", "exclude")
        decide(project, shared, TA, "ann", "exclude")
        finals = sd.final_decisions(s, p, TA)
        assert (finals[alone].status, finals[alone].verdict) == ("single", "exclude")
        assert (finals[shared].status, finals[shared].verdict) == ("single", None)
        # full texts are assessed in duplicate unless the protocol says otherwise per stage
        assert sd.work_reviewers(p, FT, alone) == ("ann", "bob")


def test_second_reviewer_share_must_be_a_fraction(tmp_path):
    with pytest.raises(ProtocolError, match=r"second_reviewer_share.*0 to 1"):     # when the protocol is read
        make_project(tmp_path, "second_reviewer_share = 20")


def test_bad_screening_settings_name_the_key(tmp_path):
    with pytest.raises(ProtocolError, match=r"review.toml: screening.maybe_is_conflict: expected true or false"):
        make_project(tmp_path, 'maybe_is_conflict = "yes"')                       # when the protocol is read


def test_three_reviewers_get_a_seeded_pair_per_work(tmp_path):
    with make_project(tmp_path, n_db=60, n_other=0) as project:
        project.protocol.screening.reviewers = ["ann", "bob", "dan"]
        s, p = project.store, project.protocol
        assigned = {name: set(sd.assigned_works(s, p, name, TA)) for name in ("ann", "bob", "dan")}
        for work in sd.stage_works(s, p, TA):
            pair = [name for name in assigned if work in assigned[name]]
            assert len(pair) == 2, (work, pair)
        assert all(len(works) > 10 for works in assigned.values())


# ------------------------------------------------------------------ verdicts, validation, undo

def test_validation(project):
    work = _works(project, "database")[0]
    with pytest.raises(ScreeningError, match="not allowed at title_abstract"):
        decide(project, work, TA, "ann", "not_retrieved")
    with pytest.raises(ScreeningError, match="unknown reason 'too old'"):
        decide(project, work, TA, "ann", "exclude", "too old")
    with pytest.raises(ScreeningError, match="needs a reason"):
        decide(project, work, FT, "ann", "exclude")
    with pytest.raises(ScreeningError, match="exclude only"):
        decide(project, work, TA, "ann", "include", "wrong design")
    with pytest.raises(ScreeningError, match="unknown work 999"):
        decide(project, 999, TA, "ann", "include")
    with pytest.raises(ScreeningError, match="unknown stage"):
        decide(project, work, "abstract", "ann", "include")
    assert project.store.decision_events() == []
    # reasons are matched without regard to case and stored as the protocol spells them
    decide(project, work, TA, "ann", "exclude", "Wrong Population")
    assert sd.reviewer_verdicts(project.store, "ann", TA)[work].reason == "wrong population"


def test_undo_is_a_new_event_and_restores_the_earlier_verdict(project):
    s, p = project.store, project.protocol
    w1, w2 = _works(project, "database")[:2]
    decide(project, w1, TA, "ann", "include")
    decide(project, w2, TA, "ann", "exclude", note="adults only")
    decide(project, w1, TA, "ann", "exclude")            # changed her mind
    assert sd.reviewer_verdicts(s, "ann", TA)[w1].verdict == "exclude"
    undone = sd.undo_last(s, p, "ann", TA)
    assert (undone.work_id, undone.verdict) == (w1, "exclude")
    assert sd.reviewer_verdicts(s, "ann", TA)[w1].verdict == "include"
    assert sd.undo_last(s, p, "ann", TA).work_id == w2
    assert sd.undo_last(s, p, "ann", TA).work_id == w1
    assert sd.undo_last(s, p, "ann", TA) is None
    assert sd.reviewer_verdicts(s, "ann", TA) == {}
    kinds = [row["kind"] for row in s.decision_events()]
    assert kinds == ["verdict"] * 3 + ["undo"] * 3       # nothing deleted or updated
    assert sd.undo_last(s, p, "bob", TA) is None           # bob's undo never touches ann's verdicts


# ------------------------------------------------------------------ blinding

def test_blinding(project):
    s, p = project.store, project.protocol
    w1 = _works(project, "database")[0]
    decide(project, w1, TA, "ann", "include")
    decide(project, w1, TA, "bob", "exclude")
    assert set(sd.reviewer_verdicts(s, "bob", TA)) == {w1}
    assert sd.reviewer_verdicts(s, "bob", TA)[w1].verdict == "exclude"   # only his own
    assert not sd.is_unblinded(s, p, TA)
    with pytest.raises(ScreeningError, match="blinded"):
        sd.conflicts(s, p, TA, viewer="bob")
    assert len(sd.conflicts(s, p, TA, viewer="cat")) == 1       # the resolver screens nothing
    with pytest.raises(ScreeningError, match="only the lead"):
        sd.unblind(s, p, TA, "bob")
    sd.unblind(s, p, TA, "ann")
    assert sd.is_unblinded(s, p, TA) and not sd.is_unblinded(s, p, FT)
    assert len(sd.conflicts(s, p, TA, viewer="bob")) == 1
    sd.blind(s, p, TA, "ann")
    assert not sd.can_see_others(s, p, TA, "bob")


# ------------------------------------------------------------------ conflicts and final decisions

def test_conflict_rules_at_title_abstract(project):
    s, p = project.store, project.protocol
    w = _works(project, "database")
    for work, a, b in [(w[0], "include", "exclude"), (w[1], "maybe", "exclude"), (w[2], "include", "maybe"),
                       (w[3], "exclude", "exclude"), (w[4], "maybe", "maybe")]:
        decide(project, work, TA, "ann", a)
        decide(project, work, TA, "bob", b)
    finals = sd.final_decisions(s, p, TA)
    assert [(finals[x].status, finals[x].verdict) for x in w[:6]] == [
        ("conflict", None), ("agreed", "maybe"), ("agreed", "include"), ("agreed", "exclude"),
        ("agreed", "maybe"), ("pending", None)]
    assert [c.work_id for c in sd.conflicts(s, p, TA)] == [w[0]]
    conflict = sd.conflicts(s, p, TA)[0]
    assert conflict.reviewers == ("ann", "bob") and conflict.verdicts == ("include", "exclude")
    # by protocol, a maybe is a question for the resolver
    p.screening.maybe_is_conflict = True
    assert [c.work_id for c in sd.conflicts(s, p, TA)] == [w[0], w[1], w[2], w[4]]


def test_resolution(project):
    s, p = project.store, project.protocol
    w = _works(project, "database")
    decide(project, w[0], TA, "ann", "include")
    decide(project, w[0], TA, "bob", "exclude", "wrong design", note="cross-sectional")
    decide(project, w[1], TA, "ann", "include")
    decide(project, w[1], TA, "bob", "include")
    assert sd.conflicts(s, p, TA)[0].decisions[1].note == "cross-sectional"
    with pytest.raises(ScreeningError, match="has no conflict"):
        sd.resolve_conflict(s, p, w[1], TA, "cat", "exclude")
    with pytest.raises(ScreeningError, match="may not resolve"):
        sd.resolve_conflict(s, p, w[0], TA, "zed", "exclude")
    with pytest.raises(ScreeningError, match="blinded"):      # consensus needs the stage unblinded
        sd.resolve_conflict(s, p, w[0], TA, "bob", "exclude")
    sd.resolve_conflict(s, p, w[0], TA, "cat", "exclude", "wrong design")
    final = sd.final_decision(s, p, w[0], TA)
    assert (final.status, final.verdict, final.reason, final.resolution.reviewer) == (
        "resolved", "exclude", "wrong design", "cat")
    assert sd.conflicts(s, p, TA) == []
    # a correction: the latest resolution counts; and the resolver can undo it
    sd.resolve_conflict(s, p, w[0], TA, "cat", "include")
    assert sd.final_decision(s, p, w[0], TA).verdict == "include"
    assert sd.undo_last(s, p, "cat", TA).kind == "resolution"
    assert sd.final_decision(s, p, w[0], TA).verdict == "exclude"
    with pytest.raises(ScreeningError, match="must decide"):
        sd.resolve_conflict(s, p, w[0], FT, "cat", "maybe")


def test_a_second_resolver_needs_override_with_a_note_and_both_events_stay(project, run_cli):
    s, p = project.store, project.protocol
    w = _works(project, "database")
    decide(project, w[0], TA, "ann", "include")
    decide(project, w[0], TA, "bob", "exclude", "wrong design")
    first = sd.resolve_conflict(s, p, w[0], TA, "cat", "exclude", "wrong design")
    sd.unblind(s, p, TA, "ann")                       # the lead may now resolve too
    protocol = str(p.path)
    status, _, err = run_cli("resolve", protocol, "--work", str(w[0]), "--stage", TA, "--resolver", "ann",
                             "--verdict", "include")
    assert status == 2 and "resolved as exclude (wrong design) by cat" in err and "--override" in err
    status, _, err = run_cli("resolve", protocol, "--work", str(w[0]), "--stage", TA, "--resolver", "ann",
                             "--verdict", "include", "--override")
    assert status == 2 and "needs a note" in err
    assert sd.final_decision(s, p, w[0], TA).verdict == "exclude"          # refused: nothing changed
    status, out, err = run_cli("resolve", protocol, "--work", str(w[0]), "--stage", TA, "--resolver", "ann",
                               "--verdict", "include", "--override", "--note", "full text shows link workers")
    assert status == 0, err
    assert f"overrides cat's resolution exclude (wrong design) (event {first})" in out
    assert sd.final_decision(s, p, w[0], TA).verdict == "include"
    rows = [r for r in csv.DictReader(run_cli("decisions", protocol, "--lead", "ann")[1].splitlines())
            if r["kind"] == "resolution"]
    assert [(r["reviewer"], r["verdict"]) for r in rows] == [("cat", "exclude"), ("ann", "include")]
    assert rows[1]["note"].endswith("full text shows link workers")
    sd.resolve_conflict(s, p, w[0], TA, "ann", "maybe")      # correcting one's own resolution needs nothing
    status, _, err = run_cli("resolve", protocol, "--work", "5000", "--stage", TA, "--resolver", "cat",
                             "--verdict", "include")
    assert status == 2 and err == "searchflow: error: unknown work 5000\n"


def test_full_text_flow_through(project):
    s, p = project.store, project.protocol
    w = _works(project, "database")
    other = _works(project, "citation")
    verdicts = {w[0]: ("include", "include"), w[1]: ("maybe", "maybe"), w[2]: ("exclude", "exclude"),
                w[3]: ("include", "exclude"), w[4]: ("include", None)}
    for work, (a, b) in verdicts.items():
        decide(project, work, TA, "ann", a)
        if b:
            decide(project, work, TA, "bob", b)
    # forward: agreed include, agreed maybe; plus other-methods works; in import order
    assert sd.assigned_works(s, p, "bob", FT) == [w[0], w[1], *other]
    sd.resolve_conflict(s, p, w[3], TA, "cat", "maybe")
    decide(project, w[4], TA, "bob", "exclude")             # maybe-free include vs exclude: conflict
    assert sd.stage_works(s, p, FT) == [w[0], w[1], w[3], *other]

    # full text: reasons required, not retrieved, reasons must agree
    decide(project, w[0], FT, "ann", "include")
    decide(project, w[0], FT, "bob", "include")
    decide(project, w[1], FT, "ann", "exclude", "wrong design")
    decide(project, w[1], FT, "bob", "exclude", "no outcome data")
    decide(project, w[3], FT, "ann", "not_retrieved")
    decide(project, w[3], FT, "bob", "not_retrieved")
    decide(project, other[0], FT, "ann", "maybe")
    decide(project, other[0], FT, "bob", "maybe")
    finals = sd.final_decisions(s, p, FT)
    assert (finals[w[0]].status, finals[w[0]].verdict) == ("agreed", "include")
    assert finals[w[1]].status == "conflict"                  # same verdict, different reasons
    assert (finals[w[3]].status, finals[w[3]].verdict) == ("agreed", "not_retrieved")
    assert finals[other[0]].status == "conflict"              # a full text must end decided
    assert finals[other[1]].status == "pending"
    sd.resolve_conflict(s, p, w[1], FT, "cat", "exclude", "no outcome data")
    assert sd.final_decision(s, p, w[1], FT).reason == "no outcome data"


def test_a_work_dedup_emptied_is_gone(tmp_path):
    with make_project(tmp_path) as project:
        s, p = project.store, project.protocol
        first = _works(project, "database")[0]
        # a second version of the search drops the first record: its work has no current member
        ris = tmp_path / "embase.ris"
        ris.write_text(ris.read_text(encoding="utf-8").split("ER  - \n", 1)[1], encoding="utf-8")
        project.run()
        assert first not in sd.stage_works(s, p, TA)
        with pytest.raises(ScreeningError, match=f"work {first} is not"):
            decide(project, first, TA, "ann", "include")


def test_work_summary_and_report_links(project):
    s, p = project.store, project.protocol
    w = _works(project, "database")
    summary = sd.work_summary(s, w[0])
    assert summary.title == "Database record 0" and summary.doi == "10.1234/db.1"
    assert [label for label, _ in summary.sections] == ["BACKGROUND", "METHODS", "RESULTS"]
    assert summary.searches == ["embase"]
    assert sd.abstract_sections("Background: x. Results: y.") == [("Background", "x."), ("Results", "y.")]
    assert sd.abstract_sections("Plain text.") == [("", "Plain text.")]
    sd.link_report(s, p, w[1], w[0], "ann")
    sd.link_report(s, p, w[2], w[1], "bob")
    assert sd.studies(s) == {w[1]: w[0], w[2]: w[0]}
    with pytest.raises(ScreeningError, match="already a report"):
        sd.link_report(s, p, w[0], w[2], "ann")
    sd.link_report(s, p, w[2], w[2], "bob")                # unlink
    assert sd.studies(s) == {w[1]: w[0]}


# ------------------------------------------------------------------ agreement

def test_kappa_and_pabak_hand_computed(tmp_path):
    # 2x2: both forward 20, ann forward/bob exclude 5, ann exclude/bob forward 10, both exclude 15
    # po = 35/50 = 0.7; pe = (25*30 + 25*20)/2500 = 0.5; kappa = 0.2/0.5 = 0.4; PABAK = 0.4
    with make_project(tmp_path, n_db=52, n_other=0) as project:
        works = sd.stage_works(project.store, project.protocol, TA)
        pairs = [("include", "include")] * 12 + [("maybe", "include")] * 8 + [("include", "exclude")] * 5 \
            + [("exclude", "maybe")] * 10 + [("exclude", "exclude")] * 15
        for work, (a, b) in zip(works, pairs):
            decide(project, work, TA, "ann", a)
            decide(project, work, TA, "bob", b)
        decide(project, works[50], TA, "ann", "include")        # one reviewer only: not counted
        rows = agreement_module.agreement(project.store, project.protocol, TA)
    pair, total = rows
    assert (pair.reviewer_a, pair.reviewer_b, pair.total, total.total) == ("ann", "bob", False, True)
    assert (pair.n, pair.both_forward, pair.a_forward_b_exclude, pair.a_exclude_b_forward, pair.both_exclude) == (
        50, 20, 5, 10, 15)
    assert pair.percent_agreement == pytest.approx(0.7)
    assert pair.kappa == pytest.approx(0.4)
    assert pair.pabak == pytest.approx(0.4)
    assert (total.n, total.kappa) == (50, pair.kappa)


def test_kappa_matches_scikit_learn():
    from sklearn.metrics import cohen_kappa_score

    rng = random.Random(3)
    for _ in range(30):
        a = [rng.random() < 0.6 for _ in range(rng.randint(5, 80))]
        b = [x if rng.random() < 0.7 else not x for x in a]
        counts = [sum(x and y for x, y in zip(a, b)), sum(x and not y for x, y in zip(a, b)),
                  sum(not x and y for x, y in zip(a, b)), sum(not x and not y for x, y in zip(a, b))]
        _, kappa, _ = agreement_module.statistics(*counts)
        if kappa is not None:
            assert kappa == pytest.approx(cohen_kappa_score(a, b))
    assert agreement_module.statistics(4, 0, 0, 0) == (1.0, None, 1.0)   # one category only: kappa undefined


def test_full_text_agreement_leaves_out_not_retrieved(project):
    s, p = project.store, project.protocol
    w = _works(project, "citation")            # other-methods works are at full text directly
    decide(project, w[0], FT, "ann", "include")
    decide(project, w[0], FT, "bob", "exclude", "wrong design")
    decide(project, w[1], FT, "ann", "not_retrieved")
    decide(project, w[1], FT, "bob", "include")
    pair = agreement_module.agreement(s, p, FT)[0]
    assert (pair.n, pair.a_forward_b_exclude, pair.pabak) == (1, 1, -1.0)


# ------------------------------------------------------------------ CSV exchange

def _events(store) -> list[tuple]:
    return sorted((r["work"], r["reviewer"], r["stage"], r["verdict"], r["reason"], r["note"], r["time"], r["kind"])
                  for r in sd.export_decisions(store))


def _screen_a_little(project):
    w = _works(project, "database")
    decide(project, w[0], TA, "ann", "include", note="a note, with a comma\nand a new line")
    decide(project, w[0], TA, "bob", "exclude", "wrong design")
    decide(project, w[1], TA, "ann", "exclude")
    decide(project, w[1], TA, "ann", "maybe")
    sd.undo_last(project.store, project.protocol, "ann", TA)
    sd.resolve_conflict(project.store, project.protocol, w[0], TA, "cat", "include")
    sd.undo_last(project.store, project.protocol, "cat", TA)
    sd.resolve_conflict(project.store, project.protocol, w[0], TA, "cat", "exclude", "wrong design")


def rows_work(rows: list[dict]) -> int:
    return int(next(r["work"] for r in rows if r["kind"] == "resolution"))


@pytest.mark.sqlite_only("two projects, a store each")
def test_decisions_csv_round_trip(tmp_path):
    with make_project(tmp_path / "main") as main:
        _screen_a_little(main)
        out = tmp_path / "decisions.csv"
        with open(out, "w", newline="", encoding="utf-8") as fh:
            sd.write_decisions_csv(sd.export_decisions(main.store), fh)
        rows, lines = sd.read_decisions_csv(out)
        assert list(rows[0]) == ["work", "reviewer", "stage", "verdict", "reason", "note", "time", "kind"]
        assert lines[:3] == [2, 4, 5]                    # the note spans two lines
        assert sd.import_decisions(main.store, main.protocol, rows, str(out), lines) == 0   # all present
        with make_project(tmp_path / "copy") as copy:     # the same exports, a fresh store
            assert sd.import_decisions(copy.store, copy.protocol, rows, str(out), lines) == 8
            assert sd.final_decision(copy.store, copy.protocol, rows_work(rows), TA).verdict == "exclude"
            assert _events(copy.store) == _events(main.store)
            assert sd.final_decisions(copy.store, copy.protocol, TA) == sd.final_decisions(main.store, main.protocol, TA)
            assert sd.import_decisions(copy.store, copy.protocol, rows, str(out), lines) == 0   # idempotent
            assert len(copy.store.decision_events()) == 8


def test_import_from_another_tool_without_times_is_idempotent(project):
    w = _works(project, "database")
    rows = [{"work": str(w[2]), "reviewer": "bob", "stage": TA, "verdict": "exclude", "reason": "wrong population"},
            {"work": str(w[3]), "reviewer": "bob", "stage": TA, "verdict": "include", "time": "2024-03-01 10:00"}]
    assert sd.import_decisions(project.store, project.protocol, rows) == 2
    assert sd.import_decisions(project.store, project.protocol, rows) == 0
    assert sd.reviewer_verdicts(project.store, "bob", TA)[w[3]].time == "2024-03-01T10:00:00.000000+00:00"


@pytest.mark.parametrize("column, value, message", [
    ("reviewer", "zed", "unknown reviewer 'zed'"),
    ("work", "9999", "unknown work '9999'"),
    ("reason", "too old", "unknown reason 'too old'"),
    ("verdict", "yes", "verdict 'yes' is not allowed"),
    ("time", "yesterday", "time 'yesterday'"),
])
def test_bad_import_is_refused_and_imports_nothing(project, tmp_path, column, value, message):
    w = _works(project, "database")
    path = tmp_path / "offline.csv"
    good = {"work": w[0], "reviewer": "bob", "stage": TA, "verdict": "exclude", "reason": "wrong design",
            "note": "", "time": "2024-01-01T09:00:00+00:00"}
    bad = {**good, "work": w[1], column: value}
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(good))
        writer.writeheader()
        writer.writerows([good, good | {"work": w[2]}, bad])
    rows, lines = sd.read_decisions_csv(path)
    with pytest.raises(ScreeningError) as caught:
        sd.import_decisions(project.store, project.protocol, rows, str(path), lines)
    assert str(caught.value).startswith(f"{path}:4: ") and message in str(caught.value)
    assert "\n" not in str(caught.value)
    assert project.store.decision_events() == []


# ------------------------------------------------------------------ two reviewers at once

def _screen_everything(protocol_path: str, reviewer: str, verdict: str, start_at: float) -> int:
    """One reviewer's process: a verdict on every assigned work, undoing every tenth one."""
    with Project.open(protocol_path) as project:
        time.sleep(max(0.0, start_at - time.time()))    # both start writing at the same moment
        count = 0
        for i, work in enumerate(sd.assigned_works(project.store, project.protocol, reviewer, TA)):
            decide(project, work, TA, reviewer, verdict, note=f"{reviewer} {i}")
            count += 1
            if i % 10 == 9:
                sd.undo_last(project.store, project.protocol, reviewer, TA)
                decide(project, work, TA, reviewer, verdict, note=f"{reviewer} {i} again")
                count += 2
        return count


def test_two_reviewers_in_two_processes_lose_nothing(tmp_path):
    with make_project(tmp_path, n_db=300, n_other=0) as project:
        protocol_path = str(project.protocol.path)
    context = multiprocessing.get_context("spawn")   # two real interpreters, as two terminals
    with context.Pool(2) as pool:
        start_at = time.time() + 3
        results = [pool.apply_async(_screen_everything, (protocol_path, name, verdict, start_at))
                   for name, verdict in (("ann", "include"), ("bob", "exclude"))]
        counts = [r.get(timeout=120) for r in results]
    assert counts == [360, 360]
    with Project.open(protocol_path) as project:
        s = project.store
        events = s.decision_events()
        assert len(events) == 720
        for name, verdict in (("ann", "include"), ("bob", "exclude")):
            mine = sd.reviewer_verdicts(s, name, TA)
            assert len(mine) == 300 and {d.verdict for d in mine.values()} == {verdict}
            assert sum(d.note.endswith("again") for d in mine.values()) == 30
        assert len(sd.conflicts(s, project.protocol, TA)) == 300
    conn = sqlite3.connect(Path(protocol_path).with_suffix(".db"))
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


# ------------------------------------------------------------------ the command line

def searchflow(*args: str) -> subprocess.CompletedProcess:
    """The installed command in a process of its own (slow to start: used sparingly)."""
    return subprocess.run([sys.executable, "-m", "searchflow", *args], capture_output=True, text=True, timeout=120)


@pytest.fixture
def run_cli(capsys):
    """``searchflow ...`` through cli.main in this process: (exit status, stdout, stderr)."""
    from searchflow.cli import main

    def run(*args: str) -> tuple[int, str, str]:
        status = main(list(args))
        captured = capsys.readouterr()
        return status, captured.out, captured.err
    return run


@pytest.mark.sqlite_only("two projects, a store each")
def test_cli_commands(tmp_path, run_cli):
    with make_project(tmp_path / "main") as project:
        _screen_a_little(project)
        w = _works(project, "database")
        decide(project, w[2], TA, "ann", "include")
        decide(project, w[2], TA, "bob", "exclude")
        protocol = str(project.protocol.path)

    out = tmp_path / "decisions.csv"
    assert run_cli("decisions", protocol, "--format", "csv", "--out", str(out), "--lead", "ann")[0] == 0
    assert len(sd.read_decisions_csv(out)[0]) == 10
    status, stdout, _ = run_cli("decisions", protocol, "--lead", "ann")
    assert status == 0 and stdout == out.read_text(encoding="utf-8")

    status, stdout, _ = run_cli("conflicts", protocol, "--format", "csv", "--lead", "ann")
    conflict_rows = list(csv.DictReader(stdout.splitlines()))
    assert [(r["work"], r["verdict_1"], r["verdict_2"]) for r in conflict_rows] == [(str(w[2]), "include", "exclude")]
    assert "Database record 2" in run_cli("conflicts", protocol, "--stage", TA, "--reviewer", "cat")[1]

    status, stdout, stderr = run_cli("resolve", protocol, "--work", str(w[2]), "--stage", TA, "--resolver", "cat",
                                     "--verdict", "exclude", "--reason", "wrong design")
    assert status == 0, stderr
    assert run_cli("conflicts", protocol, "--lead", "ann")[1].strip() == "no open conflicts"

    pairs = json.loads(run_cli("agreement", protocol, "--json", "--lead", "ann")[1])
    ta = [p for p in pairs if p["stage"] == TA and not p["total"]][0]
    assert (ta["n"], ta["a_forward_b_exclude"], ta["percent_agreement"]) == (2, 2, 0.0)
    assert "ann / bob" in run_cli("agreement", protocol, "--lead", "ann")[1]

    status, _, stderr = run_cli("unblind", protocol, "--stage", TA, "--lead", "bob")
    assert status == 2 and stderr.count("\n") == 1 and "only the lead" in stderr
    assert run_cli("unblind", protocol, "--stage", TA, "--lead", "ann")[0] == 0

    # import: into a fresh copy, then again (nothing new), then a bad file (refused, one line)
    with make_project(tmp_path / "copy") as copy:
        copy_protocol = str(copy.protocol.path)
    status, stdout, stderr = run_cli("decisions", copy_protocol, "--import", str(out))
    assert status == 0 and "imported 10 new" in stdout, stderr
    assert "imported 0 new" in run_cli("decisions", copy_protocol, "--import", str(out))[1]


def test_cli_through_the_installed_command(tmp_path):
    with make_project(tmp_path) as project:
        decide(project, 1, TA, "ann", "include")
        protocol = str(project.protocol.path)
    result = searchflow("decisions", protocol, "--format", "csv", "--reviewer", "ann")
    assert result.returncode == 0, result.stderr
    assert [r["verdict"] for r in csv.DictReader(result.stdout.splitlines())] == ["include"]
    bad = tmp_path / "bad.csv"
    bad.write_text("work,reviewer,stage,verdict\n1,zed,title_abstract,include\n", encoding="utf-8")
    result = searchflow("decisions", protocol, "--import", str(bad))
    assert result.returncode == 2
    assert result.stderr == f"searchflow: error: {bad}:2: unknown reviewer 'zed'; the protocol's reviewers are ann, bob\n"


# ------------------------------------------------------------------ a killed process

KEYPRESSES = """
import sys
from searchflow.project import Project
from searchflow.screening import decisions as sd
with Project.open(sys.argv[1]) as project:
    works = sd.assigned_works(project.store, project.protocol, "ann", "title_abstract")
    while True:
        for work in works:
            event = sd.record_decision(project.store, project.protocol, work, "title_abstract", "ann", "include")
            print(event, flush=True)      # the screen would move on now
"""


def test_kill_9_loses_nothing_already_shown(tmp_path):
    with make_project(tmp_path, n_db=50, n_other=0) as project:
        protocol_path = str(project.protocol.path)
    child = subprocess.Popen([sys.executable, "-c", KEYPRESSES, protocol_path], stdout=subprocess.PIPE, text=True)
    shown = [int(child.stdout.readline()) for _ in range(300)]
    child.kill()                                                    # SIGKILL: no cleanup at all
    child.wait(timeout=30)
    shown += [int(line) for line in child.stdout.read().split()]   # printed before the kill landed
    with Project.open(protocol_path) as project:
        stored = {row["id"] for row in project.store.decision_events()}
        assert set(shown) <= stored
        assert len(stored) - len(shown) <= 1                         # at most the keypress in flight
        if not is_database_url(project.store.location):           # a server checks its own pages
            assert project.store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_work_summary_shows_an_abstract_any_of_its_records_has(tmp_path):
    # A reference manager's record (more fields filled, no abstract) and a database's record of the
    # same article (with the abstract): the screener reads the abstract whichever record is "best".
    (tmp_path / "zotero.ris").write_text(
        "TY  - JOUR\nTI  - Community connectors and loneliness\nAU  - Patel, R\nPY  - 2020\n"
        "JO  - Health Soc Care Community\nVL  - 28\nSP  - 55\nEP  - 63\nDO  - 10.1111/hsc.99999\n"
        "N1  - PMID: 31234567\nER  - \n", encoding="utf-8")
    (tmp_path / "scopus.ris").write_text(
        "TY  - JOUR\nTI  - Community connectors and loneliness\nAU  - Patel, R\nPY  - 2020\n"
        "DO  - 10.1111/hsc.99999\nAB  - Realist evaluation of community connectors.\n"
        "KW  - loneliness\nER  - \n", encoding="utf-8")
    (tmp_path / "review.toml").write_text(
        '[review]\ntitle = "t"\n[screening]\nreviewers = ["ann"]\n'
        '[[search]]\nid = "zotero"\ndatabase = "Zotero"\nfiles = ["zotero.ris"]\n'
        '[[search]]\nid = "scopus"\ndatabase = "Scopus"\nfiles = ["scopus.ris"]\n', encoding="utf-8")
    with Project.open(tmp_path / "review.toml") as project:
        project.run()
        (work,) = sd.stage_works(project.store, project.protocol, TA)
        assert len(project.store.work_records(work)) == 2
        summary = sd.work_summary(project.store, work)
        assert summary.pmid == "31234567"                      # from the reference manager's record
        assert summary.abstract == "Realist evaluation of community connectors."
        assert summary.sections == [("", "Realist evaluation of community connectors.")]
        assert summary.keywords == ["loneliness"]
