"""The engine's dry run: its own parse of a contract, with places, and nothing run."""

from __future__ import annotations

from reconciler.engine import Diagnostic, dry_run
from tests import shop

pytestmark = shop.needs_engine


def test_a_valid_contract_passes_the_dry_run_without_a_data_source() -> None:
    verdict = dry_run(shop.failing_contract("warehouse/analytics/public/customers"))
    assert verdict.ok
    assert verdict.errors == ()


def test_a_yaml_error_is_placed_where_the_engine_says() -> None:
    verdict = dry_run("dataset: [a\n", source_name="customers.yml")
    assert not verdict.ok
    assert verdict.errors == (Diagnostic("error", "YAML syntax error", 1, 10),)


def test_a_missing_key_is_an_error_at_the_top_of_the_contract() -> None:
    [error] = dry_run("dataset: a/b/c\n").errors
    assert error.message == "The contract is missing the required 'columns' property"
    assert (error.line, error.col) == (1, 1)


def test_a_variable_without_a_value_is_an_error_and_a_given_value_cures_it() -> None:
    text = "dataset: a/b/${var.TABLE}\ncolumns: []\nvariables:\n  TABLE:\n    type: string\n"
    [error] = dry_run(text).errors
    assert error.message == "Required variable 'TABLE' did not get a value"
    assert dry_run(text, variables={"TABLE": "customers"}).ok


def test_a_threshold_the_engine_cannot_judge_is_a_warning_not_an_error() -> None:
    text = shop.contract(
        "a/b/c",
        columns=(
            "  - name: id\n    checks:\n      - missing:\n          threshold:\n"
            "            must_be_greater_than: 4\n            must_be_less_than: 3\n"
        ),
    )
    verdict = dry_run(text)
    assert verdict.ok
    assert [w.message for w in verdict.warnings] == [
        "Threshold does not specify exactly one comparison: must_be_greater_than, "
        "must_be_less_than. The check is not evaluated"
    ]
