"""A state in PostgreSQL: one row per (project, environment), with its backup, and a lock
that holds across runners and frees itself when its holder's connection ends.

Tables (made on first use if missing, said once; ``docs/state-backends.md`` has the DDL):

- ``reconciler_state``: the document (``bytea``), a ``generation`` that every write bumps (the
  version token), ``lineage`` and ``serial`` copied out of the document for cheap checks,
  and ``backup`` (with its lineage and serial), the document the last write replaced.
- ``reconciler_state_lock``: who holds the lock (owner, host, pid, operation, created, id)
  and ``session_pid``, the server process of the holder's connection.

A write is one ``UPDATE ... WHERE generation = <read>``: it replaces the document and moves
the old one into ``backup`` in the same statement, or touches no row (another run wrote
first: :class:`StateConflict`). The first write is an ``INSERT ... ON CONFLICT DO NOTHING``.

The lock is a session-level advisory lock on the backend's connection, kept open for the
run, plus the lock row naming its holder. PostgreSQL lets one session at a time hold the
advisory lock, whatever machine it runs on, and ends it with the session: a SIGKILLed run's
socket closes, its server process exits and the lock is free. The next run takes the lock
and replaces the dead run's row, saying whose. TCP keepalives on both ends (30 s idle, then
3 probes 10 s apart) end the session of a runner that vanished without closing its socket.

Credentials come from libpq: the URL, or ``PGHOST``, ``PGPORT``, ``PGUSER``,
``PGDATABASE``, ``PGPASSWORD`` (or ``~/.pgpass``) for what the URL leaves out. No message
holds a password: each is built from the host, port, user and the server's reason, and
scrubbed of the password besides.
"""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import logging
import os
import re
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from reconciler.clock import Clock, SystemClock
from reconciler.errors import ConfigError, StateConflict, StateError, StateLocked, StateUnreachable
from reconciler.state.backend import Acquired, Document, Held, StateKey, lost_lock, unlock_hint
from reconciler.state.location import PostgresUrl, scrub
from reconciler.state.lock import HolderStatus, Liveness, LockInfo

logger = logging.getLogger("reconciler.state")

STATE_TABLE = "reconciler_state"
LOCK_TABLE = "reconciler_state_lock"

# Client side (libpq): notice a dead server. Server side (per session): end the session of
# a runner that vanished, and with it its advisory lock.
_CLIENT_DEFAULTS = {
    "connect_timeout": "10",
    "application_name": "reconciler",
    "keepalives": "1",
    "keepalives_idle": "30",
    "keepalives_interval": "10",
    "keepalives_count": "3",
}
_ENVIRONMENT_OF = {"connect_timeout": "PGCONNECT_TIMEOUT", "application_name": "PGAPPNAME"}
_SESSION_SETTINGS = (
    "SET tcp_keepalives_idle = 30; SET tcp_keepalives_interval = 10; SET tcp_keepalives_count = 3"
)
_AUTHENTICATION = re.compile(
    r"authentication failed|no password supplied|password is required|pg_hba\.conf|"
    r"role \S+ does not exist",
    re.IGNORECASE,
)
_NO_DATABASE = re.compile(r'database "[^"]*" does not exist', re.IGNORECASE)

_STATE_DDL = """
CREATE TABLE IF NOT EXISTS {table} (
    project text NOT NULL,
    environment text NOT NULL,
    generation bigint NOT NULL,
    document bytea NOT NULL,
    lineage text,
    serial bigint,
    backup bytea,
    backup_lineage text,
    backup_serial bigint,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project, environment)
)"""
_LOCK_DDL = """
CREATE TABLE IF NOT EXISTS {table} (
    project text NOT NULL,
    environment text NOT NULL,
    id text NOT NULL,
    owner text NOT NULL,
    host text NOT NULL,
    pid integer NOT NULL,
    operation text NOT NULL,
    created timestamptz NOT NULL,
    session_pid integer NOT NULL,
    PRIMARY KEY (project, environment)
)"""
_LOCK_COLUMNS = "id, owner, host, pid, operation, created, session_pid"
_ATTEMPTS = 20

Connection = psycopg.Connection[tuple[Any, ...]]


