"""Deduplication in a project (store, incremental passes, reviewer verdicts, undo) and the
standalone CLI, through the real entry points."""
from __future__ import annotations

import csv
import io
import subprocess
from pathlib import Path

import pytest

from searchflow import Project
from searchflow.cli import main
from searchflow.dedup import review
from searchflow.protocol import Search

ROOT = Path(__file__).resolve().parents[1]

# every test here runs on each store backend (tests/conftest.py)
pytestmark = pytest.mark.usefixtures("store_backend")


def ris(*records: dict) -> str:
    tags = {"title": "TI", "journal": "T2", "year": "PY", "volume": "VL", "issue": "IS", "start": "SP",
            "end": "EP", "doi": "DO", "type": "TY"}
    out = []
    for record in records:
        out.append(f"TY  - {record.get('type', 'JOUR')}")
        for name, tag in tags.items():
            if name != "type" and record.get(name):
                out.append(f"{tag}  - {record[name]}")
        for author in record.get("authors", []):
            out.append(f"AU  - {author}")
        out.append("ER  - \n")
    return "\n".join(out)


# Three works; each database exports them its own way.
LINK = {"title": "Link workers in primary care: a qualitative study of social prescribing",
        "authors": ["Moffatt, Suzanne", "Steer, Mel"], "year": "2017", "journal": "BMJ Open", "volume": "7",
        "start": "e015203", "doi": "10.1136/bmjopen-2016-015203"}
HUSK = {"title": "Social prescribing: a realist review of how it works", "authors": ["Husk, Kerryn", "Blockley, K"],
        "year": "2020", "journal": "Health and Social Care in the Community", "volume": "28", "issue": "2",
        "start": "309", "end": "324"}
FROST = {"title": "The frontline of social prescribing: how do we ensure link workers can work safely",
         "authors": ["Frostick, Caroline", "Bertotti, Marcello"], "year": "2021", "journal": "Perspectives in Public Health",
         "volume": "141", "issue": "5", "start": "249", "end": "256"}
ERRATUM = dict(FROST, title="Erratum: The frontline of social prescribing: how do we ensure link workers can "
                            "work safely", start="300", end="300")

EMBASE = ris(LINK, HUSK, FROST)
MEDLINE = ris(dict(LINK, title=LINK["title"].upper() + ".", authors=["Moffatt S", "Steer M"], doi="",
                   journal="BMJ Open"),
              dict(HUSK, journal="Health Soc Care Community", authors=["Husk K", "Blockley K"], end="24"),
              ERRATUM)
# One more work and a near copy of HUSK whose title differs too much to merge without a reviewer
CINAHL = ris({"title": "Loneliness in older adults: a cohort study", "authors": ["Lee, Kim"], "year": "2019",
              "journal": "Age and Ageing", "volume": "48", "start": "10", "end": "20"},
             dict(HUSK, title="Social prescribing: a realist review of how and why it works", volume="",
                  issue="", start="", end="", journal="", authors=["Husk, Kerryn", "Blockley, K"]))


def make_project(tmp_path: Path, searches: dict[str, str]) -> Path:
    (tmp_path / "exports").mkdir(parents=True, exist_ok=True)
    lines = ['[review]\ntitle = "Dedup review"\n[screening]\nreviewers = ["alice", "bob"]\nresolvers = ["carol"]\n']
    for name, text in searches.items():
        (tmp_path / "exports" / f"{name}.ris").write_text(text, encoding="utf-8")
        lines.append(f'[[search]]\nid = "{name}"\ndatabase = "{name}"\nfiles = ["exports/{name}.ris"]\n')
    protocol = tmp_path / "review.toml"
    protocol.write_text("\n".join(lines), encoding="utf-8")
    return protocol


def partition(project: Project) -> set[frozenset[str]]:
    """Works as sets of (search, title) so two stores can be compared."""
    groups: dict[int, set[str]] = {}
    for row in project.store.dedup_rows():
        record = project.store.records_by_id([row["id"]])[row["id"]]
        groups.setdefault(row["work_id"], set()).add(f"{record['search']}|{row['title']}")
    return {frozenset(g) for g in groups.values()}


