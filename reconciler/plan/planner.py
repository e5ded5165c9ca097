"""The planner: a pure function (desired, observed, state) -> Plan. No I/O, no clock.

Per dataset (a file in git, a contract in Soda Cloud, a record in the state):

| git file | Soda Cloud          | plan                                                  |
|----------|---------------------|-------------------------------------------------------|
| contract | none                | create (verify)                                       |
| stub     | none                | generate-skeleton                                     |
| stub     | a contract          | generate-skeleton: its contract is written into the file |
| contract | same text           | no-op when the state knows it, else adopt             |
| contract | same meaning        | publish, format-only (no verify)                      |
| contract | different meaning   | publish, classed by the semantic diff (verify)        |
| none     | a contract          | unmanaged (report), or orphaned when the state has it |

A publish over a contract whose ``lastUpdated`` moved since the state recorded it is flagged
as drift: someone changed it in Soda Cloud, and the publish overwrites that change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from reconciler.cloud.dto import Contract, ContractVersion
from reconciler.compare import Comparison, Side, Since, compare, reading_warnings, whole
from reconciler.contract.checkpaths import changed_check_paths
from reconciler.desired import DesiredContract, DesiredState
from reconciler.desired.parallel import collector_paused
from reconciler.observed import DatasetListing, ObservedState, moved_since_record
from reconciler.plan.checks import DataCheck
from reconciler.plan.globs import DatasetFilter
from reconciler.plan.model import (
    DatasetPlan,
    Drift,
    DriftCause,
    FileBasis,
    NewerVersion,
    Note,
    NoteCode,
    OrphanedRecord,
    Plan,
    PlanSettings,
    RemoteBasis,
    StateBasis,
    UnmanagedContract,
)
from reconciler.plan.vocabulary import Action, ChangeClass, ChangeKind
from reconciler.state import DatasetRecord, PendingVerification, StateFile

# The verify modes that verify what changed: whole contracts, or only the changed checks.
CHANGED_MODES = ("changed", "changed-checks")


@dataclass(frozen=True)
class PlanContext:
    """Facts about the run that the plan records but does not compute."""

    created: str
    reconciler_version: str
    contracts_dir: str
    cloud_host: str
    state_path: str
    environment: str | None = None


def make_plan(
    desired: DesiredState,
    observed: ObservedState,
    state: StateFile,
    *,
    settings: PlanSettings,
    context: PlanContext,
    data_checks: Mapping[str, DataCheck] | None = None,
) -> Plan:
    """The plan; ``data_checks`` (``plan --check-data``) are what Soda's engine observed on
    today's data, by dataset: each lands on its create or publish as it is."""
    wanted = DatasetFilter(settings.targets, settings.excludes)
    checks = data_checks or {}
    files = {name: f for name, f in desired.contracts.items() if wanted(name)}
    remotes = {name: c for name, c in observed.contracts.items() if wanted(name)}
    # Comparing reads Soda Cloud's texts and builds their documents: many small acyclic
    # values, which the cyclic collector would rescan again and again for nothing.
    with collector_paused():
        entries = [
            with_data_check(
                listed(
                    plan_dataset(
                        files[name],
                        remotes.get(name),
                        state.datasets.get(name),
                        observed.newer_versions.get(name, ()),
                        state.pending.get(name),
                        verify_mode=settings.verify,
                    ),
                    observed.listing,
                ),
                checks.get(name),
            )
            for name in sorted(files)
        ]
    recorded = {name for name in state.datasets if wanted(name)}
    unmanaged = tuple(
        UnmanagedContract(dataset=name, contract_id=c.id, last_updated=c.last_updated)
        for name, c in sorted(remotes.items())
        if name not in files and name not in recorded
    )
    orphaned = tuple(
        OrphanedRecord(
            dataset=name,
            contract_id=state.datasets[name].contract_id,
            in_cloud=name in remotes,
        )
        for name in sorted(recorded - set(files))
    )
    warnings = reading_warnings(desired, observed)
    return Plan(
        created=context.created,
        reconciler_version=context.reconciler_version,
        contracts_dir=context.contracts_dir,
        cloud_host=context.cloud_host,
        environment=context.environment,
        settings=settings,
        state=StateBasis.of(state, context.state_path),
        datasets=tuple(entries),
        unmanaged=unmanaged,
        orphaned=orphaned,
        warnings=warnings,
        files_seen={name: f.raw_sha256 for name, f in sorted(files.items())},
        remote_seen={
            name: _remote_basis(c, state.datasets.get(name), observed.newer_versions.get(name, ()))
            for name, c in sorted(remotes.items())
        },
    )


def listed(entry: DatasetPlan, listing: DatasetListing | None) -> DatasetPlan:
    """Mark a create (or skeleton) with whether Soda Cloud knows its dataset, when it can tell."""
    if listing is None or entry.remote is not None:
        return entry
    if entry.action not in (Action.CREATE, Action.GENERATE_SKELETON):
        return entry
    return entry.model_copy(update={"dataset_listed": listing.lists(entry.dataset)})


def with_data_check(entry: DatasetPlan, check: DataCheck | None) -> DatasetPlan:
    """A create or publish with what its contract does on today's data."""
    if check is None or entry.action not in (Action.CREATE, Action.PUBLISH):
        return entry
    return entry.model_copy(update={"data_check": check})


def plan_dataset(
    file: DesiredContract,
    remote: Contract | None,
    record: DatasetRecord | None,
    newer: Sequence[ContractVersion] = (),
    pending: PendingVerification | None = None,
    *,
    verify_mode: str = "changed",
) -> DatasetPlan:
    """What apply will do for one dataset."""
    return planned(compare(file.dataset, file, remote, record, newer), pending, verify_mode)


