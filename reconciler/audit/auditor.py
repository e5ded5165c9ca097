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
    Status,
)
from reconciler.audit.reporting import coverage_of, incidents_of
from reconciler.cloud.dto import Contract, ContractVersion
from reconciler.compare import Comparison, Side, Since, compare, reading_warnings
from reconciler.desired import DesiredContract, DesiredState
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
    seen = {
        "dataset": compared.dataset,
        "file": file.display_path,
        "contract_id": remote.id,
        "last_updated": remote.last_updated,
    }
    recorded = record.last_updated if record is not None else None
    if compared.side is Side.STUB_WITH_CONTRACT:
        return DatasetAudit(
            **seen,
            category=Category.PENDING,
            detail="a stub file, but Soda Cloud already has a contract for this dataset",
            remedy=f"`reconciler apply` writes Soda Cloud's contract into {file.display_path}",
        )
    if compared.side is Side.SAME_TEXT:
        return DatasetAudit(
            **seen,
            category=Category.IN_SYNC,
            detail="Soda Cloud has what git has",
            remedy="nothing to do",
            recorded_last_updated=recorded,
        )
    return _differing(compared, seen, recorded)


def _not_in_git(compared: Comparison) -> DatasetAudit:
    dataset, remote, record = compared.dataset, compared.remote, compared.record
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
            recorded_last_updated=record.last_updated,
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


def _not_in_cloud(compared: Comparison) -> DatasetAudit:
    file, record = compared.file, compared.record
    assert file is not None
    path = file.display_path
    if record is not None:
        return DatasetAudit(
            dataset=compared.dataset,
            category=Category.MISSING,
            detail=f"the contract recorded in the state ({record.contract_id}) is no "
            "longer in Soda Cloud",
            remedy="`reconciler apply` creates it again from git",
            file=path,
            contract_id=record.contract_id,
            recorded_last_updated=record.last_updated,
        )
    if file.is_stub:
        return DatasetAudit(
            dataset=compared.dataset,
            category=Category.PENDING,
            detail="a stub file: Soda Cloud has no contract yet",
            remedy="`reconciler apply` generates a skeleton and writes it into the file",
            file=path,
        )
    return DatasetAudit(
        dataset=compared.dataset,
        category=Category.PENDING,
        detail="a new contract in git, not in Soda Cloud yet",
        remedy="`reconciler apply` creates it",
        file=path,
    )


def _differing(
    compared: Comparison, seen: dict[str, str | None], recorded: str | None
) -> DatasetAudit:
    """Git and Soda Cloud hold different texts: drifted when Soda Cloud moved, else pending."""
    record, remote = compared.record, compared.remote
    assert remote is not None

    def differing(
        category: Category,
        detail: str,
        remedy: str,
        versions: tuple[NewerVersion, ...] = (),
    ) -> DatasetAudit:
        return DatasetAudit.model_validate(
            {
                **seen,
                "category": category,
                "detail": detail,
                "remedy": remedy,
                "recorded_last_updated": recorded,
                "newer_versions": versions,
                "change_class": compared.change_class,
                "changes": compared.changes,
                "diff": compared.diff,
            }
        )

    if compared.since is Since.REPLACED:
        assert record is not None
        return differing(
            Category.DRIFTED,
            f"the contract was replaced in Soda Cloud outside git (contract "
            f"{record.contract_id} was applied; Soda Cloud now has {remote.id})",
            _DRIFT_REMEDY,
        )
    if compared.since is Since.MOVED:
        versions = tuple(
            NewerVersion(version_id=v.id, created=v.created, creator_id=v.creator_id)
            for v in compared.newer
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
