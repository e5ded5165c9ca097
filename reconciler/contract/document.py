"""Safe YAML reading that remembers where every key and value stands.

The text is composed into a node tree by libyaml (``yaml.compose`` with the C loader) and
the plain values are built here from the nodes, so that:

* every mapping key and every value can be placed at its 1-based ``(line, column)``, by
  path (``("columns", 0, "checks", 1, "missing", "threshold")``);
* scalars follow the YAML 1.2 core schema, as Soda's engine reads them (``yes`` and
  ``2024-01-01`` stay text); an explicit tag outside that schema (``!!python/...``,
  ``!!binary``, ``!custom``) is refused;
* repeated keys are reported instead of silently keeping the last one;
* aliases may not expand beyond ``MAX_NODES`` values and may not refer to themselves
  (a "billion laughs" file is refused before anything is expanded);
* a second document, nesting deeper than ``MAX_DEPTH``, more than ``MAX_BYTES`` of text
  and bytes that are not UTF-8 are refused.

Fatal problems raise :class:`~reconciler.errors.ContractLoadError` (with its place); repeated
and non-scalar keys are collected as diagnostics so that one run shows every mistake.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from sys import intern
from typing import Any, cast

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from reconciler.contract.diagnostics import Diagnostic
from reconciler.errors import ContractLoadError

MAX_BYTES = 1024 * 1024
MAX_NODES = 1_000_000
MAX_DEPTH = 100

PathKey = tuple[str | int, ...]
Position = tuple[int, int]

STR = "tag:yaml.org,2002:str"
INT = "tag:yaml.org,2002:int"
FLOAT = "tag:yaml.org,2002:float"
BOOL = "tag:yaml.org,2002:bool"
NULL = "tag:yaml.org,2002:null"
SEQ = "tag:yaml.org,2002:seq"
MAP = "tag:yaml.org,2002:map"

# YAML 1.2 core schema: the only implicit types. Anything else plain is text.
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_TRUES = frozenset({"true", "True", "TRUE"})
_FALSES = frozenset({"false", "False", "FALSE"})
_INT = re.compile(r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+")
_FLOAT = re.compile(
    r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)"
)
_MAYBE_TYPED = frozenset("-+.0123456789~nNtTfF")
_NUMBER_START = frozenset("-+.0123456789")
_WORD_START = frozenset("~nNtTfF")
_WORDS = {
    **dict.fromkeys(("~", "null", "Null", "NULL"), "tag:yaml.org,2002:null"),
    **dict.fromkeys(("true", "True", "TRUE", "false", "False", "FALSE"), "tag:yaml.org,2002:bool"),
}


def _resolve_plain(value: str) -> str:
    if not value:
        return NULL
    if value[0] not in _MAYBE_TYPED:
        return STR
    if value in _NULLS:
        return NULL
    if value in _TRUES or value in _FALSES:
        return BOOL
    if _INT.fullmatch(value):
        return INT
    if _FLOAT.fullmatch(value):
        return FLOAT
    return STR


class _CoreSchemaLoader(yaml.CSafeLoader):
    """libyaml's composer with the YAML 1.2 core schema resolver (and no path resolvers)."""

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        return None

    def ascend_resolver(self) -> None:
        return None

    def resolve(self, kind: type[Node], value: Any, implicit: Any) -> str:
        # Called for every node: the common cases (keys, words) return after one test.
        if kind is ScalarNode:
            if implicit[0]:
                if not value:
                    return NULL
                first = value[0]
                if first in _NUMBER_START:
                    return _resolve_plain(value)
                if first in _WORD_START and len(value) <= 5:
                    return _WORDS.get(value, STR)
            return STR
        return SEQ if kind is SequenceNode else MAP


@dataclass
class Document:
    """Plain data (dict/list/str/int/float/bool/None) and where each piece stands.

    Positions are looked up in the node tree when asked for (a diagnostic needs one):
    building a table of every position up front would cost more than the rest of the
    validation, for documents that are nearly always right.
    """

    value: Any
    root: Node | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def position(self, path: PathKey, *, key: bool = False) -> Position:
        """Where ``path`` stands (its key with ``key=True``), else its nearest ancestor."""
        node = self.root
        if node is None:
            return (1, 1)
        last = len(path) - 1
        for index, step in enumerate(path):
            child: Node | None = None
            key_node: Node | None = None
            if type(node) is MappingNode and isinstance(step, str):
                for candidate_key, candidate in node.value:
                    if type(candidate_key) is ScalarNode and candidate_key.value == step:
                        key_node, child = candidate_key, candidate
                        break
            elif (
                type(node) is SequenceNode and isinstance(step, int) and 0 <= step < len(node.value)
            ):
                child = node.value[step]
            if child is None:
                return _place(node)
            if key and index == last and key_node is not None:
                return _place(key_node)
            node = child
        return _place(node)


