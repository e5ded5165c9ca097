from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from reconciler.clock import ManualClock
from reconciler.errors import StateError, StateLocked
from reconciler.state import LockInfo, StateLock, StateStore, read_lock
from reconciler.state.lock import current_user, pid_alive

START = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def state_path(tmp_path: Path) -> Path:
    return tmp_path / ".reconciler" / "state.json"


def _dead_pid() -> int:
    probe = subprocess.Popen([sys.executable, "-c", "pass"])
    probe.wait()
    return probe.pid


def _plant_lock(state_path: Path, **fields: object) -> LockInfo:
    info = LockInfo.model_validate(
        {
            "created": "2026-03-01T08:45:00Z",
            "host": "ci-runner-7",
            "id": "5d1e9f4e-0000-4000-8000-00000000abcd",
            "operation": "apply",
            "owner": "alice",
            "pid": 4242,
        }
        | fields
    )
    state_path.parent.mkdir(parents=True, exist_ok=True)
    (state_path.parent / (state_path.name + ".lock")).write_text(info.model_dump_json())
    return info


def test_lock_file_is_created_next_to_the_state_with_its_holder(
    state_path: Path, clock: ManualClock
) -> None:
    with StateLock(state_path, "apply", clock) as lock:
        written = json.loads((state_path.parent / "state.json.lock").read_text())
        assert lock.info is not None
        assert written == {
            "created": "2026-03-01T09:00:00Z",
            "host": socket.gethostname(),
            "id": lock.info.id,
            "operation": "apply",
            "owner": current_user(),
            "pid": os.getpid(),
        }
    assert not (state_path.parent / "state.json.lock").exists()


def test_a_held_lock_refuses_a_second_run_naming_who_what_where_and_since_when(
    state_path: Path, clock: ManualClock
) -> None:
    with StateLock(state_path, "apply", clock) as held:
        assert held.info is not None
        lock_id = held.info.id
        clock.advance(125)
        with pytest.raises(StateLocked) as caught:
            StateStore(state_path, clock).lock("import").acquire()
    message = str(caught.value)
    assert message == (
        f"{state_path}: the state is locked by {current_user()}@{socket.gethostname()} "
        f'(pid {os.getpid()}, operation "apply") since 2026-03-01T09:00:00Z (2 minutes ago)'
    )
    assert caught.value.hint == (
        "Wait for that run to finish. If it is gone (for example its CI job was killed), "
        f"remove the lock with: reconciler state unlock {lock_id}"
    )


def test_a_lock_of_a_dead_process_on_this_host_is_reported_as_stale(
    state_path: Path, clock: ManualClock
) -> None:
    dead = _plant_lock(state_path, host=socket.gethostname(), pid=_dead_pid())
    assert dead.looks_stale()
    with pytest.raises(StateLocked) as caught:
        StateLock(state_path, "apply", clock).acquire()
    assert f"the lock looks stale: process {dead.pid} is no longer running" in str(caught.value)
    assert "15 minutes ago" in str(caught.value)
    assert caught.value.hint == (
        "That run died without releasing the lock. Remove it with: "
        f"reconciler state unlock {dead.id}"
    )


def test_a_lock_from_another_host_or_a_live_process_is_not_called_stale(
    state_path: Path,
) -> None:
    elsewhere = _plant_lock(state_path, pid=_dead_pid())
    assert not elsewhere.looks_stale()
    here_and_alive = _plant_lock(state_path, host=socket.gethostname(), pid=os.getpid())
    assert not here_and_alive.looks_stale()
    assert pid_alive(os.getpid())
    assert not pid_alive(_dead_pid())


def test_unlock_with_the_wrong_id_is_refused_naming_the_holder(
    state_path: Path, clock: ManualClock
) -> None:
    held = _plant_lock(state_path)
    store = StateStore(state_path, clock)
    with pytest.raises(StateLocked) as caught:
        store.unlock("not-the-id")
    assert str(caught.value) == (
        f"{state_path}: the lock is not not-the-id: it is {held.id}, held by alice@ci-runner-7 "
        '(pid 4242, operation "apply") since 2026-03-01T08:45:00Z (15 minutes ago)'
    )
    assert read_lock(state_path) == held


def test_unlock_with_the_right_id_removes_the_lock_and_says_what_it_was(
    state_path: Path, clock: ManualClock
) -> None:
    held = _plant_lock(state_path)
    assert StateStore(state_path, clock).unlock(held.id) == held
    assert read_lock(state_path) is None
    with StateLock(state_path, "apply", clock):
        pass


def test_unlock_when_nothing_is_locked_is_an_error(state_path: Path) -> None:
    with pytest.raises(StateError, match="the state is not locked"):
        StateStore(state_path).unlock("anything")


def test_the_lock_is_released_when_the_block_raises(state_path: Path) -> None:
    store = StateStore(state_path)
    with pytest.raises(ValueError, match="boom"), store.lock("apply"):
        raise ValueError("boom")
    assert store.read_lock() is None
    with store.lock("apply"):
        assert store.read_lock() is not None


def test_release_leaves_a_lock_that_is_no_longer_ours(state_path: Path) -> None:
    lock = StateLock(state_path, "apply")
    with lock:
        assert lock.info is not None
        StateStore(state_path).unlock(lock.info.id)
        theirs = _plant_lock(state_path, id="someone-else")
    assert read_lock(state_path) == theirs


def test_an_unreadable_lock_file_still_locks_and_says_how_to_clear_it(state_path: Path) -> None:
    state_path.parent.mkdir(parents=True)
    lock_file = state_path.parent / "state.json.lock"
    lock_file.write_text("")
    with pytest.raises(StateLocked) as caught:
        StateLock(state_path, "apply").acquire()
    assert str(caught.value) == (
        f"{state_path}: the state is locked, but the lock file {lock_file} cannot be read "
        "(it is empty)"
    )
    assert caught.value.hint is not None
    assert f"delete {lock_file}" in caught.value.hint
    assert lock_file.read_text() == ""


def test_a_lock_written_by_a_newer_reconciler_is_still_understood(state_path: Path) -> None:
    _plant_lock(state_path)
    lock_file = state_path.parent / "state.json.lock"
    lock_file.write_text(json.dumps(json.loads(lock_file.read_text()) | {"ci_job": "42"}))
    found = read_lock(state_path)
    assert found is not None
    assert found.owner == "alice"


def test_one_lock_object_cannot_be_taken_twice(state_path: Path) -> None:
    lock = StateLock(state_path, "apply")
    with lock, pytest.raises(RuntimeError, match="already held"):
        lock.acquire()
