"""The rules that relate several values: thresholds, identity, variables, size keys..."""

from __future__ import annotations

import pytest

from tests.contract.helpers import only, parse, rules, where

HEAD = "dataset: a/b\ncolumns: []\nchecks:\n  - row_count:\n      threshold:\n"


def row_count_threshold(*lines: str) -> str:
    return HEAD + "".join(f"        {line}\n" for line in lines)


def test_dataset_needs_at_least_a_datasource_and_a_table() -> None:
    for name in ("orders", "pg/", "/orders", "pg//orders"):
        parsed = parse(f"dataset: '{name}'\ncolumns: []\n")
        assert where(parsed, "dataset-name") == [(1, 10)], name
    assert parse("dataset: pg/orders\ncolumns: []\n").ok


def test_an_empty_dataset_checks_list_is_an_error() -> None:
    assert where(parse("dataset: a/b\ncolumns: []\nchecks: []\n"), "empty-checks") == [(3, 1)]


def test_duplicate_column_names_point_at_the_second() -> None:
    parsed = parse("dataset: a/b\ncolumns:\n  - name: id\n  - name: x\n  - name: id\n")
    diagnostic = only(parsed, "duplicate-column")
    assert (diagnostic.line, diagnostic.col) == (5, 11)
    assert diagnostic.message == "column 'id' is declared twice (first at line 3)"


def test_same_check_type_on_a_column_needs_distinct_qualifiers() -> None:
    base = "dataset: a/b\ncolumns:\n  - name: id\n    checks:\n      - missing:\n"
    same = parse(base + "      - missing:\n          name: another name\n")
    diagnostic = only(same, "duplicate-check-identity")
    assert (diagnostic.line, diagnostic.col) == (6, 9)
    assert "at line 5" in diagnostic.message
    assert parse(base + "      - missing:\n          qualifier: q2\n").ok


def test_identity_is_per_column_and_per_level() -> None:
    parsed = parse(
        "dataset: a/b\ncolumns:\n  - name: a\n    checks:\n      - duplicate:\n"
        "  - name: b\n    checks:\n      - duplicate:\n"
        "checks:\n  - duplicate:\n      columns: [a, b]\n"
    )
    assert parsed.ok


def test_numeric_and_text_qualifiers_with_the_same_spelling_collide() -> None:
    parsed = parse(
        "dataset: a/b\ncolumns: []\nchecks:\n  - row_count:\n      qualifier: 8\n"
        "  - row_count:\n      qualifier: '8'\n"
    )
    assert where(parsed, "duplicate-check-identity") == [(6, 5)]


@pytest.mark.parametrize("check_type", ["aggregate", "metric"])
def test_checks_without_a_default_threshold_need_one(check_type: str) -> None:
    body = "function: avg" if check_type == "aggregate" else "expression: count(*)"
    parsed = parse(
        f"dataset: a/b\ncolumns:\n  - name: n\n    checks:\n      - {check_type}:\n"
        f"          {body}\n          threshold:\n            level: warn\n"
    )
    diagnostic = only(parsed, "missing-threshold")
    assert (diagnostic.line, diagnostic.col) == (5, 9)


def test_freshness_without_threshold_is_an_error() -> None:
    parsed = parse("dataset: a/b\ncolumns: []\nchecks:\n  - freshness:\n      column: ts\n")
    assert where(parsed, "missing-threshold") == [(4, 5)]


def test_defaults_make_threshold_optional_elsewhere() -> None:
    parsed = parse(
        "dataset: a/b\ncolumns:\n  - name: n\n    valid_values: [1]\n    checks:\n"
        "      - missing:\n      - invalid:\n      - duplicate:\n"
        "checks:\n  - row_count:\n  - schema:\n"
    )
    assert parsed.ok


def test_schema_takes_no_threshold() -> None:
    parsed = parse(
        "dataset: a/b\ncolumns: []\nchecks:\n  - schema:\n      threshold: {must_be: 0}\n"
    )
    assert where(parsed, "threshold-not-allowed") == [(5, 7)]


@pytest.mark.parametrize(
    "lines",
    [
        ("must_be: 1", "must_be_greater_than: 0"),
        ("must_be_greater_than: 1", "must_be_greater_than_or_equal: 2"),
        ("must_be_less_than: 1", "must_be_between: {greater_than: 0, less_than: 1}"),
        ("must_not_be: 1", "must_be_less_than: 3"),
    ],
)
def test_comparisons_that_cannot_be_combined(lines: tuple[str, str]) -> None:
    parsed = parse(row_count_threshold(*lines))
    assert where(parsed, "threshold-comparisons") == [(7, 9)]


def test_a_lower_and_an_upper_comparison_make_a_range() -> None:
    assert parse(row_count_threshold("must_be_greater_than: 1", "must_be_less_than: 9")).ok
    parsed = parse(row_count_threshold("must_be_greater_than: 9", "must_be_less_than: 1"))
    diagnostic = only(parsed, "threshold-range")
    assert (diagnostic.line, diagnostic.col) == (7, 9)
    assert "no value passes" in diagnostic.message


