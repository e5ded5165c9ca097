"""The state file's content as values: what the reconciler last applied, per dataset.

Every model is frozen and every change returns a new value, so planners can take a state and
compute with it without effects. Fields are declared in alphabetical order on purpose: the
writer (:mod:`reconciler.state.codec`) serializes them in declaration order and the file must
have sorted keys.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, timezone
from urllib.parse import urlsplit

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from reconciler.cloud.settings import is_loopback

FORMAT_VERSION = 2
"""The file format this reconciler writes."""

OLDEST_FORMAT_VERSION = 1
"""The oldest file format it still reads: version 1 is version 2 without ``project``."""

LOCAL_SODA_CLOUD = "local"
_DEFAULT_PORTS = {"http": 80, "https": 443}


class Verification(BaseModel):
    """The last verification scan of a dataset's contract, as Soda Cloud reported it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cloud_url: str | None = None
    scan_id: str
    # A scan state as the server named it (``completed``, ``completedWithFailures``, ...):
    # kept as a string so a state the server adds later never makes the file unreadable.
    state: str
    time: str | None = None


class DatasetRecord(BaseModel):
    """What the reconciler last applied to one dataset.

    ``raw_sha256`` and ``semantic_fingerprint`` describe the contract text that was applied.
    ``version_id``, ``checksum`` and ``last_updated`` are the server's values, stored as it
    returned them and only ever compared with values it returns later; ``None`` when the
    server has not told them yet (for example a record adopted from a list call).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    applied_at: AwareDatetime
    checksum: str | None = None
    contract_id: str
    dataset_id: str
    last_updated: str | None = None
    last_verification: Verification | None = None
    raw_sha256: str
    semantic_fingerprint: str
    version_id: str | None = None

    @field_validator("applied_at")
    @classmethod
    def _in_utc(cls, value: datetime) -> datetime:
        return value.astimezone(timezone.utc)

    @classmethod
    def applied(
        cls,
        *,
        at: datetime,
        contract_id: str,
        dataset_id: str | None,
        last_updated: str | None,
        raw_sha256: str,
        semantic_fingerprint: str | None,
        checksum: str | None = None,
        version_id: str | None = None,
        previous: DatasetRecord | None = None,
    ) -> DatasetRecord:
        """The record of a contract the reconciler has just applied (created, published,
        adopted, imported, or found equal to its file by a rebuild): Soda Cloud's values as it
        returned them and the applied text's fingerprints. From the ``previous`` record it
        keeps what this answer did not say again (the dataset id) and the last verification,
        which a new version of the text does not undo."""
        return cls(
            applied_at=at,
            checksum=checksum,
            contract_id=contract_id,
            dataset_id=dataset_id or (previous.dataset_id if previous else ""),
            last_updated=last_updated,
            last_verification=previous.last_verification if previous else None,
            raw_sha256=raw_sha256,
            semantic_fingerprint=semantic_fingerprint or "",
            version_id=version_id,
        )

    def moved_in_cloud(self, contract_id: str, last_updated: str | None) -> bool:
        """Whether Soda Cloud's contract ``contract_id``, last updated at ``last_updated``, is
        this record's contract changed since it was applied (outside the reconciler)."""
        return self.contract_id == contract_id and self.last_updated != last_updated

    def with_verification(self, verification: Verification | None) -> DatasetRecord:
        """This record with its last verification replaced."""
        return self.model_copy(update={"last_verification": verification})


class PendingVerification(BaseModel):
    """A verification an apply owes a dataset, written before the change it follows.

    Apply records it before the first write for a dataset that it will verify, adds the scan
    id once the scan starts, and removes it when the scan ends. An apply killed in between
    leaves it behind, and the next plan resumes: it follows that scan, or starts one, even
    when Soda Cloud already equals git.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    raw_sha256: str
    scan_id: str | None = None
    since: AwareDatetime

    @field_validator("since")
    @classmethod
    def _in_utc(cls, value: datetime) -> datetime:
        return value.astimezone(timezone.utc)


class StateProject(BaseModel):
    """The project a state belongs to: its contracts folder and its Soda Cloud.

    ``contracts`` is the folder as a POSIX path relative to the project directory (the one
    holding ``reconciler.yml``, else the current one), so the same checkout in another place
    (another CI workspace) is the same project. ``host`` is Soda Cloud's URL, or ``local``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    contracts: str
    host: str

    def same_as(self, other: StateProject) -> bool:
        return self.contracts == other.contracts and soda_cloud_key(self.host) == (
            soda_cloud_key(other.host)
        )

    def describe(self) -> str:
        """``contracts folder "contracts" on https://cloud.soda.io``."""
        return f'contracts folder "{self.contracts}" on {self.host}'


