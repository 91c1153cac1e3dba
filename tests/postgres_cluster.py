"""A throwaway PostgreSQL cluster for the tests: initdb into a temporary folder, the server
listening on a Unix socket in that folder only (no TCP), stopped and removed afterwards.

Written here rather than taken from pytest-postgresql: that plugin runs the server as the
current user and wants a TCP port, while CI runs as root, which initdb refuses; here the
cluster runs as an unprivileged user when the tests run as root.
"""
from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

# Faster, not safer: the cluster lives for one test run.
_SETTINGS = {
    "listen_addresses": "''",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "100",
}


def find_binaries() -> Path | None:
    """The folder holding initdb and pg_ctl: on PATH, else Debian's /usr/lib/postgresql/N/bin."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).parent
    folders = [Path(p) for p in glob.glob("/usr/lib/postgresql/*/bin")]
    for folder in sorted(folders, key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0, reverse=True):
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    return None


class Cluster:
    """A running cluster; :meth:`new_database` gives each test an empty database of its own."""

    def __init__(self, binaries: Path):
        self.binaries = binaries
        self.root = Path(tempfile.mkdtemp(prefix="searchflow-pg-"))
        self.data = self.root / "data"
        self.user = None
        if os.geteuid() == 0:        # initdb refuses root: the server runs as nobody
            self.user = "nobody"
            entry = pwd.getpwnam(self.user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self._names = itertools.count(1)

    def _run(self, *args: str) -> None:
        done = subprocess.run([str(self.binaries / args[0]), *args[1:]], user=self.user,
                              capture_output=True, text=True, cwd=self.root)
        if done.returncode:
            raise RuntimeError(f"{args[0]} failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")

    def start(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--no-locale", "--no-sync")
        with open(self.data / "postgresql.conf", "a") as conf:
            for key, value in {**_SETTINGS, "unix_socket_directories": f"'{self.root}'"}.items():
                conf.write(f"{key} = {value}\n")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-w", "start")

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres", user: str = "postgres") -> str:
        return f"postgresql://{user}@/{database}?host={self.root}"

    def admin(self, sql: str) -> None:
        """Run one statement as the superuser, outside a transaction (CREATE DATABASE needs that)."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(sql)

    def new_database(self) -> str:
        """The URL of a new, empty database."""
        name = f"review_{next(self._names)}"
        self.admin(f"CREATE DATABASE {name}")
        return self.url(name)

    def drop_database(self, url: str) -> None:
        self.admin(f"DROP DATABASE IF EXISTS {urlsplit(url).path.lstrip('/')} WITH (FORCE)")
