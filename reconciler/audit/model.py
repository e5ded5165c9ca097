"""The audit report: a value saying how git and Soda Cloud differ, per dataset, and what the
Reporting API adds (datasets without a contract, open incidents).

Made by :func:`reconciler.audit.auditor.make_audit`, rendered by :mod:`reconciler.render.audit`;
``--format json`` is this value as it stands (``docs/audit.md``).
"""

from __future__ import annotations

import enum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from reconciler.observed import NotRead
from reconciler.plan.model import NewerVersion, ReadingWarning, StateBasis
from reconciler.plan.vocabulary import Change, ChangeClass

# 2: reasons, causes and warnings are codes and data (docs/audit.md), not sentences.
AUDIT_FORMAT_VERSION = 2

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


class Reason(str, enum.Enum):
    """What differs, within a category; the renderers word it and what to do about it."""

    FILE_DELETED = "file-deleted"  # orphaned: Soda Cloud still has the contract
    FILE_AND_CONTRACT_GONE = "file-and-contract-gone"  # orphaned, and gone from Soda Cloud
    NO_FILE = "no-file"  # unmanaged
    CONTRACT_GONE = "contract-gone"  # missing: the recorded contract is no longer there
    NEW_IN_GIT = "new-in-git"  # pending: apply creates it
    STUB_TO_GENERATE = "stub-to-generate"  # pending: apply asks for a skeleton
    STUB_WITH_CONTRACT = "stub-with-contract"  # pending: apply writes the contract into the stub
    SAME_TEXT = "same-text"  # in sync
    REPLACED = "replaced"  # drifted: another contract id than the recorded one
    CHANGED_IN_CLOUD = "changed-in-cloud"  # drifted: changed since the last apply
    NO_BASELINE = "no-baseline"  # pending: texts differ, no record tells who moved
    GIT_AHEAD = "git-ahead"  # pending: changed in git, Soda Cloud has not moved


class DatasetAudit(Frozen):
    """One dataset that differs between git and Soda Cloud (in-sync ones are only counted)."""

    dataset: str
    category: Category
    reason: Reason
    file: str | None = None
    contract_id: str | None = None
    recorded_contract_id: str | None = Field(
        default=None, description="the contract the state recorded, when Soda Cloud's is another"
    )
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
    changes: tuple[Change, ...] = ()
    diff: str | None = Field(default=None, description="unified YAML diff, Soda Cloud -> git")

    @property
    def changed_by(self) -> tuple[str, ...]:
        return tuple(sorted({v.creator_id for v in self.newer_versions if v.creator_id}))


class NotCompared(Frozen):
    """Why a comparison was not made (it is never reported as zero differences)."""

    cause: NotRead
    error: str | None = None  # FAILED: what the Reporting API answered, or why not


class DatasetWithoutContract(Frozen):
    dataset_id: str
    name: str
    datasource: str | None = None
    owner: str | None = None
    last_scan_time: str | None = None


class OpenIncident(Frozen):
    incident_id: str
    dataset: str
    title: str | None = None
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
    warnings: tuple[ReadingWarning, ...] = ()
    calls: CallCount | None = None

    def in_category(self, category: Category) -> tuple[DatasetAudit, ...]:
        return tuple(d for d in self.datasets if d.category is category)
