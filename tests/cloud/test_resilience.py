"""Rate limits and faults: the client finishes, trips no limit it knows, and lands every
write exactly once, counted on the local Soda Cloud."""

from __future__ import annotations

import asyncio
import logging

import pytest

from reconciler.clock import ManualClock
from reconciler.cloud.client import SodaCloudClient
from reconciler.cloud.http import Wait
from reconciler.emulator import EmulatorFactory, RunningEmulator
from reconciler.emulator.samples import CUSTOMERS, EVENTS, ORDERS
from reconciler.errors import RetriesExhausted
from tests.cloud.support import bulk_seed, client_for, contract_text, dataset_name

LIST, CREATE, PUBLISH, VERIFY = (
    "GET /api/v1/contracts",
    "POST /api/v1/contracts",
    "POST /api/v1/contracts/{contractId}",
    "POST /api/v1/contracts/{contractId}/verify",
)
SKELETON = "POST /api/v1/contracts/actions/createSkeleton"


async def publish_and_verify(client: SodaCloudClient, publishes: int, verifies: int) -> None:
    contracts = {c.dataset_qualified_name: c for c in await client.list_contracts()}
    names = [dataset_name(i) for i in range(publishes)]
    await asyncio.gather(
        *(client.publish_contract(contracts[n].id, contract_text(n, threshold=1)) for n in names)
    )
    scans = await asyncio.gather(*(client.verify(contracts[n].id) for n in names[:verifies]))
    await asyncio.gather(*(client.wait_scan(s.scan_id) for s in scans))


async def test_documented_limits_are_never_exceeded(start_emulator: EmulatorFactory) -> None:
    cloud = start_emulator(bulk_seed(5000, contracts=5000))
    waits: list[Wait] = []
    async with client_for(cloud, report_wait=waits.append) as client:
        await publish_and_verify(client, publishes=150, verifies=25)
    stats = cloud.admin.stats()
    assert stats.throttled == {}
    assert sum(client.stats.throttled.values()) == 0
    assert stats.count(LIST) == 5
    assert stats.count(PUBLISH) == 150
    assert stats.count(VERIFY) == 25
    # The user heard about the long waits, in words.
    assert any("verify is limited to 10 per minute" in w.describe() for w in waits)
    assert any("publish is limited to 100 per minute" in w.describe() for w in waits)


async def test_halved_server_limits_are_survived_through_429s(
    start_emulator: EmulatorFactory,
) -> None:
    # A manual clock: the 120 publishes meet the halved limit however slowly the machine runs.
    cloud = start_emulator(bulk_seed(200, contracts=200), clock=ManualClock())
    cloud.admin.set_limits(multiplier=0.5)
    async with client_for(cloud) as client:
        await publish_and_verify(client, publishes=120, verifies=12)
    stats = cloud.admin.stats()
    assert sum(stats.throttled.values()) > 0
    assert sum(client.stats.throttled.values()) == sum(stats.throttled.values())
    versions = {c.dataset: c.versions for c in cloud.admin.state().contracts}
    assert all(versions[dataset_name(i)] == 2 for i in range(120))
    assert all(versions[dataset_name(i)] == 1 for i in range(120, 200))


async def test_every_write_lands_exactly_once_under_faults(start_emulator: EmulatorFactory) -> None:
    cloud = start_emulator(bulk_seed(240, contracts=120))
    cloud.admin.set_faults(error_rate=0.05, lost_response_rate=0.05, reset_rate=0.02, seed=11)
    # At time scale 600 a real second is ten clock minutes: give retries room.
    async with client_for(cloud, retry_deadline=1e6) as client:
        contracts = {c.dataset_qualified_name: c for c in await client.list_contracts()}
        to_create = [dataset_name(i) for i in range(120, 240)]
        to_publish = [dataset_name(i) for i in range(120)]
        await asyncio.gather(
            *(client.create_contract(n, contract_text(n)) for n in to_create),
            *(
                client.publish_contract(contracts[n].id, contract_text(n, threshold=3))
                for n in to_publish
            ),
        )
        # Reads under the same faults are retried until they succeed.
        assert len(await client.list_contracts()) == 240
    stats = cloud.admin.stats()
    assert stats.faults, "the faults must really have fired"
    state = cloud.admin.state()
    datasets = [c.dataset for c in state.contracts]
    assert len(datasets) == len(set(datasets)) == 240
    by_dataset = {c.dataset: c for c in state.contracts}
    for name in to_create:
        assert by_dataset[name].versions == 1
        assert by_dataset[name].contents == contract_text(name)
    for name in to_publish:
        assert by_dataset[name].versions == 2, name
        assert by_dataset[name].contents == contract_text(name, threshold=3)


async def test_a_verify_whose_answer_was_lost_is_asked_again(
    start_emulator: EmulatorFactory,
) -> None:
    clock = ManualClock()
    cloud = start_emulator(clock=clock)
    async with client_for(cloud) as client:
        contract = await client.find_contract(CUSTOMERS)
        assert contract is not None
        # Every POST does its work and loses its answer: each verify starts a scan unheard.
        cloud.admin.set_faults(lost_response_rate=1.0, seed=1)
        with pytest.raises(RetriesExhausted) as caught:
            await client.verify(contract.id)
        attempts = cloud.admin.stats().count(VERIFY)
        assert attempts == caught.value.attempts > 1
        assert caught.value.causes == {"connection closed before an answer": attempts}
        cloud.admin.set_faults(lost_response_rate=0.5, seed=4)
        started = await client.verify(contract.id)
        assert started.repeated
        cloud.admin.set_faults()
        assert (await client.wait_scan(started.scan_id)).state == "completed"
        assert not (await client.verify(contract.id)).repeated
    # The repeats kept to the documented 10 a minute.
    assert sum(cloud.admin.stats().throttled.values()) == 0


