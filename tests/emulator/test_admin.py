"""The /_emulator/ routes: steering a running emulator from tests and demos."""

from __future__ import annotations

import httpx
import pytest
from starlette.requests import Request

from reconciler.emulator import RunningEmulator
from reconciler.emulator.admin import is_loopback
from reconciler.emulator.samples import CUSTOMERS, EVENTS, ORDERS


def test_a_ui_edit_is_a_new_version_by_its_author(
    cloud: RunningEmulator, http: httpx.Client
) -> None:
    before = http.get("/api/v1/contracts").json()["content"][0]
    edited = f"dataset: {CUSTOMERS}\ncolumns: []\n# edited in the UI\n"
    contract_id = cloud.admin.edit_contract(CUSTOMERS, edited, creator_id="alice@example.com")
    assert contract_id == before["id"]
    after = http.get(f"/api/v1/contracts/{contract_id}").json()["contract"]
    assert after["contents"] == edited
    assert after["lastUpdated"] > before["lastUpdated"]
    newest = http.get(f"/api/v1/contracts/{contract_id}/versions").json()["content"][0]
    assert newest["creatorId"] == "alice@example.com"


def test_a_ui_edit_creates_the_contract_when_there_is_none(
    cloud: RunningEmulator, http: httpx.Client
) -> None:
    cloud.admin.edit_contract(ORDERS, f"dataset: {ORDERS}\ncolumns: []\n")
    state = cloud.admin.state()
    created = state.contract_for(ORDERS)
    assert created is not None
    assert (created.versions, created.creator_id) == (1, "soda-cloud-ui")
    with pytest.raises(RuntimeError, match="404"):
        cloud.admin.edit_contract("no/such/dataset", "dataset: no/such/dataset\ncolumns: []\n")
    with pytest.raises(RuntimeError, match="dataset_mismatch"):
        cloud.admin.edit_contract(ORDERS, f"dataset: {EVENTS}\ncolumns: []\n")


def test_added_datasets_are_usable_and_replaced_by_name(
    cloud: RunningEmulator, http: httpx.Client
) -> None:
    name = "lakehouse/gold/kpis"
    dataset_id = cloud.admin.add_dataset(name, columns=[("day", "date")], connected=False)
    refused = http.post(
        "/api/v1/contracts/actions/createSkeleton", json={"datasetQualifiedName": name}
    )
    assert refused.json()["code"] == "dataset_not_connected"
    assert cloud.admin.add_dataset(name, columns=[("day", "date")]) == dataset_id
    accepted = http.post("/api/v1/contracts/actions/createSkeleton", json={"datasetId": dataset_id})
    assert accepted.status_code == 202


def test_stats_count_api_requests_by_template_and_reset_zeroes_everything(
    cloud: RunningEmulator, http: httpx.Client
) -> None:
    contract_id = http.get("/api/v1/contracts").json()["content"][0]["id"]
    for _ in range(3):
        http.get(f"/api/v1/contracts/{contract_id}")
    http.get("/api/v1/contracts/unknown")
    cloud.admin.edit_contract(ORDERS, f"dataset: {ORDERS}\ncolumns: []\n")
    stats = cloud.admin.stats()
    assert stats.requests == {"GET /api/v1/contracts": 1, "GET /api/v1/contracts/{contractId}": 4}
    assert stats.responses["GET /api/v1/contracts/{contractId}"] == {"200": 3, "404": 1}
    assert stats.count("GET /api/v1/contracts") == 1
    assert stats.total == 5

    cloud.admin.reset()
    assert cloud.admin.stats().total == 0
    assert [c.dataset for c in cloud.admin.state().contracts] == [CUSTOMERS]


def test_scan_outcomes_merge_and_none_removes_one(cloud: RunningEmulator) -> None:
    cloud.admin.set_scan_outcomes({CUSTOMERS: "failed", ORDERS: "completedWithFailures"})
    cloud.admin.set_scan_outcomes({CUSTOMERS: None})
    assert cloud.admin.state().scan_outcomes == {ORDERS: "completedWithFailures"}
    with pytest.raises(RuntimeError, match="400"):
        cloud.admin.set_scan_outcomes({ORDERS: "sideways"})  # type: ignore[dict-item]


def test_incidents_added_by_admin_are_reported(cloud: RunningEmulator, http: httpx.Client) -> None:
    incident_id = cloud.admin.add_incident(
        title="Orders stopped", dataset=ORDERS, severity="critical"
    )
    data = http.post("/v1/impact/incidents", json={}).json()["data"]
    assert [(i["incident_id"], i["severity"]) for i in data] == [(incident_id, "critical")]


def test_state_reports_scans_and_operations(cloud: RunningEmulator, http: httpx.Client) -> None:
    contract_id = http.get("/api/v1/contracts").json()["content"][0]["id"]
    scan_id = http.post(f"/api/v1/contracts/{contract_id}/verify").headers["X-Soda-Scan-Id"]
    http.post("/api/v1/contracts/actions/createSkeleton", json={"datasetQualifiedName": ORDERS})
    state = cloud.admin.state()
    assert [(s.id, s.kind, s.state) for s in state.scans] == [(scan_id, "verification", "queuing")]
    assert [(o.kind, o.state, o.datasets) for o in state.operations] == [
        ("skeleton", "ongoing", [ORDERS])
    ]


def _request_from(host: str) -> Request:
    return Request({"type": "http", "client": (host, 50000), "headers": []})


def test_admin_routes_answer_loopback_callers_only() -> None:
    assert is_loopback(_request_from("127.0.0.1"))
    assert is_loopback(_request_from("::1"))
    assert not is_loopback(_request_from("10.1.2.3"))
