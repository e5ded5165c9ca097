"""The shape of a contract: keys at every level, value kinds, check placement."""

from __future__ import annotations

import pytest

from tests.contract.helpers import only, parse, rules, where


def test_a_clean_contract_has_no_diagnostics_and_a_model() -> None:
    parsed = parse(
        """
        dataset: pg/db/public/orders
        columns:
          - name: id
            data_type: integer
            checks:
              - missing:
        checks:
          - row_count:
        """
    )
    assert parsed.diagnostics == ()
    assert parsed.model is not None
    assert parsed.model.columns[0].name == "id"
    assert parsed.dataset == "pg/db/public/orders"


@pytest.mark.parametrize(
    ("text", "position", "message", "hint"),
    [
        (  # top level
            "dataset: a/b\ncolumns: []\ndescriptoin: x\n",
            (3, 1),
            "unknown key 'descriptoin' in the contract",
            "did you mean 'description'?",
        ),
        (  # column
            "dataset: a/b\ncolumns:\n  - name: id\n    data_typ: int\n",
            (4, 5),
            "unknown key 'data_typ' in column 'id'",
            "did you mean 'data_type'?",
        ),
        (  # check body
            "dataset: a/b\ncolumns:\n  - name: id\n    checks:\n      - missing:\n"
            "          treshold:\n            must_be: 0\n",
            (6, 11),
            "unknown key 'treshold' in check 'missing' on column 'id'",
            "did you mean 'threshold'?",
        ),
        (  # threshold
            "dataset: a/b\ncolumns: []\nchecks:\n  - row_count:\n      threshold:\n"
            "        must_be_greather_than: 0\n",
            (6, 9),
            "unknown key 'must_be_greather_than' in the threshold of dataset check 'row_count'",
            "did you mean 'must_be_greater_than'?",
        ),
        (  # between bounds
            "dataset: a/b\ncolumns: []\nchecks:\n  - row_count:\n      threshold:\n"
            "        must_be_between: {greater_then: 1, less_than: 5}\n",
            (6, 27),
            "unknown key 'greater_then' in 'must_be_between' of the threshold of dataset "
            "check 'row_count'",
            "did you mean 'greater_than'?",
        ),
        (  # additional threshold
            "dataset: a/b\ncolumns: []\nchecks:\n  - row_count:\n      threshold:\n"
            "        must_be_greater_than: 10\n        additional:\n          levle: warn\n"
            "          must_be_greater_than: 100\n",
            (8, 11),
            "unknown key 'levle' in the additional threshold of dataset check 'row_count'",
            "did you mean 'level'?",
        ),
        (  # nested mapping: a format
            "dataset: a/b\ncolumns:\n  - name: id\n    missing_format:\n      regx: '^x$'\n",
            (5, 7),
            "unknown key 'regx' in 'missing_format' of column 'id'",
            "did you mean 'regex'?",
        ),
        (  # nested mapping: reference data
            "dataset: a/b\ncolumns:\n  - name: id\n    valid_reference_data:\n"
            "      dataset: a/c\n      colum: id\n",
            (6, 7),
            "unknown key 'colum' in 'valid_reference_data' of column 'id'",
            "did you mean 'column'?",
        ),
        (  # variable
            "dataset: a/b\ncolumns: []\nvariables:\n  X:\n    defualt: 1\n",
            (5, 5),
            "unknown key 'defualt' in variable 'X'",
            "did you mean 'default'?",
        ),
        (  # schedule
            "dataset: a/b\ncolumns: []\nsoda_runner:\n  checks_schedule:\n    corn: '0 * * * *'\n",
            (5, 5),
            "unknown key 'corn' in 'checks_schedule' of 'soda_runner'",
            "did you mean 'cron'?",
        ),
    ],
)
def test_unknown_keys_at_every_level_get_a_place_and_a_guess(
    text: str, position: tuple[int, int], message: str, hint: str
) -> None:
    parsed = parse(text)
    diagnostic = only(parsed, "unknown-key")
    assert (diagnostic.line, diagnostic.col) == position
    assert diagnostic.message == message
    assert diagnostic.hint == hint
    assert parsed.model is None