async def test_a_verify_answered_5xx_is_asked_again(start_emulator: EmulatorFactory) -> None:
    cloud = start_emulator(clock=ManualClock())
    async with client_for(cloud) as client:
        contract = await client.find_contract(CUSTOMERS)
        assert contract is not None
        cloud.admin.set_faults(error_rate=0.6, seed=3)
        started = await client.verify(contract.id)
        before = cloud.admin.stats().count(VERIFY)
        cloud.admin.set_faults()
    assert before > 1, "the schedule must have failed at least the first attempt"
    assert started.repeated
    scans = [s for s in cloud.admin.state().scans if s.dataset == CUSTOMERS]
    assert started.scan_id in {s.id for s in scans}


async def test_a_skeleton_whose_answer_was_lost_is_found_not_asked_twice(
    start_emulator: EmulatorFactory,
) -> None:
    cloud = start_emulator(clock=ManualClock())
    async with client_for(cloud) as client:
        cloud.admin.set_faults(lost_response_rate=1.0, seed=1)
        # The first request starts the generation and loses its answer; the client then looks,
        # asks again and hears "in progress" until the contract appears.
        try:
            started = await client.create_skeleton(ORDERS)
        finally:
            cloud.admin.set_faults()
    stats = cloud.admin.stats()
    assert started.operation_id is None
    assert started.contract is not None
    assert started.lost_answers >= 1
    assert "customer_id" in (started.contract.contents or "")
    contracts = [c for c in cloud.admin.state().contracts if c.dataset == ORDERS]
    assert len(contracts) == 1
    assert contracts[0].versions == 1
    assert stats.count(SKELETON) >= 2  # asked again, and told one is in progress


async def test_a_skeleton_answered_5xx_is_asked_again(start_emulator: EmulatorFactory) -> None:
    cloud = start_emulator(clock=ManualClock())
    async with client_for(cloud) as client:
        cloud.admin.set_faults(error_rate=0.7, seed=3)
        try:
            started = await client.create_skeleton(ORDERS)
        finally:
            cloud.admin.set_faults()
        assert started.operation_id is not None
        assert (await client.wait_skeleton(started.operation_id)).state == "completed"
    assert cloud.admin.stats().count(SKELETON) > 1


async def test_a_generation_whose_answer_was_lost_finds_what_it_made(
    start_emulator: EmulatorFactory,
) -> None:
    cloud = start_emulator(clock=ManualClock())
    async with client_for(cloud) as client:
        cloud.admin.set_faults(lost_response_rate=1.0, seed=1)
        try:
            started = await client.generate([ORDERS, EVENTS])
        finally:
            cloud.admin.set_faults()
    assert started.operation_id is None
    assert set(started.found) == {ORDERS, EVENTS}
    assert started.lost_answers > 1
    datasets = [c.dataset for c in cloud.admin.state().contracts]
    assert datasets.count(ORDERS) == datasets.count(EVENTS) == 1


async def test_the_secret_appears_in_no_output_log_or_error(
    emulator: RunningEmulator,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    request: pytest.FixtureRequest,
) -> None:
    secret = emulator.api_key_secret
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="reconciler")
    # The CLI stops the reconciler's records from reaching the root logger; hear them directly.
    reconciler_logger = logging.getLogger("reconciler")
    reconciler_logger.addHandler(caplog.handler)
    request.addfinalizer(lambda: reconciler_logger.removeHandler(caplog.handler))
    emulator.admin.set_faults(error_rate=0.2, lost_response_rate=0.2, reset_rate=0.1, seed=3)
    texts: list[str] = []
    async with client_for(emulator) as client:
        for attempt in range(6):
            try:
                await client.create_contract(
                    dataset_name(attempt), contract_text(dataset_name(attempt))
                )
            except Exception as error:  # every error the client can raise
                texts += [str(error), repr(error), str(getattr(error, "hint", ""))]
        async with client_for(emulator, key=("local", secret + "-wrong")) as bad:
            try:
                await bad.list_contracts()
            except Exception as error:
                texts += [str(error), repr(error)]
    captured = capsys.readouterr()
    everything = "\n".join([caplog.text, captured.out, captured.err, *texts])
    assert "GET /api/v1/contracts" in caplog.text  # debug logging really ran
    assert secret not in everything
    assert "Authorization" not in everything


async def test_an_unavailable_reporting_api_is_given_up_on_sooner_than_the_core_api(
    emulator: RunningEmulator,
) -> None:
    emulator.admin.set_faults(error_rate=1.0, seed=5)
    async with client_for(emulator, reporting_deadline=30.0) as client:
        with pytest.raises(RetriesExhausted, match="retry budget 30 s"):
            await client.coverage_datasets()
        reporting_attempts = sum(client.stats.calls.values())
    # Full-jitter backoff capped at 30 s: a 30 s deadline allows only a few attempts.
    assert 1 < reporting_attempts < 15
