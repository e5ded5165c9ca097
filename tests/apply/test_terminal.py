"""On a terminal, apply shows the plan and asks before changing anything."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.emulator import RunningEmulator
from reconciler.emulator.samples import ORDERS
from tests.plan.support import contract
from tests.project import Project, requests

PROMPT = b"Apply this plan?"


def run_on_a_terminal(project: Project, answer: bytes) -> tuple[int, bytes]:
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "reconciler",
            "apply",
            "--dir",
            str(project.contracts),
            "--state",
            str(project.state_path),
        ],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env={**os.environ, **project.env},
        cwd=project.root,
    )
    os.close(terminal)
    seen = b""
    answered = False
    try:
        while True:
            ready, _, _ = select.select([controller], [], [], 60)
            if not ready:
                raise AssertionError(f"no output for 60 s; so far: {seen!r}")
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # the terminal closed: the process ended
                break
            if not chunk:
                break
            seen += chunk
            if not answered and PROMPT in seen:
                os.write(controller, answer)
                answered = True
    finally:
        os.close(controller)
    return process.wait(timeout=60), seen


@pytest.mark.parametrize(("answer", "applied"), [(b"y\n", True), (b"n\n", False)])
def test_apply_asks_on_a_terminal_and_does_what_it_is_told(
    tmp_path: Path, emulator: RunningEmulator, answer: bytes, applied: bool
) -> None:
    project = Project(tmp_path, emulator)
    project.write(ORDERS, contract(ORDERS))
    code, output = run_on_a_terminal(project, answer)
    assert PROMPT in output
    assert b"+ create" in output
    assert code == 0, output
    assert requests(emulator, "POST /api/v1/contracts") == [1 if applied else 0]
    if not applied:
        assert b"Nothing applied." in output
