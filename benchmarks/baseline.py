"""The measuring stick: what publishing by hand with Soda's CLIs does, one file at a time.

For each file: page through the contract list (size 100) until its contract turns up; create
or publish it; trigger a verification and poll the scan every 3 s until it ends; then the next
file. A 429 is met by waiting 60 s and trying again. Checking a folder (a plan by hand) is
the same lookup for every file, and a comparison of the contents.

This lives only in ``benchmarks/``: it is never shipped and nothing in ``reconciler``
imports it. It speaks plain HTTP, so nothing of the reconciler's client helps it.

Time: it waits on the local Soda Cloud's clock (3 s polls and 60 s pauses pass ``scale``
times faster), and its calls take real time. Its figure is the waits in clock seconds plus the
real seconds it was busy, so a time-scaled run does not inflate its calls' latency.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

LIST, CREATE, PUBLISH, VERIFY, SCAN = (
    "GET /api/v1/contracts",
    "POST /api/v1/contracts",
    "POST /api/v1/contracts/{contractId}",
    "POST /api/v1/contracts/{contractId}/verify",
    "GET /api/v1/scans/{scanId}",
)
PAGE_SIZE = 100
POLL_EVERY = 3.0
AFTER_429 = 60.0
FINAL_STATES = frozenset(
    {
        "canceled",
        "timedOut",
        "failed",
        "completedWithErrors",
        "completedWithFailures",
        "completedWithWarnings",
        "completed",
    }
)


@dataclass
class Tally:
    calls: Counter[str] = field(default_factory=Counter)
    throttled: int = 0
    waited: float = 0.0  # clock seconds spent waiting (polls, pauses after 429)
    busy: float = 0.0  # real seconds spent otherwise (calls, parsing)

    @property
    def seconds(self) -> float:
        """The time against Soda Cloud's real limits: waits in clock seconds, work in real."""
        return self.waited + self.busy


class ByHand:
    def __init__(self, url: str, auth: tuple[str, str], *, time_scale: float) -> None:
        self._http = httpx.Client(base_url=url, auth=auth, timeout=600)
        self._scale = time_scale
        self._slept = 0.0  # real seconds asleep
        self.tally = Tally()

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ByHand:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _wait(self, seconds: float) -> None:
        started = time.perf_counter()
        time.sleep(seconds / self._scale)
        slept = time.perf_counter() - started
        self._slept += slept
        self.tally.waited += slept * self._scale

    def _call(self, endpoint: str, method: str, path: str, **options: Any) -> httpx.Response:
        while True:
            response = self._http.request(method, path, **options)
            self.tally.calls[endpoint] += 1
            if response.status_code != 429:
                response.raise_for_status()
                return response
            self.tally.throttled += 1
            self._wait(AFTER_429)

    def _find(self, dataset: str) -> dict[str, Any] | None:
        page = 0
        while True:
            body = self._call(
                LIST, "GET", "/api/v1/contracts", params={"size": PAGE_SIZE, "page": page}
            ).json()
            for contract in body["content"]:
                if contract.get("datasetQualifiedName") == dataset:
                    found: dict[str, Any] = contract
                    return found
            if body["last"]:
                return None
            page += 1

    def check(self, dataset: str, text: str) -> bool:
        """Does Soda Cloud hold exactly this file? (a plan, by hand)"""
        with self._busy():
            contract = self._find(dataset)
            return contract is not None and contract.get("contents") == text

    def publish(self, dataset: str, text: str) -> str:
        """Create or publish one file, verify it and wait for the scan; its final state."""
        with self._busy():
            return self._publish(dataset, text)

    @contextmanager
    def _busy(self) -> Iterator[None]:
        """Counts the real time of the block, less the time asleep, as busy."""
        started, slept = time.perf_counter(), self._slept
        try:
            yield
        finally:
            self.tally.busy += time.perf_counter() - started - (self._slept - slept)

    def _publish(self, dataset: str, text: str) -> str:
        contract = self._find(dataset)
        if contract is None:
            answer = self._call(
                CREATE,
                "POST",
                "/api/v1/contracts",
                json={"contents": text, "datasetQualifiedName": dataset},
            )
        else:
            answer = self._call(
                PUBLISH, "POST", f"/api/v1/contracts/{contract['id']}", json={"contents": text}
            )
        contract_id = answer.json()["contract"]["id"]
        started = self._call(VERIFY, "POST", f"/api/v1/contracts/{contract_id}/verify")
        scan_id = started.headers["X-Soda-Scan-Id"]
        while True:
            self._wait(POLL_EVERY)
            status = self._call(SCAN, "GET", f"/api/v1/scans/{scan_id}").json()
            if status["state"] in FINAL_STATES:
                return str(status["state"])
