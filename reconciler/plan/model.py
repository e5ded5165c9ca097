"""The plan: a value saying exactly what apply will do, and what it was based on.

A plan is data. The planner makes it without I/O, the renderers print it without computing,
and ``plan --out plan.json`` saves it in the versioned format documented in
``docs/plan-format.md`` so that ``apply plan.json`` applies exactly that plan, or refuses when
anything it was based on has moved.
"""

from __future__ import annotations

import enum
from collections import Counter
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

from reconciler.plan.checks import DataCheck
from reconciler.plan.vocabulary import Action, Change, ChangeClass

if TYPE_CHECKING:
    from reconciler.state.model import StateFile

# 2: the file carries a digest of its own content (reconciler.plan.file).
# 3: changes, drift, notes and warnings are codes and data (docs/plan-format.md), not sentences.
# 4: each entry's data_check: the changed contract run on today's data (plan --check-data).
PLAN_FORMAT_VERSION = 4
# The --fail-on word for a changed contract that would fail on today's data.
FAILING_CHECKS = "failing-checks"


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class NewerVersion(Frozen):
    """A version made in Soda Cloud after the last apply: who and when."""

    version_id: str
    created: str | None = None
    creator_id: str | None = None


class DriftCause(str, enum.Enum):
    CHANGED = "changed"  # the recorded contract changed in Soda Cloud since the last apply
    REPLACED = "replaced"  # Soda Cloud holds another contract (a new id) than the recorded one
    GONE = "gone"  # the recorded contract is no longer in Soda Cloud: it is made again


class Drift(Frozen):
    """Soda Cloud changed outside git since the last apply; a publish will overwrite it."""

    cause: DriftCause
    recorded_contract_id: str | None = None
    recorded_last_updated: str | None = None
    newer_versions: tuple[NewerVersion, ...] = ()


class NoteCode(str, enum.Enum):
    UNRECORDED = "unrecorded"  # the state does not know this contract: publishing replaces it
    CHANGED_BACK = "changed-back"  # changed in Soda Cloud since the last apply, to git's text
    RESUMING_SCAN = "resuming-scan"  # an earlier apply stopped while verifying: its scan
    RESUMING_VERIFICATION = "resuming-verification"  # ... stopped before verifying


class Note(Frozen):
    """What a reviewer should know about an entry."""

    code: NoteCode
    scan_id: str | None = None  # RESUMING_SCAN: the scan followed


class WarningCode(str, enum.Enum):
    FILE = "file"  # a warning of the contracts folder (a path that does not mirror its dataset)
    NAMELESS_CONTRACT = "nameless-contract"  # Soda Cloud listed a contract without a dataset


class ReadingWarning(Frozen):
    """What reading the folder and Soda Cloud noticed without stopping."""

    code: WarningCode
    file: str | None = None  # FILE: where, and the folder's own diagnostic
    line: int | None = None
    col: int | None = None
    rule: str | None = None
    message: str | None = None
    contract_id: str | None = None  # NAMELESS_CONTRACT


class FileBasis(Frozen):
    path: str
    raw_sha256: str
    semantic_fingerprint: str


class RemoteBasis(Frozen):
    contract_id: str
    dataset_id: str | None = None
    last_updated: str | None = None
    checksum: str | None = None
    version_id: str | None = None


class DatasetPlan(Frozen):
    dataset: str
    action: Action
    verify: bool = False
    change_class: ChangeClass | None = None
    changes: tuple[Change, ...] = ()
    drift: Drift | None = None
    notes: tuple[Note, ...] = ()
    diff: str | None = Field(default=None, description="unified YAML diff, Cloud -> git")
    # Follow this scan (started by an apply that was stopped) instead of starting one.
    resume_scan_id: str | None = None
    # --verify changed-checks: verify only these checks (Soda's check paths, the ones the
    # change can make fail); None: the whole contract.
    check_paths: tuple[str, ...] | None = None
    file: FileBasis | None = None
    remote: RemoteBasis | None = None
    # create / generate-skeleton without a contract: whether Soda Cloud's Reporting API lists
    # the dataset (False: apply will likely meet 404); None when not asked or it cannot tell.
    dataset_listed: bool | None = None
    # plan --check-data: the contract run on today's data. An observation handed to the
    # planner, not a decision of it: a saved plan's entries are not checked against it.
    data_check: DataCheck | None = None

    @property
    def changed(self) -> bool:
        """Apply does something for it (adopting writes the state)."""
        return self.action is not Action.NOOP or self.verify


