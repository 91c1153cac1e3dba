"""The flow diagram and its tables as files: SVG, Mermaid, CSV, JSON, Markdown, PRISMA-S.

Every renderer is a pure function of the counts, so the same store gives the same
bytes: no timestamps, sorted keys, stable order. The SVG is laid out by hand (boxes
with wrapped text and arrows, following the PRISMA 2020 template) because a layout
engine such as Graphviz would be a system dependency and would not reproduce the
template's columns.
"""
from __future__ import annotations

import csv
import io
import json
import textwrap
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from .counts import METHOD_LABELS, Flow, Prisma

# ------------------------------------------------------------------ shared wording


def n(value: int) -> str:
    """A count as the diagram prints it: "n = 1,234" (no-break spaces: never wrapped apart)."""
    return f"n\u00a0=\u00a0{value:,}"


def _reason_lines(reasons: dict[str, int]) -> list[tuple[str, int]]:
    return [(f"{reason} ({n(count)})", 1) for reason, count in reasons.items()]


def boxes(p: Prisma) -> dict[str, list[tuple[str, int]]]:
    """Each box's lines as (text, indent level); the SVG, Mermaid and Markdown share them."""
    new = "New studies included in review" if p.updated else "Studies included in review"
    new_reports = "Reports of new included studies" if p.updated else "Reports of included studies"
    identified = [("Records identified from:", 0)]
    identified.append((f"Databases ({n(sum(p.databases.values()))})", 1))
    identified += [(f"{name} ({n(count)})", 2) for name, count in p.databases.items()]
    if p.registers:
        identified.append((f"Registers ({n(sum(p.registers.values()))})", 1))
        identified += [(f"{name} ({n(count)})", 2) for name, count in p.registers.items()]
    out = {
        "identified": identified,
        "removed": [("Records removed before screening:", 0),
                    (f"Duplicate records removed ({n(p.duplicates)})", 1),
                    (f"Records marked as ineligible by automation tools ({n(p.automation)})", 1)]
                   + ([(f"after: {p.automation_rule}", 2)] if p.automation_rule else [])
                   + [(f"Records removed for other reasons ({n(p.removed_other)})", 1)],
        "screened": [(f"Records screened ({n(p.screened)})", 0)],
        "excluded": [(f"Records excluded ({n(p.excluded)})", 0)] + _reason_lines(p.excluded_reasons),
        "sought": [(f"Reports sought for retrieval ({n(p.dbr.sought)})", 0)],
        "not_retrieved": [(f"Reports not retrieved ({n(p.dbr.not_retrieved)})", 0)],
        "assessed": [(f"Reports assessed for eligibility ({n(p.dbr.assessed)})", 0)],
        "excluded_full_text": [("Reports excluded:", 0)] + _reason_lines(p.dbr.excluded),
        "included": [(f"{new} ({n(p.new_studies)})", 0), (f"{new_reports} ({n(p.new_reports)})", 0)],
    }
    if p.awaiting_screening:
        out["excluded"].append((f"Awaiting a screening decision ({n(p.awaiting_screening)})", 0))
    if p.dbr.awaiting:
        out["not_retrieved"].append((f"Awaiting a full-text decision ({n(p.dbr.awaiting)})", 0))
    if not p.dbr.excluded:
        out["excluded_full_text"] = [(f"Reports excluded ({n(0)})", 0)]
    if p.has_other:
        other = [("Records identified from:", 0)]
        other += [(f"{METHOD_LABELS.get(m, m)} ({n(count)})", 1) for m, count in p.other_identified.items()]
        if p.other_found_by_database:
            other.append((f"Also found by databases or registers, counted there ({n(p.other_found_by_database)})", 1))
        out["other_identified"] = other
        if p.other_excluded_screening or p.other_awaiting_screening:
            out["other_screened"] = [(f"Records screened ({n(p.other_excluded_screening + p.other_awaiting_screening + p.other.sought)})", 0)]
            out["other_excluded"] = [(f"Records excluded ({n(p.other_excluded_screening)})", 0)]
            if p.other_awaiting_screening:
                out["other_excluded"].append((f"Awaiting a screening decision ({n(p.other_awaiting_screening)})", 0))
        out["other_sought"] = [(f"Reports sought for retrieval ({n(p.other.sought)})", 0)]
        out["other_not_retrieved"] = [(f"Reports not retrieved ({n(p.other.not_retrieved)})", 0)]
        if p.other.awaiting:
            out["other_not_retrieved"].append((f"Awaiting a full-text decision ({n(p.other.awaiting)})", 0))
        out["other_assessed"] = [(f"Reports assessed for eligibility ({n(p.other.assessed)})", 0)]
        out["other_excluded_full_text"] = ([("Reports excluded:", 0)] + _reason_lines(p.other.excluded)
                                           if p.other.excluded else [(f"Reports excluded ({n(0)})", 0)])
    if p.updated:
        out["previous"] = [(f"Studies included in previous version of review ({n(p.previous_studies or 0)})", 0),
                           (f"Reports of studies included in previous version of review ({n(p.previous_reports or 0)})", 0)]
        out["total"] = [(f"Total studies included in review ({n(p.total_studies)})", 0),
                        (f"Reports of total included studies ({n(p.total_reports)})", 0)]
    return out


