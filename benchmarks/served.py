"""A local Soda Cloud in its own process: ``reconciler emulator serve --port 0``, so the
code measured never shares an interpreter (or a GIL) with the server it talks to."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from types import TracebackType

from reconciler.cloud.settings import CloudFlags, CloudSettings, resolve_cloud_settings
from reconciler.emulator import DEFAULT_API_KEY_ID, DEFAULT_API_KEY_SECRET, AdminClient, Stats

LISTENING = "Local Soda Cloud listening on "


class ServedCloud:
    """``with ServedCloud(seed, time_scale=60) as cloud:`` then ``cloud.settings()``."""

    def __init__(self, seed: Path, *, time_scale: float) -> None:
        self.seed = seed
        self.time_scale = time_scale
        self.url = ""
        self._process: subprocess.Popen[str] | None = None
        self._admin: AdminClient | None = None

    def __enter__(self) -> ServedCloud:
        command = [
            sys.executable,
            "-m",
            "reconciler",
            "emulator",
            "serve",
            "--seed",
            str(self.seed),
            "--port",
            "0",
            "--time-scale",
            repr(self.time_scale),
        ]
        self._process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert self._process.stdout is not None
        first = self._process.stdout.readline()
        if not first.startswith(LISTENING):
            self.__exit__(None, None, None)
            raise RuntimeError(f"the local Soda Cloud did not start: {first!r}")
        self.url = first.removeprefix(LISTENING).strip()
        self._admin = AdminClient(self.url, timeout=600)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._admin is not None:
            self._admin.close()
            self._admin = None
        if self._process is not None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.communicate()
            self._process = None

    @property
    def admin(self) -> AdminClient:
        assert self._admin is not None, "the local Soda Cloud is not running"
        return self._admin

    @property
    def auth(self) -> tuple[str, str]:
        return (DEFAULT_API_KEY_ID, DEFAULT_API_KEY_SECRET)

    def settings(self) -> CloudSettings:
        """What the reconciler resolves from SODA_CLOUD_HOST and RECONCILER_TIME_SCALE."""
        return resolve_cloud_settings(
            flags=CloudFlags(
                host=self.url,
                api_key_id=DEFAULT_API_KEY_ID,
                api_key_secret=DEFAULT_API_KEY_SECRET,
            ),
            environ={"RECONCILER_TIME_SCALE": repr(self.time_scale)},
        )


def requests_between(before: Stats, after: Stats) -> tuple[Counter[str], int]:
    """API requests by endpoint, and how many were answered 429, between two snapshots."""
    calls = Counter(after.requests)
    calls.subtract(before.requests)
    throttled = sum(after.throttled.values()) - sum(before.throttled.values())
    return +calls, throttled
