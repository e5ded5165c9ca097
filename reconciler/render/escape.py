"""Untrusted text made inert for each output: the terminal, markdown (GitHub), HTML and JSON.

Dataset names, contract ids, creator ids, server messages, contract texts and diffs come
from Soda Cloud or from files: every renderer passes them through one of these functions
before they reach a person, so none of them can steer a terminal or break out of a comment.

- :func:`printable`: for a terminal (and under everything else). Control characters (C0, DEL,
  C1: ANSI escape sequences start with one), bidi controls (U+202A-202E, U+2066-2069),
  zero-width and other invisible format characters, separators other than the space, lone
  surrogates and private-use characters become visible escapes (``\\x1b``, ``\\u202e``).
- :func:`markdown`: text inside a markdown paragraph, list item or table cell. No HTML, no
  links, images, emphasis, code spans or table breaks, no @mentions, no line breaks.
- :func:`html`: text inside an HTML element of a comment (``<summary>``, ``<code>``).
- :func:`code`: a markdown code span holding any text (the fence outgrows its backticks).
- :func:`code_block`: a fenced block holding any lines; no line can close it.
- :func:`own_markdown`: a sentence of the reconciler's own (its `code spans` kept) that
  quotes untrusted values.
- :func:`json_text`: a JSON document with every character :func:`printable` would escape
  written as a ``\\u`` escape: the same data, read back unchanged, harmless to ``cat``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

# Characters Python calls printable that draw nothing or change how their neighbours are
# read: fillers, the combining grapheme joiner, variation selectors, the blank braille cell.
_INVISIBLE = frozenset(
    chr(code)
    for first, last in (
        (0x034F, 0x034F),
        (0x115F, 0x1160),
        (0x17B4, 0x17B5),
        (0x180B, 0x180F),
        (0x2800, 0x2800),
        (0x3164, 0x3164),
        (0xFE00, 0xFE0F),
        (0xFFA0, 0xFFA0),
        (0xE0100, 0xE01EF),
    )
    for code in range(first, last + 1)
)
# What markdown reads as syntax inline: code spans, emphasis, strike-through, links and
# images, tables, maths, headings, and the backslash that escapes all of them.
_MARKDOWN_SYNTAX = re.compile(r"([\\`*_\[\]|~$#])")
# An @mention or a team mention notifies people; a zero-width space after the @ (written as
# an entity, so the text holds no invisible character) keeps the words and drops the ping.
_MENTION = re.compile(r"(?<![A-Za-z0-9_.+-])@(?=[A-Za-z0-9])")
_BACKTICKS = re.compile(r"`+")
# Whitespace between JSON tokens; inside strings an encoder has escaped these already.
_JSON_SPACE = frozenset("\n\r\t")


def is_hidden(ch: str) -> bool:
    """True for a character a terminal or a browser would not show as itself."""
    return not ch.isprintable() or ch in _INVISIBLE


def escape_char(ch: str) -> str:
    """``\\x1b``, ``\\u202e``, ``\\U000e0001``: a character spelt out as Python would."""
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def printable(text: str, *, keep: str = "") -> str:
    """``text`` safe for a terminal: every hidden character but those in ``keep`` (a diff
    keeps its tabs) is shown as an escape, so a hostile name cannot rewrite the screen or
    read reversed."""
    if text.isprintable() and not _INVISIBLE.intersection(text):
        return text
    return "".join(ch if ch in keep or not is_hidden(ch) else escape_char(ch) for ch in text)


def html(text: str) -> str:
    """``text`` as the content of an HTML element: no tag, comment or entity of its own,
    no @mention."""
    return _MENTION.sub("@&#8203;", _entities(printable(text)))


def markdown(text: str) -> str:
    """``text`` inside markdown prose or a table cell, shown as written and inert."""
    escaped = _MARKDOWN_SYNTAX.sub(_backslashed, _entities(printable(text)))
    return _MENTION.sub("@&#8203;", escaped)


def _backslashed(match: re.Match[str]) -> str:
    at, text = match.start(), match.string
    # An underscore inside a word (``valid_min``) can neither open nor close emphasis.
    if match.group(0) == "_" and 0 < at < len(text) - 1 and text[at - 1 : at + 2 : 2].isalnum():
        return "_"
    return "\\" + match.group(0)


def code(text: str, *, in_table: bool = False) -> str:
    """A code span showing ``text`` as written. Nothing inside a code span is markdown or
    HTML; only a backtick could end it, so the fence is one backtick longer than the longest
    run inside. In a table cell a pipe would still end the cell, so it is escaped there."""
    content = printable(text)
    longest = max((len(run) for run in _BACKTICKS.findall(content)), default=0)
    fence = "`" * (longest + 1)
    if content[:1] == "`" or content[-1:] == "`" or (content[:1] == " " == content[-1:]):
        content = f" {content} "  # a code span strips one space each side
    if in_table:
        content = content.replace("|", "\\|")
    return f"{fence}{content}{fence}"


def html_code(text: str) -> str:
    """A ``<code>`` element showing ``text``, for HTML such as a ``<summary>`` line."""
    return f"<code>{_entities(printable(text))}</code>"  # no mention inside code


def code_block(content: str, info: str = "") -> list[str]:
    """Lines of a fenced code block showing ``content``: each line printable (tabs kept),
    behind a fence longer than any run of backticks inside, so no line can close it."""
    lines = [printable(line, keep="\t") for line in content.rstrip("\n").splitlines()]
    longest = max((len(run) for line in lines for run in _BACKTICKS.findall(line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}{info}", *lines, fence]


def own_markdown(sentence: str, values: Sequence[str] = ()) -> str:
    """A sentence the reconciler wrote, for markdown: its `code spans` stay code spans, its
    words are escaped like :func:`markdown`, and the untrusted ``values`` it quotes (a
    dataset name, a path) are escaped wherever they stand, inside a code span or not, so a
    backtick in a name cannot end the span around it."""
    out: list[str] = []
    in_code = False
    span: list[str] = []
    for piece, untrusted in _pieces(sentence, values):
        parts = [piece] if untrusted else piece.split("`")
        for index, part in enumerate(parts):
            if index:  # a backtick of the sentence itself
                if in_code:
                    out.append(code("".join(span)))
                    span = []
                in_code = not in_code
            if in_code:
                span.append(part)
            elif part:
                out.append(markdown(part))
    if in_code:  # an unclosed span: its text, as text
        out.append(markdown("`" + "".join(span)))
    return "".join(out)


def json_text(document: str) -> str:
    """A JSON document with its hidden characters as ``\\uXXXX`` escapes (a pair for one
    beyond the BMP). Outside strings JSON holds only spaces, newlines and punctuation, so
    only string contents change, and they read back the same."""
    if document.isascii() and "\x7f" not in document:
        return document
    return "".join(
        _json_escape(ch) if is_hidden(ch) and ch not in _JSON_SPACE else ch for ch in document
    )


def _json_escape(ch: str) -> str:
    code = ord(ch)
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def _entities(text: str) -> str:
    # Never used inside an attribute value, so quotes need no entity.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _pieces(sentence: str, values: Sequence[str]) -> list[tuple[str, bool]]:
    """``sentence`` cut into (text, is an untrusted value) pieces, longest values first."""
    wanted = sorted({v for v in values if v}, key=len, reverse=True)
    if not wanted:
        return [(sentence, False)]
    pattern = re.compile("|".join(re.escape(v) for v in wanted))
    pieces: list[tuple[str, bool]] = []
    at = 0
    for match in pattern.finditer(sentence):
        pieces.append((sentence[at : match.start()], False))
        pieces.append((match.group(0), True))
        at = match.end()
    pieces.append((sentence[at:], False))
    return pieces


def bounded(text: str, limit: int, escape: Callable[[str], str]) -> str:
    """``escape(text)``, cut before escaping (an escape or entity is never cut in two) to at
    most ``limit`` characters, ending in "..." when cut."""
    whole = escape(text)
    if len(whole) <= limit:
        return whole
    low, high = 0, len(text)
    while low < high:  # the longest prefix whose escaped form and "..." fit
        middle = (low + high + 1) // 2
        if len(escape(text[:middle])) + 3 <= limit:
            low = middle
        else:
            high = middle - 1
    return escape(text[:low]) + "..."
