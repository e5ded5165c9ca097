"""One HTTP exchange with Soda Cloud, done carefully: rate-limited, retried when it is safe,
logged without credentials, and turned into the error tree when it fails."""

from __future__ import annotations

import enum
import logging
import random
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from reconciler.clock import Clock
from reconciler.cloud.ratelimit import Operation, RateLimiter
from reconciler.cloud.retry import RETRYABLE_STATUSES, Backoff, Deadline, retry_after_seconds
from reconciler.errors import (
    ApiError,
    BadRequest,
    DeadlineExceeded,
    Forbidden,
    NotFound,
    RateLimited,
    ServerError,
    TransportError,
    Unauthorized,
)

log = logging.getLogger("reconciler.cloud")

TRACE_HEADER = "X-Soda-Trace-Id"
# Waits at least this long (clock seconds) are reported to the user in words.
REPORTED_WAIT = 5.0


class Retry(enum.Enum):
    """When a failed exchange may be sent again."""

    # Reads: any transport error, 429 and 500/502/503/504.
    SAFE = "safe"
    # Writes: only when the request surely never reached the server (connect error) or was
    # refused with 429. Anything else is returned to the caller, who knows how to find out.
    UNSAFE = "unsafe"


@dataclass(frozen=True)
class Wait:
    """A wait the user should hear about."""

    operation: Operation
    seconds: float
    reason: str

    def describe(self) -> str:
        return f"waiting {self.seconds:.0f} s: {self.reason}"


WaitReporter = Callable[[Wait], None]


def log_wait(wait: Wait) -> None:
    log.info("%s", wait.describe())


@dataclass
class CallStats:
    """What a client did, for summaries and benchmarks."""

    calls: Counter[Operation]
    throttled: Counter[Operation]
    retries: Counter[Operation]

    @classmethod
    def empty(cls) -> CallStats:
        return cls(Counter(), Counter(), Counter())

    def total_calls(self) -> int:
        return sum(self.calls.values())


