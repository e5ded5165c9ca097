"""Starting and stopping emulators in-process: quick, and nothing left behind."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
import pytest

from reconciler.clock import ManualClock, ScaledClock
from reconciler.emulator import RunningEmulator, start_local_cloud
from reconciler.emulator.samples import sample_config
from reconciler.emulator.server import bind_socket


def test_many_emulators_start_and_stop_without_leaking_threads_or_ports() -> None:
    before = threading.active_count()
    ports = set()
    for _ in range(15):
        with RunningEmulator(sample_config(), clock=ManualClock()) as cloud:
            assert httpx.get(f"{cloud.url}/api/v1/contracts", auth=cloud.auth).status_code == 200
            ports.add(int(cloud.url.rsplit(":", 1)[-1]))
    assert threading.active_count() == before
    for port in ports:  # every port is free again
        bind_socket("127.0.0.1", port).close()


def test_stop_is_idempotent_and_a_stopped_emulator_has_no_admin() -> None:
    cloud = RunningEmulator(sample_config()).start()
    cloud.stop()
    cloud.stop()
    with pytest.raises(RuntimeError, match="not running"):
        _ = cloud.admin


def test_a_clock_and_a_time_scale_together_are_refused() -> None:
    with pytest.raises(ValueError, match="not both"):
        RunningEmulator(clock=ManualClock(), time_scale=10)


def test_local_cloud_persists_and_exposes_what_a_client_needs(tmp_path: Path) -> None:
    data = tmp_path / ".reconciler" / "local-cloud.json"
    cloud = start_local_cloud(data_file=data, time_scale=60, seed=sample_config())
    try:
        assert isinstance(cloud.clock, ScaledClock)
        assert cloud.clock.scale == 60
        assert cloud.reporting_url == f"{cloud.url}/v1"
        assert cloud.auth == ("local", "local-secret")
        response = httpx.post(f"{cloud.reporting_url}/coverage/datasets", json={}, auth=cloud.auth)
        assert response.json()["total"] == len(sample_config().datasets)
    finally:
        cloud.stop()
    assert data.exists()
