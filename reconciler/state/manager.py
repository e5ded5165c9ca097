"""What the commands and the journal hold a project's state by: the state manager.

The local file (:class:`~reconciler.state.store.StateStore`) is one.
:func:`open_state` opens the one a location names. A state kept off the
runner is another: it keeps its bytes in a :class:`~reconciler.state.backend.StateBackend`
(a PostgreSQL table holding an advisory lock for the run, an S3 object written with
conditional writes) and offers the same: a state with its lineage and serial, saved only when
its content changed, a backup of the previous save, and a lock that one writer holds at a
time, across machines. The commands and the journal use only this interface.

A manager may also keep a journal (:class:`Journaling`: the local file does, beside it): an
apply then appends each change to it and saves the whole state once, at its end. For one
that does not, the apply saves the whole state after every change.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol, runtime_checkable

from reconciler.clock import Clock
from reconciler.state.backend import DEFAULT_ENVIRONMENT, StateKey, open_backend
from reconciler.state.changes import Change
from reconciler.state.location import LocalPath, StateLocation
from reconciler.state.lock import LockInfo
from reconciler.state.model import StateFile, StateProject
from reconciler.state.remote import RemoteStore
from reconciler.state.store import StateStore


class StateManager(Protocol):
    clock: Clock

    @property
    def location(self) -> str:
        """Where the state lives, as messages name it (a path, a table, a URL)."""
        ...

    def exists(self) -> bool:
        """Whether a state was ever saved there."""
        ...

    def load(self) -> StateFile:
        """The saved state; an empty one (not saved) when there is none yet. Refuses another
        project's state (:class:`~reconciler.errors.StateForeign`)."""
        ...

    def fresh(self) -> StateFile:
        """The empty state a new one starts from (continuing a surviving backup's lineage)."""
        ...

    def save(self, state: StateFile, *, replace: bool = False) -> StateFile:
        """Save ``state`` if its content changed (under the lock); returns what is saved, with
        its serial. ``replace`` writes over a state that cannot be read or is not this
        project's."""
        ...

    def lock(
        self,
        operation: str,
        *,
        timeout: float = 0.0,
        report: Callable[[str], None] | None = None,
    ) -> AbstractContextManager[Any]:
        """The lock ``save`` needs, for ``operation``, waiting ``timeout`` clock seconds for a
        live holder; ``report`` hears a line when it waits or takes over a dead run's lock."""
        ...

    def copy_in(self, state: StateFile) -> StateFile:
        """Write ``state`` as it is, its lineage and serial kept (under the lock), where there
        is no state or an older save of the same lineage (``state migrate``)."""
        ...

    def read_lock(self) -> LockInfo | None:
        """Who holds the lock, if anyone."""
        ...

    def lock_looks_stale(self, info: LockInfo) -> bool:
        """Whether the holder of the lock ``info`` is gone (the next run takes it over)."""
        ...

    def unlock(self, lock_id: str, *, force: bool = False) -> LockInfo:
        """Remove the lock whose id is ``lock_id``; returns what it said."""
        ...


class ChangeLog(Protocol):
    """An append-only journal continuing ``base``, the state as saved."""

    @property
    def base(self) -> StateFile: ...

    def append(self, changes: Sequence[Change]) -> None:
        """Make ``changes`` durable, in order, together (under the lock)."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class Journaling(Protocol):
    """A state manager that keeps a journal: ``load`` replays it, ``save`` folds it in."""

    def open_journal(self, state: StateFile) -> ChangeLog:
        """The journal continuing ``state`` (saved first unless it is the saved one), under
        the lock."""
        ...


def open_state(
    location: StateLocation,
    *,
    project: StateProject | None = None,
    key: StateKey | None = None,
    clock: Clock | None = None,
    report: Callable[[str], None] | None = None,
) -> StateManager:
    """The state at ``location``: the local file, or a remote state over its backend.

    ``project`` (when given) is checked against the state's and recorded in it; ``key``
    picks the state in a store that holds many (PostgreSQL: project and environment);
    ``report`` hears the backend's one-off notices (a table made)."""
    if isinstance(location, LocalPath):
        return StateStore(location.path, clock, project=project)
    chosen = key or StateKey(project.contracts if project else "contracts", DEFAULT_ENVIRONMENT)
    backend = open_backend(location, chosen, clock=clock, report=report)
    return RemoteStore(backend, clock, project=project)
