"""Screen the example review as two reviewers would, through the Python API.

`make demo` runs this between two `searchflow run`s so the example's flow diagram shows
every box filled, mid-review: bob has not yet screened three works at title/abstract (they
wait for you: `searchflow screen protocols/link-workers.toml --reviewer bob`). It is also a worked example of a protocol script: decisions go through
the same rules the terminal UI uses (blinding, conflicts, reasons), keyed here by DOI or
title so they do not depend on work numbers. Running it again adds nothing.

    python protocols/example_screening.py protocols/link-workers.toml
"""
from __future__ import annotations

import sys

from searchflow import Project
from searchflow.screening import decisions

TA, FT = "title_abstract", "full_text"
NOT_LINK_WORK = "Not a link work intervention"

# title/abstract verdicts: key (DOI, or title start for grey literature) -> (alice, bob);
# None: bob has not screened it yet, so it waits in his queue (and has no full-text decision)
TITLE_ABSTRACT = {
    "10.1186/s12889-018-6349-x": ("include", "include"),
    "10.1136/bmjopen-2016-015203": ("include", "include"),
    "10.1186/s12916-020-1510-7": ("include", "maybe"),
    "10.1111/hsc.12839": ("include", "include"),
    "10.1177/1742395319882068": ("include", "include"),
    "10.1111/hsc.13358": ("include", "include"),
    "10.1017/s1463423617000706": ("include", "include"),
    "10.1136/bmjopen-2022-062951": ("include", "exclude"),      # a conflict, resolved below
    "10.3399/bjgp18x696617": ("maybe", "include"),
    "10.1186/s12875-021-01407-x": ("include", "include"),
    "10.1111/hsc.13295": ("include", None),
    "10.1186/s12913-018-2893-4": ("exclude", "exclude"),
    "10.1017/s1463423619000598": ("include", None),
    "10.1136/bmj.l1285": ("exclude", None),
}
RESOLVED = {"10.1136/bmjopen-2022-062951": "include"}

# full text: key -> (verdict, reason) for both reviewers alike
FULL_TEXT = {
    "10.1186/s12889-018-6349-x": ("include", ""),
    "10.1136/bmjopen-2016-015203": ("include", ""),
    "10.1186/s12916-020-1510-7": ("exclude", "Insufficient relevance to programme theory"),
    "10.1111/hsc.12839": ("include", ""),
    "10.1177/1742395319882068": ("include", ""),
    "10.1111/hsc.13358": ("include", ""),
    "10.1017/s1463423617000706": ("include", ""),
    "10.1136/bmjopen-2022-062951": ("exclude", "Not community healthcare"),
    "10.3399/bjgp18x696617": ("include", ""),
    "10.1186/s12875-021-01407-x": ("not_retrieved", ""),
    "10.1111/hsc.13295": ("include", ""),
    "10.1017/s1463423619000598": ("include", ""),
    "Social prescribing link workers: reference": ("include", ""),
    "Making sense of social prescribing": ("exclude", NOT_LINK_WORK),
    "The role of link workers in social prescribing": ("include", ""),
}


def work_keys(project: Project) -> dict[str, int]:
    """DOI (or title) -> work, over the current records."""
    keys: dict[str, int] = {}
    for row in project.records().itertuples():
        if row.doi:
            keys.setdefault(row.doi, row.work)
        for key in FULL_TEXT:
            if not key.startswith("10.") and row.title.startswith(key):
                keys.setdefault(key, row.work)
    return keys


def main(protocol_path: str) -> None:
    with Project.open(protocol_path) as project:
        store, protocol = project.store, project.protocol
        if decisions.reviewer_verdicts(store, "alice", TA):
            print("example screening: already recorded")
            return
        works = work_keys(project)
        for key, pair in TITLE_ABSTRACT.items():
            for reviewer, verdict in zip(("alice", "bob"), pair):
                if verdict is None:
                    continue
                reason = NOT_LINK_WORK if verdict == "exclude" else ""
                decisions.record_decision(store, protocol, works[key], TA, reviewer, verdict, reason)
        decisions.unblind(store, protocol, TA, lead="alice")
        for key, verdict in RESOLVED.items():
            decisions.resolve_conflict(store, protocol, works[key], TA, "alice", verdict,
                                       note="consensus meeting")
        waiting = [key for key, pair in TITLE_ABSTRACT.items() if None in pair]
        assessed = [key for key in FULL_TEXT if key not in waiting]     # the rest wait for bob's verdict
        for key in assessed:
            verdict, reason = FULL_TEXT[key]
            for reviewer in ("alice", "bob"):
                decisions.record_decision(store, protocol, works[key], FT, reviewer, verdict, reason)
        # two reports of one study: the follow-up paper reports the same service as Moffatt 2017
        decisions.link_report(store, protocol, works["10.1186/s12889-018-6349-x"],
                              works["10.1136/bmjopen-2016-015203"], "alice")
        print(f"example screening: recorded for {len(TITLE_ABSTRACT)} works at title/abstract "
              f"and {len(assessed)} at full text; {len(waiting)} works wait for bob at "
              f"title/abstract (searchflow screen {protocol_path} --reviewer bob)")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "protocols/link-workers.toml")
