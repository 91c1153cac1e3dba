"""`run` ends with one line saying what it brought; long steps report their progress."""
from __future__ import annotations

from contextlib import contextmanager

import pytest

from test_dedup_project import CINAHL, EMBASE, MEDLINE, make_project

from searchflow import Project, project as project_module
from searchflow.cli import main
from searchflow.flow import outputs

# every test here runs on each store backend (tests/conftest.py)
pytestmark = pytest.mark.usefixtures("store_backend")


def test_run_ends_with_what_it_brought(tmp_path, capsys):
    protocol = make_project(tmp_path, {"embase": EMBASE, "medline": MEDLINE})
    with open(protocol, "a", encoding="utf-8") as fh:            # a citation search: straight to full text
        fh.write('[[search]]\nid = "refs"\ndatabase = "Reference lists"\nmethod = "citation"\nfiles = ["exports/refs.ris"]\n')
    (tmp_path / "exports" / "refs.ris").write_text(CINAHL, encoding="utf-8")
    assert main(["run", str(protocol)]) == 0
    last = capsys.readouterr().out.splitlines()[-1]
    # embase's 3 works (medline's copies merged into them: 2 duplicates; its erratum stays apart),
    # and the citation search's 2 records (the near copy of HUSK waits as a possible pair)
    assert last == ("run: 4 new works to screen, 2 sent straight to full text, 2 duplicates merged, "
                    "1 possible pairs waiting for review")
    assert main(["run", str(protocol)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        "run: 0 new works to screen, 0 sent straight to full text, 0 duplicates merged, "
        "1 possible pairs waiting for review")


def test_imports_and_flow_outputs_report_progress(tmp_path, monkeypatch):
    seen: dict[str, list[tuple[int, int]]] = {}

    @contextmanager
    def recording(label, **_):
        seen[label] = []
        yield lambda done, total: seen[label].append((done, total))

    monkeypatch.setattr(project_module, "progress", recording)
    monkeypatch.setattr(outputs, "progress", recording)
    record = "TY  - JOUR\nTI  - Study {i} of link workers\nAU  - Author{i}, A\nPY  - 2020\nAB  - {text}\nER  - \n"
    text = "\n".join(record.format(i=i, text="An abstract of some length. " * (1 + i % 7)) for i in range(5000))
    protocol = make_project(tmp_path, {"embase": text})
    with open(protocol, "a", encoding="utf-8") as fh:
        fh.write('[outputs]\nflow_json = "out/flow.json"\nflow_md = "out/flow.md"\n[dedup]\nenabled = false\n')
    with Project.open(protocol) as project:
        project.run()
    updates = seen["importing embase"]
    assert [done for done, _ in updates] == list(range(1000, 5001, 1000))
    # an estimate from the bytes: within 40% of the truth here, where the records are short and
    # the tags' framing is a large part of the file
    assert all(3000 <= total <= 7000 for _, total in updates), updates
    assert seen["flow outputs"] == [(0, 3), (1, 3), (2, 3)]
