from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from reconciler.clock import ManualClock
from reconciler.errors import StateError, StateLocked
from reconciler.state import Liveness, LockInfo, StateLock, StateStore, holder_status, read_lock
from reconciler.state.lock import current_user, pid_alive, process_start, this_host

START = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)
LINUX = sys.platform.startswith("linux")
needs_proc = pytest.mark.skipif(not LINUX, reason="process start times come from /proc")


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


def _from_here(**fields: object) -> dict[str, object]:
    """Lock fields as a run on this host, in this boot and container, writes them."""
    here = this_host()
    found = {"host": here.name, "boot_id": here.boot_id, "pid_namespace": here.pid_namespace}
    return found | fields


class HookedClock(ManualClock):
    """A manual clock that runs ``action`` during its ``at``-th sleep: another run, acting
    while this one waits for the lock."""

    def __init__(self, at: int, action: Callable[[], None]) -> None:
        super().__init__(START)
        self.at, self.action, self.sleeps = at, action, 0

    async def sleep(self, seconds: float) -> None:
        self.sleeps += 1
        if self.sleeps == self.at:
            self.action()
        await super().sleep(seconds)


@contextmanager
def _holder_process(state_path: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """Another run, in its own process, holding the lock until its stdin closes."""
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from reconciler.state import StateLock\n"
        "lock = StateLock(Path(sys.argv[1]), 'apply')\n"
        "print(lock.acquire().id, flush=True)\n"
        "sys.stdin.read()\n"
        "lock.release()\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script, str(state_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    assert child.stdin is not None
    try:
        lock_id = child.stdout.readline().strip()
        assert lock_id, "the holder did not take the lock"
        yield child, lock_id
    finally:
        if child.poll() is None:
            child.kill()
        child.wait()
        child.stdout.close()
        child.stdin.close()


# -- taking the lock ------------------------------------------------------------------------


def test_lock_file_is_created_next_to_the_state_with_its_holder(
    state_path: Path, clock: ManualClock
) -> None:
    with StateLock(state_path, "apply", clock) as lock:
        written = json.loads((state_path.parent / "state.json.lock").read_text())
        assert lock.info is not None
        expected: dict[str, Any] = {
            "boot_id": None,
            "created": "2026-03-01T09:00:00Z",
            "host": socket.gethostname(),
            "id": lock.info.id,
            "operation": "apply",
            "owner": current_user(),
            "pid": os.getpid(),
            "pid_namespace": None,
            "process_start": None,
        }
        if LINUX:
            own_stat = Path("/proc/self/stat").read_text()
            expected |= {
                "boot_id": Path("/proc/sys/kernel/random/boot_id").read_text().strip(),
                "pid_namespace": os.readlink("/proc/self/ns/pid"),
                "process_start": int(own_stat[own_stat.rfind(")") + 2 :].split()[19]),
            }
        assert written == expected
        assert list(written) == sorted(written)
    assert sorted(p.name for p in state_path.parent.iterdir()) == [], "no draft is left"


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
        "Wait for that run to finish, or wait for it with --lock-timeout (e.g. "
        f"--lock-timeout 5m). Only if it hangs: reconciler state unlock {lock_id} --force"
    )
    assert clock.monotonic() == 125, "refused at once: no wait without --lock-timeout"


def test_a_lock_of_a_dead_process_on_this_host_is_taken_over_with_one_line_naming_it(
    state_path: Path, clock: ManualClock
) -> None:
    dead = _plant_lock(state_path, **_from_here(pid=_dead_pid()))
    heard: list[str] = []
    with StateLock(state_path, "apply", clock, report=heard.append) as lock:
        assert lock.info is not None
        assert read_lock(state_path) == lock.info
    assert heard == [
        f'Took over the state lock of alice@{dead.host} (pid {dead.pid}, operation "apply") '
        f"since 2026-03-01T08:45:00Z (15 minutes ago): process {dead.pid} is no longer running."
    ]
    assert read_lock(state_path) is None


@needs_proc
def test_a_pid_that_now_belongs_to_a_later_process_is_taken_over(
    state_path: Path, clock: ManualClock
) -> None:
    started = process_start(os.getpid())
    assert started is not None
    # This very process has the pid, but it is not the process that took the lock.
    _plant_lock(state_path, **_from_here(pid=os.getpid(), process_start=started - 1))
    heard: list[str] = []
    with StateLock(state_path, "apply", clock, report=heard.append):
        pass
    assert len(heard) == 1
    assert heard[0].endswith(
        f"process id {os.getpid()} now belongs to another process, started after the lock "
        "was taken."
    )


@needs_proc
def test_a_lock_from_an_older_reconciler_is_judged_by_its_creation_time(
    state_path: Path,
) -> None:
    # No process_start: a live pid counts as the holder unless it started after the lock.
    before_us = _plant_lock(
        state_path, created="2000-01-01T00:00:00Z", **_from_here(pid=os.getpid())
    )
    assert holder_status(before_us).gone
    just_now = datetime.now(timezone.utc).isoformat()
    ours = _plant_lock(state_path, created=just_now, **_from_here(pid=os.getpid()))
    assert holder_status(ours).liveness is Liveness.ALIVE


