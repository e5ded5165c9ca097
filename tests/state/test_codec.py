from __future__ import annotations

import json
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.errors import StateCorrupt, StateError
from reconciler.state import (
    FORMAT_VERSION,
    DatasetRecord,
    StateFile,
    StateProject,
    Verification,
    decode,
    encode,
)
from tests.state.factories import APPLIED_AT, dataset, record

LINEAGE = "0b6f3c1e-6f1d-4a57-9a53-5a1f0c2a9b11"


def _canonical(data: bytes) -> bytes:
    """What sorted keys, two-space indent and a trailing newline look like, per the stdlib."""
    document = json.loads(data)
    return (json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()


def test_encoded_state_has_sorted_keys_two_space_indent_and_a_trailing_newline() -> None:
    state = StateFile(lineage=LINEAGE, serial=7).with_record(dataset(2), record(2))
    state = state.with_record(dataset(1), record(1, verified=False))
    data = encode(state)
    assert data == _canonical(data)
    assert data.endswith(b"}\n")
    assert b'\n  "datasets": {\n    "warehouse/analytics/public/table_00001": {\n' in data
    assert json.loads(data)["datasets"][dataset(1)]["last_verification"] is None


def test_the_same_content_encodes_to_the_same_bytes_whatever_the_insertion_order() -> None:
    forward = StateFile(lineage=LINEAGE)
    backward = StateFile(lineage=LINEAGE)
    for n in range(5):
        forward = forward.with_record(dataset(n), record(n))
        backward = backward.with_record(dataset(4 - n), record(4 - n))
    assert list(forward.datasets) != list(backward.datasets)
    assert encode(forward) == encode(backward)


def test_times_are_written_in_utc_with_a_z() -> None:
    data = json.loads(encode(StateFile(lineage=LINEAGE).with_record(dataset(1), record(1))))
    assert data["datasets"][dataset(1)]["applied_at"] == "2026-03-01T12:30:00Z"


text = st.text(st.characters(codec="utf-8"), max_size=20)
verifications = st.builds(
    Verification,
    cloud_url=st.none() | text,
    scan_id=text,
    state=text,
    time=st.none() | text,
)
records = st.builds(
    DatasetRecord,
    applied_at=st.datetimes(timezones=st.timezones()),
    checksum=st.none() | text,
    contract_id=text,
    dataset_id=text,
    last_updated=st.none() | text,
    last_verification=st.none() | verifications,
    raw_sha256=text,
    semantic_fingerprint=text,
    version_id=st.none() | text,
)
states = st.builds(
    StateFile,
    datasets=st.dictionaries(text, records, max_size=4),
    lineage=st.uuids(version=4).map(str),
    project=st.none() | st.builds(StateProject, contracts=text, host=text),
    serial=st.integers(min_value=0, max_value=2**53),
)


@settings(max_examples=60, deadline=None)
@given(states)
def test_any_state_round_trips_through_canonical_bytes(state: StateFile) -> None:
    data = encode(state)
    assert data == _canonical(data)
    assert decode(data, source="state.json") == state


# A state as the first released reconciler wrote it (format_version 1, no project).
VERSION_1 = f"""{{
  "datasets": {{
    "{dataset(1)}": {{
      "applied_at": "2026-03-01T12:30:00Z",
      "checksum": null,
      "contract_id": "contract-1",
      "dataset_id": "dataset-1",
      "last_updated": "2026-03-01T12:29:59.123Z",
      "last_verification": null,
      "raw_sha256": "aa",
      "semantic_fingerprint": "bb",
      "version_id": null
    }}
  }},
  "format_version": 1,
  "lineage": "{LINEAGE}",
  "pending": {{}},
  "serial": 7
}}
""".encode()


def test_a_state_of_format_version_1_is_read_and_written_back_in_the_current_version() -> None:
    old = decode(VERSION_1, source="state.json")
    assert (old.format_version, old.lineage, old.serial, old.project) == (1, LINEAGE, 7, None)
    assert old.record(dataset(1)) is not None
    written = json.loads(encode(old))
    assert written["format_version"] == FORMAT_VERSION == 2
    assert written["project"] is None
    assert decode(encode(old), source="state.json").same_content(old)


def test_the_project_is_written_between_pending_and_serial() -> None:
    project = StateProject(contracts="contracts", host="https://cloud.soda.io")
    data = encode(StateFile(lineage=LINEAGE, project=project))
    assert data == _canonical(data)
    assert (
        b'  "pending": {},\n  "project": {\n    "contracts": "contracts",\n'
        b'    "host": "https://cloud.soda.io"\n  },\n  "serial": 0\n' in data
    )
    assert decode(data, source="state.json").project == project


def _corrupt(data: bytes) -> StateError:
    with pytest.raises(StateError) as caught:
        decode(data, source="state.json")
    return caught.value


def test_invalid_json_is_corrupt_with_line_and_column() -> None:
    error = _corrupt(b'{\n  "format_version": 1,\n  "serial": 3,,\n}\n')
    assert isinstance(error, StateCorrupt)
    assert str(error).startswith("state.json:3:15: the state file is not valid JSON")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "state.json: the state file is empty"),
        (b"\xff\xfe{}", "state.json: the state file is not UTF-8 text"),
        (b"[1, 2]", "state.json: the state file must hold a JSON object"),
        (b'{"serial": 1}', "state.json: the state file has no integer 'format_version'"),
        (b'{"format_version": "1"}', "state.json: the state file has no integer 'format_version'"),
        (b'{"format_version": 0}', "state.json: unknown state format_version 0"),
    ],
)
def test_unusable_documents_are_corrupt(data: bytes, expected: str) -> None:
    error = _corrupt(data)
    assert isinstance(error, StateCorrupt)
    assert str(error).startswith(expected)


