"""Our rules where Soda's engine has the last word: each area has a fixture pair in
``fixtures/`` (one the engine accepts, one it refuses), and our verdict must be the
engine's. Where soda-core decides it is named beside the area (soda-core 4.28)."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import pytest

from reconciler.contract import parse_contract_text
from tests import shop

FIXTURES = Path(__file__).parent / "fixtures"


class Area(NamedTuple):
    refused_by: str  # the rule that refuses the refused fixture
    warned_by: str | None = None  # a warning of ours the accepted fixture carries


AREAS = {
    # soda_core/common/yaml.py: YamlValue.yaml_wrap substitutes a mapping's text values
    # (VariableResolver.resolve keeps a whole reference's value as it is: a number default
    # stays a number) before YamlObject.read_value checks their kind.
    "variable-substituted": Area("wrong-type"),
    # soda_core/contracts/impl/contract_yaml.py: ContractYaml._resolve_variable_values logs
    # "Required variable ... did not get a value" for every declared variable without one,
    # whatever `required:` says.
    "variable-without-value": Area("variable-without-value"),
    # soda_core/contracts/impl/contract_yaml.py: ContractYaml.__init__ refuses a NOW that
    # soda_core/common/datetime_conversions.py: convert_str_to_datetime cannot read.
    "variable-timestamp": Area("variable-timestamp"),
    # soda_core/contracts/impl/check_types/schema_check_yaml.py: SchemaCheckYaml reads
    # allow_extra_columns / allow_other_column_order as booleans and no threshold
    # (schema_check.py builds its own).
    "schema-options": Area("wrong-type", warned_by="threshold-not-allowed"),
    # soda_core/contracts/impl/check_types/aggregate_check_yaml.py reads `function` as text
    # and takes the missing and validity settings; aggregate_check.py lower-cases it and
    # SqlDialect.supports_function lists what every dialect runs.
    "aggregate-function": Area("wrong-type"),
    # soda_core/check_collections/session.py reads `kind` (CheckCollectionImpl.for_kind
    # knows only `contract`); the extensions' sections are never read by the engine.
    "top-level-keys": Area("invalid-value"),
    # soda_core/contracts/impl/contract_yaml.py: ColumnYaml._validate_type_parameters judges
    # size keys only on SodaDataTypeName types without a data source (_resolve_to_soda_type),
    # with _DefaultSqlDialect's data_type_has_parameter_* (text takes a length).
    "size-key-text-type": Area("size-key-type", warned_by="size-key-native-type"),
    # soda_core/contracts/impl/check_types/failed_rows_check_yaml.py: a form is present when
    # its text is not blank after dedent().strip().
    "blank-query": Area("failed-rows-form"),
}


def _text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


@pytest.mark.parametrize("area", sorted(AREAS))
def test_the_accepted_fixture_passes_our_rules(area: str) -> None:
    parsed = parse_contract_text(_text(f"{area}.accepted.yml"), f"{area}.accepted.yml")
    assert parsed.ok, parsed.errors
    warned = {d.rule for d in parsed.diagnostics}
    assert warned == ({AREAS[area].warned_by} - {None})


@pytest.mark.parametrize("area", sorted(AREAS))
def test_the_refused_fixture_is_refused_by_the_rule_of_its_area(area: str) -> None:
    parsed = parse_contract_text(_text(f"{area}.refused.yml"), f"{area}.refused.yml")
    assert {d.rule for d in parsed.errors} == {AREAS[area].refused_by}


@shop.needs_engine
@pytest.mark.parametrize("area", sorted(AREAS))
def test_the_engine_gives_each_fixture_the_verdict_we_give(area: str) -> None:
    from reconciler.engine import dry_run

    assert dry_run(_text(f"{area}.accepted.yml")).ok
    assert not dry_run(_text(f"{area}.refused.yml")).ok


def test_the_fixture_folder_holds_the_pairs_and_nothing_unexplained() -> None:
    pairs = {f"{area}.{side}.yml" for area in AREAS for side in ("accepted", "refused")}
    # A file outside the pairs is one the oracle test lists as a deliberate difference.
    assert {path.name for path in FIXTURES.glob("*.yml")} - pairs == {
        "aggregate-function-unknown.yml"
    }


def test_a_variable_given_with_var_is_text_where_a_number_belongs() -> None:
    text = _text("variable-substituted.accepted.yml")
    parsed = parse_contract_text(text, "c.yml", variables={"MAX_MISSING": "5"})
    [error] = parsed.errors
    assert (error.rule, error.line, error.col) == ("wrong-type", 18, 32)
    assert "${var.MAX_MISSING} gives the text '5'" in error.message


def test_an_unresolved_reference_is_left_to_the_variable_rules() -> None:
    text = "dataset: a/b\ncolumns:\n  - name: c\n    valid_max: ${var.MAX}\n"
    parsed = parse_contract_text(text, "c.yml")
    assert {d.rule for d in parsed.errors} == {"undeclared-variable"}


def test_the_engine_reference_pattern_allows_spaces_inside_the_braces() -> None:
    text = "dataset: a/b\ncolumns: []\nfilter: x = '${ var.LIMIT }'\n"
    assert {d.rule for d in parse_contract_text(text, "c.yml").errors} == {"undeclared-variable"}


def test_a_size_key_on_a_type_the_engine_knows_is_judged_as_the_engine_judges_it() -> None:
    def rules_for(data_type: str, key: str) -> set[str]:
        text = f"dataset: a/b\ncolumns:\n  - name: c\n    data_type: {data_type}\n    {key}: 3\n"
        return {d.rule for d in parse_contract_text(text, "c.yml").diagnostics}

    assert rules_for("VARCHAR(20)", "character_maximum_length") == set()
    assert rules_for("date", "datetime_precision") == {"size-key-type"}
    assert rules_for("timestamp_tz", "datetime_precision") == set()
    assert rules_for("int4", "character_maximum_length") == {"size-key-native-type"}
    assert rules_for("number", "numeric_scale") == set()