class PostgresBackend:
    """The state of ``key`` in the database ``url`` names (see the module's docstring).

    One connection, opened on first use and kept until :meth:`close`, carries every call:
    the advisory lock lives exactly as long as it. ``report`` hears the one line said when
    the tables are created.
    """

    def __init__(
        self,
        url: PostgresUrl,
        key: StateKey,
        *,
        clock: Clock | None = None,
        report: Callable[[str], None] | None = None,
    ) -> None:
        self.url = url
        self.key = key
        self.clock: Clock = clock or SystemClock()
        self._report = report or (lambda line: logger.warning("%s", line))
        self._server = _Server.of(url)
        self._state = sql.Identifier(url.schema, STATE_TABLE)
        self._lock = sql.Identifier(url.schema, LOCK_TABLE)
        self._advisory = _advisory_key(f"state\0{url.schema}\0{key.project}\0{key.environment}")
        self._connection: Connection | None = None
        self._holding: str | None = None  # the id of the lock held through the connection

    # The lock holds while the holder's session does: no lease to renew.
    lease: float | None = None

    @property
    def location(self) -> str:
        return (
            f"{self.url.shown} (table {self.url.schema}.{STATE_TABLE}, project "
            f'"{self.key.project}", environment "{self.key.environment}")'
        )

    # -- the document ----------------------------------------------------------------------

    def read(self) -> Document | None:
        with self._speaking("reading the state") as connection:
            row = connection.execute(
                sql.SQL(
                    "SELECT generation, document FROM {} WHERE project = %s AND environment = %s"
                ).format(self._state),
                self._where(),
                binary=True,
            ).fetchone()
        return None if row is None else Document(bytes(row[1]), str(row[0]))

    def write(self, data: bytes, *, expected: str | None) -> str:
        lineage, serial = _summary(data)
        with self._speaking("saving the state") as connection:
            if expected is None:
                row = connection.execute(
                    sql.SQL(
                        "INSERT INTO {} (project, environment, generation, document, lineage, "
                        "serial) VALUES (%s, %s, 1, %s, %s, %s) "
                        "ON CONFLICT (project, environment) DO NOTHING RETURNING generation"
                    ).format(self._state),
                    (*self._where(), data, lineage, serial),
                ).fetchone()
            else:
                row = connection.execute(
                    sql.SQL(
                        # Every right-hand side reads the row as it was: the replaced document
                        # moves into the backup in the same statement.
                        "UPDATE {} SET backup = document, backup_lineage = lineage, "
                        "backup_serial = serial, document = %s, lineage = %s, serial = %s, "
                        "generation = generation + 1, updated_at = now() "
                        "WHERE project = %s AND environment = %s AND generation = %s "
                        "RETURNING generation"
                    ).format(self._state),
                    (data, lineage, serial, *self._where(), _generation(expected)),
                ).fetchone()
            if row is None:
                raise self._conflict(connection, expected)
        return str(row[0])

    def _conflict(self, connection: Connection, expected: str | None) -> StateConflict:
        current = connection.execute(
            sql.SQL(
                "SELECT generation, serial FROM {} WHERE project = %s AND environment = %s"
            ).format(self._state),
            self._where(),
        ).fetchone()
        if current is None:
            now = "it was deleted meanwhile"
        else:
            saved = f"serial {current[1]}" if current[1] is not None else "a new version"
            now = (
                f"another run saved {saved} meanwhile"
                if expected is not None
                else f"another run created it meanwhile ({saved})"
            )
        return StateConflict(
            f"{self.location}: the state changed since this run read it: {now}; this run "
            "wrote nothing",
            hint="Run the command again: it reads the new state. Runs that hold the lock "
            "never meet this; another run saved without it.",
        )

    def read_backup(self) -> bytes | None:
        with self._speaking("reading the state's backup") as connection:
            row = connection.execute(
                sql.SQL("SELECT backup FROM {} WHERE project = %s AND environment = %s").format(
                    self._state
                ),
                self._where(),
                binary=True,
            ).fetchone()
        return None if row is None or row[0] is None else bytes(row[0])

    # -- the lock --------------------------------------------------------------------------

    def try_lock(self, info: LockInfo) -> Acquired | Held:
        if self._holding is not None:
            raise RuntimeError(f"{self.location}: this backend already holds the lock")
        with self._speaking("taking the state lock") as connection:
            for _ in range(_ATTEMPTS):
                got = connection.execute(
                    "SELECT pg_try_advisory_lock(%s)", (self._advisory,)
                ).fetchone()
                if got is not None and got[0]:
                    break
                held = self._held_by_other(connection)
                if held is not None:
                    return held
                # Freed between our two looks: try again at once.
            else:
                return Held(None, HolderStatus(Liveness.ALIVE, "the lock keeps changing hands"))
            try:
                replaced = self._record_holder(connection, info)
            except BaseException:
                with contextlib.suppress(psycopg.Error):
                    connection.execute("SELECT pg_advisory_unlock(%s)", (self._advisory,))
                raise
        self._holding = info.id
        if replaced is None:
            return Acquired()
        return Acquired(
            replaced[0],
            f"its connection to PostgreSQL (server process {replaced[1]}) has ended, which "
            "freed the lock",
        )

    def _record_holder(self, connection: Connection, info: LockInfo) -> tuple[LockInfo, int] | None:
        """Write this run's lock row over any left by a run whose session ended."""
        with connection.transaction():
            old = connection.execute(
                sql.SQL(
                    f"SELECT {_LOCK_COLUMNS} FROM {{}} WHERE project = %s AND environment = %s "
                    "FOR UPDATE"
                ).format(self._lock),
                self._where(),
            ).fetchone()
            connection.execute(
                sql.SQL(
                    "INSERT INTO {} (project, environment, id, owner, host, pid, operation, "
                    "created, session_pid) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, "
                    "pg_backend_pid()) ON CONFLICT (project, environment) DO UPDATE SET "
                    "id = EXCLUDED.id, owner = EXCLUDED.owner, host = EXCLUDED.host, "
                    "pid = EXCLUDED.pid, operation = EXCLUDED.operation, "
                    "created = EXCLUDED.created, session_pid = EXCLUDED.session_pid"
                ).format(self._lock),
                (
                    *self._where(),
                    info.id,
                    info.owner,
                    info.host,
                    info.pid,
                    info.operation,
                    info.created,
                ),
            )
        return None if old is None else (_lock_info(old), int(old[6]))

    def _held_by_other(self, connection: Connection) -> Held | None:
        """Who holds the advisory lock this session could not take; ``None`` if nobody."""
        session = self._advisory_holder(connection)
        if session is None:
            return None
        return _held_by_session(self._lock_row(connection), session)

    def check_lock(self, info: LockInfo) -> None:
        if self._holding != info.id or self._connection is None or self._connection.closed:
            raise self._lost(info)
        try:
            row = self._lock_row(self._connection)
        except psycopg.OperationalError:
            raise self._lost(info) from None
        if row is None or row[0] != info.id:
            taker = _lock_info(row) if row is not None else None
            raise lost_lock(self.location, info, self.clock.now(), taker)

    def renew_lock(self, info: LockInfo, *, force: bool = False) -> bool:
        return self._holding == info.id

    def _lost(self, info: LockInfo) -> StateLocked:
        return StateLocked(
            f"{self.location}: this run's connection to PostgreSQL ended, and with it its "
            f"lock {info.id}; it stopped so that two runs never write the state",
            hint="Check the network between this runner and the database, then re-run: what "
            "was saved before this point is kept.",
        )

    def release_lock(self, info: LockInfo) -> bool:
        if self._holding != info.id or self._connection is None:
            return False
        self._holding = None
        connection = self._connection
        try:
            deleted = connection.execute(
                sql.SQL(
                    "DELETE FROM {} WHERE project = %s AND environment = %s AND id = %s "
                    "RETURNING id"
                ).format(self._lock),
                (*self._where(), info.id),
            ).fetchone()
            connection.execute("SELECT pg_advisory_unlock(%s)", (self._advisory,))
        except psycopg.Error as error:
            # The session is gone, and its advisory lock with it; the row is left for the
            # next run, which replaces it.
            logger.warning("%s: cannot remove the lock row: %s", self.location, self._scrub(error))
            return False
        return deleted is not None

    def read_lock(self) -> Held | None:
        with self._speaking("reading the state lock") as connection:
            row = self._lock_row(connection)
            session = self._advisory_holder(connection)
        if session is None:
            if row is None:
                return None
            return Held(
                _lock_info(row),
                HolderStatus(Liveness.GONE, "its connection to PostgreSQL has ended"),
            )
        return _held_by_session(row, session)

    def unlock(self, lock_id: str, *, force: bool = False) -> LockInfo:
        now = self.clock.now()
        held = self.read_lock()
        if held is None or held.holder is None:
            raise StateError(
                f"{self.location}: the state is not locked"
                + ("" if held is None else f" by a recorded holder ({held.status.reason})"),
                hint="Nothing to unlock; run the command that reported the lock again.",
            )
        holder = held.holder
        if holder.id != lock_id:
            raise StateLocked(
                f"{self.location}: the lock is not {lock_id}: it is {holder.id}, held by "
                f"{holder.describe(now)}",
                hint=unlock_hint(holder, held.status),
            )
        with self._speaking("removing the state lock") as connection:
            if held.status.liveness is Liveness.ALIVE:
                if not force:
                    raise StateLocked(
                        f"{self.location}: the lock {lock_id} is held by "
                        f"{holder.describe(now)}, and that run is still going: "
                        f"{held.status.reason}",
                        hint="Wait for it to finish. To remove its lock all the same, add "
                        "--force: its connection is ended, and that run stops at its next "
                        "save of the state.",
                    )
                self._end_holder_session(connection)
            connection.execute(
                sql.SQL(
                    "DELETE FROM {} WHERE project = %s AND environment = %s AND id = %s"
                ).format(self._lock),
                (*self._where(), lock_id),
            )
        return holder

    def _end_holder_session(self, connection: Connection) -> None:
        session = self._advisory_holder(connection)
        if session is None:
            return
        # From PostgreSQL 14 on, wait (up to 10 s) for the session to end, so that its
        # advisory lock is free when this returns.
        waits = connection.info.server_version >= 140000
        ended = connection.execute(
            "SELECT pg_terminate_backend(%s, 10000)"
            if waits
            else "SELECT pg_terminate_backend(%s)",
            (session,),
        ).fetchone()
        if ended is None or not ended[0]:
            raise StateError(
                f"{self.location}: cannot end the session holding the lock (server process "
                f"{session})",
                hint=f"Ask a database administrator to run: SELECT pg_terminate_backend({session})",
            )

    def _lock_row(self, connection: Connection) -> tuple[Any, ...] | None:
        return connection.execute(
            sql.SQL(
                f"SELECT {_LOCK_COLUMNS} FROM {{}} WHERE project = %s AND environment = %s"
            ).format(self._lock),
            self._where(),
        ).fetchone()

    def _advisory_holder(self, connection: Connection) -> int | None:
        """The server process whose session holds this state's advisory lock, if any."""
        unsigned = self._advisory & 0xFFFF_FFFF_FFFF_FFFF
        row = connection.execute(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
            "AND classid = %s::bigint::oid AND objid = %s::bigint::oid AND objsubid = 1",
            (unsigned >> 32, unsigned & 0xFFFF_FFFF),
        ).fetchone()
        return None if row is None else int(row[0])

    def close(self) -> None:
        connection, self._connection = self._connection, None
        self._holding = None
        if connection is not None:
            with contextlib.suppress(psycopg.Error):
                connection.close()

    def __enter__(self) -> PostgresBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the connection --------------------------------------------------------------------

    def _where(self) -> tuple[str, str]:
        return (self.key.project, self.key.environment)

    @contextlib.contextmanager
    def _speaking(self, doing: str) -> Iterator[Connection]:
        """The connection, with PostgreSQL's failures said as state errors."""
        connection = self._connected()
        try:
            yield connection
        except psycopg.Error as error:
            if connection.broken or connection.closed:
                raise StateUnreachable(
                    f"{self.location}: lost the connection to PostgreSQL at "
                    f"{self._server.address} while {doing} ({self._cause(error)})",
                    hint="Re-running is safe: a save either happened whole or not at all.",
                ) from None
            raise StateError(
                f"{self.location}: PostgreSQL refused {doing}: {self._cause(error)}",
                hint=_privilege_hint(error, self.url.schema),
            ) from None

    def _connected(self) -> Connection:
        if self._connection is not None and not self._connection.closed:
            return self._connection
        if self._holding is not None:
            raise StateLocked(
                f"{self.location}: this run's connection to PostgreSQL ended, and with it its lock",
                hint="Re-run: what was saved before this point is kept.",
            )
        connection = self._connect()
        try:
            self._ensure_tables(connection)
        except BaseException:
            connection.close()
            raise
        self._connection = connection
        return connection

    def _connect(self) -> Connection:
        try:
            conninfo = make_conninfo(self.url.conninfo, **self._server.defaults)
            connection = psycopg.connect(conninfo, autocommit=True)
            connection.execute(_SESSION_SETTINGS)
        except psycopg.Error as error:
            raise self._cannot_connect(error) from None
        return connection

    def _cannot_connect(self, error: psycopg.Error) -> StateError:
        cause = self._cause(error)
        server = self._server
        if _AUTHENTICATION.search(cause):
            return StateError(
                f"{self.location}: PostgreSQL at {server.address} refused user "
                f'"{server.user}": {cause}',
                hint="Give the password in PGPASSWORD (or ~/.pgpass), never in reconciler.yml; "
                "the user comes from the URL or PGUSER.",
            )
        if _NO_DATABASE.search(cause):
            return StateError(
                f"{self.location}: PostgreSQL at {server.address}: {cause}",
                hint="Create the database, or name an existing one in the URL (or PGDATABASE).",
            )
        return StateUnreachable(
            f"{self.location}: cannot reach PostgreSQL at {server.address}: {cause}",
            hint="Check the host and port in the URL (or PGHOST and PGPORT) and that the "
            "server accepts connections from this runner; re-running is safe.",
        )

    def _cause(self, error: psycopg.Error) -> str:
        """What went wrong, in libpq's or the server's words, without any secret."""
        diagnostic = getattr(error, "diag", None)
        primary = getattr(diagnostic, "message_primary", None)
        text = primary or str(error)
        lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
        first = lines[0] if lines else type(error).__name__
        cause = first.rsplit(" failed: ", 1)[-1].removeprefix("FATAL:").strip()
        return self._scrub(cause)

    def _scrub(self, error: object) -> str:
        return scrub(str(error), self._server.secrets)

    def _ensure_tables(self, connection: Connection) -> None:
        found = connection.execute(
            "SELECT to_regclass(format('%%I.%%I', %s::text, %s::text)), "
            "to_regclass(format('%%I.%%I', %s::text, %s::text))",
            (self.url.schema, STATE_TABLE, self.url.schema, LOCK_TABLE),
        ).fetchone()
        if found is not None and found[0] is not None and found[1] is not None:
            return
        try:
            with connection.transaction():
                # Two runs starting on a new database would otherwise race to create them.
                connection.execute(
                    "SELECT pg_advisory_xact_lock(%s)",
                    (_advisory_key(f"setup\0{self.url.schema}"),),
                )
                # Only when missing: even IF NOT EXISTS needs CREATE on the database.
                schema = connection.execute(
                    "SELECT to_regnamespace(%s::text)", (f'"{self.url.schema}"',)
                ).fetchone()
                if schema is None or schema[0] is None:
                    connection.execute(
                        sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(self.url.schema))
                    )
                created = [
                    name
                    for name, ddl in ((STATE_TABLE, _STATE_DDL), (LOCK_TABLE, _LOCK_DDL))
                    if self._create(connection, name, ddl)
                ]
        except psycopg.Error as error:
            raise StateError(
                f"{self.location}: cannot create the tables {self.url.schema}.{STATE_TABLE} "
                f"and {self.url.schema}.{LOCK_TABLE}: {self._cause(error)}",
                hint="Have a database administrator create them (docs/state-backends.md "
                "has the statements) or grant this user CREATE on the schema.",
            ) from None
        if created:
            names = " and ".join(f"{self.url.schema}.{name}" for name in created)
            self._report(
                f"Created {names} in PostgreSQL at {self._server.address} (database "
                f"{self._server.database}) to hold reconciler states."
            )

    def _create(self, connection: Connection, name: str, ddl: str) -> bool:
        exists = connection.execute(
            "SELECT to_regclass(format('%%I.%%I', %s::text, %s::text))",
            (self.url.schema, name),
        ).fetchone()
        if exists is not None and exists[0] is not None:
            return False
        table = sql.Identifier(self.url.schema, name)
        connection.execute(sql.SQL(ddl).format(table=table))
        return True


