"""The state lock: at most one run writes a state file at a time.

The lock is a file next to the state (``state.json.lock``) holding who took it. It is born
complete: the holder's details are written to a private file first and hard-linked into place,
which fails when a lock exists, so the operating system lets exactly one run create it and no
reader ever sees half a lock.

A lock is removed only after checking, under a short exclusive ``flock`` on the lock file,
that it is the one meant (its id), by renaming it aside and checking the renamed file is
still that one. Every remover (a run releasing its lock, ``state unlock``, a run taking over
a dead holder's lock) does so, so none can remove a lock that another run took meanwhile, and
of two runs taking over the same dead lock exactly one succeeds: the other finds the new
holder.

A lock is taken over without a person only when its holder is provably gone: it ran on this
host (same host name, boot and process namespace) and its process is not running, or its
process id now belongs to a process started later. A lock from another host, another boot or
container, or a live process is never broken; ``state unlock ID`` removes it, and needs
``--force`` for a holder alive on this host.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import getpass
import logging
import os
import socket
import stat
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from types import TracebackType

from pydantic import AwareDatetime, BaseModel, ConfigDict, ValidationError, field_validator

from reconciler.clock import Clock, SystemClock
from reconciler.duration import format_duration
from reconciler.errors import Interrupted, StateError, StateLocked

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

logger = logging.getLogger("reconciler.state")

POLL_SECONDS = 1.0
"""How often a run that waits for the lock (``--lock-timeout``) looks again."""

# A lock file written before holders recorded their process start is judged by its creation
# time; the process start derived from the boot time is exact to about a second.
_CREATION_SLACK = timedelta(seconds=5)
_ATTEMPTS = 20


class LockInfo(BaseModel):
    """What a lock file says about its holder.

    ``boot_id``, ``pid_namespace`` and ``process_start`` (in clock ticks since boot, from
    ``/proc/<pid>/stat``) are recorded on Linux, so that a later run can prove the holder
    gone even when its process id was reused; ``None`` elsewhere and in older lock files.
    """

    # Tolerant: a lock written by a newer reconciler must still be reported, not refused.
    model_config = ConfigDict(extra="ignore", frozen=True)

    boot_id: str | None = None
    created: AwareDatetime
    # A lease (S3): the holder renews it while it runs; once past, the lock may be taken
    # over. ``None``: no lease (the local file, PostgreSQL).
    expires: AwareDatetime | None = None
    host: str
    id: str
    operation: str
    owner: str
    pid: int
    pid_namespace: str | None = None
    process_start: int | None = None

    @field_validator("created", "expires")
    @classmethod
    def _in_utc(cls, value: datetime | None) -> datetime | None:
        return value.astimezone(timezone.utc) if value is not None else None

    def looks_stale(self) -> bool:
        """True when the holder is provably gone (see :func:`holder_status`)."""
        return holder_status(self).gone

    def describe(self, now: datetime) -> str:
        """``alice@ci-7 (pid 42, operation "apply") since 2026-...Z (5 minutes ago)``."""
        return (
            f'{self.owner}@{self.host} (pid {self.pid}, operation "{self.operation}") '
            f"since {format_time(self.created)} ({format_age(now - self.created)})"
        )


class Liveness(enum.Enum):
    GONE = "gone"  # provably: the lock can be taken over
    ALIVE = "alive"  # running on this host
    UNKNOWN = "unknown"  # elsewhere, or not checkable: assumed alive


@dataclass(frozen=True)
class HolderStatus:
    liveness: Liveness
    reason: str  # e.g. "process 4242 is no longer running"

    @property
    def gone(self) -> bool:
        return self.liveness is Liveness.GONE


def holder_status(info: LockInfo) -> HolderStatus:
    """Whether the holder of a lock still runs, as far as this host can tell."""
    here = this_host()
    if info.host != here.name:
        return HolderStatus(Liveness.UNKNOWN, f"it was taken on another host ({info.host})")
    if info.boot_id and here.boot_id and info.boot_id != here.boot_id:
        return HolderStatus(
            Liveness.UNKNOWN,
            f"it was taken during another boot of {info.host} (or on another machine of that name)",
        )
    if info.pid_namespace and here.pid_namespace and info.pid_namespace != here.pid_namespace:
        return HolderStatus(
            Liveness.UNKNOWN,
            f"it was taken in another container on {info.host} (another process namespace)",
        )
    probe = probe_process(info.pid)
    if probe is None:
        return HolderStatus(Liveness.UNKNOWN, f"process {info.pid} cannot be checked")
    if not probe.running:
        return HolderStatus(Liveness.GONE, f"process {info.pid} is no longer running")
    if probe.zombie:
        return HolderStatus(Liveness.GONE, f"process {info.pid} has ended")
    if _started_after(info, probe):
        return HolderStatus(
            Liveness.GONE,
            f"process id {info.pid} now belongs to another process, started after the lock "
            "was taken",
        )
    return HolderStatus(Liveness.ALIVE, f"process {info.pid} is running on this host")


def _started_after(info: LockInfo, probe: ProcessProbe) -> bool:
    if probe.start is None:
        return False
    if info.process_start is not None:
        # Start times count clock ticks since boot, and the boot is the same (checked above).
        return probe.start != info.process_start
    started = probe.start_time()
    return started is not None and started > info.created + _CREATION_SLACK


def lock_path_for(state_path: Path) -> Path:
    return state_path.with_name(state_path.name + ".lock")


def read_lock(state_path: Path) -> LockInfo | None:
    """The lock on a state file, or ``None`` when it is not locked.

    Raises :class:`StateLocked` when a lock file exists but cannot be read: the state is
    locked all the same.
    """
    path = lock_path_for(state_path)
    try:
        with _opened(path) as lock_file:
            if lock_file is None:
                return None
            return lock_file.info(state_path)
    except _NotAFile as problem:
        raise problem.error(state_path) from None


def unlock(
    state_path: Path, lock_id: str, *, force: bool = False, clock: Clock | None = None
) -> LockInfo:
    """Remove the lock of a state file if its id is ``lock_id``; returns what was removed.

    A holder that is alive on this host keeps its lock unless ``force``.
    """
    now = (clock or SystemClock()).now()
    path = lock_path_for(state_path)

    def wanted(info: LockInfo) -> None:
        if info.id != lock_id:
            raise StateLocked(
                f"{state_path}: the lock is not {lock_id}: it is {info.id}, held by "
                f"{info.describe(now)}",
                hint=_unlock_hint(info),
            )
        status = holder_status(info)
        if status.liveness is Liveness.ALIVE and not force:
            raise StateLocked(
                f"{state_path}: the lock {lock_id} is held by {info.describe(now)}, and that "
                f"run is still going: {status.reason}",
                hint="Wait for it to finish. To remove its lock all the same, add --force: "
                "that run then stops at its next save of the state.",
            )

    removed = _remove(state_path, wanted)
    if removed is None:
        raise StateError(
            f"{state_path}: the state is not locked (there is no {path.name})",
            hint="Nothing to unlock; run the command that reported the lock again.",
        )
    return removed


class StateLock:
    """Holds the lock of a state file for the length of a ``with`` block.

    Acquiring takes over the lock of a holder that is provably gone, and waits up to
    ``timeout`` clock seconds for a live one (0: refuse at once). ``report`` hears one line
    each when it takes a lock over and when it starts to wait. Released on leaving the block,
    also on exceptions; releasing removes the lock file only if it is still this lock's
    (someone may have unlocked it by hand meanwhile).
    """

    def __init__(
        self,
        state_path: Path,
        operation: str,
        clock: Clock | None = None,
        *,
        timeout: float = 0.0,
        report: Callable[[str], None] | None = None,
    ) -> None:
        self.state_path = state_path
        self.path = lock_path_for(state_path)
        self.operation = operation
        self.clock: Clock = clock or SystemClock()
        self.timeout = max(0.0, timeout)
        self.report = report or (lambda line: logger.warning("%s", line))
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
        here = this_host()
        info = LockInfo(
            boot_id=here.boot_id,
            created=self.clock.now(),
            host=here.name,
            id=str(uuid.uuid4()),
            operation=self.operation,
            owner=current_user(),
            pid=os.getpid(),
            pid_namespace=here.pid_namespace,
            process_start=process_start(os.getpid()),
        )
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise _cannot_lock(self.path, error) from None
        deadline = self.clock.monotonic() + self.timeout
        waiting = False
        changes = 0  # times in a row the lock changed hands under our eyes
        while True:
            if _create(self.path, info):
                self._info = info
                return info
            try:
                holder = read_lock(self.state_path)
            except StateLocked as unreadable:
                holder, refusal = None, unreadable
            else:
                if holder is None or holder_status(holder).gone:
                    # Released between our try and our look, or its holder is gone: try
                    # again at once.
                    if holder is not None and self._take_over(holder, info):
                        return info
                    changes += 1
                    if changes > _ATTEMPTS:
                        raise _changing_hands(self.path) from None
                    continue
                refusal = locked_error(self.state_path, holder, self.clock.now())
            changes = 0
            left = deadline - self.clock.monotonic()
            if left <= 0:
                if waiting:
                    raise StateLocked(
                        f"{refusal.message} (waited {format_duration(self.timeout)})",
                        hint=refusal.hint,
                    )
                raise refusal
            if not waiting:
                waiting = True
                self.report(self._waiting_line(holder))
            _pause(self.clock, min(POLL_SECONDS, left))

    def _take_over(self, holder: LockInfo, info: LockInfo) -> bool:
        """Replace a dead holder's lock with ours; False when another run got there first."""
        status = holder_status(holder)

        def still_that(current: LockInfo) -> None:
            if current.id != holder.id:
                raise _Moved

        try:
            removed = _remove(self.state_path, still_that, need_mutex=True)
        except _Moved:
            return False
        except _NoMutex:
            raise locked_error(
                self.state_path,
                holder,
                self.clock.now(),
                status,
                note="this file system cannot lock files, so the lock is not taken over",
            ) from None
        if removed is None or not _create(self.path, info):
            return False
        self._info = info
        self.report(
            f"Took over the state lock of {holder.describe(self.clock.now())}: {status.reason}."
        )
        return True

    def _waiting_line(self, holder: LockInfo | None) -> str:
        locked = (
            f"locked by {holder.describe(self.clock.now())}"
            if holder
            else "locked (its lock file cannot be read yet)"
        )
        return (
            f"The state {self.state_path} is {locked}; waiting up to "
            f"{format_duration(self.timeout)} for it (--lock-timeout)."
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
                hint="Someone ran `reconciler state unlock --force` on a live run. Re-run when "
                "no other run is active: the state is a cache and a re-run converges.",
            )

    def release(self) -> None:
        info, self._info = self._info, None
        if info is None:
            return

        def ours(current: LockInfo) -> None:
            if current.id != info.id:
                raise _Moved

        try:
            removed = _remove(self.state_path, ours)
        except (_Moved, _NotAFile, StateLocked):
            removed = None
        except OSError as error:
            logger.warning("%s: cannot remove the lock file: %s", self.path, error)
            return
        if removed is None:
            logger.warning("%s: the lock %s was removed by someone else", self.path, info.id)

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


