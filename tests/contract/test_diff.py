"""The semantic diff: one test per rule and class, with descriptions pinned exactly."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.contract.diff import ContractDiff, diff_contracts
from reconciler.contract.thresholds import pass_set
from reconciler.plan import ChangeClass
from reconciler.plan.vocabulary import Change, ChangeKind
from reconciler.render.words import change_words, subject_words

B, T, R, C = (
    ChangeClass.BREAKING,
    ChangeClass.TIGHTENED,
    ChangeClass.RELAXED,
    ChangeClass.COSMETIC,
)

BASE = """
dataset: pg/db/public/customers
description: Customers
columns:
  - name: id
    data_type: integer
    checks:
      - duplicate:
  - name: email
    data_type: varchar
    valid_values: [a, b]
    checks:
      - missing:
      - invalid:
          valid_min_length: 3
checks:
  - schema:
  - row_count:
      threshold:
        must_be_greater_than: 10
"""


def doc(text: str) -> dict[str, Any]:
    value = yaml.safe_load(textwrap.dedent(text))
    assert isinstance(value, dict)
    return value


def edited(old: str, new: str, count: int = 1) -> dict[str, Any]:
    assert old in BASE, old
    return doc(BASE.replace(old, new, count))


def changes(new: dict[str, Any], old: dict[str, Any] | None = None) -> list[tuple[str, str]]:
    result = diff_contracts(doc(BASE) if old is None else old, new)
    return [(c.change_class.value, change_words(c)) for c in result.changes]


def worded(result: ContractDiff) -> list[tuple[str, str, ChangeClass]]:
    """Each change as its subject and sentence read, with its class."""
    return [(subject_words(c.subject), change_words(c), c.change_class) for c in result.changes]


def test_the_same_document_has_no_change() -> None:
    result = diff_contracts(doc(BASE), doc(BASE))
    assert result == ContractDiff(())
    assert result.change_class is None


def test_reordering_columns_checks_and_keys_is_no_change_without_a_strict_schema() -> None:
    reordered = doc(
        """
        checks:
          - row_count:
              threshold: {must_be_greater_than: 10}
          - schema: {allow_other_column_order: true}
        columns:
          - name: email
            checks:
              - invalid: {valid_min_length: 3}
              - missing:
            valid_values: [b, a]
            data_type: varchar
          - checks: [{duplicate: }]
            data_type: integer
            name: id
        description: Customers
        dataset: pg/db/public/customers
        """
    )
    assert changes(reordered) == [
        ("cosmetic", "column order id, email -> email, id"),
        ("relaxed", "check schema allow_other_column_order false -> true"),
    ]


def test_column_order_matters_to_a_schema_check_that_does_not_allow_other_orders() -> None:
    swapped = doc(BASE)
    swapped["columns"].reverse()
    assert changes(swapped) == [("tightened", "column order id, email -> email, id")]


def test_writing_the_defaults_out_is_no_change() -> None:
    explicit = edited(
        "      - missing:\n",
        "      - missing:\n          threshold: {must_be: 0, metric: count, level: fail}\n",
    )
    explicit["checks"][0]["schema"] = {"allow_extra_columns": False}
    explicit["columns"][0]["optional"] = False
    assert changes(explicit) == []


def test_row_count_default_is_greater_than_zero() -> None:
    old = doc("dataset: a/b\ncolumns: []\nchecks:\n  - row_count:\n")
    new = doc(
        "dataset: a/b\ncolumns: []\nchecks:\n  - row_count: {threshold: {must_be_greater_than: 0}}\n"
    )
    assert diff_contracts(old, new).changes == ()


def test_a_looser_threshold_is_relaxed_and_described_in_full_words() -> None:
    new = edited(
        "      - missing:\n", "      - missing:\n          threshold: {must_be_less_than: 5}\n"
    )
    assert changes(new) == [
        ("relaxed", "column email: check missing threshold must_be 0 -> must_be_less_than 5")
    ]


def test_a_stricter_threshold_is_tightened() -> None:
    new = edited("must_be_greater_than: 10", "must_be_greater_than: 100")
    assert changes(new) == [
        (
            "tightened",
            "check row_count threshold must_be_greater_than 10 -> must_be_greater_than 100",
        )
    ]


def test_an_incomparable_threshold_is_tightened() -> None:
    new = edited("must_be_greater_than: 10", "must_be_less_than: 100")
    assert diff_contracts(doc(BASE), new).change_class is T


def test_a_variable_bound_is_tightened() -> None:
    new = edited("must_be_greater_than: 10", "must_be_greater_than: ${var.MIN}")
    assert changes(new) == [
        (
            "tightened",
            "check row_count threshold must_be_greater_than 10 -> must_be_greater_than ${var.MIN}",
        )
    ]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            {"must_be_between": {"greater_than": 0, "less_than": 10}},
            {"must_be_between": {"greater_than_or_equal": 0, "less_than": 10}},
            R,
        ),
        (
            {"must_be_between": {"greater_than": 0, "less_than": 10}},
            {"must_be_greater_than": 1, "must_be_less_than": 9},
            T,
        ),
        ({"must_not_be": 5}, {"must_be_not_between": {"less_than": 0, "greater_than": 10}}, T),
        (
            {"must_be_not_between": {"less_than": 0, "greater_than": 10}},
            {"must_be_not_between": {"less_than_or_equal": 0, "greater_than": 10}},
            R,
        ),
        ({"must_be": 5}, {"must_be_greater_than_or_equal": 5}, R),
        (
            {"must_be_greater_than": 5},
            {"must_be_not_between": {"less_than": 0, "greater_than": 5}},
            R,
        ),
    ],
)
def test_thresholds_compare_as_sets_of_passing_values(
    old: dict[str, Any], new: dict[str, Any], expected: ChangeClass
) -> None:
    before = {"dataset": "a/b", "columns": [], "checks": [{"row_count": {"threshold": old}}]}
    after = {"dataset": "a/b", "columns": [], "checks": [{"row_count": {"threshold": new}}]}
    assert diff_contracts(before, after).change_class is expected


def test_pass_sets_of_complements() -> None:
    assert pass_set({"must_not_be": 5}) == [
        (-float("inf"), False, 5.0, False),
        (5.0, False, float("inf"), False),
    ]
    assert pass_set({"must_be": "${var.X}"}) is None


def test_freshness_bounds_are_compared_in_minutes() -> None:
    def freshness(threshold: dict[str, Any]) -> dict[str, Any]:
        return {
            "dataset": "a/b",
            "columns": [],
            "checks": [{"freshness": {"column": "t", "threshold": threshold}}],
        }

    same = diff_contracts(
        freshness({"must_be_less_than": 24}), freshness({"must_be_less_than": 1, "unit": "day"})
    )
    assert [(c.change_class, change_words(c)) for c in same.changes] == [
        (C, "check freshness threshold unit hour -> day")
    ]
    looser = diff_contracts(
        freshness({"must_be_less_than": 2}), freshness({"must_be_less_than": 1, "unit": "day"})
    )
    assert [(c.change_class, change_words(c)) for c in looser.changes] == [
        (R, "check freshness threshold must_be_less_than 2 hour -> must_be_less_than 1 day")
    ]


def test_level_changes() -> None:
    warn = edited("must_be_greater_than: 10", "must_be_greater_than: 10\n        level: warn")
    assert changes(warn) == [("relaxed", "check row_count level fail -> warn")]
    assert changes(doc(BASE), old=warn) == [("tightened", "check row_count level warn -> fail")]


def test_additional_thresholds() -> None:
    with_warn = edited(
        "must_be_greater_than: 10",
        "must_be_greater_than: 10\n        additional: {must_be_greater_than: 100, level: warn}",
    )
    assert changes(with_warn) == [
        (
            "tightened",
            "check row_count additional threshold set to {must_be_greater_than: 100, level: warn}",
        )
    ]
    assert changes(doc(BASE), old=with_warn)[0][0] == "relaxed"
    looser = edited(
        "must_be_greater_than: 10",
        "must_be_greater_than: 10\n        additional: {must_be_greater_than: 50, level: warn}",
    )
    assert changes(looser, old=with_warn) == [
        (
            "relaxed",
            "check row_count additional threshold must_be_greater_than 100 -> must_be_greater_than 50",
        )
    ]


def test_metric_count_to_percent_is_tightened() -> None:
    new = edited(
        "      - duplicate:\n", "      - duplicate:\n          threshold: {metric: percent}\n"
    )
    assert changes(new) == [("tightened", "column id: check duplicate metric count -> percent")]


def test_a_check_added_is_tightened_and_removed_is_breaking() -> None:
    added = edited("      - missing:\n", "      - missing:\n      - duplicate:\n")
    assert changes(added) == [("tightened", "column email: check duplicate added")]
    removed = edited("      - missing:\n", "")
    assert changes(removed) == [("breaking", "column email: check missing removed")]


def test_a_new_qualifier_is_another_check() -> None:
    new = edited("      - missing:\n", "      - missing:\n          qualifier: q1\n")
    assert changes(new) == [
        ("breaking", "column email: check missing removed"),
        ("tightened", "column email: check missing (q1) added"),
    ]


def test_columns_removed_renamed_added() -> None:
    removed = doc(BASE)
    del removed["columns"][0]
    assert changes(removed) == [
        ("breaking", "column id removed"),
        ("breaking", "column id: check duplicate removed"),
    ]
    renamed = edited("- name: email", "- name: email_address")
    assert changes(renamed) == [("breaking", "column email renamed to email_address")]
    added = doc(BASE)
    added["columns"].append({"name": "age"})
    assert changes(added) == [("tightened", "column age added")]
    without_schema = doc(BASE)
    without_schema["checks"] = without_schema["checks"][1:]
    with_column = doc(BASE)
    with_column["checks"] = with_column["checks"][1:]
    with_column["columns"].append({"name": "age"})
    assert changes(with_column, old=without_schema) == [("cosmetic", "column age added")]


def test_data_type_changes() -> None:
    assert changes(edited("data_type: varchar", "data_type: text")) == [
        ("breaking", "column email data_type varchar -> text")
    ]
    assert changes(edited("data_type: varchar", "data_type: VARCHAR")) == [
        ("cosmetic", "column email data_type varchar -> VARCHAR")
    ]
    assert changes(edited("    data_type: varchar\n", "")) == [
        ("relaxed", "column email data_type removed (was varchar)")
    ]


def test_schema_flags() -> None:
    on = edited("  - schema:\n", "  - schema:\n      allow_extra_columns: true\n")
    assert changes(on) == [("relaxed", "check schema allow_extra_columns false -> true")]
    assert changes(doc(BASE), old=on) == [
        ("tightened", "check schema allow_extra_columns true -> false")
    ]


def test_validity_settings() -> None:
    assert changes(edited("valid_values: [a, b]", "valid_values: [a, b, c]")) == [
        ("relaxed", "column email valid_values [a, b] -> [a, b, c]")
    ]
    assert changes(edited("valid_values: [a, b]", "valid_values: [a]")) == [
        ("tightened", "column email valid_values [a, b] -> [a]")
    ]
    assert changes(edited("valid_min_length: 3", "valid_min_length: 5")) == [
        ("tightened", "column email: check invalid valid_min_length 3 -> 5")
    ]
    assert changes(edited("valid_min_length: 3", "valid_min_length: 1")) == [
        ("relaxed", "column email: check invalid valid_min_length 3 -> 1")
    ]
    missing = edited("      - missing:\n", "      - missing:\n          missing_values: ['N/A']\n")
    assert changes(missing) == [
        ("tightened", "column email: check missing missing_values set to [N/A]")
    ]
    assert changes(doc(BASE), old=missing)[0][0] == "relaxed"


def test_formats_change_tightens_but_renaming_a_format_is_cosmetic() -> None:
    old = edited("valid_values: [a, b]", "valid_format: {regex: '^a', name: starts with a}")
    renamed = edited("valid_values: [a, b]", "valid_format: {regex: '^a', name: begins with a}")
    other = edited("valid_values: [a, b]", "valid_format: {regex: '^b', name: starts with a}")
    assert changes(renamed, old=old) == [
        ("cosmetic", "column email valid_format name starts with a -> begins with a")
    ]
    assert changes(other, old=old)[0][0] == "tightened"


def test_code_changes_are_tightened() -> None:
    filtered = edited("      - missing:\n", "      - missing:\n          filter: country = 'BE'\n")
    assert changes(filtered) == [
        ("tightened", "column email: check missing filter set to country = 'BE'")
    ]
    top = doc(BASE)
    top["filter"] = "created > '2024-01-01'"
    assert changes(top) == [("tightened", "dataset filter set to created > '2024-01-01'")]
    long_query = doc(BASE)
    long_query["checks"].append(
        {"metric": {"query": "SELECT 1\nFROM t", "threshold": {"must_be": 1}}}
    )
    changed_query = doc(BASE)
    changed_query["checks"].append(
        {"metric": {"query": "SELECT 2\nFROM t", "threshold": {"must_be": 1}}}
    )
    assert changes(changed_query, old=long_query) == [("tightened", "check metric query changed")]


def test_cosmetic_changes() -> None:
    new = doc(BASE)
    new["description"] = "All customers"
    new["columns"][1]["description"] = "Where we write"
    new["columns"][1]["checks"][0] = {
        "missing": {"name": "Email present", "attributes": {"severity": "high"}}
    }
    new["check_attributes"] = {"team": "crm"}
    assert changes(new) == [
        ("cosmetic", "column email description set to Where we write"),
        ("cosmetic", "column email: check missing attributes set to {severity: high}"),
        ("cosmetic", "column email: check missing name set to Email present"),
        ("cosmetic", "dataset check_attributes set to {team: crm}"),
        ("cosmetic", "dataset description Customers -> All customers"),
    ]
    assert diff_contracts(doc(BASE), new).change_class is C


def test_writing_the_kind_of_a_contract_is_cosmetic() -> None:
    new = doc(BASE)
    new["kind"] = "contract"
    assert changes(new) == [("cosmetic", "dataset kind set to contract")]


def test_attribute_changes_name_the_entries() -> None:
    old = doc(BASE)
    old["check_attributes"] = {"team": "crm", "tags": ["a"]}
    new = doc(BASE)
    new["check_attributes"] = {"team": "sales", "tags": ["a"], "owner": "x"}
    assert changes(new, old=old) == [("cosmetic", "dataset check_attributes changed (owner, team)")]


def test_variables_and_schedule() -> None:
    old = doc(BASE)
    old["variables"] = {"MIN": {"default": 1}, "OLD": None}
    old["soda_runner"] = {"checks_schedule": {"cron": "0 * * * *", "variables": {"MIN": 2}}}
    new = doc(BASE)
    new["variables"] = {"MIN": {"default": 5, "description": "lowest"}, "NEW": None}
    new["soda_runner"] = {"checks_schedule": {"cron": "0 0 * * *", "variables": {"MIN": 2}}}
    assert changes(new, old=old) == [
        ("tightened", "variable MIN default 1 -> 5"),
        ("cosmetic", "variable MIN description set to lowest"),
        ("cosmetic", "variable NEW declared"),
        ("cosmetic", "variable OLD removed"),
        ("cosmetic", "schedule cron 0 * * * * -> 0 0 * * *"),
    ]


def test_another_dataset_is_breaking() -> None:
    new = edited("pg/db/public/customers", "pg/db/public/clients")
    assert changes(new) == [
        ("breaking", "dataset dataset pg/db/public/customers -> pg/db/public/clients")
    ]


def test_a_create_is_summarised() -> None:
    result = diff_contracts(None, doc(BASE))
    assert worded(result) == [("dataset", "new contract: 2 columns, 5 checks", T)]
    assert result.changes[0].kind is ChangeKind.NEW_CONTRACT
    assert result.changes[0].counts == (2, 5)
    empty = diff_contracts(None, {"dataset": "a/b", "columns": []})
    assert worded(empty) == [("dataset", "new contract: 0 columns, 0 checks", C)]


def test_the_most_severe_class_wins() -> None:
    new = edited("      - missing:\n", "")
    new["description"] = "x"
    new["checks"][1]["row_count"]["threshold"]["must_be_greater_than"] = 1
    assert diff_contracts(doc(BASE), new).change_class is B
    assert [c.severity for c in ChangeClass] == [4, 3, 2, 1, 0]
    assert ChangeClass.FORMAT_ONLY.value == "format-only"


def test_odd_remote_shapes_give_generic_changes() -> None:
    odd = {
        "dataset": "pg/db/public/customers",
        "columns": "id, email",
        "checks": [{"schema": None}, "row_count", 5],
    }
    result = diff_contracts(odd, doc(BASE))
    assert result.change_class is T
    assert ("contract", "entries that are not well-formed columns or checks changed", T) in (
        worded(result)
    )
    not_a_mapping: Any = [1, 2]
    assert worded(diff_contracts(not_a_mapping, doc(BASE))) == [
        ("contract", "the contract changed", T)
    ]


ODD = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(),
        st.text(max_size=5),
        st.sampled_from(["missing", "schema", "row_count", "fail", "warn", "percent", "day"]),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(
            st.sampled_from(
                [
                    "dataset",
                    "columns",
                    "checks",
                    "name",
                    "threshold",
                    "missing",
                    "row_count",
                    "schema",
                    "freshness",
                    "must_be",
                    "must_be_between",
                    "greater_than",
                    "less_than",
                    "level",
                    "metric",
                    "unit",
                    "additional",
                    "qualifier",
                    "valid_values",
                    "variables",
                    "default",
                    "data_type",
                    "soda_runner",
                    "checks_schedule",
                    "attributes",
                    "x",
                ]
            ),
            children,
            max_size=4,
        ),
    ),
    max_leaves=25,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ODD, ODD)
def test_odd_shapes_never_crash(old: Any, new: Any) -> None:
    result = diff_contracts(old, new)
    assert isinstance(result, ContractDiff)
    for change in result.changes:
        assert change_words(change)
        assert isinstance(change.change_class, ChangeClass)
        # What a saved plan holds reads back as the same change.
        assert Change.model_validate_json(change.model_dump_json()) == change
    if new is not None:
        assert diff_contracts(new, new).change_class is None
