"""The flow reports as files: what ``searchflow flow`` prints and what ``[outputs]`` names.

Protocol ``[outputs]`` keys (paths are relative to the protocol file):

==================  ==========================================================
``flow_svg``        PRISMA 2020 flow diagram (SVG)
``flow_mermaid``    the same diagram as a Mermaid flowchart
``flow_csv``        counts in the PRISMA2020 R package / Shiny app CSV template
``flow_json``       every count (PRISMA, RAMESES, eMERGe) as JSON with sorted keys
``flow_md``         counts as Markdown tables (with RAMESES / eMERGe for those reviews)
``search_table``    PRISMA-S table of the searches: CSV if the path ends in .csv, else Markdown
==================  ==========================================================

``prisma_svg``, ``prisma_csv``, ... are accepted as other names for the ``flow_`` keys.
Every file is written whole (to a temporary file, then renamed) and holds nothing that
changes between runs, so the same store gives byte-identical files.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ..progress import progress
from ..protocol import Protocol, ProtocolError
from ..store import Store
from . import emerge, rameses, render
from .counts import Flow, compute

FORMATS = ("svg", "mermaid", "csv", "json", "md", "search-table")

OUTPUT_KEYS = {
    "flow_svg": "svg", "flow_mermaid": "mermaid", "flow_csv": "csv", "flow_json": "json",
    "flow_md": "md", "search_table": "search-table",
}
ALIASES = {"prisma_" + key[len("flow_"):]: key for key in OUTPUT_KEYS if key.startswith("flow_")}


def flow_data(store: Store, protocol: Protocol, flow: Flow | None = None) -> dict:
    """Every count as plain data: what JSON writes and tests compare."""
    flow = flow or compute(store, protocol)
    return {
        "review": {"title": protocol.title, "type": protocol.type},
        "prisma": flow.prisma.as_dict(),
        "rameses": rameses.document_flow(flow, store),
        "emerge": emerge.phase2(flow, protocol),
    }


def render_format(store: Store, protocol: Protocol, fmt: str, path: str | Path | None = None,
                  flow: Flow | None = None) -> str:
    """One report as text. ``path`` only picks CSV vs Markdown for the search table;
    ``flow`` saves counting again when several files are written."""
    if fmt not in FORMATS:
        raise ProtocolError(f"unknown flow format {fmt!r}; expected {' | '.join(FORMATS)}")
    if fmt == "search-table":
        runs = store.search_runs(current_only=True)
        rows = render.search_rows(runs, {run["id"]: store.run_files(run["id"]) for run in runs})
        if path is not None and str(path).lower().endswith(".csv"):
            return render.search_table_csv(rows)
        return render.search_table_md(rows)
    flow = flow or compute(store, protocol)
    if fmt == "svg":
        return render.svg(flow)
    if fmt == "mermaid":
        return render.mermaid(flow)
    if fmt == "csv":
        return render.prisma_csv(flow)
    if fmt == "json":
        return render.to_json(flow_data(store, protocol, flow))
    review_type = protocol.type
    return render.markdown(
        flow, protocol.title, review_type,
        rameses=rameses.document_flow(flow, store) if review_type == "realist" else None,
        emerge=emerge.phase2(flow, protocol) if review_type == "meta-ethnography" else None,
    )


def output_formats(protocol: Protocol) -> list[tuple[str, str, Path]]:
    """(key, format, path) for every ``[outputs]`` entry; an unknown key is a protocol error."""
    known = sorted(OUTPUT_KEYS) + sorted(ALIASES)
    planned = []
    for key, value in protocol.outputs.items():
        canonical = ALIASES.get(key, key)
        if canonical not in OUTPUT_KEYS:
            raise ProtocolError(f"{protocol.path}: outputs.{key}: unknown output; expected one of {', '.join(known)}")
        planned.append((key, OUTPUT_KEYS[canonical], Path(os.path.normpath(protocol.resolve(value)))))
    return planned


def write_text(path: Path, text: str) -> None:
    """Write the whole file or nothing (a reader never sees half a diagram); LF line ends."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)       # mkstemp makes 0600; give the file the usual mode
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_outputs(store: Store, protocol: Protocol) -> list[str]:
    """Regenerate every file ``[outputs]`` names; returns one message per file written."""
    planned = output_formats(protocol)       # every key checked before anything is written
    with progress("flow outputs") as update:  # counting first, then one step per file
        update(0, len(planned) + 1)
        flow = compute(store, protocol) if any(fmt != "search-table" for _, fmt, _ in planned) else None
        texts = []
        for step, (key, fmt, path) in enumerate(planned, start=1):
            update(step, len(planned) + 1)
            texts.append((key, path, render_format(store, protocol, fmt, path, flow)))
    messages = []
    for key, path, text in texts:
        write_text(path, text)
        messages.append(f"wrote {key}: {path}")
    return messages
