"""``--data FILE``: everything survives a restart; lifecycles resume where they were."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from reconciler.clock import ManualClock
from reconciler.emulator import DataFileError, EmulatorFactory, RunningEmulator
from reconciler.emulator.samples import CUSTOMERS, ORDERS, sample_config


def _list(cloud: RunningEmulator) -> list[dict[str, object]]:
    with httpx.Client(base_url=cloud.url, auth=cloud.auth) as http:
        content: list[dict[str, object]] = http.get(
            "/api/v1/contracts", params={"size": 1000}
        ).json()["content"]
        return content


def test_restart_keeps_contracts_versions_scans_and_operations(
    start_emulator: EmulatorFactory, tmp_path: Path
) -> None:
    data = tmp_path / "cloud.json"
    first = start_emulator(clock=ManualClock(), data_file=data)
    with httpx.Client(base_url=first.url, auth=first.auth) as http:
        contract = http.get("/api/v1/contracts").json()["content"][0]
        path = f"/api/v1/contracts/{contract['id']}"
        http.post(path, json={"contents": contract["contents"] + "  - schema:\n"})
        scan_id = http.post(f"{path}/verify").headers["X-Soda-Scan-Id"]
        skeleton = http.post(
            "/api/v1/contracts/actions/createSkeleton", json={"datasetQualifiedName": ORDERS}
        ).headers["Location"]
        versions_before = http.get(f"{path}/versions").json()["content"]
    first.stop()

    clock = ManualClock()  # the same starting instant: lifecycles resume where they stopped
    second = start_emulator(clock=clock, data_file=data)
    with httpx.Client(base_url=second.url, auth=second.auth) as http:
        assert http.get(f"{path}/versions").json()["content"] == versions_before
        assert http.get(f"/api/v1/scans/{scan_id}").json()["state"] == "queuing"
        clock.advance(10)
        assert http.get(f"/api/v1/scans/{scan_id}").json()["state"] == "completed"
        operation = skeleton.rsplit("/", 1)[-1]
        status = http.get(f"/api/v1/contracts/actions/createSkeleton/{operation}").json()
        assert status["state"] == "completed"
    assert [c["datasetQualifiedName"] for c in _list(second)] == [CUSTOMERS, ORDERS]


def test_the_data_file_wins_over_the_seed_and_reset_returns_to_the_seed(
    start_emulator: EmulatorFactory, tmp_path: Path
) -> None:
    data = tmp_path / "cloud.json"
    first = start_emulator(data_file=data)
    first.admin.edit_contract(CUSTOMERS, f"dataset: {CUSTOMERS}\ncolumns: []\n", "alice")
    first.stop()
    second = start_emulator(data_file=data)
    state = second.admin.state()
    edited = state.contract_for(CUSTOMERS)
    assert edited is not None
    assert (edited.versions, edited.creator_id) == (2, "alice")
    second.admin.reset()
    second.stop()
    third = start_emulator(data_file=data)
    restored = third.admin.state().contract_for(CUSTOMERS)
    assert restored is not None
    assert restored.versions == 1


def test_writes_are_atomic_and_leave_no_temporary_files(
    start_emulator: EmulatorFactory, tmp_path: Path
) -> None:
    data = tmp_path / "nested" / "cloud.json"
    cloud = start_emulator(data_file=data)
    for index in range(5):
        cloud.admin.edit_contract(CUSTOMERS, f"dataset: {CUSTOMERS}\ncolumns: []\n# {index}\n")
    assert [p.name for p in data.parent.iterdir()] == ["cloud.json"]
    saved = json.loads(data.read_text())
    assert len(saved["contracts"][0]["versions"]) == 6


def test_without_a_data_file_nothing_is_written(
    start_emulator: EmulatorFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    cloud = start_emulator()
    cloud.admin.edit_contract(CUSTOMERS, f"dataset: {CUSTOMERS}\ncolumns: []\n")
    assert list(tmp_path.iterdir()) == []


def test_an_unreadable_data_file_is_reported_not_overwritten(tmp_path: Path) -> None:
    data = tmp_path / "cloud.json"
    data.write_text('{"format_version": 1, "contracts": "nope"}')
    with pytest.raises(DataFileError, match=r"cloud\.json: not an emulator data file"):
        RunningEmulator(sample_config(), data_file=data).start()
    assert data.read_text() == '{"format_version": 1, "contracts": "nope"}'
