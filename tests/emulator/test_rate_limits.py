"""The documented per-endpoint limits: sliding 60 s windows in clock seconds."""

from __future__ import annotations

import httpx

from reconciler.clock import ManualClock
from reconciler.emulator import EmulatorFactory, Limits, RunningEmulator
from reconciler.emulator.samples import CUSTOMERS, sample_config

VERIFY = "POST /api/v1/contracts/{contractId}/verify"
CANCEL = "DELETE /api/v1/scans/{scanId}"
CANCEL_BY_POST = "POST /api/v1/scans/{scanId}/actions/cancel"


def _verify_path(http: httpx.Client, dataset: str = CUSTOMERS) -> str:
    listed = http.get("/api/v1/contracts", params={"datasetQualifiedName": dataset}).json()
    return f"/api/v1/contracts/{listed['content'][0]['id']}/verify"


def test_eleventh_verify_within_a_minute_waits_for_retry_after(
    cloud: RunningEmulator, http: httpx.Client, clock: ManualClock
) -> None:
    path = _verify_path(http)
    assert [http.post(path).status_code for _ in range(10)] == [201] * 10
    refused = http.post(path)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "60"
    assert refused.json()["code"] == "rate_limited"
    assert refused.headers["X-Soda-Trace-Id"]

    clock.advance(59.5)
    assert http.post(path).headers["Retry-After"] == "1"  # ceil of the half second left
    clock.advance(0.5)
    assert http.post(path).status_code == 201
    stats = cloud.admin.stats()
    assert stats.throttled == {VERIFY: 2}
    assert stats.responses[VERIFY] == {"201": 11, "429": 2}


def test_window_slides_one_request_at_a_time(http: httpx.Client, clock: ManualClock) -> None:
    path = _verify_path(http)
    for _ in range(5):
        assert http.post(path).status_code == 201
    clock.advance(30)
    for _ in range(5):
        assert http.post(path).status_code == 201
    clock.advance(1)
    assert http.post(path).headers["Retry-After"] == "29"
    clock.advance(29)  # the first five leave the window together
    assert [http.post(path).status_code for _ in range(6)] == [201] * 5 + [429]


def test_limits_are_per_endpoint_template_shared_by_all_contracts(
    cloud: RunningEmulator, http: httpx.Client
) -> None:
    cloud.admin.edit_contract(
        "lakehouse/silver/sessions", "dataset: lakehouse/silver/sessions\ncolumns: []\n"
    )
    first, second = _verify_path(http), _verify_path(http, "lakehouse/silver/sessions")
    for index in range(10):
        assert http.post(first if index % 2 else second).status_code == 201
    assert http.post(second).status_code == 429
    # Another endpoint has its own window.
    assert http.get(first.removesuffix("/verify")).status_code == 200


def test_both_spellings_of_cancel_take_their_slots_from_one_window(
    cloud: RunningEmulator, http: httpx.Client, clock: ManualClock
) -> None:
    unknown = "/api/v1/scans/00000000-0000-0000-0000-000000000000"
    for _ in range(5):  # an unknown scan is a 404, after its slot was taken
        assert http.delete(unknown).status_code == 404
        assert http.post(f"{unknown}/actions/cancel", json={}).status_code == 404
    refused = http.post(f"{unknown}/actions/cancel", json={})
    assert (refused.status_code, refused.headers["Retry-After"]) == (429, "60")
    assert "rate limit of DELETE /api/v1/scans/{scanId} exceeded" in refused.json()["message"]
    assert http.delete(unknown).status_code == 429
    clock.advance(60)
    assert http.post(f"{unknown}/actions/cancel", json={}).status_code == 404
    assert cloud.admin.stats().throttled == {CANCEL: 1, CANCEL_BY_POST: 1}


def test_multiplier_scales_limits_and_disabling_lifts_them(
    start_emulator: EmulatorFactory, clock: ManualClock
) -> None:
    seed = sample_config().model_copy(update={"limits": Limits(multiplier=0.5)})
    cloud = start_emulator(seed, clock=clock)
    with httpx.Client(base_url=cloud.url, auth=cloud.auth) as http:
        path = _verify_path(http)
        assert [http.post(path).status_code for _ in range(6)] == [201] * 5 + [429]
        cloud.admin.set_limits(enabled=False)
        assert {http.post(path).status_code for _ in range(30)} == {201}
        cloud.admin.set_limits(enabled=True, multiplier=2)
        # Unlimited requests are not counted: 5 are in the window; doubled, the limit is 20.
        assert [http.post(path).status_code for _ in range(16)] == [201] * 15 + [429]


def test_requests_without_a_valid_key_take_no_slot(
    cloud: RunningEmulator, http: httpx.Client
) -> None:
    path = _verify_path(http)
    with httpx.Client(base_url=cloud.url) as anonymous:
        assert {anonymous.post(path).status_code for _ in range(20)} == {401}
    assert [http.post(path).status_code for _ in range(10)] == [201] * 10


def test_reporting_api_is_not_limited(http: httpx.Client) -> None:
    statuses = {http.post("/v1/coverage/checks", json={}).status_code for _ in range(120)}
    assert statuses == {200}


def test_limits_hold_under_a_time_scale(start_emulator: EmulatorFactory) -> None:
    # 60 clock seconds = 1 real second: ample for 11 requests even on a busy machine.
    cloud = start_emulator(time_scale=60)
    with httpx.Client(base_url=cloud.url, auth=cloud.auth) as http:
        path = _verify_path(http)
        for _ in range(10):
            http.post(path)
        refused = http.post(path)
        assert refused.status_code == 429
        # Retry-After stays in clock seconds: a client's scaled clock waits 1/60 of it.
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
