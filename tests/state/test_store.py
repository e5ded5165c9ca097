from __future__ import annotations

import json
import logging
import os
import signal
import sys
from pathlib import Path

import pytest

from reconciler.errors import StateCorrupt, StateError, StateForeign, StateLocked
from reconciler.state import StateFile, StateProject, StateStore, decode, encode
from tests.state.factories import dataset, record
from tests.state.test_codec import VERSION_1

HERE = StateProject(contracts="contracts", host="https://cloud.soda.io")


@pytest.fixture
def store(tmp_path: Path) -> StateStore:
    return StateStore(tmp_path / ".reconciler" / "state.json")


def _file_version(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return (stat.st_ino, stat.st_mtime_ns)


def test_missing_file_loads_as_a_new_empty_state_without_writing(store: StateStore) -> None:
    state = store.load()
    assert (state.serial, dict(state.datasets)) == (0, {})
    assert not store.path.parent.exists()


def test_saved_state_loads_back_equal_in_a_fresh_store(store: StateStore) -> None:
    with store.lock("apply"):
        saved = store.save(store.load().with_record(dataset(1), record(1)))
    loaded = StateStore(store.path).load()
    assert loaded == saved
    assert loaded.record(dataset(1)) == record(1)
    assert store.path.read_bytes() == encode(saved)


def test_serial_is_bumped_once_per_content_change_only(store: StateStore) -> None:
    with store.lock("apply"):
        first = store.save(store.load().with_record(dataset(1), record(1)))
        assert first.serial == 1
        version = _file_version(store.path)

        again = store.save(first)
        rebuilt_equal = store.save(StateFile.new(first.lineage).with_datasets(first.datasets))
        assert again.serial == rebuilt_equal.serial == 1
        assert _file_version(store.path) == version

        second = store.save(first.with_record(dataset(2), record(2)))
        third = store.save(second.without(dataset(1)))
    assert (second.serial, third.serial) == (2, 3)
    assert json.loads(store.path.read_bytes())["serial"] == 3


def test_saving_an_empty_new_state_writes_nothing(store: StateStore) -> None:
    with store.lock("state rebuild"):
        assert store.save(StateFile.new()).serial == 0
    assert not store.path.exists()


def test_lineage_is_fixed_at_birth_and_a_foreign_lineage_is_refused(store: StateStore) -> None:
    with store.lock("apply"):
        born = store.save(store.load().with_record(dataset(1), record(1)))
        later = store.save(born.with_record(dataset(2), record(2)))
        assert later.lineage == born.lineage
        with pytest.raises(
            StateError, match=f"refusing to overwrite the state of lineage {born.lineage}"
        ):
            store.save(StateFile.new().with_record(dataset(3), record(3)))
    assert StateStore(store.path).load() == later


def test_the_previous_copy_is_kept_as_backup(store: StateStore) -> None:
    with store.lock("apply"):
        first = store.save(store.load().with_record(dataset(1), record(1)))
        assert not store.backup_path.exists()
        second = store.save(first.with_record(dataset(2), record(2)))
        assert store.backup_path.read_bytes() == encode(first)
        store.save(second.with_record(dataset(3), record(3)))
    assert store.backup_path.name == "state.json.backup"
    assert decode(store.backup_path.read_bytes(), source="backup") == second


def test_no_temporary_files_are_left_and_leftovers_of_a_killed_run_are_swept(
    store: StateStore,
) -> None:
    store.path.parent.mkdir(parents=True)
    leftover = store.path.parent / ".state.json.0123456789ab.tmp"
    leftover.write_bytes(b'{"half": ')
    unrelated = store.path.parent / "notes.tmp"
    unrelated.write_text("keep me")
    with store.lock("apply"):
        state = store.save(store.load().with_record(dataset(1), record(1)))
        store.save(state.with_record(dataset(2), record(2)))
    names = sorted(p.name for p in store.path.parent.iterdir())
    assert names == ["notes.tmp", "state.json", "state.json.backup"]


def test_save_without_the_lock_is_a_programming_error(store: StateStore) -> None:
    with pytest.raises(RuntimeError, match=r"holding store\.lock"):
        store.save(StateFile.new().with_record(dataset(1), record(1)))
    with store.lock("apply"):
        pass
    with pytest.raises(RuntimeError, match=r"holding store\.lock"):
        store.save(StateFile.new().with_record(dataset(1), record(1)))
    assert not store.path.exists()


def test_save_stops_when_its_lock_was_removed_behind_its_back(store: StateStore) -> None:
    with store.lock("apply") as lock:
        state = store.save(store.load().with_record(dataset(1), record(1)))
        assert lock.info is not None
        store.unlock(lock.info.id, force=True)
        with pytest.raises(StateLocked, match="was removed while the run was writing"):
            store.save(state.with_record(dataset(2), record(2)))
    assert StateStore(store.path).load() == state


def test_a_change_on_disk_by_another_writer_moves_the_serial_on_from_it(
    store: StateStore,
) -> None:
    with store.lock("apply"):
        mine = store.save(store.load().with_record(dataset(1), record(1)))
    other = StateStore(store.path)
    with other.lock("import"):
        theirs = other.save(other.load().with_record(dataset(2), record(2)))
        theirs = other.save(theirs.with_record(dataset(3), record(3)))
    assert theirs.serial == 3
    with store.lock("apply"):
        saved = store.save(mine.with_record(dataset(4), record(4)))
    assert saved.serial == 4
    assert sorted(saved.datasets) == [dataset(1), dataset(4)]


def test_corrupt_file_raises_state_corrupt_naming_the_file_with_a_recovery_hint(
    store: StateStore,
) -> None:
    store.path.parent.mkdir(parents=True)
    store.path.write_text('{"format_version": 1, "lineage": ')
    with pytest.raises(StateCorrupt) as caught:
        store.load()
    assert str(caught.value).startswith(f"{store.path}:1:")
    assert (
        caught.value.hint
        == "The state is a cache: `reconciler state rebuild` recreates it from Soda Cloud."
    )


def test_corrupt_file_hint_points_at_the_backup_when_there_is_one(store: StateStore) -> None:
    with store.lock("apply"):
        first = store.save(store.load().with_record(dataset(1), record(1)))
        store.save(first.with_record(dataset(2), record(2)))
    store.path.write_bytes(store.path.read_bytes()[:100])
    with pytest.raises(StateCorrupt) as caught:
        StateStore(store.path).load()
    hint = caught.value.hint or ""
    assert str(store.backup_path) in hint
    assert "reconciler state rebuild" in hint
    assert StateStore(store.backup_path).load() == first


@pytest.mark.parametrize("kind", ["directory", "character device", "symbolic link"])
def test_a_state_path_that_is_not_a_regular_file_is_refused_before_anything(
    tmp_path: Path, kind: str
) -> None:
    if kind == "directory":
        path = tmp_path / "state.json"
        path.mkdir()
    elif kind == "symbolic link":
        # A save would replace the link with a file: the state it points to would stay old.
        (tmp_path / "elsewhere.json").write_bytes(encode(StateFile.new()))
        path = tmp_path / "state.json"
        path.symlink_to(tmp_path / "elsewhere.json")
    else:
        path = Path(os.devnull)
    store = StateStore(path)
    expected = f"{path}: the state path is a {kind}, not a regular file"
    with pytest.raises(StateError) as loading:
        store.load()
    with pytest.raises(StateError) as locking:
        store.lock("apply")
    assert str(loading.value) == str(locking.value) == expected
    assert not isinstance(loading.value, StateCorrupt), "the file is not damaged: it is no file"
    assert not (path.parent / (path.name + ".lock")).exists()


def test_save_refuses_to_overwrite_a_corrupt_file_unless_asked(store: StateStore) -> None:
    with store.lock("apply"):
        good = store.save(store.load().with_record(dataset(1), record(1)))
        store.save(good.with_record(dataset(2), record(2)))
    store.path.write_text("garbage")
    fresh = StateStore(store.path)
    with fresh.lock("state rebuild"):
        with pytest.raises(StateCorrupt):
            fresh.save(StateFile.new().with_record(dataset(5), record(5)))
        assert store.path.read_text() == "garbage"
        # What replaces it continues the lineage of the last good copy, the backup.
        base = fresh.fresh()
        rebuilt = fresh.save(base.with_record(dataset(5), record(5)), replace=True)
    assert rebuilt.lineage == good.lineage
    assert rebuilt.serial == good.serial + 2  # past the unreadable save, whatever it was
    assert StateStore(store.path).load() == rebuilt
    # The last good copy is kept, not replaced by the garbage.
    assert StateStore(store.backup_path).load() == good


@pytest.mark.skipif(sys.platform == "win32", reason="file size limits are POSIX")
def test_a_write_failure_is_a_state_error_and_leaves_the_previous_state(
    store: StateStore,
) -> None:
    import resource

    with store.lock("apply"):
        first = store.save(store.load().with_record(dataset(1), record(1)))
        bigger = first.with_datasets({dataset(n): record(n) for n in range(50)})
        # A file size limit is a full disk that even root cannot write past.
        soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
        previous_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (len(encode(first)) + 100, hard))
        try:
            with pytest.raises(StateError, match="cannot write the state file") as caught:
                store.save(bigger)
        finally:
            resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
            signal.signal(signal.SIGXFSZ, previous_handler)
        assert "the previous state is unchanged" in str(caught.value)
        assert StateStore(store.path).load() == first
        names = sorted(p.name for p in store.path.parent.iterdir())
        assert names == ["state.json", "state.json.lock"]
        assert store.save(bigger).serial == 2


