"""The command line: parses arguments and calls the library. No rules live here.

User mistakes (bad protocol, bad export, unknown work) end with one line on
stderr and exit status 2; nothing is half-written because every change is a
store transaction.
"""
from __future__ import annotations

import argparse
import csv
import os
import sys
from contextlib import contextmanager
from itertools import zip_longest
from pathlib import Path
from textwrap import wrap
from typing import Iterator, TextIO

from . import __version__, searches
from .dedup.review import DedupError
from .flow import export as flow_export
from .flow import outputs as flow_outputs
from .flow.counts import FlowError
from .project import RECORD_COLUMNS, Project, record_row
from .protocol import METHODS, ProtocolError, Search, is_search_date
from .screening.vocabulary import STAGE_VERDICTS, STAGES, VERDICTS, ScreeningError
from .sources import FORMATS
from .sources.base import ImportProblem
from .sources.pubmed import EutilsError
from .store import STORE_ENV, StoreError, shown_location

EXIT_USER_ERROR = 2


class UserError(Exception):
    """A mistake in what the user asked for; reported in one line, exit 2."""


# Exceptions that mean "the user's input is wrong", never "searchflow is broken": among them
# flow counts that do not close, an impossible export, a pair verdict or undo that cannot be
# done, a search rename or retirement that cannot be done.
USER_ERRORS: tuple[type[BaseException], ...] = (UserError, ProtocolError, ImportProblem, StoreError,
                                                ScreeningError, EutilsError, FlowError, flow_export.ExportError,
                                                DedupError, searches.SearchesError)


def _say(message: str) -> None:
    print(message, flush=True)


# ------------------------------------------------------------------ foundation commands

def cmd_run(args: argparse.Namespace) -> int:
    """Import every declared search, then every later stage that exists (dedup, outputs)."""
    with Project.open(args.protocol) as project:
        report = project.run(refresh=args.refresh, api_key=args.api_key)
        for change in report.changes:
            for warning in change.warnings:
                print(f"warning: {warning}", file=sys.stderr)
        for line in report.lines():
            _say(line)
        totals = project.store.counts()
        _say(f"{project.protocol.title}: {totals['records']} records in {totals['works']} works")
        _say(report.summary)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    with Project.open(args.protocol) as project:
        search_id = args.id or f"import:{_slug(args.database)}"
        search = Search(id=search_id, database=args.database, method=args.method,
                        platform=args.platform or "", date=args.date or "", query=args.query or "",
                        files=[Path(f) for f in args.files], format=args.format)
        change = project.import_ad_hoc(search)
        for warning in change.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        _say(change.describe())
        if search.id not in searches.protocol_ids(project.protocol):
            _say(f"{search.id} is not counted until the protocol names it: add this to {args.protocol} "
                 f"and run `searchflow run {args.protocol}`\n")
            _say(searches.protocol_block(search, project.protocol.path))
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    shown = ("title", "abstract", "authors", "year", "journal", "doi", "pmid")
    with Project.open(args.protocol) as project:
        runs = project.store.search_runs(current_only=True)
        _say(f"{project.protocol.title} ({project.protocol.type} review) store: {shown_location(project.store)}")
        if not runs:
            _say("no search runs yet: run `searchflow run PROTOCOL`")
            return 0
        header = ["search", "v", "database", "method", "round", "records"] + list(shown)
        rows = []
        for run in runs:
            cov = project.store.field_coverage(run["id"])
            n = cov["records"] or 1
            rows.append([run["search_id"], str(run["version"]), run["database"], run["method"],
                         str(run["round"]), str(cov["records"])]
                        + [f"{100 * cov[f] / n:.0f}%" for f in shown])
        declared = {s.id for s in project.protocol.searches}
        missing = declared - {r["search_id"] for r in runs}
        _print_table(header, rows)
        totals = project.store.counts()
        _say(f"total: {totals['records']} records, {totals['works']} works")
        for search_id in sorted(missing):
            _say(f"not yet run: {search_id}")
        for line in searches.status_lines(project.store, project.protocol):
            _say(line)
    return 0