# ------------------------------------------------------------------ SVG

FONT = 13
LINE = 17
PAD = 9
CHAR = 6.5          # mean glyph width of a 13 px sans-serif font, for wrapping
INDENT = 14
MAIN_W, SIDE_W, PREV_W = 264, 270, 210
GAP_SIDE, GAP_COL = 38, 44
BAR_W = 30
ROW_GAP = 34
HEADER_H = 44

COLOURS = {"newstud": "#ffc000", "othstud": "#d9d9d9", "prevstud": "#d9d9d9", "phase": "#a6c8e8",
           "box": "#ffffff", "line": "#000000"}


@dataclass
class _Box:
    key: str
    x: float
    w: float
    lines: list[tuple[str, int, bool]] = field(default_factory=list)   # (text, x offset, first of a line)
    y: float = 0.0

    @property
    def h(self) -> float:
        return len(self.lines) * LINE + 2 * PAD

    @property
    def cx(self) -> float:
        return self.x + self.w / 2


def _wrap(lines: list[tuple[str, int]], width: float) -> list[tuple[str, int, bool]]:
    out = []
    for text, level in lines:
        offset = level * INDENT
        chars = max(10, int((width - 2 * PAD - offset) / CHAR))
        for i, part in enumerate(textwrap.wrap(text, chars, break_long_words=True) or [""]):
            out.append((part, offset + (INDENT // 2 if i and level else 0), i == 0))
    return out


def svg(flow: Flow) -> str:
    """The PRISMA 2020 flow diagram as a standalone SVG."""
    p = flow.prisma
    content = boxes(p)
    x = BAR_W + 20
    prev_x = None
    if p.updated:
        prev_x, x = x, x + PREV_W + GAP_COL
    main_x, side_x = x, x + MAIN_W + GAP_SIDE
    width = side_x + SIDE_W + 16
    other_x = other_side_x = None
    if p.has_other:
        other_x = width + GAP_COL - 16
        other_side_x = other_x + MAIN_W + GAP_SIDE
        width = other_side_x + SIDE_W + 16

    def box(key: str, bx: float, bw: float) -> _Box | None:
        if key not in content:
            return None
        return _Box(key, bx, bw, _wrap(content[key], bw))

    # rows: each a list of boxes; boxes of a row share a centre line
    rows: list[list[_Box | None]] = [
        [box("previous", prev_x, PREV_W) if prev_x is not None else None,
         box("identified", main_x, MAIN_W), box("removed", side_x, SIDE_W),
         box("other_identified", other_x, MAIN_W) if other_x else None],
        [box("screened", main_x, MAIN_W), box("excluded", side_x, SIDE_W),
         box("other_screened", other_x, MAIN_W) if other_x else None,
         box("other_excluded", other_side_x, SIDE_W) if other_x else None],
        [box("sought", main_x, MAIN_W), box("not_retrieved", side_x, SIDE_W),
         box("other_sought", other_x, MAIN_W) if other_x else None,
         box("other_not_retrieved", other_side_x, SIDE_W) if other_x else None],
        [box("assessed", main_x, MAIN_W), box("excluded_full_text", side_x, SIDE_W),
         box("other_assessed", other_x, MAIN_W) if other_x else None,
         box("other_excluded_full_text", other_side_x, SIDE_W) if other_x else None],
        [box("included", main_x, MAIN_W)],
    ]
    if p.updated:
        rows.append([box("total", main_x, MAIN_W)])
    placed: dict[str, _Box] = {}
    row_spans: list[tuple[float, float]] = []
    y = 12 + HEADER_H + 14
    # the phase bars' rotated labels need room: "Identification" and "Included" rows have a floor
    floors = {0: 12 * CHAR * 1.25 + 16, len(rows) - 1: 0 if p.updated else 8 * CHAR * 1.25 + 16}
    for index, row in enumerate(rows):
        present = [b for b in row if b is not None]
        height = max([b.h for b in present] + [floors.get(index, 0)])
        for b in present:
            b.y = y + (height - b.h) / 2
            placed[b.key] = b
        row_spans.append((y, y + height))
        y += height + ROW_GAP
    height_total = y - ROW_GAP + 14

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height_total:.0f}" '
        f'viewBox="0 0 {width:.0f} {height_total:.0f}" font-family="Arial, Helvetica, sans-serif" '
        f'font-size="{FONT}">',
        "<title>PRISMA 2020 flow diagram</title>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#000"/></marker></defs>',
        f'<rect width="{width:.0f}" height="{height_total:.0f}" fill="#ffffff"/>',
    ]

    def header(hx: float, hw: float, text: str, colour: str) -> None:
        parts.append(f'<rect x="{hx:.1f}" y="12" width="{hw:.1f}" height="{HEADER_H}" rx="8" '
                     f'fill="{colour}" stroke="{COLOURS["line"]}"/>')
        lines = textwrap.wrap(text, int((hw - 2 * PAD) / (CHAR * 1.05)))
        top = 12 + HEADER_H / 2 - (len(lines) - 1) * LINE / 2 + FONT * 0.35
        for i, line in enumerate(lines):
            parts.append(f'<text x="{hx + hw / 2:.1f}" y="{top + i * LINE:.1f}" text-anchor="middle" '
                         f'font-weight="bold">{escape(line)}</text>')

    header(main_x, side_x + SIDE_W - main_x, "Identification of new studies via databases and registers",
           COLOURS["newstud"])
    if other_x:
        header(other_x, other_side_x + SIDE_W - other_x, "Identification of new studies via other methods",
               COLOURS["othstud"])
    if prev_x is not None:
        header(prev_x, PREV_W, "Previous studies", COLOURS["prevstud"])

    def phase(top: float, bottom: float, label: str) -> None:
        cy = (top + bottom) / 2
        parts.append(f'<rect x="16" y="{top:.1f}" width="{BAR_W}" height="{bottom - top:.1f}" rx="6" '
                     f'fill="{COLOURS["phase"]}" stroke="{COLOURS["line"]}"/>')
        parts.append(f'<text x="{16 + BAR_W / 2 + FONT * 0.35:.1f}" y="{cy:.1f}" text-anchor="middle" '
                     f'font-weight="bold" transform="rotate(-90 {16 + BAR_W / 2 + FONT * 0.35:.1f} {cy:.1f})">'
                     f'{label}</text>')

    phase(row_spans[0][0], row_spans[0][1], "Identification")
    phase(row_spans[1][0], row_spans[3][1], "Screening")
    phase(row_spans[4][0], row_spans[-1][1], "Included")

    for b in placed.values():
        parts.append(f'<rect x="{b.x:.1f}" y="{b.y:.1f}" width="{b.w:.1f}" height="{b.h:.1f}" '
                     f'fill="{COLOURS["box"]}" stroke="{COLOURS["line"]}"/>')
        for i, (text, offset, _) in enumerate(b.lines):
            ty = b.y + PAD + (i + 1) * LINE - (LINE - FONT) / 2 - 1
            parts.append(f'<text x="{b.x + PAD + offset:.1f}" y="{ty:.1f}">{escape(text)}</text>')

    def arrow(points: list[tuple[float, float]]) -> None:
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{COLOURS["line"]}" '
                     f'stroke-width="1.3" marker-end="url(#arrow)"/>')

    def down(a: str, b: str) -> None:
        if a in placed and b in placed:
            arrow([(placed[a].cx, placed[a].y + placed[a].h), (placed[b].cx, placed[b].y)])

    def right(a: str, b: str) -> None:
        if a in placed and b in placed:
            src, dst = placed[a], placed[b]
            cy = src.y + src.h / 2
            arrow([(src.x + src.w, cy), (dst.x, cy)])

    for a, b in (("identified", "screened"), ("screened", "sought"), ("sought", "assessed"),
                 ("assessed", "included"), ("included", "total")):
        down(a, b)
    for a, b in (("identified", "removed"), ("screened", "excluded"), ("sought", "not_retrieved"),
                 ("assessed", "excluded_full_text"), ("other_screened", "other_excluded"),
                 ("other_sought", "other_not_retrieved"), ("other_assessed", "other_excluded_full_text")):
        right(a, b)
    if other_x:
        first = "other_screened" if "other_screened" in placed else "other_sought"
        down("other_identified", first)
        if first == "other_screened":
            down("other_screened", "other_sought")
        down("other_sought", "other_assessed")
        src, dst = placed["other_assessed"], placed["included"]
        cy = dst.y + dst.h / 2
        arrow([(src.cx, src.y + src.h), (src.cx, cy), (dst.x + dst.w, cy)])
    if prev_x is not None:
        src, dst = placed["previous"], placed["total"]
        cy = dst.y + dst.h / 2
        arrow([(src.cx, src.y + src.h), (src.cx, cy), (dst.x, cy)])
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


