"""The workflow on one screen: read the folder, read Soda Cloud, plan.

Each step is a short function over the domain modules; the commands in ``reconciler.cli``
wire them to flags and output.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from reconciler import __version__
from reconciler.clock import Clock
from reconciler.cloud.client import SodaCloudClient
from reconciler.cloud.dto import Contract
from reconciler.desired import DesiredState, load_desired
from reconciler.errors import ContractsInvalid
from reconciler.observed import dataset_listing, observe
from reconciler.plan import DatasetFilter, Plan, PlanSettings
from reconciler.plan.planner import PlanContext, make_plan
from reconciler.state import DatasetRecord, StateFile


def read_folder(directory: Path, *, variables: Mapping[str, str], strict: bool) -> DesiredState:
    """The desired state; the caller shows ``diagnostics`` and stops when not ``ok``."""
    return load_desired(directory, variables=variables, strict=strict)


def require_valid(desired: DesiredState) -> None:
    if not desired.ok:
        raise ContractsInvalid(
            f"{desired.error_count} error{'s' if desired.error_count != 1 else ''} in "
            f"{_shown(desired.root)}: nothing was planned or applied",
            hint="Fix the errors above (`reconciler validate` lists them), then run again.",
        )


async def plan_against_cloud(
    client: SodaCloudClient,
    desired: DesiredState,
    state: StateFile,
    *,
    settings: PlanSettings,
    state_path: Path,
    clock: Clock,
) -> Plan:
    wanted = DatasetFilter(settings.targets, settings.excludes)
    observed = await observe(client, state, wanted=wanted)
    if any(name not in observed.contracts for name in filter(wanted, desired.contracts)):
        # Something would be created: ask once whether Soda Cloud knows those datasets.
        observed = dataclasses.replace(observed, listing=await dataset_listing(client))
    context = PlanContext(
        created=clock.now().isoformat(timespec="seconds").replace("+00:00", "Z"),
        reconciler_version=__version__,
        contracts_dir=_shown(desired.root),
        cloud_host=client.settings.host,
        state_path=_shown(state_path),
    )
    return make_plan(desired, observed, state, settings=settings, context=context)


def rebuilt_state(
    desired: DesiredState, contracts: Mapping[str, Contract], base: StateFile, now: datetime
) -> StateFile:
    """A state recording every dataset whose contract in Soda Cloud is exactly its file.

    What a plan would adopt; everything else stays unrecorded, so the next plan shows it as a
    change (and drift can only be told from here on). Pending verifications are dropped.
    """
    records = {}
    for name, file in desired.contracts.items():
        remote = contracts.get(name)
        if remote is None or file.is_stub or remote.contents != file.raw_text:
            continue
        records[name] = DatasetRecord.applied(
            at=now,
            contract_id=remote.id,
            dataset_id=remote.dataset_id,
            last_updated=remote.last_updated,
            raw_sha256=file.raw_sha256,
            semantic_fingerprint=file.semantic_fingerprint,
        )
    return base.with_datasets(records).model_copy(update={"pending": {}})


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve())) or "."
    except ValueError:
        return str(path)
