"""The S3 state beyond the common contract: its lock object, locks it cannot judge, the
endpoint override, and what it says when S3 refuses or cannot be reached."""

from __future__ import annotations

import json
import socket

import pytest

from reconciler.errors import StateError, StateLocked, StateUnreachable
from reconciler.state.backend import BackendLock, StateKey, open_backend
from reconciler.state.backends.s3 import S3Backend
from reconciler.state.location import S3Url, parse_location
from tests import s3
from tests.s3 import S3Server
from tests.state.backends.conftest import Place

FOREIGN_LOCK = {
    "created": "2026-03-01T08:45:00Z",
    "host": "ci-runner-7",
    "id": "5d1e9f4e-0000-4000-8000-00000000abcd",
    "operation": "apply",
    "owner": "alice",
    "pid": 4242,
}


def _s3(url: str) -> S3Url:
    found = parse_location(url)
    assert isinstance(found, S3Url)
    return found


def _lock_key(place: Place) -> str:
    return _s3(place.url).key + ".lock"


def test_the_lock_is_an_object_beside_the_state_naming_its_holder(
    s3_place: Place, s3_server: S3Server
) -> None:
    url = _s3(s3_place.url)
    with S3Backend(url) as backend, BackendLock(backend, "apply") as lock:
        stored = s3_server.client().get_object(Bucket=url.bucket, Key=_lock_key(s3_place))
        recorded = json.loads(stored["Body"].read())
        assert lock.info is not None
        assert {name: recorded[name] for name in ("id", "owner", "host", "pid", "operation")} == {
            "id": lock.info.id,
            "owner": lock.info.owner,
            "host": lock.info.host,
            "pid": lock.info.pid,
            "operation": "apply",
        }


def test_a_lock_taken_on_another_host_is_never_taken_over_and_is_removed_by_its_id(
    s3_place: Place, s3_server: S3Server
) -> None:
    url = _s3(s3_place.url)
    s3_server.client().put_object(
        Bucket=url.bucket, Key=_lock_key(s3_place), Body=json.dumps(FOREIGN_LOCK).encode()
    )
    with S3Backend(url) as backend:
        with pytest.raises(StateLocked, match=r"locked by alice@ci-runner-7 \(pid 4242") as refused:
            BackendLock(backend, "apply").acquire()
        assert f"reconciler state unlock {FOREIGN_LOCK['id']}" in (refused.value.hint or "")

        removed = backend.unlock(str(FOREIGN_LOCK["id"]))

        assert removed.host == "ci-runner-7"
        assert backend.read_lock() is None


def test_an_object_in_the_locks_place_that_is_no_lock_refuses_saying_so(
    s3_place: Place, s3_server: S3Server
) -> None:
    url = _s3(s3_place.url)
    s3_server.client().put_object(Bucket=url.bucket, Key=_lock_key(s3_place), Body=b"not json")
    with S3Backend(url) as backend, pytest.raises(StateLocked) as refused:
        BackendLock(backend, "apply").acquire()
    assert "is not a lock written by reconciler" in refused.value.message


def test_the_endpoint_can_come_from_aws_endpoint_url(
    s3_place: Place, s3_server: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_server.endpoint)
    url = _s3(s3_place.url)
    plain = _s3(f"s3://{url.bucket}/{url.key}")
    with S3Backend(plain) as backend:
        backend.write(b"through the environment", expected=None)
        found = backend.read()
    assert found is not None
    assert found.data == b"through the environment"


def test_a_missing_bucket_is_named_and_no_secret_is_shown(
    s3_place: Place, s3_server: S3Server
) -> None:
    url = _s3(s3_server.url("no-such-bucket-here", "state.json"))
    with S3Backend(url) as backend, pytest.raises(StateError) as refused:
        backend.read()
    error = refused.value
    assert "the bucket no-such-bucket-here does not exist" in error.message
    assert s3.SECRET_ACCESS_KEY not in f"{error.message} {error.hint} {error!r}"


def test_an_unreachable_endpoint_is_named(s3_place: Place, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = _s3(f"s3://team-states/state.json?endpoint=http://127.0.0.1:{port}")
    with S3Backend(url) as backend, pytest.raises(StateUnreachable) as refused:
        backend.read()
    assert f"cannot reach S3 at http://127.0.0.1:{port}" in refused.value.message
    assert s3.SECRET_ACCESS_KEY not in refused.value.message


def test_without_credentials_the_aws_chain_is_named(
    s3_place: Place, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/config")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    backend = open_backend(s3_place.location, StateKey("any"))
    try:
        with pytest.raises(StateError, match="no AWS credentials were found") as refused:
            backend.read()
    finally:
        backend.close()
    assert "AWS_ACCESS_KEY_ID" in (refused.value.hint or "")
