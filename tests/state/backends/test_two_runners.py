"""Two runners, one state off both: ``reconciler apply`` as real processes from two separate
working copies of one repository, against one state in PostgreSQL or S3 (real servers) and one
local Soda Cloud. One runs; the other refuses naming it, or waits under ``--lock-timeout``;
a holder killed with SIGKILL mid-run frees the lock; the state ends consistent and Soda Cloud
equal to git.

A run is held mid-run with SIGSTOP (its lock, connection and lease stay as they were) and let
go with SIGCONT; every wait is a blocking read of a process's output, never a sleep.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from reconciler.apply.options import ApplyOptions
from reconciler.clock import ManualClock
from reconciler.config import ProjectConfig
from reconciler.emulator import Durations, EmulatorFactory, RunningEmulator
from reconciler.plan import PlanSettings
from reconciler.state import StateFile
from reconciler.state.backend import StateKey
from reconciler.state.backends.s3 import DEFAULT_LEASE_SECONDS
from reconciler.state.location import S3Url, parse_location
from reconciler.state.lock import current_user, this_host
from reconciler.state.manager import open_state
from reconciler.workflow import Session, Unattended, apply_fresh
from tests.chaos.runs import PROGRESS_LINE
from tests.cloud.support import bulk_seed, contract_text, dataset_name, settings_for
from tests.s3 import S3Server
from tests.state.backends.conftest import Place

DATASETS = [dataset_name(i) for i in range(4)]
# Verification scans take 600 clock seconds (1 s at the tests' time scale): a run that has
# said its first step is surely still running when it is stopped.
SCAN = Durations(executing=600)
WATCHDOG = 120.0


@pytest.fixture
def cloud(start_emulator: EmulatorFactory) -> RunningEmulator:
    return start_emulator(bulk_seed(len(DATASETS)).model_copy(update={"durations": SCAN}))


@dataclass
class Runner:
    """One CI runner: its own working copy of the repository, the shared state's URL."""

    root: Path
    cloud: RunningEmulator
    state_url: str = field(repr=False)
    env: dict[str, str] = field(repr=False)

    def command(self, *extra: str) -> list[str]:
        return [
            sys.executable,
            "-m",
            "reconciler",
            "apply",
            "--auto-approve",
            "--dir",
            str(self.root / "contracts"),
            "--state",
            self.state_url,
            *extra,
        ]

    def start(self, *extra: str) -> subprocess.Popen[str]:
        inherited = {
            k: v for k, v in os.environ.items() if not k.startswith(("SODA_", "RECONCILER_"))
        }
        process = subprocess.Popen(
            self.command(*extra),
            cwd=self.root,
            env={
                **inherited,
                **self.env,
                "SODA_CLOUD_HOST": self.cloud.url,
                "SODA_CLOUD_API_KEY_ID": self.cloud.api_key_id,
                "SODA_CLOUD_API_KEY_SECRET": self.cloud.api_key_secret,
                "RECONCILER_TIME_SCALE": str(self.cloud.clock.scale),
                "NO_COLOR": "1",
            },
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        watchdog = threading.Timer(WATCHDOG, process.kill)
        watchdog.daemon = True
        watchdog.start()
        return process

    def run(self, *extra: str) -> tuple[int, str]:
        process = self.start(*extra)
        out, err = process.communicate()
        return process.returncode, out + err


def wait_for_line(process: subprocess.Popen[str], wanted: str | None = None) -> list[str]:
    """Read ``process``'s stderr up to its first progress line (or one holding ``wanted``)."""
    assert process.stderr is not None
    seen = []
    for line in process.stderr:
        seen.append(line)
        if (wanted is None and PROGRESS_LINE.match(line)) or (wanted and wanted in line):
            return seen
    raise AssertionError(f"the run ended without that line: {''.join(seen)}")


def finish(process: subprocess.Popen[str]) -> tuple[int, str]:
    out, err = process.communicate()
    return process.returncode, out + err


def working_copies(tmp_path: Path) -> tuple[Path, Path]:
    """One repository checked out twice, as two runners check it out."""
    first, second = tmp_path / "runner-1", tmp_path / "runner-2"
    for name in DATASETS:
        path = first / "contracts" / f"{name}.yml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(contract_text(name, threshold=3))
    shutil.copytree(first, second)
    return first, second


def holder_of(pid: int) -> str:
    return f'{current_user()}@{this_host().name} (pid {pid}, operation "apply")'


def assert_converged(place: Place, cloud: RunningEmulator) -> StateFile:
    """Soda Cloud equals git, each contract published once, the state owes nothing."""
    contracts = {c.dataset: c for c in cloud.admin.state().contracts}
    assert {name: c.contents for name, c in contracts.items()} == {
        name: contract_text(name, threshold=3) for name in DATASETS
    }
    assert {name: c.versions for name, c in contracts.items()} == dict.fromkeys(DATASETS, 1)
    state = open_state(place.location, key=StateKey("contracts")).load()
    assert set(state.datasets) == set(DATASETS)
    assert state.pending == {}
    assert {name: r.contract_id for name, r in state.datasets.items()} == {
        name: c.id for name, c in contracts.items()
    }
    assert all(r.last_verification is not None for r in state.datasets.values())
    return state


@pytest.fixture
def runners(place: Place, cloud: RunningEmulator, tmp_path: Path) -> tuple[Runner, Runner]:
    # The two copies are one project ("contracts" below each), so one row (or object) holds
    # the state of both; the place's own key is not used.
    first, second = working_copies(tmp_path)
    return Runner(first, cloud, place.url, place.env), Runner(second, cloud, place.url, place.env)


def test_of_two_applies_one_runs_the_other_refuses_naming_it_or_waits_for_it(
    place: Place, cloud: RunningEmulator, runners: tuple[Runner, Runner]
) -> None:
    first, second = runners
    running = first.start()
    wait_for_line(running)
    running.send_signal(signal.SIGSTOP)  # mid-run, its lock held
    try:
        code, said = second.run()
        assert code == 1, said
        assert f"the state is locked by {holder_of(running.pid)}" in said
        waiting = second.start("--lock-timeout", "2m")
        wait_for_line(waiting, "waiting up to 2m for it (--lock-timeout)")
    finally:
        running.send_signal(signal.SIGCONT)

    assert finish(running)[0] == 0
    code, said = finish(waiting)
    assert code == 0, said
    assert "No changes: Soda Cloud matches the contracts folder." in said
    assert_converged(place, cloud)


def test_a_holder_killed_mid_run_frees_the_lock_and_the_next_run_finishes_its_work(
    place: Place, cloud: RunningEmulator, runners: tuple[Runner, Runner]
) -> None:
    first, second = runners
    killed = first.start()
    wait_for_line(killed)
    killed.kill()
    killed.communicate()

    if place.kind == "postgres":
        # PostgreSQL ends the killed run's session, and with it its advisory lock.
        code, said = second.run("--lock-timeout", "2m")
        assert code == 0, said
        assert f"Took over the state lock of {holder_of(killed.pid)}" in said
    else:
        said = take_over_an_expired_lease(place, cloud, second, killed.pid)
        assert f"Took over the state lock of ci@ci-runner-12 (pid {killed.pid}" in said
        assert "its lease expired at" in said
    state = assert_converged(place, cloud)
    assert state.serial > 1


def take_over_an_expired_lease(
    place: Place, cloud: RunningEmulator, runner: Runner, pid: int
) -> str:
    """S3 cannot see a run on another machine: the lock of a killed run there holds until
    its lease expires. Its lock is made one of another runner (as a killed job on another
    machine leaves it); a run on a clock before its expiry refuses, one after takes it over."""
    url = parse_location(place.url)
    assert isinstance(url, S3Url)
    client = S3Server(url.endpoint or "").client()
    lock = json.loads(client.get_object(Bucket=url.bucket, Key=url.key + ".lock")["Body"].read())
    lock["host"], lock["owner"] = "ci-runner-12", "ci"
    client.put_object(Bucket=url.bucket, Key=url.key + ".lock", Body=json.dumps(lock).encode())

    code, said = runner.run()
    assert code == 1, said
    assert "its lease runs until" in said

    expires = parse_instant(lock["expires"])
    lease = (expires - parse_instant(lock["created"])).total_seconds()
    assert DEFAULT_LEASE_SECONDS <= lease < DEFAULT_LEASE_SECONDS + 1
    notes: list[str] = []
    session = Session(
        project=ProjectConfig(base_dir=runner.root),
        contracts=runner.root / "contracts",
        state=url,
        settings=settings_for(cloud),
        listener=Heard(notes),
        state_clock=ManualClock(expires + timedelta(seconds=1)),
    )
    result = apply_fresh(session, PlanSettings(), ApplyOptions(), Unattended(), lock_timeout=0)
    assert result is not None
    assert result.exit_code == 0
    return "\n".join(notes)


def parse_instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class Heard:
    def __init__(self, notes: list[str]) -> None:
        self.notes = notes

    def folder_read(self, desired: object) -> None:
        pass

    def waiting(self, wait: object) -> None:
        pass

    def note(self, line: str) -> None:
        self.notes.append(line)
