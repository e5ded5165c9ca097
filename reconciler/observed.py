"""The actual state in Soda Cloud, read cheaply with the state file as a cache.

The contract list carries each contract's ``contents`` and ``lastUpdated``, so one call per
1000 contracts tells what Soda Cloud holds. The versions endpoint (60 calls a minute) is asked
only about contracts whose ``lastUpdated`` moved since the state recorded it: that is drift,
and the plan says who changed them and when. A steady-state plan of N contracts therefore
costs ceil(N/1000) calls.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from reconciler.cloud.client import SodaCloudClient
from reconciler.cloud.dto import Contract, ContractVersion
from reconciler.state import DatasetRecord, StateFile

NEWER_VERSIONS_PAGE = 10


@dataclass(frozen=True)
class ObservedState:
    contracts: Mapping[str, Contract]
    # Only for contracts whose lastUpdated moved since the state's record: the versions made
    # since then, newest first.
    newer_versions: Mapping[str, tuple[ContractVersion, ...]] = field(default_factory=dict)
    # Contracts the list returned without a dataset name (never expected; reported, not used).
    nameless: tuple[str, ...] = ()


def moved_since_record(record: DatasetRecord | None, contract: Contract) -> bool:
    return (
        record is not None
        and record.contract_id == contract.id
        and record.last_updated != contract.last_updated
    )


async def observe(
    client: SodaCloudClient,
    state: StateFile,
    *,
    wanted: Callable[[str], bool] = lambda dataset: True,
) -> ObservedState:
    contracts: dict[str, Contract] = {}
    nameless: list[str] = []
    for contract in await client.list_contracts():
        if contract.dataset_qualified_name:
            contracts[contract.dataset_qualified_name] = contract
        else:
            nameless.append(contract.id)
    moved = sorted(
        dataset
        for dataset, contract in contracts.items()
        if wanted(dataset) and moved_since_record(state.datasets.get(dataset), contract)
    )
    histories = await asyncio.gather(
        *(newer_versions(client, contracts[d], state.datasets[d]) for d in moved)
    )
    return ObservedState(
        contracts=contracts,
        newer_versions=dict(zip(moved, histories, strict=True)),
        nameless=tuple(nameless),
    )


async def newer_versions(
    client: SodaCloudClient, contract: Contract, record: DatasetRecord
) -> tuple[ContractVersion, ...]:
    """The versions made after the recorded one, newest first (usually one call)."""
    found: list[ContractVersion] = []
    async for version in client.iter_versions(contract.id, page_size=NEWER_VERSIONS_PAGE):
        if version.id == record.version_id:
            break
        if (
            record.version_id is None
            and record.last_updated is not None
            and version.created is not None
            and _not_after(version.created, record.last_updated)
        ):
            break
        found.append(version)
    return tuple(found)


def _not_after(created: str, recorded: str) -> bool:
    from reconciler.cloud.dto import parse_instant

    a, b = parse_instant(created), parse_instant(recorded)
    return a is not None and b is not None and a <= b