def cmd_searches(args: argparse.Namespace) -> int:
    """The store's searches against the protocol; rename or retire one (nothing is deleted)."""
    with Project.open(args.protocol) as project:
        if args.rename:
            state = searches.rename(project.store, project.protocol, *args.rename)
            _say(f"renamed {args.rename[0]} to {state.search_id} (its works and decisions kept): {state.describe()}")
            return 0
        if args.retire:
            state = searches.retire(project.store, project.protocol, args.retire, note=args.note or "")
            _say(f"retired (kept for audit): {state.describe()}")
            return 0
        states = searches.list_searches(project.store, project.protocol)
        if not states:
            _say("no search runs yet: run `searchflow run PROTOCOL`")
            return 0
        missing = searches.protocol_ids(project.protocol) - {s.search_id for s in states}
        _print_table(["search", "v", "database", "method", "records", "counted"],
                     [[s.search_id, f"{s.version}" + (f"/{s.versions}" if s.versions > 1 else ""), s.database,
                       s.method, str(s.records), "yes" if s.counted else f"no: {s.why}"] for s in states],
                     widths={"counted": 70})
        for search_id in sorted(missing):
            _say(f"not yet run: {search_id}")
    return 0


def cmd_records(args: argparse.Namespace) -> int:
    with Project.open(args.protocol) as project:
        if args.search:
            run = project.store.latest_run(args.search)   # counted or not: an ad hoc import too
            if run is None:
                raise UserError(f"unknown search {args.search!r}; `searchflow searches {args.protocol}` lists them")
            rows = (record_row(r) for r in project.store.record_rows(current_only=False, run_id=run["id"]))
        else:
            rows = (record_row(r) for r in project.store.record_rows())
        with _output(args.out) as out:
            if args.format == "csv":
                writer = csv.DictWriter(out, fieldnames=RECORD_COLUMNS, lineterminator="\n")
                writer.writeheader()
                writer.writerows(rows)
            else:
                cols = ["search", "work", "year", "authors", "title"]
                table = [[str(r[c]) for c in cols] for r in rows]
                for row in table:
                    row[3] = row[3].split(";")[0] + (" et al." if ";" in row[3] else "")
                _print_table(cols, table, out=out, widths={"title": 70, "authors": 24})
    return 0


@contextmanager
def _output(path: str | None) -> Iterator[TextIO]:
    """The --out file, or standard output when there is none."""
    if not path:
        yield sys.stdout
        return
    if not Path(path).parent.exists():
        Path(path).parent.mkdir(parents=True)               # as for [outputs] and exports
    with open(path, "w", newline="", encoding="utf-8") as fh:
        yield fh


# ------------------------------------------------------------------ screening commands

def cmd_screen(args: argparse.Namespace) -> int:
    """The screening terminal UI; the queue is loaded (and the reviewer checked) before it opens."""
    from .tui.app import ScreeningApp
    with Project.open(args.protocol) as project:
        app = ScreeningApp.open(project.store, project.protocol, args.reviewer, args.stage)
        app.run()
    return 0


def cmd_decisions(args: argparse.Namespace) -> int:
    """Export every decision event as CSV, or merge events from a CSV (all rows or none)."""
    from .screening import exchange
    from .screening.blinding import shown_verdicts
    with Project.open(args.protocol) as project:
        if args.import_file:
            rows, lines = exchange.read_decisions_csv(args.import_file)
            added = exchange.import_decisions(project.store, project.protocol, rows,
                                              source=args.import_file, lines=lines)
            _say(f"{args.import_file}: imported {added} new decision events "
                 f"({len(rows) - added} already present)")
            return 0
        own = shown_verdicts(project.store, project.protocol, STAGES, args.lead, args.reviewer)
        rows = exchange.export_decisions(project.store, own)
        with _output(args.out) as out:
            exchange.write_decisions_csv(rows, out)
    return 0


def cmd_conflicts(args: argparse.Namespace) -> int:
    from .screening.blinding import check_sees_every_verdict
    from .screening.conflicts import conflicts
    from .screening.display import work_summary
    with Project.open(args.protocol) as project:
        stages = [args.stage] if args.stage else list(STAGES)
        check_sees_every_verdict(project.store, project.protocol, stages, args.lead, args.reviewer)
        found = [c for stage in stages for c in conflicts(project.store, project.protocol, stage)]
        width = max([2] + [len(c.decisions) for c in found])
        header = ["stage", "work", "title"]
        for i in range(1, width + 1):
            header += [f"reviewer_{i}", f"verdict_{i}", f"reason_{i}", f"note_{i}"]
        rows = []
        for conflict in found:
            row = [conflict.stage, str(conflict.work_id), work_summary(project.store, conflict.work_id).title]
            for d in conflict.decisions:
                row += [d.reviewer, d.verdict or "", d.reason, d.note]
            rows.append(row + [""] * (len(header) - len(row)))
        with _output(args.out) as out:
            if args.format == "csv":
                writer = csv.writer(out, lineterminator="\n")
                writer.writerow(header)
                writer.writerows(rows)
            elif not rows:
                print("no open conflicts", file=out)
            else:
                shown = ["stage", "work", "title"] + [h for h in header[3:] if not h.startswith("note_")]
                keep = [header.index(h) for h in shown]
                _print_table(shown, [[r[i] for i in keep] for r in rows], out=out, widths={"title": 50})
    return 0


