"""The plan workflow's own shell step turns a plan near GitHub's size limit into a comment
that fits and ends well-formed: the plan leaves room for the marker and the footer."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.render.fit import GITHUB_TEXT_LIMIT, REPORT_LIMIT
from reconciler.render.plan import render_markdown
from tests.examples.support import REPOSITORY
from tests.plan.support import desired_of, plan_of, remote
from tests.render.inert import rendered

WORKFLOW = REPOSITORY / "plan-examples" / "github-actions" / "reconciler-plan.yml"
STEP = "Write the plan comment"
SHA = "0123456789abcdef0123456789abcdef01234567"
RUN_URL = "https://github.com/acme/contracts/actions/runs/987654321"

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")


def _workflow() -> dict[Any, Any]:
    document: dict[Any, Any] = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    return document


def write_comment(workspace: Path, plan_md: str | None, exit_code: str = "3") -> str:
    """Run the workflow's step in ``workspace``, as a runner would; returns comment.md."""
    document = _workflow()
    (job,) = document["jobs"].values()
    (step,) = (s for s in job["steps"] if s.get("name") == STEP)
    if plan_md is not None:
        (workspace / "plan.md").write_text(plan_md, encoding="utf-8")
    env = {
        "PATH": "/usr/bin:/bin",
        "COMMENT_MARKER": document["env"]["COMMENT_MARKER"],
        "PLAN_EXIT": exit_code,
        "HEAD_SHA": SHA,
        "RUN_URL": RUN_URL,
        "ARTIFACT": "reconciler-plan-12-1",
    }
    # GitHub runs `run:` with `bash --noprofile --norc -eo pipefail {0}`.
    subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        cwd=workspace,
        env=env,
        check=True,
    )
    return (workspace / "comment.md").read_text(encoding="utf-8")


def near_limit_plan(root: Path) -> str:
    """A plan of 120 publishes, each with a diff of some 1,200 characters: about twice what
    a comment holds, made of sections with fences and non-ASCII text."""
    columns = "".join(f"  - name: column_{n}_é\n    data_type: varchar\n" for n in range(24))
    files, remotes = {}, {}
    for n in range(120):
        dataset = f"warehouse/analytics/public/table_{n:03d}"
        files[dataset] = f"dataset: {dataset}\ncolumns:\n{columns}"
        remotes[dataset] = remote(dataset, f"dataset: {dataset}\ncolumns:\n{columns[:-8]}integer\n")
    return render_markdown(plan_of(desired_of(root, files), remotes))


def assert_well_formed(comment: str, marker: str) -> None:
    assert len(comment) <= GITHUB_TEXT_LIMIT
    assert comment.startswith(marker + "\n")
    assert comment.endswith(f"\n<sub>for {SHA[:7]} · [run]({RUN_URL})</sub>\n")
    page = rendered(comment)
    assert page.count("<details>") == page.count("</details>")
    assert page.count("<pre>") == page.count("</pre>")
    assert re.search(r"^```", comment.split("</details>")[-1], re.MULTILINE) is None
    assert page.rstrip().endswith("</sub></p>")


def test_a_plan_near_the_limit_becomes_a_comment_that_fits_and_ends_well_formed(
    tmp_path: Path,
) -> None:
    plan_md = near_limit_plan(tmp_path / "contracts")
    marker = _workflow()["env"]["COMMENT_MARKER"]

    comment = write_comment(tmp_path, plan_md)

    assert REPORT_LIMIT - 2_000 < len(plan_md) <= REPORT_LIMIT  # near the limit
    assert "more sections left out" in plan_md
    assert comment == f"{marker}\n{plan_md}\n<sub>for {SHA[:7]} · [run]({RUN_URL})</sub>\n"
    assert_well_formed(comment, marker)
    assert plan_md.rstrip().endswith("all of it._")


def test_a_plan_too_long_for_a_comment_is_pointed_to_never_cut(tmp_path: Path) -> None:
    marker = _workflow()["env"]["COMMENT_MARKER"]
    too_long = "<details><summary>x</summary>\n\n```diff\n" + "é" * GITHUB_TEXT_LIMIT + "\n```\n"

    comment = write_comment(tmp_path, too_long + "\n</details>\n")

    assert_well_formed(comment, marker)
    assert "**The plan is too long for a comment**: see the artifact reconciler-plan-12-1." in (
        comment
    )


def test_no_plan_says_so_with_the_exit_code(tmp_path: Path) -> None:
    marker = _workflow()["env"]["COMMENT_MARKER"]

    comment = write_comment(tmp_path, None, exit_code="1")

    assert_well_formed(comment, marker)
    assert "**The plan could not be made** (exit 1): see the job log." in comment
