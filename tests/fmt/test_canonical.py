"""The canonical layout of one contract text: what changes (layout), what never does
(meaning, comments, the spelling of values), and the files it leaves as they are."""

from __future__ import annotations

import json
import textwrap
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.contract import parse_contract_text
from reconciler.contract.document import load_document
from reconciler.contract.fingerprint import semantic_fingerprint
from reconciler.fmt import Refusal, canonical_text, format_contract
from reconciler.fmt.canonical import MENDED_RULES, comments


def text(block: str) -> str:
    """A dedented text; ``␣`` stands for a space that must not be lost at a line's end."""
    return textwrap.dedent(block).lstrip("\n").replace("␣", " ")


def laid_out(source: str) -> str:
    """The canonical layout of a valid contract (but for what the layout mends), checked to be
    accepted and stable."""
    parsed = parse_contract_text(source, "c.yml", allow_stub=True)
    assert all(d.rule in MENDED_RULES for d in parsed.errors)
    result = format_contract(source, "c.yml", {})
    assert not isinstance(result, Refusal), result
    assert format_contract(result, "c.yml", {}) == result
    assert parse_contract_text(result, "c.yml", allow_stub=True).ok
    return result


def refusal(source: str) -> Refusal:
    result = format_contract(source, "c.yml", {})
    assert isinstance(result, Refusal), result
    return result


def fingerprint(source: str) -> str:
    return semantic_fingerprint(load_document(source.encode(), "c.yml").value)


MESSY = text(
    """
    # Orders: one row per order.␣␣␣
       # an indented header comment

    ---
    dataset:    warehouse/public/orders   # the table
    description: >-
        One row per order,
        amounts in EUR.
    variables:
        LIMIT:
            default: 500     # EUR



    columns:    # every column
        -   name: id
            data_type: integer
            checks:
                - missing:
                - duplicate:
                    # at the end of id's checks
        # before status
        -   name: status
            checks:
                -   invalid:
                        valid_values: [ placed,paid ,  shipped ]   # states
        - {name: amount, data_type: decimal}
    checks:
      - schema:
      - failed_rows:
            name: no future orders
            query: |
                SELECT *
                  FROM orders␣␣␣
                WHERE ordered_at > now()
            threshold:
                must_be_less_than: 1
    # the end


    """
)

CANONICAL = text(
    """
    # Orders: one row per order.
    # an indented header comment

    dataset: warehouse/public/orders  # the table
    description: >-
      One row per order,
      amounts in EUR.
    variables:
      LIMIT:
        default: 500  # EUR

    columns:  # every column
      - name: id
        data_type: integer
        checks:
          - missing:
          - duplicate:
      # at the end of id's checks
      # before status
      - name: status
        checks:
          - invalid:
              valid_values: [placed, paid, shipped]  # states
      - {name: amount, data_type: decimal}
    checks:
      - schema:
      - failed_rows:
          name: no future orders
          query: |
            SELECT *
              FROM orders␣␣␣
            WHERE ordered_at > now()
          threshold:
            must_be_less_than: 1
    # the end
    """
)


def test_a_messy_contract_takes_the_canonical_layout_and_keeps_its_meaning() -> None:
    assert laid_out(MESSY) == CANONICAL
    assert fingerprint(CANONICAL) == fingerprint(MESSY)
    assert [c.text for c in comments(CANONICAL)] == [c.text for c in comments(MESSY)]


def test_a_canonical_text_is_returned_as_it_is() -> None:
    assert format_contract(CANONICAL, "c.yml", {}) is CANONICAL


def test_trailing_spaces_inside_a_block_scalar_are_content_and_stay() -> None:
    assert "  FROM orders   \n" in laid_out(MESSY)


def test_values_keep_their_spelling_and_quotes() -> None:
    source = text(
        """
        dataset:   'warehouse/public/orders'
        columns:
          - name:   "id"
            valid_values: [yes, no, on, 017, 0o17, 0x1F, 1_000, 1e3, .5, ~, Null, True, FALSE]
            description: 2001-12-14t21:59:43.10-05:00
            missing_values: ['it''s', "tab\\there", ""]
        """
    )
    assert laid_out(source) == source.replace(":   ", ": ")


def test_block_scalars_keep_style_chomping_and_content_when_reindented() -> None:
    source = text(
        """
        dataset: warehouse/public/orders
        columns:
            - name: id
              description: |+
                  kept
                    more indented

              optional: true
        checks:
            - failed_rows:
                  query: |-
                      SELECT 1
                  name: >
                      folded
                      text

                      second paragraph
            - metric:
                  expression: |2
                         leading spaces
                       here
                  threshold:
                      must_be: 0
        """
    )
    result = laid_out(source)
    assert fingerprint(result) == fingerprint(source)
    assert "description: |+\n      kept\n        more indented\n\n    optional" in result
    assert "query: |-\n" in result
    assert "name: >\n" in result
    assert "expression: |2\n" in result  # the indicator a leading space needs


