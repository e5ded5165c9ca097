"""The real contracts (from Soda's own test suite): valid ones pass, invalid ones fail with
the rule that matches the engine's first error (the MANIFEST's "First error" column)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.contract import parse_contract_text
from tests.shared import CORPUS, corpus_files, needs

# file -> the rule that says what the engine's first error says
EXPECTED_RULE = {
    "additional_same_level.yml": "threshold-additional",  # levels 'fail' and 'fail' must differ
    "additional_with_two_outer_comparisons.yml": "threshold-additional",  # exactly one comparison
    "aggregate_without_threshold.yml": "missing-threshold",  # Threshold required
    "between_bounds_inverted.yml": "threshold-range",  # greater bound (4) < less bound (3)
    "char_max_length_on_decimal.yml": "size-key-type",  # only valid for char, text, varchar
    "dataset_as_object.yml": "wrong-type",  # missing 'dataset' (it is not a string)
    "dataset_not_qualified.yml": "dataset-name",  # Dataset DQN must be a valid string
    "duplicate_check_identity.yml": "duplicate-check-identity",  # Duplicate identity
    "duplicate_column_names.yml": "duplicate-column",  # Duplicate columns with name 'id'
    "empty_checks_list.yml": "empty-checks",  # 'checks' must not be an empty list
    "failed_rows_mapping_non_string.yml": "wrong-type",  # key_column_mapping: a string
    "failed_rows_no_form.yml": "failed-rows-form",  # one of expression, query, keys_query
    "failed_rows_percent_without_rows_tested_query.yml": "threshold-metric",  # rows_tested_query
    "failed_rows_two_forms.yml": "failed-rows-form",  # mutually exclusive
    "invalid_check_without_config.yml": "invalid-without-config",  # no valid/invalid config
    "legacy_data_source_dataset_prefix.yml": "dataset-name",  # Dataset DQN must be valid
    "no_columns.yml": "missing-key",  # missing the required 'columns' property
    "no_dataset.yml": "missing-key",  # missing the required 'dataset' property
    "not_between_bounds_wrong_order.yml": "threshold-range",  # greater bound (0) > less (100)
    "threshold_metric_typo.yml": "invalid-value",  # 'metric' must be in ['count', 'percent']
    "undeclared_variable.yml": "undeclared-variable",  # 'DS_SUFFIX' used and not declared
    "variable_without_value.yml": "variable-without-value",  # 'V' did not get a value
}


@pytest.mark.parametrize("path", corpus_files("valid"))
def test_valid_real_contract_is_accepted(path: Path) -> None:
    parsed = parse_contract_text(path.read_text(encoding="utf-8"), path.name)
    assert parsed.ok, [f"{d.line}:{d.col} {d.rule}: {d.message}" for d in parsed.errors]
    assert parsed.document is not None


@pytest.mark.parametrize("path", corpus_files("invalid"))
def test_invalid_real_contract_is_rejected_with_the_expected_rule(path: Path) -> None:
    parsed = parse_contract_text(path.read_text(encoding="utf-8"), path.name)
    assert not parsed.ok
    assert EXPECTED_RULE[path.name] in {d.rule for d in parsed.errors}, parsed.errors


@needs(CORPUS / "invalid", CORPUS / "valid")
def test_every_invalid_file_has_an_expected_rule() -> None:
    assert {p.name for p in (CORPUS / "invalid").glob("*.yml")} == set(EXPECTED_RULE)
    assert len(list((CORPUS / "valid").glob("*.yml"))) >= 30