def cmd_agreement(args: argparse.Namespace) -> int:
    import json

    from .screening import agreement
    from .screening.blinding import check_sees_every_verdict
    with Project.open(args.protocol) as project:
        stages = [args.stage] if args.stage else list(STAGES)
        check_sees_every_verdict(project.store, project.protocol, stages, args.lead, args.reviewer)
        pairs = [p for stage in stages for p in agreement.agreement(project.store, project.protocol, stage)]
        if args.json:
            print(json.dumps([p.as_dict() for p in pairs], indent=2))
            return 0
        fmt = lambda v: "" if v is None else f"{v:.3f}"  # noqa: E731
        header = ["stage", "pair", "n", "both fwd", "a fwd b exc", "a exc b fwd", "both exc",
                  "agreement", "kappa", "PABAK"]
        rows = [[p.stage, "all pairs" if p.total else f"{p.reviewer_a} / {p.reviewer_b}", str(p.n),
                 str(p.both_forward), str(p.a_forward_b_exclude), str(p.a_exclude_b_forward),
                 str(p.both_exclude), fmt(p.percent_agreement), fmt(p.kappa), fmt(p.pabak)] for p in pairs]
        _print_table(header, rows)
    return 0


def cmd_resolve(args: argparse.Namespace) -> int:
    from .screening.conflicts import resolve_conflict
    from .screening.exchange import read_resolutions_csv, resolve_conflicts
    if args.from_csv:
        given = [f"--{name}" for name in ("work", "stage", "verdict", "reason") if getattr(args, name) is not None]
        given += ["--override"] if args.override else []
        if given:
            raise UserError(f"{', '.join(given)}: the file's columns give these with --from-csv")
    else:
        missing = [f"--{name}" for name in ("work", "stage", "resolver", "verdict") if getattr(args, name) is None]
        if missing:
            raise UserError(f"resolve needs {', '.join(missing)} (or --from-csv FILE for many)")
    with Project.open(args.protocol) as project:
        if args.from_csv:
            rows, lines = read_resolutions_csv(args.from_csv)
            resolved, left_open, already = resolve_conflicts(project.store, project.protocol, rows, lines,
                                                             args.from_csv, args.resolver or "", args.note or "")
            _say(f"{args.from_csv}: {resolved} conflicts resolved"
                 + (f"; {already} already resolved so, unchanged" if already else "")
                 + (f"; {left_open} rows without a verdict left open" if left_open else ""))
            return 0
        event = resolve_conflict(project.store, project.protocol, args.work, args.stage, args.resolver,
                                 args.verdict, reason=args.reason or "", note=args.note or "",
                                 override=args.override)
        note = project.store.decision_event(event)["note"]
        _say(f"work {args.work}: {args.stage} resolved as {args.verdict} by {args.resolver} (event {event})"
             + (f"; {note}" if note else ""))
    return 0


def cmd_team_init(args: argparse.Namespace) -> int:
    """Roles for the protocol's team on a PostgreSQL store, and the rules the database enforces."""
    from .screening.settings import resolvers
    from .store.team import init_team

    with Project.open(args.protocol) as project:
        screening = project.protocol.screening
        others = [name for name in resolvers(project.protocol)
                  if name not in screening.reviewers and name != screening.lead]
        for line in init_team(project.store, screening.reviewers, screening.lead, others):
            _say(line)
    return 0


def cmd_store_copy(args: argparse.Namespace) -> int:
    """The review, every event with it, into another (empty) store: a file or a server's database."""
    from .store import open_store
    from .store.copy import copy_store

    with Project.open(args.protocol) as project:
        target = open_store(args.to)
        try:
            copied = copy_store(project.store, target)
        finally:
            target.close()
    _say(f"copied to {args.to}: " + ", ".join(f"{rows} {table}" for table, rows in copied.items() if rows))
    return 0


def cmd_unblind(args: argparse.Namespace) -> int:
    from .screening.blinding import unblind
    with Project.open(args.protocol) as project:
        if unblind(project.store, project.protocol, args.stage, args.lead) is None:
            _say(f"{args.stage} is already unblinded: reviewers see each other's verdicts (nothing recorded)")
        else:
            _say(f"{args.stage} unblinded by {args.lead}: reviewers now see each other's verdicts")
    return 0


