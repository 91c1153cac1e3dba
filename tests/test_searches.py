"""Counts follow the protocol: searches the protocol no longer names stay in the store, not
counted; renames keep works and decisions; ad hoc imports say how to join the protocol."""
from __future__ import annotations

import sqlite3

from test_dedup_project import CINAHL, EMBASE, MEDLINE, make_project

from searchflow import Project
from searchflow.cli import main
from searchflow.flow.counts import compute
from searchflow.screening import decisions
from searchflow.screening.order import queue


def identified(project: Project) -> int:
    return compute(project.store, project.protocol).prisma.identified


def rename_in_protocol(protocol, old: str, new: str) -> None:
    protocol.write_text(protocol.read_text(encoding="utf-8").replace(f'id = "{old}"', f'id = "{new}"'),
                        encoding="utf-8")


def table_rows(protocol, sql: str) -> list[tuple]:
    with sqlite3.connect(protocol.with_suffix(".db")) as conn:
        return conn.execute(sql).fetchall()


def screen_everything(project: Project) -> dict[int, str]:
    """alice includes every title/abstract work; returns work -> title."""
    works = decisions.stage_works(project.store, project.protocol, "title_abstract")
    for work in works:
        decisions.record_decision(project.store, project.protocol, work, "title_abstract", "alice", "include")
    return {w: project.store.work_records(w)[0]["title"] for w in works}


def test_a_search_renamed_in_the_protocol_keeps_its_works_and_counts_once(tmp_path, capsys):
    protocol = make_project(tmp_path, {"embase": EMBASE, "cyto": CINAHL})
    with Project.open(protocol) as project:
        project.run()
        before = identified(project)
        screened = screen_everything(project)
        pairs_before = table_rows(protocol, "SELECT COUNT(*) FROM pair_decision")
    rename_in_protocol(protocol, "cyto", "respiratory")
    assert main(["run", str(protocol)]) == 0
    out = capsys.readouterr().out
    assert "respiratory: the same files as search 'cyto', renamed" in out
    assert "not counted" not in out
    with Project.open(protocol) as project:
        assert identified(project) == before == 5                 # not 7: the renamed copy is not counted twice
        assert [r["search_id"] for r in project.store.search_runs()] == ["embase", "respiratory"]
        again = {w: project.store.work_records(w)[0]["title"]
                 for w in decisions.stage_works(project.store, project.protocol, "title_abstract")}
        assert again == screened                                   # same works, decisions still on them
        assert queue(project.store, project.protocol, "alice", "title_abstract") == []
    assert table_rows(protocol, "SELECT COUNT(*) FROM pair_decision") == pairs_before   # nothing sent to review


def test_a_search_no_longer_in_the_protocol_is_kept_but_not_counted(tmp_path, capsys):
    protocol = make_project(tmp_path, {"embase": EMBASE, "cyto": MEDLINE})
    with Project.open(protocol) as project:
        project.run()
        screen_everything(project)
        events_before = len(project.store.decision_events())
    # renamed and re-exported: the files differ, so nothing says the two are one search
    (tmp_path / "exports" / "respiratory.ris").write_text(MEDLINE + "\n", encoding="utf-8")
    protocol.write_text(protocol.read_text(encoding="utf-8").replace('id = "cyto"', 'id = "respiratory"')
                        .replace("exports/cyto.ris", "exports/respiratory.ris"), encoding="utf-8")
    capsys.readouterr()
    assert main(["flow", str(protocol), "--format", "json"]) == 0           # before the run: said
    assert "does not count searches as the protocol says (cyto)" in capsys.readouterr().err
    assert main(["run", str(protocol)]) == 0
    out = capsys.readouterr().out
    assert "cyto: not in the protocol, no longer counted" in out
    assert out.count("not counted: cyto (3 records") == 1
    with Project.open(protocol) as project:
        assert identified(project) == 6                        # embase 3 + respiratory 3, not cyto's 3 again
        old = [r for r in project.store.search_runs() if r["search_id"] == "cyto"]
        assert old and not old[0]["is_current"]                 # kept ...
        assert len(project.store.decision_events()) >= events_before   # ... with every decision
        old_records = {row[0] for row in table_rows(
            protocol, f"SELECT id FROM source_record WHERE run_id = {old[0]['id']}")}
        assert old_records and not old_records & {r["id"] for r in project.store.dedup_rows()}
    paired = table_rows(protocol, "SELECT record_a, record_b FROM pair_decision")
    assert not {r for pair in paired for r in pair} & old_records   # no pairs against its own copies
    assert main(["status", str(protocol)]) == 0
    assert "not counted: cyto (3 records, not in the protocol" in capsys.readouterr().out


