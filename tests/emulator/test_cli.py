"""``reconciler emulator serve``: a real process on a free port, stopped by a signal."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from reconciler.cli.main import main
from reconciler.emulator.server import bind_socket
from tests.shop import needs_engine

SEED = """\
api_keys: [{id: demo, secret: demo-secret, role: admin}, {id: ro, secret: ro-secret, role: viewer}]
datasets:
  - {qualified_name: warehouse/analytics/public/customers, connected: true,
     columns: [{name: id, data_type: integer}, {name: email, data_type: varchar}]}
contracts:
  - {dataset: warehouse/analytics/public/customers, contents: "dataset: warehouse/analytics/public/customers\\ncolumns: []\\n"}
scan_outcomes: {warehouse/analytics/public/customers: completedWithWarnings}
"""


def _serve(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "reconciler", "emulator", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _banner(process: subprocess.Popen[str]) -> list[str]:
    assert process.stdout is not None
    lines: list[str] = []
    while not lines or not lines[-1].startswith("Press Ctrl-C"):
        line = process.stdout.readline()
        assert line, f"the server stopped early: {process.stderr.read() if process.stderr else ''}"
        lines.append(line.rstrip("\n"))
    return lines


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_serve_answers_on_its_port_and_stops_cleanly_on_a_signal(
    tmp_path: Path, stop_signal: signal.Signals
) -> None:
    seed = tmp_path / "seed.yml"
    seed.write_text(SEED)
    process = _serve(
        "--seed", str(seed), "--data", str(tmp_path / "data.json"), "--time-scale", "60"
    )
    try:
        banner = _banner(process)
        url = banner[0].rsplit(" ", 1)[-1]
        assert url.startswith("http://127.0.0.1:")
        assert "API key id: demo" in "\n".join(banner)
        assert "    export RECONCILER_TIME_SCALE=60" in banner
        response = httpx.get(f"{url}/api/v1/contracts", auth=("demo", "demo-secret"))
        assert response.status_code == 200
        assert response.json()["totalElements"] == 1
        assert httpx.get(f"{url}/api/v1/contracts").status_code == 401
        process.send_signal(stop_signal)
        out, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, err
    assert "Stopped." in out
    assert "demo-secret" not in "\n".join(banner) + out + err
    assert (tmp_path / "data.json").exists()


CUSTOMERS = "warehouse/analytics/public/customers"
ORDERS = "warehouse/analytics/public/orders"


def _write_contract(folder: Path, dataset: str, columns: str) -> None:
    path = folder / f"{dataset}.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"dataset: {dataset}\ncolumns:\n{columns}")


def test_serve_knows_the_datasets_of_a_contracts_folder_beside_the_seeds(tmp_path: Path) -> None:
    seed, contracts = tmp_path / "seed.yml", tmp_path / "contracts"
    seed.write_text(SEED)
    _write_contract(contracts, CUSTOMERS, "  - name: id\n")  # the seed knows it already
    _write_contract(contracts, ORDERS, "  - name: id\n    data_type: integer\n  - name: total\n")
    process = _serve("--seed", str(seed), "--datasets-from", str(contracts))
    try:
        banner = _banner(process)
        url = banner[0].rsplit(" ", 1)[-1]
        assert f"  Datasets: 1 from the seed, 1 more from {contracts}" in banner
        assert not any("RECONCILER_TIME_SCALE" in line for line in banner)  # scale 1
        with httpx.Client(base_url=url, auth=("demo", "demo-secret")) as http:
            skeleton = http.post(
                "/api/v1/contracts/actions/createSkeleton", json={"datasetQualifiedName": ORDERS}
            )
            assert skeleton.status_code == 202, skeleton.text
            datasets = {
                d["qualifiedName"]: d for d in http.get("/_emulator/state").json()["datasets"]
            }
        assert set(datasets) == {CUSTOMERS, ORDERS}
        assert datasets[ORDERS]["connected"]
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0


def test_serve_refuses_a_contracts_folder_with_errors_and_names_them(tmp_path: Path) -> None:
    contracts = tmp_path / "contracts"
    _write_contract(contracts, ORDERS, "  - name: id\n")
    broken = contracts / "broken.yml"
    broken.write_text("dataset: [unclosed\n")
    result = CliRunner().invoke(main, ["emulator", "serve", "--datasets-from", str(contracts)])
    assert result.exit_code == 1
    assert f"{broken}:2:1: error: invalid YAML" in result.output
    assert f"1 error in {contracts}: the local Soda Cloud did not start" in result.output
    assert "Local Soda Cloud listening" not in result.output
    assert "Traceback" not in result.output


def test_a_bad_seed_is_one_clear_error_with_its_place(tmp_path: Path) -> None:
    seed = tmp_path / "seed.yml"
    seed.write_text("datasets:\n  - {qualified_name: just_a_table}\n")
    result = CliRunner().invoke(main, ["emulator", "serve", "--seed", str(seed)])
    assert result.exit_code == 1
    assert f"{seed}:2:22: datasets[0].qualified_name:" in result.output
    assert "Traceback" not in result.output


def test_a_port_in_use_is_reported_with_what_to_do() -> None:
    taken = bind_socket("127.0.0.1", 0)
    try:
        port = taken.getsockname()[1]
        result = CliRunner().invoke(main, ["emulator", "serve", "--port", str(port)])
    finally:
        taken.close()
    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.output
    assert "--port" in result.output


@needs_engine
def test_serve_reads_the_seeds_data_sources_and_says_what_it_found(
    tmp_path: Path, duckdb_shop: Path
) -> None:
    seed = tmp_path / "seed.yml"
    (tmp_path / "shop.yml").write_text(
        f"type: duckdb\nname: shop\nconnection:\n  database: {duckdb_shop}\n  read_only: true\n"
    )
    seed.write_text(
        "data_sources:\n  - shop.yml\n"
        f"  - {{type: duckdb, name: gone, connection: {{database: {tmp_path / 'gone.duckdb'}, "
        "read_only: true}}\n"
    )
    process = _serve("--seed", str(seed))
    try:
        banner = _banner(process)
        url = banner[0].rsplit(" ", 1)[-1]
        assert "  Data source shop (duckdb): 2 datasets; its scans run Soda's engine" in banner
        [gone] = [line for line in banner if line.startswith("  Data source gone")]
        assert "not reached (could not connect to data source 'gone': " in gone
        names = [d["qualifiedName"] for d in httpx.get(f"{url}/_emulator/state").json()["datasets"]]
        assert names == ["shop/main/customers", "shop/main/orders"]
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0
