"""Where a state lives: one document, the save before it, and a lock naming its holder.

A backend stores bytes; what they say (lineage, serial, project) is the store's business.
Every backend keeps the same promises, checked by one contract test suite against real
servers (``tests/state/backends``):

- **Conditional writes.** :meth:`StateBackend.read` gives the document with an opaque
  version token; :meth:`StateBackend.write` replaces it only while that token is still the
  current one (``expected=None``: only while there is no document). A lost race raises
  :class:`StateConflict` and writes nothing, so of two runs that read the same version at
  most one saves over it.
- **A backup.** A write that replaces a document keeps the replaced one:
  :meth:`StateBackend.read_backup`.
- **A lock naming its holder** (owner, host, pid, operation, created, id).
  :meth:`StateBackend.try_lock` takes it, taking over one whose holder is provably gone, or
  says who holds it; :class:`BackendLock` waits for it up to a timeout on an injectable
  clock and refuses naming the holder; :meth:`StateBackend.unlock` removes a lock by its id.
  A backend that cannot see whether a holder on another machine still runs (S3) gives its
  lock a lease (:attr:`StateBackend.lease`), which :class:`BackendLock` renews while it holds
  it; a lock whose lease expired counts as its holder's gone.
- **No secrets.** :attr:`StateBackend.location` and every message name the server without
  credentials.

The backends: :mod:`reconciler.state.backends.postgres` and
:mod:`reconciler.state.backends.s3` (each imports its client library on first use: the
``postgres-state`` and ``s3`` extras). URLs are parsed by :mod:`reconciler.state.location`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Protocol

from reconciler.clock import Clock, SystemClock
from reconciler.duration import format_duration
from reconciler.errors import ConfigError, Interrupted, StateError, StateLocked
from reconciler.state.location import PostgresUrl, RemoteLocation
from reconciler.state.lock import (
    HolderStatus,
    Liveness,
    LockInfo,
    current_user,
    format_time,
    process_start,
    this_host,
)

logger = logging.getLogger("reconciler.state")

POLL_SECONDS = 1.0
"""How often a run waiting for the lock (``--lock-timeout``) asks again."""

DEFAULT_ENVIRONMENT = "default"


@dataclass(frozen=True)
class Document:
    """The state's bytes as stored, and the token that names this version of them."""

    data: bytes = field(repr=False)
    version: str


@dataclass(frozen=True)
class StateKey:
    """Which state of a shared store (a PostgreSQL table holds many): project, environment."""

    project: str
    environment: str = DEFAULT_ENVIRONMENT


@dataclass(frozen=True)
class Acquired:
    """The lock is this run's. ``replaced``: the stale lock it took over, ``reason`` why."""

    replaced: LockInfo | None = None
    reason: str = ""


@dataclass(frozen=True)
class Held:
    """Who holds the lock (``None``: a lock is there but says nobody) and whether they run."""

    holder: LockInfo | None
    status: HolderStatus


class StateBackend(Protocol):
    """Where one state lives. Methods raise :class:`StateError` subclasses only:
    :class:`StateConflict` for a lost write, :class:`StateLocked` for the lock,
    :class:`StateUnreachable` when the server does not answer."""

    @property
    def location(self) -> str:
        """Where the state is, for messages: never with a password."""
        ...

    @property
    def lease(self) -> float | None:
        """Seconds a lock holds unless renewed (``None``: it holds while its holder's
        connection does)."""
        ...

    def read(self) -> Document | None:
        """The current document, or ``None`` when none was written yet."""
        ...

    def write(self, data: bytes, *, expected: str | None) -> str:
        """Replace the document with ``data`` if its version is still ``expected``
        (``None``: if there is no document); returns the new version.

        The replaced document becomes the backup. Raises :class:`StateConflict`, having
        written nothing, when the version moved on.
        """
        ...

    def read_backup(self) -> bytes | None:
        """The document the last write replaced, if any."""
        ...

    def try_lock(self, info: LockInfo) -> Acquired | Held:
        """Take the lock for ``info``, or say who holds it; never waits.

        A lock whose holder is provably gone is taken over (:class:`Acquired` names it).
        """
        ...

    def check_lock(self, info: LockInfo) -> None:
        """Raise :class:`StateLocked` unless the lock is still ``info``'s."""
        ...

    def renew_lock(self, info: LockInfo, *, force: bool = False) -> bool:
        """Renew the lease of ``info``'s lock when a third of it has passed (``force``: now);
        False when the lock is no longer ``info``'s."""
        ...

    def release_lock(self, info: LockInfo) -> bool:
        """Free the lock if it is still ``info``'s; False when it was not (any more)."""
        ...

    def read_lock(self) -> Held | None:
        """Who holds the lock and whether they run; ``None`` when it is free."""
        ...

    def unlock(self, lock_id: str, *, force: bool = False) -> LockInfo:
        """Remove the lock whose id is ``lock_id`` (by hand); returns what it said.

        Refused (:class:`StateLocked`) when the lock is another, or its holder provably
        runs and not ``force``.
        """
        ...

    def close(self) -> None:
        """Let go of connections (and so of any lock still held through them)."""
        ...


