"""The screening terminal UI: ``searchflow screen PROTOCOL --reviewer NAME``.

A client of :mod:`searchflow.screening` (and :mod:`searchflow.dedup` for the
duplicate review), like the CLI and protocol scripts: it shows, asks, and sends
each verdict through the rules, which commit it before the screen moves on.
Keys come from the protocol's ``[screening.keys]`` table when it remaps them.
"""
from __future__ import annotations

from typing import Any

from textual.app import App
from textual.binding import Binding

from ..protocol import Protocol
from ..dedup import review
from ..screening import highlight
from ..screening.blinding import can_see_others
from ..screening.settings import resolvers
from ..store import Store
from .screens import ConflictScreen, DashboardScreen, DuplicateScreen, ScreeningScreen
from .session import ScreeningSession
from .widgets import HelpScreen

SCREENS_BY_KEY = {"1": "screening", "2": "conflicts", "3": "duplicates", "4": "dashboard"}


def keymap_from_protocol(protocol: Protocol) -> dict[str, str]:
    """``[screening.keys]`` as a Textual keymap (action -> key), in Textual's names of the keys.

    A value may list several keys separated by commas (``include = "i,y"``); the protocol
    checked the actions and keys when it was read.
    """
    return {action: ",".join(_key_name(k.strip()) for k in key.split(","))
            for action, key in protocol.screening.keys.items()}


def _key_name(key: str) -> str:
    """Textual's name for a key a reviewer would type ("/" is "slash", "?" is "question_mark")."""
    named = {"/": "slash", "?": "question_mark", " ": "space", "+": "plus", "-": "minus", ".": "full_stop",
             ",": "comma"}
    return named.get(key, key)


class DuplicateReview:
    """The duplicate review queue, through :mod:`searchflow.dedup.review`."""

    def __init__(self, store: Store, protocol: Protocol):
        self.store = store
        self.protocol = protocol
        self.decided = 0          # verdicts given here; works may have merged since the queue loaded
        self.given: list[review.PairVerdict] = []     # this screen's verdicts, newest last, for undo

    def pairs(self) -> list[Any]:
        return review.possible_pairs(self.store, self.protocol)

    def records(self, pair: Any) -> tuple[dict, dict]:
        return pair.record_a, pair.record_b

    def decide(self, pair: Any, verdict: str, reviewer: str) -> None:
        self.given.append(review.decide_pair(self.store, self.protocol, pair, verdict, reviewer))
        self.decided += 1

    def undo(self) -> review.PairVerdict | None:
        """Take back the latest verdict given here: the pair waits for review again."""
        if not self.given:
            return None
        review.take_back(self.store, self.protocol, self.given[-1])
        self.decided += 1
        return self.given.pop()


class ScreeningApp(App):
    """One reviewer at one stage; switch screens with 1-4."""

    CSS_PATH = "screening.tcss"
    TITLE = "searchflow"
    ENABLE_COMMAND_PALETTE = False
    MODES = {
        "screening": ScreeningScreen,
        "conflicts": ConflictScreen,
        "duplicates": DuplicateScreen,
        "dashboard": DashboardScreen,
    }
    # Screen keys are listed in the title bar and the help, not the footer: at 80 columns
    # the footer has room for the verdict keys only.
    BINDINGS = [
        Binding("1", "show('screening')", "Screening screen", id="show_screening", show=False),
        Binding("2", "show('conflicts')", "Conflicts screen", id="show_conflicts", show=False),
        Binding("3", "show('duplicates')", "Duplicate review screen", id="show_duplicates", show=False),
        Binding("4", "show('dashboard')", "Dashboard screen", id="show_dashboard", show=False),
    ]

    def __init__(self, session: ScreeningSession, start: str = "screening"):
        super().__init__()
        self.session = session
        self.start = start if session.screens else "conflicts"   # a resolver who screens nothing
        self.highlighter = highlight.from_protocol(session.protocol)
        self.duplicates = DuplicateReview(session.store, session.protocol)
        self.set_keymap(keymap_from_protocol(session.protocol))

    @classmethod
    def open(cls, store: Store, protocol: Protocol, reviewer: str, stage: str = "title_abstract") -> "ScreeningApp":
        """Load the reviewer's queue (ids only); a reviewer not in the protocol raises ScreeningError."""
        return cls(ScreeningSession(store, protocol, reviewer, stage))

    def on_mount(self) -> None:
        self.switch_mode(self.start)

    def on_unmount(self) -> None:
        self.session.close()          # stop retraining the prioritisation model

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "show":
            (target,) = parameters
            if target == self.current_mode:
                return False                      # no key for the screen you are on
            if target == "screening":
                return self.session.screens
            if target == "conflicts":
                return self.may_resolve()
        return True

    def may_resolve(self) -> bool:
        session = self.session
        return (session.reviewer in resolvers(session.protocol)
                and can_see_others(session.store, session.protocol, session.stage, session.reviewer))

    def other_screens(self, screen) -> list[tuple[str, str]]:
        """(key, name) of the screens this person may switch to from the current one."""
        shown = []
        for active in screen.active_bindings.values():
            if active.binding.action.startswith("show(") and active.enabled:
                target = active.binding.action[len("show('"):-2]
                shown.append((self.get_key_display(active.binding), target))
        return shown

    def action_show(self, mode: str) -> None:
        if self.check_action("show", (mode,)):
            self.switch_mode(mode)

    def action_help(self) -> None:
        """The keys in force on this screen, after the protocol's remapping."""
        rows, seen = [], set()
        for key, active in self.screen.active_bindings.items():
            binding = active.binding
            if binding.id and binding.description and (binding.action, key) not in seen:
                seen.add((binding.action, key))
                rows.append((self.get_key_display(binding), binding.description))
        rows.append(("↑ ↓ PgUp PgDn", "scroll the record"))
        name = getattr(self.screen, "SCREEN_NAME", "")
        self.push_screen(HelpScreen(rows, title=f"Keys on the {name} screen" if name else "Keys"))
