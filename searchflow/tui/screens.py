"""The screens: screening, conflicts, duplicate review and the dashboard.

Each screen reads through the session or the screening/dedup functions and sends
every verdict through them; a verdict is committed before the screen moves on.
A refused verdict (a :class:`ScreeningError`) is shown as a message and the
reviewer stays where they were.
"""
from __future__ import annotations

import difflib
from typing import Any, Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Label, Static

from ..dedup.review import DedupError
from ..screening import filters
from ..screening.blinding import can_see_others
from ..screening.conflicts import conflicts, resolve_conflict
from ..screening.display import STAGE_NAMES, work_summary
from ..screening.reports import link_report
from ..screening.state import final_decisions
from ..screening.vocabulary import STAGE_VERDICTS, STATUSES, VERDICTS, ScreeningError
from .widgets import Pane, ReasonPicker, RecordView, StatusBar, TextPrompt, record_text, verdict_text, work_line


class TitleBar(Static):
    """Top line: the review, the screen, and the keys of the other screens."""

    def set(self, review: str, screen: str, others: list[tuple[str, str]]) -> None:
        # The review's title comes last so a narrow terminal cuts it, not the keys.
        text = Text.assemble((f" {screen} ", "bold reverse"), "  ")
        for key, name in others:
            text.append(f" {key} ", style="reverse")
            text.append(f" {name}  ", style="dim")
        text.append("  ")
        text.append(review, style="bold")
        self.update(text)


class BaseScreen(Screen):
    """What every screen shares: the title bar, the footer, the session."""

    SCREEN_NAME = ""
    # First, so that they keep their place at the left of the footer on a narrow terminal.
    BINDINGS = [
        Binding("question_mark", "app.help", "Help", id="help"),
        Binding("q", "app.quit", "Quit", id="quit"),
    ]

    @property
    def session(self):
        return self.app.session

    def compose_top(self) -> ComposeResult:
        yield TitleBar(id="title-bar")

    def on_mount(self) -> None:
        self.query_one(TitleBar).set(self.session.protocol.title, self.SCREEN_NAME, self.app.other_screens(self))

    def refuse(self, error: Exception) -> None:
        self.notify(str(error), severity="error", timeout=6)

    def ask_reason(self, decide: Callable[[str], None]) -> None:
        """Show the reason picker; ``decide(reason)`` runs as soon as a number is typed.
        "No reason" is offered only where the screening rules allow an exclusion without one;
        a protocol that lists no reasons takes a free-text one instead."""
        reasons, required = self.session.reasons(), self.session.reason_required("exclude")
        if required and not reasons:
            def typed(reason: str | None) -> None:
                if reason and reason.strip():
                    decide(reason.strip())

            self.app.push_screen(TextPrompt("Exclude: why? (a reason is required)", "", "free text"), typed)
            return

        def close() -> None:
            if isinstance(self.app.screen, ReasonPicker):
                self.app.pop_screen()

        def choose(reason: str) -> None:
            close()
            decide(reason)

        self.app.push_screen(ReasonPicker(reasons, choose, close, required=required))


# ------------------------------------------------------------------ screening