class UnmanagedContract(Frozen):
    """A contract in Soda Cloud with no file in git. Never deleted; ``import`` can adopt it."""

    dataset: str
    contract_id: str
    last_updated: str | None = None


class OrphanedRecord(Frozen):
    """The state remembers a contract whose file was deleted. Never deleted in Soda Cloud."""

    dataset: str
    contract_id: str | None = None
    in_cloud: bool = True


class StateBasis(Frozen):
    """The state the plan was made from; no lineage when there was no state file yet."""

    path: str
    lineage: str | None
    serial: int

    @classmethod
    def of(cls, state: StateFile, path: str) -> StateBasis:
        """A state never saved (serial 0) has a throwaway lineage: it is recorded as none."""
        return cls(path=path, lineage=state.lineage if state.serial else None, serial=state.serial)


class PlanSettings(Frozen):
    targets: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    verify: str = "changed"


class Summary(Frozen):
    create: int = 0
    skeleton: int = 0
    publish: int = 0
    breaking: int = 0
    verify: int = 0
    adopt: int = 0
    unchanged: int = 0
    drift: int = 0
    unmanaged: int = 0
    orphaned: int = 0
    unlisted: int = 0
    # plan --check-data: datasets run on today's data, those a change makes fail, and those
    # whose data could not be looked at.
    data_checked: int = 0
    failing: int = 0
    not_checked: int = 0

    @property
    def has_changes(self) -> bool:
        return bool(self.create or self.skeleton or self.publish or self.verify or self.adopt)


class Plan(Frozen):
    format_version: int = PLAN_FORMAT_VERSION
    created: str
    reconciler_version: str
    contracts_dir: str
    cloud_host: str
    # The environment it was made for (`environments:`); absent from the file without one.
    environment: str | None = None
    settings: PlanSettings = PlanSettings()
    state: StateBasis
    datasets: tuple[DatasetPlan, ...] = ()
    unmanaged: tuple[UnmanagedContract, ...] = ()
    orphaned: tuple[OrphanedRecord, ...] = ()
    warnings: tuple[ReadingWarning, ...] = ()
    # Everything considered, changed or not: the basis a saved plan is checked against.
    files_seen: dict[str, str] = Field(default_factory=dict, description="dataset -> raw sha256")
    remote_seen: dict[str, RemoteBasis] = Field(default_factory=dict)

    @model_serializer(mode="wrap")
    def _environment_only_when_set(self, handler: SerializerFunctionWrapHandler) -> Any:
        # A project without environments keeps the file it always had (and its digest).
        document = handler(self)
        if self.environment is None and isinstance(document, dict):
            document.pop("environment", None)
        return document

    def summary(self) -> Summary:
        actions = Counter(d.action for d in self.datasets)
        return Summary(
            create=actions[Action.CREATE],
            skeleton=actions[Action.GENERATE_SKELETON],
            publish=actions[Action.PUBLISH],
            breaking=sum(
                1
                for d in self.datasets
                if d.change_class is ChangeClass.BREAKING
                and d.action in (Action.CREATE, Action.PUBLISH)
            ),
            verify=sum(1 for d in self.datasets if d.verify),
            adopt=actions[Action.ADOPT],
            unchanged=actions[Action.NOOP],
            drift=sum(1 for d in self.datasets if d.drift is not None),
            unmanaged=len(self.unmanaged),
            orphaned=len(self.orphaned),
            unlisted=sum(1 for d in self.datasets if d.dataset_listed is False),
            data_checked=sum(1 for d in self.datasets if d.data_check and d.data_check.checked),
            failing=len(self.failing_datasets()),
            not_checked=sum(1 for d in self.datasets if d.data_check and not d.data_check.checked),
        )

    def changed_datasets(self) -> tuple[DatasetPlan, ...]:
        return tuple(d for d in self.datasets if d.changed)

    def failing_datasets(self) -> tuple[DatasetPlan, ...]:
        """Entries whose change makes a check fail on today's data (``--check-data``)."""
        return tuple(d for d in self.datasets if d.data_check and d.data_check.failing)

    def classes_present(self) -> set[str]:
        """Change classes of planned creates/publishes, plus ``drift`` when any is flagged
        and ``failing-checks`` when a change makes a check fail on today's data."""
        present = {
            d.change_class.value
            for d in self.datasets
            if d.change_class is not None and d.action in (Action.CREATE, Action.PUBLISH)
        }
        if any(d.drift is not None for d in self.datasets):
            present.add("drift")
        if self.failing_datasets():
            present.add(FAILING_CHECKS)
        return present
