"""Exports of screened works for the next steps (full-text retrieval, extraction, a reference manager).

One entry per work (its most complete current record, as the screening screen shows
it), with the screening decisions carried in fields reference managers keep: RIS
``KW`` (tags you can filter on in Zotero or EndNote: ``searchflow title_abstract:
include``, ``searchflow reason: ...``) and ``N1`` (each reviewer's verdict, reason and
note); CSV columns; BibTeX ``keywords`` and ``note``. RIS and BibTeX are written by hand:
both are a few lines of ``TAG - value`` or ``key = {value}``, and the tests read the
RIS back with rispy.
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata

from ..protocol import Protocol
from ..screening import vocabulary
from ..screening.display import work_summary
from ..screening.state import final_decisions, own_decisions
from ..screening.vocabulary import STAGE_VERDICTS, STAGES
from ..store import Store

VERDICTS = vocabulary.VERDICTS + ("all",)      # what --verdict takes: a final verdict, or every work
FORMATS = ("ris", "csv", "bibtex")

RIS_TYPES = {
    "article": "JOUR", "review": "JOUR", "erratum": "JOUR", "retraction": "JOUR", "comment": "JOUR",
    "editorial": "JOUR", "letter": "JOUR", "conference abstract": "ABST", "conference paper": "CONF",
    "book": "BOOK", "chapter": "CHAP", "thesis": "THES", "report": "RPRT", "preprint": "JOUR",
    "trial registration": "GEN", "protocol": "JOUR", "dataset": "DATA",
}
BIBTEX_TYPES = {"book": "book", "chapter": "incollection", "thesis": "phdthesis",
                "conference paper": "inproceedings", "report": "techreport", "dataset": "misc", "other": "misc"}


def stages_up_to(stage: str) -> tuple[str, ...]:
    """The stages an export at ``stage`` shows decisions of: that one and the ones before."""
    return STAGES[: STAGES.index(stage) + 1]


class ExportError(Exception):
    """An export that cannot be made as asked (unknown stage, verdict or format); one line."""


def select(store: Store, protocol: Protocol, stage: str, verdict: str,
           own: dict[str, str] | None = None) -> list[dict]:
    """The works of a stage with that final verdict ('all': every work of the stage), in import
    order, each with its display fields and its decisions at this stage and the ones before.
    ``own`` (stage -> reviewer, a blinded reviewer's view) puts that reviewer's own verdicts in
    place of the final decisions at those stages."""
    if stage not in STAGES:
        raise ExportError(f"unknown stage {stage!r}; expected {' or '.join(STAGES)}")
    if verdict not in VERDICTS:
        raise ExportError(f"unknown verdict {verdict!r}; expected {' | '.join(VERDICTS)}")
    if verdict not in STAGE_VERDICTS[stage] + ("all",):
        raise ExportError(f"verdict {verdict!r} does not occur at {stage}")
    stages = stages_up_to(stage)
    own = own or {}
    finals = {s: own_decisions(store, protocol, s, own[s]) if s in own
              else final_decisions(store, protocol, s) for s in stages}
    entries = []
    for work_id, final in finals[stage].items():
        if verdict != "all" and final.verdict != verdict:
            continue
        entries.append({"work": work_id, "summary": work_summary(store, work_id),
                        "decisions": {s: finals[s].get(work_id) for s in stages}})
    return entries


# ------------------------------------------------------------------ decision wording

def _decision_tags(entry: dict) -> list[str]:
    tags = []
    for stage, final in entry["decisions"].items():
        if final is None:
            continue
        tags.append(f"searchflow {stage}: {final.verdict or final.status}")
        if final.reason:
            tags.append(f"searchflow reason: {final.reason}")
    return tags


def _decision_notes(entry: dict) -> list[str]:
    """One line per stage, then one per reviewer note: what N1 / note carries."""
    notes = []
    for stage, final in entry["decisions"].items():
        if final is None:
            continue
        who = "; ".join(f"{d.reviewer} {d.verdict}" + (f" ({d.reason})" if d.reason else "") for d in final.decisions)
        line = f"searchflow {stage}: {final.verdict or 'undecided'} [{final.status}]"
        if final.reason:
            line += f", reason: {final.reason}"
        if who:
            line += f"; reviewers: {who}"
        if final.resolution is not None:
            line += f"; resolved by {final.resolution.reviewer}"
        notes.append(line)
        for d in [*final.decisions, *([final.resolution] if final.resolution else [])]:
            if d.note:
                notes.append(f"{stage} note by {d.reviewer}: {d.note}")
    return notes


def _pages(pages: str) -> tuple[str, str]:
    start, _, end = pages.partition("-")
    return start.strip(), end.strip()


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


# ------------------------------------------------------------------ formats

def to_ris(entries: list[dict]) -> str:
    out = []
    for entry in entries:
        s = entry["summary"]
        lines = [("TY", RIS_TYPES.get(s.type, "JOUR" if s.journal else "GEN")), ("ID", str(entry["work"]))]
        lines.append(("TI", s.title))
        lines += [("AU", a) for a in s.authors]
        lines += [("PY", str(s.year) if s.year else ""), ("T2", s.journal), ("VL", s.volume), ("IS", s.issue)]
        sp, ep = _pages(s.pages)
        lines += [("SP", sp), ("EP", ep), ("DO", s.doi), ("AN", s.pmid and f"PMID: {s.pmid}"),
                  ("LA", s.language), ("UR", s.url), ("DB", "; ".join(s.databases)), ("AB", s.abstract)]
        lines += [("KW", k) for k in s.keywords]
        lines += [("KW", t) for t in _decision_tags(entry)]
        lines += [("N1", note) for note in _decision_notes(entry)]
        for tag, value in lines:
            value = _one_line(value)
            if value:
                out.append(f"{tag}  - {value}")
        out.append("ER  - ")
        out.append("")
    return "\n".join(out)


CSV_BASE = ("work", "title", "authors", "year", "journal", "volume", "issue", "pages", "doi", "pmid",
            "type", "url", "databases", "searches")


def csv_columns(stage: str) -> list[str]:
    columns = list(CSV_BASE)
    for s in stages_up_to(stage):
        columns += [f"{s}_verdict", f"{s}_status", f"{s}_reason", f"{s}_reviewers", f"{s}_notes"]
    return columns + ["abstract"]


def to_csv(entries: list[dict], stage: str) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=csv_columns(stage), lineterminator="\n")
    writer.writeheader()
    for entry in entries:
        s = entry["summary"]
        row = {"work": entry["work"], "title": s.title, "authors": "; ".join(s.authors), "year": s.year or "",
               "journal": s.journal, "volume": s.volume, "issue": s.issue, "pages": s.pages, "doi": s.doi,
               "pmid": s.pmid, "type": s.type, "url": s.url, "databases": "; ".join(s.databases),
               "searches": "; ".join(s.searches), "abstract": s.abstract}
        for name, final in entry["decisions"].items():
            if final is None:
                continue
            row[f"{name}_verdict"] = final.verdict or ""
            row[f"{name}_status"] = final.status
            row[f"{name}_reason"] = final.reason
            row[f"{name}_reviewers"] = "; ".join(
                f"{d.reviewer}: {d.verdict}" + (f" ({d.reason})" if d.reason else "") for d in final.decisions)
            notes = [*final.decisions, *([final.resolution] if final.resolution else [])]
            row[f"{name}_notes"] = " | ".join(f"{d.reviewer}: {d.note}" for d in notes if d.note)
        writer.writerow(row)
    return out.getvalue()


_BIB_ESCAPE = str.maketrans({"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%",
                             "$": r"\$", "#": r"\#", "_": r"\_"})


def _bib(value: str) -> str:
    return _one_line(value).translate(_BIB_ESCAPE)


def _bib_key(entry: dict) -> str:
    s = entry["summary"]
    family = s.authors[0].split(",")[0] if s.authors else "anon"
    family = unicodedata.normalize("NFKD", family).encode("ascii", "ignore").decode()
    family = re.sub(r"[^A-Za-z]", "", family).lower() or "anon"
    return f"{family}{s.year or 'nd'}w{entry['work']}"


def to_bibtex(entries: list[dict]) -> str:
    out = []
    for entry in entries:
        s = entry["summary"]
        kind = BIBTEX_TYPES.get(s.type, "article" if s.journal else "misc")
        fields = [("title", s.title), ("author", " and ".join(s.authors)), ("year", str(s.year or "")),
                  ("booktitle" if kind in ("incollection", "inproceedings") else "journal", s.journal),
                  ("volume", s.volume), ("number", s.issue), ("pages", s.pages.replace("-", "--")),
                  ("doi", s.doi), ("pmid", s.pmid), ("url", s.url), ("language", s.language),
                  ("keywords", ", ".join([*s.keywords, *_decision_tags(entry)])),
                  ("note", "; ".join(_decision_notes(entry))), ("abstract", s.abstract)]
        body = ",\n".join(f"  {name} = {{{_bib(value)}}}" for name, value in fields if _one_line(value))
        out.append(f"@{kind}{{{_bib_key(entry)},\n{body}\n}}\n")
    return "\n".join(out)


def export(store: Store, protocol: Protocol, stage: str, verdict: str, fmt: str,
           own: dict[str, str] | None = None) -> tuple[str, int]:
    """The export text and how many works it holds (``own``: see :func:`select`)."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}; expected {' | '.join(FORMATS)}")
    entries = select(store, protocol, stage, verdict, own)
    if fmt == "ris":
        return to_ris(entries), len(entries)
    if fmt == "csv":
        return to_csv(entries, stage), len(entries)
    return to_bibtex(entries), len(entries)
