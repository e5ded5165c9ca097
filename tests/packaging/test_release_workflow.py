"""The release workflow: on a version tag it builds, tests the wheel with the smoke test
the suite runs, and only then publishes, with the one permission publishing needs."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import yaml

from tests.packaging import smoke

WORKFLOW = smoke.REPOSITORY / ".github" / "workflows" / "release.yml"


def workflow() -> dict[Any, Any]:
    document: dict[Any, Any] = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    return document


def run_lines(job: dict[str, Any]) -> list[str]:
    return [line for step in job["steps"] for line in step.get("run", "").splitlines()]


def test_it_runs_on_version_tags_only() -> None:
    document = workflow()
    triggers = document["on"] if "on" in document else document[True]  # YAML 1.1: on = True
    assert triggers == {"push": {"tags": ["v*"]}}
    assert document["permissions"] == {"contents": "read"}


def test_it_publishes_only_a_wheel_that_passed_the_smoke_test() -> None:
    jobs = workflow()["jobs"]
    assert jobs["test-wheel"]["needs"] == "build"
    assert jobs["publish"]["needs"] == "test-wheel"
    assert "python -m build" in run_lines(jobs["build"])
    (command,) = [line for line in run_lines(jobs["test-wheel"]) if "tests.packaging.smoke" in line]
    words = shlex.split(command.replace('"${GITHUB_REF_NAME#v}"', "1.2.3"))
    assert words[:3] == ["python", "-m", "tests.packaging.smoke"]
    parsed = smoke.arguments().parse_args(words[3:])
    assert (parsed.wheel, parsed.expect_version) == (Path("dist/*.whl"), "1.2.3")


def test_only_the_publish_job_may_mint_a_token_and_it_uses_trusted_publishing() -> None:
    jobs = workflow()["jobs"]
    minting = [name for name, job in jobs.items() if "id-token" in job.get("permissions", {})]
    assert minting == ["publish"]
    assert jobs["publish"]["permissions"] == {"id-token": "write"}
    assert jobs["publish"]["environment"]["name"] == "pypi"
    uses = [step.get("uses", "") for step in jobs["publish"]["steps"]]
    assert "pypa/gh-action-pypi-publish@release/v1" in uses
    assert not any("password" in step.get("with", {}) for step in jobs["publish"]["steps"])


def test_the_build_sees_the_tags() -> None:
    (checkout,) = [
        s for s in workflow()["jobs"]["build"]["steps"] if "checkout" in s.get("uses", "")
    ]
    assert checkout["with"]["fetch-depth"] == 0
