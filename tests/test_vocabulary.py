"""Each list of things (stages, verdicts, event kinds, formats, methods) is defined once; the
places that must spell a list out again (the store's SQL, per-item tables) agree with it."""
from __future__ import annotations

import re

import pytest

from searchflow import cli
from searchflow.flow import export, outputs
from searchflow.flow.counts import METHOD_LABELS
from searchflow.protocol import DATABASE_METHODS, METHODS
from searchflow.screening.vocabulary import FORWARD, INCLUSIVE, KINDS, STAGE_VERDICTS, STAGES, VERDICTS
from searchflow.sources import FORMATS as IMPORT_FORMATS
from searchflow.store.sqlite import SQLiteStore


def check_lists(store: SQLiteStore, table: str) -> dict[str, tuple[str, ...]]:
    """column -> the values its CHECK (column IN (...)) constraint allows, from the stored schema."""
    (sql,) = store.conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?",
                                (table,)).fetchone()
    return {column: tuple(re.findall(r"'([^']*)'", values))
            for column, values in re.findall(r"CHECK \((\w+) IN \(([^)]*)\)\)", sql)}


def test_the_sqlite_store_allows_exactly_the_screening_vocabulary(tmp_path):
    store = SQLiteStore.open(tmp_path / "p.db")
    try:
        assert check_lists(store, "decision") == {"stage": STAGES, "kind": KINDS, "verdict": VERDICTS}
        assert check_lists(store, "blinding")["stage"] == STAGES
    finally:
        store.close()


def test_stage_verdicts_are_the_verdicts_in_order():
    assert tuple(STAGE_VERDICTS) == STAGES
    for verdicts in STAGE_VERDICTS.values():
        assert verdicts == tuple(v for v in VERDICTS if v in verdicts)
    assert set(FORWARD) <= set(STAGE_VERDICTS["title_abstract"])
    assert set(INCLUSIVE) == set(VERDICTS)
    assert set(DATABASE_METHODS) <= set(METHODS)
    assert set(METHOD_LABELS) == set(METHODS)


def _choices(command: str, option: str) -> tuple:
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    action = next(a for a in sub.choices[command]._actions if option in a.option_strings)
    return tuple(action.choices)


@pytest.mark.parametrize("command", ["conflicts", "agreement", "resolve", "unblind", "screen", "chase", "export"])
def test_every_stage_option_offers_the_stages(command):
    assert _choices(command, "--stage") == STAGES


def test_the_cli_offers_the_lists_it_is_given():
    assert _choices("resolve", "--verdict") == VERDICTS
    assert _choices("export", "--verdict") == export.VERDICTS == VERDICTS + ("all",)
    assert _choices("export", "--format") == export.FORMATS
    assert _choices("flow", "--format") == outputs.FORMATS
    assert _choices("import", "--format") == tuple(IMPORT_FORMATS)
    assert _choices("import", "--method") == METHODS


def test_the_screening_ui_has_a_key_and_a_colour_for_every_verdict():
    from searchflow.tui.screens import ConflictScreen, ScreeningScreen
    from searchflow.tui.widgets import VERDICT_STYLES

    assert set(VERDICT_STYLES) == set(VERDICTS)
    for screen in (ScreeningScreen, ConflictScreen):
        assert [b.id for b in screen.BINDINGS if b.id in VERDICTS] == list(VERDICTS)
