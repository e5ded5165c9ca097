from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reconciler.cli.main import main
from reconciler.state import LockInfo, StateLock, StateProject, StateStore, Verification, read_lock
from reconciler.state.lock import this_host
from tests.state.factories import record
from tests.state.test_lock import _dead_pid

REPO_ROOT = Path(__file__).resolve().parents[2]
CUSTOMERS = "warehouse/analytics/public/customers"
ORDERS = "warehouse/analytics/public/orders"


def _run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def state_path(tmp_path: Path) -> Path:
    path = tmp_path / ".reconciler" / "state.json"
    store = StateStore(path)
    failed = Verification(
        scan_id="scan-7", state="completedWithFailures", time="2026-03-02T08:00:00Z"
    )
    with store.lock("apply"):
        state = store.load().with_record(CUSTOMERS, record(1))
        state = state.with_record(ORDERS, record(2, version="").with_verification(failed))
        store.save(state)
    return path


def _plant_lock(state_path: Path) -> LockInfo:
    info = LockInfo(
        created="2026-03-01T08:45:00Z",
        host="ci-runner-7",
        id="5d1e9f4e-0000-4000-8000-00000000abcd",
        operation="apply",
        owner="alice",
        pid=4242,
    )
    (state_path.parent / "state.json.lock").write_text(info.model_dump_json())
    return info


def test_show_prints_lineage_serial_and_a_line_per_dataset(state_path: Path) -> None:
    state = StateStore(state_path).load()
    result = _run("state", "show", "--state", str(state_path))
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[:6] == [
        f"State file  {state_path}",
        f"Lineage     {state.lineage}",
        "Serial      1",
        "Project     not recorded yet (the next command that saves this state records its own)",
        "Lock        not locked",
        "Datasets    2",
    ]
    assert lines[7].split() == ["DATASET", "CONTRACT", "VERSION", "LAST", "VERIFICATION"]
    assert lines[8].split() == [
        CUSTOMERS,
        "contract-1",
        "version-1",
        "completed",
        "at",
        "2026-03-01T12:31:00Z",
    ]
    assert lines[9].split() == [
        ORDERS,
        "contract-2",
        "-",
        "completedWithFailures",
        "at",
        "2026-03-02T08:00:00Z",
    ]
    assert lines[8].index("contract-1") == lines[9].index("contract-2")


def test_show_as_json_carries_the_saved_records(state_path: Path) -> None:
    result = _run("state", "show", "--state", str(state_path), "--format", "json")
    assert result.exit_code == 0
    shown = json.loads(result.stdout)
    saved = json.loads(state_path.read_text())
    assert shown["datasets"] == saved["datasets"]
    assert (shown["lineage"], shown["serial"], shown["exists"]) == (
        saved["lineage"],
        1,
        True,
    )
    assert shown["lock"] is None


def test_show_names_the_lock_holder(state_path: Path) -> None:
    held = _plant_lock(state_path)
    text = _run("state", "show", "--state", str(state_path)).stdout
    assert f'Lock        {held.id}, held by alice@ci-runner-7 (pid 4242, operation "apply")' in text
    shown = json.loads(_run("state", "show", "--state", str(state_path), "--format", "json").stdout)
    assert shown["lock"]["id"] == held.id
    assert shown["lock"]["created"] == "2026-03-01T08:45:00Z"
    assert shown["lock"]["looks_stale"] is False


def test_show_without_a_state_file_says_so_and_writes_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "state.json"
    result = _run("state", "show", "--state", str(missing))
    assert result.exit_code == 0
    assert "no file yet" in result.stdout
    assert "Datasets    0" in result.stdout
    assert not missing.parent.exists()
    shown = json.loads(_run("state", "show", "--state", str(missing), "--format", "json").stdout)
    assert (shown["exists"], shown["lineage"], shown["datasets"]) == (False, None, {})


def test_show_of_a_corrupt_state_is_one_error_with_a_hint(state_path: Path) -> None:
    state_path.write_text("{")
    result = _run("state", "show", "--state", str(state_path))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {state_path}:1:2: the state file is not valid JSON")
    assert "hint: The state is a cache: `reconciler state rebuild` recreates it" in result.stderr
    assert "Traceback" not in result.output


