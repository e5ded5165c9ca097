"""The audit: a pure function (desired, observed, state, reporting data) -> AuditReport.

Where ``plan`` says what apply will do, the audit says how git and Soda Cloud differ and
whose side moved, for a nightly job that alerts. Per dataset (filtered by ``--target`` /
``--exclude``):

| git file | Soda Cloud                        | state record       | category              |
|----------|-----------------------------------|--------------------|-----------------------|
| contract | same text                         | any                | in sync               |
| contract | other text, moved since the record| same contract id   | drifted               |
| contract | other text, replaced (new id)     | another contract id| drifted               |
| contract | other text, not moved             | same contract id   | pending               |
| contract | other text                        | none               | pending (no baseline) |
| contract | none                              | none               | pending (create)      |
| stub     | none                              | none               | pending (skeleton)    |
| stub     | a contract                        | any                | pending (import)      |
| any file | none                              | a record           | missing               |
| none     | a contract                        | none               | unmanaged             |
| none     | any                               | a record           | orphaned (info)       |

With the Reporting API: datasets no contract covers (``/coverage/datasets``) and unresolved
incidents on managed datasets (``/impact/incidents``). Whatever was not compared says so and
why; it is never shown as zero.

The report's exit code: 0 in sync, 2 pending only, 4 drift (drifted or missing, and
unmanaged with ``strict``), 6 pending and drift.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from reconciler.cloud.dto import Contract, ContractVersion, CoverageDataset, Incident
from reconciler.desired import DesiredContract, DesiredState
from reconciler.observed import ObservedState, moved_since_record
from reconciler.plan.globs import DatasetFilter
from reconciler.plan.model import ChangeItem, NewerVersion, StateBasis
from reconciler.plan.planner import (
    publish_changes,
    reading_warnings,
    state_basis,
    unified_diff,
)
from reconciler.plan.vocabulary import ChangeClass
from reconciler.state import DatasetRecord, StateFile

AUDIT_FORMAT_VERSION = 1

EXIT_IN_SYNC = 0
EXIT_PENDING = 2
EXIT_DRIFT = 4
EXIT_PENDING_AND_DRIFT = 6


class Category(str, enum.Enum):
    DRIFTED = "drifted"
    MISSING = "missing"
    PENDING = "pending"
    UNMANAGED = "unmanaged"
    ORPHANED = "orphaned"
    IN_SYNC = "in-sync"


# The order datasets are listed in: what needs a person first.
CATEGORY_ORDER = tuple(Category)


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DatasetAudit(Frozen):
    """One dataset that differs between git and Soda Cloud (in-sync ones are only counted)."""

    dataset: str
    category: Category
    detail: str = Field(description="what differs, in one sentence")
    remedy: str = Field(description="what a person can do about it")
    file: str | None = None
    contract_id: str | None = None
    last_updated: str | None = Field(default=None, description="Soda Cloud's lastUpdated")
    recorded_last_updated: str | None = Field(
        default=None, description="lastUpdated when the reconciler last applied it"
    )
    newer_versions: tuple[NewerVersion, ...] = Field(
        default=(), description="versions made in Soda Cloud since the last apply, newest first"
    )
    change_class: ChangeClass | None = Field(
        default=None, description="what applying git's version would be, Cloud -> git"
    )
    changes: tuple[ChangeItem, ...] = ()
    diff: str | None = Field(default=None, description="unified YAML diff, Soda Cloud -> git")

    @property
    def changed_by(self) -> tuple[str, ...]:
        return tuple(sorted({v.creator_id for v in self.newer_versions if v.creator_id}))


class NotCompared(Frozen):
    """Why a comparison was not made (it is never reported as zero differences)."""

    reason: str


class DatasetWithoutContract(Frozen):
    dataset_id: str
    name: str
    datasource: str | None = None
    owner: str | None = None
    last_scan_time: str | None = None


class OpenIncident(Frozen):
    incident_id: str
    dataset: str
    title: str
    severity: str | None = None
    status: str | None = None
    created_at: str | None = None
    check_name: str | None = None
    url: str | None = None


class Coverage(Frozen):
    """``/coverage/datasets``: datasets that no contract (in Soda Cloud or in git) covers."""

    not_compared: NotCompared | None = None
    datasets_seen: int = 0
    without_contract: tuple[DatasetWithoutContract, ...] = ()


class Incidents(Frozen):
    """``/impact/incidents``: unresolved incidents on datasets managed in git."""

    not_compared: NotCompared | None = None
    unresolved: tuple[OpenIncident, ...] = ()


class Counts(Frozen):
    """The data-diff style summary: pairs are ``[git, cloud]``; ``None`` is "not compared"."""

    contracts: tuple[int, int]
    exclusives: tuple[int, int]
    in_sync: int
    drifted: int
    pending: int
    missing: int
    unmanaged: int
    orphaned: int
    datasets_without_contract: int | None
    unresolved_incidents: int | None


class CallCount(Frozen):
    total: int
    by_operation: dict[str, int] = Field(default_factory=dict)


class AuditSettings(Frozen):
    targets: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    strict: bool = False


Status = Literal["in-sync", "pending", "drift", "pending-and-drift"]


class AuditReport(Frozen):
    format_version: int = AUDIT_FORMAT_VERSION
    created: str
    reconciler_version: str
    contracts_dir: str
    cloud_host: str
    settings: AuditSettings = AuditSettings()
    state: StateBasis
    status: Status
    exit_code: int
    summary: Counts
    datasets: tuple[DatasetAudit, ...] = ()
    coverage: Coverage
    incidents: Incidents
    warnings: tuple[str, ...] = ()
    calls: CallCount | None = None

    def in_category(self, category: Category) -> tuple[DatasetAudit, ...]:
        return tuple(d for d in self.datasets if d.category is category)


@dataclass(frozen=True)
class ReportingData:
    """What the Reporting API answered, per resource.

    Rows when it answered with data; ``None`` rows and no reason when it answered 202 ("no
    data"); ``None`` rows and a reason when it was not read (not configured, refused,
    unreachable)."""

    coverage_datasets: Sequence[CoverageDataset] | None = None
    coverage_reason: str | None = None
    incidents: Sequence[Incident] | None = None
    incidents_reason: str | None = None

    @classmethod
    def not_read(cls, reason: str) -> ReportingData:
        return cls(coverage_reason=reason, incidents_reason=reason)


NO_DATA_YET = (
    "the Reporting API has no data yet (it answered 202; its data is refreshed in daily batches)"
)


@dataclass(frozen=True)
class AuditContext:
    """Facts about the run that the report records but does not compute."""

    created: str
    reconciler_version: str
    contracts_dir: str
    cloud_host: str
    cloud_url: str
    state_path: str
    calls: CallCount | None = None
    settings: AuditSettings = field(default_factory=AuditSettings)


def make_audit(
    desired: DesiredState,
    observed: ObservedState,
    state: StateFile,
    reporting: ReportingData,
    *,
    context: AuditContext,
) -> AuditReport:
    settings = context.settings
    wanted = DatasetFilter(settings.targets, settings.excludes)
    files = {name: f for name, f in desired.contracts.items() if wanted(name)}
    remotes = {name: c for name, c in observed.contracts.items() if wanted(name)}
    records = {name: r for name, r in state.datasets.items() if wanted(name)}
    entries = [
        audit_dataset(
            name,
            files.get(name),
            remotes.get(name),
            records.get(name),
            observed.newer_versions.get(name, ()),
        )
        for name in sorted(set(files) | set(remotes) | set(records))
    ]
    by_category = {category: 0 for category in Category}
    for entry in entries:
        by_category[entry.category] += 1
    coverage = _coverage(reporting, observed, desired, wanted)
    incidents = _incidents(reporting, observed, state, set(files), context.cloud_url)
    counts = Counts(
        contracts=(len(files), len(remotes)),
        exclusives=(len(set(files) - set(remotes)), len(set(remotes) - set(files))),
        in_sync=by_category[Category.IN_SYNC],
        drifted=by_category[Category.DRIFTED],
        pending=by_category[Category.PENDING],
        missing=by_category[Category.MISSING],
        unmanaged=by_category[Category.UNMANAGED],
        orphaned=by_category[Category.ORPHANED],
        datasets_without_contract=(
            None if coverage.not_compared else len(coverage.without_contract)
        ),
        unresolved_incidents=None if incidents.not_compared else len(incidents.unresolved),
    )
    status, exit_code = audit_status(counts, strict=settings.strict)
    warnings = reading_warnings(desired, observed)
    order = {category: index for index, category in enumerate(CATEGORY_ORDER)}
    listed = sorted(
        (e for e in entries if e.category is not Category.IN_SYNC),
        key=lambda e: (order[e.category], e.dataset),
    )
    return AuditReport(
        created=context.created,
        reconciler_version=context.reconciler_version,
        contracts_dir=context.contracts_dir,
        cloud_host=context.cloud_host,
        settings=settings,
        state=state_basis(state, context.state_path),
        status=status,
        exit_code=exit_code,
        summary=counts,
        datasets=tuple(listed),
        coverage=coverage,
        incidents=incidents,
        warnings=warnings,
        calls=context.calls,
    )


def audit_status(counts: Counts, *, strict: bool) -> tuple[Status, int]:
    """The status word and exit code of a summary."""
    drift = bool(counts.drifted or counts.missing or (strict and counts.unmanaged))
    pending = bool(counts.pending)
    if drift and pending:
        return "pending-and-drift", EXIT_PENDING_AND_DRIFT
    if drift:
        return "drift", EXIT_DRIFT
    if pending:
        return "pending", EXIT_PENDING
    return "in-sync", EXIT_IN_SYNC


def audit_dataset(
    dataset: str,
    file: DesiredContract | None,
    remote: Contract | None,
    record: DatasetRecord | None,
    newer: Sequence[ContractVersion] = (),
) -> DatasetAudit:
    """The category of one dataset, with who/when and the diff where they apply."""
    path = file.display_path if file is not None else None
    recorded = record.last_updated if record is not None else None
    if file is None:
        if record is not None:
            in_cloud = remote is not None
            return DatasetAudit(
                dataset=dataset,
                category=Category.ORPHANED,
                detail="the state records it but its file was deleted"
                + ("" if in_cloud else "; it is no longer in Soda Cloud either"),
                remedy=f"`reconciler state forget {dataset}` stops tracking it "
                "(contracts are never deleted in Soda Cloud)",
                contract_id=remote.id if remote is not None else record.contract_id,
                last_updated=remote.last_updated if remote is not None else None,
                recorded_last_updated=recorded,
            )
        assert remote is not None
        return DatasetAudit(
            dataset=dataset,
            category=Category.UNMANAGED,
            detail="a contract in Soda Cloud with no file in git",
            remedy=f"`reconciler import {dataset}` writes it into the contracts folder",
            contract_id=remote.id,
            last_updated=remote.last_updated,
        )
    if remote is None:
        if record is not None:
            return DatasetAudit(
                dataset=dataset,
                category=Category.MISSING,
                detail=f"the contract recorded in the state ({record.contract_id}) is no "
                "longer in Soda Cloud",
                remedy="`reconciler apply` creates it again from git",
                file=path,
                contract_id=record.contract_id,
                recorded_last_updated=recorded,
            )
        if file.is_stub:
            return DatasetAudit(
                dataset=dataset,
                category=Category.PENDING,
                detail="a stub file: Soda Cloud has no contract yet",
                remedy="`reconciler apply` generates a skeleton and writes it into the file",
                file=path,
            )
        return DatasetAudit(
            dataset=dataset,
            category=Category.PENDING,
            detail="a new contract in git, not in Soda Cloud yet",
            remedy="`reconciler apply` creates it",
            file=path,
        )
    if file.is_stub:
        return DatasetAudit(
            dataset=dataset,
            category=Category.PENDING,
            detail="a stub file, but Soda Cloud already has a contract for this dataset",
            remedy=f"`reconciler apply` writes Soda Cloud's contract into {path}",
            file=path,
            contract_id=remote.id,
            last_updated=remote.last_updated,
        )
    if remote.contents == file.raw_text:
        return DatasetAudit(
            dataset=dataset,
            category=Category.IN_SYNC,
            detail="Soda Cloud has what git has",
            remedy="nothing to do",
            file=path,
            contract_id=remote.id,
            last_updated=remote.last_updated,
            recorded_last_updated=recorded,
        )
    change_class, changes = publish_changes(remote.contents or "", file)
    diff = unified_diff(remote.contents or "", file.raw_text, dataset, file.display_path)

    def differing(
        category: Category,
        detail: str,
        remedy: str,
        versions: tuple[NewerVersion, ...] = (),
    ) -> DatasetAudit:
        assert remote is not None
        return DatasetAudit(
            dataset=dataset,
            category=category,
            detail=detail,
            remedy=remedy,
            file=path,
            contract_id=remote.id,
            last_updated=remote.last_updated,
            recorded_last_updated=recorded,
            newer_versions=versions,
            change_class=change_class,
            changes=changes,
            diff=diff,
        )

    if record is not None and record.contract_id != remote.id:
        return differing(
            Category.DRIFTED,
            f"the contract was replaced in Soda Cloud outside git (contract "
            f"{record.contract_id} was applied; Soda Cloud now has {remote.id})",
            _DRIFT_REMEDY,
        )
    if moved_since_record(record, remote):
        versions = tuple(
            NewerVersion(version_id=v.id, created=v.created, creator_id=v.creator_id) for v in newer
        )
        return differing(
            Category.DRIFTED,
            describe_change(versions, remote.last_updated),
            _DRIFT_REMEDY,
            versions,
        )
    if record is None:
        return differing(
            Category.PENDING,
            "git differs from Soda Cloud and the state has no record, so it is not known "
            "which side moved; read as git being ahead",
            "`reconciler apply` publishes git's version (check the diff: it replaces Soda Cloud's)",
        )
    return differing(
        Category.PENDING,
        "changed in git since the last apply; Soda Cloud has not moved",
        "`reconciler apply` publishes git's version",
    )


_DRIFT_REMEDY = (
    "keep the change: copy it into git (the diff below shows what apply would undo); "
    "discard it: `reconciler apply` publishes git's version over it"
)


def describe_change(versions: Sequence[NewerVersion], last_updated: str | None) -> str:
    """ "changed in Soda Cloud outside git: 2 versions by alice, bob; latest at ..."."""
    if not versions:
        when = f" (lastUpdated {last_updated})" if last_updated else ""
        return f"changed in Soda Cloud outside git since the last apply{when}"
    who = sorted({v.creator_id for v in versions if v.creator_id})
    count = f"{len(versions)} version{'s' if len(versions) != 1 else ''}"
    by = f" by {', '.join(who)}" if who else ""
    latest = versions[0].created or last_updated
    at = f", latest at {latest}" if latest else ""
    return f"changed in Soda Cloud outside git since the last apply: {count}{by}{at}"


def _coverage(
    reporting: ReportingData,
    observed: ObservedState,
    desired: DesiredState,
    wanted: DatasetFilter,
) -> Coverage:
    if reporting.coverage_datasets is None:
        return Coverage(not_compared=NotCompared(reason=reporting.coverage_reason or NO_DATA_YET))
    covered = {c.dataset_id for c in observed.contracts.values() if c.dataset_id}
    in_git = set(desired.contracts)
    seen: dict[str, DatasetWithoutContract] = {}
    for row in reporting.coverage_datasets:
        name = qualified_name_of(row)
        if row.dataset_id in covered or name in in_git or not wanted(name):
            continue
        seen[row.dataset_id] = DatasetWithoutContract(
            dataset_id=row.dataset_id,
            name=name,
            datasource=row.datasource_name,
            owner=row.owner_email,
            last_scan_time=row.last_scan_time,
        )
    return Coverage(
        datasets_seen=len({row.dataset_id for row in reporting.coverage_datasets}),
        without_contract=tuple(sorted(seen.values(), key=lambda d: (d.name, d.dataset_id))),
    )


def qualified_name_of(row: CoverageDataset) -> str:
    """The dataset's qualified name as best the Reporting API tells it.

    The label is the qualified name where Soda Cloud shows one; otherwise the data source
    and the dataset's own name are joined (prefixes are then unknown)."""
    if row.dataset_label and "/" in row.dataset_label:
        return row.dataset_label
    name = row.dataset_name or row.dataset_label or row.dataset_id
    return f"{row.datasource_name}/{name}" if row.datasource_name else name