def locked_error(
    state_path: Path,
    holder: LockInfo,
    now: datetime,
    status: HolderStatus | None = None,
    *,
    note: str | None = None,
) -> StateLocked:
    status = status or holder_status(holder)
    message = f"{state_path}: the state is locked by {holder.describe(now)}"
    if status.gone:
        message += f"; the lock looks stale: {status.reason}"
    if note:
        message += f" ({note})"
    return StateLocked(message, hint=_unlock_hint(holder, status))


def _unlock_hint(holder: LockInfo, status: HolderStatus | None = None) -> str:
    status = status or holder_status(holder)
    command = f"reconciler state unlock {holder.id}"
    if status.gone:
        return f"That run died without releasing the lock. Remove it with: {command}"
    if status.liveness is Liveness.ALIVE:
        return (
            "Wait for that run to finish, or wait for it with --lock-timeout (e.g. "
            f"--lock-timeout 5m). Only if it hangs: {command} --force"
        )
    return (
        "Wait for that run to finish (--lock-timeout waits for it). If it is gone (for "
        f"example its CI job was killed on another machine), remove the lock with: {command}"
    )


# -- the lock file on disk ------------------------------------------------------------------


class _Moved(Exception):
    """The lock file is no longer the one a remover meant."""


class _NoMutex(Exception):
    """The file system refuses ``flock``: a take-over could race, so none is made."""


