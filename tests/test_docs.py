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
from searchflow.sources import FORMATS
from searchflow.tui import app, screens

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _commands() -> dict[str, argparse.ArgumentParser]:
    (sub,) = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


def _options() -> list[tuple[str, str]]:
    return [(name, option) for name, parser in _commands().items() for action in parser._actions
            for option in action.option_strings if option.startswith("--") and option != "--help"]


def _protocol_keys() -> list[tuple[str, str, list[str]]]:
    """(table, key, the keys of its own table if it takes one) for every key of the protocol model."""
    found = [(table, key, protocol.keys_of(nested) if (nested := protocol.nested_table(model, key)) else [])
             for table, model in protocol.TABLES.items() for key in protocol.keys_of(model)]
    return found + [("outputs", key, []) for key in protocol.OUTPUT_KEYS]


def _readme_key_rows() -> dict[tuple[str, str], str]:
    """(table, key) -> its row of the README's table of protocol keys ("Every key, by table")."""
    lines = README.split("Every key, by table", 1)[1].split("\n\n", 2)[1].splitlines()
    rows, table = {}, ""
    for line in lines[2:]:
        cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]]
        table = re.sub(r"[`\[\]]", "", cells[0]) or table
        for key in re.findall(r"`([a-z_]+)`", cells[1]):
            rows[(table, key)] = line
    return rows


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


@pytest.mark.parametrize("table, key, nested", _protocol_keys())
def test_every_protocol_key_is_in_the_readme(table, key, nested):
    row = _readme_key_rows().get((table, key))
    assert row, f"README: no row for protocol key [{table}] {key!r} in the table of keys"
    for name in nested:
        assert re.search(rf"[\s{{,`]{re.escape(name)}(\s*=|`)", row), f"README: {table}.{key}.{name} not in its row"


def test_the_readme_lists_no_key_the_protocol_does_not_take():
    known = {(table, key) for table, key, _ in _protocol_keys()}
    assert sorted(set(_readme_key_rows()) - known) == []


@pytest.mark.parametrize("name", list(FORMATS))
def test_every_import_format_is_named_where_a_search_forces_one(name):
    row = _readme_key_rows()[("search", "format")]
    assert f"`{name}`" in row, f"README: the [[search]] format row does not name {name!r}"


@pytest.mark.parametrize("screen, key", _tui_keys())
def test_every_tui_key_is_in_the_readme(screen, key):
    assert f"`{key}`" in README or (len(key) > 1 and key in README), f"README: {screen} key {key!r}"