def test_run_merges_duplicates_and_keeps_vetoed_records_apart(tmp_path):
    protocol = make_project(tmp_path, {"embase": EMBASE, "medline": MEDLINE})
    with Project.open(protocol) as project:
        report = project.run()
        assert any(m.startswith("dedup: 2 duplicates merged") for m in report.messages), report.messages
        works = partition(project)
        assert len(works) == 4                      # link, husk, frost, and the erratum on its own
        erratum = [w for w in works if any("Erratum" in m for m in w)]
        assert erratum == [frozenset({f"medline|{ERRATUM['title']}"})]
        events = project.store.merge_events()
        assert {e["rule"] for e in events} <= {"exact:doi", "fuzzy:title+authors+venue", "fuzzy:citation",
                                               "fuzzy:citation+first-author", "fuzzy:title+authors"}
        assert len(events) == 2


def test_work_display_takes_the_most_complete_member(tmp_path):
    protocol = make_project(tmp_path, {"embase": EMBASE, "medline": MEDLINE})
    with Project.open(protocol) as project:
        project.run()
        (link,) = [row["work_id"] for row in project.store.dedup_rows() if row["doi"] and "Link" in row["title"]]
        shown = review.work_display(project.store, link)
        assert shown["databases"] == ["embase", "medline"]
        assert len(shown["records"]) == 2
        # the Embase record (with its DOI) is the more complete one: its title, not MEDLINE's upper case
        assert shown["title"] == LINK["title"]
        assert shown["doi"] == "10.1136/bmjopen-2016-015203"
        with pytest.raises(review.DedupError):
            review.work_display(project.store, 99999)


def test_dedup_is_idempotent(tmp_path):
    protocol = make_project(tmp_path, {"embase": EMBASE, "medline": MEDLINE})
    with Project.open(protocol) as project:
        project.run()
        before = partition(project)
        summary = review.dedup_project(project.store, project.protocol)
        assert summary.compared == 0 and summary.merged == 0
        assert partition(project) == before
        full = review.dedup_project(project.store, project.protocol, full=True)
        assert full.merged == 0
        assert partition(project) == before
        assert len(project.store.merge_events()) == 2


@pytest.mark.sqlite_only("two projects, a store each")
def test_incremental_gives_the_same_works_as_a_full_run(tmp_path):
    everything = make_project(tmp_path / "full", {"embase": EMBASE, "medline": MEDLINE, "cinahl": CINAHL})
    with Project.open(everything) as project:
        project.run()
        full = partition(project)
        full_possible = len(review.possible_pairs(project.store))

    step = make_project(tmp_path / "step", {"embase": EMBASE})
    with Project.open(step) as project:
        project.run()
        for name, text in (("medline", MEDLINE), ("cinahl", CINAHL)):
            (tmp_path / "step" / "exports" / f"{name}.ris").write_text(text, encoding="utf-8")
            change = project.import_search(Search(id=name, database=name,
                                                  files=[tmp_path / "step" / "exports" / f"{name}.ris"]))
            assert change.status == "new"
            summary = review.dedup_project(project.store, project.protocol)
            assert summary.compared == change.records
        assert partition(project) == full
        assert len(review.possible_pairs(project.store)) == full_possible == 1


def test_reviewer_verdicts_are_respected_on_reruns(tmp_path):
    protocol = make_project(tmp_path, {"embase": EMBASE, "medline": MEDLINE, "cinahl": CINAHL})
    with Project.open(protocol) as project:
        project.run()
        (pair,) = review.possible_pairs(project.store, project.protocol)
        assert "how and why" in (pair.record_a["title"] + pair.record_b["title"])
        review.decide_pair(project.store, project.protocol, pair, "same", "alice")
        assert pair.record_a["id"] in project.store.work_member_ids(
            project.store.records_by_id([pair.record_b["id"]])[pair.record_b["id"]]["work_id"])
        assert review.possible_pairs(project.store) == []

        # the automatic merge of LINK across databases, judged different by a reviewer
        link = [e for e in project.store.merge_events() if e["actor"] == "dedup"
                and "LINK WORKERS" in project.store.records_by_id([e["record_id"]])[e["record_id"]]["title"]]
        (event,) = link
        kept = [r for r in project.store.work_member_ids(event["to_work"]) if r != event["record_id"]][0]
        review.decide_pair(project.store, project.protocol, (kept, event["record_id"]), "different", "bob")
        after_verdicts = partition(project)

        review.dedup_project(project.store, project.protocol, full=True)
        assert partition(project) == after_verdicts
        # a later 'same' is the newest verdict: it overrides bob's 'different', and says so
        done = review.decide_pair(project.store, project.protocol,
                                  (project.store.work_member_ids(event["to_work"])[-1], event["record_id"]),
                                  "same", "carol")
        assert done.overridden == [(min(kept, event["record_id"]), max(kept, event["record_id"]), "bob")]
        assert "overrides the earlier 'different' verdicts" in done.describe()
        assert partition(project) != after_verdicts
        review.dedup_project(project.store, project.protocol, full=True)
        assert sum(1 for w in partition(project) if any("LINK WORKERS" in m for m in w) and len(w) > 1) == 1