def test_unlock_removes_the_lock_whose_id_is_given(state_path: Path) -> None:
    held = _plant_lock(state_path)
    result = _run("state", "unlock", held.id, "--state", str(state_path))
    assert result.exit_code == 0
    assert result.stdout.startswith(
        f"Removed the lock {held.id} on {state_path}, held by alice@ci-runner-7 (pid 4242, "
        'operation "apply") since 2026-03-01T08:45:00Z'
    )
    assert read_lock(state_path) is None


def test_unlock_with_another_id_is_refused_and_names_the_holder(state_path: Path) -> None:
    held = _plant_lock(state_path)
    result = _run("state", "unlock", "0000", "--state", str(state_path))
    assert result.exit_code == 1
    assert f"the lock is not 0000: it is {held.id}, held by alice@ci-runner-7" in result.stderr
    assert read_lock(state_path) == held


def test_forget_removes_one_record_under_the_lock(state_path: Path) -> None:
    result = _run("state", "forget", ORDERS, "--state", str(state_path))
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"Forgot {ORDERS} (contract contract-2) in {state_path}; the state is now at serial 2.\n"
    )
    state = StateStore(state_path).load()
    assert list(state.datasets) == [CUSTOMERS]
    assert read_lock(state_path) is None


def test_forget_of_an_unknown_dataset_lists_near_matches(state_path: Path) -> None:
    result = _run(
        "state", "forget", "warehouse/analytics/public/customer", "--state", str(state_path)
    )
    assert result.exit_code == 1
    assert "no dataset 'warehouse/analytics/public/customer' in the state" in result.stderr
    assert f"hint: Did you mean: {CUSTOMERS}?" in result.stderr
    assert read_lock(state_path) is None

    by_table = _run("state", "forget", "orders", "--state", str(state_path))
    assert f"hint: Did you mean: {ORDERS}?" in by_table.stderr

    typo = _run(
        "state", "forget", "warehouse/analytics/public/custmers", "--state", str(state_path)
    )
    assert f"hint: Did you mean: {CUSTOMERS}?" in typo.stderr
    assert len(StateStore(state_path).load().datasets) == 2


def test_forget_is_refused_while_another_run_holds_the_lock(state_path: Path) -> None:
    held = _plant_lock(state_path)
    before = state_path.read_bytes()
    result = _run("state", "forget", ORDERS, "--state", str(state_path))
    assert result.exit_code == 1
    assert "the state is locked by alice@ci-runner-7" in result.stderr
    assert f"reconciler state unlock {held.id}" in result.stderr
    assert state_path.read_bytes() == before
    assert read_lock(state_path) == held


def test_the_state_path_defaults_to_the_project_configuration(
    state_path: Path, tmp_path: Path
) -> None:
    config = tmp_path / "reconciler.yml"
    config.write_text("state: .reconciler/state.json\n")
    result = _run("--config", str(config), "state", "show")
    assert result.exit_code == 0
    assert f"State file  {state_path}" in result.stdout
    assert "Datasets    2" in result.stdout


def test_a_real_process_exits_1_when_unlock_names_the_wrong_lock(state_path: Path) -> None:
    _plant_lock(state_path)
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "reconciler",
            "state",
            "unlock",
            "wrong",
            "--state",
            str(state_path),
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 1
    assert "Error:" in done.stderr
    assert "held by alice@ci-runner-7" in done.stderr
    assert done.stdout == ""


def test_show_names_the_project_the_state_belongs_to(state_path: Path) -> None:
    project = StateProject(contracts="contracts", host="https://cloud.soda.io")
    store = StateStore(state_path, project=project)
    with store.lock("apply"):
        store.save(store.load().with_record("warehouse/x/y/z", record(3)))
    text = _run("state", "show", "--state", str(state_path)).stdout
    assert 'Project     contracts folder "contracts" on https://cloud.soda.io' in text
    shown = json.loads(_run("state", "show", "--state", str(state_path), "--format", "json").stdout)
    assert shown["project"] == {"contracts": "contracts", "host": "https://cloud.soda.io"}


