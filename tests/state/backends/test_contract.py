"""What every state backend promises, each run against its real server (PostgreSQL, moto's
S3): conditional writes that two runners cannot both win, a backup of the previous save, and a
lock that holds across processes, names its holder, waits on an injectable clock and frees
itself when its holder was killed."""

from __future__ import annotations

import os
import threading

import pytest

from reconciler.clock import ManualClock, SystemClock
from reconciler.errors import StateConflict, StateError, StateLocked
from reconciler.state import StateFile, encode
from reconciler.state.backend import BackendLock, StateBackend
from reconciler.state.lock import current_user, this_host
from tests.state.backends.conftest import Place, Runners

LINEAGE = "0b6f3c1e-6f1d-4a57-9a53-5a1f0c2a9b11"


def document(serial: int) -> bytes:
    """A real state document (canonical bytes) at ``serial``."""
    return encode(StateFile.new(LINEAGE, serial=serial))


def holder_named(pid: int, operation: str = "apply") -> str:
    return f'{current_user()}@{this_host().name} (pid {pid}, operation "{operation}")'


def test_a_new_state_reads_as_none_and_its_first_write_creates_it(runners: Runners) -> None:
    writer, reader = runners.open(), runners.open()
    assert writer.read() is None
    assert writer.read_backup() is None

    version = writer.write(document(1), expected=None)

    found = reader.read()
    assert found is not None
    assert (found.data, found.version) == (document(1), version)
    assert reader.read_backup() is None


def test_each_write_keeps_the_document_it_replaced_as_the_backup(runners: Runners) -> None:
    writer, reader = runners.open(), runners.open()
    first = writer.write(document(1), expected=None)
    second = writer.write(document(2), expected=first)
    assert second != first
    assert reader.read_backup() == document(1)

    third = writer.write(document(3), expected=second)

    found = reader.read()
    assert found is not None
    assert (found.data, found.version) == (document(3), third)
    assert reader.read_backup() == document(2)


def test_a_write_over_a_version_that_moved_on_changes_nothing(runners: Runners) -> None:
    first_runner, second_runner = runners.open(), runners.open()
    read = first_runner.write(document(1), expected=None)
    second_runner.write(document(2), expected=read)

    with pytest.raises(StateConflict, match="changed since this run read it") as refused:
        first_runner.write(document(99), expected=read)

    assert first_runner.location in refused.value.message
    found = second_runner.read()
    assert found is not None
    assert found.data == document(2)
    assert second_runner.read_backup() == document(1)


def test_a_run_that_read_an_old_version_leaves_the_state_and_its_backup_alone(
    runners: Runners,
) -> None:
    current, stale = runners.open(), runners.open()
    first = current.write(document(1), expected=None)
    assert stale.read() is not None
    second = current.write(document(2), expected=first)
    current.write(document(3), expected=second)

    with pytest.raises(StateConflict):
        stale.write(document(99), expected=first)

    found = current.read()
    assert found is not None
    assert found.data == document(3)
    assert current.read_backup() == document(2)


def test_a_first_write_over_a_state_that_exists_is_a_conflict(runners: Runners) -> None:
    first_runner, second_runner = runners.open(), runners.open()
    first_runner.write(document(1), expected=None)

    with pytest.raises(StateConflict):
        second_runner.write(document(2), expected=None)

    found = first_runner.read()
    assert found is not None
    assert found.data == document(1)


@pytest.mark.parametrize("existing", [False, True], ids=["first write", "later write"])
def test_of_two_runners_writing_at_once_over_the_same_version_exactly_one_wins(
    runners: Runners, existing: bool
) -> None:
    first, second = runners.open(), runners.open()
    expected = first.write(document(1), expected=None) if existing else None
    start = threading.Barrier(2)
    outcomes: dict[int, str] = {}

    def save(backend: StateBackend, serial: int) -> None:
        start.wait()
        try:
            backend.write(document(serial), expected=expected)
        except StateConflict:
            outcomes[serial] = "conflict"
        else:
            outcomes[serial] = "saved"

    writers = [threading.Thread(target=save, args=pair) for pair in ((first, 10), (second, 20))]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()

    assert sorted(outcomes.values()) == ["conflict", "saved"]
    winner = next(serial for serial, outcome in outcomes.items() if outcome == "saved")
    found = first.read()
    assert found is not None
    assert found.data == document(winner)
    assert first.read_backup() == (document(1) if existing else None)


