"""The reconciler, measured through the functions ``reconciler plan`` and ``reconciler apply``
call, in the order they call them: read and validate the folder, load the state, plan against
Soda Cloud, and (for apply, under the state lock) apply with the journal.

Two clocks are kept apart: reading the folder is local work, measured in real seconds; talking
to Soda Cloud is measured on the client's clock, in clock seconds, which a time-scaled local
Soda Cloud makes pass faster. Their sum is the real time against Soda Cloud's real limits.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path

from reconciler.apply.engine import ApplyOptions, SilentProgress, apply_plan
from reconciler.apply.result import ApplyResult
from reconciler.cloud.session import open_client
from reconciler.cloud.settings import CloudSettings
from reconciler.config import ProjectConfig
from reconciler.desired import DesiredState
from reconciler.plan import Plan, PlanSettings
from reconciler.state import StateFile, StateStore
from reconciler.state.journal import Journal
from reconciler.workflow import plan_against_cloud, read_folder, require_valid


@dataclass(frozen=True)
class Run:
    local_seconds: float  # reading and validating the folder and the state (real seconds)
    cloud_seconds: float  # planning against Soda Cloud and applying (clock seconds)
    plan: Plan
    result: ApplyResult | None = None


def _read(folder: Path, store: StateStore) -> tuple[DesiredState, StateFile, float]:
    started = time.perf_counter()
    desired = read_folder(folder, variables={}, strict=False)
    require_valid(desired)
    state = store.load()
    return desired, state, time.perf_counter() - started


async def _against_cloud(
    folder: Path,
    state_path: Path,
    settings: CloudSettings,
    desired: DesiredState,
    state: StateFile,
    journal: Journal | None,
) -> tuple[Plan, ApplyResult | None, float]:
    """Plan against Soda Cloud and, given a journal, apply: the clock seconds it took."""
    async with open_client(settings, ProjectConfig(base_dir=folder.parent)) as client:
        begun = client.clock.monotonic()
        made = await plan_against_cloud(
            client,
            desired,
            state,
            settings=PlanSettings(),
            state_path=state_path,
            clock=client.clock,
        )
        result = None
        if journal is not None:
            result = await apply_plan(
                made, desired, client, journal, options=ApplyOptions(), progress=SilentProgress()
            )
        return made, result, client.clock.monotonic() - begun


def plan(folder: Path, state_path: Path, settings: CloudSettings) -> Run:
    """``reconciler plan``."""
    desired, state, local = _read(folder, StateStore(state_path))
    made, _, seconds = asyncio.run(
        _against_cloud(folder, state_path, settings, desired, state, journal=None)
    )
    return Run(local, seconds, made)


def apply(folder: Path, state_path: Path, settings: CloudSettings) -> Run:
    """``reconciler apply --auto-approve``."""
    store = StateStore(state_path)
    with store.lock("apply"):
        desired, state, local = _read(folder, store)
        made, result, seconds = asyncio.run(
            _against_cloud(folder, state_path, settings, desired, state, Journal(store, state))
        )
    return Run(local, seconds, made, result)
