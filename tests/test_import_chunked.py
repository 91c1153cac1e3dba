"""A large RIS file parsed in ranges by worker processes gives what a serial parse gives:
the same records, the same lines, the same first problem."""
from __future__ import annotations

import random
from pathlib import Path

import pytest

from searchflow import Project
from searchflow.sources import chunked, open_encoded, open_export, ris
from searchflow.sources.base import ImportProblem
from searchflow.store.encoding import encode_record

from conftest import shared_file

WORDS = "link worker social prescribing loneliness primary care wellbeing referral".split()


def write_ris(path: Path, records: int, newline: str = "\n", seed: int = 3, problem: str = "",
              problem_at: int = -1) -> Path:
    """Ovid-shaped records with every framing a serial parse must handle: sequence lines and
    trailing text between records, wrapped and blank lines, the PMID tag, empty tags, an ER
    without its trailing space; ``problem`` replaces record ``problem_at``'s keyword line."""
    rng = random.Random(seed)
    lines: list[str] = []
    for i in range(records):
        lines.append(f"{i + 1}. ")
        lines += ["TY  - JOUR", f"TI  - {' '.join(rng.choices(WORDS, k=6))} {i}"]
        lines += [f"AU  - Author{rng.randint(1, 9)}, A" for _ in range(rng.randint(1, 3))]
        lines += ["PY  - 2021", "DB  - Ovid MEDLINE(R) <1946 to Present>", f"AB  - {' '.join(rng.choices(WORDS, k=20))}"]
        if i % 3 == 0:
            lines += [f"      {' '.join(rng.choices(WORDS, k=8))}", ""]      # a wrapped line, a blank one
        if i % 4 == 0:
            lines.append(f"PMID  - {30000000 + i}")
        lines.append("KW  -" if i % 5 == 0 else f"KW  - {rng.choice(WORDS)}")
        if i == problem_at:
            lines[-1] = problem
        lines.append("ER  -" if i % 2 else "ER  - ")
        if i % 6 == 0:
            lines += ["Link to the Ovid Full Text or citation:", "TY  -x not a record start", ""]
    path.write_bytes(newline.join(lines).encode("utf-8") + newline.encode())
    return path


def serial(path: Path) -> list[tuple]:
    _, records = open_export(path, "ris")
    return [encode_record(r) for r in records]


def ranged(path: Path, range_bytes: int) -> list[tuple]:
    """Through the worker processes, with ranges small enough that every file has many."""
    info, records = open_export(path, "ris")
    records.close()
    info.vendor = chunked.first_vendor(path, info, ris)
    assert info.vendor, "the parallel path needs a vendor from the first record"
    return list(chunked.encoded_records(path, info, ris, range_bytes))


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_ranges_start_at_records_and_count_lines_as_universal_newlines(tmp_path, newline):
    path = write_ris(tmp_path / "x.ris", 40, newline)
    data = path.read_bytes()
    pieces = list(chunked.ranges(path, ris.RECORD_START, 700))
    assert len(pieces) > 5
    assert pieces[0][0] == 0 and pieces[-1][1] == len(data)
    assert all(a[1] == b[0] for a, b in zip(pieces, pieces[1:]))
    for start, _, line in pieces[1:]:
        assert data[start:start + 6] == b"TY  - " and data[start - 1:start] in (b"\n", b"\r")
        before = data[:start].decode().replace("\r\n", "\n").replace("\r", "\n")
        assert line == before.count("\n") + 1


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
@pytest.mark.parametrize("range_bytes", [300, 2000, 1 << 20])
def test_ranged_parse_gives_the_serial_records(tmp_path, newline, range_bytes):
    path = write_ris(tmp_path / "x.ris", 60, newline)
    expected = serial(path)
    assert len(expected) == 60
    assert ranged(path, range_bytes) == expected


