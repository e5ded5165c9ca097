"""The seed of a local Soda Cloud: what it holds when it starts, and after a reset.

A seed is an :class:`EmulatorConfig`, built in code (tests make seeds of 10,000 contracts) or
read from a YAML file with :func:`load_seed`::

    api_keys: [{id: demo, secret: demo-secret, role: admin}, {id: ro, secret: ro-secret, role: viewer}]
    datasets:
      - {qualified_name: warehouse/analytics/public/customers, connected: true,
         columns: [{name: id, data_type: integer}, {name: email, data_type: varchar}]}
    contracts:
      - {dataset: warehouse/analytics/public/customers, contents: "dataset: ...\\ncolumns: []\\n"}
    scan_outcomes: {warehouse/analytics/public/customers: completedWithWarnings}
    data_sources:                  # Soda data source configurations: real data, real checks
      - {type: duckdb, name: shop, connection: {database: shop.duckdb, read_only: true}}
      - warehouse.yml              # a data source file, relative to the seed file

Everything is optional; the README's "Local Soda Cloud (emulator)" section lists every key.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from reconciler.emulator.contents import ContentsError, check_contents
from reconciler.engine import (
    DataSourceConfig,
    data_source_from_mapping,
    load_data_source,
)
from reconciler.errors import DataSourceConfigError

DEFAULT_API_KEY_ID = "local"
DEFAULT_API_KEY_SECRET = "local-secret"  # documented: a local key, not a user secret

ScanOutcome = Literal[
    "completed",
    "completedWithWarnings",
    "completedWithFailures",
    "completedWithErrors",
    "failed",
    "timedOut",
]
OperationOutcome = Literal["completed", "failed"]
Role = Literal["admin", "viewer"]

# Ids derived from names, so the same seed gives the same ids on every machine.
_NAMESPACE = uuid.UUID("5a1d6c3e-8f1b-4c55-9a4e-0e6f3c1d2b7a")


def derived_id(kind: str, name: str) -> str:
    """A stable uuid for ``kind`` + ``name`` (datasets, contracts, checks, data sources)."""
    return str(uuid.uuid5(_NAMESPACE, f"{kind}:{name}"))


class SeedError(ValueError):
    """A seed that cannot be used; the message says where (``file:line:col``) and what."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ApiKey(_Strict):
    id: str = Field(min_length=1)
    secret: str = Field(min_length=1, repr=False)
    role: Role = "admin"
    # The user who owns this key: the ``creatorId`` of the versions it writes and the ``userId``
    # of ``GET /api/v1/users`` (default: the key id).
    creator_id: str | None = None

    @property
    def creator(self) -> str:
        return self.creator_id or self.id


class Column(_Strict):
    name: str = Field(min_length=1)
    data_type: str = "varchar"
    character_maximum_length: int | None = None
    numeric_precision: int | None = None
    numeric_scale: int | None = None
    datetime_precision: int | None = None


class DatasetSeed(_Strict):
    qualified_name: str
    id: str | None = None
    connected: bool = True
    columns: list[Column] = Field(default_factory=list)
    owner: str | None = None

    @field_validator("qualified_name")
    @classmethod
    def _qualified(cls, value: str) -> str:
        parts = value.split("/")
        if len(parts) < 2 or not all(part.strip() for part in parts):
            raise ValueError(
                "a dataset qualified name is 'datasource/prefix.../table': at least two "
                "non-empty parts separated by '/'"
            )
        return value

    @property
    def dataset_id(self) -> str:
        return self.id or derived_id("dataset", self.qualified_name)


class ContractSeed(_Strict):
    dataset: str
    contents: str
    creator_id: str | None = None


class IncidentSeed(_Strict):
    title: str
    dataset: str
    incident_id: str | None = None
    severity: str = "major"
    status: str = "reported"
    check_id: str | None = None
    check_name: str | None = None
    created_at: datetime | None = None
    resolved_at: datetime | None = None


class Limits(_Strict):
    """Rate limits: the documented ones, times ``multiplier``; ``enabled: false`` lifts them."""

    enabled: bool = True
    multiplier: float = Field(default=1.0, gt=0)


class Durations(_Strict):
    """How long asynchronous work takes, in clock seconds."""

    skeleton: float = Field(default=5.0, ge=0)
    generate: float = Field(default=10.0, ge=0)
    queuing: float = Field(default=2.0, ge=0)
    executing: float = Field(default=8.0, ge=0)
    # From cancelationRequested (or timeOutRequested) to the final state.
    cancel: float = Field(default=1.0, ge=0)


class Faults(_Strict):
    """Injected faults on API routes (never on ``/_emulator/``), reproducible from ``seed``."""

    error_rate: float = Field(default=0.0, ge=0, le=1)
    throttle_rate: float = Field(default=0.0, ge=0, le=1)
    lost_response_rate: float = Field(default=0.0, ge=0, le=1)
    reset_rate: float = Field(default=0.0, ge=0, le=1)
    latency_ms: float = Field(default=0.0, ge=0)
    seed: int = 0


