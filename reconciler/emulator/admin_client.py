"""A small typed client for the ``/_emulator/`` admin routes (tests, demos, benchmarks)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field

from reconciler.emulator.seed import OperationOutcome, ScanOutcome


class _Dto(BaseModel):
    # Tolerant: a newer emulator may report more than this client knows.
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class Stats(_Dto):
    requests: dict[str, int] = Field(default_factory=dict)
    throttled: dict[str, int] = Field(default_factory=dict)
    responses: dict[str, dict[str, int]] = Field(default_factory=dict)
    faults: dict[str, int] = Field(default_factory=dict)
    total: int = 0
    # The agent's engine runs and jobs waiting (empty without seeded data sources).
    agent: dict[str, int] = Field(default_factory=dict)

    def count(self, endpoint: str) -> int:
        """Requests to an endpoint, e.g. ``count("GET /api/v1/contracts")``."""
        return self.requests.get(endpoint, 0)


class ContractState(_Dto):
    id: str
    dataset_id: str = Field(alias="datasetId")
    dataset: str
    versions: int
    contents: str
    checksum: str
    creator_id: str = Field(alias="creatorId")
    created: str
    last_updated: str = Field(alias="lastUpdated")


class ScanState(_Dto):
    id: str
    kind: str
    contract_id: str = Field(alias="contractId")
    dataset: str
    state: str
    outcome: str
    created: str
    canceled: bool


class OperationState(_Dto):
    id: str
    kind: str
    state: str
    datasets: list[str]
    created: str


class DatasetState(_Dto):
    id: str
    qualified_name: str = Field(alias="qualifiedName")
    connected: bool
    has_contract: bool = Field(alias="hasContract")


class EmulatorState(_Dto):
    contracts: list[ContractState]
    scans: list[ScanState]
    operations: list[OperationState]
    datasets: list[DatasetState]
    scan_outcomes: dict[str, str] = Field(default_factory=dict, alias="scanOutcomes")
    reporting_ready: bool = Field(default=True, alias="reportingReady")

    def contract_for(self, dataset: str) -> ContractState | None:
        return next((c for c in self.contracts if c.dataset == dataset), None)


class AdminClient:
    def __init__(self, base_url: str, *, timeout: float = 30.0) -> None:
        self._http = httpx.Client(base_url=base_url, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._http.request(method, f"/_emulator{path}", **kwargs)
        if response.status_code >= 400:
            raise RuntimeError(
                f"emulator admin {method} {path} answered {response.status_code}: {response.text}"
            )
        return response.json()

    def stats(self) -> Stats:
        return Stats.model_validate(self._call("GET", "/stats"))

    def drain(self, timeout: float = 60.0) -> int:
        """Wait until the agent has answered every scan that is due on the clock; returns
        how many engine runs it has made. Fails when ``timeout`` (real seconds) runs out."""
        answer = self._call(
            "POST", "/agent/drain", params={"timeout": timeout}, timeout=timeout + 30
        )
        if not answer["drained"]:
            raise RuntimeError(f"the agent still had scans to answer after {timeout:g} s")
        return int(answer["runs"])

    def state(self) -> EmulatorState:
        return EmulatorState.model_validate(self._call("GET", "/state"))

    def reset(self) -> None:
        """Back to the seed; counters, rate-limit windows, faults and limits too."""
        self._call("POST", "/reset")

    def add_dataset(
        self,
        qualified_name: str,
        *,
        columns: Sequence[tuple[str, str]] = (),
        connected: bool = True,
        dataset_id: str | None = None,
        owner: str | None = None,
    ) -> str:
        """Add (or replace, by name) a dataset; returns its id."""
        body: dict[str, Any] = {
            "qualified_name": qualified_name,
            "connected": connected,
            "columns": [{"name": name, "data_type": data_type} for name, data_type in columns],
        }
        if dataset_id is not None:
            body["id"] = dataset_id
        if owner is not None:
            body["owner"] = owner
        return str(self._call("POST", "/datasets", json=body)["id"])

    def edit_contract(self, dataset: str, contents: str, creator_id: str | None = None) -> str:
        """A change made in the Soda Cloud UI; returns the contract id."""
        body: dict[str, Any] = {"contents": contents}
        if creator_id is not None:
            body["creatorId"] = creator_id
        return str(self._call("PUT", "/contracts", params={"dataset": dataset}, json=body)["id"])

    def set_scan_outcomes(self, outcomes: Mapping[str, ScanOutcome | None]) -> None:
        """Final states of the next scans per dataset (merged; None removes one)."""
        self._call("PUT", "/scan-outcomes", json=dict(outcomes))

    def set_operation_outcomes(self, outcomes: Mapping[str, OperationOutcome | None]) -> None:
        self._call("PUT", "/operation-outcomes", json=dict(outcomes))

    def set_faults(
        self,
        *,
        error_rate: float = 0.0,
        throttle_rate: float = 0.0,
        lost_response_rate: float = 0.0,
        reset_rate: float = 0.0,
        latency_ms: float = 0.0,
        seed: int = 0,
    ) -> None:
        """Replace the fault settings (all zero: no faults) and restart their random sequence."""
        self._call(
            "PUT",
            "/faults",
            json={
                "error_rate": error_rate,
                "throttle_rate": throttle_rate,
                "lost_response_rate": lost_response_rate,
                "reset_rate": reset_rate,
                "latency_ms": latency_ms,
                "seed": seed,
            },
        )

    def set_limits(self, *, enabled: bool | None = None, multiplier: float | None = None) -> None:
        body: dict[str, Any] = {}
        if enabled is not None:
            body["enabled"] = enabled
        if multiplier is not None:
            body["multiplier"] = multiplier
        self._call("PUT", "/limits", json=body)

    def add_incident(
        self,
        *,
        title: str,
        dataset: str,
        severity: str = "major",
        status: str = "reported",
        check_id: str | None = None,
        check_name: str | None = None,
        created_at: datetime | None = None,
        resolved_at: datetime | None = None,
        incident_id: str | None = None,
    ) -> str:
        body: dict[str, Any] = {
            "title": title,
            "dataset": dataset,
            "severity": severity,
            "status": status,
        }
        optional = {
            "check_id": check_id,
            "check_name": check_name,
            "created_at": created_at.isoformat() if created_at else None,
            "resolved_at": resolved_at.isoformat() if resolved_at else None,
            "incident_id": incident_id,
        }
        body.update({key: value for key, value in optional.items() if value is not None})
        return str(self._call("POST", "/incidents", json=body)["incidentId"])

    def set_reporting_ready(self, ready: bool) -> None:
        self._call("PUT", "/reporting", json={"ready": ready})