def decode(data: bytes, source: str) -> str:
    """Strict UTF-8; the error points at the first byte that is not."""
    if len(data) > MAX_BYTES:
        raise ContractLoadError(
            f"the file is {len(data):,} bytes; contracts are limited to {MAX_BYTES:,} bytes (1 MiB)",
            file=source,
            rule="file-too-large",
            hint="Split the contract or remove generated bulk; no real contract is this large.",
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line, col = _offset_position(data, error.start)
        raise ContractLoadError(
            f"the file is not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start})",
            file=source,
            line=line,
            col=col,
            rule="not-utf8",
            hint="Save the file as UTF-8.",
        ) from None


def _offset_position(data: bytes, offset: int) -> Position:
    before = data[:offset]
    line = before.count(b"\n") + 1
    start = before.rfind(b"\n") + 1
    return line, len(before[start:].decode("utf-8", errors="replace")) + 1


def encode(text: str, source: str) -> bytes:
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ContractLoadError(
            "the text holds characters that cannot be written as UTF-8 (lone surrogates)",
            file=source,
            line=text.count("\n", 0, error.start) + 1,
            col=error.start - (text.rfind("\n", 0, error.start) + 1) + 1,
            rule="not-utf8",
        ) from None
    if len(data) > MAX_BYTES:
        decode(data, source)  # raises file-too-large
    return data


def load_document(data: bytes, source: str) -> Document:
    """Compose ``data`` (UTF-8 bytes, at most 1 MiB) and build its positioned plain value."""
    decode(data, source)
    try:
        root = yaml.compose(data, Loader=_CoreSchemaLoader)
    except yaml.MarkedYAMLError as error:
        raise _yaml_error(error, source) from None
    except yaml.YAMLError as error:
        raise _reader_error(error, data, source) from None
    if root is None:
        raise ContractLoadError(
            "the file holds no YAML document",
            file=source,
            rule="empty-file",
            hint="A contract needs at least `dataset: datasource/prefix/table`.",
        )
    document = Document(value=None, root=root)
    # Only a text with both an anchor and an alias can share nodes; checking the expanded
    # size first refuses a billion-laughs file before any of it is built.
    if b"&" in data and b"*" in data:
        _check_expansion(root, source)
    document.value = _Builder(document, source).build(root, 0)
    if b"\t" in data or _GLUED_HEADER_BYTES.search(data):
        document.diagnostics.extend(_strict_syntax(root, data.decode("utf-8"), source))
    return document


# A block scalar's header (``|``, ``>-``, ``|2+``...) with a comment glued to it.
_GLUED_HEADER = re.compile(r"[|>][0-9+-]*#")
_GLUED_HEADER_BYTES = re.compile(rb"[|>][0-9+-]*#")


def _strict_syntax(root: Node, text: str, source: str) -> list[Diagnostic]:
    """What libyaml reads but Soda's engine's YAML reader (ruamel.yaml) refuses: a tab between
    tokens outside quotes, block scalars, brackets and comments, and a comment glued to a
    block scalar's header (``description: |#why``)."""
    lines = text.splitlines()
    block_lines: set[int] = set()  # 0-based lines holding a block scalar's text
    # Spans (0-based line, column) where a tab is text or spacing: quotes and brackets.
    quoted: list[tuple[tuple[int, int], tuple[int, int]]] = []
    found: list[Diagnostic] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, ScalarNode):
            start, end = node.start_mark, node.end_mark
            if node.style in ("|", ">"):
                # Its end mark is where the next token starts: a line of its own only if
                # the text reaches into it.
                last = end.line if end.column else end.line - 1
                block_lines.update(range(start.line + 1, last + 1))
                header = lines[start.line][start.column :] if start.line < len(lines) else ""
                if _GLUED_HEADER.match(header):
                    found.append(
                        Diagnostic(
                            source,
                            start.line + 1,
                            start.column + 1,
                            "error",
                            "yaml-block-header",
                            "a comment glued to a block scalar's header: Soda's engine's YAML "
                            "reader refuses it",
                            "Put a space before the `#` (`|  # why`).",
                        )
                    )
            elif node.style in ('"', "'"):
                quoted.append(((start.line, start.column), (end.line, end.column)))
            continue
        if getattr(node, "flow_style", False):  # in brackets its reader takes tabs as spaces
            start, end = node.start_mark, node.end_mark
            quoted.append(((start.line, start.column), (end.line, end.column)))
        if isinstance(node, SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, MappingNode):
            for key, value in node.value:
                stack.extend((key, value))
    if "\t" not in text:
        return found
    for number, line in enumerate(lines):
        if "\t" not in line or number in block_lines:
            continue
        for column, char in enumerate(line):
            inside = any(a <= (number, column) < b for a, b in quoted)
            if char == "#" and not inside and (column == 0 or line[column - 1] in " \t"):
                break  # the rest of the line is a comment
            if char == "\t" and not inside:
                found.append(
                    Diagnostic(
                        source,
                        number + 1,
                        column + 1,
                        "error",
                        "yaml-tab",
                        "a tab between YAML tokens: Soda's engine's YAML reader refuses it",
                        "Use spaces instead (`reconciler fmt` replaces such tabs).",
                    )
                )
                break  # one per line is enough
    return found


