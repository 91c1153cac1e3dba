"""Constructed review projects for the flow tests: searches, records, merges, decisions."""
from __future__ import annotations

from searchflow import protocol as protocol_module
from searchflow.records import Record
from searchflow.screening import decisions as S
from searchflow.store.sqlite import SQLiteStore as Store

REVIEWERS = ("alice", "bob")


class Project:
    """A protocol and store built in code: searches, records, merges and decisions."""

    def __init__(self, tmp_path, searches, review=None, screening=None):
        data = {
            "review": {"title": "Link workers", "type": "realist", **(review or {})},
            "screening": {"reviewers": list(REVIEWERS), "lead": "carol", "resolvers": ["carol"],
                          "exclusion_reasons": ["wrong population", "not primary research"],
                          "full_text_reasons": ["wrong population", "wrong intervention", "no outcome data"],
                          **(screening or {})},
            "search": [{"id": sid, "database": db, "method": method, "files": [f"{sid}.ris"], "round": rnd,
                        "query": f"query for {db}"}
                       for sid, db, method, _, rnd in searches],
        }
        self.protocol = protocol_module.parse(data, tmp_path / "review.toml")
        self.store = Store.open(tmp_path / "review.db")
        with self.store.transaction():
            for sid, db, method, titles, rnd in searches:
                run = self.store.begin_pending_run(sid, database=db, method=method, connector="file", round=rnd,
                                                   query=f"query for {db}")
                self.store.add_records(run, None, [
                    Record(raw=[("TI", t)], title=f"Study {t}", authors=["Smith, J", "Doe, A"], year=2020,
                           journal="J Health") for t in titles])
                self.store.complete_run(run, fingerprint=sid, hits_reported=len(titles) + 1)
        self.record = {r["title"].split()[-1]: r for r in self.store.record_rows()}

    def work(self, title: str) -> int:
        return self.record[title]["work_id"]

    def merge(self, keep: str, duplicate: str) -> None:
        """Stands in for deduplication: the duplicate record joins the kept record's work."""
        self.store.conn.execute("UPDATE source_record SET work_id = ? WHERE id = ?",
                                (self.work(keep), self.record[duplicate]["id"]))
        self.record[duplicate]["work_id"] = self.work(keep)

    def both(self, title: str, stage: str, verdict: str, reason: str = "") -> None:
        for reviewer in REVIEWERS:
            S.record_decision(self.store, self.protocol, self.work(title), stage, reviewer, verdict, reason=reason)


def scenario(tmp_path, **kwargs) -> Project:
    """Embase 12, CINAHL 6 (2 duplicates of Embase), one register (2), citation searching in
    round 2 (3 records, one also in Embase) and a website (1)."""
    p = Project(tmp_path, [
        ("embase", "Embase", "database", [f"E{i}" for i in range(12)], 1),
        ("cinahl", "CINAHL", "database", [f"C{i}" for i in range(6)], 1),
        ("ctgov", "ClinicalTrials.gov", "register", ["R0", "R1"], 1),
        ("cluster", "CLUSTER", "citation", ["K0", "K1", "K2"], 2),
        ("web", "Google", "website", ["W0"], 1),
    ], **kwargs)
    p.merge("E0", "C0")
    p.merge("E1", "C1")
    p.merge("E2", "K0")         # found by a database and by citation searching
    return p


def screen(p: Project) -> None:
    ta, ft = "title_abstract", "full_text"
    for t in ("E0", "E1", "E2", "E3", "E4", "R0"):
        p.both(t, ta, "include")
    for t in ("E5", "E6", "E7", "C2", "C3"):
        p.both(t, ta, "exclude", "wrong population")
    S.record_decision(p.store, p.protocol, p.work("E8"), ta, "alice", "maybe")     # maybe -> full text
    S.record_decision(p.store, p.protocol, p.work("E8"), ta, "bob", "include")
    S.record_decision(p.store, p.protocol, p.work("E9"), ta, "alice", "include")   # a conflict ...
    S.record_decision(p.store, p.protocol, p.work("E9"), ta, "bob", "exclude")
    S.unblind(p.store, p.protocol, ta, "carol")
    S.resolve_conflict(p.store, p.protocol, p.work("E9"), ta, "carol", "exclude", note="not a link worker")
    for t, verdict, reason in (("E0", "include", ""), ("E1", "include", ""), ("E2", "exclude", "no outcome data"),
                               ("E3", "not_retrieved", ""), ("E4", "exclude", "wrong intervention"),
                               ("K1", "include", ""), ("K2", "exclude", "wrong population"), ("W0", "include", "")):
        p.both(t, ft, verdict, reason)
    S.link_report(p.store, p.protocol, p.work("E1"), p.work("E0"), "alice")       # two reports, one study