def open_backend(
    location: RemoteLocation,
    key: StateKey,
    *,
    clock: Clock | None = None,
    report: Callable[[str], None] | None = None,
) -> StateBackend:
    """The backend for a remote location; ``report`` hears one-off notices (a table made).

    ``key`` picks the state in a store that holds many (PostgreSQL); an S3 URL names its
    object itself. Raises :class:`ConfigError` when the client library is not installed.
    """
    if isinstance(location, PostgresUrl):
        try:
            from reconciler.state.backends.postgres import PostgresBackend
        except ImportError:
            raise _missing_library("PostgreSQL", "psycopg", "postgres-state") from None
        return PostgresBackend(location, key, clock=clock, report=report)
    try:
        from reconciler.state.backends.s3 import S3Backend
    except ImportError:
        raise _missing_library("S3", "boto3", "s3") from None
    return S3Backend(location, clock=clock)


def _missing_library(server: str, library: str, extra: str) -> ConfigError:
    return ConfigError(
        f"a state in {server} needs {library}, which is not installed",
        hint=f"Install it with: pip install 'contract-reconciler[{extra}]'",
    )


def new_lock_info(operation: str, clock: Clock) -> LockInfo:
    """What this run writes into a lock it takes: who, where, for what, since when."""
    here = this_host()
    return LockInfo(
        boot_id=here.boot_id,
        created=clock.now(),
        host=here.name,
        id=str(uuid.uuid4()),
        operation=operation,
        owner=current_user(),
        pid=os.getpid(),
        pid_namespace=here.pid_namespace,
        process_start=process_start(os.getpid()),
    )


class BackendLock:
    """Holds a backend's lock for the length of a ``with`` block.

    Acquiring asks every ``poll`` clock seconds for up to ``timeout`` clock seconds (0:
    refuse at once), then refuses naming the holder. ``report`` hears one line when it
    starts to wait and one when it takes over a stale lock. Released on leaving the block,
    also on exceptions, only if the lock is still this one's.
    """

    def __init__(
        self,
        backend: StateBackend,
        operation: str,
        clock: Clock | None = None,
        *,
        timeout: float = 0.0,
        report: Callable[[str], None] | None = None,
        poll: float = POLL_SECONDS,
    ) -> None:
        self.backend = backend
        self.operation = operation
        self.clock: Clock = clock or SystemClock()
        self.timeout = max(0.0, timeout)
        self.report = report or (lambda line: logger.warning("%s", line))
        self.poll = poll
        self._info: LockInfo | None = None
        self._keeper: LeaseKeeper | None = None

    @property
    def held(self) -> bool:
        return self._info is not None

    @property
    def info(self) -> LockInfo | None:
        """What this lock recorded about its holder, while it is held."""
        return self._info

    def acquire(self) -> LockInfo:
        if self._info is not None:
            raise RuntimeError(f"{self.backend.location}: this lock is already held")
        info = new_lock_info(self.operation, self.clock)
        deadline = self.clock.monotonic() + self.timeout
        waiting = False
        while True:
            attempt = self.backend.try_lock(info)
            if isinstance(attempt, Acquired):
                self._info = info
                self._keep_lease(info)
                if attempt.replaced is not None:
                    self.report(
                        f"Took over the state lock of "
                        f"{attempt.replaced.describe(self.clock.now())}: {attempt.reason}."
                    )
                return info
            left = deadline - self.clock.monotonic()
            if left <= 0:
                waited = self.timeout if waiting else None
                raise locked_error(self.backend.location, attempt, self.clock.now(), waited)
            if not waiting:
                waiting = True
                self.report(self._waiting_line(attempt))
            _pause(self.clock, min(self.poll, left))

    def _waiting_line(self, attempt: Held) -> str:
        by = (
            f"locked by {attempt.holder.describe(self.clock.now())}"
            if attempt.holder
            else f"locked ({attempt.status.reason})"
        )
        return (
            f"The state {self.backend.location} is {by}; waiting up to "
            f"{format_duration(self.timeout)} for it (--lock-timeout)."
        )

    def ensure_held(self) -> None:
        """Raise :class:`StateLocked` unless the backend's lock is still this one."""
        if self._info is None:
            raise RuntimeError(f"{self.backend.location}: the lock is not held")
        self.backend.check_lock(self._info)

    def _keep_lease(self, info: LockInfo) -> None:
        lease = self.backend.lease
        if lease is not None:
            self._keeper = LeaseKeeper(self.backend, info, period=min(1.0, lease / 6))
            self._keeper.start()

    def release(self) -> None:
        keeper, self._keeper = self._keeper, None
        if keeper is not None:
            keeper.stop()
        info, self._info = self._info, None
        if info is not None and not self.backend.release_lock(info):
            logger.warning(
                "%s: the lock %s was removed by someone else", self.backend.location, info.id
            )

    def __enter__(self) -> BackendLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()


