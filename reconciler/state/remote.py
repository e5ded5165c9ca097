"""A state kept off the runner: the state manager over a :class:`StateBackend`.

It offers what the local file offers (:class:`~reconciler.state.store.StateStore`), with the
backend's conditional writes underneath:

- **Lineage and serial.** A save bumps the serial only when the content changed, and refuses
  to write a state of another lineage over the one it read.
- **Conditional saves.** Every save is written only over the version this run read or wrote
  last (:meth:`StateBackend.write` with ``expected``): a run that lost the race, or whose
  lock was taken over meanwhile, gets :class:`StateConflict` and writes nothing. Under the
  lock no other run writes, so a conflict means another run took the state: the journal
  stops the apply at once (:class:`~reconciler.state.journal.Journal`).
- **The backup** is the backend's: each save keeps the document it replaced.
- **The project.** A store that knows its project refuses another project's state.
- **The lock** is the backend's (:class:`BackendLock`), held across machines; every save
  first checks that it is still this run's.

Between commands nothing stays open: when no lock is held, each read lets go of the
backend's connection, and releasing the lock does too.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Literal

from reconciler.clock import Clock, SystemClock
from reconciler.errors import StateCorrupt, StateError, StateForeign
from reconciler.state.backend import BackendLock, StateBackend
from reconciler.state.codec import decode, encode
from reconciler.state.lock import LockInfo
from reconciler.state.model import StateFile, StateProject

logger = logging.getLogger("reconciler.state")

Current = StateFile | Literal["missing", "corrupt"]


class RemoteStore:
    """The state ``backend`` holds (see the module's docstring)."""

    def __init__(
        self,
        backend: StateBackend,
        clock: Clock | None = None,
        *,
        project: StateProject | None = None,
    ) -> None:
        self.backend = backend
        self.clock: Clock = clock or SystemClock()
        self.project = project
        self._lock: BackendLock | None = None
        # What this store read or wrote last, and its version (None: nothing there).
        self._baseline: tuple[Current, str | None] | None = None
        self._saving = threading.Lock()

    @property
    def location(self) -> str:
        return self.backend.location

    def exists(self) -> bool:
        with self._idle():
            return self.backend.read() is not None

    # -- reading ---------------------------------------------------------------------------

    def load(self) -> StateFile:
        with self._idle():
            current = self._read()
        if current == "missing":
            return self.fresh()
        assert isinstance(current, StateFile)
        problem = self.foreign(current)
        if problem is not None:
            raise problem
        return current

    def fresh(self) -> StateFile:
        """The empty state a new one starts from: continuing the backup's lineage, past its
        serial, when the state is gone but its backup is there and this project's."""
        with self._idle():
            data = self.backend.read_backup()
        try:
            backup = decode(data, source=f"{self.location} (backup)") if data else None
        except StateError:
            backup = None
        if backup is None:
            return StateFile.new()
        theirs = backup.project
        if self.project is not None and theirs is not None and not theirs.same_as(self.project):
            return StateFile.new()
        fresh = StateFile.new(backup.lineage, serial=backup.serial + 1)
        return fresh.model_copy(update={"project": backup.project})

    def foreign(self, state: StateFile) -> StateForeign | None:
        """Why ``state`` is not this project's, if it records another project."""
        recorded = state.project
        if self.project is None or recorded is None or recorded.same_as(self.project):
            return None
        return StateForeign(
            f"{self.location}: this state belongs to another project: {recorded.describe()}; "
            f"this command's project is {self.project.describe()}",
            hint="Point --state (or `state:` in reconciler.yml, or the environment's "
            "`state:`) at this project's state, or run `reconciler state rebuild` to make "
            "this one this project's state, recreated from Soda Cloud.",
        )

    def _read(self, *, replace: bool = False) -> Current:
        document = self.backend.read()
        if document is None:
            self._baseline = ("missing", None)
            return "missing"
        try:
            state = decode(document.data, source=self.location)
        except StateCorrupt as error:
            self._baseline = ("corrupt", document.version)
            if replace:
                return "corrupt"
            raise StateCorrupt(
                error.message,
                hint="The previous save is kept as the backup (docs/state-backends.md says "
                "where), or `reconciler state rebuild` recreates the state from Soda Cloud.",
            ) from None
        self._baseline = (state, document.version)
        return state

    # -- writing ---------------------------------------------------------------------------

    def lock(
        self,
        operation: str,
        *,
        timeout: float = 0.0,
        report: Callable[[str], None] | None = None,
    ) -> BackendLock:
        self._lock = _ClosingLock(
            self.backend, operation, self.clock, timeout=timeout, report=report
        )
        return self._lock

    def save(self, state: StateFile, *, replace: bool = False) -> StateFile:
        """Save ``state`` if its content changed, over the version last read (see the
        module's docstring); ``replace`` writes over an unreadable or foreign state."""
        if self._lock is None or not self._lock.held:
            raise RuntimeError(f"{self.location}: save the state only while holding its lock")
        with self._saving:
            self._lock.ensure_held()
            return self._save(state, replace=replace)

    def _save(self, state: StateFile, *, replace: bool) -> StateFile:
        if self.project is not None and state.project is None:
            state = state.model_copy(update={"project": self.project})
        current, version = self._current(replace=replace)
        if current == "missing" and not state.datasets and not state.pending:
            return state
        if isinstance(current, StateFile) and state.lineage == current.lineage:
            if state.same_content(current):
                return current
            serial = max(state.serial, current.serial) + 1
        else:
            if isinstance(current, StateFile) and not (
                replace and self.foreign(current) is not None
            ):
                raise _another_lineage(self.location, current, state)
            serial = state.serial + 1
        return self._write(state.model_copy(update={"serial": serial}), version)

    def copy_in(self, state: StateFile) -> StateFile:
        """Write ``state`` as it is, lineage and serial kept (``state migrate``), over a state
        of the same lineage not ahead of it, or where there is none."""
        if self._lock is None or not self._lock.held:
            raise RuntimeError(f"{self.location}: write the state only while holding its lock")
        with self._saving:
            self._lock.ensure_held()
            current, version = self._current(replace=False)
            if isinstance(current, StateFile):
                refuse_copy_over(self.location, current, state)
                if current.serial == state.serial and current.same_content(state):
                    return current
            return self._write(state, version)

    def _current(self, *, replace: bool) -> tuple[Current, str | None]:
        if self._baseline is None or (self._baseline[0] == "corrupt" and not replace):
            self._read(replace=replace)
        assert self._baseline is not None
        return self._baseline

    def _write(self, state: StateFile, version: str | None) -> StateFile:
        written = self.backend.write(encode(state), expected=version)
        self._baseline = (state, written)
        return state

    # -- the lock, for commands ------------------------------------------------------------

    def read_lock(self) -> LockInfo | None:
        with self._idle():
            held = self.backend.read_lock()
        return held.holder if held is not None else None

    def lock_looks_stale(self, info: LockInfo) -> bool:
        with self._idle():
            held = self.backend.read_lock()
        return held is not None and held.holder == info and held.status.gone

    def unlock(self, lock_id: str, *, force: bool = False) -> LockInfo:
        with self._idle():
            return self.backend.unlock(lock_id, force=force)

    @contextmanager
    def _idle(self) -> Iterator[None]:
        """A request made outside the lock lets go of the connection afterwards."""
        try:
            yield
        finally:
            if self._lock is None or not self._lock.held:
                self.backend.close()


class _ClosingLock(BackendLock):
    """The backend's lock; releasing it also lets go of the connection."""

    def release(self) -> None:
        try:
            super().release()
        finally:
            self.backend.close()


def _another_lineage(location: str, current: StateFile, state: StateFile) -> StateError:
    return StateError(
        f"{location}: refusing to overwrite the state of lineage {current.lineage} with a "
        f"state of lineage {state.lineage}",
        hint="Load the state from there and change that, rather than starting a new one.",
    )


def refuse_copy_over(location: str, current: StateFile, state: StateFile) -> None:
    """Refuse to copy ``state`` over ``current``: another lineage, or a later save of it."""
    if current.lineage != state.lineage:
        raise StateError(
            f"{location} already holds another state (lineage {current.lineage}, serial "
            f"{current.serial}); the state being copied has lineage {state.lineage}",
            hint="Copy to an empty place, or remove that state first if it is no longer "
            "used (it is another project's or environment's, or an abandoned copy).",
        )
    if current.serial > state.serial:
        raise StateError(
            f"{location} holds a later save of this state (serial {current.serial}; the "
            f"state being copied is at serial {state.serial})",
            hint="The copy there is newer: point `state:` at it instead of copying over it.",
        )