def _yaml_error(error: yaml.MarkedYAMLError, source: str) -> ContractLoadError:
    mark = error.problem_mark or error.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    if error.context == "expected a single document in the stream":
        return ContractLoadError(
            "the file holds more than one YAML document; a contract is exactly one",
            file=source,
            line=line,
            col=col,
            rule="multiple-documents",
            hint="Put each contract in its own file and remove the `---` separator.",
        )
    parts = [p for p in (error.problem, error.context) if p]
    text = "; ".join(parts) if parts else "invalid YAML"
    return ContractLoadError(
        f"invalid YAML: {text}", file=source, line=line, col=col, rule="yaml-syntax"
    )


def _reader_error(error: yaml.YAMLError, data: bytes, source: str) -> ContractLoadError:
    position = getattr(error, "position", None)
    line, col = _offset_position(data, position) if isinstance(position, int) else (1, 1)
    reason = getattr(error, "reason", None) or str(error).splitlines()[0]
    character = getattr(error, "character", None)
    if isinstance(character, int):
        reason = f"{reason} (character #x{character:04x})"
    return ContractLoadError(
        f"invalid YAML: {reason}", file=source, line=line, col=col, rule="yaml-syntax"
    )


def _place(node: Node) -> Position:
    mark = node.start_mark
    return mark.line + 1, mark.column + 1


def _check_expansion(root: Node, source: str) -> None:
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(node: Node, depth: int) -> int:
        if isinstance(node, ScalarNode):
            return 1
        ident = id(node)
        known = sizes.get(ident)
        if known is not None:
            return known
        if depth > MAX_DEPTH:
            raise _too_deep(node, source)
        if ident in open_nodes:
            line, col = _place(node)
            raise ContractLoadError(
                "an alias refers to the node that contains it (a recursive structure)",
                file=source,
                line=line,
                col=col,
                rule="alias-limit",
            )
        open_nodes.add(ident)
        total = 1
        if isinstance(node, SequenceNode):
            for child in node.value:
                total += size(child, depth + 1)
        else:
            for key, value in node.value:
                total += size(key, depth + 1) + size(value, depth + 1)
        open_nodes.discard(ident)
        if total > MAX_NODES:
            line, col = _place(node)
            raise ContractLoadError(
                f"aliases expand to more than {MAX_NODES:,} values",
                file=source,
                line=line,
                col=col,
                rule="alias-limit",
                hint="Anchors and aliases may share settings, not multiply them.",
            )
        sizes[ident] = total
        return total

    size(root, 0)


def _too_deep(node: Node, source: str) -> ContractLoadError:
    line, col = _place(node)
    return ContractLoadError(
        f"the document is nested more than {MAX_DEPTH} levels deep",
        file=source,
        line=line,
        col=col,
        rule="nesting-depth",
    )