class _Server:
    """Where the connection goes, for messages, and the connection defaults to add."""

    def __init__(
        self,
        address: str,
        user: str,
        database: str,
        secrets: tuple[str, ...],
        defaults: dict[str, str],
    ) -> None:
        self.address = address
        self.user = user
        self.database = database
        self.secrets = secrets
        self.defaults = defaults

    @classmethod
    def of(cls, url: PostgresUrl) -> _Server:
        try:
            given = conninfo_to_dict(url.conninfo)
        except psycopg.Error as error:
            raise ConfigError(
                f"the state location {url.shown} is not a PostgreSQL URL libpq reads: "
                f"{str(error).strip()}",
                hint="See https://www.postgresql.org/docs/current/libpq-connect.html"
                "#LIBPQ-CONNSTRING for the URL's form and parameters.",
            ) from None

        def setting(name: str, variable: str, default: str) -> str:
            value = given.get(name)
            return str(value) if value else os.environ.get(variable) or default

        host = setting("host", "PGHOST", "localhost")
        port = setting("port", "PGPORT", "5432")
        user = setting("user", "PGUSER", _os_user())
        secrets = tuple(
            str(value) for value in (given.get("password"), os.environ.get("PGPASSWORD")) if value
        )
        defaults = {
            name: value
            for name, value in _CLIENT_DEFAULTS.items()
            if name not in given and not os.environ.get(_ENVIRONMENT_OF.get(name, ""))
        }
        return cls(
            address=f"{host}:{port}",
            user=user,
            database=setting("dbname", "PGDATABASE", user),
            secrets=secrets,
            defaults=defaults,
        )


