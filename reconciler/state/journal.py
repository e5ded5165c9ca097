"""The journal: every change an apply makes, durable before the apply goes on, without
holding it up."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from reconciler.errors import StateConflict, StateLocked
from reconciler.state.changes import Change, apply_change
from reconciler.state.manager import ChangeLog, Journaling, StateManager
from reconciler.state.model import DatasetRecord, PendingVerification, StateFile, Verification


class Journal:
    """The state of an apply, made durable after every change.

    Each change is applied to the state in memory at once (one at a time on the event loop,
    so concurrent tasks never lose each other's records), then made durable before the
    caller goes on. Writes happen off the event loop, one at a time; changes that arrive
    while one is being written are written together by the next (a group commit).

    A manager that keeps a journal (:class:`~reconciler.state.manager.Journaling`, the local
    file) gets one appended line per change, opened at the first change, and the whole state
    once, by :meth:`compact` at the end; so a change costs the same whatever the state's
    size. Any other manager gets the whole state saved at every write.

    A write that finds the state taken by another run (its lock removed or taken over, or a
    conditional write lost: :attr:`lost`) ends the journal: that write and every later one
    raise the same error and write nothing, so this run never writes beside another.
    """

    def __init__(self, store: StateManager, state: StateFile) -> None:
        self._store = store
        self._base = state
        # Kept as plain maps, changed in place: a change costs the same at any size.
        self._datasets = dict(state.datasets)
        self._pending = dict(state.pending)  # in the order the verifications were owed
        self._journaled = isinstance(store, Journaling)
        self._log: ChangeLog | None = None
        self._unwritten: list[Change] = []
        self._made = 0
        self._saved = 0
        self._writing = asyncio.Lock()
        self.lost: StateConflict | StateLocked | None = None

    @property
    def state(self) -> StateFile:
        """The state with every change made so far (a copy: it costs the state's size)."""
        return self._base.model_copy(
            update={"datasets": dict(self._datasets), "pending": dict(self._pending)}
        )

    def record_of(self, dataset: str) -> DatasetRecord | None:
        return self._datasets.get(dataset)

    def pending_of(self, dataset: str) -> PendingVerification | None:
        return self._pending.get(dataset)

    async def update(self, change: Change) -> None:
        apply_change(self._datasets, self._pending, change)
        self._unwritten.append(change)
        self._made += 1
        await self._durable(self._made)

    async def _durable(self, wanted: int) -> None:
        async with self._writing:
            if self.lost is not None:
                raise self.lost
            if self._saved >= wanted:
                return  # a write that started after this change already wrote it
            changes, self._unwritten, upto = self._unwritten, [], self._made
            try:
                if self._journaled:
                    await asyncio.to_thread(self._append, changes)
                else:
                    await asyncio.to_thread(self._store.save, self.state)
            except (StateConflict, StateLocked) as error:
                self.lost = error
                raise
            self._saved = upto

    def _append(self, changes: list[Change]) -> None:
        if self._log is None:
            assert isinstance(self._store, Journaling)
            self._log = self._store.open_journal(self._base)
            self._base = self._log.base
        self._log.append(changes)

    async def flush(self) -> None:
        await self._durable(self._made)

    async def compact(self) -> None:
        """Make every change durable and, when they went to a journal, fold it into the
        state (one whole save: serial + 1, with a backup) and close it."""
        await self.flush()
        async with self._writing:
            log, self._log = self._log, None
            if log is None:
                return
            log.close()
            self._base = await asyncio.to_thread(self._store.save, self.state)

    async def record(self, dataset: str, record: DatasetRecord) -> None:
        await self.update(Change(records={dataset: record}))

    async def records(self, records: Mapping[str, DatasetRecord]) -> None:
        await self.update(Change(records=records))

    async def pending(self, dataset: str, pending: PendingVerification | None) -> None:
        await self.update(Change(pending={dataset: pending}))

    async def verified(self, dataset: str, verification: Verification) -> None:
        await self.update(Change(pending={dataset: None}, verified={dataset: verification}))