class LeaseKeeper(threading.Thread):
    """Renews a held lock's lease while the run works: it looks every ``period`` real
    seconds, and the backend renews when a third of the lease has passed on its clock (so a
    manual clock decides when, in tests). A renewal that fails for a moment is tried again;
    one that finds the lock taken ends the keeper, and the run's next save stops."""

    def __init__(self, backend: StateBackend, info: LockInfo, *, period: float) -> None:
        super().__init__(name="reconciler-lease", daemon=True)
        self.backend = backend
        self.info = info
        self.period = period
        self._stopped = threading.Event()

    def run(self) -> None:
        while not self._stopped.wait(self.period):
            try:
                if not self.backend.renew_lock(self.info):
                    return
            except StateError as error:
                logger.warning("%s: the lease was not renewed: %s", self.backend.location, error)

    def stop(self) -> None:
        self._stopped.set()
        if self.is_alive() and self is not threading.current_thread():
            self.join()


def locked_error(
    location: str, held: Held, now: datetime, waited: float | None = None
) -> StateLocked:
    """The refusal of a run that finds the state locked: who holds it and what to do."""
    if held.holder is None:
        message = (
            f"{location}: the state is locked, and its lock names no holder ({held.status.reason})"
        )
        hint = "A run may be taking the lock right now; run again in a moment."
    else:
        message = f"{location}: the state is locked by {held.holder.describe(now)}"
        if held.status.gone:
            message += f"; the lock looks stale: {held.status.reason}"
        hint = unlock_hint(held.holder, held.status)
    if waited is not None:
        message += f" (waited {format_duration(waited)})"
    return StateLocked(message, hint=hint)


def unlock_hint(holder: LockInfo, status: HolderStatus) -> str:
    command = f"reconciler state unlock {holder.id}"
    if status.gone:
        return f"That run died without releasing the lock. Remove it with: {command}"
    if holder.expires is not None and status.liveness is not Liveness.ALIVE:
        return (
            f"That run renews its lease while it runs; its lease runs until "
            f"{format_time(holder.expires)}. Wait for it with --lock-timeout (e.g. "
            "--lock-timeout 5m): if that run was killed, the lock is taken over once its "
            f"lease expires. To remove it now: {command}"
        )
    if status.liveness is Liveness.ALIVE:
        return (
            f"That run is still going: {status.reason}. Wait for it to finish, or wait for "
            f"it with --lock-timeout (e.g. --lock-timeout 5m). Only if it hangs: {command} "
            "--force"
        )
    return (
        "Wait for that run to finish (--lock-timeout waits for it). If it is gone (for "
        f"example its CI job was killed on another machine), remove the lock with: {command}"
    )


def lost_lock(
    location: str,
    info: LockInfo,
    now: datetime,
    taker: LockInfo | None,
    *,
    lease_expired: bool = False,
) -> StateLocked:
    """The error of a run that finds, before writing, that its lock is gone (removed by
    hand, or taken over once its lease expired)."""
    taken = f" and {taker.describe(now)} took it" if taker is not None else ""
    why = (
        "This run did not renew its lease in time (it was stopped, or cut off from the "
        "state's server, for longer than the lease), so another run took the lock over."
        if lease_expired
        else "Someone ran `reconciler state unlock --force` on a live run."
    )
    return StateLocked(
        f"{location}: this run's lock {info.id} was removed{taken} while the run was "
        "writing the state; it stopped so that two runs never write it",
        hint=f"{why} Re-run when no other run is active: the state is a cache and a re-run "
        "converges.",
    )


def _pause(clock: Clock, seconds: float) -> None:
    try:
        asyncio.run(clock.sleep(seconds))
    except KeyboardInterrupt:
        raise Interrupted("interrupted while waiting for the state lock") from None
