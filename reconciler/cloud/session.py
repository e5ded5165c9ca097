"""Opening a connection to Soda Cloud for a command: the client, and for ``local`` the
embedded Soda Cloud it talks to, stopped when the command ends."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from reconciler.clock import Clock, clock_for_scale
from reconciler.cloud.client import SodaCloudClient
from reconciler.cloud.http import WaitReporter, log_wait
from reconciler.cloud.local import InlineExecutor, local_cloud
from reconciler.cloud.settings import CloudSettings
from reconciler.config import ProjectConfig


@asynccontextmanager
async def open_client(
    settings: CloudSettings,
    project: ProjectConfig,
    *,
    report_wait: WaitReporter = log_wait,
    clock: Clock | None = None,
    rng: random.Random | None = None,
    known_datasets: Mapping[str, Any] | None = None,
) -> AsyncIterator[SodaCloudClient]:
    """The client of the configured Soda Cloud; for ``local``, the embedded one started for
    the command (``known_datasets``: dataset -> contract document, for a first start without
    a seed)."""
    async with AsyncExitStack() as stack:
        transport = None
        if settings.is_local:
            local = stack.enter_context(
                local_cloud(
                    settings,
                    data_file=project.local_cloud_data,
                    seed_file=project.local_cloud_seed,
                    known_datasets=known_datasets,
                )
            )
            settings, clock, transport = local.settings, clock or local.clock, local.transport
            if local.inline:
                # The command's own loop: its blocking work runs in line from here on.
                asyncio.get_running_loop().set_default_executor(InlineExecutor())
        client = SodaCloudClient(
            settings,
            clock=clock or clock_for_scale(settings.time_scale),
            transport=transport,
            report_wait=report_wait,
            rng=rng,
        )
        stack.push_async_callback(client.aclose)
        yield client