def _os_user() -> str:
    with contextlib.suppress(Exception):
        return getpass.getuser()
    return "unknown"


def _advisory_key(name: str) -> int:
    """A signed 64-bit advisory lock key for ``name`` (collisions: about 2**-64)."""
    digest = hashlib.blake2b(f"reconciler\0{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _generation(token: str) -> int:
    try:
        return int(token)
    except ValueError:
        raise ValueError(f"{token!r} is not a version of a PostgreSQL state") from None


def _lock_info(row: tuple[Any, ...]) -> LockInfo:
    return LockInfo(
        id=row[0], owner=row[1], host=row[2], pid=row[3], operation=row[4], created=row[5]
    )


def _connected(session: int | None) -> HolderStatus:
    return HolderStatus(
        Liveness.ALIVE,
        f"its connection to PostgreSQL is open (server process {session})",
    )


def _privilege_hint(error: psycopg.Error, schema: str) -> str:
    if isinstance(error, psycopg.errors.InsufficientPrivilege):
        return (
            f"Grant this user SELECT, INSERT, UPDATE and DELETE on {schema}.{STATE_TABLE} and "
            f"{schema}.{LOCK_TABLE} (docs/state-backends.md)."
        )
    return "Re-run; if it fails again, the message above is PostgreSQL's reason."


# The canonical state file puts every top-level key on its own line, indented by two, and
# only structure holds a raw newline: these cannot match inside a value. Both keys come after
# the datasets, so they are looked for from the end.
_LINEAGE_KEY = b'\n  "lineage": "'
_SERIAL = re.compile(rb'\n  "serial": (\d{1,18})\n')


def _summary(data: bytes) -> tuple[str | None, int | None]:
    """The lineage and serial of a canonical state document, found without decoding it
    (they fill the columns for cheap checks); ``None`` for what is not there."""
    lineage = None
    start = data.rfind(_LINEAGE_KEY)
    if start >= 0:
        start += len(_LINEAGE_KEY)
        end = data.find(b'"', start, start + 64)
        lineage = data[start:end].decode("ascii", "replace") if end > start else None
    found = _SERIAL.search(data, max(0, len(data) - 64))
    return lineage, int(found.group(1)) if found is not None else None


def _held_by_session(row: tuple[Any, ...] | None, session: int) -> Held:
    """The lock as held by the live server process ``session``: the holder its row names,
    when the row is that session's."""
    if row is None or int(row[6]) != session:
        return Held(
            None,
            HolderStatus(
                Liveness.ALIVE,
                f"server process {session} holds it and has not recorded its holder yet",
            ),
        )
    return Held(_lock_info(row), _connected(session))
