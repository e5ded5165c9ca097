"""The state lock: at most one run writes a state file at a time.

The lock is a file next to the state (``state.json.lock``) created with ``O_CREAT|O_EXCL``,
which the operating system guarantees only one process wins. It holds who took it, so a
refused run can say who holds it and since when, and whether the holder looks dead. A lock is
only ever removed by the run that took it, or by a person naming its id
(``reconciler state unlock ID``): nothing breaks a lock on its own, because a process on
another host cannot be checked.
"""

from __future__ import annotations

import contextlib
import getpass
import logging
import os
import socket
import sys
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import TracebackType

from pydantic import AwareDatetime, BaseModel, ConfigDict, ValidationError, field_validator

from reconciler.clock import Clock, SystemClock
from reconciler.errors import StateError, StateLocked

logger = logging.getLogger("reconciler.state")


class LockInfo(BaseModel):
    """What a lock file says about its holder."""

    # Tolerant: a lock written by a newer reconciler must still be reported, not refused.
    model_config = ConfigDict(extra="ignore", frozen=True)

    created: AwareDatetime
    host: str
    id: str
    operation: str
    owner: str
    pid: int

    @field_validator("created")
    @classmethod
    def _in_utc(cls, value: datetime) -> datetime:
        return value.astimezone(timezone.utc)

    def looks_stale(self, host: str | None = None) -> bool:
        """True when the holder ran on this host and its process is gone."""
        return self.host == (host or current_host()) and not pid_alive(self.pid)

    def describe(self, now: datetime) -> str:
        """``alice@ci-7 (pid 42, operation "apply") since 2026-...Z (5 minutes ago)``."""
        return (
            f'{self.owner}@{self.host} (pid {self.pid}, operation "{self.operation}") '
            f"since {format_time(self.created)} ({format_age(now - self.created)})"
        )


def lock_path_for(state_path: Path) -> Path:
    return state_path.with_name(state_path.name + ".lock")