class _NotAFile(Exception):
    def __init__(self, path: Path, kind: str) -> None:
        self.path = path
        self.kind = kind

    def error(self, state_path: Path) -> StateError:
        return StateError(
            f"{self.path}: the state lock is a {self.kind}, not a regular file",
            hint=f"Remove {self.path} (no reconciler makes it) and run again.",
        )


@dataclass
class _LockFile:
    """An open lock file, checked to be the one at its path when it was read."""

    fd: int
    key: tuple[int, int]
    data: bytes
    mutex: bool  # whether this process holds the file's flock

    def info(self, state_path: Path) -> LockInfo:
        try:
            return LockInfo.model_validate_json(self.data)
        except ValidationError:
            why = (
                "it is empty" if not self.data.strip() else "it is not a lock written by reconciler"
            )
            raise _unreadable(state_path, why) from None


@contextlib.contextmanager
def _opened(path: Path, *, mutex: bool = False) -> Iterator[_LockFile | None]:
    """The lock file at ``path`` (``None`` if there is none), read, and with ``mutex`` its
    flock held; the file is checked to still be the one at ``path`` after the flock."""
    for _ in range(_ATTEMPTS):
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        except FileNotFoundError:
            if os.path.islink(path) and not os.path.exists(path):
                raise _NotAFile(path, "broken symbolic link") from None
            yield None
            return
        except OSError as error:
            raise StateLocked(
                f"{path}: the state is locked, but the lock file cannot be read "
                f"({error.strerror or error})",
                hint=f"Check the permissions of {path.parent}; if no other run is active, "
                f"delete {path}.",
            ) from None
        try:
            opened = os.fstat(fd)
            if not stat.S_ISREG(opened.st_mode):
                raise _NotAFile(path, file_kind(opened.st_mode))
            held = _flock(fd) if mutex else False
            try:
                now = os.stat(path)
            except FileNotFoundError:
                now = None
            key = (opened.st_dev, opened.st_ino)
            if now is not None and (now.st_dev, now.st_ino) != key:
                continue  # replaced between our open and our flock: look again
            if now is None:
                yield None
                return
            yield _LockFile(fd, key, _read_all(fd), held)
            return
        finally:
            os.close(fd)
    raise _changing_hands(path)


