"""The auditor: a pure function (desired, observed, state, reporting data) -> AuditReport.

Where ``plan`` says what apply will do, the audit says how git and Soda Cloud differ and
whose side moved, for a nightly job that alerts. Per dataset (filtered by ``--target`` /
``--exclude``):

Each dataset is compared once (:mod:`reconciler.compare`, as the planner compares it) and
the comparison mapped to a category:

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

from collections.abc import Sequence
from dataclasses import dataclass, field

from reconciler.audit.model import (
    CATEGORY_ORDER,
    EXIT_DRIFT,
    EXIT_IN_SYNC,
    EXIT_PENDING,
    EXIT_PENDING_AND_DRIFT,
    AuditReport,
    AuditSettings,
    CallCount,
    Category,
    Counts,
    DatasetAudit,
    Reason,
    Status,
)
from reconciler.audit.reporting import coverage_of, incidents_of
from reconciler.cloud.dto import Contract, ContractVersion
from reconciler.compare import Comparison, Side, Since, compare, reading_warnings
from reconciler.desired import DesiredContract, DesiredState
from reconciler.desired.parallel import collector_paused
from reconciler.observed import ObservedState, ReportingData
from reconciler.plan.globs import DatasetFilter
from reconciler.plan.model import NewerVersion, StateBasis
from reconciler.state import DatasetRecord, StateFile


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
    with collector_paused():  # as the planner compares: see make_plan
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
    coverage = coverage_of(reporting, observed, desired, wanted)
    incidents = incidents_of(reporting, observed, state, set(files), context.cloud_url)
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
        state=StateBasis.of(state, context.state_path),
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
    return audited(compare(dataset, file, remote, record, newer))


def audited(compared: Comparison) -> DatasetAudit:
    """How the two sides of one compared dataset differ, and which side moved."""
    if compared.side is Side.NOT_IN_GIT:
        return _not_in_git(compared)
    if compared.side is Side.NOT_IN_CLOUD:
        return _not_in_cloud(compared)
    file, remote, record = compared.file, compared.remote, compared.record
    assert file is not None
    assert remote is not None
    seen = DatasetAudit(
        dataset=compared.dataset,
        category=Category.PENDING,
        reason=Reason.STUB_WITH_CONTRACT,
        file=file.display_path,
        contract_id=remote.id,
        last_updated=remote.last_updated,
    )
    if compared.side is Side.STUB_WITH_CONTRACT:
        return seen
    recorded = record.last_updated if record is not None else None
    if compared.side is Side.SAME_TEXT:
        return seen.model_copy(
            update={
                "category": Category.IN_SYNC,
                "reason": Reason.SAME_TEXT,
                "recorded_last_updated": recorded,
            }
        )
    category, reason = _differing(compared)
    versions = tuple(
        NewerVersion(version_id=v.id, created=v.created, creator_id=v.creator_id)
        for v in compared.newer
    )
    return seen.model_copy(
        update={
            "category": category,
            "reason": reason,
            "recorded_contract_id": (
                record.contract_id if record is not None and reason is Reason.REPLACED else None
            ),
            "recorded_last_updated": recorded,
            "newer_versions": versions if reason is Reason.CHANGED_IN_CLOUD else (),
            "change_class": compared.change_class,
            "changes": compared.changes,
            "diff": compared.diff,
        }
    )


def _differing(compared: Comparison) -> tuple[Category, Reason]:
    """Git and Soda Cloud hold different texts: drifted when Soda Cloud moved, else pending."""
    if compared.since is Since.REPLACED:
        return Category.DRIFTED, Reason.REPLACED
    if compared.since is Since.MOVED:
        return Category.DRIFTED, Reason.CHANGED_IN_CLOUD
    if compared.since is Since.NO_RECORD:
        return Category.PENDING, Reason.NO_BASELINE
    return Category.PENDING, Reason.GIT_AHEAD


def _not_in_git(compared: Comparison) -> DatasetAudit:
    dataset, remote, record = compared.dataset, compared.remote, compared.record
    if record is not None:
        return DatasetAudit(
            dataset=dataset,
            category=Category.ORPHANED,
            reason=Reason.FILE_DELETED if remote is not None else Reason.FILE_AND_CONTRACT_GONE,
            contract_id=remote.id if remote is not None else record.contract_id,
            last_updated=remote.last_updated if remote is not None else None,
            recorded_last_updated=record.last_updated,
        )
    assert remote is not None
    return DatasetAudit(
        dataset=dataset,
        category=Category.UNMANAGED,
        reason=Reason.NO_FILE,
        contract_id=remote.id,
        last_updated=remote.last_updated,
    )


def _not_in_cloud(compared: Comparison) -> DatasetAudit:
    file, record = compared.file, compared.record
    assert file is not None
    if record is not None:
        return DatasetAudit(
            dataset=compared.dataset,
            category=Category.MISSING,
            reason=Reason.CONTRACT_GONE,
            file=file.display_path,
            contract_id=record.contract_id,
            recorded_last_updated=record.last_updated,
        )
    return DatasetAudit(
        dataset=compared.dataset,
        category=Category.PENDING,
        reason=Reason.STUB_TO_GENERATE if file.is_stub else Reason.NEW_IN_GIT,
        file=file.display_path,
    )
