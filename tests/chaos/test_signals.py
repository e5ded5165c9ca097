"""SIGTERM and Ctrl-C (SIGINT) while ``reconciler apply`` waits for verification scans: it
exits 130, cancels the running scans in Soda Cloud, leaves a state that loads and owes the
verifications, and a re-run verifies them."""

from __future__ import annotations

import asyncio
import re
import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler.apply.executor import apply_plan
from reconciler.apply.result import ApplyResult
from reconciler.desired import load_desired
from reconciler.emulator import Durations, EmulatorConfig, EmulatorFactory
from reconciler.plan import PlanSettings
from reconciler.state import PendingVerification, StateFile, StateStore, read_lock
from reconciler.state.journal import Journal
from reconciler.workflow.plan import plan_against_cloud
from tests.chaos.runs import ApplyProcess
from tests.cloud.support import bulk_seed, client_for, contract_text, dataset_name

TIME_SCALE = 120.0
VERIFYING = re.compile(r".*: verifying$")
NAMES = tuple(dataset_name(i) for i in range(4))
VERIFY, PUBLISH = (
    "POST /api/v1/contracts/{contractId}/verify",
    "POST /api/v1/contracts/{contractId}",
)


def seed(durations: Durations) -> EmulatorConfig:
    return bulk_seed(len(NAMES), contracts=len(NAMES)).model_copy(update={"durations": durations})


def every_scan_started(store: StateStore) -> bool:
    """Each dataset owes a verification whose scan id is saved: every scan is running."""
    pending = store.load().pending
    return all(name in pending and pending[name].scan_id for name in NAMES)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_during_verification_cancels_the_scans_and_a_rerun_verifies(
    signum: int, start_emulator: EmulatorFactory, tmp_path: Path
) -> None:
    data = tmp_path / "cloud.json"
    # Scans that would queue for ever, so every one is running when the signal arrives.
    cloud = start_emulator(seed(Durations(queuing=1e7)), time_scale=TIME_SCALE, data_file=data)
    apply = ApplyProcess(tmp_path / "project", cloud)
    for name in NAMES:
        path = apply.contracts / f"{name}.yml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(contract_text(name, threshold=4))
    store = StateStore(apply.state_path)

    stopped = apply.stop(
        signum,
        lines=len(NAMES),
        counting=VERIFYING,
        ready=lambda: every_scan_started(store),
        described="during verification",
    )

    assert stopped.stopped_by is not None
    assert stopped.exit_code == 130, stopped.stdout + stopped.stderr
    assert "Apply interrupted" in stopped.stdout
    assert "Traceback" not in stopped.stderr
    scans = cloud.admin.state().scans
    assert len(scans) == len(NAMES)
    assert all(scan.canceled and scan.state == "canceled" for scan in scans)
    saved = StateStore(apply.state_path).load()
    assert sorted(saved.pending) == sorted(NAMES), "the verifications are still owed"
    assert {p.scan_id for p in saved.pending.values()} == {scan.id for scan in scans}
    assert all(saved.datasets[name].last_verification is None for name in NAMES)
    assert read_lock(apply.state_path) is None, "the lock was released"
    assert cloud.admin.stats().count(PUBLISH) == len(NAMES)

    # The same Soda Cloud, restarted from its data file with scans that end.
    cloud.stop()
    apply.cloud = start_emulator(seed(Durations()), time_scale=TIME_SCALE, data_file=data)
    rerun = apply.run()

    assert rerun.exit_code == 0, rerun.stdout + rerun.stderr
    after = apply.cloud.admin.state()
    assert {c.dataset: c.versions for c in after.contracts} == dict.fromkeys(NAMES, 2)
    canceled = {scan.id for scan in scans}
    saved = StateStore(apply.state_path).load()
    assert dict(saved.pending) == {}
    for name in NAMES:
        verification = saved.datasets[name].last_verification
        assert verification is not None
        assert verification.state == "completed"
        assert verification.scan_id not in canceled
    stats = apply.cloud.admin.stats()
    assert (stats.count(VERIFY), stats.count(PUBLISH)) == (len(NAMES), 0)


class InterruptedWhileSaving(Journal):
    """The journal of an apply that is interrupted (as by SIGTERM) at one chosen moment: while
    it saves the id of a scan it has just started, before it follows that scan."""

    def __init__(
        self, store: StateStore, state: StateFile, interrupt: Callable[[], object]
    ) -> None:
        super().__init__(store, state)
        self._interrupt = interrupt

    async def pending(self, dataset: str, pending: PendingVerification | None) -> None:
        if pending is not None and pending.scan_id:
            self._interrupt()
        await super().pending(dataset, pending)


async def test_a_scan_started_just_before_an_interrupt_is_canceled_too(
    start_emulator: EmulatorFactory, tmp_path: Path
) -> None:
    cloud = start_emulator(seed(Durations(queuing=1e7)))
    name = NAMES[0]
    (tmp_path / f"{name}.yml").parent.mkdir(parents=True)
    (tmp_path / f"{name}.yml").write_text(contract_text(name, threshold=4))
    desired = load_desired(tmp_path)
    store = StateStore(tmp_path / "state.json")
    async with client_for(cloud) as client:
        with store.lock("apply"):
            state = store.load()
            plan = await plan_against_cloud(
                client,
                desired,
                state,
                settings=PlanSettings(targets=(name,)),
                state_path=store.path,
                clock=client.clock,
            )
            tasks: list[asyncio.Task[ApplyResult]] = []
            journal = InterruptedWhileSaving(store, state, lambda: tasks[0].cancel())
            tasks.append(asyncio.ensure_future(apply_plan(plan, desired, client, journal)))
            result = await tasks[0]

    assert result.interrupted
    assert result.exit_code == 130
    (scan,) = cloud.admin.state().scans
    assert scan.canceled
    assert scan.state == "canceled"