def _changing_hands(path: Path) -> StateLocked:
    return StateLocked(
        f"{path}: the state lock keeps changing hands",
        hint="Other runs are starting at the same moment; try again when they are done.",
    )


def _remove(
    state_path: Path, check: Callable[[LockInfo], None], *, need_mutex: bool = False
) -> LockInfo | None:
    """Remove the lock file if ``check`` (which raises to refuse) accepts what it says.

    Under the file's flock, the file is renamed aside and the renamed file checked to be the
    one that was read; a lock that took its place meanwhile (put there by something that
    does not take the flock) is put back and judged again, never removed. Returns what was
    removed, ``None`` when there was no lock.
    """
    path = lock_path_for(state_path)
    for _ in range(_ATTEMPTS):
        with _opened(path, mutex=True) as lock_file:
            if lock_file is None:
                return None
            if need_mutex and not lock_file.mutex:
                raise _NoMutex
            info = lock_file.info(state_path)
            check(info)
            aside = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp")
            try:
                os.rename(path, aside)
            except FileNotFoundError:
                return None  # removed by something that does not take the flock
            try:
                moved = os.stat(aside)
            except FileNotFoundError:
                return info  # swept by the next holder: it was ours to remove
            if (moved.st_dev, moved.st_ino) == lock_file.key:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(aside)
                return info
            _put_back(aside, path)
    raise _changing_hands(path)


def _put_back(aside: Path, path: Path) -> None:
    try:
        os.link(aside, path)
    except FileExistsError:
        logger.warning("%s: a lock moved aside could not be put back: %s", path, aside)
        return
    except OSError:
        with contextlib.suppress(OSError):
            os.rename(aside, path)
        return
    with contextlib.suppress(OSError):
        os.unlink(aside)