class _Collecting(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_failing_to_rotate_the_backup_still_saves_the_state(store: StateStore) -> None:
    handler = _Collecting()
    logging.getLogger("reconciler.state").addHandler(handler)
    try:
        with store.lock("apply"):
            first = store.save(store.load().with_record(dataset(1), record(1)))
            store.backup_path.mkdir()
            (store.backup_path / "in-the-way").write_text("x")
            second = store.save(first.with_record(dataset(2), record(2)))
    finally:
        logging.getLogger("reconciler.state").removeHandler(handler)
    assert StateStore(store.path).load() == second
    assert ["cannot update the backup" in w.getMessage() for w in handler.records] == [True]
    names = sorted(p.name for p in store.path.parent.iterdir())
    assert names == ["state.json", "state.json.backup"]


def test_ten_thousand_datasets_round_trip_and_one_change_is_one_serial(
    store: StateStore,
) -> None:
    big = StateFile.new().with_datasets({dataset(n): record(n) for n in range(10_000)})
    with store.lock("apply"):
        saved = store.save(big)
        changed = store.save(saved.with_record(dataset(42), record(42, version="version-x")))
    assert (saved.serial, changed.serial) == (1, 2)
    loaded = StateStore(store.path).load()
    assert len(loaded.datasets) == 10_000
    assert loaded == changed


def test_a_pending_verification_is_content_that_survives_a_reload(store: StateStore) -> None:
    from datetime import datetime, timezone

    from reconciler.state import PendingVerification

    pending = PendingVerification(raw_sha256="abc", since=datetime(2026, 1, 1, tzinfo=timezone.utc))
    with store.lock("apply"):
        first = store.save(store.load().with_pending(dataset(1), pending))
        assert first.serial == 1
        started = store.save(
            first.with_pending(dataset(1), pending.model_copy(update={"scan_id": "s1"}))
        )
        assert started.serial == 2
        cleared = store.save(started.with_pending(dataset(1), None))
        assert cleared.serial == 3
    assert StateStore(store.path).load().pending == {}
    assert started.pending[dataset(1)].scan_id == "s1"


# -- the state belongs to its project ---------------------------------------------------------


def _saved(path: Path, project: StateProject | None, *datasets: int) -> StateFile:
    store = StateStore(path, project=project)
    with store.lock("apply"):
        state = store.load()
        for n in datasets:
            state = store.save(state.with_record(dataset(n), record(n)))
    return state


def test_a_save_records_the_project_and_the_same_project_loads_it(store: StateStore) -> None:
    saved = _saved(store.path, HERE, 1)
    assert saved.project == HERE
    assert json.loads(store.path.read_bytes())["project"] == {
        "contracts": "contracts",
        "host": "https://cloud.soda.io",
    }
    same = StateProject(contracts="contracts", host="cloud.soda.io")  # as typed in --host
    assert StateStore(store.path, project=same).load() == saved


@pytest.mark.parametrize(
    ("other", "shown"),
    [
        (
            StateProject(contracts="soda/contracts", host="https://cloud.soda.io"),
            'contracts folder "soda/contracts" on https://cloud.soda.io',
        ),
        (
            StateProject(contracts="contracts", host="https://cloud.us.soda.io"),
            'contracts folder "contracts" on https://cloud.us.soda.io',
        ),
    ],
    ids=["another folder", "another Soda Cloud"],
)
def test_another_projects_state_is_refused_naming_both(
    store: StateStore, other: StateProject, shown: str
) -> None:
    _saved(store.path, HERE, 1)
    before = store.path.read_bytes()
    theirs = StateStore(store.path, project=other)
    with pytest.raises(StateForeign) as caught:
        theirs.load()
    assert str(caught.value) == (
        f"{store.path}: this state belongs to another project: contracts folder "
        f'"contracts" on https://cloud.soda.io; this command\'s project is {shown}'
    )
    assert caught.value.hint is not None
    assert "--state" in caught.value.hint
    assert "reconciler state rebuild" in caught.value.hint
    assert store.path.read_bytes() == before


def test_a_state_of_format_version_1_loads_and_gains_its_project_on_the_next_save(
    store: StateStore,
) -> None:
    store.path.parent.mkdir(parents=True)
    store.path.write_bytes(VERSION_1)
    mine = StateStore(store.path, project=HERE)
    old = mine.load()
    assert old.project is None
    assert store.path.read_bytes() == VERSION_1, "loading writes nothing"
    with mine.lock("apply"):
        saved = mine.save(old.with_record(dataset(2), record(2)))
    assert (saved.project, saved.serial, saved.lineage) == (HERE, 8, old.lineage)
    written = json.loads(store.path.read_bytes())
    assert (written["format_version"], written["project"]["contracts"]) == (2, "contracts")
    assert StateStore(store.backup_path).load().format_version == 1


def test_a_state_file_swapped_for_another_lineage_is_refused_by_its_backup(
    store: StateStore,
) -> None:
    # Two saves of an old-format state leave a backup of the same lineage (and no project).
    mine = _saved(store.path, None, 1, 2)
    other = StateFile.new().with_record(dataset(9), record(9)).model_copy(update={"serial": 4})
    store.path.write_bytes(encode(other))  # someone copied another state over it
    with pytest.raises(StateForeign) as caught:
        StateStore(store.path, project=HERE).load()
    assert str(caught.value) == (
        f"{store.path}: the state file is not the one its backup continues (lineage "
        f"{other.lineage}; state.json.backup has lineage {mine.lineage}): it was replaced by "
        "another state file"
    )
    assert caught.value.hint is not None
    assert f"delete {store.backup_path}" in caught.value.hint
    # A store that knows no project (state show) still reads what is there.
    assert StateStore(store.path).load() == other


def test_a_lost_state_file_continues_the_lineage_of_its_backup(store: StateStore) -> None:
    saved = _saved(store.path, HERE, 1, 2)
    backup = StateStore(store.backup_path).load()
    store.path.unlink()
    mine = StateStore(store.path, project=HERE)
    fresh = mine.load()
    assert (fresh.lineage, dict(fresh.datasets)) == (saved.lineage, {})
    with mine.lock("apply"):
        again = mine.save(fresh.with_record(dataset(3), record(3)))
    assert again.serial > saved.serial, "a plan made from the lost file is stale"
    assert StateStore(store.path, project=HERE).load() == again
    assert StateStore(store.backup_path).load() == backup, "the backup is kept"


def test_replacing_another_projects_state_drops_its_backup(store: StateStore) -> None:
    _saved(store.path, HERE, 1, 2)
    mine = StateStore(store.path, project=StateProject(contracts="other", host="local"))
    with pytest.raises(StateForeign):
        mine.load()
    with mine.lock("state rebuild"):
        with pytest.raises(StateError, match="refusing to overwrite the state of lineage"):
            mine.save(StateFile.new().with_record(dataset(5), record(5)))
        rebuilt = mine.save(StateFile.new().with_record(dataset(5), record(5)), replace=True)
    assert rebuilt.project == StateProject(contracts="other", host="local")
    assert not store.backup_path.exists(), "a backup of another state would refuse this one"
    assert mine.load() == rebuilt