class Reporting(_Strict):
    ready: bool = True


class CreatorIds(_Strict):
    """The ``creatorId`` of versions not written through an API key."""

    seed: str = "seed"
    skeleton: str = "soda-skeleton"
    generate: str = "soda-ai"
    ui: str = "soda-cloud-ui"


class EmulatorConfig(_Strict):
    """Everything a local Soda Cloud starts from."""

    organization_id: str = Field(default_factory=lambda: derived_id("organization", "local"))
    api_keys: list[ApiKey] = Field(default_factory=list)
    datasets: list[DatasetSeed] = Field(default_factory=list)
    contracts: list[ContractSeed] = Field(default_factory=list)
    scan_outcomes: dict[str, ScanOutcome] = Field(default_factory=dict)
    operation_outcomes: dict[str, OperationOutcome] = Field(default_factory=dict)
    incidents: list[IncidentSeed] = Field(default_factory=list)
    reporting: Reporting = Reporting()
    limits: Limits = Limits()
    durations: Durations = Durations()
    faults: Faults = Faults()
    creator_ids: CreatorIds = CreatorIds()
    # What POST /api/v1/contracts stores: the posted contents, or (as the API reference
    # describes) a template with the dataset and an empty columns list.
    create_mode: Literal["contents", "template"] = "contents"
    # Whether verify takes ``checkPaths``: Soda Cloud's API reference says they "may not be
    # available for all organizations"; false answers such a request as one would there.
    check_paths: bool = True
    # Soda data source configurations (inline mappings, or paths to data source files): their
    # tables become datasets, and their verification scans run Soda's engine on the data.
    data_sources: list[dict[str, Any] | str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> EmulatorConfig:
        names: set[str] = set()
        ids: set[str] = set()
        for index, dataset in enumerate(self.datasets):
            if dataset.qualified_name in names:
                raise ValueError(
                    f"datasets[{index}]: dataset '{dataset.qualified_name}' is listed twice"
                )
            if dataset.dataset_id in ids:
                raise ValueError(
                    f"datasets[{index}]: dataset id '{dataset.dataset_id}' is used twice"
                )
            names.add(dataset.qualified_name)
            ids.add(dataset.dataset_id)
        with_contract: set[str] = set()
        # With data sources, more datasets are known once their catalogs are read; references
        # to those are checked then (unknown_references).
        later = bool(self.data_sources)
        for index, contract in enumerate(self.contracts):
            if contract.dataset not in names and not later:
                raise ValueError(
                    f"contracts[{index}]: dataset '{contract.dataset}' is not in `datasets`"
                )
            if contract.dataset in with_contract:
                raise ValueError(
                    f"contracts[{index}]: dataset '{contract.dataset}' already has a contract "
                    "(a dataset has at most one)"
                )
            with_contract.add(contract.dataset)
        for index, incident in enumerate(self.incidents):
            if incident.dataset not in names and not later:
                raise ValueError(
                    f"incidents[{index}]: dataset '{incident.dataset}' is not in `datasets`"
                )
        key_ids = [key.id for key in self.api_keys]
        if len(key_ids) != len(set(key_ids)):
            raise ValueError("api_keys: two keys have the same id")
        return self

    def effective_api_keys(self) -> list[ApiKey]:
        """The configured keys, or the documented default ``local`` admin key."""
        if self.api_keys:
            return list(self.api_keys)
        return [ApiKey(id=DEFAULT_API_KEY_ID, secret=DEFAULT_API_KEY_SECRET, role="admin")]

    def admin_key(self) -> ApiKey:
        """The first key with the admin role (the one tools and demos use)."""
        for key in self.effective_api_keys():
            if key.role == "admin":
                return key
        raise SeedError("the seed has no api key with role admin")

    def with_datasets(self, datasets: list[DatasetSeed]) -> EmulatorConfig:
        """This seed, also knowing ``datasets`` (those its ``datasets`` lists already stay as
        written there)."""
        known = {dataset.qualified_name for dataset in self.datasets}
        added = [dataset for dataset in datasets if dataset.qualified_name not in known]
        return self.model_copy(update={"datasets": [*self.datasets, *added]})

    def unknown_references(self) -> list[str]:
        """Contracts and incidents naming a dataset the seed does not know."""
        names = {dataset.qualified_name for dataset in self.datasets}
        problems = [
            f"contracts[{index}]: dataset '{contract.dataset}' is neither in `datasets` nor a "
            "table of the seed's `data_sources`"
            for index, contract in enumerate(self.contracts)
            if contract.dataset not in names
        ]
        problems += [
            f"incidents[{index}]: dataset '{incident.dataset}' is neither in `datasets` nor a "
            "table of the seed's `data_sources`"
            for index, incident in enumerate(self.incidents)
            if incident.dataset not in names
        ]
        return problems


def data_source_configs(
    config: EmulatorConfig, *, base: Path | None = None
) -> list[DataSourceConfig]:
    """The seed's data sources; a path is relative to ``base`` (default: the working folder).
    A mistake raises :class:`SeedError` saying which."""
    sources: list[DataSourceConfig] = []
    for index, entry in enumerate(config.data_sources):
        problem, source = _data_source(entry, index, base, sources)
        if problem is not None:
            raise SeedError(problem)
        assert source is not None
        sources.append(source)
    return sources


def _data_source(
    entry: dict[str, Any] | str, index: int, base: Path | None, known: list[DataSourceConfig]
) -> tuple[str | None, DataSourceConfig | None]:
    """One ``data_sources`` item, or what is wrong with it."""
    where = f"data_sources[{index}]"
    try:
        if isinstance(entry, str):
            path = Path(entry)
            source = load_data_source(path if path.is_absolute() or base is None else base / path)
        else:
            source = data_source_from_mapping(entry, origin=f"seed {where}")
    except DataSourceConfigError as error:
        return f"{where}: {error}", None
    if any(other.name == source.name for other in known):
        return f"{where}: a data source named '{source.name}' is listed twice", None
    return None, source


def load_seed(path: Path) -> EmulatorConfig:
    """Read a seed file; a mistake raises :class:`SeedError` with ``file:line:col``. Paths of
    data source files are resolved relative to the seed file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise SeedError(f"{path}: cannot read the seed file ({error.strerror or error})") from None
    return parse_seed(text, source=str(path), base=path.parent)


def parse_seed(text: str, *, source: str = "<seed>", base: Path | None = None) -> EmulatorConfig:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        node = yaml.compose(text, Loader=loader)
        raw: Any = yaml.load(text, Loader=loader)  # a safe loader
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
        problem = getattr(error, "problem", None) or "not valid YAML"
        raise SeedError(f"{where}: the seed is not valid YAML: {problem}") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise SeedError(f"{source}:1:1: a seed is a mapping (api_keys, datasets, contracts, ...)")
    try:
        config = EmulatorConfig.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        loc = tuple(first["loc"])
        # An unknown key is best shown at the key itself, anything else at its value.
        line, col = _position(node, loc, at_key=first["type"] == "extra_forbidden")
        path = _dotted(loc)
        message = first["msg"].removeprefix("Value error, ")
        raise SeedError(f"{source}:{line}:{col}: {path + ': ' if path else ''}{message}") from None
    _check_seed_contracts(config, source, node)
    return _with_data_sources(config, source, node, base)


def _with_data_sources(
    config: EmulatorConfig, source: str, node: yaml.Node | None, base: Path | None
) -> EmulatorConfig:
    """The seed with its data source paths made absolute, each configuration checked."""
    resolved: list[dict[str, Any] | str] = []
    known: list[DataSourceConfig] = []
    for index, entry in enumerate(config.data_sources):
        if isinstance(entry, str):
            path = Path(entry)
            entry = str((path if path.is_absolute() else (base or Path.cwd()) / path).resolve())
        problem, data_source = _data_source(entry, index, None, known)
        if problem is not None:
            line, col = _position(node, ("data_sources", index))
            raise SeedError(f"{source}:{line}:{col}: {problem}")
        assert data_source is not None
        known.append(data_source)
        resolved.append(entry)
    return config.model_copy(update={"data_sources": resolved})


def _check_seed_contracts(config: EmulatorConfig, source: str, node: yaml.Node | None) -> None:
    # A seed file is written by a person: check its contracts as the API would. Seeds built in
    # code skip this (they can hold 10,000 contracts and come from tests).
    for index, contract in enumerate(config.contracts):
        try:
            check_contents(contract.contents, contract.dataset)
        except ContentsError as error:
            line, col = _position(node, ("contracts", index, "contents"))
            raise SeedError(
                f"{source}:{line}:{col}: contracts[{index}] (dataset {contract.dataset}): "
                f"{error.message}"
            ) from None


def _position(
    node: yaml.Node | None, loc: tuple[int | str, ...], *, at_key: bool = False
) -> tuple[int, int]:
    """1-based line and column of the deepest node of ``loc`` found in the YAML tree."""
    current = node
    mark = node.start_mark if node is not None else None
    for index, part in enumerate(loc):
        if isinstance(current, yaml.MappingNode):
            pair = next(
                (pair for pair in current.value if getattr(pair[0], "value", None) == part),
                None,
            )
            if pair is not None and at_key and index == len(loc) - 1:
                return pair[0].start_mark.line + 1, pair[0].start_mark.column + 1
            found = pair[1] if pair is not None else None
        elif isinstance(current, yaml.SequenceNode) and isinstance(part, int):
            found = current.value[part] if 0 <= part < len(current.value) else None
        else:
            found = None
        if found is None:
            break
        current = found
        mark = found.start_mark
    if mark is None:
        return 1, 1
    return mark.line + 1, mark.column + 1


def _dotted(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
