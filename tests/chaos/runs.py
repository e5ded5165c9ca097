"""``reconciler apply`` as a real process against a local Soda Cloud in the test process:
started, stopped by a signal at a chosen point, and re-run, as CI and people do.

A run is stopped at a point counted in what it did, never in time: after its N-th progress
line on stderr, or once the local Soda Cloud has seen N more requests. Nothing here sleeps;
every wait is a blocking read of the process's output or a bounded loop of polls.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from reconciler.emulator import RunningEmulator
from reconciler.state import LockInfo, read_lock

# No run of these tests takes this long; a hung process is killed instead of hanging the suite.
WATCHDOG_SECONDS = 120.0
# Bounds the polls (of the local Soda Cloud, of the state file) for a stopping point.
MAX_POLLS = 200_000
PROGRESS_LINE = re.compile(r"^\d\d:\d\d:\d\d ")


@dataclass(frozen=True)
class Finished:
    """How one run ended: its exit code, or the signal that stopped it."""

    exit_code: int
    stopped_by: str | None  # e.g. "SIGKILL after 7 progress lines"; None: ran to its end
    stdout: str
    stderr: str

    @property
    def stopped(self) -> bool:
        return self.stopped_by is not None


class ApplyProcess:
    """``python -m reconciler apply --auto-approve`` for one project folder."""

    def __init__(self, root: Path, cloud: RunningEmulator) -> None:
        self.root = root
        self.cloud = cloud
        self.contracts = root / "contracts"
        self.state_path = root / ".reconciler" / "state.json"
        self.runs = 0

    @property
    def env(self) -> dict[str, str]:
        inherited = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("SODA_CLOUD_", "RECONCILER_"))
        }
        return {
            **inherited,
            "SODA_CLOUD_HOST": self.cloud.url,
            "SODA_CLOUD_API_KEY_ID": self.cloud.api_key_id,
            "SODA_CLOUD_API_KEY_SECRET": self.cloud.api_key_secret,
            "RECONCILER_TIME_SCALE": str(self.cloud.clock.scale),
            "NO_COLOR": "1",
        }

    def command(self) -> list[str]:
        # --engine off: the kills are meant for apply's work, not for the import of Soda's
        # engine at start-up (the referee has its own tests).
        return [
            sys.executable,
            "-m",
            "reconciler",
            "apply",
            "--engine",
            "off",
            "--auto-approve",
            "--dir",
            str(self.contracts),
            "--state",
            str(self.state_path),
        ]

    def _start(self) -> subprocess.Popen[str]:
        self.runs += 1
        return subprocess.Popen(
            self.command(),
            cwd=self.root,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def run(self) -> Finished:
        """Run to the end."""
        process = self._start()
        with _watchdog(process):
            stdout, stderr = process.communicate()
        return Finished(process.returncode, None, stdout, stderr)

    def stop_after_lines(self, lines: int, signum: int = signal.SIGKILL) -> Finished:
        """Send ``signum`` right after the run's ``lines``-th progress line."""
        return self.stop(signum, lines=lines, described=f"after {lines} progress lines")

    def stop_after_requests(self, requests: int, signum: int = signal.SIGKILL) -> Finished:
        """Send ``signum`` once the local Soda Cloud has seen ``requests`` more API requests."""
        target = self.cloud.admin.stats().total + requests
        return self.stop(
            signum,
            ready=lambda: self.cloud.admin.stats().total >= target,
            described=f"after {requests} requests",
        )

    def stop(
        self,
        signum: int,
        *,
        described: str,
        lines: int = 0,
        counting: re.Pattern[str] = PROGRESS_LINE,
        ready: Callable[[], bool] | None = None,
    ) -> Finished:
        """Send ``signum`` once the run has written ``lines`` stderr lines matching
        ``counting`` (read as they come, without polling) and then ``ready()`` holds (polled)."""
        process = self._start()
        assert process.stderr is not None
        seen: list[str] = []
        stopped_by = None
        with _watchdog(process):
            counted = 0
            if lines:
                for line in process.stderr:
                    seen.append(line)
                    counted += bool(counting.match(line))
                    if counted >= lines:
                        break
            reached = counted >= lines
            if reached and ready is not None:
                reached = False
                for _ in range(MAX_POLLS):
                    if process.poll() is not None:
                        break
                    if ready():
                        reached = True
                        break
            if reached and process.poll() is None:
                process.send_signal(signum)
                stopped_by = f"{signal.Signals(signum).name} {described}"
            stdout, rest = process.communicate()
        return _finished(process, stopped_by, stdout, "".join(seen) + rest)

    def left_lock(self) -> LockInfo | None:
        """The lock a stopped run left behind, if any: its holder is gone, and the next run
        must take it over without a person."""
        holder = read_lock(self.state_path)
        if holder is not None:
            assert holder.looks_stale(), f"the lock's holder is alive: {holder}"
        return holder


def _finished(
    process: subprocess.Popen[str], stopped_by: str | None, stdout: str, stderr: str
) -> Finished:
    code = process.returncode
    # A run that ended on its own just before the signal arrived is not counted as stopped.
    if stopped_by is not None and code >= 0 and "SIGKILL" in stopped_by:
        stopped_by = None
    return Finished(code, stopped_by, stdout, stderr)


@contextmanager
def _watchdog(process: subprocess.Popen[str]) -> Iterator[None]:
    """Kills the process if the test would otherwise wait on it for ever."""
    timer = threading.Timer(WATCHDOG_SECONDS, process.kill)
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
