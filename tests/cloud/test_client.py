"""The client against a real local Soda Cloud over HTTP: every operation and its errors."""

from __future__ import annotations

import pytest

from reconciler.clock import ManualClock
from reconciler.cloud.client import SodaCloudClient
from reconciler.emulator import ApiKey, EmulatorFactory, IncidentSeed, RunningEmulator
from reconciler.emulator.samples import (
    CUSTOMERS,
    EVENTS,
    ORDERS,
    RAW_CLICKS,
    SESSIONS,
    sample_config,
)
from reconciler.errors import BadRequest, DeadlineExceeded, Forbidden, NotFound, Unauthorized
from tests.cloud.support import bulk_seed, client_for, contract_text


async def test_list_contracts_reads_every_page_of_1000(start_emulator: EmulatorFactory) -> None:
    cloud = start_emulator(bulk_seed(2500, contracts=2500))
    async with client_for(cloud) as client:
        contracts = await client.list_contracts()
    assert len(contracts) == 2500
    assert len({c.dataset_qualified_name for c in contracts}) == 2500
    assert cloud.admin.stats().count("GET /api/v1/contracts") == 3
    assert client.stats.calls  # counted on our side too


async def test_create_get_publish_and_versions_round_trip(emulator: RunningEmulator) -> None:
    async with client_for(emulator) as client:
        created = await client.create_contract(ORDERS, contract_text(ORDERS))
        assert not created.existed
        assert created.contract.dataset_qualified_name == ORDERS
        fetched = await client.get_contract(created.contract.id)
        assert fetched.contents == contract_text(ORDERS)
        published = await client.publish_contract(
            created.contract.id, contract_text(ORDERS, threshold=5)
        )
        assert published.contract.last_updated != created.contract.last_updated
        versions = await client.list_versions(created.contract.id)
        assert [v.contents for v in versions] == [
            contract_text(ORDERS, threshold=5),
            contract_text(ORDERS),
        ]
        latest = await client.latest_version(created.contract.id)
        assert latest is not None
        assert latest.id == versions[0].id
        assert latest.checksum
        found = await client.find_contract(ORDERS)
        assert found is not None
        assert found.id == created.contract.id
        assert await client.find_contract(SESSIONS) is None


async def test_versions_are_read_across_pages_newest_first(emulator: RunningEmulator) -> None:
    async with client_for(emulator) as client:
        created = await client.create_contract(ORDERS, contract_text(ORDERS))
        for threshold in range(1, 25):
            await client.publish_contract(
                created.contract.id, contract_text(ORDERS, threshold=threshold)
            )
        versions = [v async for v in client.iter_versions(created.contract.id, page_size=10)]
    assert len(versions) == 25
    assert versions[0].contents == contract_text(ORDERS, threshold=24)
    assert versions[-1].contents == contract_text(ORDERS)
    assert len({v.id for v in versions}) == 25


async def test_second_create_uses_the_existing_contract(emulator: RunningEmulator) -> None:
    async with client_for(emulator) as client:
        created = await client.create_contract(CUSTOMERS, contract_text(CUSTOMERS))
    assert created.existed
    state = emulator.admin.state()
    assert [c.dataset for c in state.contracts].count(CUSTOMERS) == 1
    assert created.contract.id == state.contract_for(CUSTOMERS).id  # type: ignore[union-attr]


async def test_create_for_an_unknown_dataset_says_soda_cloud_does_not_know_it(
    emulator: RunningEmulator,
) -> None:
    async with client_for(emulator) as client:
        with pytest.raises(NotFound) as caught:
            await client.create_contract("warehouse/nope/x/y", contract_text("warehouse/nope/x/y"))
    error = caught.value
    assert error.status == 404
    assert error.trace_id
    assert error.trace_id in str(error)
    assert error.hint is not None
    assert "does not know the dataset warehouse/nope/x/y" in error.hint


async def test_publish_of_an_invalid_contract_is_a_bad_request_with_the_place(
    emulator: RunningEmulator,
) -> None:
    async with client_for(emulator) as client:
        contract = await client.find_contract(CUSTOMERS)
        assert contract is not None
        with pytest.raises(BadRequest) as caught:
            await client.publish_contract(contract.id, f"dataset: {CUSTOMERS}\ncolumns: [\n")
    assert caught.value.status == 400
    assert "line" in str(caught.value)


async def test_a_viewer_key_is_forbidden_to_write(start_emulator: EmulatorFactory) -> None:
    seed = sample_config().model_copy(
        update={
            "api_keys": [
                ApiKey(id="admin", secret="a-secret"),
                ApiKey(id="ro", secret="ro-secret", role="viewer"),
            ]
        }
    )
    cloud = start_emulator(seed)
    async with client_for(cloud, key=("ro", "ro-secret")) as client:
        assert len(await client.list_contracts()) == 1
        with pytest.raises(Forbidden) as caught:
            await client.create_contract(ORDERS, contract_text(ORDERS))
    assert caught.value.hint is not None
    assert "Manage contracts" in caught.value.hint