def test_a_lock_names_its_holder_and_is_exclusive_across_two_processes(
    place: Place, runners: Runners
) -> None:
    other = place.holder()
    lock_id = other.wait_locked()
    backend = runners.open()

    held = backend.read_lock()
    assert held is not None
    assert held.holder is not None
    holder = held.holder
    assert (holder.id, holder.pid, holder.operation) == (lock_id, other.pid, "apply")
    assert (holder.owner, holder.host) == (current_user(), this_host().name)
    with pytest.raises(StateLocked) as refused:
        BackendLock(backend, "import").acquire()
    assert f"the state is locked by {holder_named(other.pid)}" in refused.value.message
    assert backend.location in refused.value.message
    assert refused.value.hint is not None
    assert lock_id in refused.value.hint

    assert other.let_go().strip() == "released"
    lines: list[str] = []
    with BackendLock(backend, "import", report=lines.append) as lock:
        lock.ensure_held()
        assert backend.read_lock() is not None
    assert lines == []
    assert backend.read_lock() is None


def test_a_sigkilled_holder_frees_the_lock_and_the_next_run_says_whose_it_took_over(
    place: Place, runners: Runners
) -> None:
    other = place.holder()
    other.wait_locked()
    other.kill()
    backend = runners.open()
    lines: list[str] = []

    # PostgreSQL frees the lock once it sees the killed run's socket close; the wait covers
    # the moment that takes, and the line says who held it.
    lock = BackendLock(backend, "apply", SystemClock(), timeout=60, report=lines.append, poll=0.05)
    with lock:
        lock.ensure_held()

    took_over = [line for line in lines if line.startswith("Took over the state lock of ")]
    assert len(took_over) == 1
    assert holder_named(other.pid) in took_over[0]


def test_a_wait_for_the_lock_on_a_manual_clock_ends_in_a_refusal_naming_the_holder(
    runners: Runners,
) -> None:
    holding = BackendLock(runners.open(), "apply")
    holding.acquire()
    clock = ManualClock()
    lines: list[str] = []
    waiting = BackendLock(runners.open(), "import", clock, timeout=5, report=lines.append)

    with pytest.raises(StateLocked, match=r"\(waited 5s\)$") as refused:
        waiting.acquire()

    assert holder_named(os.getpid()) in refused.value.message
    assert clock.monotonic() == 5
    assert len(lines) == 1
    assert "waiting up to 5s for it (--lock-timeout)" in lines[0]
    assert not waiting.held

    holding.release()
    with waiting:
        assert waiting.held


def test_a_lock_is_removed_by_hand_only_by_its_id_and_its_live_holder_only_with_force(
    runners: Runners,
) -> None:
    holder_backend, other = runners.open(), runners.open()
    holding = BackendLock(holder_backend, "apply")
    info = holding.acquire()

    with pytest.raises(StateLocked, match=f"the lock is not not-this-one: it is {info.id}"):
        other.unlock("not-this-one")
    with pytest.raises(StateLocked, match="that run is still going"):
        other.unlock(info.id)
    holding.ensure_held()

    removed = other.unlock(info.id, force=True)

    assert removed.id == info.id
    with pytest.raises(StateLocked):
        holding.ensure_held()
    with BackendLock(other, "import") as taker:
        holding.release()  # the removed run lets go: the new holder keeps its lock
        current = other.read_lock()
        assert current is not None
        assert current.holder is not None
        assert taker.info is not None
        assert current.holder.id == taker.info.id


def test_unlocking_a_state_that_is_not_locked_says_so(runners: Runners) -> None:
    with pytest.raises(StateError, match="not locked"):
        runners.open().unlock("5d1e9f4e-0000-4000-8000-00000000abcd")