def test_unlock_of_a_run_alive_on_this_host_needs_force(state_path: Path) -> None:
    with StateLock(state_path, "apply") as live:
        assert live.info is not None
        refused = _run("state", "unlock", live.info.id, "--state", str(state_path))
        assert refused.exit_code == 1
        assert "and that run is still going" in refused.stderr
        assert f"reconciler state unlock {live.info.id} --force" not in refused.stderr
        assert "add --force" in refused.stderr
        assert read_lock(state_path) == live.info

        forced = _run("state", "unlock", live.info.id, "--force", "--state", str(state_path))
        assert forced.exit_code == 0, forced.output
        assert forced.stdout.startswith(f"Removed the lock {live.info.id}")
        assert read_lock(state_path) is None


def _plant_dead_lock(state_path: Path) -> LockInfo:
    here = this_host()
    info = LockInfo(
        boot_id=here.boot_id,
        created="2026-03-01T08:45:00Z",
        host=here.name,
        id="0dead000-0000-4000-8000-000000000000",
        operation="apply",
        owner="alice",
        pid=_dead_pid(),
        pid_namespace=here.pid_namespace,
    )
    (state_path.parent / "state.json.lock").write_text(info.model_dump_json())
    return info


def test_a_dead_runs_lock_is_taken_over_by_the_next_command_with_one_line(
    state_path: Path,
) -> None:
    dead = _plant_dead_lock(state_path)
    result = _run("state", "forget", ORDERS, "--state", str(state_path))
    assert result.exit_code == 0, result.output
    [line] = result.stderr.splitlines()
    assert line.startswith(
        f'Took over the state lock of alice@{dead.host} (pid {dead.pid}, operation "apply") '
        "since 2026-03-01T08:45:00Z ("
    )
    assert line.endswith(f"): process {dead.pid} is no longer running.")
    assert read_lock(state_path) is None
    assert ORDERS not in StateStore(state_path).load().datasets


def test_lock_timeout_waits_for_a_live_run_then_names_it(state_path: Path) -> None:
    with StateLock(state_path, "apply") as live:
        result = _run("state", "forget", ORDERS, "--lock-timeout", "1s", "--state", str(state_path))
        assert read_lock(state_path) == live.info
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"The state {state_path} is locked by ")
    assert lines[0].endswith("; waiting up to 1s for it (--lock-timeout).")
    assert lines[1].startswith(f"Error: {state_path}: the state is locked by ")
    assert lines[1].endswith(" (waited 1s)")
    assert len(StateStore(state_path).load().datasets) == 2


@pytest.mark.parametrize("given", ["5x", "ten seconds", "-1s", ""])
def test_a_lock_timeout_that_is_no_duration_is_refused(state_path: Path, given: str) -> None:
    result = _run("state", "forget", ORDERS, "--lock-timeout", given, "--state", str(state_path))
    assert result.exit_code == 1
    assert "Invalid value for '--lock-timeout'" in result.stderr
    assert "e.g. 30s, 5m" in result.stderr
    assert len(StateStore(state_path).load().datasets) == 2


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
@pytest.mark.parametrize("command", ["plan", "apply"])
def test_a_fifo_given_as_the_state_is_refused_at_once(tmp_path: Path, command: str) -> None:
    fifo = tmp_path / "state.fifo"
    os.mkfifo(fifo)
    contracts = tmp_path / "contracts"
    contracts.mkdir()
    extra = ["--auto-approve", "--dir"] if command == "apply" else []
    done = subprocess.run(
        [sys.executable, "-m", "reconciler", command, *extra, str(contracts), "--state", str(fifo)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT), "SODA_CLOUD_HOST": "local"},
        cwd=tmp_path,
        timeout=60,  # it used to block for ever
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stderr.splitlines()[0] == (
        f"Error: {fifo}: the state path is a FIFO (named pipe), not a regular file"
    )
    assert not (tmp_path / "state.fifo.lock").exists()