async def test_a_wrong_key_is_unauthorized_and_names_the_variables(
    emulator: RunningEmulator,
) -> None:
    async with client_for(emulator, key=("local", "wrong-secret")) as client:
        with pytest.raises(Unauthorized) as caught:
            await client.list_contracts()
    assert caught.value.status == 401
    assert caught.value.hint is not None
    assert "SODA_CLOUD_API_KEY_ID" in caught.value.hint
    assert "wrong-secret" not in str(caught.value)


async def test_skeleton_operation_is_followed_to_a_generated_contract(
    emulator: RunningEmulator,
) -> None:
    async with client_for(emulator) as client:
        started = await client.create_skeleton(ORDERS)
        assert started.operation_id is not None
        assert started.lost_answers == 0
        status = await client.wait_skeleton(started.operation_id)
        assert status.state == "completed"
        contract = await client.find_contract(ORDERS)
    assert contract is not None
    assert contract.contents is not None
    assert "customer_id" in contract.contents


async def test_skeleton_for_a_disconnected_dataset_is_refused(emulator: RunningEmulator) -> None:
    async with client_for(emulator) as client:
        with pytest.raises(BadRequest):
            await client.create_skeleton(RAW_CLICKS)
    assert emulator.admin.stats().count("POST /api/v1/contracts/actions/createSkeleton") == 1


async def test_generate_leaves_out_ineligible_datasets_and_follows_the_rest(
    emulator: RunningEmulator,
) -> None:
    async with client_for(emulator) as client:
        started = await client.generate([ORDERS, RAW_CLICKS, CUSTOMERS, EVENTS])
        assert set(started.refused) == {RAW_CLICKS, CUSTOMERS}
        assert "not connected" in started.refused[RAW_CLICKS]
        assert started.asked == (ORDERS, EVENTS)
        assert started.operation_id is not None
        status = await client.wait_generate(started.operation_id)
    assert emulator.admin.stats().count("POST /api/v1/contracts/actions/generate") == 2
    assert status.state == "completed"
    assert status.datasets is not None
    assert {d.dataset_qualified_name for d in status.datasets} == {ORDERS, EVENTS}
    assert all(d.scan_id for d in status.datasets)


@pytest.mark.parametrize(
    ("outcome", "passed"),
    [
        ("completed", True),
        ("completedWithWarnings", True),
        ("completedWithFailures", False),
        ("failed", False),
    ],
)
async def test_verification_is_polled_to_its_final_state(
    emulator: RunningEmulator, outcome: str, passed: bool
) -> None:
    emulator.admin.set_scan_outcomes({CUSTOMERS: outcome})  # type: ignore[dict-item]
    async with client_for(emulator) as client:
        contract = await client.find_contract(CUSTOMERS)
        assert contract is not None
        scan_id = (await client.verify(contract.id)).scan_id
        status = await client.wait_scan(scan_id)
        logs = await client.scan_logs(scan_id)
    assert status.state == outcome
    assert status.passed is passed
    assert status.cloud_url
    assert logs
    if not passed:
        assert any(line.level == "error" for line in logs)


async def test_a_scan_past_its_deadline_is_canceled(start_emulator: EmulatorFactory) -> None:
    clock = ManualClock()
    cloud = start_emulator(clock=clock)
    async with client_for(cloud) as client:
        contract = await client.find_contract(CUSTOMERS)
        assert contract is not None
        scan_id = (await client.verify(contract.id)).scan_id
        with pytest.raises(DeadlineExceeded, match="canceled"):
            await client.wait_scan(scan_id, deadline=1.5)
    scans = {s.id: s for s in cloud.admin.state().scans}
    assert scans[scan_id].canceled
    assert cloud.admin.stats().count("DELETE /api/v1/scans/{scanId}") == 1


async def test_cancel_of_a_finished_scan_is_not_an_error(emulator: RunningEmulator) -> None:
    async with client_for(emulator) as client:
        contract = await client.find_contract(CUSTOMERS)
        assert contract is not None
        scan_id = (await client.verify(contract.id)).scan_id
        await client.wait_scan(scan_id)
        assert await client.cancel_scan(scan_id) is False


async def test_reporting_api_calls(start_emulator: EmulatorFactory) -> None:
    seed = sample_config().model_copy(
        update={
            "incidents": [IncidentSeed(title="Null emails", dataset=CUSTOMERS, severity="critical")]
        }
    )
    cloud = start_emulator(seed)
    async with client_for(cloud) as client:
        datasets = await client.coverage_datasets()
        checks = await client.coverage_checks()
        coverage = await client.dataset_coverage()
        incidents = await client.incidents()
        assert datasets is not None
        assert {d.dataset_name for d in datasets} >= {"customers", "orders"}
        assert checks is not None
        assert checks
        assert coverage is not None
        assert incidents is not None
        assert [(i.title, i.severity) for i in incidents] == [("Null emails", "critical")]
        cloud.admin.set_reporting_ready(False)
        assert await client.coverage_datasets() is None
        assert await client.incidents() is None


async def test_client_repr_and_errors_never_show_the_secret(emulator: RunningEmulator) -> None:
    client: SodaCloudClient = client_for(emulator)
    async with client:
        assert emulator.api_key_secret not in repr(client)
        assert emulator.api_key_secret not in repr(client.settings)