# ------------------------------------------------------------------ Mermaid

def mermaid(flow: Flow) -> str:
    """A Mermaid flowchart (renders in GitHub and GitLab Markdown)."""
    p = flow.prisma
    content = boxes(p)

    def label(key: str) -> str:
        text = "<br/>".join(("&nbsp;" * 2 * level) + line for line, level in content[key])
        return text.replace('"', "#quot;")

    lines = ["flowchart TD"]
    for key in content:
        lines.append(f'    {key}["{label(key)}"]')
    edges = [("identified", "removed"), ("identified", "screened"), ("screened", "excluded"),
             ("screened", "sought"), ("sought", "not_retrieved"), ("sought", "assessed"),
             ("assessed", "excluded_full_text"), ("assessed", "included")]
    if p.has_other:
        if "other_screened" in content:
            edges += [("other_identified", "other_screened"), ("other_screened", "other_excluded"),
                      ("other_screened", "other_sought")]
        else:
            edges.append(("other_identified", "other_sought"))
        edges += [("other_sought", "other_not_retrieved"), ("other_sought", "other_assessed"),
                  ("other_assessed", "other_excluded_full_text"), ("other_assessed", "included")]
    if p.updated:
        edges += [("previous", "total"), ("included", "total")]
    lines += [f"    {a} --> {b}" for a, b in edges]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ CSV for the PRISMA2020 R package

