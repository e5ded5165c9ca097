"""Client-side rate limiting: never send a request Soda Cloud would answer with 429.

Soda Cloud limits each endpoint to a number of calls per 60 s. A :class:`Lane` per endpoint
keeps a sliding window of the calls it made. A call takes a slot before it is sent and the
slot's time is stamped when the *answer* arrives: the server counted the request at some
moment between the two, so a window measured from the answer is never shorter than the
server's, whatever the network latency. With the server's own limits this yields zero 429s;
a small margin on the window absorbs clock-rate differences.
"""

from __future__ import annotations

import asyncio
import collections
import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from reconciler.clock import Clock


class Operation(str, enum.Enum):
    """Every Soda Cloud API operation the client calls, named as a person would say it."""

    LIST_CONTRACTS = "list contracts"
    CREATE_CONTRACT = "create contract"
    CREATE_SKELETON = "createSkeleton"
    SKELETON_STATUS = "skeleton status"
    GENERATE = "generate"
    GENERATE_STATUS = "generation status"
    GET_CONTRACT = "get contract"
    PUBLISH = "publish"
    VERIFY = "verify"
    LIST_VERSIONS = "list versions"
    SCAN_STATUS = "scan status"
    CANCEL_SCAN = "cancel scan"
    SCAN_LOGS = "scan logs"
    COVERAGE_CHECKS = "coverage checks"
    COVERAGE_DATASETS = "coverage datasets"
    DATASET_COVERAGE = "dataset coverage"
    INCIDENTS = "incidents"


@dataclass(frozen=True)
class Limit:
    calls: int
    period: float = 60.0

    def describe(self) -> str:
        per = "minute" if self.period == 60.0 else f"{self.period:g} s"
        return f"{self.calls} per {per}"


# The documented limits (../shared/docs/soda-cloud-api.md). The Reporting API documents none.
DOCUMENTED_LIMITS: Mapping[Operation, Limit] = {
    Operation.LIST_CONTRACTS: Limit(60),
    Operation.CREATE_CONTRACT: Limit(100),
    Operation.CREATE_SKELETON: Limit(10),
    Operation.SKELETON_STATUS: Limit(60),
    Operation.GENERATE: Limit(10),
    Operation.GENERATE_STATUS: Limit(60),
    Operation.GET_CONTRACT: Limit(1000),
    Operation.PUBLISH: Limit(100),
    Operation.VERIFY: Limit(10),
    Operation.LIST_VERSIONS: Limit(60),
    Operation.SCAN_STATUS: Limit(60),
    Operation.CANCEL_SCAN: Limit(10),
    Operation.SCAN_LOGS: Limit(60),
}

WINDOW_MARGIN = 0.02  # windows are 2% longer than the server's


# Told about a wait before it starts; returns True when it reported it (then it is not told
# again about the same call).
WaitListener = Callable[[Operation, float, str], bool]


class Lane:
    """The sliding window of one endpoint.

    ``acquire`` waits until a slot is free and takes it; ``release`` stamps the slot with the
    time its answer arrived. Waiters are served first come, first served.
    """

    def __init__(self, operation: Operation, limit: Limit, clock: Clock) -> None:
        self.operation = operation
        self.limit = limit
        self._clock = clock
        self._window = limit.period * (1 + WINDOW_MARGIN)
        self._done: collections.deque[float] = collections.deque()
        self._in_flight = 0
        self._paused_until = 0.0
        self._turn = asyncio.Lock()
        self._released = asyncio.Event()
        self.waited = 0.0  # clock seconds spent waiting for a slot, for reports

    def pause_until(self, clock_time: float) -> None:
        """Hold every new call until ``clock_time`` (the server said 429 with Retry-After)."""
        self._paused_until = max(self._paused_until, clock_time)

    def next_free_in(self) -> float:
        """Clock seconds until a slot frees (0 when one is free now).

        When every slot is held by a call still in flight, the answer is a full window: the
        earliest a slot can free, counted from answers that have not arrived yet."""
        now = self._clock.monotonic()
        while self._done and now - self._done[0] >= self._window:
            self._done.popleft()
        wait = max(0.0, self._paused_until - now)
        used = len(self._done) + self._in_flight
        if used >= self.limit.calls:
            excess = used - self.limit.calls
            if excess < len(self._done):
                wait = max(wait, self._done[excess] + self._window - now)
            else:
                wait = max(wait, self._window)
        return wait

    def _blocked_by_in_flight(self) -> bool:
        return (
            len(self._done) + self._in_flight >= self.limit.calls
            and self._in_flight > 0
            and (len(self._done) + self._in_flight - self.limit.calls >= len(self._done))
        )

    async def acquire(self, on_wait: WaitListener | None = None) -> None:
        async with self._turn:
            reported = False
            while True:
                wait = self.next_free_in()
                if wait <= 0:
                    break
                if on_wait is not None and not reported:
                    reported = on_wait(
                        self.operation,
                        wait,
                        f"{self.operation.value} is limited to {self.limit.describe()}",
                    )
                started = self._clock.monotonic()
                if self._blocked_by_in_flight() and self._paused_until <= started:
                    # Nothing to count from yet: wake when an answer arrives.
                    self._released.clear()
                    await self._released.wait()
                else:
                    await self._clock.sleep(wait)
                self.waited += max(0.0, self._clock.monotonic() - started)
            self._in_flight += 1

    def release(self) -> None:
        self._in_flight -= 1
        self._done.append(self._clock.monotonic())
        self._released.set()


class RateLimiter:
    """One lane per limited operation; unlimited operations pass straight through."""

    def __init__(self, clock: Clock, limits: Mapping[Operation, Limit] = DOCUMENTED_LIMITS) -> None:
        self._lanes = {op: Lane(op, limit, clock) for op, limit in limits.items()}

    def lane(self, operation: Operation) -> Lane | None:
        return self._lanes.get(operation)

    def waited(self) -> dict[Operation, float]:
        return {op: lane.waited for op, lane in self._lanes.items() if lane.waited}
