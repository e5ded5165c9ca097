"""API secrets never appear in anything a command prints, logs or writes."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from reconciler.emulator import ApiKey, EmulatorFactory
from reconciler.emulator.samples import CUSTOMERS, ORDERS, sample_config
from tests.plan.support import contract
from tests.project import Project

SECRET = "s3cr3t-Value-That-Must-Not-Leak"


def test_no_command_prints_logs_or_writes_the_secret(
    tmp_path: Path, start_emulator: EmulatorFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    cloud = start_emulator(
        sample_config().model_copy(update={"api_keys": [ApiKey(id="ci", secret=SECRET)]})
    )
    cloud.admin.set_faults(error_rate=0.2, lost_response_rate=0.2, reset_rate=0.1, seed=9)
    project = Project(tmp_path, cloud)
    project.write(ORDERS, contract(ORDERS))
    project.write(CUSTOMERS, contract(CUSTOMERS))
    plan_file = tmp_path / "plan.json"
    outputs = [
        project.run("--debug", "validate", str(project.contracts)),
        project.plan("--out", str(plan_file)),
        project.run(
            "--debug",
            "plan",
            str(project.contracts),
            "--state",
            str(project.state_path),
            "--format",
            "markdown",
        ),
        project.run(
            "--debug",
            "apply",
            "--dir",
            str(project.contracts),
            "--state",
            str(project.state_path),
            "--auto-approve",
            "--format",
            "json",
        ),
        project.run(
            "--debug",
            "audit",
            str(project.contracts),
            "--state",
            str(project.state_path),
            "--format",
            "json",
        ),
        project.run(
            "--debug",
            "plan",
            str(project.contracts),
            env={"SODA_CLOUD_API_KEY_SECRET": SECRET + "-wrong"},
        ),
        project.run("--debug", "state", "show", "--state", str(project.state_path)),
    ]
    written = [p.read_text(errors="replace") for p in tmp_path.rglob("*") if p.is_file()]
    everything = "\n".join([caplog.text, *(r.output for r in outputs), *written])
    assert "GET /api/v1/contracts?page=0&size=1000 -> 200" in outputs[3].output  # --debug logged
    assert any(r.exit_code == 1 and "401" in r.output for r in outputs)  # the wrong key was refused
    assert SECRET not in everything
    assert "Authorization" not in everything
