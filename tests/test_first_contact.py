"""First contact: the screening session the README's Quick start suggests opens on a record to
screen, on the data `make demo` builds (the example protocol and its example decisions)."""
from __future__ import annotations

import asyncio
import re
import shlex
import shutil
import subprocess
import sys

from searchflow import cli
from searchflow.project import Project
from searchflow.screening import decisions
from searchflow.screening.order import queue
from searchflow.tui.app import ScreeningApp
from searchflow.tui.screens import ScreeningScreen

from conftest import ROOT


def quick_start_screen_command() -> list[str]:
    """The `searchflow screen ...` command the README's Quick start suggests, as arguments."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    found = re.search(r"`(?:\.venv/bin/)?searchflow (screen [^`]+)`", quick_start)
    assert found, "the Quick start suggests no screening command"
    return shlex.split(found.group(1))


def build_demo(tmp_path):
    """What `make demo` does, in a copy: run, the example decisions, run again."""
    shutil.copytree(ROOT / "protocols", tmp_path / "protocols", ignore=shutil.ignore_patterns("*.db*"))
    shutil.copytree(ROOT / "exports", tmp_path / "exports")
    protocol = tmp_path / "protocols" / "link-workers.toml"
    assert cli.main(["run", str(protocol)]) == 0
    script = subprocess.run([sys.executable, str(tmp_path / "protocols" / "example_screening.py"), str(protocol)],
                            capture_output=True, text=True, cwd=tmp_path)
    assert script.returncode == 0, script.stderr
    assert cli.main(["run", str(protocol)]) == 0
    return protocol


def test_the_quick_start_screening_session_opens_on_a_record_to_screen(tmp_path, capsys):
    protocol = build_demo(tmp_path)
    capsys.readouterr()
    args = cli.build_parser().parse_args(quick_start_screen_command())
    assert args.command == "screen" and args.protocol == "protocols/link-workers.toml"
    with Project.open(protocol) as project:
        store = project.store
        waiting = queue(store, project.protocol, args.reviewer, args.stage)
        assert len(waiting) == 3                  # the example leaves these for the newcomer
        app = ScreeningApp.open(store, project.protocol, args.reviewer, args.stage)

        async def first_look() -> None:
            async with app.run_test(size=(110, 36)) as pilot:
                assert isinstance(app.screen, ScreeningScreen)
                assert app.session.work_id == waiting[0]          # not "Done": the first work to screen
                assert app.session.verdict() is None
                title = decisions.work_summary(store, waiting[0]).title
                assert title[:40] in str(app.screen.query_one("#record-body").content)
                await pilot.press("i")                           # and it can be screened
                assert decisions.reviewer_verdicts(store, args.reviewer, args.stage)[waiting[0]].verdict == "include"
                assert app.session.work_id == waiting[1]

        asyncio.run(first_look())