# ------------------------------------------------------------------ deduplication

def cmd_dedup(args: argparse.Namespace) -> int:
    """In a project: a dedup pass, the review queue, pair verdicts, undo. Else: files to clusters.csv."""
    first = Path(args.inputs[0])
    if len(args.inputs) == 1 and first.suffix.lower() == ".toml":
        return _dedup_project(args)
    for option in ("review", "full", "same", "different", "undo", "history", "work", "reviewer"):
        if getattr(args, option):
            raise UserError(f"--{option} needs a protocol (PROTOCOL.toml), not export files")
    from .dedup.standalone import dedup_files, write_clusters
    table, result = dedup_files(args.inputs, id_column=args.id_column)
    if args.out:
        with _output(args.out) as out:
            write_clusters(table, out)
        counts = table["decision"].value_counts()
        _say(f"{len(table)} records in {table['cluster_id'].nunique()} clusters: "
             f"{counts.get('duplicate', 0)} duplicates, {len(result.possible_pairs)} possible pairs "
             f"({counts.get('possible', 0)} records sent to review); wrote {args.out}")
    else:
        write_clusters(table, sys.stdout)
    return 0


def _dedup_project(args: argparse.Namespace) -> int:
    from .dedup import review
    with Project.open(args.inputs[0]) as project:
        store = project.store
        if args.reviewer is not None:          # checked first: a wrong name changes nothing
            review.check_person(project.protocol, args.reviewer)
        if args.work is not None and not args.history:
            raise UserError("--work goes with --history")
        if args.same or args.different:
            pair, verdict = (args.same, "same") if args.same else (args.different, "different")
            if not args.reviewer:
                raise UserError("--same/--different need --reviewer NAME")
            _say(review.decide_pair(store, project.protocol, tuple(pair), verdict, args.reviewer).describe())
            return 0
        if args.undo is not None:
            if not args.reviewer:
                raise UserError("--undo needs --reviewer NAME")
            event = store.merge_event(args.undo)
            moved = review.undo_merge(store, args.undo, args.reviewer, project.protocol)
            joined = event is not None and event["rule"] == "split"
            one = len(moved) == 1
            which = f"record {moved[0]} is" if one else f"records {', '.join(map(str, moved))} are"
            _say(f"event {args.undo} undone: {which} "
                 + (f"in work {event['from_work']} again" if joined else f"a work of {'its' if one else 'their'} own again")
                 + f" (`searchflow dedup {args.inputs[0]} --history` lists the new events)")
            return 0
        if args.history:
            return _dedup_history(store, args.work)
        if args.review:
            return _dedup_review(project, args.inputs[0])
        summary = review.dedup_project(store, project.protocol, full=args.full)
        _say(summary.describe())
    return 0


def _dedup_history(store, work: int | None) -> int:
    """Every merge and split, newest last, with the event id `--undo` takes."""
    from .dedup import review
    events = review.merge_history(store, work_id=work)
    if events.empty:
        _say("no merges yet" if work is None else f"no merges into or out of work {work}")
        return 0
    _print_table(["event", "time", "who", "rule", "score", "record", "from work", "to work"],
                 [[str(e.id), e.time[:19].replace("T", " "), e.actor, e.rule,
                   "" if e.score != e.score or e.score is None else f"{e.score:.2f}",
                   str(e.record_id), str(e.from_work), str(e.to_work)] for e in events.itertuples()])
    _say("undo one with --undo EVENT --reviewer NAME (undoing a split merges the records back)")
    return 0


REVIEW_FIELDS = ("database", "title", "authors", "journal", "year", "volume", "issue", "pages", "doi", "pmid")


def _dedup_review(project: Project, protocol: str) -> int:
    """Each possible pair side by side, the fields a reviewer compares; '*' marks a difference."""
    from .dedup import review
    pairs = review.possible_pairs(project.store, project.protocol)
    if not pairs:
        _say("no possible duplicates to review")
        return 0
    for pair in pairs:
        a, b = pair.record_a, pair.record_b
        score = "" if pair.score is None else f", score {pair.score:.2f}"
        _say(f"pair {pair.id}{score}")
        rows = []
        for name in REVIEW_FIELDS:
            left, right = (_shown(record.get(name)) for record in (a, b))
            label = ("* " if left.casefold() != right.casefold() else "  ") + name
            # long values wrap onto lines of their own: a reviewer compares titles whole
            for line, (l_part, r_part) in enumerate(zip_longest(wrap(left, 56) or [""], wrap(right, 56) or [""],
                                                                fillvalue="")):
                rows.append([label if line == 0 else "", l_part, r_part])
        _print_table(["", f"record {a['id']} (work {a['work_id']})", f"record {b['id']} (work {b['work_id']})"],
                     rows, widths={f"record {a['id']} (work {a['work_id']})": 60,
                                   f"record {b['id']} (work {b['work_id']})": 60})
        _say("")
    _say(f"{len(pairs)} pairs; decide with: searchflow dedup {protocol} "
         f"--same A B | --different A B --reviewer NAME")
    return 0


