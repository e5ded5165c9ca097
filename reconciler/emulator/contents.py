"""The emulator's own, minimal structural check of contract YAML, and the checks it names.

Soda Cloud refuses malformed or schema-invalid YAML with a 400. The emulator does the same
with a small structural check (it must not borrow the reconciler's validator: a client and
its test server agreeing by sharing code would prove nothing). Positions are 1-based
``line L, column C`` from the YAML node marks.

Check paths name a check inside its contract and are the ``checkPaths`` that verify accepts,
spelled as Soda's engine spells them: ``checks.row_count`` for a dataset check,
``columns.email.checks.missing`` for a column check, with ``.QUALIFIER`` appended when the
check has a qualifier.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STR = "tag:yaml.org,2002:str"
_STRING_KEYS = ("description", "filter")
_MAPPING_KEYS = (
    "variables",
    "check_attributes",
    "soda_runner",
    "soda_agent",
    "reconciliation",
    "failed_rows",
    "diagnostics",
)
_COLUMN_STRING_KEYS = ("data_type", "description", "column_expression")


class ContentsError(ValueError):
    """Contract contents the server refuses: ``code`` for machines, ``message`` for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class CheckRef:
    path: str
    type: str
    column: str | None
    qualifier: str | None
    name: str | None


@dataclass(frozen=True)
class ContractShape:
    dataset: str
    columns: tuple[str, ...]
    checks: tuple[CheckRef, ...]


def check_contents(contents: str, dataset_qualified_name: str) -> ContractShape:
    """The shape of valid contents for this dataset, or :class:`ContentsError`."""
    shape, dataset_node = _inspect(contents)
    if shape.dataset != dataset_qualified_name:
        raise ContentsError(
            "dataset_mismatch",
            f"{_at(dataset_node)}: `dataset` is '{shape.dataset}' but this contract belongs to "
            f"dataset '{dataset_qualified_name}'; the contents must name the contract's dataset",
        )
    return shape


@lru_cache(maxsize=65536)
def checks_of(contents: str) -> tuple[CheckRef, ...]:
    """The checks named by stored contents (none when they cannot be read: seeds are trusted)."""
    try:
        return _inspect(contents)[0].checks
    except ContentsError:
        return ()


def _inspect(contents: str) -> tuple[ContractShape, yaml.Node]:
    try:
        root = yaml.compose(contents, Loader=_LOADER)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or str(error)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "contents"
        raise ContentsError(
            "invalid_yaml", f"{where}: the contents are not valid YAML: {problem}"
        ) from None
    if root is None:
        raise ContentsError(
            "invalid_contract",
            "line 1, column 1: the contents are empty; a contract is a mapping with `dataset` "
            "and `columns`",
        )
    if not isinstance(root, yaml.MappingNode):
        raise ContentsError(
            "invalid_contract",
            f"{_at(root)}: a contract is a mapping with `dataset` and `columns`, not {_kind(root)}",
        )
    top = _mapping(root, "the contract")
    dataset_node = top.get("dataset")
    if dataset_node is None:
        raise ContentsError("invalid_contract", f"{_at(root)}: missing required key `dataset`")
    dataset = _string(dataset_node, "`dataset`")
    columns_node = top.get("columns")
    if columns_node is None:
        raise ContentsError(
            "invalid_contract", f"{_at(root)}: missing required key `columns` (it may be `[]`)"
        )
    if not isinstance(columns_node, yaml.SequenceNode):
        raise ContentsError(
            "invalid_contract",
            f"{_at(columns_node)}: `columns` must be a list, not {_kind(columns_node)}",
        )
    for key in _STRING_KEYS:
        if key in top:
            _string(top[key], f"`{key}`")
    for key in _MAPPING_KEYS:
        if key in top and not _is_null(top[key]) and not isinstance(top[key], yaml.MappingNode):
            raise ContentsError(
                "invalid_contract",
                f"{_at(top[key])}: `{key}` must be a mapping, not {_kind(top[key])}",
            )
    names: list[str] = []
    checks: list[CheckRef] = []
    for index, column_node in enumerate(columns_node.value):
        where = f"columns[{index}]"
        if not isinstance(column_node, yaml.MappingNode):
            raise ContentsError(
                "invalid_contract",
                f"{_at(column_node)}: {where} must be a mapping with a `name`, "
                f"not {_kind(column_node)}",
            )
        column = _mapping(column_node, where)
        if "name" not in column:
            raise ContentsError("invalid_contract", f"{_at(column_node)}: {where} has no `name`")
        name = _string(column["name"], f"{where}.name")
        if name in names:
            raise ContentsError(
                "invalid_contract",
                f"{_at(column['name'])}: column `{name}` is defined twice",
            )
        names.append(name)
        for key in _COLUMN_STRING_KEYS:
            if key in column and not _is_null(column[key]):
                _string(column[key], f"{where}.{key}")
        if "checks" in column:
            checks.extend(_checks(column["checks"], f"columns.{name}.checks", name))
    if "checks" in top:
        checks.extend(_checks(top["checks"], "checks", None))
    return ContractShape(dataset=dataset, columns=tuple(names), checks=tuple(checks)), dataset_node


