"""The README documents every command, option, protocol key and TUI key (in the manner of
sqlite-utils' docs tests): the lists are read from the parser and the code, never written here."""
from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest
from textual.binding import Binding

from searchflow import protocol
from searchflow.cli import build_parser
from searchflow.flow.outputs import OUTPUT_KEYS
from searchflow.sources.pubmed.settings import PUBMED_SETTINGS_KEYS
from searchflow.tui import app, screens

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _commands() -> dict[str, argparse.ArgumentParser]:
    (sub,) = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


def _options() -> list[tuple[str, str]]:
    return [(name, option) for name, parser in _commands().items() for action in parser._actions
            for option in action.option_strings if option.startswith("--") and option != "--help"]


def _protocol_keys() -> list[str]:
    keys = set()
    for name in dir(protocol):
        if name.endswith("_KEYS"):
            keys |= set(getattr(protocol, name))
    return sorted(keys | set(OUTPUT_KEYS) | set(PUBMED_SETTINGS_KEYS))


def _tui_keys() -> list[tuple[str, str]]:
    shown = {"question_mark": "?", "slash": "/"}
    found = set()
    for module in (app, screens):
        for owner in vars(module).values():
            if not isinstance(owner, type) or owner.__module__ != module.__name__:
                continue                       # Textual's own classes (scrolling, copy) are not ours to list
            for binding in vars(owner).get("BINDINGS", []):
                if isinstance(binding, Binding):
                    for key in binding.key.split(","):
                        found.add((owner.__name__, shown.get(key, key)))
    return sorted(found)


@pytest.mark.parametrize("command", sorted(_commands()))
def test_every_command_is_in_the_readme(command):
    assert re.search(rf"`searchflow {re.escape(command)}\b", README), f"README: no `searchflow {command} ...`"


@pytest.mark.parametrize("command, option", _options())
def test_every_option_is_documented_with_its_command(command, option):
    lines = [line for line in README.splitlines() if f"searchflow {command}" in line]
    assert any(re.search(rf"{re.escape(option)}\b", line) for line in lines), \
        f"README: {option} not on a line naming `searchflow {command}`"


@pytest.mark.parametrize("command", sorted(_commands()))
def test_every_command_and_option_has_a_description(command):
    parser = _commands()[command]
    assert parser.description, f"{command}: no description"
    for action in parser._actions:
        if not isinstance(action, argparse._HelpAction):
            assert action.help, f"{command} {action.option_strings or action.dest}: no help string"


@pytest.mark.parametrize("key", _protocol_keys())
def test_every_protocol_key_is_in_the_readme(key):
    assert re.search(rf"(^|[\s{{\[,`]){re.escape(key)}(\s*=|`|\])", README, re.M), f"README: protocol key {key!r}"


@pytest.mark.parametrize("screen, key", _tui_keys())
def test_every_tui_key_is_in_the_readme(screen, key):
    assert f"`{key}`" in README or (len(key) > 1 and key in README), f"README: {screen} key {key!r}"
