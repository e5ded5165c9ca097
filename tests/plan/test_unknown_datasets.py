"""A plan marks a create (or a skeleton) for a dataset Soda Cloud does not know, when its
Reporting API can tell; it never fails because the Reporting API cannot."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.cloud.dto import CoverageDataset
from reconciler.emulator import RunningEmulator
from reconciler.emulator.samples import CUSTOMERS, CUSTOMERS_CONTRACT, ORDERS, SESSIONS
from reconciler.observed import DatasetListing, ObservedState
from reconciler.plan.planner import make_plan
from reconciler.render.plan import render_markdown, render_text
from tests.plan.support import CONTEXT, contract, desired_of, remote, state_of, stub
from tests.project import Project

UNKNOWN = "warehouse/analytics/public/not_onboarded"
COVERAGE = "POST /v1/coverage/datasets"


def row(label: str | None, source: str, name: str) -> CoverageDataset:
    return CoverageDataset(
        dataset_id=f"id-{name}", dataset_label=label, datasource_name=source, dataset_name=name
    )


def test_the_listing_knows_qualified_names_and_source_with_table() -> None:
    listing = DatasetListing.of(
        [row("dwh/sales/public/orders", "dwh", "orders"), row("events", "lake", "events")]
    )
    assert listing.lists("dwh/sales/public/orders")
    assert listing.lists("lake/bronze/events")  # no qualified label: source and table match
    assert not listing.lists("dwh/sales/public/refunds")
    assert not listing.lists("other/sales/public/orders")


def test_only_creates_and_skeletons_without_a_contract_are_marked(tmp_path: Path) -> None:
    from reconciler.plan import PlanSettings

    desired = desired_of(
        tmp_path,
        {
            ORDERS: contract(ORDERS),
            UNKNOWN: contract(UNKNOWN),
            SESSIONS: stub(SESSIONS),
            CUSTOMERS: contract(CUSTOMERS, threshold="must_be: 3"),
        },
    )
    remotes = {CUSTOMERS: remote(CUSTOMERS, contract(CUSTOMERS))}
    listing = DatasetListing.of(
        [row(ORDERS, "warehouse", "orders"), row(CUSTOMERS, "warehouse", "customers")]
    )

    def plan_with(known: DatasetListing | None) -> dict[str, bool | None]:
        observed = ObservedState(contracts=remotes, listing=known)
        plan = make_plan(desired, observed, state_of({}), settings=PlanSettings(), context=CONTEXT)
        return {d.dataset: d.dataset_listed for d in plan.datasets}

    assert plan_with(listing) == {ORDERS: True, UNKNOWN: False, SESSIONS: False, CUSTOMERS: None}
    assert set(plan_with(None).values()) == {None}, "no listing: the plan cannot tell"


@pytest.fixture
def project(tmp_path: Path, emulator: RunningEmulator) -> Project:
    project = Project(tmp_path, emulator)
    project.write(ORDERS, contract(ORDERS))
    project.write(UNKNOWN, contract(UNKNOWN))
    return project


def test_the_plan_shows_an_unknown_dataset_in_every_format_for_one_reporting_call(
    project: Project,
) -> None:
    text = project.plan()
    assert text.exit_code == 0, text.output
    assert "UNKNOWN DATASET" in text.stdout
    assert "Soda Cloud does not list this dataset" in text.stdout
    assert "1 dataset unknown to Soda Cloud" in text.stdout
    document = project.plan_json()
    listed = {d["dataset"]: d["dataset_listed"] for d in document["datasets"]}
    assert listed == {ORDERS: True, UNKNOWN: False}
    markdown = project.plan("--format", "markdown").stdout
    assert "1 dataset unknown to Soda Cloud" in markdown
    assert f"`{UNKNOWN}`" in markdown
    assert project.cloud.admin.stats().count(COVERAGE) == 3  # one per plan


def test_a_plan_without_creates_does_not_ask(project: Project) -> None:
    project.path_of(ORDERS).unlink()
    project.path_of(UNKNOWN).unlink()
    project.write(CUSTOMERS, CUSTOMERS_CONTRACT)
    assert project.plan().exit_code == 0
    assert project.cloud.admin.stats().count(COVERAGE) == 0


def test_a_reporting_api_without_data_yet_leaves_the_plan_unable_to_tell(project: Project) -> None:
    project.cloud.admin.set_reporting_ready(False)
    document = project.plan_json()
    assert {d["dataset_listed"] for d in document["datasets"]} == {None}


def test_an_unreachable_reporting_api_never_fails_the_plan(
    project: Project, tmp_path: Path
) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    result = project.plan(
        "--format",
        "json",
        "--reporting-host",
        f"http://127.0.0.1:{closed}",
        "--retry-timeout",
        "5s",
    )
    assert result.exit_code == 0, result.output
    assert {d["dataset_listed"] for d in json.loads(result.stdout)["datasets"]} == {None}


def test_renderers_word_the_mark_only_for_unlisted_entries(tmp_path: Path) -> None:
    from reconciler.plan import PlanSettings

    desired = desired_of(tmp_path, {ORDERS: contract(ORDERS)})
    observed = ObservedState(contracts={}, listing=DatasetListing.of([]))
    plan = make_plan(desired, observed, state_of({}), settings=PlanSettings(), context=CONTEXT)
    assert "UNKNOWN DATASET" in render_text(plan)
    assert "unknown to Soda Cloud" in render_markdown(plan)
    listed = make_plan(
        desired,
        ObservedState(
            contracts={}, listing=DatasetListing.of([row(ORDERS, "warehouse", "orders")])
        ),
        state_of({}),
        settings=PlanSettings(),
        context=CONTEXT,
    )
    assert "UNKNOWN" not in render_text(listed)
    assert "unknown to Soda Cloud" not in render_markdown(listed)
