from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from reconciler.state import DatasetRecord, StateFile, StateProject, Verification, soda_cloud_key
from tests.state.factories import dataset, record


def test_new_state_is_empty_at_serial_zero_with_a_fresh_lineage() -> None:
    first, second = StateFile.new(), StateFile.new()
    assert first.serial == 0
    assert dict(first.datasets) == {}
    assert uuid.UUID(first.lineage).version == 4
    assert first.lineage != second.lineage


def test_with_record_returns_a_new_state_and_leaves_the_original_alone() -> None:
    empty = StateFile.new()
    one = empty.with_record(dataset(1), record(1))
    assert dict(empty.datasets) == {}
    assert one.record(dataset(1)) == record(1)
    assert (one.lineage, one.serial) == (empty.lineage, empty.serial)

    replaced = one.with_record(dataset(1), record(2))
    assert replaced.record(dataset(1)) == record(2)
    assert one.record(dataset(1)) == record(1)


def test_with_record_of_an_equal_record_is_the_same_value() -> None:
    state = StateFile.new().with_record(dataset(1), record(1))
    assert state.with_record(dataset(1), record(1)) is state


def test_without_removes_one_record_and_ignores_unknown_datasets() -> None:
    state = StateFile.new().with_record(dataset(1), record(1)).with_record(dataset(2), record(2))
    fewer = state.without(dataset(1))
    assert list(fewer.datasets) == [dataset(2)]
    assert len(state.datasets) == 2
    assert fewer.without("no/such/dataset") is fewer


def test_states_are_frozen() -> None:
    state = StateFile.new()
    with pytest.raises(ValidationError):
        state.serial = 3  # type: ignore[misc]


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(ValidationError, match="Extra inputs"):
        StateFile.model_validate({"lineage": str(uuid.uuid4()), "owner": "me"})
    with pytest.raises(ValidationError, match="Extra inputs"):
        Verification.model_validate({"scan_id": "s", "state": "completed", "result": "ok"})


def test_lineage_must_be_a_uuid() -> None:
    with pytest.raises(ValidationError, match="lineage must be a UUID"):
        StateFile(lineage="main")


def test_applied_at_is_kept_in_utc_and_must_carry_a_zone() -> None:
    paris = timezone(timedelta(hours=2))
    data = record(1).model_dump() | {"applied_at": datetime(2026, 3, 1, 14, 0, tzinfo=paris)}
    assert DatasetRecord.model_validate(data).applied_at == datetime(
        2026, 3, 1, 12, 0, tzinfo=timezone.utc
    )
    assert DatasetRecord.model_validate(data).applied_at.utcoffset() == timedelta(0)
    with pytest.raises(ValidationError, match="timezone"):
        DatasetRecord.model_validate(data | {"applied_at": datetime(2026, 3, 1, 14, 0)})


def test_with_verification_replaces_only_the_verification() -> None:
    failed = Verification(scan_id="scan-9", state="completedWithFailures")
    updated = record(1).with_verification(failed)
    assert updated.last_verification == failed
    assert updated.model_copy(update={"last_verification": None}) == record(1).with_verification(
        None
    )


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("cloud.soda.io", "https://cloud.soda.io"),
        ("https://cloud.soda.io/", "HTTPS://Cloud.Soda.io:443"),
        ("http://127.0.0.1:8555", "http://127.0.0.1:41999"),
        ("local", "http://localhost:8555"),
        ("http://[::1]:9000", "local"),
    ],
)
def test_one_soda_cloud_however_it_is_written(one: str, other: str) -> None:
    assert soda_cloud_key(one) == soda_cloud_key(other)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("cloud.soda.io", "cloud.us.soda.io"),
        ("https://soda.example.com", "http://soda.example.com"),
        ("https://soda.example.com:8443", "https://soda.example.com"),
        ("local", "https://cloud.soda.io"),
    ],
)
def test_different_soda_clouds_are_told_apart(one: str, other: str) -> None:
    assert soda_cloud_key(one) != soda_cloud_key(other)


def test_a_project_is_its_folder_and_its_soda_cloud() -> None:
    here = StateProject(contracts="contracts", host="https://cloud.soda.io")
    assert here.same_as(StateProject(contracts="contracts", host="cloud.soda.io"))
    assert not here.same_as(StateProject(contracts="contracts", host="cloud.us.soda.io"))
    assert here.describe() == 'contracts folder "contracts" on https://cloud.soda.io'
