"""``make demo`` (interim): start the local Soda Cloud from ``demo/cloud-seed.yml``, show what
it holds, and run one verification scan to its end. Finishes in about a second, exits 0."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import httpx

from reconciler.emulator import RunningEmulator, load_seed
from reconciler.emulator.instants import parse_instant

SEED_NAME = Path("demo") / "cloud-seed.yml"
TIME_SCALE = 600.0  # a 10 s scan takes about 17 ms


def seed_path() -> Path:
    beside_package = Path(__file__).resolve().parents[1] / SEED_NAME
    return beside_package if beside_package.exists() else Path.cwd() / SEED_NAME


async def tour(cloud: RunningEmulator) -> None:
    async with httpx.AsyncClient(base_url=cloud.url, auth=cloud.auth, timeout=10) as http:
        listed = (await http.get("/api/v1/contracts", params={"size": 1000})).json()
        print(f"Contracts in the local Soda Cloud ({listed['totalElements']}):")
        for contract in listed["content"]:
            print(f"  {contract['datasetQualifiedName']:45} last updated {contract['lastUpdated']}")

        datasets = (await http.post("/v1/coverage/datasets", json={"size": 1000})).json()["data"]
        covered = {c["datasetId"] for c in listed["content"]}
        print(f"Datasets ({len(datasets)}), by data source:")
        for row in sorted(datasets, key=lambda r: (r["datasource_name"], r["dataset_label"])):
            mark = "contract" if row["dataset_id"] in covered else "no contract"
            agent = "" if row["datasource_has_core_agent_enabled"] else ", no agent"
            print(f"  {row['datasource_name']:10} {row['dataset_label']:45} {mark}{agent}")

        chosen = listed["content"][-1]
        started = await http.post(f"/api/v1/contracts/{chosen['id']}/verify")
        scan_id = started.headers["X-Soda-Scan-Id"]
        print(f"Verifying {chosen['datasetQualifiedName']} (scan {scan_id}):")
        while True:
            response = await http.get(f"/api/v1/scans/{scan_id}")
            scan = response.json()
            print(f"  {scan['state']}")
            hint = response.headers.get("X-Soda-Next-Poll-Time")
            if hint is None:
                break
            await cloud.clock.sleep(max(0.0, cloud.clock.seconds_until(parse_instant(hint))))
        print(
            f"  {scan['failures']} failures, {scan['warnings']} warnings, {scan['errors']} errors"
        )


def main() -> int:
    with RunningEmulator(load_seed(seed_path()), time_scale=TIME_SCALE) as cloud:
        print(f"Local Soda Cloud on {cloud.url} (API key id {cloud.api_key_id})")
        asyncio.run(tour(cloud))
    return 0


if __name__ == "__main__":
    sys.exit(main())
