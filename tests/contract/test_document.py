"""Reading YAML safely: positions, the core schema, and every refusal."""

from __future__ import annotations

import math

import pytest

from reconciler.contract.document import MAX_BYTES, MAX_DEPTH, load_document
from reconciler.errors import ContractLoadError


def load(text: str) -> object:
    return load_document(text.encode("utf-8"), "f.yml").value


def refusal(data: bytes) -> ContractLoadError:
    with pytest.raises(ContractLoadError) as caught:
        load_document(data, "f.yml")
    return caught.value


def test_scalars_follow_the_yaml_1_2_core_schema() -> None:
    value = load(
        "a: yes\nb: 2024-01-01\nc: 0x1F\nd: 0o17\ne: .inf\nf: ~\ng: 'true'\nh: TRUE\n"
        "i: -12\nj: 1.5e3\nk: on\nl:\nm: '12'\n"
    )
    assert value == {
        "a": "yes",
        "b": "2024-01-01",
        "c": 31,
        "d": 15,
        "e": math.inf,
        "f": None,
        "g": "true",
        "h": True,
        "i": -12,
        "j": 1500.0,
        "k": "on",
        "l": None,
        "m": "12",
    }


def test_nan_is_read_as_a_float() -> None:
    value = load("x: .nan\n")
    assert isinstance(value, dict)
    assert math.isnan(value["x"])


def test_positions_of_keys_and_values_are_one_based() -> None:
    document = load_document(
        b"dataset: a/b\ncolumns:\n  - name: id\n    checks:\n      - missing:\n", "f.yml"
    )
    assert document.position(("dataset",)) == (1, 10)
    assert document.position(("dataset",), key=True) == (1, 1)
    assert document.position(("columns", 0, "name"), key=True) == (3, 5)
    assert document.position(("columns", 0, "name")) == (3, 11)
    assert document.position(("columns", 0, "checks", 0, "missing"), key=True) == (5, 9)
    # a path that goes nowhere falls back to its nearest ancestor
    assert document.position(("columns", 0, "nothing", "deeper")) == (3, 5)


def test_columns_count_characters_not_bytes() -> None:
    document = load_document("name: 'é€'\nkey: x\n".encode(), "f.yml")
    assert document.position(("key",)) == (2, 6)
    document = load_document("a: {é: 1, b: 2}\n".encode(), "f.yml")
    assert document.position(("a", "b"), key=True) == (1, 11)


def test_duplicate_keys_are_reported_with_both_places_and_the_first_is_kept() -> None:
    document = load_document(b"a: 1\nb:\n  c: 1\n  c: 2\na: 3\n", "f.yml")
    assert document.value == {"a": 1, "b": {"c": 1}}
    found = [(d.rule, d.line, d.col, d.message) for d in document.diagnostics]
    assert found == [
        ("duplicate-key", 4, 3, "key 'c' appears twice in this mapping (first at line 3)"),
        ("duplicate-key", 5, 1, "key 'a' appears twice in this mapping (first at line 1)"),
    ]


def test_a_second_document_is_refused_where_it_starts() -> None:
    error = refusal(b"dataset: a/b\ncolumns: []\n---\ndataset: c/d\n")
    assert (error.rule, error.line, error.col) == ("multiple-documents", 3, 1)


def test_an_empty_file_is_refused() -> None:
    assert refusal(b"# only a comment\n").rule == "empty-file"


def test_a_billion_laughs_file_is_refused_before_expanding() -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 10):
        previous = f"*a{level - 1}"
        lines.append(f"a{level}: &a{level} [{', '.join([previous] * 9)}]")
    error = refusal(("\n".join(lines) + "\n").encode())
    assert error.rule == "alias-limit"
    assert "1,000,000" in error.message


def test_small_aliases_are_expanded() -> None:
    value = load("base: &b {level: warn}\nx: *b\ny: [*b, *b]\n")
    assert value == {
        "base": {"level": "warn"},
        "x": {"level": "warn"},
        "y": [{"level": "warn"}] * 2,
    }


