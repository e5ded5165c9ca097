"""What a local Soda Cloud holds: datasets, contracts and their versions, scans, operations,
incidents; the indexes to find them; and the file format they persist in.

Scans and operations store only what was decided when they began (creation instant, timings,
outcome, cancel instant). Their current state is derived from those and the clock by
:mod:`reconciler.emulator.lifecycle`, so a restart resumes every lifecycle where it was. The
one exception is a scan run by the agent (a dataset of a seeded data source): its outcome is
what Soda's engine answered, stored as :class:`ScanResult` when it arrives.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from pydantic import TypeAdapter, ValidationError

from reconciler.emulator.instants import next_stamp
from reconciler.emulator.seed import Column as ColumnSeed
from reconciler.emulator.seed import EmulatorConfig, IncidentSeed, derived_id

FORMAT_VERSION = 1

# The checksum is deliberately not the plain sha256 of the contents: clients must treat it as
# opaque and only compare it with checksums the server returned.
_CHECKSUM_SALT = b"soda-cloud-emulator/contract-version/1\x00"


def checksum(contents: str) -> str:
    return hashlib.sha256(_CHECKSUM_SALT + contents.encode("utf-8")).hexdigest()


@dataclass
class Column:
    name: str
    data_type: str
    # The catalog's type parameters, as a contract column spells them (None: not given).
    character_maximum_length: int | None = None
    numeric_precision: int | None = None
    numeric_scale: int | None = None
    datetime_precision: int | None = None


@dataclass
class Dataset:
    id: str
    qualified_name: str
    connected: bool
    columns: list[Column]
    owner: str | None = None

    @property
    def datasource(self) -> str:
        return self.qualified_name.split("/", 1)[0]

    @property
    def name(self) -> str:
        return self.qualified_name.rsplit("/", 1)[-1]


@dataclass
class Version:
    id: str
    checksum: str
    contents: str
    created: datetime
    creator_id: str


@dataclass
class Contract:
    id: str
    dataset_id: str
    dataset_qualified_name: str
    created: datetime
    last_updated: datetime
    versions: list[Version]

    @property
    def contents(self) -> str:
        return self.versions[-1].contents


@dataclass
class ScanCheck:
    id: str
    path: str
    excluded: bool = False


@dataclass
class ResultCheck:
    """One check as the engine evaluated it."""

    id: str  # the scan check id (stable per dataset and path)
    path: str
    name: str
    outcome: str  # the engine's: pass | warn | fail | error | notEvaluated | excluded
    value: float | None = None
    diagnostics: dict[str, float | int | str] = field(default_factory=dict)

    @property
    def evaluation_status(self) -> str:
        """As the scan status API spells it (it has no ``error``)."""
        return "notEvaluated" if self.outcome == "error" else self.outcome


@dataclass
class ResultLog:
    offset: float  # real seconds after the engine started
    level: str
    message: str


@dataclass
class ScanResult:
    """What the agent's run of Soda's engine answered for a scan."""

    state: str  # the final scan state it makes
    finished: datetime  # the clock's instant when the answer arrived
    checks: list[ResultCheck]
    logs: list[ResultLog]
    errors: int

    def count(self, outcome: str) -> int:
        return sum(1 for check in self.checks if check.outcome == outcome)


@dataclass
class Scan:
    id: str
    kind: str  # "verification" | "generation"
    contract_id: str
    dataset_id: str
    dataset_qualified_name: str
    created: datetime
    outcome: str
    checks: list[ScanCheck]
    # Clock seconds, fixed when the scan began so later setting changes do not move it.
    queuing: float
    executing: float
    cancel_delay: float
    cancel_at: datetime | None = None
    cancel_from: str | None = None  # the state the scan was in when canceled
    operation_id: str | None = None
    # Run by the agent with Soda's engine: the contents and check paths it verifies, and
    # its answer once it came (``outcome`` is then unused).
    by_agent: bool = False
    contents: str | None = None
    check_paths: list[str] | None = None
    result: ScanResult | None = None
    incidents_opened: bool = False


@dataclass
class OperationDataset:
    dataset_id: str
    qualified_name: str
    contents: str
    outcome: str  # the scripted outcome: "completed" | "failed"
    scan_id: str | None = None
    contract_id: str | None = None  # set once the operation created the contract


@dataclass
class Operation:
    id: str
    kind: str  # "skeleton" | "generate"
    created: datetime
    duration: float  # clock seconds
    datasets: list[OperationDataset]
    final_state: str | None = None  # decided when the operation is settled


@dataclass
class Incident:
    incident_id: str
    title: str
    severity: str
    status: str
    dataset_id: str
    created_at: datetime
    last_updated: datetime
    check_id: str | None = None
    check_name: str | None = None
    resolved_at: datetime | None = None


@dataclass
class StoreData:
    """The persisted form (``--data FILE``)."""

    format_version: int
    organization_id: str
    datasets: list[Dataset]
    contracts: list[Contract]
    scans: list[Scan] = field(default_factory=list)
    operations: list[Operation] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)
    scan_outcomes: dict[str, str] = field(default_factory=dict)
    operation_outcomes: dict[str, str] = field(default_factory=dict)
    reporting_ready: bool = True


_DATA = TypeAdapter(StoreData)


class DataFileError(ValueError):
    """The data file cannot be read back."""


class Store:
    """The emulator's data and its indexes. Single-threaded: the event loop serialises it."""

    def __init__(self, data: StoreData) -> None:
        self.organization_id = data.organization_id
        self.datasets: dict[str, Dataset] = {d.id: d for d in data.datasets}
        self.contracts: dict[str, Contract] = {c.id: c for c in data.contracts}
        self.scans: dict[str, Scan] = {s.id: s for s in data.scans}
        self.operations: dict[str, Operation] = {o.id: o for o in data.operations}
        self.incidents: list[Incident] = list(data.incidents)
        self.scan_outcomes = dict(data.scan_outcomes)
        self.operation_outcomes = dict(data.operation_outcomes)
        self.reporting_ready = data.reporting_ready
        self._by_name = {d.qualified_name: d.id for d in data.datasets}
        self._contract_by_dataset = {c.dataset_id: c.id for c in data.contracts}
        self.contract_order: list[str] = [c.id for c in data.contracts]

    # -- building and persisting -------------------------------------------------------------

    @classmethod
    def from_seed(cls, config: EmulatorConfig, now: datetime) -> Store:
        datasets = [
            Dataset(
                id=seed.dataset_id,
                qualified_name=seed.qualified_name,
                connected=seed.connected,
                columns=[column_of(c) for c in seed.columns],
                owner=seed.owner,
            )
            for seed in config.datasets
        ]
        store = cls(
            StoreData(
                format_version=FORMAT_VERSION,
                organization_id=config.organization_id,
                datasets=datasets,
                contracts=[],
                scan_outcomes=dict(config.scan_outcomes),
                operation_outcomes=dict(config.operation_outcomes),
                reporting_ready=config.reporting.ready,
            )
        )
        for contract in config.contracts:
            dataset = store.dataset_named(contract.dataset)
            assert dataset is not None  # the config validated the reference
            store.create_contract(
                dataset, contract.contents, contract.creator_id or config.creator_ids.seed, now
            )
        for incident in config.incidents:
            store.add_incident(incident, now)
        return store

    def to_data(self) -> StoreData:
        return StoreData(
            format_version=FORMAT_VERSION,
            organization_id=self.organization_id,
            datasets=list(self.datasets.values()),
            contracts=[self.contracts[cid] for cid in self.contract_order],
            scans=list(self.scans.values()),
            operations=list(self.operations.values()),
            incidents=list(self.incidents),
            scan_outcomes=dict(self.scan_outcomes),
            operation_outcomes=dict(self.operation_outcomes),
            reporting_ready=self.reporting_ready,
        )

    def save(self, path: Path) -> None:
        """Write atomically: a temp file in the same folder, fsync, rename over the target."""
        payload = _DATA.dump_json(self.to_data())
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: Path) -> Store:
        try:
            data = _DATA.validate_json(path.read_bytes())
        except OSError as error:
            raise DataFileError(f"{path}: cannot read the data file ({error.strerror})") from None
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise DataFileError(
                f"{path}: not an emulator data file ({where}: {first['msg']}); move it away "
                "to start from the seed"
            ) from None
        if data.format_version != FORMAT_VERSION:
            raise DataFileError(
                f"{path}: data format {data.format_version} is not {FORMAT_VERSION}; move it "
                "away to start from the seed"
            )
        return cls(data)

    # -- datasets ---------------------------------------------------------------------------

    def dataset_named(self, qualified_name: str) -> Dataset | None:
        dataset_id = self._by_name.get(qualified_name)
        return self.datasets[dataset_id] if dataset_id else None

    def put_dataset(self, dataset: Dataset) -> bool:
        """Add a dataset, or replace the one with the same name; True when it is new."""
        existing = self.dataset_named(dataset.qualified_name)
        if existing is not None:
            dataset.id = existing.id
            self.datasets[existing.id] = dataset
            return False
        self.datasets[dataset.id] = dataset
        self._by_name[dataset.qualified_name] = dataset.id
        return True

    # -- contracts --------------------------------------------------------------------------

    def contract_of(self, dataset_id: str) -> Contract | None:
        contract_id = self._contract_by_dataset.get(dataset_id)
        return self.contracts[contract_id] if contract_id else None

    def create_contract(
        self, dataset: Dataset, contents: str, creator_id: str, now: datetime
    ) -> Contract:
        stamp = next_stamp(None, now)
        contract = Contract(
            # One contract per dataset and no delete: the dataset id makes a stable contract id.
            id=derived_id("contract", dataset.id),
            dataset_id=dataset.id,
            dataset_qualified_name=dataset.qualified_name,
            created=stamp,
            last_updated=stamp,
            versions=[_version(contents, creator_id, stamp)],
        )
        self.contracts[contract.id] = contract
        self._contract_by_dataset[dataset.id] = contract.id
        self.contract_order.append(contract.id)
        return contract

    def publish(self, contract: Contract, contents: str, creator_id: str, now: datetime) -> None:
        """A new version, even for identical contents (as the real server likely does)."""
        stamp = next_stamp(contract.last_updated, now)
        contract.versions.append(_version(contents, creator_id, stamp))
        contract.last_updated = stamp

    # -- incidents ----------------------------------------------------------------------------

    def add_incident(self, seed: IncidentSeed, now: datetime) -> Incident:
        dataset = self.dataset_named(seed.dataset)
        if dataset is None:
            raise KeyError(seed.dataset)
        created = _utc(seed.created_at) if seed.created_at else now
        resolved = _utc(seed.resolved_at) if seed.resolved_at else None
        incident = Incident(
            incident_id=seed.incident_id
            or derived_id("incident", f"{seed.dataset}:{seed.title}:{len(self.incidents)}"),
            title=seed.title,
            severity=seed.severity,
            status=seed.status,
            dataset_id=dataset.id,
            created_at=created,
            last_updated=resolved or created,
            check_id=seed.check_id,
            check_name=seed.check_name,
            resolved_at=resolved,
        )
        self.incidents.append(incident)
        return incident

    # -- scans and operations ------------------------------------------------------------------

    def add_scan(self, scan: Scan) -> None:
        self.scans[scan.id] = scan

    def add_operation(self, operation: Operation) -> None:
        self.operations[operation.id] = operation

    def pending_operations(self) -> list[Operation]:
        return [op for op in self.operations.values() if op.final_state is None]

    def busy_datasets(self) -> set[str]:
        """Datasets with a contract generation still ongoing."""
        return {entry.dataset_id for op in self.pending_operations() for entry in op.datasets}


def column_of(seed: ColumnSeed) -> Column:
    return Column(
        seed.name,
        seed.data_type,
        character_maximum_length=seed.character_maximum_length,
        numeric_precision=seed.numeric_precision,
        numeric_scale=seed.numeric_scale,
        datetime_precision=seed.datetime_precision,
    )


def _version(contents: str, creator_id: str, stamp: datetime) -> Version:
    return Version(
        id=str(uuid.uuid4()),
        checksum=checksum(contents),
        contents=contents,
        created=stamp,
        creator_id=creator_id,
    )


def _utc(instant: datetime) -> datetime:
    return instant if instant.tzinfo else instant.replace(tzinfo=timezone.utc)
