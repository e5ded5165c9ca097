"""A large organisation: 10,000 contracts, listed in 10 pages of 1000."""

from __future__ import annotations

import httpx

from reconciler.emulator import ContractSeed, DatasetSeed, EmulatorConfig, EmulatorFactory


def large_seed(count: int) -> EmulatorConfig:
    names = [f"warehouse/analytics/schema_{i // 500}/table_{i:05d}" for i in range(count)]
    return EmulatorConfig(
        datasets=[DatasetSeed(qualified_name=name) for name in names],
        contracts=[
            ContractSeed(dataset=name, contents=f"dataset: {name}\ncolumns: []\n") for name in names
        ],
    )


def test_ten_thousand_contracts_are_listed_in_ten_calls(start_emulator: EmulatorFactory) -> None:
    seed = large_seed(10_000)
    cloud = start_emulator(seed)
    seen: list[str] = []
    with httpx.Client(base_url=cloud.url, auth=cloud.auth) as http:
        for page in range(10):
            body = http.get("/api/v1/contracts", params={"size": 1000, "page": page}).json()
            assert (body["totalElements"], body["totalPages"], body["number"]) == (10_000, 10, page)
            assert body["last"] == (page == 9)
            seen.extend(item["datasetQualifiedName"] for item in body["content"])
    assert seen == [contract.dataset for contract in seed.contracts]  # creation order
    assert cloud.admin.stats().requests == {"GET /api/v1/contracts": 10}
