"""``SODA_CLOUD_HOST=local``: the embedded local Soda Cloud, with no other setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.clock import SimulatedClock
from reconciler.cloud.ratelimit import Operation
from reconciler.cloud.session import open_client
from reconciler.cloud.settings import resolve_cloud_settings
from reconciler.config import CloudSection, load_project_config
from reconciler.errors import ConfigError


async def test_local_needs_no_account_and_keeps_its_data(tmp_path: Path) -> None:
    seed = tmp_path / "cloud-seed.yml"
    seed.write_text(
        "datasets:\n"
        "  - {qualified_name: warehouse/db/public/orders, columns: [{name: id, data_type: integer}]}\n"
    )
    (tmp_path / "reconciler.yml").write_text("cloud:\n  seed: cloud-seed.yml\n")
    project = load_project_config(tmp_path / "reconciler.yml", environ={})
    settings = resolve_cloud_settings(project.cloud, environ={"SODA_CLOUD_HOST": "local"})
    contents = "dataset: warehouse/db/public/orders\ncolumns: []\n"
    async with open_client(settings, project) as client:
        assert client.settings.base_url.startswith("http://127.0.0.1:")
        assert await client.list_contracts() == []
        await client.create_contract("warehouse/db/public/orders", contents)
    assert (tmp_path / ".reconciler" / "local-cloud.json").is_file()
    # A second command finds what the first one left.
    async with open_client(settings, project) as client:
        contracts = await client.list_contracts()
    assert [c.contents for c in contracts] == [contents]


def test_local_without_a_seed_knows_the_datasets_of_the_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from reconciler.cli import main

    name = "lake/raw/orders"
    folder = tmp_path / "contracts" / "lake" / "raw"
    folder.mkdir(parents=True)
    (folder / "orders.yml").write_text(
        f"dataset: {name}\ncolumns:\n  - name: id\n    data_type: integer\n    checks:\n      - missing:\n"
    )
    (folder / "events.yml").write_text("dataset: lake/raw/events\n")  # a stub
    monkeypatch.chdir(tmp_path)
    env = {"SODA_CLOUD_HOST": "local", "SODA_CLOUD_API_KEY_ID": "", "SODA_CLOUD_API_KEY_SECRET": ""}
    applied = CliRunner().invoke(main, ["apply", "--auto-approve"], env=env)
    assert applied.exit_code == 0, applied.output
    assert "verified: completed" in applied.output
    # The stub's dataset is known (with no columns: its file names none): a skeleton came back.
    assert (folder / "events.yml").read_text().startswith("dataset: lake/raw/events\ncolumns: []\n")
    again = CliRunner().invoke(main, ["plan", "--detailed-exitcode"], env=env)
    assert again.exit_code == 0, again.output


async def test_simulated_time_polls_a_scan_once_per_state_whatever_the_machine(
    tmp_path: Path,
) -> None:
    seed = tmp_path / "cloud-seed.yml"
    seed.write_text(
        "datasets:\n"
        "  - {qualified_name: warehouse/db/public/orders, columns: [{name: id, data_type: integer}]}\n"
    )
    (tmp_path / "reconciler.yml").write_text(
        "cloud:\n  host: local\n  seed: cloud-seed.yml\n  time_scale: simulated\n"
    )
    project = load_project_config(tmp_path / "reconciler.yml", environ={})
    settings = resolve_cloud_settings(project.cloud, environ={})
    contents = "dataset: warehouse/db/public/orders\ncolumns:\n  - name: id\n    checks:\n      - missing:\n"
    async with open_client(settings, project) as client:
        assert isinstance(client.clock, SimulatedClock)
        contract = (await client.create_contract("warehouse/db/public/orders", contents)).contract
        started = client.clock.monotonic()
        scan = await client.verify(contract.id)
        status = await client.wait_scan(scan.scan_id)
        waited = client.clock.monotonic() - started

    # Queuing 2 s, executing 8 s (the seed's defaults): polled when queuing, when executing
    # and when done, and it took 10 simulated seconds, not a millisecond of real waiting.
    assert status.state == "completed"
    assert client.stats.calls[Operation.SCAN_STATUS] == 3
    assert 10.0 <= waited < 12.0


def test_simulated_time_is_for_the_local_soda_cloud_only() -> None:
    with pytest.raises(ConfigError, match="simulated is for the embedded local Soda Cloud"):
        resolve_cloud_settings(
            CloudSection(host="cloud.soda.io", time_scale="simulated"),
            environ={"SODA_CLOUD_API_KEY_ID": "id", "SODA_CLOUD_API_KEY_SECRET": "secret"},
        )
    scaled = resolve_cloud_settings(
        CloudSection(host="local", time_scale="simulated"),
        environ={"RECONCILER_TIME_SCALE": "60"},
    )
    assert (scaled.simulated, scaled.time_scale) == (False, 60.0)