# (data, node, box, description, boxtext): the rows of the package's template CSV, in its order.
_TEMPLATE = [
    ("NA", "node4", "prevstud", "Grey title box; Previous studies", "Previous studies"),
    ("previous_studies", "node5", "box1", "Studies included in previous version of review",
     "Studies included in previous version of review"),
    ("previous_reports", "NA", "box1", "Reports of studies included in previous version of review",
     "Reports of studies included in previous version of review"),
    ("NA", "node6", "newstud", "Yellow title box; Identification of new studies via databases and registers",
     "Identification of new studies via databases and registers"),
    ("database_results", "node7", "box2", "Records identified from: Databases", "Databases"),
    ("database_specific_results", "NA", "box2", "Records identified from: specific databases", "Specific databases"),
    ("register_results", "NA", "box2", "Records identified from: Registers", "Registers"),
    ("register_specific_results", "NA", "box2", "Records identified from: specific registers", "Specific registers"),
    ("NA", "node16", "othstud", "Grey title box; Identification of new studies via other methods",
     "Identification of new studies via other methods"),
    ("website_results", "node17", "box11", "Records identified from: Websites", "Websites"),
    ("organisation_results", "NA", "box11", "Records identified from: Organisations", "Organisations"),
    ("citations_results", "NA", "box11", "Records identified from: Citation searching", "Citation searching"),
    ("duplicates", "node8", "box3", "Duplicate records", "Duplicate records"),
    ("excluded_automatic", "NA", "box3", "Records marked as ineligible by automation tools",
     "Records marked as ineligible by automation tools"),
    ("excluded_other", "NA", "box3", "Records removed for other reasons", "Records removed for other reasons"),
    ("records_screened", "node9", "box4", "Records screened (databases and registers)", "Records screened"),
    ("records_excluded", "node10", "box5", "Records excluded (databases and registers)", "Records excluded"),
    ("dbr_sought_reports", "node11", "box6", "Reports sought for retrieval (databases and registers)",
     "Reports sought for retrieval"),
    ("dbr_notretrieved_reports", "node12", "box7", "Reports not retrieved (databases and registers)",
     "Reports not retrieved"),
    ("other_sought_reports", "node18", "box12", "Reports sought for retrieval (other)", "Reports sought for retrieval"),
    ("other_notretrieved_reports", "node19", "box13", "Reports not retrieved (other)", "Reports not retrieved"),
    ("dbr_assessed", "node13", "box8", "Reports assessed for eligibility (databases and registers)",
     "Reports assessed for eligibility"),
    ("dbr_excluded", "node14", "box9", "Reports excluded (databases and registers)", "Reports excluded"),
    ("other_assessed", "node20", "box14", "Reports assessed for eligibility (other)", "Reports assessed for eligibility"),
    ("other_excluded", "node21", "box15", "Reports excluded (other)", "Reports excluded"),
    ("new_studies", "node15", "box10", "New studies included in review", "New studies included in review"),
    ("new_reports", "NA", "box10", "Reports of new included studies", "Reports of new included studies"),
    ("total_studies", "node22", "box16", "Total studies included in review", "Total studies included in review"),
    ("total_reports", "NA", "box16", "Reports of total included studies", "Reports of total included studies"),
    ("identification", "node1", "identification", "Blue identification box", "Identification"),
    ("screening", "node2", "screening", "Blue screening box", "Screening"),
    ("included", "node3", "included", "Blue included box", "Included"),
    # PRISMA_data() reads these two; searchflow does not know which studies enter a meta-analysis: 0
    ("total_studies_ma", "node23", "box17", "Total studies included in meta-analysis",
     "Total studies included in meta-analysis"),
    ("total_reports_ma", "NA", "box17", "Reports of total included studies in meta-analysis",
     "Reports of total included studies in meta-analysis"),
]
# The template's value for a list with nothing in it: the package reads an empty list as a number.
EMPTY_LISTS = {"database_specific_results": "Database 1, xxx; Database 2, xxx; Database 3, xxx",
               "register_specific_results": "Register 1, xxx; Register 2, xxx; Register 3, xxx"}