def test_ranged_parse_of_every_real_ris_export(tmp_path):
    folder = shared_file("exports")
    checked = 0
    for path in sorted(folder.rglob("*")):
        if path.suffix.lower() not in (".ris", ".txt") or "ris" not in path.name.lower():
            continue
        info, records = open_export(path, "ris")
        records.close()
        if not chunked.first_vendor(path, info, ris):
            continue
        assert ranged(path, 1500) == serial(path), path.name
        checked += 1
    assert checked >= 10


@pytest.mark.parametrize("problem, problem_at", [
    ("TY  - JOUR", 45),                  # a record opened before the last one ended
])
def test_first_problem_is_the_serial_one(tmp_path, problem, problem_at):
    path = write_ris(tmp_path / "bad.ris", 60, problem=problem, problem_at=problem_at)
    with pytest.raises(ImportProblem) as expected:
        serial(path)
    with pytest.raises(ImportProblem) as got:
        ranged(path, 400)
    assert str(got.value) == str(expected.value)
    assert f":{expected.value.line}:" in str(got.value)


def test_unknown_tags_and_a_header_in_ranges_give_the_serial_warnings(tmp_path):
    path = write_ris(tmp_path / "odd.ris", 60, problem="ZZ  - a tag no vendor writes", problem_at=37)
    text = path.read_text().replace("KW  - ", "TS  - ", 3)
    path.write_text("Exported from an invented library\n" + text)
    serial_info, records = open_export(path, "ris")
    expected = [encode_record(r) for r in records]
    info, records = open_export(path, "ris")
    records.close()
    info.vendor = chunked.first_vendor(path, info, ris)
    got = list(chunked.encoded_records(path, info, ris, 400))
    assert got == expected and len(got) == 60
    assert info.warnings == serial_info.warnings
    assert len(info.warnings) == 2 and info.warnings[-1].endswith("TS (3), ZZ (1)")


def test_truncated_file_is_the_serial_problem(tmp_path):
    path = write_ris(tmp_path / "cut.ris", 30)
    text = path.read_text()
    path.write_text(text[:text.rindex("ER  -")])
    with pytest.raises(ImportProblem) as expected:
        serial(path)
    with pytest.raises(ImportProblem) as got:
        ranged(path, 500)
    assert str(got.value) == str(expected.value)
    assert "file ends inside it" in str(got.value)


def _project(tmp_path: Path, export: Path) -> Path:
    protocol = tmp_path / "p.toml"
    protocol.write_text(f'[review]\ntitle = "t"\n[dedup]\nenabled = false\n'
                        f'[[search]]\nid = "medline"\ndatabase = "MEDLINE"\nfiles = ["{export.as_posix()}"]\n')
    return protocol


def test_project_import_in_parallel_stores_what_a_serial_import_stores(tmp_path, monkeypatch):
    export = write_ris(tmp_path / "big.ris", 300)
    (tmp_path / "serial").mkdir()
    (tmp_path / "parallel").mkdir()
    with Project.open(_project(tmp_path / "serial", export)) as project:
        project.run()
        expected = project.records()
    monkeypatch.setattr(chunked, "PARALLEL_FROM", 0)
    monkeypatch.setattr(chunked, "RANGE_BYTES", 4000)
    info, encoded = open_encoded(export)
    assert encoded.__class__.__name__ == "generator" and info.vendor == "ovid"   # the worker path
    encoded.close()
    with Project.open(_project(tmp_path / "parallel", export)) as project:
        project.run()
        got = project.records()
        assert project.store.run_files(project.store.current_run("medline")["id"])[0]["vendor"] == "ovid"
    assert len(got) == 300
    assert got.equals(expected)


def test_a_problem_in_a_worker_leaves_the_store_unchanged(tmp_path, monkeypatch):
    export = write_ris(tmp_path / "bad.ris", 300, problem="TY  - JOUR", problem_at=250)
    monkeypatch.setattr(chunked, "PARALLEL_FROM", 0)
    monkeypatch.setattr(chunked, "RANGE_BYTES", 4000)
    with Project.open(_project(tmp_path, export)) as project:
        with pytest.raises(ImportProblem, match="no end tag"):
            project.run()
        assert project.store.search_runs() == []
        assert project.store.counts() == {"records": 0, "works": 0}
