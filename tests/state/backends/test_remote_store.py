"""The state kept off the runner, as the commands hold it (``RemoteStore`` over each backend,
on its real server): lineage, serial, backup, the project, the journal's saves, and a save
that finds the state taken by another run."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from reconciler.errors import StateConflict, StateError, StateForeign, StateLocked
from reconciler.state import Journal, StateFile, StateProject, decode, encode
from reconciler.state.manager import open_state
from reconciler.state.remote import RemoteStore
from reconciler.state.store import StateStore
from tests.state.backends.conftest import Place
from tests.state.factories import dataset, record

PROJECT = StateProject(contracts="contracts", host="https://cloud.soda.io")
OTHER = StateProject(contracts="teams/b/contracts", host="https://cloud.soda.io")


def store_at(place: Place, project: StateProject | None = PROJECT) -> RemoteStore:
    opened = open_state(place.location, project=project, key=place.key)
    assert isinstance(opened, RemoteStore)
    return opened


def test_saves_keep_lineage_bump_the_serial_only_on_change_and_keep_a_backup(
    place: Place,
) -> None:
    store = store_at(place)
    assert not store.exists()
    with store.lock("apply"):
        state = store.load()
        assert state.serial == 0
        first = store.save(state.with_record(dataset(1), record(1)))
        again = store.save(first)
        second = store.save(first.with_record(dataset(2), record(2)))

    assert (first.serial, again.serial, second.serial) == (1, 1, 2)
    reader = store_at(place)
    loaded = reader.load()
    assert (loaded.lineage, loaded.serial) == (state.lineage, 2)
    assert set(loaded.datasets) == {dataset(1), dataset(2)}
    assert loaded.project == PROJECT
    backup = reader.backend.read_backup()
    assert backup is not None
    assert decode(backup, source="backup").serial == 1


def test_another_projects_state_is_refused_and_rebuild_may_replace_it(place: Place) -> None:
    theirs = store_at(place, OTHER)
    with theirs.lock("apply"):
        theirs.save(theirs.load().with_record(dataset(1), record(1)))
    mine = store_at(place)

    with pytest.raises(StateForeign, match="this state belongs to another project"):
        mine.load()
    with mine.lock("state rebuild"):
        replaced = mine.save(StateFile.new().with_record(dataset(2), record(2)), replace=True)

    assert store_at(place).load().lineage == replaced.lineage


def test_a_state_of_another_lineage_is_never_written_over(place: Place) -> None:
    store = store_at(place)
    with store.lock("apply"):
        store.save(store.load().with_record(dataset(1), record(1)))
        with pytest.raises(StateError, match="refusing to overwrite the state of lineage"):
            store.save(StateFile.new().with_record(dataset(2), record(2)))


def test_a_state_gone_but_for_its_backup_continues_the_backups_lineage(place: Place) -> None:
    store = store_at(place)
    with store.lock("apply"):
        saved = store.save(store.load().with_record(dataset(1), record(1)))
        saved = store.save(saved.with_record(dataset(2), record(2)))
    assert store.backend.read_backup() is not None

    fresh = store.fresh()

    assert (fresh.lineage, fresh.serial) == (saved.lineage, 2)


def test_a_save_after_another_run_wrote_changes_nothing_and_stops_the_journal(
    place: Place,
) -> None:
    store = store_at(place)
    with store.lock("apply"):
        journal = Journal(store, store.load())
        asyncio.run(journal.record(dataset(1), record(1)))
        # Another run writes the state without the lock (a run whose lock was taken over).
        current = store.backend.read()
        assert current is not None
        intruder = decode(current.data, source="state").with_record(dataset(9), record(9))
        store.backend.write(
            encode(intruder.model_copy(update={"serial": 7})), expected=current.version
        )

        with pytest.raises(StateConflict, match="changed since this run read it"):
            asyncio.run(journal.record(dataset(2), record(2)))
        with pytest.raises(StateConflict):  # and no later save is tried
            asyncio.run(journal.record(dataset(3), record(3)))

    kept = store_at(place).load()
    assert kept.serial == 7
    assert set(kept.datasets) == {dataset(1), dataset(9)}
    assert isinstance(journal.lost, StateConflict)


def test_a_save_needs_the_lock_and_a_lock_taken_away_stops_it(place: Place) -> None:
    store = store_at(place)
    with pytest.raises(RuntimeError, match="only while holding its lock"):
        store.save(StateFile.new().with_record(dataset(1), record(1)))
    lock = store.lock("apply")
    info = lock.acquire()
    saved = store.save(store.load().with_record(dataset(1), record(1)))
    store_at(place).unlock(info.id, force=True)

    with pytest.raises(StateLocked):
        store.save(saved.with_record(dataset(2), record(2)))
    lock.release()
    assert set(store_at(place).load().datasets) == {dataset(1)}


def test_a_copy_keeps_lineage_and_serial_and_refuses_another_lineage(
    place: Place, tmp_path: Path
) -> None:
    local = StateStore(tmp_path / "state.json", project=PROJECT)
    with local.lock("apply"):
        state = local.save(local.load().with_record(dataset(1), record(1)))
        state = local.save(state.with_record(dataset(2), record(2)))
    target = store_at(place)
    with target.lock("state migrate"):
        copied = target.copy_in(state)
    assert (copied.lineage, copied.serial) == (state.lineage, 2)

    stranger = StateFile.new().with_record(dataset(5), record(5))
    with target.lock("state migrate"), pytest.raises(StateError, match="another state"):
        target.copy_in(stranger.model_copy(update={"serial": 9}))
    assert store_at(place).load().serial == 2