def read_lock(state_path: Path) -> LockInfo | None:
    """The lock on a state file, or ``None`` when it is not locked.

    Raises :class:`StateLocked` when a lock file exists but cannot be read: the state is
    locked all the same.
    """
    path = lock_path_for(state_path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise _unreadable(state_path, f"{error.strerror or error}") from None
    try:
        return LockInfo.model_validate_json(data)
    except ValidationError:
        why = "it is empty" if not data.strip() else "it is not a lock written by reconciler"
        raise _unreadable(state_path, why) from None


def unlock(state_path: Path, lock_id: str, *, clock: Clock | None = None) -> LockInfo:
    """Remove the lock of a state file if its id is ``lock_id``; returns what was removed."""
    now = (clock or SystemClock()).now()
    info = read_lock(state_path)
    path = lock_path_for(state_path)
    if info is None:
        raise StateError(
            f"{state_path}: the state is not locked (there is no {path.name})",
            hint="Nothing to unlock; run the command that reported the lock again.",
        )
    if info.id != lock_id:
        raise StateLocked(
            f"{state_path}: the lock is not {lock_id}: it is {info.id}, held by "
            f"{info.describe(now)}",
            hint=_unlock_hint(info),
        )
    try:
        path.unlink()
    except FileNotFoundError:
        pass  # its holder released it meanwhile: the outcome asked for
    except OSError as error:
        raise StateError(
            f"{path}: cannot remove the lock file ({error.strerror or error})",
            hint="Check the permissions of the state directory.",
        ) from None
    return info


class StateLock:
    """Holds the lock of a state file for the length of a ``with`` block.

    Released on leaving the block, also on exceptions; releasing removes the lock file only if
    it is still this lock's (someone may have unlocked it by hand meanwhile).
    """

    def __init__(self, state_path: Path, operation: str, clock: Clock | None = None) -> None:
        self.state_path = state_path
        self.path = lock_path_for(state_path)
        self.operation = operation
        self.clock: Clock = clock or SystemClock()
        self._info: LockInfo | None = None

    @property
    def held(self) -> bool:
        return self._info is not None

    @property
    def info(self) -> LockInfo | None:
        """What this lock wrote into its file, while it is held."""
        return self._info

    def acquire(self) -> LockInfo:
        if self._info is not None:
            raise RuntimeError(f"{self.path}: this lock is already held")
        info = LockInfo(
            created=self.clock.now(),
            host=current_host(),
            id=str(uuid.uuid4()),
            operation=self.operation,
            owner=current_user(),
            pid=os.getpid(),
        )
        data = info.model_dump_json(indent=2).encode("utf-8") + b"\n"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise _cannot_lock(self.path, error) from None
        # A holder may release between our failed create and our read: try again then.
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                holder = read_lock(self.state_path)
                if holder is None:
                    continue
                raise locked_error(self.state_path, holder, self.clock.now()) from None
            except OSError as error:
                raise _cannot_lock(self.path, error) from None
            try:
                os.write(fd, data)
                os.fsync(fd)
            except OSError as error:
                os.close(fd)
                self.path.unlink(missing_ok=True)
                raise _cannot_lock(self.path, error) from None
            os.close(fd)
            self._info = info
            return info
        raise StateLocked(
            f"{self.state_path}: the state lock keeps changing hands",
            hint="Another run is starting at the same moment; try again when it is done.",
        )

    def ensure_held(self) -> None:
        """Raise :class:`StateLocked` unless the lock file on disk is still this lock."""
        if self._info is None:
            raise RuntimeError(f"{self.path}: the lock is not held")
        current = read_lock(self.state_path)
        if current is None or current.id != self._info.id:
            taken = f" and {current.describe(self.clock.now())} took it" if current else ""
            raise StateLocked(
                f"{self.state_path}: this run's lock {self._info.id} was removed{taken} while "
                "the run was writing the state; it stopped so that two runs never write it",
                hint="Someone ran `reconciler state unlock` on a live run. Re-run when no "
                "other run is active: the state is a cache and a re-run converges.",
            )

    def release(self) -> None:
        info, self._info = self._info, None
        if info is None:
            return
        try:
            current = read_lock(self.state_path)
        except StateLocked:
            current = None
        if current is None or current.id != info.id:
            logger.warning("%s: the lock %s was removed by someone else", self.path, info.id)
            return
        try:
            self.path.unlink()
        except OSError as error:
            logger.warning("%s: cannot remove the lock file: %s", self.path, error)

    def __enter__(self) -> StateLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()


def locked_error(state_path: Path, holder: LockInfo, now: datetime) -> StateLocked:
    stale = holder.looks_stale()
    message = f"{state_path}: the state is locked by {holder.describe(now)}"
    if stale:
        message += f"; the lock looks stale: process {holder.pid} is no longer running"
    return StateLocked(message, hint=_unlock_hint(holder, stale=stale))


def _unlock_hint(holder: LockInfo, *, stale: bool | None = None) -> str:
    stale = holder.looks_stale() if stale is None else stale
    command = f"reconciler state unlock {holder.id}"
    if stale:
        return f"That run died without releasing the lock. Remove it with: {command}"
    return (
        f"Wait for that run to finish. If it is gone (for example its CI job was killed), "
        f"remove the lock with: {command}"
    )


def _unreadable(state_path: Path, why: str) -> StateLocked:
    path = lock_path_for(state_path)
    return StateLocked(
        f"{state_path}: the state is locked, but the lock file {path} cannot be read ({why})",
        hint=f"A run may be taking the lock right now. If no other run is active, delete {path}.",
    )


def _cannot_lock(path: Path, error: OSError) -> StateError:
    return StateError(
        f"{path}: cannot create the state lock ({error.strerror or error})",
        hint="Check that the state directory exists and is writable.",
    )


def pid_alive(pid: int) -> bool:
    """Whether a process with this id runs on this host (unknown counts as alive)."""
    if sys.platform == "win32" or pid <= 0:
        return True  # os.kill would terminate the process on Windows
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # e.g. it belongs to another user
    return True


def current_host() -> str:
    return socket.gethostname()


def current_user() -> str:
    with contextlib.suppress(OSError, KeyError, ImportError):
        return getpass.getuser()
    return str(os.getuid()) if hasattr(os, "getuid") else "unknown"


def format_time(instant: datetime) -> str:
    return instant.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def format_age(age: timedelta) -> str:
    seconds = int(age.total_seconds())
    if seconds < 0:
        return "in the future: check the clocks"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "just now"
