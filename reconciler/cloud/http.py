"""One HTTP exchange with Soda Cloud, done carefully: rate-limited, retried when it is safe,
logged without credentials, and turned into the error tree when it fails."""

from __future__ import annotations

import enum
import logging
import random
import socket
import ssl
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from reconciler.clock import Clock
from reconciler.cloud.ratelimit import Operation, RateLimiter
from reconciler.cloud.retry import RETRYABLE_STATUSES, Backoff, RetryBudget, retry_after_seconds
from reconciler.errors import (
    ApiError,
    BadRequest,
    Forbidden,
    HostUnreachable,
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

    # Reads, and writes whose repetition is harmless (a second verification scan): any
    # transport error, 429 and 500/502/503/504.
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
        # Whether any request got an HTTP answer: until one does, a connection that cannot be
        # made means a wrong or unreachable host, not a passing fault.
        self.answered = False

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
        budget: RetryBudget | None = None,
    ) -> httpx.Response:
        """Send until an accepted status, retrying as ``retry`` allows within the budget.

        A caller that retries on its own (a write that looks before asking again) passes its
        ``budget``, so the whole operation shares one budget and one account of failures."""
        budget = budget or self.budget(
            operation, context, deadline_seconds or self.retry_deadline, url
        )
        backoff = Backoff(self._rng)
        while True:
            try:
                response = await self._send_once(
                    operation, method, url, params, json, headers, budget
                )
            except HostUnreachable:
                raise
            except TransportError as error:
                budget.failed(
                    error.cause, landed=method != "GET" and error.reached_server is not False
                )
                if retry is Retry.SAFE or error.reached_server is False:
                    await self.pause(operation, backoff.next_delay(), budget, "connection problem")
                    continue
                raise
            if response.status_code in accept:
                return response
            trace_id = response.headers.get(TRACE_HEADER)
            if response.status_code == 429:
                self.stats.throttled[operation] += 1
                budget.failed("answered 429", trace_id, landed=False)
                wait = retry_after_seconds(response.headers.get("Retry-After"), self._clock)
                if wait is None:
                    wait = backoff.next_delay()
                lane = self._limiter.lane(operation)
                if lane is not None:
                    lane.pause_until(self._clock.monotonic() + wait)
                await self.pause(operation, wait, budget, "Soda Cloud answered 429 (rate limited)")
                continue
            if response.status_code >= 500:
                budget.failed(f"answered {response.status_code}", trace_id, landed=method != "GET")
            if retry is Retry.SAFE and response.status_code in RETRYABLE_STATUSES:
                await self.pause(
                    operation,
                    backoff.next_delay(),
                    budget,
                    f"Soda Cloud answered {response.status_code}",
                )
                continue
            raise api_error(response, method, url, context)

    def budget(
        self, operation: Operation, context: str | None, seconds: float | None = None, url: str = ""
    ) -> RetryBudget:
        """A fresh retry budget for one operation (``seconds``: default, the client's)."""
        return RetryBudget(
            self._clock,
            self.retry_deadline if seconds is None else seconds,
            host=self.host_of(url),
            what=context or operation.value,
        )

    def host_of(self, url: str) -> str:
        """Where a request goes, as a person would name it: host[:port]."""
        target = self._http.base_url.join(url) if url else self._http.base_url
        port = f":{target.port}" if target.port else ""
        return f"{target.host}{port}"

    async def pause(self, operation: Operation, wait: float, budget: RetryBudget, why: str) -> None:
        """Wait before a retry; past the budget, give up with the account of what was tried."""
        if not budget.allows(wait):
            raise budget.exhausted() from None
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
        budget: RetryBudget,
    ) -> httpx.Response:
        lane = self._limiter.lane(operation)
        if lane is not None:
            queued = self._clock.monotonic()
            await lane.acquire(self._on_lane_wait)
            budget.queued(self._clock.monotonic() - queued)
        self.stats.calls[operation] += 1
        budget.sent()
        started = time.perf_counter()
        try:
            response = await self._http.request(
                method, url, params=params, json=json, headers=headers
            )
        except httpx.TransportError as error:
            log.debug(
                "%s %s -> %s after %.0f ms",
                method,
                url,
                type(error).__name__,
                (time.perf_counter() - started) * 1000,
            )
            raise self._transport_error(error, method, url) from None
        finally:
            if lane is not None:
                lane.release()
        self.answered = True
        log.debug(
            "%s %s -> %s in %.0f ms (trace id %s)",
            method,
            _path_with_query(response.request.url),
            response.status_code,
            (time.perf_counter() - started) * 1000,
            response.headers.get(TRACE_HEADER, "-"),
        )
        return response

    def _transport_error(
        self, error: httpx.TransportError, method: str, url: str
    ) -> TransportError:
        """The error tree's form of a failed exchange. On the first call, a connection that
        could not be made at all ends the command at once, naming the host and the cause:
        a mistyped or unreachable host is not worth minutes of retries."""
        cause = connection_cause(error)
        host = self.host_of(url)
        if not self.answered and cause in FIRST_CALL_FATAL:
            return HostUnreachable(
                f"cannot reach Soda Cloud at {host}: {FIRST_CALL_FATAL[cause]} ({method} {url})",
                host=host,
                cause=cause,
                method=method,
                path=url,
                hint=UNREACHABLE_HINTS[cause],
            )
        return TransportError(
            f"{method} {host}{_path_of(url)} failed: {describe_transport_error(error)}",
            method=method,
            path=url,
            reached_server=_reached_server(error),
            cause=CAUSE_NAMES.get(cause, cause),
            hint="Check the network and SODA_CLOUD_HOST; re-running is safe.",
        )

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


