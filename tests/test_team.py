"""A team on a PostgreSQL store: each rule the database enforces, proved by connecting as the
team's roles with raw SQL, as a reviewer in psql would."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest

psycopg = pytest.importorskip("psycopg", reason="psycopg is not installed")

from searchflow.cli import main  # noqa: E402
from searchflow.store import StoreError, open_store  # noqa: E402

RIS = "TY  - JOUR\nTI  - Link workers\nER  - \n\nTY  - JOUR\nTI  - Social prescribing\nER  - \n"


@pytest.fixture
def team(tmp_path, postgres_database):
    """A review on the server with reviewers ann and bob, lead lee and resolver cat, set up
    by `searchflow team init`; yields (owner's store, connect(role) -> raw connection)."""
    (tmp_path / "a.ris").write_text(RIS, encoding="utf-8")
    protocol = tmp_path / "review.toml"
    protocol.write_text(f'[review]\ntitle = "T"\nstore = "{postgres_database}"\n'
                        '[screening]\nreviewers = ["ann", "bob"]\nlead = "lee"\nresolvers = ["cat", "lee"]\n'
                        '[[search]]\nid = "a"\ndatabase = "A"\nfiles = ["a.ris"]\n', encoding="utf-8")
    assert main(["run", str(protocol)]) == 0
    assert main(["team", "init", str(protocol)]) == 0
    owner = open_store(postgres_database)
    opened = []

    def connect(role: str):
        url = postgres_database.replace("postgresql://postgres@", f"postgresql://{role}@")
        conn = psycopg.connect(url, autocommit=True)
        opened.append(conn)
        return conn

    yield owner, connect, protocol
    for conn in opened:
        conn.close()
    owner.close()


def _works(owner):
    return sorted(owner.current_work_ids())


def _insert(conn, work, reviewer, verdict="include", stage="title_abstract"):
    conn.execute("INSERT INTO decision (work_id, stage, reviewer, kind, verdict, time) "
                 "VALUES (%s, %s, %s, 'verdict', %s, now()::text)", (work, stage, reviewer, verdict))


def test_team_init_names_each_role_and_can_be_run_again(team, capsys):
    owner, connect, protocol = team
    assert main(["team", "init", str(protocol)]) == 0
    out = capsys.readouterr().out
    assert "ann (reviewer): connects as role ann" in out and "cat (resolver)" in out and "lee (lead)" in out
    for role in ("ann", "bob", "lee", "cat"):
        assert connect(role).execute("SELECT current_user").fetchone() == (role,)


def test_a_reviewer_inserts_decisions_only_as_themselves(team):
    owner, connect, _ = team
    ann = connect("ann")
    _insert(ann, _works(owner)[0], "ann")
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
        _insert(ann, _works(owner)[0], "bob")
    assert [e["reviewer"] for e in owner.decision_events()] == ["ann"]


def test_no_one_updates_or_deletes_an_event_not_even_the_owner(team):
    owner, connect, _ = team
    ann = connect("ann")
    _insert(ann, _works(owner)[0], "ann")
    for sql in ("UPDATE decision SET verdict = 'exclude'", "DELETE FROM decision"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            ann.execute(sql)
        with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            owner.conn.execute(sql)
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        ann.execute("DELETE FROM source_record")
    assert [e["verdict"] for e in owner.decision_events()] == ["include"]


def test_blinded_reviewers_read_only_their_own_verdicts_until_the_lead_unblinds(team):
    owner, connect, _ = team
    ann, bob, lee, cat = (connect(r) for r in ("ann", "bob", "lee", "cat"))
    work = _works(owner)[0]
    _insert(ann, work, "ann", "include")
    _insert(bob, work, "bob", "exclude")
    seen = lambda conn: sorted(r[0] for r in conn.execute("SELECT reviewer FROM decision"))  # noqa: E731
    assert seen(ann) == ["ann"] and seen(bob) == ["bob"]
    assert seen(lee) == ["ann", "bob"] and seen(cat) == ["ann", "bob"]      # the lead; a resolver
    with pytest.raises(psycopg.errors.InsufficientPrivilege):                # only the lead unblinds
        ann.execute("INSERT INTO blinding (stage, action, lead, time) VALUES ('title_abstract', 'unblind', 'ann', '')")
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
        lee.execute("INSERT INTO blinding (stage, action, lead, time) VALUES ('title_abstract', 'unblind', 'ann', '')")
    lee.execute("INSERT INTO blinding (stage, action, lead, time) VALUES ('title_abstract', 'unblind', 'lee', '')")
    assert seen(ann) == ["ann", "bob"] and seen(bob) == ["ann", "bob"]
    _insert(ann, work, "ann", "include", stage="full_text")                # another stage stays blinded
    assert sorted(r[0] for r in bob.execute("SELECT reviewer FROM decision WHERE stage = 'full_text'")) == []


def test_a_reviewer_screens_through_the_store_as_themselves(team, postgres_database):
    owner, _, _ = team
    ann = open_store(postgres_database.replace("postgresql://postgres@", "postgresql://ann@"))
    work = _works(owner)[0]
    event = ann.add_decision(work, "title_abstract", "ann", verdict="include")
    assert ann.decision_event(event)["verdict"] == "include" and ann.screened_works("ann", "title_abstract") == {work}
    with pytest.raises(StoreError, match="refused this to ann: new row violates row-level security"):
        ann.add_decision(work, "title_abstract", "bob", verdict="include")
    ann.close()


def test_what_a_reviewer_may_not_do_at_the_command_line_is_one_line(team, postgres_database, capsys):
    _, _, protocol = team
    (protocol.parent / "a.ris").write_text(RIS + "TY  - JOUR\nTI  - A third\nER  - \n", encoding="utf-8")
    ann = postgres_database.replace("postgresql://postgres@", "postgresql://ann@")
    assert main(["--store", ann, "run", str(protocol)]) == 2           # imports are the owner's
    err = capsys.readouterr().err
    assert err.startswith("searchflow: error: the store's server refused this to ann: permission denied for table")
    assert err.count("\n") == 1 and "Traceback" not in err


def test_a_team_needs_a_server_store(tmp_path, capsys):
    protocol = tmp_path / "review.toml"
    protocol.write_text('[review]\ntitle = "T"\n[screening]\nreviewers = ["ann", "bob"]\n', encoding="utf-8")
    assert main(["team", "init", str(protocol)]) == 2
    assert "a team needs a PostgreSQL store" in capsys.readouterr().err
