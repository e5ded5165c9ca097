"""A local Soda Cloud: the contracts, scans and users API v1 and the Reporting API, over
real HTTP.

It is the demo's backend, the server of the integration tests and a tool users can run in
their own CI (``reconciler emulator serve``). It is a separate wing: it imports nothing of
the reconciler but its clock and, for a seed with ``data_sources``, its agent's engine
(:mod:`reconciler.engine`, which loads soda-core only when a data source is read).

    from reconciler.emulator import EmulatorConfig, RunningEmulator

    with RunningEmulator(EmulatorConfig(datasets=[...]), time_scale=600) as cloud:
        httpx.get(f"{cloud.url}/api/v1/contracts", auth=cloud.auth)
        cloud.admin.stats()
"""

from reconciler.emulator.admin_client import AdminClient, EmulatorState, Stats
from reconciler.emulator.limits import DOCUMENTED_LIMITS
from reconciler.emulator.seed import (
    DEFAULT_API_KEY_ID,
    DEFAULT_API_KEY_SECRET,
    ApiKey,
    Column,
    ContractSeed,
    CreatorIds,
    DatasetSeed,
    Durations,
    EmulatorConfig,
    Faults,
    IncidentSeed,
    Limits,
    Reporting,
    SeedError,
    derived_id,
    load_seed,
    parse_seed,
)
from reconciler.emulator.server import (
    EmulatorFactory,
    RunningEmulator,
    start_local_cloud,
)
from reconciler.emulator.state import DataFileError

__all__ = [
    "DEFAULT_API_KEY_ID",
    "DEFAULT_API_KEY_SECRET",
    "DOCUMENTED_LIMITS",
    "AdminClient",
    "ApiKey",
    "Column",
    "ContractSeed",
    "CreatorIds",
    "DataFileError",
    "DatasetSeed",
    "Durations",
    "EmulatorConfig",
    "EmulatorFactory",
    "EmulatorState",
    "Faults",
    "IncidentSeed",
    "Limits",
    "Reporting",
    "RunningEmulator",
    "SeedError",
    "Stats",
    "derived_id",
    "load_seed",
    "parse_seed",
    "start_local_cloud",
]