CSV_COLUMNS = ("data", "node", "box", "description", "boxtext", "tooltips", "url", "n")

# The R package has three other-methods rows; the rest of our methods join the nearest one.
_OTHER_ROWS = {"website": "website_results", "grey": "website_results",
               "organisation": "organisation_results", "expert": "organisation_results",
               "citation": "citations_results", "alert": "citations_results"}


def _pair_list(items: dict[str, int]) -> str:
    """"Name, n; Name, n": the package splits on ';' then ',' so those are replaced in names."""
    return "; ".join(f"{name.replace(';', ' ').replace(',', ' ')}, {count}" for name, count in items.items())


def other_row_labels(p: Prisma) -> dict[str, str]:
    """The box text of each of the package's other-methods rows, naming every method it holds."""
    merged: dict[str, list[str]] = {}
    for method in p.other_identified:
        merged.setdefault(_OTHER_ROWS[method], []).append(METHOD_LABELS[method])
    return {row: " and ".join(labels) for row, labels in merged.items()}


def prisma_values(p: Prisma) -> dict[str, str]:
    """The value of every data row of the PRISMA2020 CSV (the Shiny app's field names)."""
    other: dict[str, int] = {"website_results": 0, "organisation_results": 0, "citations_results": 0}
    for method, count in p.other_identified.items():
        other[_OTHER_ROWS[method]] += count
    values = {
        "previous_studies": p.previous_studies or 0, "previous_reports": p.previous_reports or 0,
        "database_results": sum(p.databases.values()),
        "database_specific_results": _pair_list(p.databases) or EMPTY_LISTS["database_specific_results"],
        "register_results": sum(p.registers.values()),
        "register_specific_results": _pair_list(p.registers) or EMPTY_LISTS["register_specific_results"],
        **other,
        "duplicates": p.duplicates, "excluded_automatic": p.automation, "excluded_other": p.removed_other,
        "records_screened": p.screened, "records_excluded": p.excluded,
        "dbr_sought_reports": p.dbr.sought, "dbr_notretrieved_reports": p.dbr.not_retrieved,
        "other_sought_reports": p.other.sought, "other_notretrieved_reports": p.other.not_retrieved,
        "dbr_assessed": p.dbr.assessed, "dbr_excluded": _pair_list(p.dbr.excluded),
        "other_assessed": p.other.assessed, "other_excluded": _pair_list(p.other.excluded),
        "new_studies": p.new_studies, "new_reports": p.new_reports,
        "total_studies": p.total_studies, "total_reports": p.total_reports,
    }
    return {k: str(v) for k, v in values.items()}


