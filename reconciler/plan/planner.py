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

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

from reconciler.cloud.dto import Contract, ContractVersion
from reconciler.contract import parse_contract_text
from reconciler.contract.diff import ContractDiff, diff_contracts
from reconciler.desired import DesiredContract, DesiredState
from reconciler.observed import DatasetListing, ObservedState, moved_since_record
from reconciler.plan.globs import DatasetFilter
from reconciler.plan.model import (
    ChangeItem,
    DatasetPlan,
    Drift,
    FileBasis,
    NewerVersion,
    OrphanedRecord,
    Plan,
    PlanSettings,
    RemoteBasis,
    StateBasis,
    UnmanagedContract,
)
from reconciler.plan.vocabulary import Action, ChangeClass
from reconciler.state import DatasetRecord, PendingVerification, StateFile


@dataclass(frozen=True)
class PlanContext:
    """Facts about the run that the plan records but does not compute."""

    created: str
    reconciler_version: str
    contracts_dir: str
    cloud_host: str
    state_path: str


def make_plan(
    desired: DesiredState,
    observed: ObservedState,
    state: StateFile,
    *,
    settings: PlanSettings,
    context: PlanContext,
) -> Plan:
    wanted = DatasetFilter(settings.targets, settings.excludes)
    files = {name: f for name, f in desired.contracts.items() if wanted(name)}
    remotes = {name: c for name, c in observed.contracts.items() if wanted(name)}
    entries = [
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
        settings=settings,
        state=state_basis(state, context.state_path),
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


def reading_warnings(desired: DesiredState, observed: ObservedState) -> tuple[str, ...]:
    """What reading the folder and Soda Cloud noticed without stopping: path mismatches,
    unused variables, contracts listed without a dataset name."""
    return tuple(
        f"{d.file}:{d.line}:{d.col}: {d.message}" for d in desired.diagnostics if not d.is_error
    ) + tuple(
        f"Soda Cloud listed contract {contract_id} without a dataset name; it was ignored"
        for contract_id in observed.nameless
    )


def state_basis(state: StateFile, path: str) -> StateBasis:
    """A state never saved (serial 0) has a throwaway lineage: it is recorded as none."""
    return StateBasis(
        path=path, lineage=state.lineage if state.serial else None, serial=state.serial
    )


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
    basis = FileBasis(
        path=file.display_path,
        raw_sha256=file.raw_sha256,
        semantic_fingerprint=file.semantic_fingerprint,
    )
    resume = pending if pending is not None and pending.raw_sha256 == file.raw_sha256 else None
    if remote is None:
        return _absent_in_cloud(file, record, basis, verify_mode)
    remote_basis = _remote_basis(remote, record, newer)
    if file.is_stub:
        # The skeleton exists already (an earlier apply asked for it and stopped, or someone
        # made the contract in Soda Cloud): apply only writes it into the file.
        return DatasetPlan(
            dataset=file.dataset,
            action=Action.GENERATE_SKELETON,
            verify=verify_mode == "all",
            changes=(
                ChangeItem(
                    subject="contract",
                    description="stub file: Soda Cloud already has a contract for this dataset; "
                    "it is written into the file (nothing changes in Soda Cloud)",
                    change_class=ChangeClass.COSMETIC,
                ),
            ),
            file=basis,
            remote=remote_basis,
        )
    drift = _drift(remote, record, newer)
    if remote.contents == file.raw_text:
        known = (
            record is not None
            and record.contract_id == remote.id
            and record.raw_sha256 == file.raw_sha256
            and record.last_updated == remote.last_updated
        )
        notes: tuple[str, ...] = ()
        if resume is not None:
            notes = (_resume_note(resume),)
        elif drift is not None:
            notes = ("changed in Soda Cloud since the last apply, to what git has",)
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
        notes = (
            "the state does not know this contract yet: publishing replaces what Soda Cloud has",
        )
    change_class, changes = publish_changes(remote.contents or "", file)
    verify = verify_mode == "all" or (
        verify_mode == "changed" and change_class is not ChangeClass.FORMAT_ONLY
    )
    if resume is not None and not verify:
        # An earlier apply meant to verify this very file and stopped before publishing it.
        verify = True
        notes = (*notes, _resume_note(resume))
    return DatasetPlan(
        dataset=file.dataset,
        action=Action.PUBLISH,
        verify=verify,
        change_class=change_class,
        changes=changes,
        drift=drift,
        notes=notes,
        diff=unified_diff(remote.contents or "", file.raw_text, file.dataset, file.display_path),
        file=basis,
        remote=remote_basis,
    )


def publish_changes(
    remote_contents: str, file: DesiredContract
) -> tuple[ChangeClass, tuple[ChangeItem, ...]]:
    """What publishing the file over Soda Cloud's (different) text changes, in words, classed."""
    remote_parsed = parse_contract_text(remote_contents, f"Soda Cloud: {file.dataset}")
    if (
        remote_parsed.semantic_fingerprint is not None
        and remote_parsed.semantic_fingerprint == file.semantic_fingerprint
    ):
        return ChangeClass.FORMAT_ONLY, (
            ChangeItem(
                subject="contract",
                description="formatting only (comments, whitespace or key order)",
                change_class=ChangeClass.FORMAT_ONLY,
            ),
        )
    old = remote_parsed.document if isinstance(remote_parsed.document, dict) else None
    diff = diff_contracts(old, file.document)
    changes = _items(diff)
    change_class = diff.change_class or ChangeClass.FORMAT_ONLY
    if old is None:
        changes = (
            ChangeItem(
                subject="contract",
                description="Soda Cloud's version is not a readable contract; git's replaces it",
                change_class=change_class,
            ),
            *changes,
        )
    elif not changes:
        changes = (
            ChangeItem(
                subject="contract",
                description="order of columns or checks only",
                change_class=change_class,
            ),
        )
    return change_class, changes


def _absent_in_cloud(
    file: DesiredContract, record: DatasetRecord | None, basis: FileBasis, verify_mode: str
) -> DatasetPlan:
    drift = None
    if record is not None:
        drift = Drift(
            reason="the contract recorded in the state is no longer in Soda Cloud; it is made again",
            recorded_last_updated=record.last_updated,
        )
    if file.is_stub:
        return DatasetPlan(
            dataset=file.dataset,
            action=Action.GENERATE_SKELETON,
            verify=verify_mode == "all",
            changes=(
                ChangeItem(
                    subject="contract",
                    description="stub file: Soda Cloud generates a skeleton from the dataset's columns, written back into the file",
                    change_class=ChangeClass.TIGHTENED,
                ),
            ),
            drift=drift,
            file=basis,
        )
    diff = diff_contracts(None, file.document)
    return DatasetPlan(
        dataset=file.dataset,
        action=Action.CREATE,
        verify=verify_mode != "none",
        change_class=diff.change_class or ChangeClass.COSMETIC,
        changes=_items(diff),
        drift=drift,
        diff=unified_diff("", file.raw_text, file.dataset, file.display_path),
        file=basis,
    )


def _drift(
    remote: Contract, record: DatasetRecord | None, newer: Sequence[ContractVersion]
) -> Drift | None:
    if record is None:
        return None
    if record.contract_id != remote.id:
        return Drift(
            reason="the contract was replaced in Soda Cloud (a new contract id) since the last apply",
            recorded_last_updated=record.last_updated,
        )
    if not moved_since_record(record, remote):
        return None
    return Drift(
        reason="changed in Soda Cloud since the last apply",
        recorded_last_updated=record.last_updated,
        newer_versions=tuple(
            NewerVersion(version_id=v.id, created=v.created, creator_id=v.creator_id) for v in newer
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


def _items(diff: ContractDiff) -> tuple[ChangeItem, ...]:
    return tuple(
        ChangeItem(subject=c.subject, description=c.description, change_class=c.change_class)
        for c in diff.changes
    )


def _resume_note(pending: PendingVerification) -> str:
    if pending.scan_id:
        return f"an earlier apply stopped while verifying: following scan {pending.scan_id}"
    return "an earlier apply stopped before verifying: verifying now"


def unified_diff(before: str, after: str, dataset: str, path: str) -> str:
    """The unified YAML diff, Soda Cloud -> git."""
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=f"soda-cloud/{dataset}",
        tofile=path,
    )
    return "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
    )
