"""Widgets of the screening UI: the record view, the status line, the pickers.

They show what they are given and post what the reviewer chose; they hold no
screening rules and touch no store.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, ProgressBar, Static

from ..screening.display import STAGE_NAMES
from ..screening.highlight import EXCLUDE, Highlighter

# Term colours readable on dark and light terminals alike (also over SSH with 256 colours).
INCLUDE_STYLE = Style(color="black", bgcolor="green3", bold=True)
EXCLUDE_STYLE = Style(color="white", bgcolor="red3", bold=True)
SEARCH_STYLE = Style(color="black", bgcolor="yellow", underline=True)
VERDICT_STYLES = {"include": "bold green", "exclude": "bold red", "maybe": "bold yellow",
                  "not_retrieved": "bold magenta"}


def marked(text: str, highlighter: Highlighter | None, search: str = "", style: str | Style = "") -> Text:
    """``text`` with the protocol's terms coloured and a search string underlined."""
    out = Text(text, style=style)
    if highlighter:
        for match in highlighter.matches(text):
            out.stylize(EXCLUDE_STYLE if match.kind == EXCLUDE else INCLUDE_STYLE, match.start, match.end)
    if search:
        folded, needle, start = text.casefold(), search.casefold(), 0
        while needle and (at := folded.find(needle, start)) >= 0:
            out.stylize(SEARCH_STYLE, at, at + len(needle))
            start = at + len(needle)
    return out


def verdict_text(verdict: str | None, reason: str = "", note: str = "") -> Text:
    if not verdict:
        return Text("not screened", style="dim")
    out = Text(verdict.replace("_", " "), style=VERDICT_STYLES.get(verdict, "bold"))
    if reason:
        out.append(f" ({reason})")
    if note:
        out.append(f"  note: {note}", style="italic")
    return out


def abstract_sections(summary: Any) -> list[tuple[str, str]]:
    """(label, text) pairs of the abstract; an unstructured abstract is one unlabelled section."""
    sections = getattr(summary, "sections", None)
    if sections:
        return [(label or "", body or "") for label, body in sections]
    abstract = getattr(summary, "abstract", "") or ""
    return [("", abstract)] if abstract else []


def record_text(summary: Any, highlighter: Highlighter | None, search: str = "") -> Text:
    """Everything a reviewer reads about one work, as one block of styled text."""
    if summary is None:
        return Text("Nothing to screen here: no works are assigned to you at this stage.", style="italic")
    out = Text()
    out.append_text(marked(summary.title or "(no title)", highlighter, search, style="bold"))
    out.append("\n")
    authors = list(summary.authors or [])
    if authors:
        shown = "; ".join(authors[:12]) + (f"; … (+{len(authors) - 12})" if len(authors) > 12 else "")
        out.append_text(marked(shown, None, search))
        out.append("\n")
    source = " · ".join(str(part) for part in (summary.journal, summary.year) if part)
    if source:
        out.append(source, style="italic")
        out.append("\n")
    ids = []
    if summary.doi:
        ids.append(f"DOI {summary.doi}")
    if summary.pmid:
        ids.append(f"PMID {summary.pmid}")
    if summary.type:
        ids.append(f"Type: {summary.type}")
    if ids:
        out.append("   ".join(ids), style="dim")
        out.append("\n")
    keywords = list(summary.keywords or [])
    if keywords:
        out.append("Keywords: ", style="bold dim")
        out.append_text(marked("; ".join(keywords), highlighter, search))
        out.append("\n")
    sections = abstract_sections(summary)
    out.append("\n")
    if not sections:
        out.append("(no abstract)", style="dim italic")
    for i, (label, body) in enumerate(sections):
        if i:
            out.append("\n\n")
        if label:
            out.append(label.upper() + ": ", style="bold")
        out.append_text(marked(body, highlighter, search))
    return out


class Pane(VerticalScroll, can_focus=True, inherit_bindings=False):
    """A scrolling pane for up/down and the page keys. Left/right are left to the screen
    (previous/next), so the scroll bindings are not inherited."""

    BINDINGS = [
        Binding("up", "scroll_up", "Scroll up", show=False),
        Binding("down", "scroll_down", "Scroll down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown,space", "page_down", "Page down", show=False),
        Binding("home", "scroll_home", "Top", show=False),
        Binding("end", "scroll_end", "Bottom", show=False),
    ]


class RecordView(Pane):
    """The work being screened."""

    def compose(self) -> ComposeResult:
        yield Static(id="record-body")

    def show(self, text: Text) -> None:
        self.query_one("#record-body", Static).update(text)
        if self.scroll_y:
            self.scroll_home(animate=False)


