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

S3 cannot tell whether a holder on another machine still runs, so the lock has a **lease**:
the lock object records until when it holds (``expires``, the holder's clock plus the lease,
60 s unless ``?lease=``), and its holder renews it every third of the lease while it runs (a
conditional write on the lock's ETag, so a renewal never revives a lock someone else took).
A run that finds a lock whose lease has expired takes it over, naming its holder: a holder
killed with SIGKILL, or whose machine was lost, frees the lock within one lease. One taken on
this host by a process that is provably gone is taken over at once, as for the local file.

Credentials come from the usual AWS chain (environment, profile, role); the URL holds none.
``?endpoint=`` or ``AWS_ENDPOINT_URL`` (``AWS_ENDPOINT_URL_S3``) points at an S3-compatible
server, addressed path-style.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
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
from reconciler.duration import format_duration
from reconciler.errors import StateConflict, StateError, StateLocked, StateUnreachable
from reconciler.state.backend import Acquired, Document, Held, lost_lock, unlock_hint
from reconciler.state.location import S3Url, redact, scrub
from reconciler.state.lock import (
    HolderStatus,
    Liveness,
    LockInfo,
    format_time,
    holder_status,
    lock_bytes,
)

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

T = TypeVar("T")

_ATTEMPTS = 20
DEFAULT_LEASE_SECONDS = 60.0
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
        self.lease: float = url.lease or DEFAULT_LEASE_SECONDS
        # The version read or written last, with its bytes: the backup a write puts.
        self._last: tuple[str, bytes] | None = None
        # The lock this backend holds: its holder as written, and the lock object's ETag.
        # Renewals run on another thread: the mutex keeps them apart from releasing.
        self._held: tuple[LockInfo, str] | None = None
        self._lost: LockInfo | None = None  # a renewal found the lock taken by this one
        self._renewed_at = 0.0  # clock seconds of the last renewal
        self._mutex = threading.Lock()

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
        if self._held is not None:
            raise RuntimeError(f"{self.location}: this backend already holds the lock")
        info = self._leased(info)
        body = lock_bytes(info)
        for _ in range(_ATTEMPTS):
            created = self._create_lock(body)
            if created is not None:
                return self._took(info, created)
            found = self._lock_object()
            if found is None:
                continue  # released between our two requests: try again at once
            if found.holder is None:
                return Held(None, HolderStatus(Liveness.UNKNOWN, found.problem))
            if found.holder.id == info.id:
                return self._took(info, found.etag)  # our create got through; its answer was lost
            status = self._holder_status(found.holder)
            if not status.gone:
                return Held(found.holder, status)
            if self._delete_lock(found.etag):
                created = self._create_lock(body)
                if created is not None:
                    return self._took(info, created, found.holder, status.reason)
        return Held(None, HolderStatus(Liveness.ALIVE, "the lock keeps changing hands"))

    def _leased(self, info: LockInfo) -> LockInfo:
        """``info`` with its lease: valid for one lease from now, on this run's clock."""
        return info.model_copy(update={"expires": self.clock.now() + timedelta(seconds=self.lease)})

    def _took(
        self, info: LockInfo, etag: str, replaced: LockInfo | None = None, reason: str = ""
    ) -> Acquired:
        with self._mutex:
            self._held = (info, etag)
            self._lost = None
            self._renewed_at = self.clock.monotonic()
        return Acquired(replaced, reason)

    def _holder_status(self, holder: LockInfo) -> HolderStatus:
        """Whether ``holder`` still holds the lock: gone once its lease has expired (or its
        process is provably gone on this host)."""
        now = self.clock.now()
        if holder.expires is not None and holder.expires <= now:
            return HolderStatus(Liveness.GONE, _expired(holder.expires, now))
        status = holder_status(holder)
        if status.liveness is not Liveness.UNKNOWN or holder.expires is None:
            return status
        return HolderStatus(
            Liveness.UNKNOWN,
            f"{status.reason}; its lease runs until {format_time(holder.expires)} unless renewed",
        )

    # -- the lease -------------------------------------------------------------------------

    def renew_lock(self, info: LockInfo, *, force: bool = False) -> bool:
        """Renew this run's lease if a third of it has passed (``force``: now); False when the
        lock is no longer this run's (then the next save stops)."""
        with self._mutex:
            if self._held is None or self._held[0].id != info.id:
                return False
            due = self._renewed_at + self.lease / 3
            if not force and self.clock.monotonic() < due:
                return True
            renewed = self._leased(self._held[0])
            etag = self._held[1]
            put = self._attempt(
                "renewing the state lock's lease",
                lambda: self._client.put_object(
                    Bucket=self.url.bucket,
                    Key=self._lock_key,
                    Body=lock_bytes(renewed),
                    IfMatch=etag,
                    ContentType="application/json",
                ),
                refused=(404, 409, 412),
            )
            if isinstance(put, _Refused):
                self._lost = renewed
                return False
            self._held = (renewed, put["ETag"])
            self._renewed_at = self.clock.monotonic()
            return True

    def _create_lock(self, body: bytes) -> str | None:
        """Create the lock object; its ETag, or None when a lock is there."""
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
        return None if isinstance(created, _Refused) else str(created["ETag"])

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
        held = self._held
        found = self._lock_object() if held is not None and held[0].id == info.id else None
        if (
            self._lost is not None
            or found is None
            or found.holder is None
            or found.holder.id != info.id
        ):
            taker = found.holder if found is not None else None
            now = self.clock.now()
            mine = held[0].expires if held is not None else None
            expired = self._lost is not None or (mine is not None and mine <= now)
            raise lost_lock(self.location, info, now, taker, lease_expired=expired)
        self.renew_lock(info)

    def release_lock(self, info: LockInfo) -> bool:
        with self._mutex:
            if self._held is None or self._held[0].id != info.id:
                return False
            self._held = None
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
        return Held(found.holder, self._holder_status(found.holder))

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
        status = self._holder_status(holder)
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


def _expired(expires: datetime, now: datetime) -> str:
    ago = format_duration(max(0.0, (now - expires).total_seconds()))
    return (
        f"its lease expired at {format_time(expires)} ({ago} ago): that run stopped renewing "
        "it (killed, or its machine lost)"
    )


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
