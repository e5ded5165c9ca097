"""A state in S3: one object, a backup object beside it, and a lock object made by a
conditional write.

Objects, for the state URL ``s3://BUCKET/KEY``:

- ``KEY``: the document. Its ETag is the version token. The first write is a ``PutObject``
  with ``If-None-Match: *`` (only if there is none), every later one ``If-Match: <ETag
  read>``: S3 applies the condition atomically, so of two runs that read the same version at
  most one writes over it; the other gets 412 and writes nothing (:class:`StateConflict`).
- ``KEY.backup``: the document as it was before the last write, put just before that write
  (so the backup is never newer than the state). A bucket with versioning keeps older
  versions besides; nothing here needs it.
- ``KEY.lock``: the lock, a small JSON object naming its holder, created with
  ``If-None-Match: *``: exactly one runner creates it. Its holder deletes it with ``If-Match``
  on the ETag it created, after reading it back to check it is still its own; a server that
  ignores ``If-Match`` on ``DeleteObject`` leaves the race of a lock replaced between that
  read and the delete (``docs/state-backends.md``).

S3 cannot tell whether a holder on another machine still runs: such a lock is reported with
its holder and removed by hand (``state unlock ID``). One taken on this host by a process that
is provably gone is taken over, as for the local file.

Credentials come from the usual AWS chain (environment, profile, role); the URL holds none.
``?endpoint=`` or ``AWS_ENDPOINT_URL`` (``AWS_ENDPOINT_URL_S3``) points at an S3-compatible
server, addressed path-style.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import boto3
import botocore.session
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    PartialCredentialsError,
    ReadTimeoutError,
)
from botocore.loaders import Loader, create_loader
from pydantic import ValidationError

from reconciler.clock import Clock, SystemClock
from reconciler.errors import StateConflict, StateError, StateLocked, StateUnreachable
from reconciler.state.backend import Acquired, Document, Held, lost_lock, unlock_hint
from reconciler.state.location import S3Url, redact, scrub
from reconciler.state.lock import HolderStatus, Liveness, LockInfo, holder_status

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

T = TypeVar("T")

_ATTEMPTS = 20
_SECRET_VARIABLES = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")
_CREDENTIAL_CODES = frozenset(
    {"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken"}
)
_CREDENTIALS_HINT = (
    "Check the AWS credentials (the usual chain: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
    "AWS_PROFILE, or the runner's role) and that they allow s3:GetObject, s3:PutObject and "
    "s3:DeleteObject on the state's key and on its .lock and .backup objects, and "
    "s3:ListBucket on the bucket (without it S3 answers 403 for an object not made yet)."
)
_UNREACHABLE = (
    EndpointConnectionError,
    ConnectTimeoutError,
    ReadTimeoutError,
    ConnectionClosedError,
)


@dataclass(frozen=True)
class _Refused:
    """A request the server refused in a way the caller expects (412, 404, 409)."""

    status: int
    code: str


@dataclass(frozen=True)
class _LockObject:
    etag: str
    holder: LockInfo | None
    problem: str = ""  # why it names no holder


class S3Backend:
    """The state at ``url`` (see the module's docstring)."""

    def __init__(
        self, url: S3Url, *, clock: Clock | None = None, client: S3Client | None = None
    ) -> None:
        self.url = url
        self.clock: Clock = clock or SystemClock()
        self._client: S3Client = client or _client_for(url)
        self._backup_key = url.key + ".backup"
        self._lock_key = url.key + ".lock"
        # The version read or written last, with its bytes: the backup a write puts.
        self._last: tuple[str, bytes] | None = None
        self._holding: str | None = None  # the id of the lock this backend holds

    @property
    def location(self) -> str:
        return self.url.shown

    # -- the document ----------------------------------------------------------------------

    def read(self) -> Document | None:
        got = self._get(self.url.key, "reading the state")
        if isinstance(got, _Refused):
            return None
        self._last = got
        return Document(got[1], got[0])

    def write(self, data: bytes, *, expected: str | None) -> str:
        doing = "saving the state"
        if expected is None:
            put = self._attempt(
                doing,
                lambda: self._client.put_object(
                    Bucket=self.url.bucket, Key=self.url.key, Body=data, IfNoneMatch="*"
                ),
                refused=(409, 412),
            )
            if isinstance(put, _Refused):
                return self._conflict(data, "another run created it meanwhile")
        else:
            previous = self._previous(expected)
            if previous is None:
                return self._conflict(data, "another run saved it meanwhile")
            self._attempt(
                "saving the state's backup",
                lambda: self._client.put_object(
                    Bucket=self.url.bucket, Key=self._backup_key, Body=previous
                ),
            )
            put = self._attempt(
                doing,
                lambda: self._client.put_object(
                    Bucket=self.url.bucket, Key=self.url.key, Body=data, IfMatch=expected
                ),
                refused=(404, 409, 412),
            )
            if isinstance(put, _Refused):
                return self._conflict(data, "another run saved it meanwhile")
        self._last = (put["ETag"], data)
        return put["ETag"]

    def _previous(self, expected: str) -> bytes | None:
        """The bytes of version ``expected`` while it is still the current one, else None.

        Asked before anything is written, so that a run that lost the race leaves the backup
        alone: a stale run must not put an older document there.
        """
        if self._last is not None and self._last[0] == expected:
            current = self._attempt(
                "reading the state",
                lambda: self._client.head_object(
                    Bucket=self.url.bucket, Key=self.url.key, IfMatch=expected
                ),
                refused=(404, 412),
            )
            return None if isinstance(current, _Refused) else self._last[1]
        got = self._get(self.url.key, "reading the state", if_match=expected)
        return None if isinstance(got, _Refused) else got[1]

    def _conflict(self, data: bytes, what: str) -> str:
        """The version, when the state holds ``data`` all the same (a retried request whose
        first try got through); else :class:`StateConflict`."""
        current = self._get(self.url.key, "reading the state")
        if not isinstance(current, _Refused) and current[1] == data:
            self._last = current
            return current[0]
        raise StateConflict(
            f"{self.location}: the state changed since this run read it: {what}; this run "
            "did not write it",
            hint="Run the command again: it reads the new state. Runs that hold the lock "
            "never meet this; another run saved without it.",
        )

    def read_backup(self) -> bytes | None:
        got = self._get(self._backup_key, "reading the state's backup")
        return None if isinstance(got, _Refused) else got[1]

    # -- the lock --------------------------------------------------------------------------

    def try_lock(self, info: LockInfo) -> Acquired | Held:
        if self._holding is not None:
            raise RuntimeError(f"{self.location}: this backend already holds the lock")
        body = info.model_dump_json(indent=2).encode("utf-8") + b"\n"
        for _ in range(_ATTEMPTS):
            if self._create_lock(body):
                return self._took(info)
            found = self._lock_object()
            if found is None:
                continue  # released between our two requests: try again at once
            if found.holder is None:
                return Held(None, HolderStatus(Liveness.UNKNOWN, found.problem))
            if found.holder.id == info.id:
                return self._took(info)  # our create got through; its answer was lost
            status = holder_status(found.holder)
            if not status.gone:
                return Held(found.holder, status)
            if self._delete_lock(found.etag) and self._create_lock(body):
                return self._took(info, found.holder, status.reason)
        return Held(None, HolderStatus(Liveness.ALIVE, "the lock keeps changing hands"))

    def _took(self, info: LockInfo, replaced: LockInfo | None = None, reason: str = "") -> Acquired:
        self._holding = info.id
        return Acquired(replaced, reason)

    def _create_lock(self, body: bytes) -> bool:
        created = self._attempt(
            "taking the state lock",
            lambda: self._client.put_object(
                Bucket=self.url.bucket,
                Key=self._lock_key,
                Body=body,
                IfNoneMatch="*",
                ContentType="application/json",
            ),
            refused=(409, 412),
        )
        return not isinstance(created, _Refused)

    def _lock_object(self) -> _LockObject | None:
        got = self._get(self._lock_key, "reading the state lock")
        if isinstance(got, _Refused):
            return None
        etag, data = got
        try:
            return _LockObject(etag, LockInfo.model_validate_json(data))
        except ValidationError:
            return _LockObject(
                etag,
                None,
                f"s3://{self.url.bucket}/{self._lock_key} is not a lock written by reconciler",
            )

    def _delete_lock(self, etag: str) -> bool:
        """Delete the lock object if it is still version ``etag``."""
        deleted = self._attempt(
            "removing the state lock",
            lambda: self._client.delete_object(
                Bucket=self.url.bucket, Key=self._lock_key, IfMatch=etag
            ),
            refused=(404, 412),
        )
        return not isinstance(deleted, _Refused)

    def check_lock(self, info: LockInfo) -> None:
        found = self._lock_object() if self._holding == info.id else None
        if found is None or found.holder is None or found.holder.id != info.id:
            taker = found.holder if found is not None else None
            raise lost_lock(self.location, info, self.clock.now(), taker)

    def release_lock(self, info: LockInfo) -> bool:
        if self._holding != info.id:
            return False
        self._holding = None
        found = self._lock_object()
        if found is None or found.holder is None or found.holder.id != info.id:
            return False
        return self._delete_lock(found.etag)

    def read_lock(self) -> Held | None:
        found = self._lock_object()
        if found is None:
            return None
        if found.holder is None:
            return Held(None, HolderStatus(Liveness.UNKNOWN, found.problem))
        return Held(found.holder, holder_status(found.holder))

    def unlock(self, lock_id: str, *, force: bool = False) -> LockInfo:
        now = self.clock.now()
        found = self._lock_object()
        if found is None:
            raise StateError(
                f"{self.location}: the state is not locked (there is no "
                f"s3://{self.url.bucket}/{self._lock_key})",
                hint="Nothing to unlock; run the command that reported the lock again.",
            )
        holder = found.holder
        if holder is None:
            raise StateLocked(
                f"{self.location}: the state is locked, but {found.problem}",
                hint=f"If no run is active, delete s3://{self.url.bucket}/{self._lock_key}.",
            )
        status = holder_status(holder)
        if holder.id != lock_id:
            raise StateLocked(
                f"{self.location}: the lock is not {lock_id}: it is {holder.id}, held by "
                f"{holder.describe(now)}",
                hint=unlock_hint(holder, status),
            )
        if status.liveness is Liveness.ALIVE and not force:
            raise StateLocked(
                f"{self.location}: the lock {lock_id} is held by {holder.describe(now)}, and "
                f"that run is still going: {status.reason}",
                hint="Wait for it to finish. To remove its lock all the same, add --force: "
                "that run then stops at its next save of the state.",
            )
        if not self._delete_lock(found.etag):
            raise StateLocked(
                f"{self.location}: the lock {lock_id} changed hands while it was being removed",
                hint="Run `reconciler state show` to see who holds it now.",
            )
        return holder

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> S3Backend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- requests --------------------------------------------------------------------------

    def _get(
        self, key: str, doing: str, *, if_match: str | None = None
    ) -> tuple[str, bytes] | _Refused:
        """An object's ETag and bytes; refused (404, or 412 for ``if_match``) is returned."""

        def get() -> tuple[str, bytes]:
            if if_match is None:
                answer = self._client.get_object(Bucket=self.url.bucket, Key=key)
            else:
                answer = self._client.get_object(Bucket=self.url.bucket, Key=key, IfMatch=if_match)
            return answer["ETag"], answer["Body"].read()

        return self._attempt(doing, get, refused=(404, 412))

    def _attempt(
        self, doing: str, request: Callable[[], T], *, refused: Collection[int] = ()
    ) -> T | _Refused:
        """``request()``, with S3's failures said as state errors; the statuses in
        ``refused`` are returned instead, for the caller to judge."""
        try:
            return request()
        except ClientError as error:
            status, code = _status(error)
            if status in refused and code != "NoSuchBucket":
                return _Refused(status, code)
            raise self._refusal(doing, error) from None
        except (NoCredentialsError, PartialCredentialsError):
            raise StateError(
                f"{self.location}: no AWS credentials were found for {doing}",
                hint=_CREDENTIALS_HINT,
            ) from None
        except _UNREACHABLE as error:
            raise StateUnreachable(
                f"{self.location}: cannot reach S3 at {self._endpoint} while {doing} "
                f"({self._scrub(error)})",
                hint="Check the network, and the endpoint (?endpoint= in the URL, or "
                "AWS_ENDPOINT_URL); re-running is safe.",
            ) from None
        except BotoCoreError as error:
            raise StateError(
                f"{self.location}: {doing} failed: {self._scrub(error)}",
                hint="Re-running is safe: a save either happened whole or not at all.",
            ) from None

    def _refusal(self, doing: str, error: ClientError) -> StateError:
        status, code = _status(error)
        answer: Any = error.response
        message = self._scrub(answer.get("Error", {}).get("Message") or "")
        request_id = answer.get("ResponseMetadata", {}).get("RequestId")
        said = f"S3 answered {status} {code}" + (f" ({message})" if message else "")
        if request_id:
            said += f", request id {request_id}"
        if code == "NoSuchBucket":
            return StateError(
                f"{self.location}: the bucket {self.url.bucket} does not exist ({said})",
                hint="Create the bucket, or fix the bucket in the state's URL.",
            )
        if status == 403 or code in _CREDENTIAL_CODES:
            return StateError(f"{self.location}: {said} to {doing}", hint=_CREDENTIALS_HINT)
        if status >= 500:
            return StateUnreachable(
                f"{self.location}: {said} to {doing}",
                hint="S3 had a server error; re-running is safe.",
            )
        return StateError(
            f"{self.location}: {said} to {doing}",
            hint="Re-running is safe: a save either happened whole or not at all.",
        )

    @property
    def _endpoint(self) -> str:
        return redact(self._client.meta.endpoint_url)

    def _scrub(self, text: object) -> str:
        return scrub(str(text), (os.environ.get(name) for name in _SECRET_VARIABLES))


def _status(error: ClientError) -> tuple[int, str]:
    answer: Any = error.response
    status = int(answer.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    return status, str(answer.get("Error", {}).get("Code") or status)


def _client_for(url: S3Url) -> S3Client:
    """A client from the usual AWS chain; path-style for an S3-compatible endpoint."""
    overridden = url.endpoint or any(
        os.environ.get(name) for name in ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL")
    )
    options: dict[str, Any] = {
        "connect_timeout": 10,
        "read_timeout": 60,
        "retries": {"mode": "standard"},
    }
    if overridden:
        options["s3"] = {"addressing_style": "path"}
    # A session of its own reads the credentials afresh; the loader of S3's API description
    # is shared, so that the second client of a process (another state) costs little.
    core = botocore.session.Session()
    core.register_component("data_loader", _loader())
    client: S3Client = boto3.session.Session(botocore_session=core).client(
        "s3", endpoint_url=url.endpoint, region_name=url.region, config=Config(**options)
    )
    return client


@functools.cache
def _loader() -> Loader:
    return create_loader()