class StatusBar(Horizontal):
    """Stage, reviewer, progress as a bar, screened/assigned and remaining."""

    def compose(self) -> ComposeResult:
        yield Label(id="status-who")
        yield Label(id="status-counts")
        yield Label(id="status-order")
        yield ProgressBar(show_eta=False, show_percentage=False, id="status-progress")

    _shown: tuple = ()

    def update_status(self, *, stage: str, reviewer: str, screened: int, assigned: int, order: str = "",
                      filter: str = "") -> None:
        # Moving between works changes none of this: skip the relayout it would cost.
        if self._shown == (stage, reviewer, screened, assigned, order, filter):
            return
        self._shown = (stage, reviewer, screened, assigned, order, filter)
        self.query_one("#status-order", Label).update(Text.assemble(
            ("Order ", "dim"), (order, "bold"), *((("  Filter ", "dim"), (filter, "bold yellow")) if filter else ())))
        self.query_one("#status-who", Label).update(
            Text.assemble(("Stage ", "dim"), (STAGE_NAMES.get(stage, stage), "bold"),
                          ("  Reviewer ", "dim"), (reviewer, "bold")))
        self.query_one("#status-progress", ProgressBar).update(total=max(assigned, 1), progress=screened)
        self.query_one("#status-counts", Label).update(
            Text.assemble((f"{screened}/{assigned}", "bold"),
                          f" screened ({100 * screened // max(assigned, 1)}%)  ",
                          (f"{assigned - screened}", "bold"), " remaining"))


def work_line(position: int, assigned: int, summary: Any, verdict: Text) -> Text:
    """Where the reviewer is and what they said about this work (their own verdict only)."""
    if summary is None:
        return Text("")
    found = ", ".join(getattr(summary, "databases", []) or [])
    return Text.assemble((f" Work {position} of {assigned} ", "bold reverse"),
                         ("  #", "dim"), str(summary.work_id),
                         (f"  found in {found}" if found else "", "dim"),
                         ("   Your verdict: ", "dim"), verdict)


class ReasonPicker(ModalScreen[None]):
    """Pick an exclusion reason with its number key (0 or Enter: none, unless ``required``);
    Escape backs out.

    The digits are bindings, not a key handler: a reviewer who types "e" then "2" faster
    than the picker appears still has the "2" reach it (queued keys are matched against
    the bindings of the screen on top). The choice goes to ``choose(reason)``, which
    records the verdict at once and closes the picker; ``cancel()`` closes it. Where the
    screening rules require a reason (``required``) "no reason" is not offered at all.
    """

    BINDINGS = [Binding("escape", "cancel", "Back", show=False),
                Binding("enter", "pick(0)", "No reason", show=False)] + [
        Binding(str(n), f"pick({n})", f"Reason {n}", show=False) for n in range(10)]

    def __init__(self, reasons: list[str], choose: Callable[[str], None], cancel: Callable[[], None],
                 title: str = "Exclude: why?", required: bool = False):
        super().__init__()
        self.reasons = reasons
        self.choose = choose
        self.cancel = cancel
        self.title_text = title
        self.required = required
        self.done = False

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Label(self.title_text, id="picker-title")
            for number, reason in enumerate(self.reasons[:9], start=1):
                yield Label(Text.assemble((f" {number} ", "bold reverse"), f"  {reason}"), classes="picker-item")
            if not self.required:
                yield Label(Text.assemble((" 0 ", "bold reverse"), "  no reason (Enter)"), classes="picker-item")
                yield Label("Esc: back without a verdict", classes="picker-hint")
            else:
                yield Label("A reason is required here.  Esc: back without a verdict", classes="picker-hint")

    def action_pick(self, number: int) -> None:
        if self.done:
            return
        if number == 0 and self.required:
            self.notify("a reason is required here: pick one by its number", severity="warning", timeout=3)
            return
        if number == 0:
            reason = ""
        elif number <= min(len(self.reasons), 9):
            reason = self.reasons[number - 1]
        else:
            self.notify(f"there is no reason {number}", severity="warning", timeout=2)
            return
        self.done = True
        self.choose(reason)

    def action_cancel(self) -> None:
        if not self.done:
            self.done = True
            self.cancel()


class TextPrompt(ModalScreen[str | None]):
    """One line of text (a note, a search); Enter keeps it, Escape drops it."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, value: str = "", placeholder: str = ""):
        super().__init__()
        self.title_text = title
        self.value = value
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt"):
            yield Label(self.title_text, id="prompt-title")
            yield Input(value=self.value, placeholder=self.placeholder, id="prompt-input")
            yield Label("Enter: keep   Esc: cancel", classes="picker-hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class HelpScreen(ModalScreen[None]):
    """The keys in force (after the protocol's remapping); any key closes it."""

    def __init__(self, rows: Iterable[tuple[str, str]], title: str = "Keys"):
        super().__init__()
        self.rows = list(rows)
        self.title_text = title

    def compose(self) -> ComposeResult:
        table = Text()
        for key, description in self.rows:
            table.append(f"{key:>12}  ", style="bold")
            table.append(f"{description}\n")
        with Vertical(id="help"):
            yield Label(self.title_text, id="help-title")
            yield Static(table)
            yield Label(Text.assemble("Protocol terms: ", ("include", INCLUDE_STYLE), "  ",
                                      ("exclude", EXCLUDE_STYLE), ".   Any key closes this help."),
                        classes="picker-hint")

    def on_key(self, event) -> None:
        event.stop()
        self.dismiss(None)
