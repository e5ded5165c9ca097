"""The journal: the state saved after every change an apply makes, without holding it up."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping

from reconciler.errors import StateConflict, StateLocked
from reconciler.state.manager import StateManager
from reconciler.state.model import DatasetRecord, PendingVerification, StateFile, Verification


class Journal:
    """The state, saved after every change.

    Each update is applied to the in-memory state at once (one at a time on the event loop,
    so concurrent tasks never lose each other's records), then made durable before the
    caller goes on. Writes happen off the event loop, one at a time; updates that arrive
    while one is being written are saved together by the next write (a group commit), so a
    large state never slows the lanes down.

    A save that finds the state taken by another run (its lock removed or taken over, or a
    conditional write lost: :attr:`lost`) ends the journal: that save and every later one
    raise the same error and write nothing, so this run never writes beside another.
    """

    def __init__(self, store: StateManager, state: StateFile) -> None:
        self._store = store
        self.state = state
        self._made = 0
        self._saved = 0
        self._writing = asyncio.Lock()
        self.lost: StateConflict | StateLocked | None = None

    async def update(self, change: Callable[[StateFile], StateFile]) -> None:
        self.state = change(self.state)
        self._made += 1
        await self._durable(self._made)

    async def _durable(self, wanted: int) -> None:
        async with self._writing:
            if self.lost is not None:
                raise self.lost
            if self._saved >= wanted:
                return  # a write that started after this update already saved it
            snapshot, upto = self.state, self._made
            try:
                await asyncio.to_thread(self._store.save, snapshot)
            except (StateConflict, StateLocked) as error:
                self.lost = error
                raise
            self._saved = upto

    async def flush(self) -> None:
        await self._durable(self._made)

    async def record(self, dataset: str, record: DatasetRecord) -> None:
        await self.update(lambda state: state.with_record(dataset, record))

    async def records(self, records: Mapping[str, DatasetRecord]) -> None:
        await self.update(lambda state: state.with_datasets({**state.datasets, **records}))

    async def pending(self, dataset: str, pending: PendingVerification | None) -> None:
        await self.update(lambda state: state.with_pending(dataset, pending))

    async def verified(self, dataset: str, verification: Verification) -> None:
        def change(state: StateFile) -> StateFile:
            state = state.with_pending(dataset, None)
            current = state.datasets.get(dataset)
            if current is None:
                return state
            return state.with_record(dataset, current.with_verification(verification))

        await self.update(change)