def test_between_needs_both_bounds() -> None:
    parsed = parse(row_count_threshold("must_be_between: {greater_than: 1}"))
    assert where(parsed, "threshold-comparisons") == [(6, 9)]


@pytest.mark.parametrize(
    ("bounds", "ok"),
    [
        ("{greater_than: 1, less_than: 5}", True),
        ("{greater_than_or_equal: 5, less_than_or_equal: 5}", False),
        ("{greater_than: 5, less_than: 1}", False),
    ],
)
def test_between_lower_bound_must_be_below_upper(bounds: str, ok: bool) -> None:
    parsed = parse(row_count_threshold(f"must_be_between: {bounds}"))
    assert (where(parsed, "threshold-range") == []) is ok
    if not ok:
        assert where(parsed, "threshold-range") == [(6, 9)]


@pytest.mark.parametrize(
    ("bounds", "ok"),
    [
        ("{greater_than: 100, less_than: 0}", True),
        ("{greater_than: 0, less_than: 100}", False),
    ],
)
def test_not_between_greater_bound_must_be_above_less_bound(bounds: str, ok: bool) -> None:
    parsed = parse(row_count_threshold(f"must_be_not_between: {bounds}"))
    assert (where(parsed, "threshold-range") == []) is ok


def test_variable_bounds_are_compared_with_their_values() -> None:
    # The engine compares the bounds after substituting them (soda-core 4.28,
    # contract_yaml.RangeYaml reads the threshold's resolved values).
    text = (
        "dataset: a/b\ncolumns: []\nvariables:\n  low: {default: 9}\nchecks:\n  - row_count:\n"
        "      threshold:\n        must_be_between: {greater_than: '${var.low}', less_than: 1}\n"
    )
    assert where(parse(text), "threshold-range") == [(8, 9)]
    assert parse(text.replace("default: 9", "default: 0")).ok


def test_metric_only_on_checks_that_count_rows() -> None:
    parsed = parse(row_count_threshold("metric: percent", "must_be_greater_than: 1"))
    assert where(parsed, "threshold-metric") == [(6, 9)]
    ok = parse(
        "dataset: a/b\ncolumns:\n  - name: n\n    checks:\n      - missing:\n"
        "          threshold: {metric: percent, must_be_less_than: 5}\n"
    )
    assert ok.ok


def test_percent_of_query_failed_rows_needs_rows_tested_query() -> None:
    text = (
        "dataset: a/b\ncolumns: []\nchecks:\n  - failed_rows:\n      query: SELECT 1\n"
        "{extra}      threshold:\n        metric: percent\n        must_be_less_than: 5\n"
    )
    parsed = parse(text.format(extra=""))
    assert where(parsed, "threshold-metric") == [(7, 9)]
    assert parse(text.format(extra="      rows_tested_query: SELECT 2\n")).ok


def test_unit_only_on_freshness() -> None:
    parsed = parse(row_count_threshold("unit: day", "must_be_greater_than: 1"))
    assert where(parsed, "threshold-unit") == [(6, 9)]


def test_additional_needs_one_outer_comparison_and_another_level() -> None:
    good = row_count_threshold(
        "must_be_greater_than: 10", "additional: {must_be_greater_than: 100, level: warn}"
    )
    assert parse(good).ok
    same_level = row_count_threshold(
        "must_be_greater_than: 10", "additional: {must_be_greater_than: 100}"
    )
    diagnostic = only(parse(same_level), "threshold-additional")
    assert (diagnostic.line, diagnostic.col) == (7, 9)
    assert "both have level 'fail'" in diagnostic.message
    two_outer = row_count_threshold(
        "must_be_greater_than: 10",
        "must_be_less_than: 99",
        "additional: {must_be_greater_than: 100, level: warn}",
    )
    assert where(parse(two_outer), "threshold-additional") == [(8, 9)]
    empty_inner = row_count_threshold("must_be_greater_than: 10", "additional: {level: warn}")
    assert (
        "needs exactly one comparison" in only(parse(empty_inner), "threshold-additional").message
    )


def test_invalid_check_needs_a_setting_on_itself_or_its_column() -> None:
    base = "dataset: a/b\ncolumns:\n  - name: n\n{column}    checks:\n      - invalid:\n{check}"
    parsed = parse(base.format(column="", check=""))
    assert where(parsed, "invalid-without-config") == [(5, 9)]
    assert parse(base.format(column="    valid_min: 0\n", check="")).ok
    assert parse(base.format(column="", check="          invalid_values: [x]\n")).ok


