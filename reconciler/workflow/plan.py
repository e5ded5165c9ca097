"""``plan``: read the folder, the state and Soda Cloud, and say what apply would do."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence
from pathlib import Path

from reconciler import __version__
from reconciler.clock import Clock, timestamp
from reconciler.cloud.client import SodaCloudClient
from reconciler.desired import DesiredState
from reconciler.observed import dataset_listing, observe
from reconciler.plan import DatasetFilter, Plan, PlanSettings
from reconciler.plan.planner import PlanContext, make_plan
from reconciler.state import StateFile
from reconciler.workflow.session import Session, shown


def plan(session: Session, settings: PlanSettings) -> Plan:
    """``reconciler plan``: never changes anything, takes no lock."""
    desired = session.read_folder()
    state = session.state_store().load()

    async def against_cloud() -> Plan:
        async with session.connect(desired) as client:
            return await plan_against_cloud(
                client,
                desired,
                state,
                settings=settings,
                state_path=session.state_path,
                clock=client.clock,
                environment=session.environment_name,
            )

    return asyncio.run(against_cloud())


def plan_each(sessions: Sequence[Session], settings: PlanSettings) -> tuple[Plan, ...]:
    """``reconciler plan --env all`` (or a list): one plan per environment, in order."""
    return tuple(plan(session, settings) for session in sessions)


async def plan_against_cloud(
    client: SodaCloudClient,
    desired: DesiredState,
    state: StateFile,
    *,
    settings: PlanSettings,
    state_path: Path | str,
    clock: Clock,
    environment: str | None = None,
) -> Plan:
    """The plan of ``desired`` against Soda Cloud and ``state``: ceil(N/1000) list calls, the
    versions of contracts moved since the last apply, and one Reporting API read when
    something would be created."""
    wanted = DatasetFilter(settings.targets, settings.excludes)
    observed = await observe(client, state, wanted=wanted)
    if any(name not in observed.contracts for name in filter(wanted, desired.contracts)):
        # Something would be created: ask once whether Soda Cloud knows those datasets.
        observed = dataclasses.replace(observed, listing=await dataset_listing(client))
    context = PlanContext(
        created=timestamp(clock),
        reconciler_version=__version__,
        contracts_dir=shown(desired.root),
        cloud_host=client.settings.host,
        state_path=shown(state_path),
        environment=environment,
    )
    return make_plan(desired, observed, state, settings=settings, context=context)