def test_anchors_and_aliases_are_kept_even_unused_ones() -> None:
    source = text(
        """
        dataset: &name warehouse/public/orders
        variables:
            LOW: &low
                default: 1
            ALSO_LOW: *low
        columns:
            - &id_column
              name: id
            - name: copy
              description: *name
        """
    )
    result = laid_out(source)
    for marker in ("&name", "&low", "*low", "&id_column", "*name"):
        assert marker in result
    assert fingerprint(result) == fingerprint(source)


def test_flow_collections_get_one_spacing_and_one_line() -> None:
    source = text(
        """
        dataset: warehouse/public/orders
        columns:
          - name: status
            checks: [ {missing: {}},{invalid: {valid_values: [ a,b ]}} ]
          - name: other
            valid_values: [
              x, y,
              z
            ]
        """
    )
    result = laid_out(source)
    assert "    checks: [{missing: {}}, {invalid: {valid_values: [a, b]}}]\n" in result
    assert "    valid_values: [x, y, z]\n" in result


def test_comments_in_every_place_are_kept_in_order() -> None:
    source = text(
        """
        # header
        dataset: warehouse/public/orders # after a value
        # between keys
        columns: # after a key that opens a block
          # before the first item
          - # after a dash
            name: id
            description: | # after a block indicator
              # not a comment: content
            checks:
              - missing:
                  # at the end of a nested block
          # between items
          - name: b # after a scalar in a list
            valid_values: [1, 2] # after a flow list
        # at the end
        """
    )
    result = laid_out(source)
    assert [c.text for c in comments(result)] == [c.text for c in comments(source)]
    assert "      # not a comment: content\n" in result
    assert result.endswith("    valid_values: [1, 2]  # after a flow list\n# at the end\n")


def test_end_of_line_comments_of_consecutive_lines_line_up() -> None:
    source = text(
        """
        dataset: warehouse/public/orders # the table
        columns: # its columns
          - name: id    # the key
        """
    )
    assert laid_out(source) == text(
        """
        dataset: warehouse/public/orders  # the table
        columns:                          # its columns
          - name: id                      # the key
        """
    )


def test_blank_lines_become_at_most_one_and_none_at_the_ends() -> None:
    source = "\n\ndataset: warehouse/public/orders\n\n\n\ncolumns:\n  - name: id\n\n\n"
    assert laid_out(source) == "dataset: warehouse/public/orders\n\ncolumns:\n  - name: id\n"


def test_crlf_line_endings_become_lf() -> None:
    source = "dataset: warehouse/public/orders\r\ncolumns: # c\r\n  - name: id\r\n"
    assert laid_out(source) == "dataset: warehouse/public/orders\ncolumns:  # c\n  - name: id\n"


def test_a_document_start_is_dropped_and_the_comments_above_it_kept() -> None:
    source = "# about\n---\ndataset: warehouse/public/orders\ncolumns: []\n...\n"
    assert laid_out(source) == "# about\ndataset: warehouse/public/orders\ncolumns: []\n"


def test_a_yaml_directive_keeps_its_document_start() -> None:
    source = "%YAML 1.2\n---\ndataset: warehouse/public/orders\ncolumns:   []\n"
    assert laid_out(source) == "%YAML 1.2\n---\ndataset: warehouse/public/orders\ncolumns: []\n"


def test_a_very_long_string_is_never_folded() -> None:
    words = " ".join(["word"] * 2000)
    source = f"dataset: warehouse/public/orders\ndescription:  {words}\ncolumns: []\n"
    assert laid_out(source) == source.replace(":  ", ": ")


def test_unicode_is_written_as_itself() -> None:
    source = (
        'dataset: warehouse/public/orders\ndescription:   "caf\\u00e9 ✓ 注文 😀"\ncolumns: []\n'
    )
    assert laid_out(source) == (
        'dataset: warehouse/public/orders\ndescription: "café ✓ 注文 😀"\ncolumns: []\n'
    )


def test_an_escaped_invisible_character_is_not_written_as_itself() -> None:
    source = 'dataset: warehouse/public/orders\ndescription:  "zero\\u200bwidth"\ncolumns: []\n'
    found = refusal(source)
    assert found.rule == "fmt-hidden-character"
    assert "U+200B (ZERO WIDTH SPACE)" in found.message