class Exchange:
    """Sends requests for the client; owns the rate limiter, the retries and the logging."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        clock: Clock,
        limiter: RateLimiter,
        rng: random.Random,
        retry_deadline: float,
        report_wait: WaitReporter,
    ) -> None:
        self._http = http
        self._clock = clock
        self._limiter = limiter
        self._rng = rng
        self.retry_deadline = retry_deadline
        self._report_wait = report_wait
        self.stats = CallStats.empty()

    async def send(
        self,
        operation: Operation,
        method: str,
        url: str,
        *,
        retry: Retry,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        accept: frozenset[int] = frozenset({200, 201, 202}),
        context: str | None = None,
        deadline_seconds: float | None = None,
    ) -> httpx.Response:
        """Send until an accepted status, retrying as ``retry`` allows within the deadline."""
        deadline = Deadline(self._clock, deadline_seconds or self.retry_deadline)
        backoff = Backoff(self._rng)
        while True:
            try:
                response = await self._send_once(operation, method, url, params, json, headers)
            except TransportError as error:
                if retry is Retry.SAFE or error.reached_server is False:
                    await self._pause(
                        operation, backoff.next_delay(), deadline, error, "connection problem"
                    )
                    continue
                raise
            if response.status_code in accept:
                return response
            if response.status_code == 429:
                self.stats.throttled[operation] += 1
                wait = retry_after_seconds(response.headers.get("Retry-After"), self._clock)
                if wait is None:
                    wait = backoff.next_delay()
                lane = self._limiter.lane(operation)
                if lane is not None:
                    lane.pause_until(self._clock.monotonic() + wait)
                refusal = api_error(response, method, url, context)
                await self._pause(
                    operation, wait, deadline, refusal, "Soda Cloud answered 429 (rate limited)"
                )
                continue
            if retry is Retry.SAFE and response.status_code in RETRYABLE_STATUSES:
                refusal = api_error(response, method, url, context)
                await self._pause(
                    operation,
                    backoff.next_delay(),
                    deadline,
                    refusal,
                    f"Soda Cloud answered {response.status_code}",
                )
                continue
            raise api_error(response, method, url, context)

    async def _pause(
        self, operation: Operation, wait: float, deadline: Deadline, error: Exception, why: str
    ) -> None:
        if not deadline.allows(wait):
            if isinstance(error, ApiError):
                raise error
            raise DeadlineExceeded(
                f"gave up on {operation.value} after {deadline.seconds:.0f} s of retries: {error}",
                hint="Soda Cloud could not be reached reliably; re-running is safe.",
            ) from None
        self.stats.retries[operation] += 1
        if wait >= REPORTED_WAIT:
            self._report_wait(Wait(operation, wait, f"{operation.value}: {why}"))
        else:
            log.info("retrying %s in %.1f s: %s", operation.value, wait, why)
        await self._clock.sleep(wait)

    async def _send_once(
        self,
        operation: Operation,
        method: str,
        url: str,
        params: Mapping[str, Any] | None,
        json: Any,
        headers: Mapping[str, str] | None,
    ) -> httpx.Response:
        lane = self._limiter.lane(operation)
        if lane is not None:
            await lane.acquire(self._on_lane_wait)
        self.stats.calls[operation] += 1
        started = time.perf_counter()
        try:
            response = await self._http.request(
                method, url, params=params, json=json, headers=headers
            )
        except httpx.TransportError as error:
            reached = _reached_server(error)
            log.debug(
                "%s %s -> %s after %.0f ms",
                method,
                url,
                type(error).__name__,
                (time.perf_counter() - started) * 1000,
            )
            raise TransportError(
                f"{method} {url} failed: {describe_transport_error(error)}",
                method=method,
                path=url,
                reached_server=reached,
                hint="Check the network and SODA_CLOUD_HOST; re-running is safe.",
            ) from None
        finally:
            if lane is not None:
                lane.release()
        log.debug(
            "%s %s -> %s in %.0f ms (trace id %s)",
            method,
            _path_with_query(response.request.url),
            response.status_code,
            (time.perf_counter() - started) * 1000,
            response.headers.get(TRACE_HEADER, "-"),
        )
        return response

    def _on_lane_wait(self, operation: Operation, seconds: float, reason: str) -> bool:
        if seconds < REPORTED_WAIT:
            return False
        self._report_wait(Wait(operation, seconds, reason))
        return True


def api_error(
    response: httpx.Response, method: str, url: str, context: str | None = None
) -> ApiError:
    code, message = _error_body(response)
    status = response.status_code
    kind: type[ApiError]
    if status == 400 or status == 422:
        kind = BadRequest
    elif status == 401:
        kind = Unauthorized
    elif status == 403:
        kind = Forbidden
    elif status == 404:
        kind = NotFound
    elif status == 429:
        kind = RateLimited
    elif status >= 500:
        kind = ServerError
    else:
        kind = ApiError
    return kind(
        status=status,
        method=method,
        path=url,
        code=code,
        server_message=message,
        trace_id=response.headers.get(TRACE_HEADER),
        context=context,
    )


def describe_transport_error(error: httpx.TransportError) -> str:
    if isinstance(error, httpx.ConnectError):
        return "could not connect"
    if isinstance(error, httpx.TimeoutException):
        return f"timed out ({type(error).__name__})"
    if isinstance(error, httpx.RemoteProtocolError):
        return "the connection was closed before a complete answer arrived"
    return f"connection problem ({type(error).__name__})"


def _reached_server(error: httpx.TransportError) -> bool | None:
    """False when the request surely never reached the server; None when it may have."""
    if isinstance(error, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)):
        return False
    return None


def _error_body(response: httpx.Response) -> tuple[str | None, str | None]:
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip()
        return None, text[:300] or None
    if isinstance(body, dict):
        code = body.get("code")
        message = body.get("message")
        if message is None and "detail" in body:
            message = str(body["detail"])[:500]
        return (
            str(code) if code is not None else None,
            str(message) if message is not None else None,
        )
    return None, str(body)[:300]


def _path_with_query(url: httpx.URL) -> str:
    query = url.query.decode() if url.query else ""
    return f"{url.path}?{query}" if query else url.path