def test_a_bad_record_is_reported_with_its_dataset_field_and_line() -> None:
    state = StateFile(lineage=LINEAGE).with_record(dataset(1), record(1))
    state = state.with_record(dataset(2), record(2))
    document = json.loads(encode(state))
    del document["datasets"][dataset(2)]["contract_id"]
    error = _corrupt(_canonical(json.dumps(document).encode()))
    assert isinstance(error, StateCorrupt)
    line = (
        _canonical(json.dumps(document).encode())
        .decode()
        .splitlines()
        .index(f'    "{dataset(2)}": {{')
    )
    assert str(error) == (
        f'state.json:{line + 1}: datasets."{dataset(2)}".contract_id: Field required'
    )


def test_unknown_fields_in_the_file_are_corrupt_and_named() -> None:
    document = json.loads(encode(StateFile(lineage=LINEAGE)))
    document["owner"] = "someone"
    document["serial"] = -1
    error = _corrupt(json.dumps(document).encode())
    assert isinstance(error, StateCorrupt)
    assert "serial: Input should be greater than or equal to 0 (found -1)" in str(error)
    assert "(and 1 more problems)" in str(error)


def test_a_file_from_a_newer_reconciler_is_refused_as_such_not_as_corrupt() -> None:
    document = {"format_version": 3, "lineage": str(uuid.uuid4()), "serial": 1, "resources": []}
    error = _corrupt(json.dumps(document).encode())
    assert type(error) is StateError
    assert "made by a newer reconciler (format_version 3" in str(error)
    assert error.hint is not None
    assert "Upgrade" in error.hint


def test_a_valid_file_with_a_newer_shape_is_still_refused_by_version() -> None:
    data = encode(StateFile(lineage=LINEAGE)).replace(
        b'"format_version": 2', b'"format_version": 4'
    )
    assert type(_corrupt(data)) is StateError


def test_decoded_times_keep_their_instant() -> None:
    data = encode(StateFile(lineage=LINEAGE).with_record(dataset(1), record(1)))
    decoded = decode(data, source="s")
    found = decoded.record(dataset(1))
    assert found is not None
    assert found.applied_at == APPLIED_AT
