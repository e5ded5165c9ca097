"""The checks a change can make fail, as Soda's check paths: what ``--verify changed-checks``
sends as a verification's ``checkPaths``."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from reconciler.contract.checkpaths import WHOLE, changed_check_paths, check_path
from reconciler.contract.diff import diff_contracts

BASE = """
dataset: ds/db/public/customers
columns:
  - name: id
    data_type: integer
    checks:
      - missing:
  - name: email
    data_type: varchar
    checks:
      - invalid:
          valid_format: {name: email, regex: '^.+@.+$'}
      - missing:
          qualifier: strict
checks:
  - row_count:
  - schema:
"""


def paths(before: str, after: str) -> tuple[str, ...] | None:
    old: Any = yaml.safe_load(before)
    new: Any = yaml.safe_load(after)
    return changed_check_paths(diff_contracts(old, new).changes, new)


def test_paths_are_spelt_as_soda_names_checks() -> None:
    assert check_path("email", "missing", "strict") == "columns.email.checks.missing.strict"
    assert check_path(None, "row_count", None) == "checks.row_count"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        # A check added: that check.
        (
            (
                "  - name: id\n    data_type: integer\n    checks:\n      - missing:\n",
                "  - name: id\n    data_type: integer\n    checks:\n      - missing:\n      - duplicate:\n",
            ),
            ("columns.id.checks.duplicate",),
        ),
        # A threshold made stricter, on a qualified check: that check, with its qualifier.
        (
            (
                "          qualifier: strict\n",
                "          qualifier: strict\n          threshold: {must_be: 0}\n",
            ),
            (),  # must be 0 by default: the same passing values
        ),
        (
            (
                "          qualifier: strict\n",
                "          qualifier: strict\n          missing_values: ['-']\n",
            ),
            ("columns.email.checks.missing.strict",),
        ),
        (
            ("  - row_count:\n", "  - row_count:\n      threshold: {must_be_greater_than: 10}\n"),
            ("checks.row_count",),
        ),
        # A column's type changed (breaking): the schema check.
        (("    data_type: varchar\n", "    data_type: text\n"), ("checks.schema",)),
        # Relaxed: nothing can newly fail.
        (("  - schema:\n", "  - schema:\n      allow_extra_columns: true\n"), ()),
        # A check removed: nothing left to run.
        (("  - row_count:\n", ""), ()),
        # The dataset's filter: every check.
        (("\nchecks:\n", "\nfilter: country = 'NL'\nchecks:\n"), WHOLE),
    ],
    ids=[
        "added",
        "same-threshold",
        "qualified",
        "tightened",
        "column-type",
        "relaxed",
        "removed",
        "filter",
    ],
)
def test_the_checks_a_change_reaches(
    change: tuple[str, str], expected: tuple[str, ...] | None
) -> None:
    old, new = change
    assert old in BASE
    assert paths(BASE, BASE.replace(old, new, 1)) == expected


def test_a_column_setting_reaches_that_columns_checks_and_the_schema() -> None:
    after = BASE.replace(
        "    data_type: varchar\n", "    data_type: varchar\n    missing_values: ['N/A']\n"
    )

    assert paths(BASE, after) == (
        "checks.schema",
        "columns.email.checks.invalid",
        "columns.email.checks.missing.strict",
    )


def test_a_check_that_cannot_be_named_safely_verifies_the_whole_contract() -> None:
    before = BASE.replace("  - row_count:\n", "  - row_count:\n      scope: daily\n")
    after = before.replace(
        "      scope: daily\n", "      scope: daily\n      threshold: {must_be_greater_than: 5}\n"
    )

    assert paths(before, after) is WHOLE