def test_failed_rows_needs_exactly_one_form() -> None:
    head = "dataset: a/b\ncolumns: []\nchecks:\n  - failed_rows:\n"
    none = parse(head + "      name: nothing\n")
    assert where(none, "failed-rows-form") == [(4, 5)]
    two = parse(head + "      expression: a > 1\n      query: SELECT 1\n")
    assert where(two, "failed-rows-form") == [(6, 7)]
    assert parse(head + "      expression: a > 1\n").ok


def test_metric_needs_exactly_one_of_expression_or_query() -> None:
    head = "dataset: a/b\ncolumns: []\nchecks:\n  - metric:\n      threshold: {must_be: 1}\n"
    assert where(parse(head), "metric-form") == [(4, 5)]
    assert parse(head + "      query: SELECT 1\n").ok


@pytest.mark.parametrize(
    ("data_type", "key", "ok"),
    [
        ("varchar", "character_maximum_length: 10", True),
        ("character varying", "character_maximum_length: 10", True),
        ("DECIMAL", "character_maximum_length: 10", False),
        ("numeric", "numeric_precision: 10", True),
        ("text", "numeric_scale: 2", False),
        ("timestamp with time zone", "datetime_precision: 6", True),
        ("integer", "datetime_precision: 6", False),
    ],
)
def test_size_keys_must_fit_the_data_type(data_type: str, key: str, ok: bool) -> None:
    parsed = parse(f"dataset: a/b\ncolumns:\n  - name: c\n    data_type: {data_type}\n    {key}\n")
    assert parsed.ok is ok
    if not ok:
        assert where(parsed, "size-key-type") == [(5, 5)]


def test_numeric_scale_above_precision() -> None:
    parsed = parse(
        "dataset: a/b\ncolumns:\n  - name: c\n    data_type: numeric\n"
        "    numeric_precision: 4\n    numeric_scale: 6\n"
    )
    assert where(parsed, "size-key-type") == [(6, 5)]


def test_undeclared_variables_are_errors_at_each_use() -> None:
    parsed = parse(
        "dataset: a/${var.SCHEMA}/t\ncolumns: []\nfilter: x = '${var.SCHEMA}' and ${var.X}\n"
    )
    assert where(parsed, "undeclared-variable") == [(1, 10), (3, 9), (3, 9)]
    assert {d.message.split("'")[1] for d in parsed.errors} == {"SCHEMA", "X"}


def test_env_and_soda_references_are_not_contract_variables() -> None:
    assert parse("dataset: a/b\ncolumns: []\nfilter: t < ${soda.NOW} and x = '${env.X}'\n").ok


def test_variable_without_a_value_is_an_error_unless_something_gives_one() -> None:
    text = "dataset: a/${var.V}\ncolumns: []\nvariables:\n  V:\n"
    diagnostic = only(parse(text), "variable-without-value")
    assert (diagnostic.line, diagnostic.col) == (4, 3)
    assert parse(text, variables={"V": "x"}).ok
    assert parse(text.replace("  V:\n", "  V: {default: d}\n")).ok
    # `required: false` is no value: the engine refuses the variable all the same
    # (soda-core 4.28, ContractYaml._resolve_variable_values).
    assert not parse(text.replace("  V:\n", "  V: {required: false}\n")).ok
    scheduled = text + "soda_runner:\n  checks_schedule:\n    variables: {V: s}\n"
    assert parse(scheduled).ok
    legacy = text + "soda_agent:\n  checks_schedule:\n    variables: {V: s}\n"
    assert parse(legacy).ok


def test_the_dataset_name_resolves_variables_by_precedence() -> None:
    text = (
        "dataset: pg/${var.S}/t\ncolumns: []\nvariables:\n  S: {default: dflt}\n"
        "soda_runner:\n  checks_schedule:\n    variables: {S: sched}\n"
    )
    assert parse(text).dataset == "pg/sched/t"
    assert parse(text, variables={"S": "cli"}).dataset == "pg/cli/t"
    assert parse(text.split("soda_runner")[0]).dataset == "pg/dflt/t"


def test_an_unused_variable_is_a_warning() -> None:
    parsed = parse("dataset: a/b\ncolumns: []\nvariables:\n  V: {default: 1}\n")
    assert parsed.ok
    diagnostic = only(parsed, "unused-variable")
    assert (diagnostic.severity, diagnostic.line, diagnostic.col) == ("warning", 4, 3)


def test_a_now_variable_counts_as_a_use() -> None:
    parsed = parse(
        "dataset: a/b\ncolumns: []\nvariables:\n  NOW: {default: '2024-01-01'}\nchecks:\n"
        "  - freshness:\n      column: ts\n      now_variable: NOW\n"
        "      threshold: {must_be_less_than: 1}\n"
    )
    assert parsed.diagnostics == ()


def test_rules_still_run_beside_shape_errors() -> None:
    parsed = parse(row_count_threshold("must_be_between: {greater_than: 5, less_than: 1}", "x: 1"))
    assert rules(parsed) == {"threshold-range", "unknown-key"}
