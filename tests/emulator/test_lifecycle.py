"""Asynchronous work driven by a ManualClock: skeletons, generation, verification scans,
cancelation, and how versions are stamped."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from reconciler.clock import ManualClock
from reconciler.emulator import RunningEmulator
from reconciler.emulator.instants import iso_clock_seconds_up, parse_instant
from reconciler.emulator.samples import CUSTOMERS, EVENTS, ORDERS, SESSIONS
from tests.cloud.support import client_for

SKELETON = "/api/v1/contracts/actions/createSkeleton"
GENERATE = "/api/v1/contracts/actions/generate"


def _operation(response: httpx.Response) -> str:
    assert response.status_code == 202, response.text
    return response.headers["Location"].rsplit("/", 1)[-1]


def _contract(http: httpx.Client, dataset: str) -> dict[str, Any]:
    listed = http.get("/api/v1/contracts", params={"datasetQualifiedName": dataset}).json()
    assert listed["content"], f"no contract for {dataset}"
    contract: dict[str, Any] = listed["content"][0]
    return contract


def _versions(http: httpx.Client, contract_id: str) -> list[dict[str, Any]]:
    content: list[dict[str, Any]] = http.get(
        f"/api/v1/contracts/{contract_id}/versions", params={"size": 1000}
    ).json()["content"]
    return content


def _verify(http: httpx.Client, dataset: str, body: dict[str, Any] | None = None) -> str:
    response = http.post(
        f"/api/v1/contracts/{_contract(http, dataset)['id']}/verify", json=body or {}
    )
    assert response.status_code == 201, response.text
    return response.headers["X-Soda-Scan-Id"]


def _scan(http: httpx.Client, scan_id: str) -> httpx.Response:
    return http.get(f"/api/v1/scans/{scan_id}")


def test_skeleton_completes_after_its_duration_with_a_contract_from_the_columns(
    http: httpx.Client, clock: ManualClock
) -> None:
    operation = _operation(http.post(SKELETON, json={"datasetQualifiedName": ORDERS}))
    clock.advance(4.9)
    assert http.get(f"{SKELETON}/{operation}").json()["state"] == "ongoing"
    assert (
        http.get("/api/v1/contracts", params={"datasetQualifiedName": ORDERS}).json()["content"]
        == []
    )
    clock.advance(0.1)
    assert http.get(f"{SKELETON}/{operation}").json()["state"] == "completed"
    contract = _contract(http, ORDERS)
    assert contract["contents"] == (
        f"dataset: {ORDERS}\n"
        "columns:\n"
        "  - name: id\n    data_type: integer\n"
        "  - name: customer_id\n    data_type: integer\n"
        "  - name: amount\n    data_type: decimal\n"
        "  - name: ordered_at\n    data_type: timestamp\n"
        "checks:\n  - schema:\n"
    )
    assert contract["created"] == "2026-01-01T00:00:05.000Z"  # when the operation ended
    assert [v["creatorId"] for v in _versions(http, contract["id"])] == ["soda-skeleton"]


def test_skeleton_fails_when_scripted_or_when_a_contract_appeared_meanwhile(
    cloud: RunningEmulator, http: httpx.Client, clock: ManualClock
) -> None:
    cloud.admin.set_operation_outcomes({ORDERS: "failed"})
    scripted = _operation(http.post(SKELETON, json={"datasetQualifiedName": ORDERS}))
    overtaken = _operation(http.post(SKELETON, json={"datasetQualifiedName": EVENTS}))
    created = http.post(
        "/api/v1/contracts",
        json={"datasetQualifiedName": EVENTS, "contents": f"dataset: {EVENTS}\ncolumns: []\n"},
    )
    assert created.status_code == 200
    clock.advance(5)
    assert http.get(f"{SKELETON}/{scripted}").json()["state"] == "failed"
    assert http.get(f"{SKELETON}/{overtaken}").json()["state"] == "failed"
    assert (
        http.get("/api/v1/contracts", params={"datasetQualifiedName": ORDERS}).json()["content"]
        == []
    )
    assert _contract(http, EVENTS)["contents"] == f"dataset: {EVENTS}\ncolumns: []\n"


def test_generate_reports_a_scan_per_dataset_and_leaves_generated_contracts(
    http: httpx.Client, clock: ManualClock
) -> None:
    operation = _operation(
        http.post(
            GENERATE,
            json={"datasetQualifiedNames": [ORDERS], "datasetIds": [_dataset_id(http, SESSIONS)]},
        )
    )
    ongoing = http.get(f"{GENERATE}/{operation}").json()
    assert ongoing["state"] == "ongoing"
    assert "datasets" not in ongoing
    clock.advance(10)
    done = http.get(f"{GENERATE}/{operation}").json()
    assert done["state"] == "completed"
    by_name = {d["datasetQualifiedName"]: d for d in done["datasets"]}
    assert set(by_name) == {ORDERS, SESSIONS}
    for entry in by_name.values():
        assert entry["scanState"] == "completed"
        assert entry["scanCloudUrl"].endswith(entry["scanId"])
        assert _scan(http, entry["scanId"]).json()["state"] == "completed"
    orders = _contract(http, ORDERS)["contents"]
    assert (
        "  - name: customer_id\n    data_type: integer\n    checks:\n      - missing:\n" in orders
    )
    assert (
        "  - name: id\n    data_type: integer\n    checks:\n      - missing:\n      - duplicate:\n"
        in orders
    )
    assert orders.endswith("checks:\n  - schema:\n  - row_count:\n")
    assert [v["creatorId"] for v in _versions(http, _contract(http, SESSIONS)["id"])] == ["soda-ai"]


def _dataset_id(http: httpx.Client, name: str) -> str:
    # A created-then-listed contract would do too; the coverage endpoint lists every dataset.
    rows = http.post("/v1/coverage/datasets", json={}).json()["data"]
    return str(next(row["dataset_id"] for row in rows if row["dataset_label"] == name))


OUTCOMES = {
    # outcome: statuses of the customers contract's two checks, errors, failures, warnings,
    # and how many log lines are errors
    "completed": (["pass", "pass"], 0, 0, 0, 0),
    "completedWithWarnings": (["warn", "pass"], 0, 0, 1, 0),
    "completedWithFailures": (["fail", "pass"], 0, 1, 0, 1),
    "completedWithErrors": (["notEvaluated", "pass"], 1, 0, 0, 1),
    "failed": (["notEvaluated", "notEvaluated"], 1, 0, 0, 1),
}


@pytest.mark.parametrize("outcome", sorted(OUTCOMES))
def test_verification_scan_moves_through_its_states_to_the_scripted_outcome(
    cloud: RunningEmulator, http: httpx.Client, clock: ManualClock, outcome: str
) -> None:
    cloud.admin.set_scan_outcomes({CUSTOMERS: outcome})  # type: ignore[dict-item]
    scan_id = _verify(http, CUSTOMERS)
    first = _scan(http, scan_id)
    assert first.json()["state"] == "queuing"
    assert first.headers["X-Soda-Next-Poll-Time"] == "2026-01-01T00:00:02Z"
    clock.advance(2)
    executing = _scan(http, scan_id)
    assert executing.json()["state"] == "executing"
    assert executing.headers["X-Soda-Next-Poll-Time"] == "2026-01-01T00:00:10Z"
    clock.advance(8)
    final = _scan(http, scan_id)
    body = final.json()
    statuses, errors, failures, warnings, error_lines = OUTCOMES[outcome]
    assert body["state"] == outcome
    assert [c["evaluationStatus"] for c in body["checks"]] == statuses
    assert (body["errors"], body["failures"], body["warnings"]) == (errors, failures, warnings)
    assert (body["started"], body["ended"]) == (
        "2026-01-01T00:00:02.000Z",
        "2026-01-01T00:00:10.000Z",
    )
    assert "X-Soda-Next-Poll-Time" not in final.headers

    logs = http.get(f"/api/v1/scans/{scan_id}/logs").json()["content"]
    assert [line["index"] for line in logs] == list(range(len(logs)))
    assert [line["timestamp"] for line in logs] == sorted(line["timestamp"] for line in logs)
    errors_logged = [line["message"] for line in logs if line["level"] == "error"]
    assert len(errors_logged) == error_lines
    if outcome == "completedWithFailures":
        assert errors_logged == ["Check columns.id.checks.missing: fail"]


def test_check_ids_are_stable_across_scans(http: httpx.Client, clock: ManualClock) -> None:
    first, second = _verify(http, CUSTOMERS), _verify(http, CUSTOMERS)
    ids = [[c["id"] for c in _scan(http, s).json()["checks"]] for s in (first, second)]
    assert ids[0] == ids[1]
    assert len(set(ids[0])) == 2


def test_check_paths_limit_the_scan_and_exclude_the_rest(
    http: httpx.Client, clock: ManualClock
) -> None:
    scan_id = _verify(http, CUSTOMERS, {"checkPaths": ["checks.row_count"]})
    clock.advance(10)
    assert [c["evaluationStatus"] for c in _scan(http, scan_id).json()["checks"]] == [
        "excluded",
        "pass",
    ]


def test_timed_out_scan_passes_through_time_out_requested(
    cloud: RunningEmulator, http: httpx.Client, clock: ManualClock
) -> None:
    cloud.admin.set_scan_outcomes({CUSTOMERS: "timedOut"})
    scan_id = _verify(http, CUSTOMERS)
    clock.advance(10)
    assert _scan(http, scan_id).json()["state"] == "timeOutRequested"
    clock.advance(1)
    assert _scan(http, scan_id).json()["state"] == "timedOut"


def test_canceling_a_queuing_scan_cancels_it_at_once(
    http: httpx.Client, clock: ManualClock
) -> None:
    scan_id = _verify(http, CUSTOMERS)
    clock.advance(1)
    assert http.delete(f"/api/v1/scans/{scan_id}").status_code == 200
    body = _scan(http, scan_id).json()
    assert body["state"] == "canceled"
    assert "started" not in body
    assert http.delete(f"/api/v1/scans/{scan_id}").status_code == 400
    clock.advance(60)
    assert _scan(http, scan_id).json()["state"] == "canceled"


def test_canceling_an_executing_scan_requests_cancelation_first(
    http: httpx.Client, clock: ManualClock
) -> None:
    scan_id = _verify(http, CUSTOMERS)
    clock.advance(3)
    assert http.delete(f"/api/v1/scans/{scan_id}").status_code == 200
    requested = _scan(http, scan_id)
    assert requested.json()["state"] == "cancelationRequested"
    assert requested.headers["X-Soda-Next-Poll-Time"] == "2026-01-01T00:00:04Z"
    refused = http.delete(f"/api/v1/scans/{scan_id}")
    assert (refused.status_code, refused.json()["code"]) == (400, "scan_not_cancelable")
    clock.advance(1)
    canceled = _scan(http, scan_id).json()
    assert canceled["state"] == "canceled"
    assert canceled["ended"] == "2026-01-01T00:00:04.000Z"
    assert {c["evaluationStatus"] for c in canceled["checks"]} == {"notEvaluated"}


def test_next_poll_time_is_rounded_up_to_the_second_after_the_change(
    http: httpx.Client, clock: ManualClock
) -> None:
    clock.advance(0.25)  # queuing ends at 00:00:02.25, executing at 00:00:10.25
    scan_id = _verify(http, CUSTOMERS)
    queuing = _scan(http, scan_id)
    assert queuing.headers["X-Soda-Next-Poll-Time"] == "2026-01-01T00:00:03Z"
    clock.advance(1.9)  # 00:00:02.15: still queuing, where 02.250 truncated would send one
    assert _scan(http, scan_id).json()["state"] == "queuing"
    clock.advance(0.85)  # 00:00:03, the instant the header named
    executing = _scan(http, scan_id)
    assert executing.json()["state"] == "executing"
    assert executing.headers["X-Soda-Next-Poll-Time"] == "2026-01-01T00:00:11Z"


@pytest.mark.parametrize("start", [0.0, 0.0004, 0.25, 0.9996])
async def test_the_reconcilers_client_polls_once_per_state_from_any_start(
    cloud: RunningEmulator, clock: ManualClock, start: float
) -> None:
    # A start below a millisecond once made the hint land a hair before the change: one
    # wasted poll, then a second after the minimum pause. Rounded up, it is one per state.
    clock.advance(start)
    async with client_for(cloud) as client:
        contract = await client.find_contract(CUSTOMERS)
        assert contract is not None
        scan = await client.verify(contract.id)
        status = await client.wait_scan(scan.scan_id)
    assert status.state == "completed"
    assert cloud.admin.stats().count("GET /api/v1/scans/{scanId}") == 3  # one per state
    # ...and never a whole second later than the 10 s the scan takes.
    started = parse_instant(cloud.admin.state().scans[0].created)
    assert clock.now() - started <= timedelta(seconds=11)


@pytest.mark.parametrize(
    ("offset", "scale", "expected"),
    [
        (0.0, 1.0, "2026-01-01T00:00:00Z"),
        (0.000001, 1.0, "2026-01-01T00:00:01Z"),
        (59.999, 1.0, "2026-01-01T00:01:00Z"),
        # On a clock 60 times faster a clock second is 1/60 s: 2 clock seconds are 33.3 ms.
        (2 / 60, 60.0, "2026-01-01T00:00:00.034Z"),
        (0.0334, 60.0, "2026-01-01T00:00:00.050Z"),
        (1.0, 60.0, "2026-01-01T00:00:01Z"),
        (3.0, 0.5, "2026-01-01T00:00:04Z"),
    ],
)
def test_next_poll_time_is_a_whole_clock_second_never_before_the_change(
    offset: float, scale: float, expected: str
) -> None:
    change = datetime(2026, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=offset)
    shown = iso_clock_seconds_up(change, scale)
    assert shown == expected
    assert parse_instant(shown) >= change


def test_canceling_a_finished_scan_is_refused(http: httpx.Client, clock: ManualClock) -> None:
    scan_id = _verify(http, CUSTOMERS)
    clock.advance(10)
    refused = http.delete(f"/api/v1/scans/{scan_id}")
    assert refused.status_code == 400
    assert "completed" in refused.json()["message"]


def test_every_write_moves_last_updated_even_within_one_millisecond(
    http: httpx.Client,
) -> None:
    contract = _contract(http, CUSTOMERS)
    path = f"/api/v1/contracts/{contract['id']}"
    stamps = [contract["lastUpdated"]]
    for _ in range(3):  # the manual clock does not move between these
        stamps.append(
            http.post(path, json={"contents": contract["contents"]}).json()["contract"][
                "lastUpdated"
            ]
        )
    assert stamps == sorted(set(stamps))
    assert len(stamps) == 4
    versions = _versions(http, contract["id"])
    assert len(versions) == 4  # identical contents still make a version each
    assert [v["created"] for v in versions] == sorted(stamps, reverse=True)
    checksums = {v["checksum"] for v in versions}
    assert len(checksums) == 1
    plain = hashlib.sha256(contract["contents"].encode()).hexdigest()
    assert checksums != {plain}  # opaque: not something a client can compute
