"""The Reporting API's data: real-time checks, datasets with their last scan, coverage,
incidents with their filters."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import httpx
import pytest

from reconciler.clock import ManualClock
from reconciler.emulator import EmulatorConfig, EmulatorFactory, RunningEmulator
from reconciler.emulator.samples import CUSTOMERS, ORDERS, RAW_CLICKS, sample_config

START = datetime(2026, 1, 1, tzinfo=timezone.utc)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


def _dataset_ids(http: httpx.Client) -> dict[str, str]:
    rows = http.post("/v1/coverage/datasets", json={"size": 1000}).json()["data"]
    return {row["dataset_label"]: row["dataset_id"] for row in rows}


def test_checks_follow_published_contracts_in_real_time(http: httpx.Client) -> None:
    ids = _dataset_ids(http)
    before = http.post("/v1/coverage/checks", json={}).json()
    assert before["total"] == 2
    orders = f"dataset: {ORDERS}\ncolumns:\n  - name: id\n    checks:\n      - missing:\n      - duplicate:\nchecks:\n  - row_count:\n"
    http.post("/api/v1/contracts", json={"datasetQualifiedName": ORDERS, "contents": orders})
    only_orders = http.post("/v1/coverage/checks", json={"dataset_ids": [ids[ORDERS]]}).json()
    assert [row["check_type"] for row in only_orders["data"]] == [
        "missing",
        "duplicate",
        "row_count",
    ]
    assert {row["dataset_id"] for row in only_orders["data"]} == {ids[ORDERS]}
    one = only_orders["data"][0]["check_id"]
    picked = http.post("/v1/coverage/checks", json={"check_ids": [one]}).json()
    assert [row["check_id"] for row in picked["data"]] == [one]
    page_two = http.post("/v1/coverage/checks", json={"size": 2, "page": 2}).json()
    assert (page_two["total"], page_two["page"], len(page_two["data"])) == (5, 2, 2)


def test_check_ids_match_the_ids_in_scan_results(http: httpx.Client, clock: ManualClock) -> None:
    contract = http.get("/api/v1/contracts").json()["content"][0]
    scan_id = http.post(f"/api/v1/contracts/{contract['id']}/verify").headers["X-Soda-Scan-Id"]
    scanned = {c["id"] for c in http.get(f"/api/v1/scans/{scan_id}").json()["checks"]}
    reported = {row["check_id"] for row in http.post("/v1/coverage/checks", json={}).json()["data"]}
    assert scanned == reported


def test_datasets_carry_names_sources_and_their_last_scan(
    cloud: RunningEmulator, http: httpx.Client, clock: ManualClock
) -> None:
    rows = {
        row["dataset_label"]: row
        for row in http.post("/v1/coverage/datasets", json={}).json()["data"]
    }
    customers = rows[CUSTOMERS]
    assert (customers["dataset_name"], customers["datasource_name"]) == ("customers", "warehouse")
    assert customers["owner_email"] == "data-team@example.com"
    assert "last_scan_time" not in customers
    assert customers["number_of_failed_checks"] == 0
    assert rows[RAW_CLICKS]["datasource_has_core_agent_enabled"] is False

    cloud.admin.set_scan_outcomes({CUSTOMERS: "completedWithFailures"})
    contract = http.get("/api/v1/contracts").json()["content"][0]
    http.post(f"/api/v1/contracts/{contract['id']}/verify")
    clock.advance(10)
    scanned = http.post(
        "/v1/coverage/datasets", json={"dataset_ids": [customers["dataset_id"]]}
    ).json()
    (row,) = scanned["data"]
    assert (row["number_of_failed_checks"], row["last_scan_time"]) == (
        1,
        "2026-01-01T00:00:10.000Z",
    )


def test_dataset_coverage_compares_check_counts(http: httpx.Client) -> None:
    ids = _dataset_ids(http)
    body = http.post(
        "/v1/coverage/dataset_coverage", json={"dataset_ids": [ids[CUSTOMERS], ids[ORDERS]]}
    ).json()["data"]
    assert body["descriptives"]["max_number_of_checks"] == 2
    assert body["descriptives"]["mean_number_of_checks"] == 1
    scores = {row["dataset_id"]: row["relative_coverage_score"] for row in body["dataset_info"]}
    assert scores == {ids[CUSTOMERS]: "1.00", ids[ORDERS]: "0.00"}


def test_incidents_filter_by_status_dataset_and_time(
    cloud: RunningEmulator, http: httpx.Client
) -> None:
    ids = _dataset_ids(http)
    cloud.admin.add_incident(title="now", dataset=ORDERS)
    cloud.admin.add_incident(title="old", dataset=ORDERS, created_at=START - timedelta(days=40))
    cloud.admin.add_incident(title="other", dataset=CUSTOMERS, status="fixing")
    cloud.admin.add_incident(
        title="done", dataset=ORDERS, status="resolved", resolved_at=START, created_at=START
    )

    def titles(body: dict[str, object]) -> list[str]:
        data = http.post("/v1/impact/incidents", json=body).json().get("data", [])
        return [row["title"] for row in data]

    assert titles({}) == ["now", "other"]  # unresolved, last 31 days
    assert titles({"dataset_ids": [ids[ORDERS]]}) == ["now"]
    assert titles({"from_datetime": "2025-11-01T00:00:00"}) == ["now", "old", "other"]
    assert titles({"status": "resolved"}) == ["done"]
    assert http.post("/v1/impact/incidents", json={"status": "open"}).status_code == 422
    nothing = http.post("/v1/impact/incidents", json={"dataset_ids": ["none"]})
    assert nothing.status_code == 202


def test_no_contracts_means_no_check_data_yet(start_emulator: EmulatorFactory) -> None:
    cloud = start_emulator(EmulatorConfig(datasets=sample_config().datasets))
    with httpx.Client(base_url=cloud.url, auth=cloud.auth) as http:
        response = http.post("/v1/coverage/checks", json={})
        assert response.status_code == 202
        assert response.json()["resource"] == "/coverage/checks"