def soda_cloud_key(host: str) -> str:
    """What identifies a Soda Cloud: its URL without default port, case or trailing slash.

    Every Soda Cloud on this machine (``local``, or a loopback URL on any port) is one: the
    port of a local Soda Cloud is a detail of how it was started this time.
    """
    if host == LOCAL_SODA_CLOUD:
        return LOCAL_SODA_CLOUD
    parts = urlsplit(host if "://" in host else f"https://{host}")
    name = (parts.hostname or "").lower()
    if is_loopback(name):
        return LOCAL_SODA_CLOUD
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    shown_port = f":{port}" if port is not None and port != _DEFAULT_PORTS.get(scheme) else ""
    return f"{scheme}://{name}{shown_port}{parts.path.rstrip('/')}"


class StateFile(BaseModel):
    """The whole state: a lineage fixed at birth, a serial, and one record per dataset.

    ``serial`` is owned by the store: it goes up by one each time different content is
    saved. The helpers below leave it alone. ``project`` is ``None`` until a command that
    knows its project saves the state (and in states of format version 1).
    ``format_version`` is the version the file was read in; it is always written in
    :data:`FORMAT_VERSION`.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    datasets: Mapping[str, DatasetRecord] = Field(default_factory=dict)
    format_version: int = Field(default=FORMAT_VERSION, ge=OLDEST_FORMAT_VERSION, le=FORMAT_VERSION)
    lineage: str
    pending: Mapping[str, PendingVerification] = Field(default_factory=dict)
    project: StateProject | None = None
    serial: int = Field(default=0, ge=0)

    @field_validator("lineage")
    @classmethod
    def _is_a_uuid(cls, value: str) -> str:
        try:
            uuid.UUID(value)
        except ValueError:
            raise ValueError("lineage must be a UUID") from None
        return value

    @classmethod
    def new(cls, lineage: str | None = None, *, serial: int = 0) -> StateFile:
        """An empty state (serial 0) with a fresh lineage unless one is given."""
        return cls(lineage=lineage or str(uuid.uuid4()), serial=serial)

    def same_content(self, other: StateFile) -> bool:
        """Whether saving one over the other would change what the file says."""
        return (
            self.datasets == other.datasets
            and self.pending == other.pending
            and self.project == other.project
        )

    def record(self, dataset: str) -> DatasetRecord | None:
        """The record of a dataset, if the state has one."""
        return self.datasets.get(dataset)

    def with_record(self, dataset: str, record: DatasetRecord) -> StateFile:
        """This state with the record of ``dataset`` added or replaced."""
        if self.datasets.get(dataset) == record:
            return self
        return self.model_copy(update={"datasets": {**self.datasets, dataset: record}})

    def without(self, dataset: str) -> StateFile:
        """This state without the record of ``dataset`` (unchanged if it has none)."""
        if dataset not in self.datasets:
            return self
        remaining = {name: rec for name, rec in self.datasets.items() if name != dataset}
        return self.model_copy(update={"datasets": remaining})

    def with_pending(self, dataset: str, pending: PendingVerification | None) -> StateFile:
        """This state with the pending verification of ``dataset`` set, or cleared (None).
        Pending verifications keep the order they were owed in (the file sorts them)."""
        current = self.pending.get(dataset)
        if current == pending:
            return self
        entries = {name: p for name, p in self.pending.items() if name != dataset}
        if pending is not None:
            entries[dataset] = pending
        return self.model_copy(update={"pending": entries})

    def with_datasets(self, datasets: Mapping[str, DatasetRecord]) -> StateFile:
        """This state (same lineage and serial) with all its records replaced."""
        return self.model_copy(update={"datasets": dict(datasets)})