def _create(path: Path, info: LockInfo) -> bool:
    """Create the lock file holding ``info``; False when a lock exists."""
    data = lock_bytes(info)
    for _ in range(_ATTEMPTS):
        draft = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp")
        try:
            fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            try:
                os.write(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as error:
            with contextlib.suppress(OSError):
                draft.unlink()
            raise _cannot_lock(path, error) from None
        try:
            os.link(draft, path)
        except FileExistsError:
            return False
        except FileNotFoundError:
            continue  # the draft was swept by a holder's cleanup: write it again
        except OSError:
            return _create_in_place(path, data)  # no hard links here
        finally:
            with contextlib.suppress(OSError):
                draft.unlink()
        _fsync_directory(path.parent)
        return True
    raise _cannot_lock(path, OSError("the lock's draft keeps disappearing"))


def lock_bytes(info: LockInfo) -> bytes:
    """What a lock holds: its holder as JSON (``expires`` only for a lock with a lease)."""
    leaseless = {"expires"} if info.expires is None else None
    return info.model_dump_json(indent=2, exclude=leaseless).encode("utf-8") + b"\n"


def _create_in_place(path: Path, data: bytes) -> bool:
    """For file systems without hard links: create, then write (a reader may see it empty)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return False
    except OSError as error:
        raise _cannot_lock(path, error) from None
    try:
        os.write(fd, data)
        os.fsync(fd)
    except OSError as error:
        os.close(fd)
        path.unlink(missing_ok=True)
        raise _cannot_lock(path, error) from None
    os.close(fd)
    return True


def _flock(fd: int) -> bool:
    if fcntl is None:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
    except OSError:
        return False
    return True


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    return b"".join(chunks)


def _pause(clock: Clock, seconds: float) -> None:
    try:
        asyncio.run(clock.sleep(seconds))
    except KeyboardInterrupt:
        raise Interrupted("interrupted while waiting for the state lock") from None


def _fsync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    with contextlib.suppress(OSError):
        os.fsync(fd)
    os.close(fd)


def file_kind(mode: int) -> str:
    """``directory``, ``FIFO (named pipe)``, ...: what a path that is not a file is."""
    kinds = (
        (stat.S_ISDIR, "directory"),
        (stat.S_ISFIFO, "FIFO (named pipe)"),
        (stat.S_ISCHR, "character device"),
        (stat.S_ISBLK, "block device"),
        (stat.S_ISSOCK, "socket"),
    )
    return next((name for test, name in kinds if test(mode)), "special file")


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


# -- this host and its processes ------------------------------------------------------------


@dataclass(frozen=True)
class ThisHost:
    name: str
    boot_id: str | None
    pid_namespace: str | None


def this_host() -> ThisHost:
    return ThisHost(current_host(), _boot_id(), _pid_namespace())


@dataclass(frozen=True)
class ProcessProbe:
    running: bool
    zombie: bool = False
    start: int | None = None  # clock ticks since boot (Linux)

    def start_time(self) -> datetime | None:
        boot = _boot_time()
        if self.start is None or boot is None:
            return None
        return boot + timedelta(seconds=self.start / _ticks_per_second())


def probe_process(pid: int) -> ProcessProbe | None:
    """Whether ``pid`` runs here, and since when; ``None`` when that cannot be known."""
    if sys.platform == "win32" or pid <= 0:
        return None  # os.kill would terminate the process on Windows
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return ProcessProbe(running=False)
    except OSError:
        pass  # e.g. it belongs to another user: it exists
    fields = _proc_stat(pid)
    if fields is None:
        return ProcessProbe(running=True)
    return ProcessProbe(running=True, zombie=fields[0] in ("Z", "X"), start=int(fields[19]))


def process_start(pid: int) -> int | None:
    """The start of a process in clock ticks since boot (``/proc/<pid>/stat``), on Linux."""
    fields = _proc_stat(pid)
    return int(fields[19]) if fields is not None else None


def pid_alive(pid: int) -> bool:
    """Whether a process with this id runs on this host (unknown counts as alive)."""
    probe = probe_process(pid)
    return probe is None or (probe.running and not probe.zombie)


def _proc_stat(pid: int) -> list[str] | None:
    """The fields of ``/proc/<pid>/stat`` after the command name (state first)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    # The command name is in parentheses and may itself hold spaces and parentheses.
    fields = text[text.rfind(")") + 2 :].split()
    return fields if len(fields) > 19 and fields[19].isdigit() else None


@cache
def _boot_id() -> str | None:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text(encoding="ascii").strip() or None
    except OSError:
        return None


@cache
def _pid_namespace() -> str | None:
    try:
        return os.readlink("/proc/self/ns/pid")
    except OSError:
        return None


def _boot_time() -> datetime | None:
    try:
        lines = Path("/proc/stat").read_text(encoding="ascii").splitlines()
    except OSError:
        return None
    for line in lines:
        if line.startswith("btime "):
            return datetime.fromtimestamp(int(line.split()[1]), tz=timezone.utc)
    return None


@cache
def _ticks_per_second() -> int:
    try:
        return os.sysconf("SC_CLK_TCK")
    except (ValueError, OSError, AttributeError):
        return 100


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