def _bad_scalar(node: ScalarNode, source: str, what: str) -> ContractLoadError:
    line, col = _place(node)
    return ContractLoadError(
        f"{node.value!r} is not {what} (tag {node.tag})",
        file=source,
        line=line,
        col=col,
        rule="yaml-tag",
        hint="Remove the explicit tag or write a value of that type.",
    )


def _to_int(node: ScalarNode, source: str) -> int:
    text = node.value
    try:
        if text.startswith("0o"):
            return int(text[2:], 8)
        if text.startswith("0x"):
            return int(text[2:], 16)
        return int(text)
    except ValueError:
        raise _bad_scalar(node, source, "an integer") from None


def _to_float(node: ScalarNode, source: str) -> float:
    text = node.value
    lowered = text.lower()
    if lowered in (".inf", "+.inf"):
        return math.inf
    if lowered == "-.inf":
        return -math.inf
    if lowered == ".nan":
        return math.nan
    try:
        return float(text)
    except ValueError:
        raise _bad_scalar(node, source, "a number") from None


def _to_bool(node: ScalarNode, source: str) -> bool:
    if node.value in _TRUES:
        return True
    if node.value in _FALSES:
        return False
    raise _bad_scalar(node, source, "true or false")


def _to_null(node: ScalarNode, source: str) -> None:
    if node.value not in _NULLS:
        raise _bad_scalar(node, source, "null")


_SCALARS: dict[str, Callable[[ScalarNode, str], Any]] = {
    INT: _to_int,
    FLOAT: _to_float,
    BOOL: _to_bool,
    NULL: _to_null,
}


class _Builder:
    """Builds plain values from nodes; repeated and non-scalar keys become diagnostics."""

    def __init__(self, document: Document, source: str) -> None:
        self.document = document
        self.source = source

    def build(self, node: Node, depth: int) -> Any:
        tag = node.tag
        kind = type(node)
        if kind is ScalarNode:
            if tag == STR:
                return node.value
            convert = _SCALARS.get(tag)
            if convert is None:
                raise self._bad_tag(node)
            return convert(cast(ScalarNode, node), self.source)
        if depth >= MAX_DEPTH:
            raise _too_deep(node, self.source)
        if kind is SequenceNode:
            if tag != SEQ:
                raise self._bad_tag(node)
            build = self.build
            return [
                item.value
                if type(item) is ScalarNode and item.tag == STR
                else build(item, depth + 1)
                for item in node.value
            ]
        if tag != MAP:
            raise self._bad_tag(node)
        return self._mapping(cast(MappingNode, node), depth)

    def _mapping(self, node: MappingNode, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        build = self.build
        for key_node, value_node in node.value:
            if type(key_node) is not ScalarNode:
                self._note(
                    key_node,
                    "invalid-key",
                    "a mapping key must be a plain value, not a "
                    + ("list" if type(key_node) is SequenceNode else "mapping"),
                )
                continue
            if key_node.tag not in _KEY_TAGS:
                raise self._bad_tag(key_node)
            # Keys repeat across every column and check: one string object each.
            key: str = intern(key_node.value)
            if key in result:
                first = next(k for k, _ in node.value if type(k) is ScalarNode and k.value == key)
                self._note(
                    key_node,
                    "duplicate-key",
                    f"key '{key}' appears twice in this mapping (first at line {_place(first)[0]})",
                    "Keep one of them; YAML readers silently keep only the last.",
                )
                continue
            # Most values are plain text: skip the call for them.
            if type(value_node) is ScalarNode and value_node.tag == STR:
                result[key] = value_node.value
            else:
                result[key] = build(value_node, depth + 1)
        return result

    def _note(self, node: Node, rule: str, message: str, hint: str | None = None) -> None:
        line, col = _place(node)
        self.document.diagnostics.append(
            Diagnostic(self.source, line, col, "error", rule, message, hint)
        )

    def _bad_tag(self, node: Node) -> ContractLoadError:
        line, col = _place(node)
        return ContractLoadError(
            f"the YAML tag {node.tag!r} is not allowed",
            file=self.source,
            line=line,
            col=col,
            rule="yaml-tag",
            hint="Contracts use plain YAML values only (text, numbers, true/false, null, "
            "lists and mappings); remove the tag.",
        )


_KEY_TAGS = frozenset({STR, INT, FLOAT, BOOL, NULL})
