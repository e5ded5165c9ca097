"""``audit``: how git and Soda Cloud differ and whose side moved. Read-only: it never takes
the state lock (an apply running meanwhile must not stop a report) and writes nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path

from reconciler import __version__
from reconciler.audit import AuditContext, AuditReport, AuditSettings, CallCount, make_audit
from reconciler.clock import timestamp
from reconciler.cloud.client import SodaCloudClient
from reconciler.cloud.http import CallStats
from reconciler.desired import DesiredState
from reconciler.observed import NotRead, ReportingData, observe, reporting_data
from reconciler.plan import DatasetFilter
from reconciler.state import StateFile
from reconciler.workflow.session import Session, shown


def audit(session: Session, settings: AuditSettings, *, read_reporting: bool) -> AuditReport:
    """``reconciler audit``."""
    desired = session.read_folder()
    state = session.state_store().load()

    async def against_cloud() -> AuditReport:
        async with session.connect(desired) as client:
            return await audit_against_cloud(
                client,
                desired,
                state,
                settings=settings,
                state_path=session.state_path,
                read_reporting=read_reporting,
            )

    return asyncio.run(against_cloud())


async def audit_against_cloud(
    client: SodaCloudClient,
    desired: DesiredState,
    state: StateFile,
    *,
    settings: AuditSettings,
    state_path: Path | str,
    read_reporting: bool = True,
) -> AuditReport:
    """Read Soda Cloud (contracts, versions of moved ones, the Reporting API), then audit.

    Calls: ceil(N/1000) list calls, one versions call per contract moved since the last
    apply, and the Reporting API's pages. A Reporting API that cannot be read is reported as
    not compared; the contracts API failing is an error."""
    wanted = DatasetFilter(settings.targets, settings.excludes)
    if read_reporting:
        observed, reporting = await asyncio.gather(
            observe(client, state, wanted=wanted), reporting_data(client)
        )
    else:
        observed = await observe(client, state, wanted=wanted)
        reporting = ReportingData.not_read(NotRead.NOT_REQUESTED)
    context = AuditContext(
        created=timestamp(client.clock),
        reconciler_version=__version__,
        contracts_dir=shown(desired.root),
        cloud_host=client.settings.host,
        cloud_url=client.settings.base_url,
        state_path=shown(state_path),
        calls=call_count(client.stats),
        settings=settings,
    )
    return make_audit(desired, observed, state, reporting, context=context)


def call_count(stats: CallStats) -> CallCount:
    return CallCount(
        total=stats.total_calls(),
        by_operation={op.value: n for op, n in sorted(stats.calls.items()) if n},
    )
