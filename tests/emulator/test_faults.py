"""Injected faults as an httpx client sees them, reproducible from a seed."""

from __future__ import annotations

import httpx
import pytest

from reconciler.clock import ManualClock
from reconciler.emulator import EmulatorFactory, Faults, RunningEmulator
from reconciler.emulator.samples import EVENTS, sample_config

CREATE_EVENTS = {"datasetQualifiedName": EVENTS, "contents": f"dataset: {EVENTS}\ncolumns: []\n"}


def _has_events_contract(cloud: RunningEmulator) -> bool:
    return cloud.admin.state().contract_for(EVENTS) is not None


def test_error_faults_answer_500_or_503_before_doing_anything(
    cloud: RunningEmulator, http: httpx.Client
) -> None:
    cloud.admin.set_faults(error_rate=1.0, seed=3)
    statuses = set()
    for _ in range(12):
        response = http.post("/api/v1/contracts", json=CREATE_EVENTS)
        statuses.add(response.status_code)
        assert response.json()["code"] in {"internal_error", "service_unavailable"}
        assert response.headers["X-Soda-Trace-Id"]
    assert statuses == {500, 503}
    assert not _has_events_contract(cloud)  # admin routes never see faults
    assert cloud.admin.stats().faults == {"error": 12}


def test_throttle_faults_are_spurious_429s_with_retry_after(
    cloud: RunningEmulator, http: httpx.Client
) -> None:
    cloud.admin.set_faults(throttle_rate=1.0)
    response = http.get("/api/v1/contracts")
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 3
    stats = cloud.admin.stats()
    assert stats.faults == {"throttle": 1}
    assert stats.throttled == {}  # not the real limiter


def test_a_lost_response_is_a_transport_error_after_the_write_landed(
    cloud: RunningEmulator, http: httpx.Client
) -> None:
    cloud.admin.set_faults(lost_response_rate=1.0)
    assert http.get("/api/v1/contracts").status_code == 200  # only POSTs lose responses
    with pytest.raises(httpx.TransportError):
        http.post("/api/v1/contracts", json=CREATE_EVENTS)
    assert _has_events_contract(cloud)
    cloud.admin.set_faults()
    retried = http.post("/api/v1/contracts", json=CREATE_EVENTS)
    assert retried.json()["code"] == "dataset_contract_already_exists"


def test_a_reset_is_a_transport_error_before_anything_happened(
    cloud: RunningEmulator, http: httpx.Client
) -> None:
    cloud.admin.set_faults(reset_rate=1.0)
    with pytest.raises(httpx.TransportError):
        http.post("/api/v1/contracts", json=CREATE_EVENTS)
    with pytest.raises(httpx.TransportError):
        http.get("/api/v1/contracts")
    assert not _has_events_contract(cloud)
    assert cloud.admin.stats().faults == {"reset": 2}
    cloud.admin.set_faults()
    assert http.post("/api/v1/contracts", json=CREATE_EVENTS).status_code == 200


def _outcomes(http: httpx.Client, count: int) -> list[str]:
    seen = []
    for _ in range(count):
        try:
            seen.append(str(http.get("/api/v1/contracts").status_code))
        except httpx.TransportError:
            seen.append("broken")
    return seen


def test_the_same_seed_replays_the_same_faults(cloud: RunningEmulator, http: httpx.Client) -> None:
    rates = {"error_rate": 0.2, "throttle_rate": 0.2, "reset_rate": 0.2}
    cloud.admin.set_faults(**rates, seed=11)
    first = _outcomes(http, 40)
    cloud.admin.set_faults(**rates, seed=11)
    assert _outcomes(http, 40) == first
    assert {"200", "429", "broken"} <= set(first)
    assert {"500", "503"} & set(first)
    cloud.admin.set_faults(**rates, seed=12)
    assert _outcomes(http, 40) != first


def test_latency_is_spent_in_clock_time(start_emulator: EmulatorFactory) -> None:
    clock = ManualClock()
    cloud = start_emulator(clock=clock)
    cloud.admin.set_faults(latency_ms=2500)
    with httpx.Client(base_url=cloud.url, auth=cloud.auth) as http:
        assert http.get("/api/v1/contracts").status_code == 200
    assert clock.monotonic() == pytest.approx(2.5)


def test_faults_from_the_seed_and_reset(start_emulator: EmulatorFactory) -> None:
    seed = sample_config().model_copy(update={"faults": Faults(error_rate=1.0)})
    cloud = start_emulator(seed)
    with httpx.Client(base_url=cloud.url, auth=cloud.auth) as http:
        assert http.get("/api/v1/contracts").status_code in {500, 503}
        cloud.admin.set_faults()
        assert http.get("/api/v1/contracts").status_code == 200
        cloud.admin.reset()  # back to the seed's faults
        assert http.get("/api/v1/contracts").status_code in {500, 503}
