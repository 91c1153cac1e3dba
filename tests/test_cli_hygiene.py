"""The command line never ends in a traceback for what is not a fault: a reader that stops
early, a store that cannot be opened."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def searchflow(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "searchflow", *args], capture_output=True, text=True, **kwargs)


def big_project(tmp_path: Path, records: int = 3000) -> Path:
    lines = []
    for i in range(records):
        lines += ["TY  - JOUR", f"TI  - Link workers and loneliness, study number {i}", f"AU  - Author{i}, A",
                  "PY  - 2020", "JO  - Journal of Tests", f"AB  - {'An abstract long enough to fill a pipe. ' * 4}",
                  "ER  - ", ""]
    (tmp_path / "embase.ris").write_text("\n".join(lines), encoding="utf-8")
    protocol = tmp_path / "review.toml"
    protocol.write_text('[review]\ntitle = "Pipes"\n[dedup]\nenabled = false\n'
                        '[[search]]\nid = "embase"\ndatabase = "Embase"\nfiles = ["embase.ris"]\n', encoding="utf-8")
    assert searchflow("run", str(protocol)).returncode == 0
    return protocol


def test_a_reader_that_stops_early_is_no_error(tmp_path):
    protocol = big_project(tmp_path)
    for fmt in ("csv", "table"):
        child = subprocess.Popen([sys.executable, "-m", "searchflow", "records", str(protocol), "--format", fmt],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        first = child.stdout.readline()           # `| head -1`: read one line, then stop reading
        child.stdout.close()
        stderr = child.stderr.read().decode()
        assert child.wait(timeout=120) == 0
        assert first.startswith(b"search") and stderr == "", stderr


def test_a_store_that_cannot_be_opened_is_one_line(tmp_path):
    (tmp_path / "folder.db").mkdir()
    for store in ("missing/folder/review.db", "folder.db"):
        protocol = tmp_path / "review.toml"
        protocol.write_text(f'[review]\ntitle = "Stores"\nstore = "{store}"\n', encoding="utf-8")
        result = searchflow("status", str(protocol))
        assert result.returncode == 2
        assert result.stderr == f"searchflow: error: {tmp_path / store}: cannot open the store (unable to open database file)\n"
    assert not (tmp_path / "missing").exists()


def test_every_command_has_a_description_in_its_help():
    result = searchflow("searches", "--help")
    assert result.returncode == 0 and "Lists every search in the store" in result.stdout
    result = searchflow("status", "--help")
    assert "Per search run: records and field coverage." in result.stdout


def test_a_mistake_on_the_command_line_is_one_line(tmp_path):
    for args, said in [(["resolve", "x.toml", "--stage", "ta"], "searchflow resolve: error: argument --stage: invalid "
                        "choice: 'ta'"),
                       (["import", "x.toml", "a.ris"], "searchflow import: error: the following arguments are "
                        "required: --database"),
                       (["frob"], "searchflow: error: argument COMMAND: invalid choice: 'frob'")]:
        done = searchflow(*args, cwd=tmp_path)
        assert done.returncode == 2 and done.stdout == ""
        assert done.stderr.count("\n") == 1 and done.stderr.startswith(said), done.stderr
        assert "--help` shows the usage" in done.stderr
    assert list(tmp_path.iterdir()) == []             # nothing written
