"""The folder as an environment sees it: each contract rendered for it.

What is compared with an environment's Soda Cloud, published there and fingerprinted in its
state is the contract **as rendered** for that environment, from the file's exact text:

1. every ``${var.NAME}`` whose variable the contract declares and the environment gives a
   value is replaced by that value, outside the ``variables:`` section (as Soda's engine
   substitutes them), so Soda Cloud runs the contract with the environment's values;
2. the ``dataset:`` value's data source is renamed (``warehouse/...`` ->
   ``warehouse_staging/...``), in the value's own quoting.

Everything else (comments, layout, other values) stays byte for byte. A rendering is checked
by reading it back: its document must be the file's, with those values and that name. One
that is not (a value that would change the YAML's structure, a dataset over several lines)
is an ``environment-render`` error at the file, so nothing is published from it.

:func:`shared_text` goes back the other way for texts Soda Cloud holds (a generated skeleton
written into a stub, an import): the dataset's data source gets its shared name again, so no
environment's name is written into the folder. Variable values cannot be told from other
text and stay as Soda Cloud holds them.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode

from reconciler.contract import variables as contract_variables
from reconciler.contract.diagnostics import Diagnostic, sort_diagnostics
from reconciler.contract.document import Document, load_document
from reconciler.contract.fingerprint import raw_sha256, semantic_fingerprint
from reconciler.desired.model import DesiredContract, DesiredState
from reconciler.environment import Environment
from reconciler.errors import ContractLoadError

RULE = "environment-render"


class NotRendered(Exception):
    """Why a text cannot be rendered (or un-rendered) for an environment."""


def for_environment(desired: DesiredState, environment: Environment) -> DesiredState:
    """``desired`` with every contract rendered for ``environment``, keyed by the name it
    has there; a file that cannot be rendered, or that renders onto another file's dataset,
    is an error at the file (and left out)."""
    rendered: dict[str, DesiredContract] = {}
    problems: list[Diagnostic] = []
    for file in desired.contracts.values():
        try:
            made = render_contract(file, environment)
        except NotRendered as why:
            problems.append(_problem(file, environment, str(why)))
            continue
        rendered.setdefault(made.dataset, made)
        if rendered[made.dataset] is not made:
            other = rendered.pop(made.dataset)
            problems += [_collision(a, b, environment) for a, b in ((made, other), (other, made))]
    for name in {p.file for p in problems}:
        rendered = {k: v for k, v in rendered.items() if v.display_path != name}
    diagnostics = sort_diagnostics([*desired.diagnostics, *problems])
    return dataclasses.replace(
        desired, contracts=rendered, diagnostics=diagnostics, environment=environment
    )


def render_contract(file: DesiredContract, environment: Environment) -> DesiredContract:
    """One file as ``environment`` sees it (the file itself when nothing changes)."""
    text = render_text(file.raw_text, file.document, environment)
    if text == file.raw_text:
        return file
    document = _load(text)
    dataset = document.get("dataset") if isinstance(document, dict) else None
    assert isinstance(dataset, str)
    return dataclasses.replace(
        file,
        dataset=dataset,
        raw_text=text,
        raw_sha256=raw_sha256(text),
        semantic_fingerprint=semantic_fingerprint(document),
        document=document,
    )


def render_text(text: str, document: Any, environment: Environment) -> str:
    """``text`` rendered for ``environment`` (see the module's docstring); raises
    :class:`NotRendered` saying why it cannot be."""
    known = {
        name: environment.variables[name]
        for name in contract_variables.declared(document)
        if name in environment.variables
    }
    substituted = _substitute(text, known) if known else text
    if substituted != text:
        expected = contract_variables.resolved(document, known)
        if not _alike(_load(substituted), expected):
            raise NotRendered(
                "a value of the environment's `variables:` changes the contract's YAML "
                "structure where it is substituted"
            )
    return _renamed(substituted, environment.rendered_name)


def shared_text(text: str, environment: Environment) -> str:
    """A text Soda Cloud holds for ``environment``, with its dataset named as the shared
    folder names it; raises :class:`NotRendered` when no file of the folder could render to
    it."""

    def shared(dataset: str) -> str:
        name = environment.shared_name(dataset)
        if name is None:
            source = dataset.partition("/")[0]
            raise NotRendered(
                f"its data source {source} is renamed in environment {environment.name} (to "
                f"{environment.renames.get(source)}), so no file of the folder manages it there"
            )
        return name

    return _renamed(text, shared)


# -- variables ----------------------------------------------------------------------------


def _substitute(text: str, known: Mapping[str, str]) -> str:
    """Each ``${var.NAME}`` of ``known`` replaced, except on the lines of ``variables:``."""
    skipped = _variables_lines(text)
    lines = text.splitlines(keepends=True)
    return "".join(
        line
        if index in skipped or contract_variables.MARKER not in line
        else contract_variables.substitute(line, known)
        for index, line in enumerate(lines)
    )


def _variables_lines(text: str) -> range:
    """The lines (0-based) of the top-level ``variables:`` key and its value."""
    root = _root(text)
    for key, value in root.value if isinstance(root, MappingNode) else ():
        if isinstance(key, ScalarNode) and key.value == "variables":
            end = value.end_mark.line + (1 if value.end_mark.column else 0)
            return range(key.start_mark.line, max(end, key.start_mark.line + 1))
    return range(0)


def _alike(found: Any, expected: Any) -> bool:
    """The same document, a substituted value counting as equal to its text: ``10`` and
    ``"10"`` are one value (a value from outside is text to the engine; written into the
    text it may read as a number)."""
    if isinstance(expected, dict):
        return (
            isinstance(found, dict)
            and list(found) == list(expected)
            and all(_alike(found[key], expected[key]) for key in expected)
        )
    if isinstance(expected, list):
        return (
            isinstance(found, list)
            and len(found) == len(expected)
            and all(_alike(a, b) for a, b in zip(found, expected, strict=True))
        )
    if found == expected and type(found) is type(expected):
        return True
    if isinstance(expected, str) and isinstance(found, (str, int, float, bool)):
        return _scalar_text(found) == expected or _same_number(found, expected)
    return False


def _scalar_text(value: str | int | float | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _same_number(found: Any, text: str) -> bool:
    if isinstance(found, bool) or not isinstance(found, (int, float)):
        return False
    try:
        number = float(text)
    except ValueError:
        return False
    return math.isfinite(number) and number == float(found)


# -- the dataset's name -------------------------------------------------------------------


def _renamed(text: str, name_of: Any) -> str:
    """``text`` with the ``dataset:`` value replaced by ``name_of(value)``, in its quoting."""
    scalar = _dataset_node(text)
    if scalar is None:
        return text
    wanted = name_of(scalar.value)
    if wanted == scalar.value:
        return text
    start, end = scalar.start_mark, scalar.end_mark
    if start.line != end.line:
        raise NotRendered("its `dataset:` value is written over several lines: put it on one")
    lines = text.splitlines(keepends=True)
    line = lines[start.line]
    lines[start.line] = line[: start.column] + _scalar(wanted, scalar.style) + line[end.column :]
    renamed = "".join(lines)
    document = _load(renamed)
    if not isinstance(document, dict) or document.get("dataset") != wanted:
        raise NotRendered(f"the dataset name {wanted!r} cannot be written in place of the old")
    return renamed


def _scalar(value: str, style: str | None) -> str:
    if style == "'":
        return "'" + value.replace("'", "''") + "'"
    if style == '"':
        return json.dumps(value, ensure_ascii=False)
    return value


def _dataset_node(text: str) -> ScalarNode | None:
    root = _root(text)
    for key, value in root.value if isinstance(root, MappingNode) else ():
        if isinstance(key, ScalarNode) and key.value == "dataset" and type(value) is ScalarNode:
            return value
    return None


def _root(text: str) -> Node | None:
    return _document(text).root


def _load(text: str) -> Any:
    return _document(text).value


def _document(text: str) -> Document:
    try:
        return load_document(text.encode("utf-8", errors="surrogatepass"), "rendered")
    except ContractLoadError as error:
        raise NotRendered(f"the rendered text is not YAML any more ({error.message})") from None


# -- diagnostics --------------------------------------------------------------------------


def _problem(file: DesiredContract, environment: Environment, why: str) -> Diagnostic:
    return Diagnostic(
        file.display_path,
        1,
        1,
        "error",
        RULE,
        f"cannot render this contract for environment {environment.name}: {why}",
        "Change the value in reconciler.yml (environments: "
        f"{environment.name}: variables:), or the file, so that the rendered contract is the "
        "file with that value in place.",
    )


def _collision(
    file: DesiredContract, other: DesiredContract, environment: Environment
) -> Diagnostic:
    return Diagnostic(
        file.display_path,
        1,
        1,
        "error",
        "duplicate-dataset",
        f"in environment {environment.name} this file describes {file.dataset}, as "
        f"{other.display_path} does",
        "Two files cannot describe one dataset of an environment: remove one, or change the "
        "environment's rename_data_sources.",
    )
