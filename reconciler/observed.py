"""The actual state in Soda Cloud, read cheaply with the state file as a cache.

The contract list carries each contract's ``contents`` and ``lastUpdated``, so one call per
1000 contracts tells what Soda Cloud holds. The versions endpoint (60 calls a minute) is asked
only about contracts whose ``lastUpdated`` moved since the state recorded it: that is drift,
and the plan says who changed them and when. A steady-state plan of N contracts therefore
costs ceil(N/1000) calls.

When a plan would create a contract (or ask for a skeleton) for a dataset that has none, the
Reporting API's dataset list tells whether Soda Cloud knows that dataset at all: one read
(a call per 1000 datasets), made only then, and never fatal: when the Reporting API cannot
answer, the plan just cannot tell. An audit reads the Reporting API's coverage and incidents
(:func:`reporting_data`); what cannot be read is reported as not compared, never as zero.

Every read of Soda Cloud a command makes is here.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from reconciler.cloud.client import SodaCloudClient
from reconciler.cloud.dto import Contract, ContractVersion, CoverageDataset, Incident
from reconciler.errors import CloudError
from reconciler.state import DatasetRecord, StateFile

log = logging.getLogger("reconciler.observed")
T = TypeVar("T")

NEWER_VERSIONS_PAGE = 10
# Clock seconds a plan gives the Reporting API: it only adds a mark, so it must not hold the
# plan up when it is slow or down.
LISTING_BUDGET = 10.0


@dataclass(frozen=True)
class DatasetListing:
    """The datasets Soda Cloud's Reporting API lists, by qualified name and, where a row has
    no qualified label, by data source and table name (prefixes unknown)."""

    names: frozenset[str]
    source_and_table: frozenset[tuple[str, str]]

    @classmethod
    def of(cls, rows: Iterable[CoverageDataset]) -> DatasetListing:
        names: set[str] = set()
        pairs: set[tuple[str, str]] = set()
        for row in rows:
            if row.dataset_label and "/" in row.dataset_label:
                names.add(row.dataset_label)
            if row.datasource_name and row.dataset_name:
                pairs.add((row.datasource_name, row.dataset_name))
        return cls(frozenset(names), frozenset(pairs))

    def lists(self, dataset: str) -> bool:
        parts = dataset.split("/")
        return dataset in self.names or (parts[0], parts[-1]) in self.source_and_table


class NotRead(str, enum.Enum):
    """Why a Reporting API resource has no answer to compare with."""

    NOT_REQUESTED = "not-requested"  # --no-reporting
    NOT_CONFIGURED = "not-configured"  # no Reporting API for this Soda Cloud
    FAILED = "failed"  # refused or unreachable; the error says what it met
    NO_DATA_YET = "no-data-yet"  # it answered 202: no data processed yet


@dataclass(frozen=True)
class ReportingData:
    """What the Reporting API answered, per resource.

    Rows when it answered with data; ``None`` rows and no gap when it answered 202 ("no
    data"); ``None`` rows and a gap when it was not read (not configured, refused,
    unreachable)."""

    coverage_datasets: Sequence[CoverageDataset] | None = None
    coverage_gap: NotRead | None = None
    coverage_error: str | None = None
    incidents: Sequence[Incident] | None = None
    incidents_gap: NotRead | None = None
    incidents_error: str | None = None

    @classmethod
    def not_read(cls, gap: NotRead) -> ReportingData:
        return cls(coverage_gap=gap, incidents_gap=gap)


@dataclass(frozen=True)
class ObservedState:
    contracts: Mapping[str, Contract]
    # Only for contracts whose lastUpdated moved since the state's record: the versions made
    # since then, newest first.
    newer_versions: Mapping[str, tuple[ContractVersion, ...]] = field(default_factory=dict)
    # Contracts the list returned without a dataset name (never expected; reported, not used).
    nameless: tuple[str, ...] = ()
    # The datasets Soda Cloud knows, when it was asked and could tell; else None.
    listing: DatasetListing | None = None


def moved_since_record(record: DatasetRecord | None, contract: Contract) -> bool:
    return record is not None and record.moved_in_cloud(contract.id, contract.last_updated)


async def observe(
    client: SodaCloudClient,
    state: StateFile,
    *,
    wanted: Callable[[str], bool] = lambda dataset: True,
) -> ObservedState:
    contracts, nameless = await listed_contracts(client)
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


async def listed_contracts(client: SodaCloudClient) -> tuple[dict[str, Contract], list[str]]:
    """Every contract in Soda Cloud by dataset name, and the ids of those listed without one
    (never expected; reported, not used). ceil(N/1000) calls."""
    contracts: dict[str, Contract] = {}
    nameless: list[str] = []
    for contract in await client.list_contracts():
        if contract.dataset_qualified_name:
            contracts[contract.dataset_qualified_name] = contract
        else:
            nameless.append(contract.id)
    return contracts, nameless


async def contracts_by_dataset(client: SodaCloudClient) -> dict[str, Contract]:
    """Every contract in Soda Cloud that names its dataset, by that name."""
    return (await listed_contracts(client))[0]


async def dataset_listing(client: SodaCloudClient) -> DatasetListing | None:
    """What the Reporting API lists; None when it is not configured, has no data yet (202)
    or cannot be read within a short budget."""
    if not client.settings.reporting_url:
        return None
    try:
        rows = await client.coverage_datasets(deadline=LISTING_BUDGET)
    except CloudError as error:
        log.info("the Reporting API could not list datasets (%s); creates are not checked", error)
        return None
    return None if rows is None else DatasetListing.of(rows)


async def reporting_data(client: SodaCloudClient) -> ReportingData:
    """What the Reporting API says about coverage and unresolved incidents, both read at
    once. Never fatal: a resource that cannot be read is reported with the reason."""
    if not client.settings.reporting_url:
        return ReportingData.not_read(NotRead.NOT_CONFIGURED)
    coverage, incidents = await asyncio.gather(
        _attempt(client.coverage_datasets()),
        _attempt(client.incidents(status="unresolved")),
    )
    return ReportingData(
        coverage_datasets=coverage[0],
        coverage_gap=NotRead.FAILED if coverage[1] is not None else None,
        coverage_error=coverage[1],
        incidents=incidents[0],
        incidents_gap=NotRead.FAILED if incidents[1] is not None else None,
        incidents_error=incidents[1],
    )


async def _attempt(call: Awaitable[T | None]) -> tuple[T | None, str | None]:
    """The Reporting API's answer, or the error that kept it from answering."""
    try:
        return await call, None
    except CloudError as error:
        return None, str(error)


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
