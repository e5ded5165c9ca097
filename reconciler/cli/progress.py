"""Apply's progress on screen: a live status line on a terminal, timestamped lines otherwise."""

from __future__ import annotations

import shutil
import sys
from collections import Counter
from datetime import datetime, timezone
from typing import TextIO

from reconciler.apply.options import Activity
from reconciler.apply.result import DatasetOutcome, Status
from reconciler.cloud.http import Wait
from reconciler.plan import Action, Plan
from reconciler.render.escape import printable
from reconciler.render.words import activity_words, outcome_error


class LineProgress:
    """One timestamped line per event: for CI logs and anything that is not a terminal."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stderr

    def _say(self, text: str) -> None:
        stamp = datetime.now(timezone.utc).strftime("%H:%M:%S")
        # Names, scan ids and errors come from files and Soda Cloud.
        print(f"{stamp} {printable(text)}", file=self._stream, flush=True)

    def step(self, dataset: str, activity: Activity, scan_id: str | None = None) -> None:
        self._say(f"{dataset}: {activity_words(activity, scan_id)}")

    def finished(self, outcome: DatasetOutcome) -> None:
        error = outcome_error(outcome)
        self._say(f"{outcome.dataset}: {outcome.status.value}" + (f": {error}" if error else ""))

    def wait(self, wait: Wait) -> None:
        self._say(wait.describe())


class TerminalProgress:
    """A status line rewritten in place: done/total per lane and the current rate-limit wait."""

    def __init__(self, plan: Plan, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stderr
        changed = [d for d in plan.datasets if d.changed]
        self._totals: Counter[Action] = Counter(
            d.action for d in changed if d.action is not Action.NOOP
        )
        self._verify_total = sum(1 for d in changed if d.verify)
        self._done: Counter[Activity] = Counter()
        self._finished = 0
        self._failed = 0
        self._total = len(changed)
        self._wait = ""

    def step(self, dataset: str, activity: Activity, scan_id: str | None = None) -> None:
        self._done[activity] += 1
        self._draw()

    def finished(self, outcome: DatasetOutcome) -> None:
        self._finished += 1
        if outcome.status in (Status.FAILED, Status.VERIFY_FAILED):
            self._failed += 1
            self._clear()
            print(
                printable(f"✗ {outcome.dataset}: {outcome_error(outcome) or outcome.status.value}"),
                file=self._stream,
            )
        self._wait = ""
        self._draw()

    def wait(self, wait: Wait) -> None:
        self._wait = wait.describe()
        self._draw()

    def close(self) -> None:
        self._clear()

    def _draw(self) -> None:
        parts = [f"{self._finished}/{self._total} datasets done"]
        for action, activity in (
            (Action.CREATE, Activity.CREATING),
            (Action.PUBLISH, Activity.PUBLISHING),
            (Action.GENERATE_SKELETON, Activity.GENERATING_SKELETON),
        ):
            if self._totals[action]:
                parts.append(f"{action.value} {self._done[activity]}/{self._totals[action]}")
        if self._verify_total:
            parts.append(f"verify {self._done[Activity.VERIFYING]}/{self._verify_total}")
        if self._failed:
            parts.append(f"{self._failed} failed")
        if self._wait:
            parts.append(self._wait)
        width = shutil.get_terminal_size((100, 20)).columns
        line = " · ".join(parts)[: width - 1]
        print(f"\r\x1b[2K{line}", end="", file=self._stream, flush=True)

    def _clear(self) -> None:
        print("\r\x1b[2K", end="", file=self._stream, flush=True)