def test_an_unknown_key_without_a_close_match_lists_the_known_keys() -> None:
    diagnostic = only(parse("dataset: a/b\ncolumns: []\nzzz: 1\n"), "unknown-key")
    assert diagnostic.hint is not None
    assert diagnostic.hint.startswith("known keys here: dataset, columns, description")


def test_legacy_keys_say_what_replaced_them() -> None:
    diagnostic = only(parse("data_source: pg\ndataset: pg/t\ncolumns: []\n"), "unknown-key")
    assert diagnostic.hint is not None
    assert "first part of `dataset:`" in diagnostic.hint


def test_an_unknown_check_type_is_an_unknown_key_with_a_guess() -> None:
    parsed = parse("dataset: a/b\ncolumns:\n  - name: id\n    checks:\n      - mising:\n")
    diagnostic = only(parsed, "unknown-key")
    assert (diagnostic.line, diagnostic.col) == (5, 9)
    assert diagnostic.message == "unknown check type 'mising' in column 'id'"
    assert diagnostic.hint == "did you mean 'missing'?"


def test_a_dataset_check_under_a_column_is_misplaced() -> None:
    parsed = parse("dataset: a/b\ncolumns:\n  - name: id\n    checks:\n      - row_count:\n")
    diagnostic = only(parsed, "check-placement")
    assert (diagnostic.line, diagnostic.col) == (5, 9)
    assert "'row_count' is a dataset check" in diagnostic.message


def test_a_column_check_at_dataset_level_is_misplaced() -> None:
    parsed = parse("dataset: a/b\ncolumns: []\nchecks:\n  - missing:\n")
    assert where(parsed, "check-placement") == [(4, 5)]


def test_a_key_beside_the_check_type_is_a_shape_error_that_says_to_indent() -> None:
    parsed = parse(
        "dataset: a/b\ncolumns:\n  - name: id\n    checks:\n      - missing:\n"
        "        threshold:\n          must_be: 0\n"
    )
    diagnostic = only(parsed, "check-shape")
    assert (diagnostic.line, diagnostic.col) == (6, 9)
    assert diagnostic.hint == "indent 'threshold' under 'missing:' (it belongs to the check)"


def test_two_check_types_in_one_item_is_a_shape_error() -> None:
    parsed = parse("dataset: a/b\ncolumns: []\nchecks:\n  - row_count:\n    schema:\n")
    diagnostic = only(parsed, "check-shape")
    assert diagnostic.hint == "start 'schema' on its own line with '- schema:'"


def test_a_check_written_without_a_colon_is_a_shape_error() -> None:
    parsed = parse("dataset: a/b\ncolumns: []\nchecks:\n  - row_count\n")
    diagnostic = only(parsed, "check-shape")
    assert (diagnostic.line, diagnostic.col) == (4, 5)
    assert diagnostic.hint == "write '- row_count:' (with a colon)"


def test_required_keys_are_reported_at_their_parent() -> None:
    parsed = parse("columns:\n  - data_type: int\n")
    assert sorted(where(parsed, "missing-key")) == [(1, 1), (2, 5)]
    messages = sorted(d.message for d in parsed.diagnostics if d.rule == "missing-key")
    assert messages == [
        "column #1 is missing the required key 'name'",
        "the contract is missing the required key 'dataset'",
    ]


def test_freshness_needs_its_column_and_aggregate_its_function() -> None:
    parsed = parse(
        "dataset: a/b\ncolumns:\n  - name: n\n    checks:\n      - aggregate:\n"
        "          threshold: {must_be: 1}\nchecks:\n  - freshness:\n"
        "      threshold: {must_be_less_than: 1}\n"
    )
    assert sorted(d.message for d in parsed.errors) == [
        "check 'aggregate' on column 'n' is missing the required key 'function'",
        "dataset check 'freshness' is missing the required key 'column'",
    ]


