"""The canonical layout of a contract file, and the checks that a new layout means the same.

:func:`canonical_text` lays a contract out in the one canonical form (README, "reconciler
fmt"); :func:`format_contract` does so only when nothing but layout changes, and otherwise
says why not (a :class:`Refusal`). Pure: text in, text or refusal out.

The layout is ruamel.yaml's round trip (the reader Soda's engine uses), set to keep every
value as it is spelled: each plain scalar is read as text, so ``yes``, ``017``, ``1_000``,
``2024-01-01`` and ``~`` are written back letter for letter, and quotes stay as written
(but around a tab or a control character, written as an escape in double quotes).
What the round trip cannot do (comments before ``---``, the indentation of full-line
comments, runs of blank lines) is done on the lines around it, never inside a scalar.

A new layout is accepted only when the reconciler's own reader and Soda's engine's reader
both read the same document from it, every comment is still there in the same order, no
escaped invisible character became a literal one, and formatting it again changes nothing.
"""

from __future__ import annotations

import io
import json
import re
import unicodedata
import warnings
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.resolver import VersionedResolver

from reconciler.contract.parse import parse_contract_text

# Errors the canonical layout mends (a tab between tokens): a file with only these is laid out.
MENDED_RULES = frozenset({"yaml-tab"})

MAPPING_INDENT = 2
SEQUENCE_INDENT = 4  # the dash stands at SEQUENCE_OFFSET, its item at SEQUENCE_INDENT
SEQUENCE_OFFSET = 2
# No folding: a long description or query stays on its line, so a diff shows the edit.
WIDTH = 1_000_000
END_COMMENT_GAP = 2  # spaces before a comment at the end of a line (yamllint asks for 2)

_DOCUMENT_START = re.compile(r"---[ \t]*(?P<comment>#.*)?")
# Characters that do not show (or show as a space): written literally by the emitter when
# the file spelled them as an escape ("\u200b"), which would hide them from a reviewer.
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp", "Zs"})
_SHOWN = frozenset("\n\t ")
# ruamel.yaml raises TypeError (a list or mapping as a key), ValueError (a date that is no
# date) and NotImplementedError (comments it cannot place, e.g. around a NEL line break)
# besides its own errors; validate refuses most of those files before fmt sees them.
_READ_ERRORS = (YAMLError, TypeError, ValueError, NotImplementedError)


@dataclass(frozen=True)
class Refusal:
    """Why a file was left as it is: where (1-based), a stable rule id, what to do."""

    line: int
    col: int
    rule: str
    message: str
    hint: str


@dataclass(frozen=True)
class Comment:
    line: int  # 1-based, in the text it was found in
    col: int
    text: str
    index: int  # of its `#` in the text


class _SpellingKeeper(VersionedResolver):
    """Every plain scalar but the empty one (null) is text, so it is written back as read:
    no ``True`` -> ``true``, ``~`` -> ``null`` or timestamp rewritten in ISO form."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is ScalarNode and implicit[0] and value != "":
            return self.DEFAULT_SCALAR_TAG
        return super().resolve(kind, value, implicit)


def _layout() -> YAML:
    layout = YAML(typ="rt", pure=True)
    layout.Resolver = _SpellingKeeper
    layout.preserve_quotes = True
    layout.indent(mapping=MAPPING_INDENT, sequence=SEQUENCE_INDENT, offset=SEQUENCE_OFFSET)
    layout.width = WIDTH
    layout.allow_unicode = True
    layout.brace_single_entry_mapping_in_flow_sequence = True
    return layout


def _engine_reader() -> YAML:
    """As Soda's engine reads a contract (soda-core: ``YAML()``, quotes preserved)."""
    reader = YAML()
    reader.preserve_quotes = True
    return reader


class FormatRefused(Exception):
    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.message)
        self.refusal = refusal


