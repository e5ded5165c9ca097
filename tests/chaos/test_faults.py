"""Chaos: one apply converges whatever fails. Twenty seeded fault schedules (5% 5xx, 5% lost
POST answers, 2% connection resets, on every API call, the plan's reads included) against an
apply of 42 changes that mixes creates, publishes, format-only publishes, adopts,
verifications and a skeleton. In every schedule the FIRST run exits 0, Soda Cloud ends equal
to git, no contract is duplicated and every change lands exactly once.

Each schedule runs in this process on a manual clock shared with the local Soda Cloud: rate
limit windows, backoffs and scans pass as the client sleeps, so nothing waits in real time
and nothing depends on the machine's speed. Which request meets which fault still depends on
the order concurrent requests arrive in; what is asserted does not.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from reconciler.apply.executor import apply_plan
from reconciler.apply.result import ApplyResult, Recovery
from reconciler.clock import ManualClock
from reconciler.cloud.client import SodaCloudClient
from reconciler.desired import load_desired
from reconciler.emulator import EmulatorFactory, RunningEmulator
from reconciler.plan import Action, PlanSettings
from reconciler.render.apply import render_text
from reconciler.state import StateStore
from reconciler.state.journal import Journal
from reconciler.workflow.plan import plan_against_cloud
from tests.cloud.support import bulk_seed, contract_text, dataset_name, settings_for

SCHEDULES = range(101, 121)
FAULTS = {"error_rate": 0.05, "lost_response_rate": 0.05, "reset_rate": 0.02}
VERIFY = "POST /api/v1/contracts/{contractId}/verify"
# On a manual clock every sleep moves time for everyone: forty datasets polling their scans
# make a call's "time since its first failure" run far ahead of what it waited itself. The
# retry budget is therefore out of the picture here (its own tests pin it); what is tested is
# that every ambiguous write is resolved, not how long a real one may take.
RETRY_BUDGET = 30 * 24 * 3600.0


@dataclass(frozen=True)
class Mix:
    """Every dataset exists in Soda Cloud; those to publish, reformat and adopt have a contract."""

    publish: tuple[str, ...]
    reformat: tuple[str, ...]
    adopt: tuple[str, ...]
    create: tuple[str, ...]
    stub: str

    @property
    def with_contract(self) -> tuple[str, ...]:
        return self.publish + self.reformat + self.adopt

    @property
    def verified(self) -> tuple[str, ...]:
        return self.publish + self.create

    @property
    def all(self) -> tuple[str, ...]:
        return self.with_contract + self.create + (self.stub,)

    def files(self) -> dict[str, str]:
        files = {name: contract_text(name, threshold=4) for name in self.publish}
        files |= {name: "# reviewed\n" + contract_text(name) for name in self.reformat}
        files |= {name: contract_text(name) for name in self.adopt}
        files |= {name: contract_text(name, threshold=1) for name in self.create}
        files[self.stub] = f"dataset: {self.stub}\n"
        return files


MIX = Mix(
    publish=tuple(dataset_name(i) for i in range(0, 16)),
    reformat=tuple(dataset_name(i) for i in range(16, 20)),
    adopt=tuple(dataset_name(i) for i in range(20, 23)),
    create=tuple(dataset_name(i) for i in range(23, 41)),
    stub=dataset_name(41),
)


def write_folder(root: Path) -> Path:
    for name, text in MIX.files().items():
        path = root / f"{name}.yml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


async def first_apply(
    cloud: RunningEmulator, clock: ManualClock, root: Path, seed: int
) -> ApplyResult:
    """Plan and apply once, as `reconciler apply --auto-approve` does, under the faults."""
    desired = load_desired(write_folder(root / "contracts"), variables={}, strict=False)
    store = StateStore(root / "state.json")
    settings = settings_for(cloud)
    with store.lock("apply"):
        state = store.load()
        async with SodaCloudClient(
            settings, clock=clock, rng=random.Random(seed), retry_deadline=RETRY_BUDGET
        ) as client:
            plan = await plan_against_cloud(
                client, desired, state, settings=PlanSettings(), state_path=store.path, clock=clock
            )
            actions = Counter(d.action for d in plan.datasets)
            assert actions == {
                Action.PUBLISH: len(MIX.publish) + len(MIX.reformat),
                Action.ADOPT: len(MIX.adopt),
                Action.CREATE: len(MIX.create),
                Action.GENERATE_SKELETON: 1,
            }
            assert len(plan.changed_datasets()) == 42
            return await apply_plan(plan, desired, client, Journal(store, state))


def assert_converged(cloud: RunningEmulator, root: Path) -> None:
    state = cloud.admin.state()
    datasets = [c.dataset for c in state.contracts]
    assert sorted(datasets) == sorted(MIX.all), "exactly one contract per dataset"
    by_dataset = {c.dataset: c for c in state.contracts}
    for name in MIX.all:
        on_disk = (root / "contracts" / f"{name}.yml").read_text(encoding="utf-8")
        assert by_dataset[name].contents == on_disk, f"{name}: Soda Cloud != git"
    versions = {name: by_dataset[name].versions for name in MIX.all}
    expected = {name: 2 for name in MIX.publish + MIX.reformat}
    expected |= {name: 1 for name in MIX.adopt + MIX.create + (MIX.stub,)}
    assert versions == expected, "exactly one new version per change"
    saved = StateStore(root / "state.json").load()
    assert dict(saved.pending) == {}, "no verification is still owed"
    assert sorted(saved.datasets) == sorted(MIX.all)
    scans = {scan.id: scan for scan in state.scans}
    for name in MIX.verified:
        verification = saved.datasets[name].last_verification
        assert verification is not None, f"{name}: no verification recorded"
        assert verification.state == "completed"
        assert scans[verification.scan_id].dataset == name


@pytest.mark.parametrize("seed", SCHEDULES)
async def test_the_first_apply_converges_under_every_fault_schedule(
    seed: int, start_emulator: EmulatorFactory, tmp_path: Path
) -> None:
    clock = ManualClock()
    seeded = bulk_seed(len(MIX.all), contracts=len(MIX.with_contract))
    cloud = start_emulator(seeded, clock=clock)
    cloud.admin.set_faults(**FAULTS, seed=seed)

    result = await first_apply(cloud, clock, tmp_path, seed)

    stats = cloud.admin.stats()
    cloud.admin.set_faults()  # read Soda Cloud undisturbed
    assert result.exit_code == 0, render_text(result)
    assert sum(stats.faults.values()) > 0, "the faults really fired"
    assert_converged(cloud, tmp_path)
    # Every verify request that met a fault (5xx, reset, lost answer) was asked again, and
    # the report says so for its dataset: one mark per verify that met any.
    unanswered = stats.count(VERIFY) - stats.responses.get(VERIFY, {}).get("201", 0)
    repeated = [d for d in result.datasets if Recovery.VERIFY_REPEATED in d.recoveries]
    assert (unanswered > 0) == bool(repeated)
    assert len(repeated) <= unanswered