def _checks(node: yaml.Node, prefix: str, column: str | None) -> list[CheckRef]:
    if _is_null(node):
        return []
    if not isinstance(node, yaml.SequenceNode):
        raise ContentsError(
            "invalid_contract", f"{_at(node)}: `{prefix}` must be a list, not {_kind(node)}"
        )
    found: list[CheckRef] = []
    for check_node in node.value:
        if not isinstance(check_node, yaml.MappingNode) or len(check_node.value) != 1:
            raise ContentsError(
                "invalid_contract",
                f"{_at(check_node)}: each item of `{prefix}` is a one-key mapping naming the "
                "check type, like `- missing:` or `- row_count:`",
            )
        key_node, body = check_node.value[0]
        check_type = _string(key_node, "a check type")
        qualifier: str | None = None
        name: str | None = None
        if not _is_null(body):
            if not isinstance(body, yaml.MappingNode):
                raise ContentsError(
                    "invalid_contract",
                    f"{_at(body)}: the body of check `{check_type}` must be a mapping, "
                    f"not {_kind(body)}",
                )
            settings = _mapping(body, f"check `{check_type}`")
            if "qualifier" in settings:
                qualifier = _scalar_text(settings["qualifier"], "`qualifier`")
            if "name" in settings:
                name = _string(settings["name"], "`name`")
        path = f"{prefix}.{check_type}" + (f".{qualifier}" if qualifier is not None else "")
        found.append(CheckRef(path, check_type, column, qualifier, name))
    return found


def _mapping(node: yaml.MappingNode, what: str) -> dict[str, yaml.Node]:
    keys: dict[str, yaml.Node] = {}
    for key_node, value_node in node.value:
        key = _string(key_node, f"a key of {what}")
        if key in keys:
            raise ContentsError(
                "invalid_contract", f"{_at(key_node)}: key `{key}` appears twice in {what}"
            )
        keys[key] = value_node
    return keys


def _string(node: yaml.Node, what: str) -> str:
    if not isinstance(node, yaml.ScalarNode) or node.tag != _STR:
        raise ContentsError("invalid_contract", f"{_at(node)}: {what} must be a string")
    return str(node.value)


def _scalar_text(node: yaml.Node, what: str) -> str:
    if not isinstance(node, yaml.ScalarNode) or _is_null(node):
        raise ContentsError("invalid_contract", f"{_at(node)}: {what} must be a string or number")
    return str(node.value)


def _is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    return f"the scalar {node.value!r}" if node.value != "" else "an empty value"


def _at(node: yaml.Node) -> str:
    return f"line {node.start_mark.line + 1}, column {node.start_mark.column + 1}"