def planned(
    compared: Comparison, pending: PendingVerification | None, verify_mode: str
) -> DatasetPlan:
    """The action for a dataset that has a file, from how its two sides compare."""
    file, remote, record = compared.file, compared.remote, compared.record
    assert file is not None
    basis = FileBasis(
        path=file.display_path,
        raw_sha256=file.raw_sha256,
        semantic_fingerprint=file.semantic_fingerprint,
    )
    if remote is None:
        return _absent_in_cloud(compared, basis, verify_mode)
    resume = pending if pending is not None and pending.raw_sha256 == file.raw_sha256 else None
    remote_basis = _remote_basis(remote, record, compared.newer)
    if compared.side is Side.STUB_WITH_CONTRACT:
        # The skeleton exists already (an earlier apply asked for it and stopped, or someone
        # made the contract in Soda Cloud): apply only writes it into the file.
        return DatasetPlan(
            dataset=file.dataset,
            action=Action.GENERATE_SKELETON,
            verify=verify_mode == "all",
            changes=(whole(ChangeKind.STUB_WRITE_BACK, ChangeClass.COSMETIC),),
            file=basis,
            remote=remote_basis,
        )
    drift = _drift(compared)
    if compared.side is Side.SAME_TEXT:
        known = (
            record is not None
            and record.contract_id == remote.id
            and record.raw_sha256 == file.raw_sha256
            and record.last_updated == remote.last_updated
        )
        notes: tuple[Note, ...] = ()
        if resume is not None:
            notes = (_resume_note(resume),)
        elif drift is not None:
            notes = (Note(code=NoteCode.CHANGED_BACK),)
        return DatasetPlan(
            dataset=file.dataset,
            action=Action.NOOP if known else Action.ADOPT,
            verify=verify_mode == "all" or resume is not None,
            resume_scan_id=resume.scan_id if resume else None,
            notes=notes,
            file=basis,
            remote=remote_basis,
        )
    notes = ()
    if record is None:
        notes = (Note(code=NoteCode.UNRECORDED),)
    change_class = compared.change_class or ChangeClass.FORMAT_ONLY
    verify = verify_mode == "all" or (
        verify_mode in CHANGED_MODES and change_class is not ChangeClass.FORMAT_ONLY
    )
    check_paths = None
    if verify and verify_mode == "changed-checks":
        check_paths = changed_check_paths(compared.changes, file.document)
        # No check can newly fail (only relaxed, cosmetic or removed ones): none to run.
        verify = check_paths != ()
        check_paths = check_paths or None
    if resume is not None and not verify:
        # An earlier apply meant to verify this very file and stopped before publishing it.
        verify = True
        check_paths = None
        notes = (*notes, _resume_note(resume))
    return DatasetPlan(
        dataset=file.dataset,
        action=Action.PUBLISH,
        verify=verify,
        change_class=change_class,
        changes=compared.changes,
        drift=drift,
        notes=notes,
        diff=compared.diff,
        check_paths=check_paths,
        file=basis,
        remote=remote_basis,
    )


def _absent_in_cloud(compared: Comparison, basis: FileBasis, verify_mode: str) -> DatasetPlan:
    file, record = compared.file, compared.record
    assert file is not None
    drift = None
    if record is not None:
        drift = Drift(
            cause=DriftCause.GONE,
            recorded_contract_id=record.contract_id,
            recorded_last_updated=record.last_updated,
        )
    if file.is_stub:
        return DatasetPlan(
            dataset=file.dataset,
            action=Action.GENERATE_SKELETON,
            verify=verify_mode == "all",
            changes=(whole(ChangeKind.STUB_SKELETON, ChangeClass.TIGHTENED),),
            drift=drift,
            file=basis,
        )
    return DatasetPlan(
        dataset=file.dataset,
        action=Action.CREATE,
        verify=verify_mode != "none",
        change_class=compared.change_class,
        changes=compared.changes,
        drift=drift,
        diff=compared.diff,
        file=basis,
    )


def _drift(compared: Comparison) -> Drift | None:
    """Soda Cloud's contract moved away from the record: a publish overwrites that change."""
    record = compared.record
    if record is None:
        return None
    if compared.since is Since.REPLACED:
        return Drift(
            cause=DriftCause.REPLACED,
            recorded_contract_id=record.contract_id,
            recorded_last_updated=record.last_updated,
        )
    if compared.since is not Since.MOVED:
        return None
    return Drift(
        cause=DriftCause.CHANGED,
        recorded_last_updated=record.last_updated,
        newer_versions=tuple(
            NewerVersion(version_id=v.id, created=v.created, creator_id=v.creator_id)
            for v in compared.newer
        ),
    )


def _remote_basis(
    remote: Contract, record: DatasetRecord | None, newer: Sequence[ContractVersion]
) -> RemoteBasis:
    version_id = checksum = None
    if newer:
        version_id, checksum = newer[0].id, newer[0].checksum
    elif record is not None and not moved_since_record(record, remote):
        version_id, checksum = record.version_id, record.checksum
    return RemoteBasis(
        contract_id=remote.id,
        dataset_id=remote.dataset_id,
        last_updated=remote.last_updated,
        checksum=checksum,
        version_id=version_id,
    )


def _resume_note(pending: PendingVerification) -> Note:
    if pending.scan_id:
        return Note(code=NoteCode.RESUMING_SCAN, scan_id=pending.scan_id)
    return Note(code=NoteCode.RESUMING_VERIFICATION)
