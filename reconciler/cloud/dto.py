"""What Soda Cloud answers, as tolerant models: unknown fields are ignored, so a new server
field never breaks a run. Timestamps the reconciler compares (``lastUpdated``, ``created``)
are kept as the exact strings the server sent; they are opaque tokens, not re-formatted."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

FINAL_SCAN_STATES = frozenset(
    {
        "canceled",
        "timedOut",
        "failed",
        "completedWithErrors",
        "completedWithFailures",
        "completedWithWarnings",
        "completed",
    }
)
PASSING_SCAN_STATES = frozenset({"completed", "completedWithWarnings"})
FINAL_OPERATION_STATES = frozenset({"completed", "failed", "canceled"})


class Dto(BaseModel):
    model_config = ConfigDict(
        extra="ignore", frozen=True, alias_generator=to_camel, populate_by_name=True
    )


class Contract(Dto):
    id: str
    dataset_id: str | None = None
    dataset_qualified_name: str | None = None
    contents: str | None = None
    created: str | None = None
    last_updated: str | None = None


class ContractVersion(Dto):
    id: str
    checksum: str | None = None
    contents: str | None = None
    contract_id: str | None = None
    created: str | None = None
    creator_id: str | None = None

    @property
    def created_at(self) -> datetime | None:
        return parse_instant(self.created)


T = TypeVar("T")


class Page(Dto, Generic[T]):
    content: list[T] = Field(default_factory=list)
    first: bool = True
    last: bool = True
    number: int = 0
    size: int = 0
    total_elements: int = 0
    total_pages: int = 0


class SkeletonStatus(Dto):
    operation_id: str | None = None
    dataset_id: str | None = None
    dataset_qualified_name: str | None = None
    created: str | None = None
    state: str = "ongoing"

    @property
    def is_final(self) -> bool:
        return self.state in FINAL_OPERATION_STATES


class DatasetGeneration(Dto):
    dataset_id: str | None = None
    dataset_qualified_name: str | None = None
    scan_id: str | None = None
    scan_state: str | None = None
    scan_cloud_url: str | None = None


class GenerateStatus(Dto):
    operation_id: str | None = None
    created: str | None = None
    state: str = "ongoing"
    datasets: list[DatasetGeneration] | None = None

    @property
    def is_final(self) -> bool:
        return self.state in FINAL_OPERATION_STATES


class ScanCheck(Dto):
    id: str | None = None
    evaluation_status: str | None = None


class ScanDefinition(Dto):
    id: str | None = None
    name: str | None = None


class ScanStatus(Dto):
    id: str
    state: str
    cloud_url: str | None = None
    contract_dataset_cloud_url: str | None = None
    checks: list[ScanCheck] = Field(default_factory=list)
    errors: int | None = None
    failures: int | None = None
    warnings: int | None = None
    created: str | None = None
    submitted: str | None = None
    started: str | None = None
    ended: str | None = None
    scan_definition: ScanDefinition | None = None

    @property
    def is_final(self) -> bool:
        return self.state in FINAL_SCAN_STATES

    @property
    def passed(self) -> bool:
        return self.state in PASSING_SCAN_STATES


class ScanLog(Dto):
    index: int = 0
    level: str = "info"
    message: str = ""
    timestamp: str | None = None


class ReportingDto(BaseModel):
    """The Reporting API speaks snake_case."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class CoverageCheck(ReportingDto):
    check_id: str | None = None
    check_name: str | None = None
    check_type: str | None = None
    dataset_id: str | None = None
    is_archived: Any = None


class CoverageDataset(ReportingDto):
    dataset_id: str
    dataset_name: str | None = None
    dataset_label: str | None = None
    datasource_name: str | None = None
    number_of_failed_checks: int | None = None
    last_scan_time: str | None = None
    owner_email: str | None = None
    owner_first_name: str | None = None
    owner_last_name: str | None = None


class DatasetCoverageInfo(ReportingDto):
    dataset_id: str
    number_of_checks: int | None = None
    relative_coverage_score: Any = None


class Incident(ReportingDto):
    incident_id: str | None = None
    title: str | None = None
    severity: str | None = None
    status: str | None = None
    dataset_id: str | None = None
    check_id: str | None = None
    check_name: str | None = None
    created_at: str | None = None
    last_updated: str | None = None


def parse_instant(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
