"""The emulator's structural check of contract YAML, and the check paths it derives."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from reconciler.emulator.contents import ContentsError, check_contents, checks_of
from tests.shared import CORPUS, corpus_files, needs


def _dataset_of(text: str) -> str:
    loaded = yaml.safe_load(text)
    return str(loaded["dataset"])


@pytest.mark.parametrize("path", corpus_files("valid"))
def test_every_real_valid_contract_passes(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    shape = check_contents(text, _dataset_of(text))
    assert shape.dataset == _dataset_of(text)


@needs(CORPUS / "invalid")
@pytest.mark.parametrize(
    ("name", "where", "fragment"),
    [
        ("no_dataset.yml", "line 1, column 1", "missing required key `dataset`"),
        ("no_columns.yml", "line 1, column 1", "missing required key `columns`"),
        ("dataset_as_object.yml", "line 2, column 3", "`dataset` must be a string"),
        ("duplicate_column_names.yml", "line 4, column 11", "column `id` is defined twice"),
    ],
)
def test_structurally_broken_real_contracts_are_refused_with_their_place(
    name: str, where: str, fragment: str
) -> None:
    with pytest.raises(ContentsError) as raised:
        check_contents((CORPUS / "invalid" / name).read_text(encoding="utf-8"), "any/dataset")
    assert raised.value.code == "invalid_contract"
    assert raised.value.message.startswith(where)
    assert fragment in raised.value.message


@pytest.mark.parametrize(
    ("contents", "code", "message"),
    [
        (
            "dataset: [a\ncolumns: []\n",
            "invalid_yaml",
            "line 2, column 8: the contents are not valid YAML",
        ),
        ("", "invalid_contract", "line 1, column 1: the contents are empty"),
        ("- a\n", "invalid_contract", "line 1, column 1: a contract is a mapping"),
        (
            "dataset: 12\ncolumns: []\n",
            "invalid_contract",
            "line 1, column 10: `dataset` must be a string",
        ),
        (
            "dataset: a/b\ncolumns: {}\n",
            "invalid_contract",
            "line 2, column 10: `columns` must be a list",
        ),
        (
            "dataset: a/b\ncolumns:\n  - id\n",
            "invalid_contract",
            "line 3, column 5: columns[0] must be a mapping",
        ),
        (
            "dataset: a/b\ncolumns:\n  - name: 3\n",
            "invalid_contract",
            "line 3, column 11: columns[0].name must be a string",
        ),
        (
            "dataset: a/b\ncolumns: []\nchecks: 5\n",
            "invalid_contract",
            "line 3, column 9: `checks` must be a list",
        ),
        (
            "dataset: a/b\ncolumns: []\nchecks:\n  - row_count\n",
            "invalid_contract",
            "line 4, column 5: each item of `checks`",
        ),
        (
            "dataset: a/b\ncolumns: []\nchecks:\n  - missing: 3\n",
            "invalid_contract",
            "line 4, column 14: the body of check `missing`",
        ),
        (
            "dataset: a/b\ncolumns: []\nvariables: [x]\n",
            "invalid_contract",
            "line 3, column 12: `variables` must be a mapping",
        ),
        (
            "dataset: a/b\ndataset: a/b\ncolumns: []\n",
            "invalid_contract",
            "line 2, column 1: key `dataset` appears twice",
        ),
        (
            "dataset: a/c\ncolumns: []\n",
            "dataset_mismatch",
            "line 1, column 10: `dataset` is 'a/c'",
        ),
    ],
)
def test_refusals_say_what_and_where(contents: str, code: str, message: str) -> None:
    with pytest.raises(ContentsError) as raised:
        check_contents(contents, "a/b")
    assert raised.value.code == code
    assert raised.value.message.startswith(message), raised.value.message


@needs(CORPUS / "valid" / "aggregate_min_max_qualifiers.yml")
def test_check_paths_name_column_and_dataset_checks_with_qualifiers() -> None:
    text = (CORPUS / "valid" / "aggregate_min_max_qualifiers.yml").read_text(encoding="utf-8")
    assert [ref.path for ref in checks_of(text)] == [
        "columns.age.checks.aggregate.min_age",
        "columns.age.checks.aggregate.max_age",
    ]
    mixed = "dataset: a/b\ncolumns:\n  - name: id\n    checks:\n      - missing:\n          name: No gaps\nchecks:\n  - row_count:\n"
    refs = checks_of(mixed)
    assert [(r.path, r.type, r.column, r.name) for r in refs] == [
        ("columns.id.checks.missing", "missing", "id", "No gaps"),
        ("checks.row_count", "row_count", None, None),
    ]
    assert checks_of("not: [valid") == ()
