"""Every operation of Soda's contracts, scans and Reporting documents, called over real HTTP,
its documented error cases included; every response body validated against the documents'
schemas, documented headers and ``X-Soda-Trace-Id`` checked (see ``recorder.py``). The routes
Soda's own clients call beside the documents (the Users list, the POST spelling of cancel) are
checked the same way, against what ``recorder.py`` writes down for them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reconciler.clock import ManualClock
from reconciler.emulator import (
    ApiKey,
    Column,
    DatasetSeed,
    EmulatorConfig,
    EmulatorFactory,
    IncidentSeed,
    RunningEmulator,
)
from reconciler.emulator.samples import (
    CUSTOMERS,
    EVENTS,
    ORDERS,
    RAW_CLICKS,
    SESSIONS,
    sample_config,
)
from tests.emulator.openapi import (
    CONTRACTS_DOC,
    INCIDENTS_DOC,
    NEEDS_DOCUMENTS,
    SCANS_DOC,
    documents,
    validation_errors,
)
from tests.emulator.recorder import CANCEL_ALIAS_KEY, USERS_KEY, USERS_PATH, Recorder

pytestmark = NEEDS_DOCUMENTS

ADMIN = ("demo", "demo-secret")
VIEWER = ("ro", "ro-secret")
WRONG = ("demo", "not-the-secret")
OFFLINE = "lakehouse/bronze/raw_views"
SPARE = "warehouse/analytics/staging/sessions_daily"
UNKNOWN_ID = "00000000-0000-0000-0000-000000000000"


def conformance_seed() -> EmulatorConfig:
    base = sample_config()
    return base.model_copy(
        update={
            "api_keys": [
                ApiKey(id=ADMIN[0], secret=ADMIN[1], role="admin"),
                ApiKey(id=VIEWER[0], secret=VIEWER[1], role="viewer"),
            ],
            "datasets": [
                *base.datasets,
                DatasetSeed(qualified_name=OFFLINE, connected=False),
                DatasetSeed(
                    qualified_name=SPARE,
                    columns=[Column(name="day", data_type="date")],
                ),
            ],
            "incidents": [
                IncidentSeed(title="Late orders", dataset=ORDERS, severity="major"),
                IncidentSeed(title="Fixed", dataset=CUSTOMERS, status="resolved"),
            ],
        }
    )


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def cloud(start_emulator: EmulatorFactory, clock: ManualClock) -> RunningEmulator:
    return start_emulator(conformance_seed(), clock=clock)


@pytest.fixture
def api(cloud: RunningEmulator) -> Iterator[Recorder]:
    recorder = Recorder(cloud.url, ADMIN)
    yield recorder
    recorder.close()


def _dataset_id(cloud: RunningEmulator, name: str) -> str:
    return next(d.id for d in cloud.admin.state().datasets if d.qualified_name == name)


def _exhaust(api: Recorder, method: str, path: str) -> None:
    """Call until the rate limit answers 429 (documented limits are at most 1000 per window)."""
    for _ in range(1001):
        response = api.call(method, path)
        if response.status_code == 429:
            assert int(response.headers["Retry-After"]) >= 1
            assert response.json()["code"] == "rate_limited"
            return
    raise AssertionError(f"{method} {path} was never limited")


def _assert_covered(api: Recorder, document: str, expected: dict[str, set[int]]) -> None:
    doc = next(d for d in documents() if d.name == document)
    for op in doc.operations:
        assert op.key in api.seen, f"{op.key} was never called"
        missing = expected.get(op.key, set()) - api.seen[op.key]
        assert not missing, f"{op.key}: statuses {sorted(missing)} never seen"


def test_contracts_document(cloud: RunningEmulator, api: Recorder, clock: ManualClock) -> None:
    viewer, anonymous, wrong = api.as_key(VIEWER), api.as_key(None), api.as_key(WRONG)
    customers_id = _dataset_id(cloud, CUSTOMERS)

    # -- list --
    listed = api.call("GET", "/api/v1/contracts").json()
    assert (listed["totalElements"], listed["size"], listed["number"]) == (1, 10, 0)
    assert listed["first"]
    assert listed["last"]
    assert api.call("GET", "/api/v1/contracts", params={"size": 1000}).json()["size"] == 1000
    by_name = api.call("GET", "/api/v1/contracts", params={"datasetQualifiedName": CUSTOMERS})
    by_id = api.call("GET", "/api/v1/contracts", params={"datasetId": customers_id})
    assert by_name.json()["content"] == by_id.json()["content"]
    assert by_id.json()["content"][0]["datasetQualifiedName"] == CUSTOMERS
    both = api.call(
        "GET",
        "/api/v1/contracts",
        params={"datasetId": customers_id, "datasetQualifiedName": CUSTOMERS},
    )
    assert both.status_code == 400
    for bad in ({"size": 9}, {"size": 1001}, {"page": -1}, {"page": "x"}, {"size": "ten"}):
        assert api.call("GET", "/api/v1/contracts", params=bad).status_code == 400, bad
    unknown = api.call("GET", "/api/v1/contracts", params={"datasetQualifiedName": "a/b/nope"})
    assert (unknown.status_code, unknown.json()["code"]) == (404, "dataset_not_found")
    assert anonymous.call("GET", "/api/v1/contracts").status_code == 401
    assert wrong.call("GET", "/api/v1/contracts").status_code == 401
    assert viewer.call("GET", "/api/v1/contracts").status_code == 200

    # -- create --
    orders_yaml = f"dataset: {ORDERS}\ncolumns:\n  - name: id\n"
    created = api.call(
        "POST", "/api/v1/contracts", json={"datasetQualifiedName": ORDERS, "contents": orders_yaml}
    )
    assert created.status_code == 200
    orders = created.json()["contract"]
    assert (orders["datasetQualifiedName"], orders["contents"]) == (ORDERS, orders_yaml)
    sessions_id = _dataset_id(cloud, SESSIONS)
    sessions_yaml = f"dataset: {SESSIONS}\ncolumns: []\n"
    by_dataset_id = api.call(
        "POST", "/api/v1/contracts", json={"datasetId": sessions_id, "contents": sessions_yaml}
    )
    assert by_dataset_id.json()["contract"]["datasetId"] == sessions_id
    refusals = {
        "both ids": (
            {"datasetId": sessions_id, "datasetQualifiedName": SESSIONS, "contents": "x"},
            400,
            "invalid_request",
        ),
        "no id": ({"contents": orders_yaml}, 400, "invalid_request"),
        "unknown dataset": (
            {"datasetQualifiedName": "w/x/y", "contents": "dataset: w/x/y\ncolumns: []\n"},
            404,
            "dataset_not_found",
        ),
        "second contract": (
            {"datasetQualifiedName": ORDERS, "contents": orders_yaml},
            400,
            "dataset_contract_already_exists",
        ),
        "malformed": (
            {"datasetQualifiedName": EVENTS, "contents": "dataset: [unclosed\ncolumns: []\n"},
            400,
            "invalid_yaml",
        ),
        "not a contract": (
            {"datasetQualifiedName": EVENTS, "contents": "- dataset: x\n"},
            400,
            "invalid_contract",
        ),
        "another dataset": (
            {"datasetQualifiedName": EVENTS, "contents": orders_yaml},
            400,
            "dataset_mismatch",
        ),
    }
    for case, (body, status, code) in refusals.items():
        refused = api.call("POST", "/api/v1/contracts", json=body)
        assert (refused.status_code, refused.json()["code"]) == (status, code), case
    malformed = api.call(
        "POST",
        "/api/v1/contracts",
        json={"datasetQualifiedName": EVENTS, "contents": "dataset: [unclosed\ncolumns: []\n"},
    )
    assert "line 2, column 8" in malformed.json()["message"]
    assert (
        viewer.call(
            "POST",
            "/api/v1/contracts",
            json={"datasetQualifiedName": EVENTS, "contents": f"dataset: {EVENTS}\ncolumns: []\n"},
        ).status_code
        == 403
    )

    # -- get and publish --
    path = f"/api/v1/contracts/{orders['id']}"
    assert api.call("GET", path).json()["contract"] == orders
    assert api.call("GET", f"/api/v1/contracts/{UNKNOWN_ID}").status_code == 404
    assert viewer.call("GET", path).status_code == 200
    published = api.call("POST", path, json={"contents": orders_yaml + "  - name: amount\n"})
    assert published.status_code == 200
    assert published.json()["contract"]["lastUpdated"] > orders["lastUpdated"]
    bad_publish = api.call("POST", path, json={"contents": "dataset: x\ncolumns: 3\n"})
    assert bad_publish.status_code == 400
    assert api.call("POST", path, json={"contents": 7}).status_code == 400
    assert (
        api.call("POST", f"/api/v1/contracts/{UNKNOWN_ID}", json={"contents": ""}).status_code
        == 404
    )
    assert viewer.call("POST", path, json={"contents": orders_yaml}).status_code == 403

    # -- versions --
    versions = api.call("GET", f"{path}/versions").json()
    assert versions["totalElements"] == 2
    newest, oldest = versions["content"]
    assert newest["created"] > oldest["created"]
    assert oldest["contents"] == orders_yaml
    assert {newest["contractId"], oldest["contractId"]} == {orders["id"]}
    before = api.call("GET", f"{path}/versions", params={"createdBefore": newest["created"]})
    assert [v["id"] for v in before.json()["content"]] == [oldest["id"]]
    for bad in ({"size": 5}, {"createdBefore": "yesterday"}, {"page": -2}):
        assert api.call("GET", f"{path}/versions", params=bad).status_code == 400, bad
    assert api.call("GET", f"/api/v1/contracts/{UNKNOWN_ID}/versions").status_code == 404

    # -- verify --
    verified = api.call("POST", f"{path}/verify", json={})
    assert verified.status_code == 201
    scan_id = verified.headers["X-Soda-Scan-Id"]
    assert verified.headers["Location"].endswith(f"/api/v1/scans/{scan_id}")
    partial = api.call("POST", f"{path}/verify", json={"checkPaths": ["checks.nothing"]})
    assert (partial.status_code, partial.json()["code"]) == (400, "unknown_check_path")
    assert api.call("POST", f"/api/v1/contracts/{UNKNOWN_ID}/verify", json={}).status_code == 404
    assert viewer.call("POST", f"{path}/verify", json={}).status_code == 403
    offline = api.call(
        "POST",
        "/api/v1/contracts",
        json={
            "datasetQualifiedName": RAW_CLICKS,
            "contents": f"dataset: {RAW_CLICKS}\ncolumns: []\n",
        },
    ).json()["contract"]
    unverifiable = api.call("POST", f"/api/v1/contracts/{offline['id']}/verify", json={})
    assert (unverifiable.status_code, unverifiable.json()["code"]) == (400, "dataset_not_connected")

    # -- createSkeleton --
    skeleton_path = "/api/v1/contracts/actions/createSkeleton"
    started = api.call("POST", skeleton_path, json={"datasetQualifiedName": EVENTS})
    assert started.status_code == 202
    operation_id = started.headers["Location"].rsplit("/", 1)[-1]
    status = api.call("GET", f"{skeleton_path}/{operation_id}").json()
    assert (status["state"], status["datasetQualifiedName"]) == ("ongoing", EVENTS)
    for body, refusal in (
        ({"datasetQualifiedName": OFFLINE}, (400, "dataset_not_connected")),
        ({"datasetQualifiedName": CUSTOMERS}, (400, "dataset_contract_already_exists")),
        ({"datasetQualifiedName": EVENTS}, (400, "operation_in_progress")),
        ({"datasetId": UNKNOWN_ID}, (404, "dataset_not_found")),
        ({"datasetId": customers_id, "datasetQualifiedName": CUSTOMERS}, (400, "invalid_request")),
    ):
        refused = api.call("POST", skeleton_path, json=body)
        assert (refused.status_code, refused.json()["code"]) == refusal, body
    assert (
        viewer.call("POST", skeleton_path, json={"datasetQualifiedName": SPARE}).status_code == 403
    )
    assert api.call("GET", f"{skeleton_path}/{UNKNOWN_ID}").status_code == 404
    clock.advance(5)
    assert api.call("GET", f"{skeleton_path}/{operation_id}").json()["state"] == "completed"

    # -- generate --
    generate_path = "/api/v1/contracts/actions/generate"
    accepted = api.call("POST", generate_path, json={"datasetQualifiedNames": [SPARE]})
    assert accepted.status_code == 202
    generation_id = accepted.headers["Location"].rsplit("/", 1)[-1]
    ongoing = api.call("GET", f"{generate_path}/{generation_id}").json()
    assert ongoing["state"] == "ongoing"
    assert ongoing.get("datasets") is None
    ineligible = api.call(
        "POST",
        generate_path,
        json={"datasetIds": [UNKNOWN_ID], "datasetQualifiedNames": [CUSTOMERS, OFFLINE]},
    )
    assert ineligible.status_code == 400
    message = ineligible.json()["message"]
    for reason in (
        UNKNOWN_ID,
        f"{CUSTOMERS}: already has a contract",
        f"{OFFLINE}: is not connected",
    ):
        assert reason in message
    assert api.call("POST", generate_path, json={}).status_code == 400
    assert viewer.call("POST", generate_path, json={"datasetIds": [UNKNOWN_ID]}).status_code == 403
    assert api.call("GET", f"{generate_path}/{UNKNOWN_ID}").status_code == 404
    clock.advance(10)
    done = api.call("GET", f"{generate_path}/{generation_id}").json()
    assert done["state"] == "completed"
    assert [d["datasetQualifiedName"] for d in done["datasets"]] == [SPARE]

    # -- every operation refuses anonymous callers and unknown ids; writes refuse viewers --
    contract_path = f"/api/v1/contracts/{orders['id']}"
    for method, target in (
        ("GET", "/api/v1/contracts"),
        ("POST", "/api/v1/contracts"),
        ("POST", skeleton_path),
        ("GET", f"{skeleton_path}/{operation_id}"),
        ("POST", generate_path),
        ("GET", f"{generate_path}/{generation_id}"),
        ("GET", contract_path),
        ("POST", contract_path),
        ("POST", f"{contract_path}/verify"),
        ("GET", f"{contract_path}/versions"),
    ):
        assert anonymous.call(method, target, json={}).status_code == 401, target

    # -- the documented rate limit, seen on one operation --
    _exhaust(api, "GET", "/api/v1/contracts")

    expected: dict[str, set[int]] = {
        "GET /api/v1/contracts": {200, 400, 401, 404, 429},
        "POST /api/v1/contracts": {200, 400, 401, 403, 404},
        f"POST {skeleton_path}": {202, 400, 401, 403, 404},
        f"GET {skeleton_path}/{{operationId}}": {200, 401, 404},
        f"POST {generate_path}": {202, 400, 401, 403},
        f"GET {generate_path}/{{operationId}}": {200, 401, 404},
        "GET /api/v1/contracts/{contractId}": {200, 401, 404},
        "POST /api/v1/contracts/{contractId}": {200, 400, 401, 403, 404},
        "POST /api/v1/contracts/{contractId}/verify": {201, 400, 401, 403, 404},
        "GET /api/v1/contracts/{contractId}/versions": {200, 400, 401, 404},
    }
    _assert_covered(api, CONTRACTS_DOC, expected)


def test_scans_document(cloud: RunningEmulator, api: Recorder, clock: ManualClock) -> None:
    viewer, anonymous = api.as_key(VIEWER), api.as_key(None)
    contract = api.call(
        "GET", "/api/v1/contracts", params={"datasetQualifiedName": CUSTOMERS}
    ).json()["content"][0]
    verify = f"/api/v1/contracts/{contract['id']}/verify"

    def start_scan() -> str:
        return api.call("POST", verify).headers["X-Soda-Scan-Id"]

    scan_id = start_scan()
    status_path = f"/api/v1/scans/{scan_id}"
    queuing = api.call("GET", status_path)
    assert queuing.json()["state"] == "queuing"
    assert queuing.headers["X-Soda-Next-Poll-Time"].endswith("Z")
    clock.advance(2)
    executing = api.call("GET", status_path)
    assert executing.json()["state"] == "executing"
    assert executing.json()["started"]
    clock.advance(8)
    completed = api.call("GET", status_path)
    assert completed.json()["state"] == "completed"
    assert "X-Soda-Next-Poll-Time" not in completed.headers
    assert {c["evaluationStatus"] for c in completed.json()["checks"]} == {"pass"}
    assert viewer.call("GET", status_path).status_code == 200

    logs = api.call("GET", f"{status_path}/logs").json()
    assert logs["size"] == 1000
    assert logs["totalElements"] == len(logs["content"]) > 0
    assert (
        api.call("GET", f"{status_path}/logs", params={"size": 100, "page": 1}).json()["content"]
        == []
    )
    for bad in ({"size": 99}, {"size": 1001}, {"page": -1}, {"size": "many"}):
        assert api.call("GET", f"{status_path}/logs", params=bad).status_code == 400, bad

    final = api.call("DELETE", status_path)
    assert (final.status_code, final.json()["code"]) == (400, "scan_not_cancelable")
    queued_id = start_scan()
    canceled = api.call("DELETE", f"/api/v1/scans/{queued_id}")
    assert canceled.status_code == 200
    assert canceled.headers["Location"].endswith(f"/api/v1/scans/{queued_id}")
    assert api.call("GET", f"/api/v1/scans/{queued_id}").json()["state"] == "canceled"
    assert viewer.call("DELETE", f"/api/v1/scans/{start_scan()}").status_code == 403

    # Soda's Go CLI cancels with POST .../actions/cancel: the DELETE's answers, same lane.
    alias_id = start_scan()
    by_post = api.call("POST", f"/api/v1/scans/{alias_id}/actions/cancel", json={})
    assert by_post.status_code == 200
    assert by_post.headers["Location"].endswith(f"/api/v1/scans/{alias_id}")
    assert api.call("GET", f"/api/v1/scans/{alias_id}").json()["state"] == "canceled"
    again = api.call("POST", f"/api/v1/scans/{alias_id}/actions/cancel", json={})
    assert (again.status_code, again.json()["code"]) == (400, "scan_not_cancelable")
    cancel_by_viewer = viewer.call("POST", f"/api/v1/scans/{start_scan()}/actions/cancel")
    assert cancel_by_viewer.status_code == 403

    for method, target in (
        ("GET", f"/api/v1/scans/{UNKNOWN_ID}"),
        ("DELETE", f"/api/v1/scans/{UNKNOWN_ID}"),
        ("POST", f"/api/v1/scans/{UNKNOWN_ID}/actions/cancel"),
        ("GET", f"/api/v1/scans/{UNKNOWN_ID}/logs"),
    ):
        assert api.call(method, target).status_code == 404
        assert anonymous.call(method, target).status_code == 401

    _exhaust(api, "GET", status_path)
    _assert_covered(
        api,
        SCANS_DOC,
        {
            "GET /api/v1/scans/{scanId}": {200, 401, 404, 429},
            "DELETE /api/v1/scans/{scanId}": {200, 400, 401, 403, 404},
            "GET /api/v1/scans/{scanId}/logs": {200, 400, 401, 404},
        },
    )
    assert api.seen[CANCEL_ALIAS_KEY] == {200, 400, 401, 403, 404}


def test_users_api(api: Recorder) -> None:
    """Not in the documents: checked against the shape written down in ``recorder.py``."""
    viewer, anonymous, wrong = api.as_key(VIEWER), api.as_key(None), api.as_key(WRONG)
    listed = api.call("GET", USERS_PATH).json()
    assert [user["userId"] for user in listed["content"]] == [ADMIN[0], VIEWER[0]]
    assert (listed["size"], listed["totalElements"], listed["totalPages"]) == (1000, 2, 1)
    # Soda's CLI probes a key with size=1 at login: a page of one, below the contracts floor.
    probe = api.call("GET", USERS_PATH, params={"size": 1}).json()
    assert ([u["userId"] for u in probe["content"]], probe["last"]) == ([ADMIN[0]], False)
    second = api.call("GET", USERS_PATH, params={"size": 1, "page": 1}).json()
    assert ([u["userId"] for u in second["content"]], second["last"]) == ([VIEWER[0]], True)
    assert api.call("GET", USERS_PATH, params={"page": 5}).json()["content"] == []
    for bad in ({"size": 0}, {"size": 1001}, {"page": -1}, {"size": "one"}):
        refused = api.call("GET", USERS_PATH, params=bad)
        assert (refused.status_code, refused.json()["code"]) == (400, "invalid_parameter"), bad
    assert viewer.call("GET", USERS_PATH).status_code == 200
    assert anonymous.call("GET", USERS_PATH).status_code == 401
    assert wrong.call("GET", USERS_PATH).status_code == 401
    _exhaust(api, "GET", USERS_PATH)
    assert api.seen[USERS_KEY] == {200, 400, 401, 429}


def test_reporting_api(cloud: RunningEmulator, api: Recorder) -> None:
    anonymous = api.as_key(None)
    header_keys = api.as_key(None)
    header_keys.client.headers.update({"X-API-KEY-ID": ADMIN[0], "X-API-KEY-SECRET": ADMIN[1]})
    endpoints = (
        "/v1/coverage/checks",
        "/v1/coverage/datasets",
        "/v1/coverage/dataset_coverage",
        "/v1/impact/incidents",
    )
    for endpoint in endpoints:
        assert api.call("POST", endpoint, json={}).status_code == 200, endpoint
        assert header_keys.call("POST", endpoint, json={}).status_code == 200, endpoint
        assert anonymous.call("POST", endpoint, json={}).status_code == 401, endpoint
        invalid = api.call("POST", endpoint, json={"dataset_ids": "not-a-list"})
        assert invalid.status_code == 422
        assert invalid.json()["detail"][0]["loc"] == ["body", "dataset_ids"]
    for endpoint in ("/v1/coverage/checks", "/v1/coverage/datasets", "/v1/impact/incidents"):
        for bad in ({"page": 0}, {"size": 0}, {"size": 1001}, {"page": "1x"}):
            assert api.call("POST", endpoint, json=bad).status_code == 422, (endpoint, bad)

    incidents = api.call("POST", "/v1/impact/incidents", json={}).json()
    assert [i["title"] for i in incidents["data"]] == ["Late orders"]
    resolved = api.call("POST", "/v1/impact/incidents", json={"status": "resolved"}).json()
    assert [i["title"] for i in resolved["data"]] == ["Fixed"]
    checks = api.call("POST", "/v1/coverage/checks", json={"size": 1}).json()
    assert (checks["total"], len(checks["data"])) == (2, 1)

    cloud.admin.set_reporting_ready(False)
    for endpoint in endpoints:
        waiting = api.call("POST", endpoint, json={})
        assert waiting.status_code == 202
        assert waiting.json()["data"] == []

    _assert_covered(api, INCIDENTS_DOC, {"POST /v1/impact/incidents": {200, 202, 401, 422}})
    for endpoint in endpoints[:3]:
        assert {200, 202, 401, 422} <= api.seen[f"POST {endpoint}"], endpoint


def test_schema_check_rejects_what_the_documents_forbid() -> None:
    contracts, scans, _ = documents()
    status = {"$ref": "#/components/schemas/PublicApiScanStatusResponse"}
    good = {"id": "s", "state": "completed", "created": "2026-01-01T00:00:00.000Z", "cloudUrl": "u"}
    assert validation_errors(scans, status, good) == []
    assert validation_errors(scans, status, {**good, "state": "done"})
    assert validation_errors(scans, status, {**good, "created": "yesterday"})
    assert validation_errors(scans, status, {k: v for k, v in good.items() if k != "cloudUrl"})
    page = {"$ref": "#/components/schemas/PublicApiListContractsResponse"}
    assert validation_errors(contracts, page, {"content": None})