def _shown(value) -> str:
    if isinstance(value, (list, tuple)):
        return "; ".join(map(str, value))
    return "" if value is None else str(value)


# ------------------------------------------------------------------ helpers

def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-") or "import"


def _search_date(value: str) -> str:
    if not is_search_date(value):
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {value!r}")
    return value


def _blinding_options(parser: argparse.ArgumentParser) -> None:
    """Who is asking, for output that shows verdicts while a stage is blinded."""
    who = parser.add_mutually_exclusive_group()
    who.add_argument("--lead", metavar="NAME", help="the protocol's lead: every reviewer's verdicts, even while blinded")
    who.add_argument("--reviewer", metavar="NAME", help="a reviewer: only your own verdicts while a stage is blinded")


def _print_table(header: list[str], rows: list[list[str]], out=None, widths: dict[str, int] | None = None) -> None:
    out = out or sys.stdout
    widths = widths or {}
    limit = [widths.get(h, 40) for h in header]
    rows = [[cell if len(cell) <= limit[i] else cell[: limit[i] - 1] + "…" for i, cell in enumerate(row)] for row in rows]
    size = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(header)]
    print("  ".join(h.ljust(size[i]) for i, h in enumerate(header)).rstrip(), file=out)
    for row in rows:
        print("  ".join(c.ljust(size[i]) for i, c in enumerate(row)).rstrip(), file=out)


def cmd_chase(args: argparse.Namespace) -> int:
    """Citation chasing through PubMed: reference lists and/or citing articles of seed works."""
    from .sources import pubmed
    with Project.open(args.protocol) as project:
        if args.work:
            work_ids = args.work
        elif args.stage and args.verdict:
            from .screening import state
            finals = state.final_decisions(project.store, project.protocol, args.stage)
            work_ids = sorted(w for w, final in finals.items() if final.verdict == args.verdict)
            if not work_ids:
                raise UserError(f"no works with the final {args.stage} verdict {args.verdict!r} to chase")
        else:
            raise UserError("choose the seed works: --work ID ... or --stage STAGE --verdict VERDICT")
        settings = pubmed.PubMedSettings.from_protocol(project.protocol, api_key=args.api_key)
        result = pubmed.chase(project.store, work_ids, direction=args.direction, settings=settings)
        for line in result.lines():
            _say(line)
    return 0


# ------------------------------------------------------------------ flow reporting and exports

def _write_or_print(text: str, out: str | None) -> None:
    if out:
        flow_outputs.write_text(Path(out), text)
    else:
        sys.stdout.write(text)


