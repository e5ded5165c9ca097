"""``plan --env all --format markdown``: one pull-request comment, a section per environment,
fitted to GitHub's limit as a whole."""

from __future__ import annotations

from reconciler.plan.model import DatasetPlan, Plan, StateBasis
from reconciler.plan.vocabulary import Action
from reconciler.render.fit import REPORT_LIMIT
from reconciler.render.plan import render_markdown_environments, render_plans, render_plans_parts


def plan(environment: str, datasets: int, diff_lines: int = 40) -> Plan:
    diff = "".join(f"+      - name: column_{n}\n" for n in range(diff_lines))
    return Plan(
        created="2026-03-01T09:00:00Z",
        reconciler_version="0.0.0",
        contracts_dir="contracts",
        cloud_host="cloud.soda.io",
        environment=environment,
        state=StateBasis(path=f".reconciler/{environment}.json", lineage=None, serial=0),
        datasets=tuple(
            DatasetPlan(
                dataset=f"warehouse_{environment}/db/public/table_{n:04d}",
                action=Action.PUBLISH,
                diff=diff,
            )
            for n in range(datasets)
        ),
    )


def test_small_plans_are_shown_whole_each_under_its_heading() -> None:
    comment = render_markdown_environments([plan("staging", 3), plan("production", 2)])

    assert comment.startswith("### Soda contracts plan: 2 environments\n")
    assert "| `staging` | 0 | 0 | 3 |" in comment
    assert comment.index("#### `staging`") < comment.index("#### `production`")
    assert comment.count("<details>") == 5
    assert "left out" not in comment


def test_a_large_plan_leaves_datasets_out_and_a_small_one_keeps_all_of_its_own() -> None:
    big, small = plan("staging", 900), plan("production", 4)

    comment = render_markdown_environments([big, small])

    assert len(comment) <= REPORT_LIMIT
    production = comment[comment.index("#### `production`") :]
    assert production.count("<details>") == 4  # the small one is whole
    assert "more sections left out" in comment[: comment.index("#### `production`")]
    assert comment.count("<details>") == comment.count("</details>")  # nothing cut halfway


def test_two_large_plans_share_the_room_and_both_keep_their_summaries() -> None:
    comment = render_markdown_environments([plan("staging", 900), plan("production", 900)])

    assert len(comment) <= REPORT_LIMIT
    staging_at, production_at = comment.index("#### `staging`"), comment.index("#### `production`")
    shown = (
        comment[staging_at:production_at].count("<details>"),
        comment[production_at:].count("<details>"),
    )
    assert min(shown) > 0
    assert abs(shown[0] - shown[1]) <= 1
    assert comment.count("**Plan: 0 to create, 900 to publish") == 2


def test_one_environment_renders_as_a_plan_does_and_json_keeps_each_document() -> None:
    single = render_plans([plan("staging", 1)], "markdown")
    assert single.startswith("### Soda contracts plan: `staging`\n")
    assert "Environment `staging`: Soda Cloud `cloud.soda.io`" in single

    text = render_plans([plan("staging", 1), plan("production", 1)], "text")
    assert text.index("Environment staging:") < text.index("Environment production:")
    assert '"environments": {' in render_plans([plan("staging", 1), plan("production", 1)], "json")


def test_split_comments_hold_every_dataset_of_every_environment() -> None:
    small = render_plans_parts([plan("staging", 3), plan("production", 2)])
    assert small == (render_markdown_environments([plan("staging", 3), plan("production", 2)]),)

    big, few = plan("staging", 900), plan("production", 4)
    parts = render_plans_parts([big, few])

    assert parts[0] == render_markdown_environments([big, few])
    assert all(len(part) <= REPORT_LIMIT for part in parts)
    staging = [p for p in parts[1:] if p.startswith("### Soda contracts plan: `staging`")]
    production = [p for p in parts[1:] if p.startswith("### Soda contracts plan: `production`")]
    assert len(staging) > 1
    assert len(production) == 1
    assert len(staging) + len(production) == len(parts) - 1
    assert staging[0].startswith(f"### Soda contracts plan: `staging` (part 1 of {len(staging)})")
    shown = "".join(staging)
    assert all(f"warehouse_staging/db/public/table_{n:04d}" in shown for n in range(900))