def test_a_late_merge_keeps_the_screening_decisions_of_both_works(tmp_path):
    """Both copies of HUSK were screened before a reviewer found them to be one study: the
    study keeps every decision, and an include is never lost to an exclude on the other copy."""
    from searchflow.screening import decisions
    protocol = make_project(tmp_path, {"embase": EMBASE, "medline": MEDLINE, "cinahl": CINAHL})
    with Project.open(protocol) as project:
        project.run()
        store, rules = project.store, project.protocol
        (pair,) = review.possible_pairs(store, rules)
        first, second = sorted((pair.record_a["work_id"], pair.record_b["work_id"]))
        stage = "title_abstract"
        decisions.record_decision(store, rules, first, stage, "alice", "exclude", "Not a link work intervention")
        decisions.record_decision(store, rules, second, stage, "alice", "include")
        decisions.record_decision(store, rules, second, stage, "bob", "include", note="realist, keep")
        review.decide_pair(store, rules, pair, "same", "carol")

        final = decisions.final_decision(store, rules, first, stage)
        assert store.work_member_ids(second) == []
        assert final.status == "agreed" and final.verdict == "include"
        bob = {d.reviewer: d for d in final.decisions}["bob"]
        assert bob.note.startswith("realist, keep; carried from work") and "carol" in bob.note
        # the events on the emptied work are still there, untouched
        assert {(d["reviewer"], d["verdict"]) for d in store.decision_events(work_id=second)} == {
            ("alice", "include"), ("bob", "include")}

        # undoing the merge gives the restored work its own decisions back
        event = [e for e in store.merge_events() if e["actor"] == "carol"][0]
        review.undo_merge(store, event["id"], "carol")
        assert decisions.final_decision(store, rules, second, stage).verdict == "include"
        restored = decisions.final_decision(store, rules, first, stage)
        assert [(d.reviewer, d.verdict) for d in restored.decisions] == [("alice", "exclude")]


def test_verdicts_survive_a_new_version_of_an_export(tmp_path):
    protocol = make_project(tmp_path, {"embase": EMBASE, "medline": MEDLINE, "cinahl": CINAHL})
    with Project.open(protocol) as project:
        project.run()
        (pair,) = review.possible_pairs(project.store)
        review.decide_pair(project.store, project.protocol, pair, "different", "alice")
    # CINAHL re-exported with one more record: the pair's record gets a new id, the verdict still holds
    extra = ris({"title": "Green space and health in cities", "authors": ["Park, J"], "year": "2022"})
    (tmp_path / "exports" / "cinahl.ris").write_text(CINAHL + "\n" + extra, encoding="utf-8")
    with Project.open(protocol) as project:
        project.run()
        assert review.possible_pairs(project.store) == []
        titles = [w for w in partition(project) if any("how and why" in m for m in w)]
        assert len(titles) == 1 and len(titles[0]) == 1


def test_undo_merge_restores_the_work_and_stays_undone(tmp_path):
    protocol = make_project(tmp_path, {"embase": EMBASE, "medline": MEDLINE})
    with Project.open(protocol) as project:
        project.run()
        before = len(partition(project))
        event = project.store.merge_events()[0]
        moved = review.undo_merge(project.store, event["id"], "alice")
        assert moved == [event["record_id"]]
        assert project.store.records_by_id(moved)[moved[0]]["work_id"] == event["from_work"]
        assert len(partition(project)) == before + 1
        review.dedup_project(project.store, project.protocol, full=True)
        assert len(partition(project)) == before + 1
        with pytest.raises(review.DedupError, match="moved since"):
            review.undo_merge(project.store, event["id"], "alice")


