"""Hostile text from Soda Cloud and from files, through real plans, applies and audits.

The local Soda Cloud holds contracts nobody manages under hostile names (escape sequences,
bidi controls, backticks, ``</details>``, ``-->``, a markdown link, an @mention), a UI edit by
a hostile creator whose text hides the same things, and a check whose qualifier Soda Cloud
echoes in its scan logs. Every output of ``plan``, ``apply`` and ``audit``, in every format,
must show all of it as text and carry none of it raw.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from reconciler.emulator import RunningEmulator
from reconciler.emulator.samples import CUSTOMERS, CUSTOMERS_CONTRACT
from reconciler.plan import Plan
from reconciler.render.plan import render_text
from tests.audit.support import Project
from tests.render.inert import assert_inert_markdown, assert_terminal_safe

# Dataset names hold no empty part, so the links in them have no "//".
ESCAPES = "warehouse/evil/public/\x1b[2J\x1b[31mred\x1b]8;;evil.example\x07x\x1b]8;;\x07\x9b7m"
BIDI = "warehouse/evil/public/\u202egnp.exe\u2066x\u2069zero\u200bwidth"
MARKUP = "warehouse/evil/public/tick`` `</details>--><script>alert(1)</script>"
LINK = "warehouse/evil/public/@octocat [click](evil.example) ![i](evil.example/i.png) | cell\nnext"
HOSTILE_NAMES = (ESCAPES, BIDI, MARKUP, LINK)
CREATOR = "@octocat\x1b[31m`</details>-->\u202e"
# What YAML can carry (no C0 controls): bidi, invisible characters and markup.
UI_TEXT = (
    "# \u202eevil\u200b ``` </details> --> <script>alert(1)</script> [x](https://evil.example)\n"
)
QUALIFIER = "q`</details>-->\u202e[x](https://evil.example)"
# Parts of the hostile texts that a reader must see as written (HTML-escaped on a page).
SHOWN_MARKDOWN = ("tick`` `</details>--><script>alert(1)</script>",)


@pytest.fixture
def project(tmp_path: Path, emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch) -> Project:
    """customers imported and in sync; then edited in the Soda Cloud UI by a hostile creator,
    and in git given a check with a hostile qualifier; four unmanaged hostile contracts."""
    monkeypatch.chdir(tmp_path)
    project = Project(tmp_path, emulator)
    admin = emulator.admin
    imported = project.import_(CUSTOMERS)
    assert imported.exit_code == 0, imported.output
    for name in HOSTILE_NAMES:
        admin.add_dataset(name, columns=[("id", "integer")])
        admin.edit_contract(name, f"dataset: {json.dumps(name)}\ncolumns: []\n", creator_id=CREATOR)
    admin.edit_contract(CUSTOMERS, UI_TEXT + CUSTOMERS_CONTRACT, creator_id=CREATOR)
    project.write(
        CUSTOMERS,
        CUSTOMERS_CONTRACT.replace(
            "      - missing:\n",
            f"      - missing:\n          qualifier: {json.dumps(QUALIFIER)}\n",
        ),
    )
    admin.set_scan_outcomes({CUSTOMERS: "completedWithFailures"})
    return project


def assert_json_carries_it_all(text: str) -> Any:
    """Inert, and yet every hostile text reads back exactly."""
    assert_terminal_safe(text)
    document = json.loads(text)
    flat = json.dumps(document, ensure_ascii=False)
    for name in HOSTILE_NAMES:
        assert json.dumps(name, ensure_ascii=False)[1:-1] in flat
    return document


def test_a_plan_shows_hostile_names_and_texts_inert_in_every_format(project: Project) -> None:
    text = project.plan("--diff")
    markdown = project.plan("--format", "markdown", "--diff")
    document = project.plan("--format", "json")
    # A terminal gets colours: the same plan, coloured.
    saved = {k: v for k, v in json.loads(document.stdout).items() if k != "digest"}
    colored = render_text(Plan.model_validate(saved), color=True, show_diff=True)

    for result in (text, markdown, document):
        assert result.exit_code == 2, result.output
    assert "\\x1b[2J" in text.stdout
    assert "\\u202egnp.exe" in text.stdout
    assert "# \\u202eevil\\u200b" in text.stdout  # the diff of the UI edit
    assert_terminal_safe(text.stdout)
    assert_terminal_safe(re.sub(r"\x1b\[[0-9;]*m", "", colored))  # its own colours only
    page = assert_inert_markdown(markdown.stdout, SHOWN_MARKDOWN)  # and no link at all
    assert page.count("<code>") >= len(HOSTILE_NAMES)
    plan = assert_json_carries_it_all(document.stdout)
    assert {u["dataset"] for u in plan["unmanaged"]} == set(HOSTILE_NAMES)


def test_an_audit_shows_hostile_names_and_texts_inert_in_every_format(project: Project) -> None:
    text = project.audit("--diff")
    markdown = project.audit("--format", "markdown", "--diff")
    document = project.audit("--format", "json")

    for result in (text, markdown, document):
        assert result.exit_code == 4, result.output  # drift
    assert "\\x1b[2J" in text.stdout
    assert "@octocat\\x1b[31m" in text.stdout
    assert_terminal_safe(text.stdout)
    page = assert_inert_markdown(markdown.stdout, SHOWN_MARKDOWN)
    assert page.count("reconciler import warehouse/evil/public/tick") == 1
    report = assert_json_carries_it_all(document.stdout)
    (drifted,) = (d for d in report["datasets"] if d["dataset"] == CUSTOMERS)
    assert [v["creator_id"] for v in drifted["newer_versions"]] == [CREATOR]


@pytest.mark.parametrize("output_format", ["text", "markdown", "json"])
def test_an_apply_report_shows_soda_clouds_messages_inert(
    project: Project, output_format: str
) -> None:
    result = project.apply("--auto-approve", "--verify", "all", "--format", output_format)

    assert result.exit_code == 3, result.output  # the verification failed, as scripted
    assert_terminal_safe(result.stderr)  # the plan and progress, for markdown and json
    if output_format == "text":
        assert_terminal_safe(result.stdout)
        assert "error: Check columns.id.checks.missing.q`</details>-->\\u202e" in result.stdout
    elif output_format == "markdown":
        page = assert_inert_markdown(result.stdout, ["q`</details>-->"])
        assert "<li>error: Check columns.id.checks.missing.q`&lt;/details&gt;--&gt;" in page
    else:
        report = json.loads(result.stdout)
        assert_terminal_safe(result.stdout)
        (customers,) = (d for d in report["datasets"] if d["dataset"] == CUSTOMERS)
        assert any(QUALIFIER in line for line in customers["verification"]["error_lines"])