# Causes of a connection that could not be made, as the first call reports them.
FIRST_CALL_FATAL = {
    "DNS": "the host name does not resolve (DNS)",
    "refused": "the connection was refused (nothing listens on that port)",
    "TLS": "the TLS handshake failed",
    "timeout": "the connection timed out",
}
UNREACHABLE_HINTS = {
    "DNS": "Check the spelling of --host / SODA_CLOUD_HOST (cloud.soda.io for the EU, "
    "cloud.us.soda.io for the US) and that this machine can resolve names.",
    "refused": "Check the host and port of --host / SODA_CLOUD_HOST; a local Soda Cloud must "
    "be started first (`reconciler emulator serve`).",
    "TLS": "Check that the host speaks HTTPS (a local Soda Cloud is plain http://...), and, "
    "behind a proxy that inspects TLS, point SSL_CERT_FILE at its certificate bundle.",
    "timeout": "Check the host, and any firewall or proxy between this machine and it.",
}
# Causes as the account of a given-up call lists them.
CAUSE_NAMES = {
    "DNS": "DNS failure",
    "refused": "connection refused",
    "TLS": "TLS failure",
    "timeout": "connect timeout",
}


def connection_cause(error: httpx.TransportError) -> str:
    """Why an exchange got no answer, read from the exception chain httpx keeps.

    ``DNS``, ``refused``, ``TLS`` and ``timeout`` mean the connection was never made;
    anything else (``connection reset``, ``closed before an answer``, ``read timeout``...)
    happened after the request may have been sent."""
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    if any(isinstance(e, socket.gaierror) for e in seen):
        return "DNS"
    if any(isinstance(e, ssl.SSLError) for e in seen) and not any(
        isinstance(e, ssl.SSLWantReadError) for e in seen
    ):
        return "TLS"
    if any(isinstance(e, ConnectionRefusedError) for e in seen):
        return "refused"
    if isinstance(error, httpx.ConnectTimeout):
        return "timeout"
    if isinstance(error, httpx.ConnectError):
        text = str(error).lower()
        if "name or service" in text or "nodename" in text or "name resolution" in text:
            return "DNS"
        if "ssl" in text or "certificate" in text:
            return "TLS"
        if "refused" in text:
            return "refused"
        return "connect error"
    if any(isinstance(e, ConnectionResetError) for e in seen):
        return "connection reset"
    if isinstance(error, httpx.RemoteProtocolError):
        return "connection closed before an answer"
    if isinstance(error, httpx.ReadTimeout):
        return "read timeout"
    return type(error).__name__


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


def _path_of(url: str) -> str:
    """The path of a request URL (the Reporting API's are absolute)."""
    return httpx.URL(url).path if "://" in url else url


def _path_with_query(url: httpx.URL) -> str:
    query = url.query.decode() if url.query else ""
    return f"{url.path}?{query}" if query else url.path