@pytest.mark.parametrize(
    ("text", "position", "message"),
    [
        (
            "dataset: [a, b]\ncolumns: []\n",
            (1, 10),
            "'dataset' in the contract must be text, not a list",
        ),
        (
            "dataset: a/b\ncolumns: {}\n",
            (2, 10),
            "'columns' in the contract must be a list, not a mapping",
        ),
        (
            "dataset: a/b\ncolumns: []\nscopes: 5\n",
            (3, 9),
            "'scopes' in the contract must be a mapping or a list",
        ),
        (
            "dataset: a/b\ncolumns:\n  - name: id\n    optional: yes\n",
            (4, 15),
            "'optional' in column 'id' must be true or false, not text",
        ),
        (
            "dataset: a/b\ncolumns: []\nchecks:\n  - row_count:\n      threshold:\n        must_be: '5'\n",
            (6, 18),
            "'must_be' in the threshold of dataset check 'row_count' must be a number or a ${var.NAME} reference",
        ),
        (
            "dataset: a/b\ncolumns:\n  - name: id\n    character_maximum_length: -1\n    data_type: text\n",
            (4, 31),
            "'character_maximum_length' in column 'id' must be zero or more",
        ),
    ],
)
def test_values_of_the_wrong_kind_are_reported_in_our_words(
    text: str, position: tuple[int, int], message: str
) -> None:
    parsed = parse(text)
    diagnostic = next(d for d in parsed.errors if d.rule in ("wrong-type", "invalid-value"))
    assert ((diagnostic.line, diagnostic.col), diagnostic.message) == (position, message)
    assert "Input should" not in diagnostic.message


def test_an_enum_typo_gets_a_guess() -> None:
    parsed = parse(
        "dataset: a/b\ncolumns:\n  - name: id\n    checks:\n      - missing:\n"
        "          threshold:\n            level: wran\n"
    )
    diagnostic = only(parsed, "invalid-value")
    assert (diagnostic.line, diagnostic.col) == (7, 20)
    assert diagnostic.hint == "did you mean 'warn'?"


def test_aggregate_function_is_case_insensitive_but_checked() -> None:
    ok = parse(
        "dataset: a/b\ncolumns:\n  - name: n\n    checks:\n      - aggregate:\n"
        "          function: AVG\n          threshold: {must_be: 1}\n"
    )
    assert ok.ok
    bad = parse(
        "dataset: a/b\ncolumns:\n  - name: n\n    checks:\n      - aggregate:\n"
        "          function: median\n          threshold: {must_be: 1}\n"
    )
    assert only(bad, "invalid-value").message.startswith(
        "'function' in check 'aggregate' on column 'n' 'median' is not an aggregate function"
    )


def test_a_document_that_is_not_a_mapping_is_refused() -> None:
    assert rules(parse("- dataset: a/b\n")) == {"not-a-mapping"}


def test_every_mistake_of_a_file_is_reported_at_once() -> None:
    parsed = parse(
        """
        dataset: a/b
        columns:
          - name: id
            data_typ: int
            checks:
              - missing:
                  treshold: {must_be: 0}
          - name: id
        checks:
          - row_count:
              threshold:
                must_be_between: {greater_than: 9, less_than: 1}
        """
    )
    assert [(d.line, d.rule) for d in parsed.diagnostics] == [
        (4, "unknown-key"),
        (7, "unknown-key"),
        (8, "duplicate-column"),
        (12, "threshold-range"),
    ]


def test_a_stub_is_missing_columns_unless_stubs_are_allowed() -> None:
    from reconciler.contract import parse_contract_text

    assert rules(parse("dataset: a/b\n")) == {"missing-key"}
    stub = parse_contract_text("dataset: a/b\n", "c.yml", allow_stub=True)
    assert stub.ok
    assert stub.is_stub
    assert stub.model is None


def test_reference_data_names_its_dataset_as_text_or_parts() -> None:
    head = "dataset: a/b\ncolumns:\n  - name: c\n    valid_reference_data:\n      column: code\n"
    assert parse(head + "      dataset: pg/db/public/countries\n").ok
    assert parse(head + "      dataset: [pg, db, public, countries]\n").ok
    diagnostic = only(parse(head + "      dataset: 5\n"), "wrong-type")
    assert (diagnostic.line, diagnostic.col) == (6, 16)
    assert diagnostic.message == (
        "'dataset' in 'valid_reference_data' of column 'c' must be a dataset name, "
        "or a list of its parts"
    )
