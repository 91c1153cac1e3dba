"""A team on a PostgreSQL store: a database role per person the protocol names, and the
screening rules the database itself enforces, so that a reviewer in psql is bound by them
as the TUI is.

- A reviewer inserts decision events only under their own name; the lead alone blinds or
  unblinds; a study link is its author's.
- No one updates or deletes an event (decisions, blinding, study links, merges, pair verdicts,
  search events), the owner included.
- While a stage is blinded a reviewer's SELECT returns only their own decision events; once the
  lead unblinds it, everyone's. The lead and a resolver who screens nothing see every verdict:
  the rule of :func:`searchflow.screening.decisions.can_see_others`, written here in SQL.

The person who runs ``searchflow team init`` owns the tables: imports, dedup and PubMed
searches are theirs. Passwords are set by whoever administers the server (``ALTER ROLE bob
PASSWORD ...``) and never pass through searchflow.
"""
from __future__ import annotations

from .base import StoreError
from .postgres import PostgresStore

EVENT_TABLES = ("decision", "blinding", "study_link", "merge_event", "pair_decision", "search_event")
# What the team may add to: (table, the column that must name the person adding the row).
TEAM_INSERTS = {"decision": "reviewer", "study_link": "reviewer"}

_SCHEMA = [
    """CREATE TABLE IF NOT EXISTS team_member (
           name TEXT COLLATE "C" NOT NULL,
           role TEXT COLLATE "C" NOT NULL CHECK (role IN ('reviewer', 'lead', 'resolver')),
           PRIMARY KEY (name, role))""",
    """CREATE OR REPLACE FUNCTION searchflow_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
           RAISE EXCEPTION 'searchflow: % events are append-only: record a new event instead', TG_TABLE_NAME;
       END $$""",
    # SECURITY DEFINER: reads the team and the blinding events whatever the asker may read;
    # the asker is passed in, as current_user inside is the function's owner.
    """CREATE OR REPLACE FUNCTION searchflow_sees_all(stage_name TEXT, asker TEXT) RETURNS boolean
       LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
           SELECT EXISTS (SELECT 1 FROM team_member WHERE name = asker AND role = 'lead')
               OR NOT EXISTS (SELECT 1 FROM team_member WHERE name = asker AND role = 'reviewer')
               OR (SELECT COUNT(*) FROM team_member WHERE role = 'reviewer') <= 1
               OR COALESCE((SELECT action FROM blinding WHERE stage = stage_name
                            ORDER BY id DESC LIMIT 1), 'blind') = 'unblind'
       $$""",
]


def _quoted(name: str) -> str:
    """A role name as an SQL identifier (names are the protocol's, spelled as written)."""
    return '"' + name.replace('"', '""') + '"'


def init_team(store: PostgresStore, reviewers: list[str], lead: str, resolvers: list[str]) -> list[str]:
    """Create the roles and the rules (again: safe to repeat after the protocol's team changes);
    returns a line per person saying how they connect."""
    if not isinstance(store, PostgresStore):
        raise StoreError(f"{store.location}: a team needs a PostgreSQL store (a postgresql:// URL); "
                         f"a SQLite file is shared by sharing the file")
    members = [(name, "reviewer") for name in reviewers] + [(name, "resolver") for name in resolvers]
    if lead:
        members.append((lead, "lead"))
    people = list(dict.fromkeys(name for name, _ in members))
    conn = store.conn
    with store.transaction():
        for statement in _SCHEMA:
            conn.execute(statement)
        conn.execute("DELETE FROM team_member")
        conn.executemany("INSERT INTO team_member (name, role) VALUES (?, ?)", members)
        existing = {row[0] for row in conn.execute("SELECT rolname FROM pg_roles WHERE rolname = ANY(?)", (people,))}
        for name in people:
            if name not in existing:
                conn.execute(f"CREATE ROLE {_quoted(name)} LOGIN")
        tables = [row[0] for row in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        everyone = ", ".join(map(_quoted, people))
        conn.execute(f"REVOKE ALL ON {', '.join(tables)} FROM PUBLIC")
        if people:
            conn.execute(f"GRANT SELECT ON {', '.join(tables)} TO {everyone}")
            conn.execute(f"GRANT INSERT ON {', '.join(TEAM_INSERTS)} TO {everyone}")
            if lead:
                conn.execute(f"GRANT INSERT ON blinding TO {_quoted(lead)}")
        for table in EVENT_TABLES:
            conn.execute(f"DROP TRIGGER IF EXISTS append_only ON {table}")
            conn.execute(f"""CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON {table}
                             FOR EACH ROW EXECUTE FUNCTION searchflow_refuse_change()""")
        for table in (*TEAM_INSERTS, "blinding"):
            conn.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            for policy in ("team_insert", "team_select"):
                conn.execute(f"DROP POLICY IF EXISTS {policy} ON {table}")
        for table, column in {**TEAM_INSERTS, "blinding": "lead"}.items():
            conn.execute(f"CREATE POLICY team_insert ON {table} FOR INSERT WITH CHECK ({column} = current_user)")
        conn.execute("""CREATE POLICY team_select ON decision FOR SELECT
                        USING (reviewer = current_user OR searchflow_sees_all(stage, current_user))""")
        for table in ("study_link", "blinding"):
            conn.execute(f"CREATE POLICY team_select ON {table} FOR SELECT USING (true)")
    return [f"{name} ({', '.join(role for who, role in members if who == name)}): connects as role {name}"
            for name in people]