def _incidents(
    reporting: ReportingData,
    observed: ObservedState,
    state: StateFile,
    managed: set[str],
    cloud_url: str,
) -> Incidents:
    if reporting.incidents is None:
        if reporting.incidents_reason is None and reporting.coverage_datasets:
            # The Reporting API answers 202 both for "not processed yet" and for "nothing
            # matches". Once its dataset batch is there, an empty incidents answer means none.
            return Incidents()
        return Incidents(not_compared=NotCompared(reason=reporting.incidents_reason or NO_DATA_YET))
    names = _names_by_dataset_id(observed.contracts, state)
    latest: dict[str, tuple[str, OpenIncident]] = {}
    for incident in reporting.incidents:
        if not incident.incident_id or (incident.status or "").lower() == "resolved":
            continue
        name = names.get(incident.dataset_id or "")
        if name is None or name not in managed:
            continue
        # The API lists an incident once per report date; keep its latest report.
        updated = incident.last_updated or incident.created_at or ""
        previous = latest.get(incident.incident_id)
        if previous is not None and previous[0] > updated:
            continue
        latest[incident.incident_id] = (
            updated,
            OpenIncident(
                incident_id=incident.incident_id,
                dataset=name,
                title=incident.title or "(untitled incident)",
                severity=incident.severity,
                status=incident.status,
                created_at=incident.created_at,
                check_name=incident.check_name,
                url=incident_url(cloud_url, incident.incident_id),
            ),
        )
    return Incidents(
        unresolved=tuple(
            sorted(
                (entry for _, entry in latest.values()),
                key=lambda i: (_severity_rank(i.severity), i.dataset, i.title, i.incident_id),
            )
        )
    )


def incident_url(cloud_url: str, incident_id: str) -> str | None:
    """The incident's page in Soda Cloud (the Reporting API gives no link; this is the UI's)."""
    return f"{cloud_url.rstrip('/')}/incidents/{incident_id}" if cloud_url else None


def _names_by_dataset_id(contracts: Mapping[str, Contract], state: StateFile) -> dict[str, str]:
    names = {r.dataset_id: name for name, r in state.datasets.items() if r.dataset_id}
    names.update({c.dataset_id: name for name, c in contracts.items() if c.dataset_id})
    return names


_SEVERITY = ("critical", "major", "minor", "info")


def _severity_rank(severity: str | None) -> int:
    value = (severity or "").lower()
    return _SEVERITY.index(value) if value in _SEVERITY else len(_SEVERITY)
