"""``plan``: read the folder, the state and Soda Cloud, and say what apply would do."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler import __version__
from reconciler.clock import Clock, timestamp
from reconciler.cloud.client import SodaCloudClient
from reconciler.desired import DesiredState
from reconciler.observed import dataset_listing, observe
from reconciler.plan import DatasetFilter, Plan, PlanSettings
from reconciler.plan.checks import DataChecks
from reconciler.plan.planner import PlanContext, make_plan
from reconciler.state import StateFile
from reconciler.workflow.session import Session, shown

if TYPE_CHECKING:
    from reconciler.data_checks import DataChecking


def plan(session: Session, settings: PlanSettings, data: DataChecks | None = None) -> Plan:
    """``reconciler plan``: never changes anything, takes no lock. With ``data`` (``plan
    --check-data``) the contracts it would create or publish with a change of meaning are
    run on today's data, each within ``data.budget`` real seconds."""
    desired = session.read_folder()
    state = session.state_store().load()
    checking = None
    if data is not None:
        # Imported only here: a plan without data checks never loads the engine module.
        from reconciler.data_checks import data_checking

        checking = data_checking(session.project, budget=data.budget, variables=session.variables)

    async def against_cloud() -> Plan:
        async with session.connect(desired) as client:
            return await plan_against_cloud(
                client,
                desired,
                state,
                settings=settings,
                state_path=session.state_path,
                clock=client.clock,
                checking=checking,
                environment=session.environment_name,
            )

    return asyncio.run(against_cloud())


def plan_each(
    sessions: Sequence[Session], settings: PlanSettings, data: DataChecks | None = None
) -> tuple[Plan, ...]:
    """``reconciler plan --env all`` (or a list): one plan per environment, in order."""
    return tuple(plan(session, settings, data) for session in sessions)


async def plan_against_cloud(
    client: SodaCloudClient,
    desired: DesiredState,
    state: StateFile,
    *,
    settings: PlanSettings,
    state_path: Path | str,
    clock: Clock,
    checking: DataChecking | None = None,
    environment: str | None = None,
) -> Plan:
    """The plan of ``desired`` against Soda Cloud and ``state``: ceil(N/1000) list calls, the
    versions of contracts moved since the last apply, and one Reporting API read when
    something would be created. With ``checking``, the changed contracts run on today's data
    (:mod:`reconciler.data_checks`) and the planner gets what they did."""
    wanted = DatasetFilter(settings.targets, settings.excludes)
    observed = await observe(client, state, wanted=wanted)
    if any(name not in observed.contracts for name in filter(wanted, desired.contracts)):
        # Something would be created: ask once whether Soda Cloud knows those datasets.
        observed = dataclasses.replace(observed, listing=await dataset_listing(client))
    data_checks = None
    if checking is not None:
        from reconciler.data_checks import check_data, to_check

        # The engine's runs block; the client has nothing else to do meanwhile.
        data_checks = check_data(to_check(desired, observed, state, wanted), checking)
    context = PlanContext(
        created=timestamp(clock),
        reconciler_version=__version__,
        contracts_dir=shown(desired.root),
        cloud_host=client.settings.host,
        state_path=shown(state_path),
        environment=environment,
    )
    return make_plan(
        desired, observed, state, settings=settings, context=context, data_checks=data_checks
    )
