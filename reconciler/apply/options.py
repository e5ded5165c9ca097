"""How an apply runs (:class:`ApplyOptions`) and where it says what it is doing
(:class:`Progress`)."""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from typing import Literal, Protocol

from reconciler.apply.result import DatasetOutcome

log = logging.getLogger("reconciler.apply")


@dataclass(frozen=True)
class ApplyOptions:
    generate: Literal["skeleton", "ai"] = "skeleton"
    fail_fast: bool = False
    # --fail-on drift: refuse, before changing anything, to overwrite a change made in Soda
    # Cloud that the plan did not expect (reconciler.apply.drift).
    refuse_drift: bool = False
    scan_deadline: float = 3600.0  # clock seconds a verification may take


class Activity(str, enum.Enum):
    """What apply starts doing for a dataset."""

    CREATING = "creating"
    PUBLISHING = "publishing"
    GENERATING_SKELETON = "generating-skeleton"
    FOLLOWING_GENERATION_SCAN = "following-generation-scan"
    FOLLOWING_EARLIER_SCAN = "following-earlier-scan"  # a scan an interrupted apply started
    VERIFYING = "verifying"


class Progress(Protocol):
    """Where apply says what it is doing (a live line on a terminal, log lines otherwise)."""

    def step(self, dataset: str, activity: Activity, scan_id: str | None = None) -> None: ...

    def finished(self, outcome: DatasetOutcome) -> None: ...


class SilentProgress:
    def step(self, dataset: str, activity: Activity, scan_id: str | None = None) -> None:
        log.info("%s: %s%s", dataset, activity.value, f" {scan_id}" if scan_id else "")

    def finished(self, outcome: DatasetOutcome) -> None:
        log.info("%s: %s", outcome.dataset, outcome.status.value)