def test_searches_lists_renames_and_retires(tmp_path, capsys):
    protocol = make_project(tmp_path, {"embase": EMBASE, "cyto": MEDLINE})
    with Project.open(protocol) as project:
        project.run()
        screened = screen_everything(project)
    # the team renames the search and re-exports it: --rename first keeps its works
    assert main(["searches", str(protocol), "--rename", "cyto", "respiratory"]) == 0
    assert "renamed cyto to respiratory" in capsys.readouterr().out
    (tmp_path / "exports" / "cyto.ris").write_text(MEDLINE + "\n", encoding="utf-8")
    rename_in_protocol(protocol, "cyto", "respiratory")
    assert main(["run", str(protocol)]) == 0
    assert "respiratory: changed, version 2: 3 records (+0; 3 identical to version 1)" in capsys.readouterr().out
    with Project.open(protocol) as project:
        assert decisions.stage_works(project.store, project.protocol, "title_abstract") == list(screened)
    assert main(["searches", str(protocol)]) == 0
    listing = capsys.readouterr().out
    assert "respiratory  2/2" in listing and "\ncyto" not in listing

    before = table_rows(protocol, "SELECT * FROM search_run")
    assert main(["searches", str(protocol), "--retire", "embase"]) == 2
    assert "still in" in capsys.readouterr().err
    assert main(["searches", str(protocol), "--rename", "nope", "x"]) == 2
    assert "unknown search 'nope'" in capsys.readouterr().err
    assert main(["searches", str(protocol), "--rename", "embase", "respiratory"]) == 2
    assert "rename it first (e.g. --rename respiratory respiratory-superseded)" in capsys.readouterr().err
    assert table_rows(protocol, "SELECT * FROM search_run") == before

    # an ad hoc import: kept, not counted, with the table that brings it into the protocol
    assert main(["import", str(protocol), str(tmp_path / "exports" / "embase.ris"), "--database", "Scopus",
                 "--id", "scopus", "--date", "2023-03-20"]) == 0
    out = capsys.readouterr().out
    assert "scopus is not counted until the protocol names it" in out
    block = out[out.index("[[search]]"):]
    assert 'id = "scopus"' in block and 'files = ["exports/embase.ris"]' in block
    with Project.open(protocol) as project:
        assert identified(project) == 6
    assert main(["searches", str(protocol)]) == 0             # nobody retired it: it is not said to be
    (line,) = [line for line in capsys.readouterr().out.splitlines() if line.startswith("scopus")]
    assert "no: ad hoc import, not in the protocol; not counted since 20" in line and "retired" not in line
    assert main(["searches", str(protocol), "--retire", "scopus", "--note", "duplicate of embase"]) == 0
    assert "not counted (duplicate of embase; retired" in capsys.readouterr().out
    with open(protocol, "a", encoding="utf-8") as fh:
        fh.write("\n" + block)
    assert main(["run", str(protocol)]) == 0
    out = capsys.readouterr().out
    assert "scopus: in the protocol again, counted" in out and "scopus: unchanged (3 records)" in out
    with Project.open(protocol) as project:
        assert identified(project) == 9
