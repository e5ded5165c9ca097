"""A contract as an environment sees it: its data source renamed in its own quoting, the
environment's variable values in place outside ``variables:``, everything else byte for
byte; and back to the shared name for what Soda Cloud holds."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.config import load_project_config
from reconciler.contract.document import load_document
from reconciler.desired import load_desired
from reconciler.desired.environment import (
    NotRendered,
    for_environment,
    render_text,
    shared_text,
)
from reconciler.environment import Environment, derived_state
from reconciler.errors import ConfigError

STAGING = Environment(
    name="staging",
    variables={"SCHEMA": "analytics_staging", "LOW": "5"},
    renames={"warehouse": "warehouse_staging"},
)


def rendered(text: str, environment: Environment = STAGING) -> str:
    return render_text(text, load_document(text.encode(), "f.yml").value, environment)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("dataset: warehouse/db/public/orders", "dataset: warehouse_staging/db/public/orders"),
        ("dataset: 'warehouse/db/public/orders'", "dataset: 'warehouse_staging/db/public/orders'"),
        ('dataset: "warehouse/db/public/orders"', 'dataset: "warehouse_staging/db/public/orders"'),
        (
            "dataset:   warehouse/db/public/orders   # the shop",
            "dataset:   warehouse_staging/db/public/orders   # the shop",
        ),
        ("dataset: lake/db/public/orders", "dataset: lake/db/public/orders"),
    ],
)
def test_the_data_source_is_renamed_in_the_values_own_quoting(line: str, expected: str) -> None:
    text = f"# Orders\n{line}\ncolumns: []  # none yet\n"

    assert rendered(text) == f"# Orders\n{expected}\ncolumns: []  # none yet\n"


def test_variables_are_substituted_outside_their_declarations_only() -> None:
    text = (
        "dataset: warehouse/${var.SCHEMA}/public/orders\n"
        "variables:\n"
        "  SCHEMA:\n"
        "    default: ${var.SCHEMA}_fallback\n"
        "  LOW:\n"
        "    default: 1\n"
        "  UNSET:\n"
        "    default: x\n"
        "columns:\n"
        "  - name: amount\n"
        "    valid_min: ${var.LOW}\n"
        "    description: from ${var.UNSET} and ${var.SCHEMA}\n"
    )

    assert rendered(text) == (
        "dataset: warehouse_staging/analytics_staging/public/orders\n"
        "variables:\n"
        "  SCHEMA:\n"
        "    default: ${var.SCHEMA}_fallback\n"
        "  LOW:\n"
        "    default: 1\n"
        "  UNSET:\n"
        "    default: x\n"
        "columns:\n"
        "  - name: amount\n"
        "    valid_min: 5\n"
        "    description: from ${var.UNSET} and analytics_staging\n"
    )


def test_a_variable_an_environment_gives_but_the_contract_does_not_declare_stays() -> None:
    text = "dataset: lake/db/t\ncolumns:\n  - name: a\n    description: ${var.SCHEMA}\n"

    assert rendered(text) == text


def test_a_value_that_would_change_the_yaml_is_refused() -> None:
    breaking = Environment("staging", variables={"SCHEMA": "a: b"})
    text = "dataset: lake/db/t\nvariables:\n  SCHEMA:\ndescription: ${var.SCHEMA}\ncolumns: []\n"

    with pytest.raises(NotRendered, match=r"not YAML any more|changes the contract.s YAML"):
        rendered(text, breaking)


def test_a_dataset_over_several_lines_cannot_be_renamed() -> None:
    text = "dataset: >-\n  warehouse/db/public/orders\ncolumns: []\n"

    with pytest.raises(NotRendered, match="over several lines"):
        rendered(text)


def test_what_soda_cloud_holds_gets_its_shared_name_back() -> None:
    text = "dataset: warehouse_staging/db/public/orders  # made in staging\ncolumns: []\n"

    assert shared_text(text, STAGING) == (
        "dataset: warehouse/db/public/orders  # made in staging\ncolumns: []\n"
    )
    assert shared_text("dataset: lake/db/t\ncolumns: []\n", STAGING) == (
        "dataset: lake/db/t\ncolumns: []\n"
    )
    with pytest.raises(NotRendered, match="renamed in environment staging"):
        shared_text("dataset: warehouse/db/public/orders\ncolumns: []\n", STAGING)


def test_names_go_both_ways_even_through_a_chain_of_renames() -> None:
    chain = Environment("qa", renames={"a": "b", "b": "c"})

    assert [chain.rendered_name(n) for n in ("a/x", "b/x", "c/x")] == ["b/x", "c/x", "c/x"]
    assert [chain.shared_name(n) for n in ("b/x", "c/x", "a/x", "d/x")] == [
        "a/x",
        "b/x",
        None,
        "d/x",
    ]


def test_two_files_that_render_to_one_dataset_are_both_errors(tmp_path: Path) -> None:
    for name in ("warehouse/db/public/orders", "warehouse_staging/db/public/orders"):
        path = tmp_path / f"{name}.yml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"dataset: {name}\ncolumns: []\n")

    desired = for_environment(load_desired(tmp_path), STAGING)

    assert desired.contracts == {}
    clashes = [d for d in desired.diagnostics if d.rule == "duplicate-dataset"]
    assert len(clashes) == 2
    assert "in environment staging this file describes warehouse_staging/db/public/orders" in (
        clashes[0].message
    )


def test_each_environment_gets_a_state_of_its_own_from_the_projects() -> None:
    assert derived_state(".reconciler/state.json", "staging") == ".reconciler/state.staging.json"
    assert derived_state("s3://b/reconciler/state.json?region=eu-west-1", "qa") == (
        "s3://b/reconciler/state.qa.json?region=eu-west-1"
    )
    assert derived_state("postgres://ci@db/platform", "qa") == "postgres://ci@db/platform"


@pytest.mark.parametrize(
    ("section", "complaint"),
    [
        ("all: {}", "'all' cannot name an environment"),
        ("qa: {variables: {N: 3, FLAG: true}}", ""),
        ("qa: {api_key_id_env: 'my key'}", "is not the name of an environment variable"),
        ("qa: {rename_data_sources: {a: x, b: x}}", "two data sources are renamed to 'x'"),
        ("qa: {rename_data_sources: {a: x/y}}", "is not a data source name"),
        ("qa: {hots: cloud.soda.io}", "hots"),
    ],
)
def test_a_bad_environment_is_refused_saying_where(
    tmp_path: Path, section: str, complaint: str
) -> None:
    path = tmp_path / "reconciler.yml"
    path.write_text(f"environments:\n  {section}\n")
    if not complaint:  # values reach the contracts as text, as --var gives them
        variables = load_project_config(path, environ={}).environments["qa"].variables
        assert variables == {"N": "3", "FLAG": "true"}
        return

    with pytest.raises(ConfigError) as refused:
        load_project_config(path, environ={})

    assert complaint in refused.value.message
    assert "environments" in refused.value.message
