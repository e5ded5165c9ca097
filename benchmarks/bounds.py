"""The least time and the fewest calls Soda Cloud's documented rate limits allow.

A limit of L calls per 60 s is a sliding window: the first L calls may all go at once, and
call number n (from 0) cannot go before ``(n // L) * 60`` s. So c calls on one endpoint need
at least ``((c - 1) // L) * 60`` s before the last one is sent. (``c / L`` minutes, the
simpler rule, over-counts by up to one window: ten verifications fit in the first minute.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

WINDOW = 60.0
LIST, PUBLISH, VERIFY, SCAN = (
    "GET /api/v1/contracts",
    "POST /api/v1/contracts/{contractId}",
    "POST /api/v1/contracts/{contractId}/verify",
    "GET /api/v1/scans/{scanId}",
)
LIMITS = {LIST: 60, PUBLISH: 100, VERIFY: 10, SCAN: 60}
LIST_PAGE = 1000  # the largest page the list endpoint serves


@dataclass(frozen=True)
class Bound:
    seconds: float  # clock seconds (Soda Cloud's time)
    calls: int
    reason: str
    # The design document's rule of thumb for the same work, max(K/100, K/10) minutes plus
    # the scan time (0: not given for this scenario).
    rule_of_thumb: float = 0.0


def last_call_at(calls: int, limit: int) -> float:
    """The earliest the last of ``calls`` calls can be sent, the first sent at 0."""
    return 0.0 if calls <= 0 else ((calls - 1) // limit) * WINDOW


def plan(contracts: int) -> Bound:
    """Reading N contracts: one list call per 1000, nothing else when nothing moved."""
    calls = math.ceil(contracts / LIST_PAGE)
    return Bound(
        seconds=last_call_at(calls, LIMITS[LIST]),
        calls=calls,
        reason=f"{calls} list call{'s' if calls != 1 else ''} (size {LIST_PAGE}), within one window",
    )


def apply(changed: int, contracts: int, scan_seconds: float) -> Bound:
    """Publishing and verifying K contracts: the verify lane (10 a minute) is the slowest; the
    last scan starts no earlier than its last slot and takes ``scan_seconds``. Calls: the
    plan's list calls, K publishes, K verifications and one status call per scan."""
    reading = plan(contracts)
    publishing = last_call_at(changed, LIMITS[PUBLISH])
    verifying = last_call_at(changed, LIMITS[VERIFY]) + scan_seconds
    return Bound(
        seconds=max(reading.seconds, publishing, verifying),
        calls=reading.calls + 3 * changed,
        rule_of_thumb=max(changed / LIMITS[PUBLISH], changed / LIMITS[VERIFY]) * WINDOW
        + scan_seconds,
        reason=(
            f"verify lane: {changed} calls at 10/min "
            f"(last at {last_call_at(changed, LIMITS[VERIFY]):.0f} s) + a {scan_seconds:.0f} s scan"
        ),
    )