def cmd_flow(args: argparse.Namespace) -> int:
    """A flow report (PRISMA diagram, counts, PRISMA-S search table) to a file or standard output."""
    with Project.open(args.protocol) as project:
        stale = searches.unreconciled(project.store, project.protocol)
        if stale:
            print(f"warning: the store does not count searches as the protocol says ({', '.join(stale)}); "
                  f"`searchflow run {args.protocol}` reconciles them", file=sys.stderr)
        text = flow_outputs.render_format(project.store, project.protocol, args.format, args.out)
        _write_or_print(text, args.out)
        if args.out:
            _say(f"wrote {args.format}: {args.out}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Screened works with their decisions as RIS, CSV or BibTeX for a reference manager."""
    from .screening.blinding import shown_verdicts
    with Project.open(args.protocol) as project:
        own = shown_verdicts(project.store, project.protocol, flow_export.stages_up_to(args.stage), args.lead,
                             args.reviewer)
        text, count = flow_export.export(project.store, project.protocol, args.stage, args.verdict, args.format, own)
        _write_or_print(text, args.out)
        if args.out:
            _say(f"wrote {count} works ({args.stage}, {args.verdict}) as {args.format}: {args.out}")
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    """Replay screening of a labelled CSV with prioritisation; print how early the includes came."""
    import json

    from .screening import prioritise
    try:
        if args.plot:
            prioritise.require_matplotlib()
        data = prioritise.read_labelled_csv(args.data, args.label_column)
        run = prioritise.simulate(data.texts, data.labels, seed=args.seed)
        figures = run.metrics()
        if args.plot:
            prioritise.plot_recall(run, args.plot, title=Path(args.data).name)
    except prioritise.LabelledDataError as exc:
        raise UserError(str(exc)) from None
    if args.json:
        _say(json.dumps({key: round(figures[key], 6) for key in prioritise.METRIC_KEYS}))
        return 0
    n, relevant = len(run.order), int(run.labels_in_order.sum())
    _say(f"{args.data}: {len(data.texts)} records, {relevant + 1} relevant; seed {args.seed}; "
         f"started from 1 include + 1 exclude; {n} records replayed, {run.retrains} retrains, {run.seconds:.1f} s")
    _say(f"WSS@95 {100 * figures['wss95']:.1f}%   RRF@10 {100 * figures['rrf10']:.1f}%")
    _say("recall after screening 10% / 25% / 50%: " + " / ".join(
        f"{100 * figures[k]:.1f}%" for k in ("recall_at_10pct", "recall_at_25pct", "recall_at_50pct")))
    _say(f"screened to reach 95% recall: {100 * figures['screened_to_95']:.1f}%, 100%: {100 * figures['screened_to_100']:.1f}%")
    if args.plot:
        _say(f"wrote recall curve: {args.plot}")
    return 0


class _Parser(argparse.ArgumentParser):
    """A mistake on the command line is one line, as every other user error; --help shows the usage.
    Subcommands' parsers are made of this class too (argparse makes them of the parent's class)."""

    def error(self, message: str):
        self.exit(EXIT_USER_ERROR, f"{self.prog}: error: {message} (`{self.prog} --help` shows the usage)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="searchflow",
        description="Systematic search, deduplication, dual screening and PRISMA flow reporting.",
    )
    parser.add_argument("--version", action="version", version=f"searchflow {__version__}")
    parser.add_argument("--store", metavar="LOCATION",
                        help="the store to use instead of the protocol's: a SQLite file or a postgresql:// URL")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("run", help="import every declared search and regenerate every output")
    _protocol_argument(p)
    p.add_argument("--refresh", action="store_true", help="run connector searches again (search update)")
    p.add_argument("--api-key", help="NCBI API key (or NCBI_API_KEY); never stored")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("import", help="import export files as an ad hoc search run")
    _protocol_argument(p)
    p.add_argument("files", nargs="+", metavar="FILE", help="export files of one search (formats: see README)")
    p.add_argument("--database", required=True, help="the database searched, e.g. CINAHL")
    p.add_argument("--platform", help="the interface, e.g. EBSCOhost")
    p.add_argument("--method", default="database", choices=METHODS, help="how the search was run (default database)")
    p.add_argument("--date", type=_search_date, help="date the search was run (YYYY-MM-DD)")
    p.add_argument("--query", help="the search strategy as run")
    p.add_argument("--id", help="search id (default: import:<database>)")
    p.add_argument("--format", choices=list(FORMATS), help="force an importer instead of detecting the format")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("status", help="per search run: records and field coverage")
    _protocol_argument(p)
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("searches", help="the store's search runs against the protocol; rename or retire one",
                       description="Lists every search in the store and whether the protocol counts it. "
                                   "Nothing is deleted: a search that is not counted keeps its works and decisions.")
    _protocol_argument(p)
    action = p.add_mutually_exclusive_group()
    action.add_argument("--rename", nargs=2, metavar=("OLD", "NEW"),
                        help="search OLD takes the id NEW, keeping its records, works and decisions")
    action.add_argument("--retire", metavar="ID", help="stop counting a search the protocol no longer names")
    p.add_argument("--note", help="why the search is retired (kept with the event)")
    p.set_defaults(func=cmd_searches)

    p = sub.add_parser("records", help="one row per source record")
    _protocol_argument(p)
    p.add_argument("--format", choices=["csv", "table"], default="table",
                   help="csv: every column; table: a short view to read (default)")
    p.add_argument("--search", metavar="ID",
                   help="only this search's newest version, counted or not (an ad hoc import, a retired search)")
    p.add_argument("--out", help="write to this file instead of standard output")
    p.set_defaults(func=cmd_records)

    p = sub.add_parser(
        "dedup", help="deduplicate a project's records, or export files to a clusters CSV",
        description="searchflow dedup PROTOCOL [--review | --history [--work ID] | --same A B | --different A B "
                    "| --undo EVENT]; "
                    "or, without a project: searchflow dedup FILE... --out clusters.csv [--id-column COL]")
    p.add_argument("inputs", nargs="+", metavar="PROTOCOL|FILE",
                   help="the protocol (TOML), or export files to deduplicate without a project")
    p.add_argument("--review", action="store_true", help="list the possible duplicate pairs waiting for review")
    p.add_argument("--full", action="store_true", help="compare every record again, not only new ones")
    p.add_argument("--same", nargs=2, type=int, metavar=("A", "B"), help="records A and B are one work")
    p.add_argument("--different", nargs=2, type=int, metavar=("A", "B"), help="records A and B are different works")
    p.add_argument("--undo", type=int, metavar="EVENT",
                   help="reverse this event of --history: a merge splits again; a split (an undo) merges back")
    p.add_argument("--history", action="store_true", help="list merges and splits: event id, who, rule and score")
    p.add_argument("--work", type=int, metavar="ID", help="with --history: only events into or out of this work")
    p.add_argument("--reviewer", help="who decides (--same, --different, --undo); one of the protocol's names")
    p.add_argument("--out", help="files mode: write the clusters CSV here (default: standard output)")
    p.add_argument("--id-column", help="files mode: the column (or tag) holding each record's id")
    p.set_defaults(func=cmd_dedup)

    p = sub.add_parser("decisions", help="every screening decision event as CSV, or --import a CSV of them")
    _protocol_argument(p)
    p.add_argument("--format", choices=["csv"], default="csv", help="the events as CSV (the only format)")
    p.add_argument("--out", help="write to this file instead of standard output")
    p.add_argument("--import", dest="import_file", metavar="FILE",
                   help="merge the events of a decisions CSV (skips events already present)")
    _blinding_options(p)
    p.set_defaults(func=cmd_decisions)

    p = sub.add_parser("conflicts", help="open screening conflicts, both verdicts side by side")
    _protocol_argument(p)
    p.add_argument("--stage", choices=STAGES, help="one stage only (default: both)")
    p.add_argument("--format", choices=["csv", "table"], default="table",
                   help="csv: with notes, for a spreadsheet (fill in verdicts for resolve --from-csv); table: to read (default)")
    p.add_argument("--out", help="write to this file instead of standard output")
    _blinding_options(p)
    p.set_defaults(func=cmd_conflicts)

    p = sub.add_parser("agreement", help="Cohen's kappa, percent agreement and PABAK per reviewer pair")
    _protocol_argument(p)
    p.add_argument("--stage", choices=STAGES, help="one stage only (default: both)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    _blinding_options(p)
    p.set_defaults(func=cmd_agreement)

    p = sub.add_parser("resolve", help="record the final decision of a screening conflict, or of many from a CSV")
    _protocol_argument(p)
    p.add_argument("--work", type=int, help="the work in conflict (its id in `conflicts`)")
    p.add_argument("--stage", choices=STAGES, help="the stage of the conflict")
    p.add_argument("--resolver", help="who resolves: a resolver, the lead, or a reviewer once unblinded "
                                      "(with --from-csv: for rows without a resolver)")
    p.add_argument("--verdict", choices=VERDICTS, help="the final decision")
    p.add_argument("--reason", help="exclusion reason from the protocol's list")
    p.add_argument("--note", help="why; kept with the event (needed with --override; with --from-csv: for rows "
                                  "without one)")
    p.add_argument("--override", action="store_true",
                   help="replace another resolver's resolution (both events are kept); needs --note")
    p.add_argument("--from-csv", metavar="FILE",
                   help="resolve every row with a verdict (columns work, stage, verdict, reason, resolver, note; "
                        "`conflicts --format csv` with these added); all rows or none")
    p.set_defaults(func=cmd_resolve)

    p = sub.add_parser("team", help="a team on a PostgreSQL store: `team init` creates each person's role and the rules")
    team = p.add_subparsers(dest="team_command", required=True, metavar="ACTION", help="init (the only action)")
    p = team.add_parser("init", help="create the schema, a role for each reviewer, lead and resolver, and the rules")
    _protocol_argument(p)
    p.set_defaults(func=cmd_team_init)

    p = sub.add_parser("store", help="the review's store: `store copy` moves it to another store")
    action = p.add_subparsers(dest="store_command", required=True, metavar="ACTION", help="copy (the only action)")
    p = action.add_parser("copy", help="copy the review with all its events into an empty store")
    _protocol_argument(p)
    p.add_argument("--to", required=True, metavar="LOCATION",
                   help="a new SQLite file or an empty postgresql:// database")
    p.set_defaults(func=cmd_store_copy)

    p = sub.add_parser("unblind", help="the lead lets reviewers see each other's verdicts at a stage")
    _protocol_argument(p)
    p.add_argument("--stage", choices=STAGES, required=True, help="the stage to unblind")
    p.add_argument("--lead", required=True, help="the protocol's lead ([screening] lead)")
    p.set_defaults(func=cmd_unblind)

    p = sub.add_parser("screen", help="screen works in the terminal UI (blinded, one verdict per key)")
    _protocol_argument(p)
    p.add_argument("--reviewer", required=True, help="your name as the protocol's [screening] reviewers spell it")
    p.add_argument("--stage", choices=STAGES, default="title_abstract",
                   help="the stage to screen (default title_abstract)")
    p.set_defaults(func=cmd_screen)

    p = sub.add_parser("chase", help="citation chasing in PubMed: references and citing articles of seed works")
    _protocol_argument(p)
    p.add_argument("--work", type=int, nargs="+", metavar="ID", help="seed works by id")
    p.add_argument("--stage", choices=STAGES, help="seeds: works whose final verdict ...")
    # seeds are works included, excluded or in doubt: not_retrieved (full text only) has nothing to chase
    p.add_argument("--verdict", choices=STAGE_VERDICTS["title_abstract"], help="... at --stage is this")
    p.add_argument("--direction", choices=["refs", "citedby", "both"], default="both",
                   help="refs: reference lists; citedby: citing articles (PubMed Central only); default both")
    p.add_argument("--api-key", help="NCBI API key (or NCBI_API_KEY); never stored")
    p.set_defaults(func=cmd_chase)

    p = sub.add_parser("flow", help="PRISMA 2020 flow diagram and counts, or the PRISMA-S search table")
    _protocol_argument(p)
    p.add_argument("--format", choices=flow_outputs.FORMATS, default="md",
                   help="csv: the PRISMA2020 R package's template; search-table: Markdown, or CSV when --out ends in .csv")
    p.add_argument("--out", help="write to this file instead of standard output")
    p.set_defaults(func=cmd_flow)

    p = sub.add_parser("export", help="screened works with their decisions as RIS, CSV or BibTeX")
    _protocol_argument(p)
    p.add_argument("--stage", choices=STAGES, required=True, help="the stage whose verdicts select works")
    p.add_argument("--verdict", choices=flow_export.VERDICTS, default="include",
                   help="the works' final verdict at --stage (default include; all: every work of the stage)")
    p.add_argument("--format", choices=flow_export.FORMATS, default="ris", help="default ris")
    p.add_argument("--out", help="write to this file instead of standard output")
    _blinding_options(p)
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("simulate", help="replay screening of a labelled CSV with prioritisation (WSS@95, RRF@10)")
    p.add_argument("data", metavar="DATA.csv", help="CSV with title, abstract and a 0/1 label column")
    p.add_argument("--label-column", default="included", help="the 0/1 column (default: included)")
    p.add_argument("--seed", type=int, default=0, help="picks the starting include and exclude (default 0)")
    p.add_argument("--json", action="store_true", help="print one JSON object of fractions in 0..1")
    p.add_argument("--plot", metavar="PNG", help="draw the recall curve against random order (needs matplotlib)")
    p.set_defaults(func=cmd_simulate)

    for choice in sub._choices_actions:      # each command's one line is also its --help description
        command = sub.choices[choice.dest]
        command.description = command.description or choice.help[0].upper() + choice.help[1:] + "."
    return parser


def _protocol_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("protocol", help="the protocol file (TOML); the store lives beside it")


@contextmanager
def _store_named(location: str | None) -> Iterator[None]:
    """--store for the command (and any process it starts), as SEARCHFLOW_STORE does; the
    environment as it was afterwards (main may run many times in one process)."""
    previous = os.environ.get(STORE_ENV)
    if location:
        os.environ[STORE_ENV] = location
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(STORE_ENV, None)
        else:
            os.environ[STORE_ENV] = previous


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with _store_named(args.store):
            return args.func(args) or 0
    except USER_ERRORS as exc:
        print(f"searchflow: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except BrokenPipeError:
        # the reader stopped early (`searchflow records ... | head`): what it read is all it wanted.
        # Standard output now goes nowhere, so Python's flush at exit does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:
        if exc.filename is None:            # not about a file the user named: a fault, shown whole
            raise
        # an --out path in a missing or read-only folder, a full disk: the user's to fix
        print(f"searchflow: error: {exc.filename}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("searchflow: interrupted; every committed step is kept", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
