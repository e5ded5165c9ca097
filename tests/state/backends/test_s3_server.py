"""What the tests' S3 server (moto, ``tests/s3.py``) honours of S3's conditional requests: the
S3 state's guarantees rest on these, so a moto that stopped honouring one fails here by name
rather than letting the contract tests pass for the wrong reason. docs/state-backends.md
lists them with the moto version checked."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from botocore.exceptions import ClientError

from tests.s3 import S3Server

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

STALE = '"00000000000000000000000000000000"'


@pytest.fixture
def client(s3_server: S3Server) -> S3Client:
    return s3_server.client()


@pytest.fixture
def bucket_with_object(s3_server: S3Server, client: S3Client) -> tuple[str, str]:
    bucket = s3_server.create_bucket("checks")
    etag = client.put_object(Bucket=bucket, Key="object", Body=b"first")["ETag"]
    return bucket, etag


def _status(error: pytest.ExceptionInfo[ClientError]) -> int:
    return error.value.response["ResponseMetadata"]["HTTPStatusCode"]


def _body(client: S3Client, bucket: str) -> bytes:
    return client.get_object(Bucket=bucket, Key="object")["Body"].read()


def test_put_with_if_none_match_star_is_refused_412_when_the_key_exists(
    client: S3Client, bucket_with_object: tuple[str, str]
) -> None:
    bucket, _ = bucket_with_object
    with pytest.raises(ClientError) as refused:
        client.put_object(Bucket=bucket, Key="object", Body=b"second", IfNoneMatch="*")
    assert _status(refused) == 412
    assert _body(client, bucket) == b"first"
    client.put_object(Bucket=bucket, Key="new", Body=b"created", IfNoneMatch="*")


def test_put_with_if_match_on_a_stale_etag_is_refused_412(
    client: S3Client, bucket_with_object: tuple[str, str]
) -> None:
    bucket, etag = bucket_with_object
    with pytest.raises(ClientError) as refused:
        client.put_object(Bucket=bucket, Key="object", Body=b"second", IfMatch=STALE)
    assert _status(refused) == 412
    assert _body(client, bucket) == b"first"
    client.put_object(Bucket=bucket, Key="object", Body=b"second", IfMatch=etag)
    assert _body(client, bucket) == b"second"


def test_put_with_if_match_on_a_missing_key_is_refused_404(
    client: S3Client, bucket_with_object: tuple[str, str]
) -> None:
    bucket, etag = bucket_with_object
    with pytest.raises(ClientError) as refused:
        client.put_object(Bucket=bucket, Key="missing", Body=b"x", IfMatch=etag)
    assert _status(refused) == 404


def test_delete_with_if_match_on_a_stale_etag_is_refused_412_and_keeps_the_object(
    client: S3Client, bucket_with_object: tuple[str, str]
) -> None:
    bucket, etag = bucket_with_object
    with pytest.raises(ClientError) as refused:
        client.delete_object(Bucket=bucket, Key="object", IfMatch=STALE)
    assert _status(refused) == 412
    assert _body(client, bucket) == b"first"
    client.delete_object(Bucket=bucket, Key="object", IfMatch=etag)
    with pytest.raises(ClientError):
        _body(client, bucket)


def test_get_and_head_with_if_match_on_a_stale_etag_are_refused_412(
    client: S3Client, bucket_with_object: tuple[str, str]
) -> None:
    bucket, _ = bucket_with_object
    with pytest.raises(ClientError) as refused:
        client.get_object(Bucket=bucket, Key="object", IfMatch=STALE)
    assert _status(refused) == 412
    with pytest.raises(ClientError) as refused:
        client.head_object(Bucket=bucket, Key="object", IfMatch=STALE)
    assert _status(refused) == 412
