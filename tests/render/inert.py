"""Checks that output is inert: nothing in it steers a terminal or escapes its markdown.

Markdown is read back with a CommonMark parser (markdown-it-py, with GitHub's tables and
strike-through), so the checks see what GitHub would render, not what the renderer meant.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from markdown_it import MarkdownIt

# Written out here rather than taken from the renderers: C0 but tab and newline, DEL, C1,
# soft hyphen, Arabic letter mark, Mongolian vowel separator, zero-width characters and
# marks, line and paragraph separators, bidi embeddings, overrides and isolates, word joiner
# and invisible operators, the byte order mark, interlinear annotations and tag characters.
HIDDEN = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e"
    "\u2060-\u206f\ufeff\ufff9-\ufffb\U000e0000-\U000e007f]"
)
TAGS = {
    "a", "blockquote", "code", "del", "details", "em", "h3", "li", "p", "pre", "strong",
    "sub", "summary", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
COMMONMARK = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
_CODE = re.compile(r"<code[^>]*>.*?</code>", re.DOTALL)


def assert_terminal_safe(text: str) -> None:
    hidden = HIDDEN.search(text)
    assert hidden is None, (
        f"raw {hidden.group(0)!r} at {hidden.start()}: {text[max(0, hidden.start() - 60) : hidden.start() + 20]!r}"
    )


def rendered(markdown: str) -> str:
    page: str = COMMONMARK.render(markdown)
    return page


def assert_inert_markdown(
    markdown: str, shown: Iterable[str] = (), *, links_to: tuple[str, ...] = ()
) -> str:
    """``markdown`` holds no raw hidden character; rendered, it holds only the renderer's own
    tags, every ``<details>`` closed, no comment, links only to ``links_to``, no @mention
    outside code, and each of ``shown`` as text, as written. Returns the HTML."""
    assert_terminal_safe(markdown)
    page = rendered(markdown)
    assert "<!--" not in page
    assert "-->" not in page
    tags = set(re.findall(r"</?([A-Za-z][A-Za-z0-9-]*)", page))
    assert tags <= TAGS, f"tags from the text: {sorted(tags - TAGS)}"
    assert page.count("<details") == page.count("</details>"), page
    for href in re.findall(r'href="([^"]*)"', page):
        assert href.startswith(links_to), f"a link to {href}"
    outside_code = _CODE.sub("", page)
    assert re.search(r"(?<![\w.+-])@[A-Za-z0-9]", outside_code) is None, "an @mention"
    for text in shown:
        assert html.escape(text, quote=False) in page, f"{text!r} is not shown as written"
    return page