def prisma_csv(flow: Flow) -> str:
    """The PRISMA2020 R package / Shiny app template CSV with our counts in its ``n`` column."""
    p = flow.prisma
    values = prisma_values(p)
    labels = other_row_labels(p)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for data, node, box, description, boxtext in _TEMPLATE:
        if data in labels:
            boxtext = labels[data]
            description = f"Records identified from: {boxtext}"
        tooltip = description if node != "NA" else "NA"
        url = f"{data}.html" if data != "NA" else f"{box}.html"
        writer.writerow([data, node, box, description, boxtext, tooltip, url, values.get(data, "0")])
    return out.getvalue()


# ------------------------------------------------------------------ JSON and Markdown

def to_json(data: dict) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _table(header: list[str], rows: list[list]) -> list[str]:
    cell = lambda v: str(v).replace("|", "\\|").replace("\n", "<br>")  # noqa: E731
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return lines


def markdown(flow: Flow, title: str, review_type: str, rameses: dict | None = None,
             emerge: dict | None = None) -> str:
    """The counts as Markdown tables (PRISMA, then RAMESES or eMERGe for those reviews)."""
    p = flow.prisma
    values = prisma_values(p)
    out = [f"# {title}: flow counts", "", "## PRISMA 2020", ""]
    lists = {"database_specific_results", "register_specific_results", "dbr_excluded", "other_excluded"}
    labels = {row: f"Records identified from: {text}" for row, text in other_row_labels(p).items()}
    rows = [[data, labels.get(data, description), values[data]] for data, _, _, description, _ in _TEMPLATE
            if data in values and data not in lists and (p.updated or not data.startswith("previous"))]
    rows.insert(next(i for i, r in enumerate(rows) if r[0] == "other_assessed"),
                ["dbr_excluded", "Reports excluded (databases and registers)", p.dbr.excluded_total])
    rows.insert(next(i for i, r in enumerate(rows) if r[0] == "new_studies"),
                ["other_excluded", "Reports excluded (other)", p.other.excluded_total])
    # mid-review, the boxes that close the arithmetic, where the diagram shows them
    for after, field_, box, count in (
            ("records_excluded", "awaiting_screening", "Awaiting a screening decision (databases and registers)",
             p.awaiting_screening),
            ("dbr_notretrieved_reports", "dbr_awaiting", "Awaiting a full-text decision (databases and registers)",
             p.dbr.awaiting),
            ("other_notretrieved_reports", "other_awaiting", "Awaiting a full-text decision (other)", p.other.awaiting)):
        if count:
            rows.insert(next(i for i, r in enumerate(rows) if r[0] == after) + 1, [field_, box, count])
    out += _table(["field", "box", "n"], rows)
    if p.awaiting_screening or p.dbr.awaiting or p.other.awaiting or p.other_awaiting_screening:
        out += ["", "Still in progress: "
                f"{p.awaiting_screening + p.other_awaiting_screening} awaiting a screening decision, "
                f"{p.dbr.awaiting + p.other.awaiting} awaiting a full-text decision."]
    out += ["", "### Records identified per database and register", ""]
    out += _table(["source", "method", "records"],
                  [[k, "database", v] for k, v in p.databases.items()]
                  + [[k, "register", v] for k, v in p.registers.items()])
    if p.excluded_reasons:
        out += ["", "### Records excluded at title/abstract, by reason", ""]
        out += _table(["reason", "records"], [[k, v] for k, v in p.excluded_reasons.items()])
    for label, column in (("databases and registers", p.dbr), ("other methods", p.other)):
        if column.excluded:
            out += ["", f"### Reports excluded ({label}), with reasons", ""]
            out += _table(["reason", "reports"], [[k, v] for k, v in column.excluded.items()])
    if p.has_other:
        out += ["", "### Other methods", ""]
        rows = []
        for method, ident in p.other_identified.items():
            c = p.other_by_method[method]
            rows.append([METHOD_LABELS[method], p.other_records.get(method, 0), ident, c.sought,
                         c.not_retrieved, c.assessed, c.excluded_total, c.included])
        out += _table(["method", "records", "identified (new works)", "sought", "not retrieved", "assessed",
                       "excluded", "included"], rows)
        if p.other_found_by_database:
            out += ["", f"{p.other_found_by_database} other-methods records were also found by a database "
                    "or register search and are counted there."]
    if rameses is not None:
        out += ["", "## RAMESES document flow", "", "Documents by source of origin and search round.", ""]
        header = ["round", "source of origin", "records", "documents", "excluded (title/abstract)",
                  "not retrieved", "excluded (full text)", "awaiting", "included"]
        rows = [[r["round"], r["label"], r["records"], r["documents"], r["excluded_screening"] + r["automation"],
                 r["not_retrieved"], r["excluded_full_text"], r["awaiting_screening"] + r["awaiting_full_text"],
                 r["included"]] for r in rameses["rows"]]
        out += _table(header, rows)
        if rameses["included"]:
            out += ["", "### Included documents", ""]
            out += _table(["work", "study", "document", "source of origin", "round", "found by"],
                          [[d["work"], d["study"], d["citation"], d["origin"], d["round"], "; ".join(d["found_by"])]
                           for d in rameses["included"]])
    if emerge is not None:
        out += ["", "## eMERGe phase 2: search and selection", ""]
        out += _table(["source", "records", "documents", "excluded (title/abstract)", "not retrieved",
                       "excluded (full text)", "awaiting", "included"],
                      [[s["source"], s["records"], s["documents"], s["excluded_screening"] + s["automation"],
                        s["not_retrieved"], s["excluded_full_text"], s["awaiting_screening"] + s["awaiting_full_text"],
                        s["included"]] for s in emerge["sources"]])
        out += ["", f"Studies included: {emerge['studies']}; papers (reports) of included studies: {emerge['papers']}."]
        for stage, info in emerge["screening"].items():
            who = ", ".join(f"{name} ({count})" for name, count in info["reviewers"].items()) or "nobody yet"
            resolved = ", ".join(f"{name} ({count})" for name, count in info["conflicts_resolved"].items()) or "none"
            out += ["", f"**{stage.replace('_', '/')}**: {info['works']} works; screened by {who}; "
                    f"{info['screened_by_two_or_more']} by two reviewers independently, {info['screened_by_one']} by one; "
                    f"{info['conflicts']} conflicts, resolved by {resolved}, {info['conflicts_open']} open."]
        reasons = emerge["exclusion_reasons"]
        if reasons["title_abstract"] or reasons["full_text"]:
            out += ["", "Exclusion reasons:", ""]
            out += _table(["stage", "reason", "n"],
                          [["title/abstract", k, v] for k, v in reasons["title_abstract"].items()]
                          + [["full text", k, v] for k, v in reasons["full_text"].items()])
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------ PRISMA-S search table