def test_cli_dedup_protocol_review_and_verdicts(tmp_path, capsys):
    protocol = make_project(tmp_path, {"embase": EMBASE, "medline": MEDLINE, "cinahl": CINAHL})
    assert main(["import", str(protocol), str(tmp_path / "exports" / "embase.ris"), "--database", "Embase"]) == 0
    assert main(["dedup", str(protocol)]) == 0
    assert "dedup:" in capsys.readouterr().out
    assert main(["run", str(protocol)]) == 0
    capsys.readouterr()
    assert main(["dedup", str(protocol), "--review"]) == 0
    out = capsys.readouterr().out
    assert "realist review of how and why" in out and "1 pairs" in out
    (pair,) = review.possible_pairs(Project.open(protocol).store)
    a, b = pair.record_a["id"], pair.record_b["id"]
    assert main(["dedup", str(protocol), "--same", str(a), str(b)]) == 2
    assert "--reviewer" in capsys.readouterr().err
    assert main(["dedup", str(protocol), "--different", str(a), str(a), "--reviewer", "alice"]) == 2
    assert f"records {a} and {a}: a verdict needs two different records" in capsys.readouterr().err
    assert main(["dedup", str(protocol), "--same", str(a), str(b), "--reviewer", "alice"]) == 0
    assert main(["dedup", str(protocol), "--review"]) == 0
    assert "no possible duplicates" in capsys.readouterr().out
    assert main(["dedup", str(protocol), "--undo", "9999", "--reviewer", "alice"]) == 2
    assert "merge event 9999 does not exist" in capsys.readouterr().err


# ------------------------------------------------------------------ standalone

