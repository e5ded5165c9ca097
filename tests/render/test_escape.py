"""The escaping every renderer uses, one output at a time."""

from __future__ import annotations

import json

import pytest

from reconciler.render.escape import (
    bounded,
    code,
    code_block,
    html,
    html_code,
    json_text,
    markdown,
    own_markdown,
    printable,
)
from tests.render.inert import assert_inert_markdown, assert_terminal_safe, rendered

HOSTILE = [
    "\x1b[2J\x1b[31mred\x1b[0m",  # clear the screen, colour
    "\x1b]8;;https://evil.example\x07click\x1b]8;;\x07",  # a terminal hyperlink
    "\x9b7m",  # a C1 control sequence introducer
    "tab\tcr\rnl\nnel\x85",
    "\u202egnp.exe",  # reads "exe.png"
    "\u2066isolate\u2069 \u202aembed\u202c",
    "zero\u200bwidth\u200d\u2060joined\ufeff",
    "filler\u3164\u115f sel\ufe0f tag\U000e0041",
    "lone \ud800 surrogate, private \ue000",
]
MARKUP = [
    "tick`` `</details>--><script>alert(1)</script>",
    "<!-- a comment",
    "[click](https://evil.example) ![img](https://evil.example/x.png)",
    "@octocat and @org/team, cc erin@example.com",
    "| cell | break |",
    "**bold** _em_ ~~gone~~ $x^2$ # heading",
    "&lt;already&gt; &amp; entities",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_printable_spells_out_every_hidden_character(text: str) -> None:
    shown = printable(text)

    assert_terminal_safe(shown)
    assert "\\x1b" in printable("\x1b")
    assert "\\u202e" in printable("\u202e")
    assert printable("\U000e0041") == "\\U000e0041"


def test_printable_keeps_what_is_asked_and_leaves_plain_text_alone() -> None:
    assert printable("a\tb", keep="\t") == "a\tb"
    assert printable("a\tb") == "a\\x09b"
    plain = "warehouse/analytics/public/café_Ω 東京"
    assert printable(plain) is plain


@pytest.mark.parametrize("text", HOSTILE + MARKUP)
def test_markdown_text_is_shown_as_written_and_does_nothing(text: str) -> None:
    written = f"- {markdown(text)}\n\n| a | b |\n| --- | --- |\n| {markdown(text)} | x |\n"

    page = assert_inert_markdown(written)

    assert page.count("<td>") == 2  # the pipes in the text did not add a cell
    assert "<li>" in page
    assert "<a " not in page
    assert "<strong>" not in page


def test_markdown_text_reads_back_exactly() -> None:
    text = MARKUP[0] + " " + MARKUP[2]

    page = assert_inert_markdown(f"{markdown(text)}\n", [text])

    assert (
        page == f"<p>{text.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')}</p>\n"
    )


def test_an_underscore_inside_a_word_stays_as_it_is() -> None:
    assert markdown("valid_min") == "valid_min"
    assert markdown("_x_") == "\\_x\\_"


@pytest.mark.parametrize("text", HOSTILE + MARKUP + ["`", "``", "a`", " x "])
def test_a_code_span_holds_any_text(text: str) -> None:
    written = f"- {code(text)}\n\n| a | b |\n| --- | --- |\n| {code(text, in_table=True)} | x |\n"

    page = assert_inert_markdown(written, [printable(text)] if "`" in text else [])

    assert page.count("<code>") == 2
    assert page.count("<td>") == 2


@pytest.mark.parametrize("text", HOSTILE + MARKUP)
def test_html_stays_text_inside_a_summary(text: str) -> None:
    written = f"<details><summary>{html_code(text)} {html(text)}</summary>\n\nbody\n\n</details>\n"

    page = assert_inert_markdown(written)

    assert page.count("<summary>") == 1
    assert page.count("<code>") == 1


def test_no_line_closes_a_code_block() -> None:
    content = "``` \n````\n</details>\n-->\n" + "\n".join(HOSTILE)

    lines = code_block(content, "diff")
    page = assert_inert_markdown("\n".join(lines) + "\n\nafter\n")

    assert page.count("<pre>") == 1
    assert page.endswith("<p>after</p>\n")
    assert lines[0] == "`````diff"


def test_own_sentences_keep_their_code_and_quote_names_safely() -> None:
    name = "db/x` [click](https://evil.example) `y"

    written = own_markdown(f"`reconciler import {name}` writes {name} into the folder", [name])
    page = assert_inert_markdown(f"- {written}\n", [f"reconciler import {name}", name])

    assert page.count("<code>") == 1
    assert own_markdown("`reconciler apply` creates it") == "`reconciler apply` creates it"


def test_json_spells_hidden_characters_as_escapes_and_reads_back_the_same() -> None:
    data = {"names": HOSTILE, "del": "\x7f"}
    document = json.dumps(data, ensure_ascii=False, indent=2)

    safe = json_text(document)

    assert_terminal_safe(safe)
    assert json.loads(safe) == data
    assert "\\u202e" in safe
    assert "\\udb40\\udc41" in safe


def test_bounded_cuts_before_escaping_never_inside_an_escape() -> None:
    text = "<" * 1000

    cut = bounded(text, 600, markdown)

    assert len(cut) <= 600
    assert cut.endswith("&lt;...")
    assert bounded("short", 600, markdown) == "short"
    assert rendered(cut).count("&lt;") == (len(cut) - 3) // 4