def test_a_recursive_alias_is_refused() -> None:
    error = refusal(b"a: &x [1, *x]\n")
    assert error.rule == "alias-limit"
    assert "refers to the node that contains it" in error.message


def test_deep_nesting_is_refused() -> None:
    depth = MAX_DEPTH + 5
    error = refusal(("x: " + "[" * depth + "]" * depth + "\n").encode())
    assert error.rule == "nesting-depth"


@pytest.mark.parametrize(
    "text",
    [
        "x: !!python/object:os.system ls\n",
        "x: !custom 1\n",
        "x: !!binary aGk=\n",
        "x: !!timestamp 2024-01-01\n",
        "x: !!set {a, b}\n",
    ],
)
def test_tags_outside_the_core_schema_are_refused(text: str) -> None:
    error = refusal(text.encode())
    assert (error.rule, error.line, error.col) == ("yaml-tag", 1, 4)


def test_core_tags_are_accepted_and_checked() -> None:
    assert load("a: !!str 12\nb: !!int '7'\nc: !!float 1\n") == {"a": "12", "b": 7, "c": 1.0}
    assert refusal(b"a: !!int seven\n").rule == "yaml-tag"


def test_non_utf8_bytes_are_refused_at_their_place() -> None:
    error = refusal(b"dataset: a/b\nname: caf\xe9\n")
    assert (error.rule, error.line, error.col) == ("not-utf8", 2, 10)


def test_more_than_one_mebibyte_is_refused() -> None:
    error = refusal(b"a: " + b"x" * MAX_BYTES + b"\n")
    assert error.rule == "file-too-large"


def test_syntax_errors_carry_the_parser_position() -> None:
    error = refusal(b"dataset: a/b\ncolumns:\n  - name: [unclosed\n")
    assert error.rule == "yaml-syntax"
    assert error.line == 4
    assert error.message.startswith("invalid YAML: ")


def test_control_characters_are_a_syntax_error_not_a_crash() -> None:
    error = refusal(b"a: b\x07c\n")
    assert error.rule == "yaml-syntax"
    assert (error.line, error.col) == (1, 5)


def test_a_non_scalar_key_is_reported_and_skipped() -> None:
    document = load_document(b"? [a, b]\n: 1\nc: 2\n", "f.yml")
    assert document.value == {"c": 2}
    assert [(d.rule, d.line, d.col) for d in document.diagnostics] == [("invalid-key", 1, 3)]


def test_a_tab_between_tokens_is_refused_where_soda_engine_refuses_it() -> None:
    from reconciler.contract.parse import parse_contract_text

    source = "dataset: warehouse/public/orders\ncolumns:\n  - name: id\t# the key\n"
    (error,) = parse_contract_text(source, "c.yml").errors
    assert (error.line, error.col, error.rule) == (3, 13, "yaml-tab")


def test_tabs_inside_values_and_comments_are_left_alone() -> None:
    from reconciler.contract.parse import parse_contract_text

    source = (
        "dataset: warehouse/public/orders  # a\tcomment\n"
        "description: |\n  a\tblock\n"
        "columns:\n  - name: 'a\tb'\n    valid_values: [1,\t2]\n"
    )
    assert parse_contract_text(source, "c.yml").ok


def test_a_comment_glued_to_a_block_header_is_refused_at_the_indicator() -> None:
    from reconciler.contract.parse import parse_contract_text

    source = "dataset: warehouse/public/orders\ncolumns: []\ndescription: >-#why\n  text\n"
    (error,) = parse_contract_text(source, "c.yml").errors
    assert (error.line, error.col, error.rule) == (3, 14, "yaml-block-header")
    spaced = source.replace(">-#why", ">-  # why")
    assert parse_contract_text(spaced, "c.yml").ok


def test_a_tab_right_after_a_block_scalar_is_still_seen() -> None:
    from reconciler.contract.parse import parse_contract_text

    source = "dataset: a/b/c\ndescription: |\n  text\ncolumns:\t[]\n"
    (error,) = parse_contract_text(source, "c.yml").errors
    assert (error.line, error.rule) == (4, "yaml-tab")