def canonical_text(text: str) -> str:
    """``text`` in the canonical layout; raises :class:`FormatRefused` when Soda's engine's
    YAML reader cannot read it. No check that the meaning is kept: see
    :func:`format_contract`."""
    text, dropped = _without_document_start(text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _tabs_as_spaces(text)
    layout = _layout()
    try:
        with warnings.catch_warnings():
            # Its warnings (a reused anchor) are about files the reconciler's reader refuses.
            warnings.simplefilter("ignore")
            document = layout.load(text)
    except _READ_ERRORS as error:
        raise FormatRefused(_unreadable(error, text, dropped)) from None
    _keep_anchors(document)
    out = io.StringIO()
    layout.dump(document, out)
    return _tidy_lines(out.getvalue())


def format_contract(text: str, source: str, variables: Mapping[str, str]) -> str | Refusal:
    """The canonical layout of a valid contract text, or why it must stay as written.

    ``source`` names the text in the reconciler's reader; ``variables`` are those it was
    validated with. The text is returned unchanged (the same object) when it is canonical.
    """
    try:
        formatted = canonical_text(text)
    except FormatRefused as refused:
        return refused.refusal
    if formatted == text:
        return text
    return _problem(text, formatted, source, variables) or formatted


def _problem(
    text: str, formatted: str, source: str, variables: Mapping[str, str]
) -> Refusal | None:
    before = parse_contract_text(text, source, variables=variables, allow_stub=True)
    after = parse_contract_text(formatted, source, variables=variables, allow_stub=True)
    if (
        after.semantic_fingerprint is None
        or after.semantic_fingerprint != before.semantic_fingerprint
    ):
        return Refusal(
            1,
            1,
            "fmt-meaning",
            "the canonical layout would read differently (its semantic fingerprint differs)",
            _BY_HAND,
        )
    mended_only = all(d.rule in MENDED_RULES for d in before.errors)
    if mended_only and not after.ok:
        return Refusal(
            1, 1, "fmt-meaning", "the canonical layout would not pass validation", _BY_HAND
        )
    if _engine_reads_otherwise(text, formatted):
        return Refusal(
            1,
            1,
            "fmt-meaning",
            "the canonical layout would read differently in Soda's engine (ruamel.yaml)",
            _BY_HAND,
        )
    lost = _lost_comment(comments(text), comments(formatted))
    if lost is not None:
        return Refusal(
            lost.line,
            lost.col,
            "fmt-comment",
            f"the canonical layout cannot keep the comment {_short(lost.text)!r} in its place "
            "(between a key and its value, or inside brackets that span lines)",
            "Move the comment onto a line of its own before the key (or to the end of a "
            "line), or write the list as a block (one `- item` a line); then run fmt again.",
        )
    hidden = _new_hidden_characters(text, formatted)
    if hidden is not None:
        name = unicodedata.name(hidden, f"U+{ord(hidden):04X}")
        return Refusal(
            1,
            1,
            "fmt-hidden-character",
            f"the canonical layout would write U+{ord(hidden):04X} ({name}) as itself where "
            "the file writes it as an escape, hiding it from a reader",
            "Keep this file's layout by hand, or remove the character if it is not meant.",
        )
    try:
        again = canonical_text(formatted)
    except FormatRefused as refused:
        return refused.refusal
    if again != formatted:
        return Refusal(
            1,
            1,
            "fmt-unstable",
            "the canonical layout of this file changes again when formatted twice",
            _BY_HAND,
        )
    return None


_BY_HAND = "The file is left as it is: lay it out by hand (README: reconciler fmt)."


def _unreadable(error: Exception, text: str, dropped: int | None) -> Refusal:
    """``error`` of the round trip's reader on ``text``, placed in the file (whose line
    ``dropped``, a ``---``, ``text`` lacks)."""
    line, col, problem = 1, 1, str(error).splitlines()[0] if str(error) else "invalid YAML"
    if isinstance(error, MarkedYAMLError):
        mark = error.problem_mark or error.context_mark
        if mark is not None:
            line, col = mark.line + 1, mark.column + 1
        problem = error.problem or error.context or problem
    elif isinstance(getattr(error, "position", None), int):
        position: int = getattr(error, "position", 0)
        line = text.count("\n", 0, position) + 1
        col = position - (text.rfind("\n", 0, position) + 1) + 1
    if dropped is not None and line >= dropped:
        line += 1
    hint = "Fix the file so that both readers accept it."
    if "'\\t'" in problem:
        hint = "Replace the tab with spaces; YAML readers differ on tabs outside quotes."
    return Refusal(
        line,
        col,
        "fmt-engine-unreadable",
        f"Soda's engine's YAML reader (ruamel.yaml) cannot read this file: {problem}",
        hint,
    )


def _without_document_start(text: str) -> tuple[str, int | None]:
    """Drop a leading ``---`` (a contract is one document): the round trip would lose the
    comments above it. Left alone after a ``%`` directive, which needs it. Also says which
    line (1-based) was dropped, if one was."""
    lines = text.split("\n")
    for index, line in enumerate(lines):
        content = line.strip()
        if not content or content.startswith("#"):
            continue
        start = _DOCUMENT_START.fullmatch(line.rstrip())
        if start is None:
            return text, None
        comment = start.group("comment")
        if comment:
            lines[index] = comment
            return "\n".join(lines), None
        del lines[index]
        return "\n".join(lines), index + 1
    return text, None


def _tabs_as_spaces(text: str) -> str:
    """Tabs between tokens become spaces: YAML allows them there, Soda's engine's reader
    does not. Tabs inside scalars and comments are content, and stay."""
    if "\t" not in text:
        return text
    try:
        scalars = _scalar_tokens(text)
    except yaml.YAMLError:
        return text  # not YAML to the reconciler's reader either: left to the round trip
    kept = [_span(text, token) for token in scalars]
    kept += [(c.index, c.index + len(c.text)) for c in _comments(text, scalars)]
    characters = list(text)
    for position, character in enumerate(characters):
        if character == "\t" and not any(start <= position < end for start, end in kept):
            characters[position] = " "
    return "".join(characters)


def _keep_anchors(node: Any) -> None:
    # The round trip writes an anchor only when an alias uses it; one written for a reader's
    # sake (or used later) stays.
    anchor = getattr(node, "anchor", None)
    if anchor is not None and getattr(anchor, "value", None):
        anchor.always_dump = True
    if isinstance(node, dict):
        for key, value in node.items():
            _keep_anchors(key)
            _keep_anchors(value)
    elif isinstance(node, list):
        for item in node:
            _keep_anchors(item)


def _scalar_tokens(text: str) -> list[yaml.ScalarToken]:
    return [
        token
        for token in yaml.scan(text, Loader=yaml.CSafeLoader)
        if type(token) is yaml.ScalarToken
    ]


def _continuation_lines(text: str, scalars: list[yaml.ScalarToken]) -> set[int]:
    """0-based lines that continue a scalar begun on an earlier line (the content of block
    scalars, the rest of quoted or plain scalars that span lines): never touched."""
    inside: set[int] = set()
    lines = text.split("\n")
    for token in scalars:
        first, end = token.start_mark.line, token.end_mark.line
        last = end - 1 if token.end_mark.column == 0 else end
        if token.style in ("|", ">") and not _keeps_trailing_lines(text, token.start_mark.index):
            # Empty lines after the last one are not content unless chomping keeps them.
            while last > first and not lines[last]:
                last -= 1
        inside.update(range(first + 1, last + 1))
    return inside


def _keeps_trailing_lines(text: str, indicator: int) -> bool:
    """Whether the block scalar whose ``|`` or ``>`` stands at ``indicator`` has the keep
    chomping indicator ``+`` (``|+``, ``>2+``, ``|+2``)."""
    return "+" in text[indicator + 1 : indicator + 3]


def _tidy_lines(text: str) -> str:
    """The line rules of the canonical layout, outside scalars: end-of-line comments
    aligned, full-line comments indented as the line they precede, no trailing spaces, at
    most one blank line in a row and none at the start or the end, one final newline."""
    try:
        scalars = _scalar_tokens(text)
    except yaml.YAMLError:
        raise FormatRefused(
            Refusal(1, 1, "fmt-meaning", "the canonical layout is not readable YAML", _BY_HAND)
        ) from None
    inside = _continuation_lines(text, scalars)
    lines = text.removesuffix("\n").split("\n")
    _align_end_comments(lines, _comments(text, scalars), inside)
    _indent_full_line_comments(lines, inside)
    return _without_extra_blank_lines(lines, inside)


def _align_end_comments(lines: list[str], found: list[Comment], inside: set[int]) -> None:
    """Comments at the end of consecutive lines line up, END_COMMENT_GAP spaces after the
    longest of those lines."""
    ends: dict[int, tuple[str, str]] = {}
    for comment in found:
        index = comment.line - 1
        content = lines[index][: comment.col - 1].rstrip()
        if index not in inside and content.strip():
            ends[index] = (content, lines[index][comment.col - 1 :].rstrip())
    runs: list[list[int]] = []
    for index in sorted(ends):
        if runs and runs[-1][-1] == index - 1:
            runs[-1].append(index)
        else:
            runs.append([index])
    for run in runs:
        column = max(len(ends[index][0]) for index in run) + END_COMMENT_GAP
        for index in run:
            content, text = ends[index]
            lines[index] = content.ljust(column) + text


def _indent_full_line_comments(lines: list[str], inside: set[int]) -> None:
    indent = 0  # of the next line with content: a comment speaks of what follows it
    for index in range(len(lines) - 1, -1, -1):
        if index in inside:
            continue
        line = lines[index].rstrip()
        content = line.lstrip(" ")
        if content.startswith("#"):
            line = " " * indent + content
        elif content:
            indent = len(line) - len(content)
        lines[index] = line


def _without_extra_blank_lines(lines: list[str], inside: set[int]) -> str:
    kept: list[tuple[int, str]] = []
    for index, line in enumerate(lines):
        blank = not line and index not in inside
        if blank and (not kept or (not kept[-1][1] and kept[-1][0] not in inside)):
            continue
        kept.append((index, line))
    while kept and not kept[-1][1] and kept[-1][0] not in inside:
        kept.pop()
    return "\n".join(line for _, line in kept) + "\n"


def comments(text: str) -> list[Comment]:
    """Every comment of a YAML text, in order: a ``#`` at a line's start or after a space or
    tab, outside every scalar, up to the end of its line (trailing spaces dropped)."""
    return _comments(text, _scalar_tokens(text))


def _comments(text: str, scalars: list[yaml.ScalarToken]) -> list[Comment]:
    spans = sorted(_span(text, token) for token in scalars)
    found: list[Comment] = []
    position, span = 0, 0
    while True:
        mark = text.find("#", position)
        if mark < 0:
            return found
        while span < len(spans) and spans[span][1] <= mark:
            span += 1
        if span < len(spans) and spans[span][0] <= mark:
            position = spans[span][1]
            continue
        if mark and text[mark - 1] not in " \t\n":
            position = mark + 1
            continue
        end = text.find("\n", mark)
        end = len(text) if end < 0 else end
        line = text.count("\n", 0, mark) + 1
        col = mark - (text.rfind("\n", 0, mark) + 1) + 1
        found.append(Comment(line, col, text[mark:end].rstrip(), mark))
        position = end


def _span(text: str, token: yaml.ScalarToken) -> tuple[int, int]:
    start, end = token.start_mark.index, token.end_mark.index
    if token.style in ("|", ">"):  # a comment may follow the indicator: `query: | # why`
        header_end = text.find("\n", start)
        start = end if header_end < 0 else min(header_end, end)
    return start, end


def _lost_comment(before: list[Comment], after: list[Comment]) -> Comment | None:
    """The first comment that is not where it was (in order); None when all are."""
    for index, comment in enumerate(before):
        if index >= len(after) or after[index].text != comment.text:
            return comment
    return after[len(before)] if len(after) > len(before) else None


def _new_hidden_characters(before: str, after: str) -> str | None:
    counted = Counter(ch for ch in before if _hidden(ch))
    for ch, number in Counter(ch for ch in after if _hidden(ch)).items():
        if number > counted[ch]:
            return ch
    return None


def _hidden(ch: str) -> bool:
    return ch not in _SHOWN and (ch.isspace() or unicodedata.category(ch) in _HIDDEN_CATEGORIES)


def _engine_reads_otherwise(text: str, formatted: str) -> bool:
    """Whether Soda's engine reads another document from ``formatted`` than from ``text``;
    False when it cannot read ``text`` at all (a tab between tokens), which the layout
    mends: the reconciler's own reading is then the one to keep, and it was compared."""
    try:
        before = _as_engine_reads(text)
    except _READ_ERRORS:
        return False
    try:
        return _as_engine_reads(formatted) != before
    except _READ_ERRORS:
        return True


def _as_engine_reads(text: str) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        document = _engine_reader().load(text)
    return json.dumps(
        _plain(document),
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )


def _plain(value: Any) -> Any:
    """Plain data with the types kept apart (a date is not the text of a date)."""
    if isinstance(value, dict):
        return {json.dumps(_plain(k), sort_keys=True): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, datetime | date):
        return {"!timestamp": value.isoformat()}
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if value is None:
        return None
    return {f"!{type(value).__name__}": str(value)}  # a tagged value: refused by validate


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
