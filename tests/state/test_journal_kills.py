"""An apply killed between any two of its writes (journal lines, state saves, the lock) leaves
a state that loads, and the next apply converges: Soda Cloud equal to git, every change once.

The kill points are counted in writes (``tests/state/killed_apply.py``), never in time; every
N is tried until a run makes fewer than N writes and ends on its own.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.emulator import EmulatorFactory, RunningEmulator
from reconciler.state import StateStore, journal_path_for, read_lock
from tests.cloud.support import bulk_seed, contract_text, dataset_name

REPO_ROOT = Path(__file__).resolve().parents[2]
TIME_SCALE = 600.0
MOST_WRITES = 40  # an apply of three datasets makes fewer; more fails the test
PER_PROJECT = 3  # published and verified, published without a verification, adopted


def _names(n: int) -> tuple[str, str, str]:
    first = (n - 1) * PER_PROJECT
    return dataset_name(first), dataset_name(first + 1), dataset_name(first + 2)


def _make_projects(root: Path) -> None:
    for n in range(1, MOST_WRITES + 1):
        published, reformatted, adopted = _names(n)
        files = {
            published: contract_text(published, threshold=5),
            reformatted: "# formatted\n" + contract_text(reformatted),
            adopted: contract_text(adopted),
        }
        for name, text in files.items():
            path = root / str(n) / "contracts" / f"{name}.yml"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)


def _run_harness(root: Path, cloud: RunningEmulator) -> list[dict[str, object]]:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(root),
        "SODA_CLOUD_HOST": cloud.url,
        "SODA_CLOUD_API_KEY_ID": cloud.api_key_id,
        "SODA_CLOUD_API_KEY_SECRET": cloud.api_key_secret,
        "RECONCILER_TIME_SCALE": str(cloud.clock.scale),
        "NO_COLOR": "1",
    }
    finished = subprocess.run(
        [sys.executable, "-m", "tests.state.killed_apply", str(root), str(MOST_WRITES)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    return [json.loads(line) for line in finished.stdout.splitlines()]


def _assert_converged(cloud: RunningEmulator, project: Path, n: int) -> None:
    published, reformatted, adopted = _names(n)
    by_dataset = {c.dataset: c for c in cloud.admin.state().contracts}
    for name in (published, reformatted, adopted):
        on_disk = (project / "contracts" / f"{name}.yml").read_text()
        assert by_dataset[name].contents == on_disk, f"{n}: {name}: Soda Cloud != git"
    versions = {name: by_dataset[name].versions for name in (published, reformatted, adopted)}
    assert versions == {published: 2, reformatted: 2, adopted: 1}, f"{n}: a change landed twice"
    state_path = project / ".reconciler" / "state.json"
    state = StateStore(state_path).load()
    assert sorted(state.datasets) == sorted((published, reformatted, adopted)), n
    assert dict(state.pending) == {}, f"{n}: a verification is still owed"
    verification = state.datasets[published].last_verification
    assert verification is not None, n
    assert verification.state == "completed", n
    assert not journal_path_for(state_path).exists(), f"{n}: the journal was not compacted"
    assert read_lock(state_path) is None, n


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL and fork are POSIX")
def test_apply_killed_after_every_write_leaves_a_state_that_loads_and_converges(
    start_emulator: EmulatorFactory, tmp_path: Path
) -> None:
    seed = bulk_seed(MOST_WRITES * PER_PROJECT, contracts=MOST_WRITES * PER_PROJECT)
    cloud = start_emulator(seed, time_scale=TIME_SCALE)
    _make_projects(tmp_path)

    runs = _run_harness(tmp_path, cloud)

    *killed, last = runs
    assert [run["n"] for run in runs] == list(range(1, len(runs) + 1))
    assert not last["killed"], f"more than {MOST_WRITES} writes"
    assert last["first"] == 0, last
    assert len(killed) >= 8, "an apply of three datasets makes more writes than that"
    for run in killed:
        assert run["killed"], run
        assert run["loaded"] is None, run
        assert run["second"] == 0, run
    # Some kills fell while the journal held changes not yet in the state file.
    assert any(run["journal"] for run in killed)
    for n in range(1, len(runs) + 1):
        _assert_converged(cloud, tmp_path / str(n), n)
