"""The command line: parses arguments and calls the library. No rules live here.

User mistakes (bad protocol, bad export, unknown work) end with one line on
stderr and exit status 2; nothing is half-written because every change is a
store transaction.
"""
from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from . import __version__
from .project import RECORD_COLUMNS, Project, record_row
from .protocol import METHODS, ProtocolError, Search
from .sources.base import ImportProblem
from .store import StoreError

EXIT_USER_ERROR = 2


class UserError(Exception):
    """A mistake in what the user asked for; reported in one line, exit 2."""


# Exceptions that mean "the user's input is wrong", never "searchflow is broken".
USER_ERRORS: tuple[type[BaseException], ...] = (UserError, ProtocolError, ImportProblem, StoreError)


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
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    with Project.open(args.protocol) as project:
        search_id = args.id or f"import:{_slug(args.database)}"
        search = Search(id=search_id, database=args.database, method=args.method,
                        platform=args.platform or "", date=args.date or "", query=args.query or "",
                        files=[Path(f) for f in args.files], format=args.format)
        change = project.import_search(search)
        for warning in change.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        _say(change.describe())
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    shown = ("title", "abstract", "authors", "year", "journal", "doi", "pmid")
    with Project.open(args.protocol) as project:
        runs = project.store.search_runs(current_only=True)
        _say(f"{project.protocol.title} ({project.protocol.type} review) store: {project.protocol.store_path}")
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
    return 0


def cmd_records(args: argparse.Namespace) -> int:
    with Project.open(args.protocol) as project:
        rows = (record_row(r) for r in project.store.record_rows())
        out = open(args.out, "w", newline="", encoding="utf-8") if args.out else sys.stdout
        try:
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
        finally:
            if args.out:
                out.close()
    return 0


# ------------------------------------------------------------------ helpers

def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-") or "import"


def _print_table(header: list[str], rows: list[list[str]], out=None, widths: dict[str, int] | None = None) -> None:
    out = out or sys.stdout
    widths = widths or {}
    limit = [widths.get(h, 40) for h in header]
    rows = [[cell if len(cell) <= limit[i] else cell[: limit[i] - 1] + "…" for i, cell in enumerate(row)] for row in rows]
    size = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(header)]
    print("  ".join(h.ljust(size[i]) for i, h in enumerate(header)).rstrip(), file=out)
    for row in rows:
        print("  ".join(c.ljust(size[i]) for i, c in enumerate(row)).rstrip(), file=out)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="searchflow",
        description="Systematic search, deduplication, dual screening and PRISMA flow reporting.",
    )
    parser.add_argument("--version", action="version", version=f"searchflow {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("run", help="import every declared search and regenerate every output")
    p.add_argument("protocol", help="the protocol file (TOML)")
    p.add_argument("--refresh", action="store_true", help="run connector searches again (search update)")
    p.add_argument("--api-key", help="NCBI API key (or NCBI_API_KEY); never stored")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("import", help="import export files as an ad hoc search run")
    p.add_argument("protocol")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--database", required=True, help="the database searched, e.g. CINAHL")
    p.add_argument("--platform", help="the interface, e.g. EBSCOhost")
    p.add_argument("--method", default="database", choices=METHODS)
    p.add_argument("--date", help="date the search was run (YYYY-MM-DD)")
    p.add_argument("--query", help="the search strategy as run")
    p.add_argument("--id", help="search id (default: import:<database>)")
    p.add_argument("--format", choices=["ris", "medline", "wos", "ovid_tagged", "endnote_xml", "csv"],
                   help="force an importer instead of detecting the format")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("status", help="per search run: records and field coverage")
    p.add_argument("protocol")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("records", help="one row per source record")
    p.add_argument("protocol")
    p.add_argument("--format", choices=["csv", "table"], default="table")
    p.add_argument("--out", help="write to this file instead of standard output")
    p.set_defaults(func=cmd_records)

    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args) or 0
    except USER_ERRORS as exc:
        print(f"searchflow: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("searchflow: interrupted; every committed step is kept", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