def test_standalone_cli_writes_one_row_per_record(tmp_path):
    (tmp_path / "a.ris").write_text(EMBASE, encoding="utf-8")
    (tmp_path / "b.ris").write_text(MEDLINE, encoding="utf-8")
    out = tmp_path / "clusters.csv"
    proc = subprocess.run([str(ROOT / ".venv" / "bin" / "searchflow"), "dedup", str(tmp_path / "a.ris"),
                           str(tmp_path / "b.ris"), "--out", str(out)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "6 records in 4 clusters" in proc.stdout
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert list(rows[0]) == ["file", "id", "cluster_id", "decision"]
    assert [(Path(r["file"]).name, r["id"]) for r in rows] == [
        ("a.ris", "1"), ("a.ris", "2"), ("a.ris", "3"), ("b.ris", "1"), ("b.ris", "2"), ("b.ris", "3")]
    by_key = {(Path(r["file"]).name, r["id"]): r for r in rows}
    assert by_key[("b.ris", "1")]["cluster_id"] == by_key[("a.ris", "1")]["cluster_id"]
    assert by_key[("b.ris", "3")]["cluster_id"] != by_key[("a.ris", "3")]["cluster_id"]     # the erratum
    assert sorted(r["decision"] for r in rows) == ["duplicate", "duplicate", "unique", "unique", "unique", "unique"]


def test_standalone_csv_with_id_column(tmp_path, capsys):
    path = tmp_path / "records.csv"
    path.write_text(
        "key,title,author,year,journal,volume,number,pages,doi\n"
        'r1,Link workers in primary care: a qualitative study,"Moffatt, S and Steer, M",2017,BMJ Open,7,,e015203,\n'
        'r2,LINK WORKERS IN PRIMARY CARE: A QUALITATIVE STUDY.,"Moffatt, Suzanne and Steer, Mel",2017,BMJ Open,7,,e015203,\n'
        'r3,Loneliness in older adults: a cohort study,"Lee, K",2019,Age Ageing,48,1,10-20,\n', encoding="utf-8")
    assert main(["dedup", str(path), "--id-column", "key"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["id"], r["cluster_id"], r["decision"]) for r in rows] == [
        ("r1", "1", "unique"), ("r2", "1", "duplicate"), ("r3", "2", "unique")]
    assert main(["dedup", str(path), "--id-column", "nope", "--out", str(tmp_path / "x.csv")]) == 2
    assert "no column 'nope'" in capsys.readouterr().err


def test_standalone_refuses_project_options(tmp_path, capsys):
    (tmp_path / "a.ris").write_text(EMBASE, encoding="utf-8")
    assert main(["dedup", str(tmp_path / "a.ris"), "--review"]) == 2
    assert "needs a protocol" in capsys.readouterr().err
    assert main(["dedup", str(tmp_path / "missing.ris")]) == 2


def _store_rows(protocol: Path) -> tuple:
    with Project.open(protocol) as project:
        return tuple([tuple(row) for row in project.store.conn.execute(f"SELECT * FROM {t} ORDER BY id")]
                     for t in ("merge_event", "pair_decision", "source_record", "dedup_run", "decision"))


def test_merges_are_listed_undone_redone_and_decided_again(tmp_path, capsys):
    protocol = make_project(tmp_path, {"embase": EMBASE, "medline": MEDLINE})
    assert main(["run", str(protocol)]) == 0
    capsys.readouterr()
    with Project.open(protocol) as project:
        first = project.store.merge_events()[0]
        kept = [r for r in project.store.work_member_ids(first["to_work"]) if r != first["record_id"]][0]
    moved = first["record_id"]

    assert main(["dedup", str(protocol), "--history", "--work", str(first["to_work"])]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["event", "time", "who", "rule", "score", "record", "from", "work", "to", "work"]
    assert lines[1].split()[0] == str(first["id"]) and "dedup" in lines[1] and first["rule"] in lines[1]

    # a name the protocol does not know is refused before anything changes
    before = _store_rows(protocol)
    for command in (["--reviewer", "zed"], ["--undo", str(first["id"]), "--reviewer", "zed"],
                    ["--same", str(kept), str(moved), "--reviewer", "zed"]):
        assert main(["dedup", str(protocol), *command]) == 2
        assert "unknown reviewer 'zed'" in capsys.readouterr().err
    assert _store_rows(protocol) == before

    assert main(["dedup", str(protocol), "--undo", str(first["id"]), "--reviewer", "alice"]) == 0
    assert f"record {moved} is a work of its own again" in capsys.readouterr().out
    with Project.open(protocol) as project:
        split = project.store.merge_events()[-1]
        assert (split["rule"], split["actor"], split["record_id"]) == ("split", "alice", moved)
    # the undo is itself an event of the history, and undoing it merges the records back
    assert main(["dedup", str(protocol), "--undo", str(split["id"]), "--reviewer", "bob"]) == 0
    assert f"record {moved} is in work {first['to_work']} again" in capsys.readouterr().out
    with Project.open(protocol) as project:
        assert moved in project.store.work_member_ids(first["to_work"])
        review.dedup_project(project.store, project.protocol, full=True)          # and it stays merged
        assert moved in project.store.work_member_ids(first["to_work"])

    # undo again, then a reviewer's 'same' on that very pair: the newest verdict wins
    assert main(["dedup", str(protocol), "--undo", str(first["id"]), "--reviewer", "alice"]) == 0
    capsys.readouterr()
    assert main(["dedup", str(protocol), "--same", str(kept), str(moved), "--reviewer", "bob"]) == 0
    out = capsys.readouterr().out
    assert f"records {kept} and {moved}: same (bob); this overrides the earlier 'different' verdicts" in out
    with Project.open(protocol) as project:
        assert project.store.records_by_id([moved])[moved]["work_id"] == first["to_work"]


def test_review_shows_both_records_side_by_side(tmp_path, capsys):
    protocol = make_project(tmp_path, {"embase": EMBASE, "medline": MEDLINE, "cinahl": CINAHL})
    assert main(["run", str(protocol)]) == 0
    capsys.readouterr()
    assert main(["dedup", str(protocol), "--review"]) == 0
    out = capsys.readouterr().out.splitlines()
    header = next(line for line in out if line.strip().startswith("record"))
    assert header.count("record ") == 2
    rows = {line[:12].strip(" *"): line for line in out}
    for name in ("authors", "journal", "year", "volume", "issue", "pages", "doi", "pmid"):
        assert name in rows, name
    assert rows["year"].split()[-2:] == ["2020", "2020"]
    assert rows["journal"].lstrip().startswith("* journal")        # one side has no journal: marked
    assert rows["authors"].count("Husk, K; Blockley, K") == 2