SEARCH_COLUMNS = ("search", "version", "database", "platform", "method", "round", "date", "query", "limits",
                  "hits_reported", "records_imported", "files")


def search_rows(runs: list[dict], files: dict[int, list[dict]]) -> list[dict]:
    """One row per current search run: what PRISMA-S items 1-16 ask about each search."""
    rows = []
    for run in runs:
        names = "; ".join(f"{f['path'].replace(chr(92), '/').rsplit('/', 1)[-1]} (sha256 {f['sha256'][:12]})"
                          for f in files.get(run["id"], []))
        rows.append({
            "search": run["search_id"], "version": run["version"], "database": run["database"],
            "platform": run["platform"], "method": run["method"], "round": run["round"],
            "date": run["date_run"], "query": run["query"], "limits": run["limits"],
            "hits_reported": "" if run["hits_reported"] is None else run["hits_reported"],
            "records_imported": run["record_count"], "files": names,
        })
    return rows


def search_table_csv(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=SEARCH_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def search_table_md(rows: list[dict]) -> str:
    header = ["Database", "Platform", "Method", "Round", "Date", "Query", "Limits", "Hits reported",
              "Records imported"]
    table = [[r["database"], r["platform"], r["method"], r["round"], r["date"], r["query"], r["limits"],
              r["hits_reported"] if r["hits_reported"] != "" else "not reported", r["records_imported"]]
             for r in rows]
    return "\n".join(["# Searches (PRISMA-S)", ""] + _table(header, table)) + "\n"
