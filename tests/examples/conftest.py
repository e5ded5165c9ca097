"""``workspace``: a fresh copy of the example project, made the current directory.

The demo runs the CLI in this process, and the CLI's log handler keeps the standard error of
the invocation that ran last: here pytest's capture of one test, closed when that test ends.
After each test the handler is pointed back at the process's own standard error, so that the
next in-process invocation does not flush a closed stream.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.demo import prepare_workspace


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    copy = prepare_workspace(tmp_path / "project")
    monkeypatch.chdir(copy)
    return copy


@pytest.fixture(autouse=True)
def _log_handler_on_the_process_stderr() -> Iterator[None]:
    yield
    for handler in logging.getLogger("reconciler").handlers:
        if isinstance(handler, logging.StreamHandler) and getattr(handler, "_reconciler", False):
            handler.stream = sys.__stderr__
