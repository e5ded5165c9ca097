"""A real PostgreSQL server for tests: a throwaway cluster made with ``initdb`` and started
with ``pg_ctl`` on a free loopback port, in a temporary folder, stopped and removed afterwards.

PostgreSQL refuses to run as root, so when the tests run as root (as in CI containers) the
cluster belongs to the ``postgres`` user (or ``nobody``) and its commands run as that user.
It listens on 127.0.0.1 only, with no Unix socket, and a random password for the ``soda``
superuser (scram-sha-256), so tests exercise a password as real deployments do.

Where PostgreSQL is not installed the tests that need it skip, saying so. With
``RECONCILER_TESTS_NEED_POSTGRES=1`` (``.ci/run`` sets it, after installing Debian's
``postgresql`` when ``initdb`` is missing) nothing skips: a missing server fails its tests,
so they cannot silently vanish in CI.

The fixture ``postgres_server`` (session-scoped, in ``tests/conftest.py``) yields a
:class:`PostgresServer`; ``create_database`` gives each test module its own database.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

REQUIRED_ENV = "RECONCILER_TESTS_NEED_POSTGRES"
SUPERUSER = "soda"
_RUN_AS = ("postgres", "nobody")
_START_ATTEMPTS = 3


def required() -> bool:
    return os.environ.get(REQUIRED_ENV, "") not in ("", "0")


def find_binaries() -> tuple[Path, Path] | None:
    """``initdb`` and ``pg_ctl``: on PATH, or in Debian's /usr/lib/postgresql/N/bin."""
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl:
        return Path(initdb), Path(pg_ctl)
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version, reverse=True):
        candidate = Path(folder)
        if (candidate / "initdb").exists() and (candidate / "pg_ctl").exists():
            return candidate / "initdb", candidate / "pg_ctl"
    return None


def _version(folder: str) -> int:
    number = Path(folder).parent.name
    return int(number) if number.isdigit() else 0


@dataclass(frozen=True)
class Owner:
    """Who the cluster's files and processes belong to."""

    uid: int
    gid: int

    @classmethod
    def for_this_process(cls) -> Owner | None:
        if os.geteuid() != 0:
            return cls(os.geteuid(), os.getegid())
        for name in _RUN_AS:
            try:
                entry = pwd.getpwnam(name)
            except KeyError:
                continue
            return cls(entry.pw_uid, entry.pw_gid)
        return None

    @property
    def switches(self) -> bool:
        return self.uid != os.geteuid()

    def run(self, *command: str | Path) -> subprocess.CompletedProcess[str]:
        options: dict[str, Any] = {}
        if self.switches:
            options = {"user": self.uid, "group": self.gid, "extra_groups": []}
        return subprocess.run(
            [str(part) for part in command],
            capture_output=True,
            text=True,
            check=False,
            env={"PATH": os.environ.get("PATH", ""), "LC_ALL": "C", "LANG": "C"},
            cwd="/",
            **options,
        )


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    user: str
    password: str = field(repr=False)
    folder: Path

    def conninfo(self, database: str = "postgres") -> str:
        return (
            f"host={self.host} port={self.port} user={self.user} "
            f"password={self.password} dbname={database} connect_timeout=10"
        )

    def execute(self, sql: str, *, database: str = "postgres") -> None:
        """Run SQL statements (autocommit, so CREATE DATABASE works)."""
        import psycopg

        with psycopg.connect(self.conninfo(database), autocommit=True) as connection:
            connection.execute(sql.encode("utf-8"))

    def create_database(self, name: str) -> str:
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.execute(f'CREATE DATABASE "{name}"')
        return name

    def data_source(
        self, name: str, database: str, *, password_env: str | None = None
    ) -> dict[str, Any]:
        """A Soda data source configuration for a database of this server; the password is
        ``${env.PASSWORD_ENV}`` when given (the caller sets that variable), else literal."""
        password = f"${{env.{password_env}}}" if password_env else self.password
        return {
            "type": "postgres",
            "name": name,
            "connection": {
                "host": self.host,
                "port": self.port,
                "user": self.user,
                "password": password,
                "database": database,
            },
        }


def missing_reason() -> str | None:
    """Why no server can be started here; None when it can (or must: then it fails)."""
    if required():
        return None
    if find_binaries() is None:
        return (
            "needs PostgreSQL (initdb and pg_ctl, on PATH or in /usr/lib/postgresql/*/bin; "
            "Debian: apt-get install postgresql)"
        )
    if Owner.for_this_process() is None:
        return "needs a non-root user (postgres or nobody) to run PostgreSQL as"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "needs psycopg (installed with the test extras: pip install -e '.[test]')"
    return None


@contextlib.contextmanager
def running_server() -> Iterator[PostgresServer]:
    """Start a throwaway cluster; stop it and remove its folder on the way out."""
    binaries = find_binaries()
    owner = Owner.for_this_process()
    if binaries is None or owner is None:
        raise RuntimeError(missing_reason() or "PostgreSQL is not available here")
    initdb, pg_ctl = binaries
    # Not under pytest's tmp folders: their parents are private to root, and the cluster's
    # owner must reach its folder.
    folder = Path(tempfile.mkdtemp(prefix="reconciler-postgres-"))
    data = folder / "data"
    password = secrets.token_urlsafe(18)
    try:
        pwfile = folder / "pwfile"
        pwfile.write_text(password + "\n", encoding="utf-8")
        os.chmod(pwfile, 0o600)
        if owner.switches:
            for path in (folder, pwfile):
                os.chown(path, owner.uid, owner.gid)
        done = owner.run(
            initdb,
            "-D",
            data,
            "-U",
            SUPERUSER,
            "-A",
            "scram-sha-256",
            f"--pwfile={pwfile}",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
            "--no-instructions",
        )
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{done.stdout}{done.stderr}")
        server = _start(owner, pg_ctl, data, folder / "server.log", password)
        try:
            yield server
        finally:
            owner.run(pg_ctl, "-D", data, "-m", "fast", "-w", "-t", "60", "stop")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _start(owner: Owner, pg_ctl: Path, data: Path, log: Path, password: str) -> PostgresServer:
    problem = ""
    for _ in range(_START_ATTEMPTS):
        # The port is free now; another process may take it before PostgreSQL binds it, so
        # a failed start is retried on a new one.
        port = _free_port()
        settings = (
            f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories='' "
            "-c fsync=off -c full_page_writes=off -c synchronous_commit=off "
            "-c max_connections=40 -c shared_buffers=16MB"
        )
        done = owner.run(pg_ctl, "-D", data, "-l", log, "-o", settings, "-w", "-t", "60", "start")
        if done.returncode == 0:
            return PostgresServer("127.0.0.1", port, SUPERUSER, password, data.parent)
        problem = f"{done.stdout}{done.stderr}{_tail(log)}"
    raise RuntimeError(f"pg_ctl could not start PostgreSQL:\n{problem}")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _tail(log: Path) -> str:
    try:
        return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-20:])
    except OSError:
        return ""


def server_or_skip() -> Iterator[PostgresServer]:
    """The fixture's body: a server, or a skip that says why there is none."""
    reason = missing_reason()
    if reason is not None:
        pytest.skip(reason)
    with running_server() as server:
        yield server
