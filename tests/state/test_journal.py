"""The journal beside a local state: one line per change, replayed by whoever loads the state,
compacted into the state file once; a torn last line ignored, another state's journal
refused with nothing lost; a manager without a journal saves the whole state instead."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from reconciler.clock import Clock
from reconciler.errors import StateCorrupt
from reconciler.state import (
    Change,
    ChangeLog,
    Journal,
    Journaling,
    LockInfo,
    PendingVerification,
    StateFile,
    StateStore,
    Verification,
    journal_path_for,
)
from reconciler.state.changes import JournalFile, JournalLine, encode_line
from tests.state.factories import dataset, record

SINCE = datetime(2026, 3, 1, 13, 0, tzinfo=timezone.utc)
SCAN = Verification(scan_id="scan-new", state="completed", time="2026-03-01T13:01:00Z")


@pytest.fixture
def store(tmp_path: Path) -> StateStore:
    store = StateStore(tmp_path / ".reconciler" / "state.json")
    with store.lock("seed"):
        store.save(StateFile.new().with_datasets({dataset(n): record(n) for n in range(3)}))
    return store


def owed(n: int) -> PendingVerification:
    return PendingVerification(raw_sha256=f"sha-{n}", since=SINCE)


async def make_changes(journal: Journal) -> None:
    """What an apply does for one published, verified dataset and one created one."""
    await journal.pending(dataset(1), owed(1))
    await journal.record(dataset(1), record(101))
    await journal.records({dataset(7): record(7)})
    await journal.verified(dataset(1), SCAN)


def journal_lines(store: StateStore) -> list[dict[str, Any]]:
    return [json.loads(line) for line in store.journal_path.read_bytes().splitlines()]


async def test_changes_are_journal_lines_until_one_compaction_saves_the_state(
    store: StateStore,
) -> None:
    before = store.path.read_bytes()
    with store.lock("apply"):
        base = store.load()
        journal = Journal(store, base)
        await make_changes(journal)

        assert store.path.read_bytes() == before, "the state file is not written per change"
        lines = journal_lines(store)
        assert len(lines) == 4
        assert {(line["lineage"], line["extends"]) for line in lines} == {
            (base.lineage, base.serial)
        }
        assert lines[3]["change"]["verified"][dataset(1)]["scan_id"] == "scan-new"
        # Any reader (plan, audit, state show: no lock) sees every change already.
        seen = StateStore(store.path).load()
        assert seen.serial == base.serial
        assert seen.datasets[dataset(1)] == record(101).with_verification(SCAN)
        assert seen.datasets[dataset(7)] == record(7)
        assert dict(seen.pending) == {}

        await journal.compact()

    assert not store.journal_path.exists()
    saved = StateStore(store.path).load()
    assert saved.serial == base.serial + 1
    assert saved.same_content(seen)
    assert StateStore(store.backup_path).load().serial == base.serial


class Spied:
    """A local state whose journal appends are counted (how many changes each write held)."""

    def __init__(self, store: StateStore) -> None:
        self.store = store
        self.writes: list[int] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    def open_journal(self, state: StateFile) -> ChangeLog:
        log = self.store.open_journal(state)
        spied = self

        class Counted:
            base = log.base

            def append(self, changes: Sequence[Change]) -> None:
                spied.writes.append(len(changes))
                log.append(changes)

            def close(self) -> None:
                log.close()

        return Counted()


async def test_changes_made_while_a_line_is_written_are_written_together(
    store: StateStore,
) -> None:
    spied = Spied(store)
    assert isinstance(spied, Journaling)
    with store.lock("apply"):
        journal = Journal(spied, store.load())
        await asyncio.gather(*(journal.record(dataset(n), record(200 + n)) for n in range(5)))
        # The first write holds one change; the four made during it share the next.
        assert spied.writes == [1, 4]
        assert len(journal_lines(store)) == 5
        await journal.compact()
    assert {dataset(n): record(200 + n) for n in range(5)}.items() <= (
        store.load().datasets.items()
    )


def _append_torn_line(store: StateStore, base: StateFile) -> None:
    line = JournalLine(
        change=Change(records={dataset(9): record(9)}), extends=base.serial, lineage=base.lineage
    )
    data = encode_line(line)
    with store.journal_path.open("ab") as journal:
        journal.write(data[: len(data) // 2])


async def test_a_torn_last_line_is_left_out_and_the_next_writer_compacts_the_rest(
    store: StateStore,
) -> None:
    with store.lock("apply"):
        base = store.load()
        journal = Journal(store, base)
        await make_changes(journal)
    _append_torn_line(store, base)  # the apply was killed while writing its fifth line

    seen = StateStore(store.path).load()
    assert dataset(7) in seen.datasets
    assert dataset(9) not in seen.datasets
    # No run holds the lock: the serial is the one the compaction will give it.
    assert seen.serial == base.serial + 1

    with store.lock("apply"):
        compacted = store.load()  # a writer folds the journal in before it starts
    assert not store.journal_path.exists()
    assert compacted.serial == base.serial + 1
    assert compacted.same_content(seen)
    assert StateStore(store.path).load() == compacted


@pytest.mark.parametrize(
    "continues",
    [
        pytest.param(lambda base: StateFile.new(serial=base.serial), id="another lineage"),
        pytest.param(
            lambda base: base.model_copy(update={"serial": base.serial + 3}), id="another serial"
        ),
    ],
)
def test_a_journal_of_another_state_is_refused_and_nothing_is_lost(
    store: StateStore, continues: Callable[[StateFile], StateFile]
) -> None:
    base = store.load()
    other = continues(base)
    log = JournalFile(store.journal_path, other, check=lambda: None)
    log.append([Change(records={dataset(9): record(9)})])
    log.close()
    state_before, journal_before = store.path.read_bytes(), store.journal_path.read_bytes()

    with pytest.raises(StateCorrupt) as refused:
        StateStore(store.path).load()
    message = str(refused.value)
    assert message.startswith(f"{store.journal_path}:1: the state's journal continues")
    assert f"lineage {other.lineage} at serial {other.serial}" in message
    assert f"lineage {base.lineage} at serial {base.serial}" in message
    assert "move state.json.journal aside" in (refused.value.hint or "")
    # A writer refuses too, before anything is written.
    with store.lock("apply"), pytest.raises(StateCorrupt):
        store.load()
    assert store.path.read_bytes() == state_before
    assert store.journal_path.read_bytes() == journal_before


def test_a_line_that_cannot_be_read_before_the_last_makes_the_journal_corrupt(
    store: StateStore,
) -> None:
    base = store.load()
    log = JournalFile(store.journal_path, base, check=lambda: None)
    log.append([Change(records={dataset(9): record(9)})])
    log.close()
    good = store.journal_path.read_bytes()
    store.journal_path.write_bytes(b'{"change": {}, "extends": "x"}\n' + good)

    with pytest.raises(StateCorrupt, match=r"state\.json\.journal:1: .*cannot be read"):
        store.load()


async def test_a_journal_left_after_its_compaction_is_ignored_and_removed(
    store: StateStore,
) -> None:
    with store.lock("apply"):
        journal = Journal(store, store.load())
        await make_changes(journal)
        kept = store.journal_path.read_bytes()
        await journal.compact()
    compacted = store.load()
    # Killed after the compaction's save, before the journal's removal.
    store.journal_path.write_bytes(kept)

    assert StateStore(store.path).load() == compacted
    with store.lock("apply"):
        assert store.load() == compacted  # nothing to save: the serial stays
    assert not store.journal_path.exists()


async def test_pending_verifications_keep_their_order_and_the_file_sorts_them(
    store: StateStore,
) -> None:
    with store.lock("apply"):
        journal = Journal(store, store.load())
        for n in (5, 2, 8):
            await journal.pending(dataset(n), owed(n))
        assert list(journal.state.pending) == [dataset(5), dataset(2), dataset(8)]
        await journal.compact()
    written = json.loads(store.path.read_bytes())["pending"]
    assert list(written) == sorted(written) == [dataset(2), dataset(5), dataset(8)]


class WithoutJournal:
    """A state manager that keeps no journal (as a remote state does): only the protocol."""

    def __init__(self, store: StateStore) -> None:
        self._store = store
        self.clock: Clock = store.clock

    @property
    def location(self) -> str:
        return self._store.location

    def exists(self) -> bool:
        return self._store.exists()

    def load(self) -> StateFile:
        return self._store.load()

    def fresh(self) -> StateFile:
        return self._store.fresh()

    def save(self, state: StateFile, *, replace: bool = False) -> StateFile:
        return self._store.save(state, replace=replace)

    def lock(
        self,
        operation: str,
        *,
        timeout: float = 0.0,
        report: Callable[[str], None] | None = None,
    ) -> AbstractContextManager[Any]:
        return self._store.lock(operation, timeout=timeout, report=report)

    def copy_in(self, state: StateFile) -> StateFile:
        return self._store.copy_in(state)

    def read_lock(self) -> LockInfo | None:
        return self._store.read_lock()

    def lock_looks_stale(self, info: LockInfo) -> bool:
        return self._store.lock_looks_stale(info)

    def unlock(self, lock_id: str, *, force: bool = False) -> LockInfo:
        return self._store.unlock(lock_id, force=force)


async def test_a_manager_without_a_journal_saves_the_whole_state_after_every_change(
    store: StateStore,
) -> None:
    manager = WithoutJournal(store)
    assert not isinstance(manager, Journaling)
    with manager.lock("apply"):
        base = manager.load()
        journal = Journal(manager, base)
        await journal.pending(dataset(1), owed(1))
        assert dict(StateStore(store.path).load().pending) == {dataset(1): owed(1)}
        await journal.record(dataset(1), record(101))
        await journal.verified(dataset(1), SCAN)
        await journal.compact()
    saved = StateStore(store.path).load()
    assert saved.serial == base.serial + 3  # one whole save per change, none more
    assert saved.datasets[dataset(1)] == record(101).with_verification(SCAN)
    assert dict(saved.pending) == {}
    assert not journal_path_for(store.path).exists()