@needs_proc
def test_a_holder_that_ended_but_was_not_reaped_is_gone(state_path: Path) -> None:
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=-1)
    assert child.stdin is not None
    started = process_start(child.pid)
    child.stdin.close()
    # Wait for it to end without reaping it: it stays a zombie with its pid.
    os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)
    try:
        zombie = _plant_lock(state_path, **_from_here(pid=child.pid, process_start=started))
        status = holder_status(zombie)
        assert (status.liveness, status.reason) == (
            Liveness.GONE,
            f"process {child.pid} has ended",
        )
        assert not pid_alive(child.pid)
    finally:
        child.wait()


@pytest.mark.parametrize(
    ("where", "reason"),
    [
        ({"host": "ci-runner-7"}, "it was taken on another host (ci-runner-7)"),
        (
            {"boot_id": "00000000-0000-4000-8000-000000000000"},
            "it was taken during another boot of {host} (or on another machine of that name)",
        ),
        (
            {"pid_namespace": "pid:[1]"},
            "it was taken in another container on {host} (another process namespace)",
        ),
    ],
    ids=["another host", "another boot", "another container"],
)
def test_a_lock_from_elsewhere_is_never_taken_over_even_if_its_pid_is_free_here(
    state_path: Path, clock: ManualClock, where: dict[str, str], reason: str
) -> None:
    if not LINUX and "host" not in where:
        pytest.skip("boot ids and process namespaces are Linux's")
    planted = _plant_lock(state_path, **(_from_here(pid=_dead_pid()) | where))
    status = holder_status(planted)
    assert (status.liveness, status.reason) == (
        Liveness.UNKNOWN,
        reason.format(host=socket.gethostname()),
    )
    with pytest.raises(StateLocked) as caught:
        StateLock(state_path, "apply", clock).acquire()
    assert "stale" not in str(caught.value)
    assert caught.value.hint == (
        "Wait for that run to finish (--lock-timeout waits for it). If it is gone (for "
        "example its CI job was killed on another machine), remove the lock with: "
        f"reconciler state unlock {planted.id}"
    )
    assert read_lock(state_path) == planted


def test_a_live_process_on_this_host_keeps_its_lock(state_path: Path) -> None:
    with _holder_process(state_path) as (child, lock_id):
        holder = read_lock(state_path)
        assert holder is not None
        assert (holder.id, holder.pid) == (lock_id, child.pid)
        assert holder_status(holder).liveness is Liveness.ALIVE
        assert not holder.looks_stale()
        with pytest.raises(StateLocked, match=f"pid {child.pid}"):
            StateLock(state_path, "apply").acquire()
        assert read_lock(state_path) == holder


def _race(state_path: Path, runs: int) -> tuple[list[StateLock], list[str]]:
    """``runs`` runs that try to take the lock at the same instant: who won, who was refused."""
    start = threading.Barrier(runs)
    won: list[StateLock] = []
    refused: list[str] = []

    def run(number: int) -> None:
        lock = StateLock(state_path, f"run {number}", report=lambda line: None)
        start.wait()
        try:
            lock.acquire()
        except StateLocked as refusal:
            refused.append(str(refusal))
        else:
            won.append(lock)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return won, refused


def test_two_runs_taking_over_the_same_dead_lock_at_once_exactly_one_wins(
    state_path: Path,
) -> None:
    runs, dead_pid = 6, _dead_pid()
    for _ in range(40):
        dead = _plant_lock(state_path, **_from_here(pid=dead_pid))
        won, refused = _race(state_path, runs)
        assert len(won) == 1, f"{len(won)} runs hold the lock at once"
        winner = won[0]
        assert winner.info is not None
        assert read_lock(state_path) == winner.info
        assert len(refused) == runs - 1
        assert all(f'operation "{winner.operation}"' in message for message in refused)
        assert all(dead.id not in message for message in refused)
        winner.release()
        assert read_lock(state_path) is None


# -- waiting for it (--lock-timeout) ----------------------------------------------------------


def test_a_live_lock_is_waited_for_up_to_the_timeout_then_refused_naming_its_holder(
    state_path: Path,
) -> None:
    clock = HookedClock(at=0, action=lambda: None)
    heard: list[str] = []
    with StateLock(state_path, "apply", clock) as held:
        assert held.info is not None
        with pytest.raises(StateLocked) as caught:
            StateLock(state_path, "import", clock, timeout=30, report=heard.append).acquire()
    assert clock.monotonic() == 30
    assert clock.sleeps == 30, "one look a second"
    assert str(caught.value).endswith(
        f'(pid {os.getpid()}, operation "apply") since 2026-03-01T09:00:00Z (30 seconds ago) '
        "(waited 30s)"
    )
    assert heard == [
        f"The state {state_path} is locked by {current_user()}@{socket.gethostname()} "
        f'(pid {os.getpid()}, operation "apply") since 2026-03-01T09:00:00Z (just now); '
        "waiting up to 30s for it (--lock-timeout)."
    ]


