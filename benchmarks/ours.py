"""The reconciler, measured through the workflow functions ``reconciler plan`` and
``reconciler apply`` call, in the order they call them: read and validate the folder, load the
state, plan against Soda Cloud, and (for apply, under the state lock) apply with the journal.

Two clocks are kept apart: reading the folder is local work, measured in real seconds; talking
to Soda Cloud is measured on the client's clock, in clock seconds, which a time-scaled local
Soda Cloud makes pass faster. Their sum is the real time against Soda Cloud's real limits.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path

from reconciler.apply.options import ApplyOptions
from reconciler.apply.result import ApplyResult
from reconciler.cloud.settings import CloudSettings
from reconciler.config import ProjectConfig
from reconciler.desired import DesiredState
from reconciler.plan import Plan, PlanSettings
from reconciler.state import Journal, StateFile, StateManager
from reconciler.state.location import LocalPath
from reconciler.workflow import Session, Unattended
from reconciler.workflow.apply import apply_fresh_with
from reconciler.workflow.plan import plan_against_cloud


@dataclass(frozen=True)
class Run:
    local_seconds: float  # reading and validating the folder and the state (real seconds)
    cloud_seconds: float  # planning against Soda Cloud and applying (clock seconds)
    plan: Plan
    result: ApplyResult | None = None


def session_for(folder: Path, state_path: Path, settings: CloudSettings) -> Session:
    return Session(
        project=ProjectConfig(base_dir=folder.parent),
        contracts=folder,
        state=LocalPath(state_path),
        settings=settings,
    )


def _read(session: Session, store: StateManager) -> tuple[DesiredState, StateFile, float]:
    started = time.perf_counter()
    desired = session.read_folder()
    state = store.load()
    return desired, state, time.perf_counter() - started


async def _against_cloud(
    session: Session, desired: DesiredState, state: StateFile, journal: Journal | None
) -> tuple[Plan, ApplyResult | None, float]:
    """Plan against Soda Cloud and, given a journal, apply: the clock seconds it took."""
    async with session.connect() as client:
        begun = client.clock.monotonic()
        if journal is None:
            made = await plan_against_cloud(
                client,
                desired,
                state,
                settings=PlanSettings(),
                state_path=session.state_path,
                clock=client.clock,
            )
            return made, None, client.clock.monotonic() - begun
        made, result = await apply_fresh_with(
            client,
            desired,
            journal,
            settings=PlanSettings(),
            state_path=session.state_path,
            options=ApplyOptions(),
            view=Unattended(),
        )
        return made, result, client.clock.monotonic() - begun


def plan(folder: Path, state_path: Path, settings: CloudSettings) -> Run:
    """``reconciler plan``."""
    session = session_for(folder, state_path, settings)
    desired, state, local = _read(session, session.state_store())
    made, _, seconds = asyncio.run(_against_cloud(session, desired, state, journal=None))
    return Run(local, seconds, made)


def apply(folder: Path, state_path: Path, settings: CloudSettings) -> Run:
    """``reconciler apply --auto-approve``."""
    session = session_for(folder, state_path, settings)
    store = session.state_store()
    with session.lock(store, "apply", timeout=0):
        desired, state, local = _read(session, store)
        made, result, seconds = asyncio.run(
            _against_cloud(session, desired, state, Journal(store, state))
        )
    return Run(local, seconds, made, result)