class ScreeningScreen(BaseScreen):
    """One work at a time: read, decide, move on."""

    SCREEN_NAME = "screening"
    BINDINGS = [
        Binding("i", "decide('include')", "Include", id="include"),
        Binding("e", "exclude", "Exclude", id="exclude"),
        Binding("m", "decide('maybe')", "Maybe", id="maybe"),
        Binding("r", "decide('not_retrieved')", "Not retrieved", id="not_retrieved"),
        Binding("n", "note", "Note", id="note"),
        Binding("u", "undo", "Undo", id="undo"),
        Binding("left", "move(-1)", "Prev", id="previous"),
        Binding("right", "move(1)", "Next", id="next"),
        Binding("slash", "search", "Search", id="search"),
        Binding("l", "link", "Link study", id="link"),
        # Off the footer (no room at 80 columns); the header shows the order, the help the key.
        Binding("o", "cycle_order", "Order: prioritised / as imported / random", id="order", show=False),
        Binding("f", "filter", "Filter: undecided, maybe, hit:include, search:ID, words", id="filter", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.search_text = ""

    def compose(self) -> ComposeResult:
        yield from self.compose_top()
        yield StatusBar(id="status")
        yield Label(id="work-line")
        yield RecordView(id="record")
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        self.show_current()
        self.query_one(RecordView).focus()

    def on_screen_resume(self) -> None:
        if self.is_mounted:
            if self.app.duplicates.decided:     # works merged or split: the queue changed
                self.app.duplicates.decided = 0
                self.session.reload()
            self.show_current()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "link":
            return self.session.stage == "full_text"
        if action == "decide":          # only the verdicts this stage takes (not retrieved: full text)
            return parameters[0] in STAGE_VERDICTS[self.session.stage]
        return True

    # ------------------------------------------------------------ showing

    def show_current(self) -> None:
        session = self.session
        mine = session.verdict()
        pending = Text(f"  (note waiting: {session.pending_note})", style="italic") if session.pending_note else Text()
        try:
            summary = session.summary()
        except ScreeningError:       # merged away by duplicate review meanwhile
            session.reload()
            summary = session.summary()
        self.query_one(StatusBar).update_status(stage=session.stage, reviewer=session.reviewer,
                                                screened=session.screened, assigned=session.assigned,
                                                order=session.order_label(), filter=session.filter.describe())
        verdict = verdict_text(*(mine.verdict, mine.reason, mine.note) if mine else (None,)) + pending
        self.query_one("#work-line", Label).update(
            work_line(session.position + 1, session.listed, summary, verdict))
        if summary is None and session.filter:
            self.query_one(RecordView).show(Text(f"No work of yours matches the filter {session.filter.describe()}: "
                                                 "press f to change it (empty: every work).", style="italic"))
            return
        self.query_one(RecordView).show(record_text(summary, self.app.highlighter, self.search_text))

    # ------------------------------------------------------------ deciding

    def action_decide(self, verdict: str, reason: str = "", work_id: int | None = None) -> None:
        if self.session.work_id is None:
            return
        try:
            more = self.session.decide(verdict, reason, work_id=work_id)
        except ScreeningError as error:
            self.refuse(error)
            if verdict == "exclude" and not reason:
                self.action_exclude()          # the stage wants a reason: pick again
            return
        if not more and self.session.filter:
            self.notify(f"Every work in the filter {self.session.filter.describe()} is screened. "
                        "Press f to change the filter (empty: every work).", title="Filter done", timeout=8)
        elif not more:
            self.notify(f"All {self.session.assigned} assigned works screened at this stage. "
                        "Press u to undo, ←/→ to review, q to quit.", title="Done", timeout=8)
        self.show_current()

    def action_exclude(self) -> None:
        work_id = self.session.work_id
        if work_id is None:
            return
        # The work is fixed now, so the verdict lands on the work that was shown when "e"
        # was pressed, even if keys typed ahead move the screen on first.
        self.ask_reason(lambda reason: self.action_decide("exclude", reason, work_id=work_id))

    def action_note(self) -> None:
        mine = self.session.verdict()
        current = mine.note if mine else self.session.pending_note

        def noted(note: str | None) -> None:
            if note is None:
                return
            try:
                committed = self.session.add_note(note)
            except ScreeningError as error:
                self.refuse(error)
                return
            self.notify("note saved" if committed else "note kept: it is saved with your verdict", timeout=3)
            self.show_current()

        self.app.push_screen(TextPrompt("Note on this work", current, "free text"), noted)

    def action_undo(self) -> None:
        try:
            work_id = self.session.undo()
        except ScreeningError as error:
            self.refuse(error)
            return
        if work_id is None:
            self.notify("nothing to undo", timeout=3)
        else:
            self.notify(f"undone: your verdict on work {work_id}", timeout=3)
        self.show_current()

    def action_move(self, step: int) -> None:
        if self.session.move(step):
            self.show_current()

    def action_cycle_order(self) -> None:
        order = self.session.cycle_order()
        self.notify(f"order: {order}", timeout=2)
        self.show_current()

    def action_search(self) -> None:
        def searched(text: str | None) -> None:
            if text is None:
                return
            text = text.strip()
            self.search_text = "" if text.isdigit() else text
            if not text:
                self.show_current()
                return
            if text.isdigit():
                if not self.session.go_to_work(int(text)):
                    self.notify(f"work {text} is not in your queue at this stage", severity="warning")
            else:
                found = self.session.find(text)
                if found is None:
                    self.notify(f"no work in your queue mentions {text!r}", severity="warning")
                else:
                    self.session.go_to(found)
            self.show_current()

        self.app.push_screen(TextPrompt("Search: a work number, or words in title/authors/abstract",
                                        self.search_text), searched)

    def action_filter(self) -> None:
        def filtered(text: str | None) -> None:
            if text is None:
                return
            try:
                chosen = self.session.set_filter(text)
            except ScreeningError as error:
                self.refuse(error)
                return
            listed = f"{self.session.listed} work{'s' * (self.session.listed != 1)}"
            self.notify(f"filter {chosen.describe()}: {listed}" if chosen else f"no filter: {listed}", timeout=3)
            self.show_current()

        self.app.push_screen(TextPrompt(f"Filter: {filters.SYNTAX}; empty: every work",
                                        self.session.filter.describe()), filtered)

    def action_link(self) -> None:
        work_id = self.session.work_id
        if work_id is None:
            return

        def linked(text: str | None) -> None:
            if not text or not text.strip().isdigit():
                return
            try:
                link_report(self.session.store, self.session.protocol, work_id,
                            int(text.strip()), self.session.reviewer)
            except ScreeningError as error:
                self.refuse(error)
                return
            self.notify(f"work {work_id} linked as a report of study {text.strip()}", timeout=4)

        self.app.push_screen(TextPrompt("This report belongs to the study (work number)"), linked)


# ------------------------------------------------------------------ conflicts

class ConflictScreen(BaseScreen):
    """For a resolver: both reviewers' verdicts side by side, then the final decision."""

    SCREEN_NAME = "conflicts"
    BINDINGS = [
        Binding("i", "resolve('include')", "Include", id="include"),
        Binding("e", "exclude", "Exclude", id="exclude"),
        Binding("m", "resolve('maybe')", "Maybe", id="maybe"),
        Binding("r", "resolve('not_retrieved')", "Not retrieved", id="not_retrieved"),
        Binding("left", "move(-1)", "Prev", id="previous"),
        Binding("right", "move(1)", "Next", id="next"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.conflicts: list[Any] = []
        self.index = 0

    def compose(self) -> ComposeResult:
        yield from self.compose_top()
        yield Label(id="conflict-status")
        with Horizontal(id="sides"):
            yield Static(id="side-a", classes="side")
            yield Static(id="side-b", classes="side")
        yield RecordView(id="record")
        yield Footer()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "resolve":
            return parameters[0] in STAGE_VERDICTS[self.session.stage]
        return True

    def on_screen_resume(self) -> None:
        self.reload()

    def reload(self) -> None:
        session = self.session
        self.conflicts = list(conflicts(session.store, session.protocol, session.stage, viewer=session.reviewer))
        self.index = min(self.index, max(len(self.conflicts) - 1, 0))
        self.show_current()

    @property
    def current(self) -> Any | None:
        return self.conflicts[self.index] if self.conflicts else None

    def show_current(self) -> None:
        conflict = self.current
        status = self.query_one("#conflict-status", Label)
        stage = STAGE_NAMES.get(self.session.stage, self.session.stage)
        if conflict is None:
            status.update(Text.assemble((f" No open conflicts at {stage}. ", "bold"),
                                        "q: quit, or a screen key from the top line"))
            self.query_one("#sides").display = False
            self.query_one(RecordView).display = False
            return
        self.query_one("#sides").display = True
        self.query_one(RecordView).display = True
        status.update(Text.assemble(
            (f" Conflict {self.index + 1} of {len(self.conflicts)} ", "bold reverse"),
            f"  stage {stage}  ·  work {conflict.work_id}  ·  resolver {self.session.reviewer}"))
        sides = [self.query_one("#side-a", Static), self.query_one("#side-b", Static)]
        for side, decision in zip(sides, list(conflict.decisions)[:2]):
            side.update(Text.assemble((decision.reviewer, "bold"), "\n",
                                      verdict_text(decision.verdict, decision.reason),
                                      ("\n" + decision.note) if decision.note else ""))
        summary = work_summary(self.session.store, conflict.work_id)
        self.query_one(RecordView).show(record_text(summary, self.app.highlighter))

    def action_move(self, step: int) -> None:
        if 0 <= self.index + step < len(self.conflicts):
            self.index += step
            self.show_current()

    def action_resolve(self, verdict: str, reason: str = "", work_id: int | None = None) -> None:
        if self.current is None:
            return
        work_id = self.current.work_id if work_id is None else work_id
        session = self.session
        try:
            resolve_conflict(session.store, session.protocol, work_id, session.stage,
                             session.reviewer, verdict, reason=reason)
        except ScreeningError as error:
            self.refuse(error)
            return
        self.notify(f"work {work_id}: resolved as {verdict}", timeout=3)
        self.reload()

    def action_exclude(self) -> None:
        if self.current is None:
            return
        work_id = self.current.work_id
        self.ask_reason(lambda reason: self.action_resolve("exclude", reason, work_id=work_id))


# ------------------------------------------------------------------ duplicate review

class DuplicateScreen(BaseScreen):
    """Possible duplicate pairs side by side, differing fields highlighted: s same, d different,
    u takes back the latest verdict given here."""

    SCREEN_NAME = "duplicate review"
    BINDINGS = [
        Binding("s", "pair('same')", "Same", id="same"),
        Binding("d", "pair('different')", "Different", id="different"),
        Binding("u", "undo_pair", "Undo", id="undo"),
        Binding("left", "move(-1)", "Prev", id="previous"),
        Binding("right", "move(1)", "Next", id="next"),
    ]
    FIELDS = ("title", "authors", "year", "journal", "volume", "issue", "pages", "doi", "pmid", "type",
              "database", "search", "abstract")

    def __init__(self) -> None:
        super().__init__()
        self.pairs: list[Any] = []
        self.index = 0

    def compose(self) -> ComposeResult:
        yield from self.compose_top()
        yield Label(id="pair-status")
        with Pane(id="pair-scroll"):
            with Horizontal(id="pair"):
                yield Static(id="pair-a", classes="side")
                yield Static(id="pair-b", classes="side")
        yield Footer()

    def on_screen_resume(self) -> None:
        self.reload()

    def reload(self) -> None:
        self.pairs = list(self.app.duplicates.pairs())
        self.index = min(self.index, max(len(self.pairs) - 1, 0))
        self.show_current()

    def show_current(self) -> None:
        status = self.query_one("#pair-status", Label)
        sides = (self.query_one("#pair-a", Static), self.query_one("#pair-b", Static))
        if not self.pairs:
            status.update(Text.assemble((" No possible duplicates to review. ", "bold"),
                                        "q: quit, or a screen key from the top line"))
            for side in sides:
                side.update("")
            return
        pair = self.pairs[self.index]
        a, b = self.app.duplicates.records(pair)
        score = getattr(pair, "score", None)
        status.update(Text.assemble(
            (f" Pair {self.index + 1} of {len(self.pairs)} ", "bold reverse"),
            f"  score {score:.2f}" if isinstance(score, (int, float)) else "",
            "  ·  differences are highlighted"))
        for side, mine, other in ((sides[0], a, b), (sides[1], b, a)):
            side.update(pair_text(mine, other, self.FIELDS))

    def action_move(self, step: int) -> None:
        if 0 <= self.index + step < len(self.pairs):
            self.index += step
            self.show_current()

    def action_pair(self, verdict: str) -> None:
        if not self.pairs:
            return
        pair = self.pairs[self.index]
        try:
            self.app.duplicates.decide(pair, verdict, self.session.reviewer)
        except DedupError as error:
            self.refuse(error)
            return
        self.notify(f"pair marked {verdict}", timeout=3)
        self.reload()

    def action_undo_pair(self) -> None:
        try:
            undone = self.app.duplicates.undo()
        except DedupError as error:
            self.refuse(error)
            return
        if undone is None:
            self.notify("no pair verdict to undo on this screen", timeout=3)
            return
        self.notify(f"'{undone.verdict}' on records {undone.records[0]} and {undone.records[1]} undone", timeout=3)
        self.reload()
        self.index = next((i for i, pair in enumerate(self.pairs)
                           if {pair.record_a["id"], pair.record_b["id"]} == set(undone.records)), self.index)
        self.show_current()


def _field(record: Any, name: str) -> str:
    value = record.get(name, "") if isinstance(record, dict) else getattr(record, name, "")
    if isinstance(value, (list, tuple)):
        return "; ".join(str(v) for v in value)
    return "" if value is None else str(value)


DIFFERENT = "black on yellow"


def _differences(mine: str, theirs: str) -> Text:
    """``mine`` with the words that are not in ``theirs`` highlighted (difflib: word-level diff)."""
    words, other = mine.split(" "), theirs.split(" ")
    matcher = difflib.SequenceMatcher(a=[w.casefold() for w in words], b=[w.casefold() for w in other],
                                      autojunk=False)
    out = Text()
    for tag, i1, i2, _, _ in matcher.get_opcodes():
        chunk = " ".join(words[i1:i2])
        if not chunk:
            continue
        if out:
            out.append(" ")
        out.append(chunk, style="" if tag == "equal" else DIFFERENT)
    return out


def pair_text(record: Any, other: Any, fields: tuple[str, ...]) -> Text:
    """One side of a pair: what differs from the other side is highlighted, word by word."""
    out = Text.assemble((f"record {_field(record, 'id')}", "bold"), ("  in work ", "dim"),
                        _field(record, "work_id"), "\n")
    for name in fields:
        mine, theirs = _field(record, name), _field(other, name)
        out.append(f"{name}: ", style="bold dim")
        if not mine:
            out.append("—", style="dim")
        elif mine.strip().casefold() == theirs.strip().casefold():
            out.append(mine)
        else:
            out.append_text(_differences(mine, theirs))
        out.append("\n")
    return out


# ------------------------------------------------------------------ dashboard

class DashboardScreen(BaseScreen):
    """Counts so far; agreement once the reviewer may see others' verdicts."""

    SCREEN_NAME = "dashboard"

    def compose(self) -> ComposeResult:
        yield from self.compose_top()
        with VerticalScroll(id="dashboard"):
            yield Static(id="mine")
            yield Static(id="stopping")
            yield Static(id="team")
            yield DataTable(id="agreement", show_cursor=False, zebra_stripes=True)
        yield Footer()

    def on_screen_resume(self) -> None:
        self.reload()

    def reload(self) -> None:
        session = self.session
        counts: dict[str, int] = {}
        for mine in session.verdicts.values():
            counts[mine.verdict] = counts.get(mine.verdict, 0) + 1
        stage = STAGE_NAMES.get(session.stage, session.stage)
        text = Text.assemble(("Your screening", "bold underline"), f" ({stage})\n",
                             f"{session.screened} of {session.assigned} assigned works screened, "
                             f"{session.remaining} remaining\n")
        for verdict in VERDICTS:
            if counts.get(verdict) or verdict != "not_retrieved":
                text.append(f"{counts.get(verdict, 0):>7}  ")
                text.append_text(verdict_text(verdict))
                text.append("\n")
        mine = self.query_one("#mine", Static)
        mine.update(text)
        mine.display = session.screens
        stopping = self.query_one("#stopping", Static)
        stopping.update(stopping_text(session.stopping_figures(), session.stopping_hint_after, session.order))
        stopping.display = session.screens
        team = self.query_one("#team", Static)
        table = self.query_one("#agreement", DataTable)
        table.clear(columns=True)
        if not can_see_others(session.store, session.protocol, session.stage, session.reviewer):
            team.update(Text("\nThe stage is blinded: other reviewers' verdicts and agreement are shown "
                             "once the lead unblinds it.", style="italic"))
            table.display = False
            return
        finals = final_decisions(session.store, session.protocol, session.stage)
        status: dict[str, int] = {}
        for final in finals.values():
            status[final.status] = status.get(final.status, 0) + 1
        team_text = Text.assemble("\n", ("Whole team", "bold underline"), f" ({stage}): final decisions\n")
        for name in STATUSES:
            team_text.append(f"{status.get(name, 0):>7}  {name}\n")
        team_text.append("\nAgreement (include and maybe count as forward)", style="bold underline")
        team.update(team_text)
        table.display = True
        table.add_columns("reviewers", "n", "both fwd", "A fwd B excl", "A excl B fwd",
                          "both excl", "agreement", "kappa", "PABAK")
        from ..screening.agreement import agreement
        for pair in agreement(session.store, session.protocol, session.stage):
            table.add_row(*agreement_row(pair))
        table.styles.height = table.row_count + 1     # header + rows; auto height stays 0 here


def stopping_text(figures: Any, hint_after: int, order: str) -> Text:
    """The figures for a stopping decision, and a plain pointer to the protocol's rule once the
    run of irrelevant records is long; the reviewers decide, the tool never stops on its own."""
    text = Text.assemble("\n", ("Stopping figures", "bold underline"), f" (your verdicts, order {order})\n",
                         f"{figures.irrelevant_in_a_row:>7}  irrelevant in a row since your last include\n",
                         f"{100 * figures.share_screened:>6.0f}%  of your assigned works screened\n",
                         f"{figures.estimated_remaining:>7}  relevant records estimated to remain "
                         "(include rate of your latest verdicts)\n")
    if figures.includes and figures.irrelevant_in_a_row >= hint_after:
        text.append(f"{figures.irrelevant_in_a_row} irrelevant in a row: consider your stopping rule",
                    style="bold yellow")
        text.append("\n")
    return text


def agreement_row(pair: Any) -> list[str]:
    def num(value: Any) -> str:
        return "—" if value is None else (f"{value:.2f}" if isinstance(value, float) else str(value))
    names = "all pairs" if pair.total else f"{pair.reviewer_a} / {pair.reviewer_b}"
    return [names, num(pair.n), num(pair.both_forward), num(pair.a_forward_b_exclude),
            num(pair.a_exclude_b_forward), num(pair.both_exclude),
            "—" if pair.percent_agreement is None else f"{100 * pair.percent_agreement:.0f}%",
            num(pair.kappa), num(pair.pabak)]