def test_tabs_between_tokens_become_spaces_while_tabs_in_values_and_comments_stay() -> None:
    source = "dataset:\twarehouse/public/orders\ncolumns:\n  - name: 'a\tb'\t#\tc\n    valid_values: [x,\ty]\n"
    # Soda's engine cannot read this file as it is: the tab after `dataset:` stops it, and
    # validate says so; the layout mends it.
    assert {d.rule for d in parse_contract_text(source, "c.yml").errors} == {"yaml-tab"}
    assert laid_out(source) == (
        # A quoted tab is written as an escape: the emitter writes no tab inside quotes.
        'dataset: warehouse/public/orders\ncolumns:\n  - name: "a\\tb"  #\tc\n'
        "    valid_values: [x, y]\n"
    )


def test_a_file_soda_engine_cannot_read_is_refused_at_its_place() -> None:
    # Soda's reader refuses a comment right after a block indicator (and validate says so).
    source = "---\ndataset: warehouse/public/orders\ncolumns: []\ndescription: |#why\n  text\n"
    assert [d.rule for d in parse_contract_text(source, "c.yml").errors] == ["yaml-block-header"]
    found = refusal(source)
    assert (found.line, found.col, found.rule) == (4, 15, "fmt-engine-unreadable")
    assert "ruamel.yaml" in found.message


def test_a_layout_that_would_change_the_meaning_is_refused() -> None:
    # The round trip folds a line that starts with a tab as if it were indentation.
    source = text(
        """
        dataset: warehouse/public/orders
        columns:
          - name: id
            description: >
              a
              \tb
              c
        """
    )
    assert fingerprint(canonical_text(source)) != fingerprint(source)
    assert refusal(source).rule == "fmt-meaning"


def test_a_comment_the_layout_would_lose_is_refused_at_its_place() -> None:
    source = text(
        """
        dataset: warehouse/public/orders
        columns:
          - name: id
            valid_values: [
              a, # the first
              b
            ]
        """
    )
    found = refusal(source)
    assert (found.line, found.col, found.rule) == (5, 10, "fmt-comment")
    assert "'# the first'" in found.message


def test_a_comment_between_a_key_and_its_value_is_refused() -> None:
    source = "dataset: warehouse/public/orders\ncolumns:\n  - name:\n      # why\n      id\n"
    assert refusal(source).rule == "fmt-comment"


KEYS = st.text(st.characters(codec="utf-8", categories=["L", "N"]), min_size=1, max_size=8)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(st.characters(codec="utf-8", categories=["L", "N", "P", "S"]), max_size=30),
    st.text(st.sampled_from("ab :#-'\"\n\\{}[]|>&*!%@`"), max_size=12),
)
DOCUMENTS = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=st.dictionaries(KEYS, DOCUMENTS, min_size=1, max_size=5))
def test_any_document_in_two_indentations_has_one_canonical_layout(
    document: dict[str, Any],
) -> None:
    narrow = yaml.safe_dump(document, indent=2, allow_unicode=True, sort_keys=False)
    wide = yaml.safe_dump(
        document, indent=4, allow_unicode=True, sort_keys=False, width=40, explicit_start=True
    )
    assert fingerprint(narrow) == fingerprint(wide)  # the same document, two layouts
    canonical = canonical_text(narrow)

    assert canonical_text(wide) == canonical
    assert canonical_text(canonical) == canonical
    assert fingerprint(canonical) == fingerprint(narrow)
    assert not isinstance(format_contract(wide, "c.yml", {}), Refusal)
    assert json.dumps(load_document(canonical.encode(), "c.yml").value) is not None


@pytest.mark.parametrize(
    "source",
    [
        "dataset: warehouse/public/orders\n",
        "dataset: warehouse/public/orders\ncolumns: []\n",
    ],
)
def test_stub_files_are_canonical(source: str) -> None:
    assert laid_out(source) == source


TEXT_PIECES = st.sampled_from(
    [
        *"ab:- #'\"\n\t[]{},&*!|>%?~01.\\",
        *("dataset: a/b/c\n", "columns:\n", "  - name: x\n", "\r\n", "é", "\u200b", "\x85"),
        *("---\n", "...\n", "%YAML 1.2\n", "!!str ", "<<: "),
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(source=st.lists(TEXT_PIECES, max_size=40).map("".join))
def test_whatever_the_text_fmt_answers_a_layout_or_a_refusal(source: str) -> None:
    result = format_contract(source, "c.yml", {})
    assert isinstance(result, str | Refusal)
    if isinstance(result, str) and result != source:
        assert fingerprint(result) == fingerprint(source)
