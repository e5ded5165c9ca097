"""A skeleton is written back only over a stub: the file on disk is read again right before
the write, so lines typed into it while apply ran are never overwritten."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.apply.executor import apply_plan
from reconciler.apply.result import Status
from reconciler.desired import load_desired
from reconciler.emulator import RunningEmulator
from reconciler.emulator.samples import SESSIONS
from reconciler.plan import Action, PlanSettings
from reconciler.state import StateStore
from reconciler.state.journal import Journal
from reconciler.workflow.plan import plan_against_cloud
from tests.cloud.support import client_for
from tests.plan.support import contract, stub

TYPED_MEANWHILE = contract(SESSIONS, comment="# typed while apply ran, not yet published\n")


@pytest.mark.parametrize("generated_before", [False, True], ids=["generate", "write-back-only"])
async def test_a_file_filled_in_during_apply_is_not_overwritten_by_the_skeleton(
    emulator: RunningEmulator, tmp_path: Path, generated_before: bool
) -> None:
    if generated_before:  # an earlier apply asked for the skeleton and stopped
        emulator.admin.edit_contract(SESSIONS, contract(SESSIONS, threshold="must_be: 1"))
    path = tmp_path / "contracts" / f"{SESSIONS}.yml"
    path.parent.mkdir(parents=True)
    path.write_text(stub(SESSIONS))
    desired = load_desired(tmp_path / "contracts")
    store = StateStore(tmp_path / "state.json")
    async with client_for(emulator) as client:
        state = store.load()
        plan = await plan_against_cloud(
            client,
            desired,
            state,
            settings=PlanSettings(),
            state_path=store.path,
            clock=client.clock,
        )
        assert [d.action for d in plan.datasets] == [Action.GENERATE_SKELETON]
        path.write_text(TYPED_MEANWHILE)  # after the folder was read, before the write-back
        result = await apply_plan(plan, desired, client, Journal(store, state))

    [outcome] = result.datasets
    assert outcome.status is Status.FAILED
    assert outcome.error == (
        f"{desired.contracts[SESSIONS].display_path} is no longer a stub: Soda Cloud's "
        "generated contract was not written over it"
    )
    assert result.exit_code == 1
    assert path.read_text() == TYPED_MEANWHILE
    assert SESSIONS not in store.load().datasets
    assert emulator.admin.state().contract_for(SESSIONS) is not None
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left


async def test_a_stub_that_is_a_symbolic_link_is_not_replaced_by_the_skeleton(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    folder = tmp_path / "contracts"
    target = folder / "stubs" / "sessions.txt"  # inside the folder, read only through the link
    target.parent.mkdir(parents=True)
    target.write_text(stub(SESSIONS))
    path = folder / f"{SESSIONS}.yml"
    path.parent.mkdir(parents=True)
    path.symlink_to(target)
    desired = load_desired(folder)
    store = StateStore(tmp_path / "state.json")
    async with client_for(emulator) as client:
        state = store.load()
        plan = await plan_against_cloud(
            client,
            desired,
            state,
            settings=PlanSettings(),
            state_path=store.path,
            clock=client.clock,
        )
        assert [d.action for d in plan.datasets] == [Action.GENERATE_SKELETON]
        result = await apply_plan(plan, desired, client, Journal(store, state))

    [outcome] = result.datasets
    assert outcome.status is Status.FAILED
    assert outcome.error == f"{SESSIONS}.yml is a symbolic link; links are never replaced"
    assert path.is_symlink()
    assert target.read_text() == stub(SESSIONS)
    assert SESSIONS not in store.load().datasets
