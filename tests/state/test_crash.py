"""A run killed with SIGKILL at any moment leaves a state file and a backup that load."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.state import StateFile, StateStore
from tests.state.factories import dataset, record

REPO_ROOT = Path(__file__).resolve().parents[2]
KILLS = 8
# A save makes about seven reported steps; this spans several saves.
MOST_STEPS = 40


def _writer(path: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.state.crash_writer", str(path)],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _kill_after_steps(child: subprocess.Popen[bytes], steps: int) -> tuple[int, list[str]]:
    """SIGKILL the writer right after its ``steps``-th reported step.

    Returns the last serial it acknowledged as saved (0 if none) and the steps seen.
    """
    assert child.stdout is not None
    assert child.stderr is not None
    saved, seen = 0, list[str]()
    try:
        while len(seen) < steps:
            line = child.stdout.readline().decode().strip()
            if not line:
                child.wait()
                pytest.fail(f"the writer stopped on its own:\n{child.stderr.read().decode()}")
            seen.append(line)
            if line.startswith("saved "):
                saved = int(line.split()[1])
    finally:
        child.kill()
        child.wait()
        child.stdout.close()
        child.stderr.close()
    return saved, seen


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_state_and_backup_always_load_after_sigkill_at_random_moments(tmp_path: Path) -> None:
    rng = random.Random(20260301)
    path = tmp_path / "state.json"
    store = StateStore(path)
    with store.lock("seed"):
        seeded = store.save(
            StateFile.new().with_datasets({dataset(n): record(-n) for n in range(500)})
        )

    last_steps: set[str] = set()
    serial_before = seeded.serial
    for _ in range(KILLS):
        acknowledged, seen = _kill_after_steps(_writer(path), rng.randint(1, MOST_STEPS))
        last_steps.add(seen[-1])

        state = StateStore(path).load()
        backup = StateStore(store.backup_path).load()
        assert state.lineage == backup.lineage == seeded.lineage
        # What was acknowledged survived; nothing went backwards.
        assert state.serial >= max(acknowledged, serial_before)
        assert backup.serial < state.serial
        assert len(state.datasets) >= 500
        serial_before = state.serial

        # The killed run still holds the lock: it is stale, and the next run takes it over.
        held = store.read_lock()
        assert held is not None
        assert held.operation == "crash test"
        assert held.looks_stale()

    # The kills landed in different phases of a save, not always at the same point.
    assert len(last_steps) >= 3, last_steps
    # The next run takes the dead run's lock over and sweeps what the last kill left.
    after = StateStore(path)
    with after.lock("after the crashes"):
        final = after.save(after.load().without(dataset(1)))
    assert final.serial == serial_before + 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json", "state.json.backup"]