def test_a_lock_released_while_waiting_is_taken(state_path: Path) -> None:
    holder = StateLock(state_path, "apply")
    holder.acquire()
    clock = HookedClock(at=3, action=holder.release)
    with StateLock(state_path, "import", clock, timeout=300, report=lambda line: None) as lock:
        assert read_lock(state_path) == lock.info
    assert clock.monotonic() == 3


def test_a_holder_that_dies_while_waited_for_is_taken_over(state_path: Path) -> None:
    heard: list[str] = []
    with _holder_process(state_path) as (child, _):

        def die() -> None:
            child.kill()
            child.wait()

        clock = HookedClock(at=2, action=die)
        with StateLock(state_path, "apply", clock, timeout=60, report=heard.append) as lock:
            assert read_lock(state_path) == lock.info
    assert clock.monotonic() == 2
    assert len(heard) == 2
    assert heard[0].endswith("waiting up to 1m for it (--lock-timeout).")
    assert heard[1].startswith("Took over the state lock of ")
    assert heard[1].endswith(f"process {child.pid} is no longer running.")


# -- removing it ----------------------------------------------------------------------------


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


def test_unlock_of_a_run_alive_on_this_host_needs_force(state_path: Path) -> None:
    store = StateStore(state_path)
    with _holder_process(state_path) as (child, lock_id):
        with pytest.raises(StateLocked) as caught:
            store.unlock(lock_id)
        assert f"and that run is still going: process {child.pid} is running" in str(caught.value)
        assert caught.value.hint is not None
        assert "--force" in caught.value.hint
        assert read_lock(state_path) is not None
        assert store.unlock(lock_id, force=True).id == lock_id
        assert read_lock(state_path) is None


def test_unlock_of_a_dead_runs_lock_needs_no_force(state_path: Path) -> None:
    dead = _plant_lock(state_path, **_from_here(pid=_dead_pid()))
    assert StateStore(state_path).unlock(dead.id) == dead
    assert read_lock(state_path) is None


def test_unlock_when_nothing_is_locked_is_an_error(state_path: Path) -> None:
    with pytest.raises(StateError, match="the state is not locked"):
        StateStore(state_path).unlock("anything")


def _swap_in_before_rename(
    monkeypatch: pytest.MonkeyPatch, state_path: Path, theirs: LockInfo
) -> list[str]:
    """Another lock takes the place of the one read, between the read and the removal, as a
    remover that takes no flock (an older reconciler, a person) could make happen."""
    lock_file = state_path.parent / (state_path.name + ".lock")
    real_rename = os.rename
    swapped: list[str] = []

    def rename(source: Any, target: Any) -> None:
        if Path(source) == lock_file and not swapped:
            draft = lock_file.with_name("theirs.json")
            draft.write_text(theirs.model_dump_json())
            os.replace(draft, lock_file)
            swapped.append(theirs.id)
        real_rename(source, target)

    monkeypatch.setattr(os, "rename", rename)
    return swapped


def test_unlock_never_removes_a_lock_that_took_the_place_of_the_one_named(
    state_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    named = _plant_lock(state_path)
    theirs = LockInfo.model_validate(named.model_dump() | {"id": "theirs", "pid": 77})
    swapped = _swap_in_before_rename(monkeypatch, state_path, theirs)
    with pytest.raises(StateLocked, match=f"the lock is not {named.id}: it is theirs"):
        StateStore(state_path).unlock(named.id)
    assert swapped == ["theirs"]
    assert read_lock(state_path) == theirs
    assert sorted(p.name for p in state_path.parent.iterdir()) == ["state.json.lock"]


def test_release_never_removes_a_lock_that_took_the_place_of_its_own(
    state_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    lock = StateLock(state_path, "apply")
    ours = lock.acquire()
    theirs = LockInfo.model_validate(ours.model_dump() | {"id": "theirs"})
    _swap_in_before_rename(monkeypatch, state_path, theirs)
    with caplog.at_level(logging.WARNING, logger="reconciler.state"):
        lock.release()
    assert read_lock(state_path) == theirs
    assert f"the lock {ours.id} was removed by someone else" in caplog.text


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
        StateStore(state_path).unlock(lock.info.id, force=True)
        theirs = _plant_lock(state_path, id="someone-else")
    assert read_lock(state_path) == theirs


# -- odd lock files -------------------------------------------------------------------------


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


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_a_lock_path_that_is_a_fifo_is_refused_without_blocking(state_path: Path) -> None:
    state_path.parent.mkdir(parents=True)
    lock_file = state_path.parent / "state.json.lock"
    os.mkfifo(lock_file)
    # Held open for writing too, so a blocking read would hang rather than see an end.
    keeper = os.open(lock_file, os.O_RDWR)
    try:
        with pytest.raises(StateError, match="the state lock is a FIFO"):
            StateLock(state_path, "apply").acquire()
    finally:
        os.close(keeper)


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


def test_ages_are_said_in_the_largest_unit() -> None:
    from reconciler.state.lock import format_age

    assert format_age(timedelta(seconds=0)) == "just now"
    assert format_age(timedelta(minutes=2, seconds=5)) == "2 minutes ago"
    assert format_age(timedelta(seconds=-3)) == "in the future: check the clocks"
