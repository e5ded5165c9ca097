"""The one rule for dataset names: what validate (and so plan and apply) and import say about
a name is decided by one function, so they can never disagree."""

from __future__ import annotations

import pytest

from reconciler.contract.names import BIDI_CONTROLS, name_problems, shown
from reconciler.importer import name_problem, name_warnings
from tests.contract.helpers import parse

ORDERS = "warehouse/analytics/public/orders"


def quoted(name: str) -> str:
    """``name`` as a YAML double-quoted scalar, every character that does not show escaped."""
    body = name.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + "".join(ch if ch.isprintable() else f"\\u{ord(ch):04x}" for ch in body) + '"'


def rule_of(name: str) -> list[tuple[str, str]]:
    """(rule, severity) of every name diagnostic validate gives for ``name``."""
    parsed = parse(f"dataset: {quoted(name)}\ncolumns: []\n")
    return [(d.rule, d.severity) for d in parsed.diagnostics if d.rule.startswith("dataset-name")]


BAD_STRUCTURE = [
    "",
    "orders",
    "/warehouse/orders",
    "warehouse//orders",
    "warehouse/orders/",
    "warehouse/ /orders",
    "warehouse/../etc/orders",
    "warehouse/./orders",
    "..",
]
BAD_CHARACTERS = [
    *(f"warehouse/orders{chr(code)}x" for code in sorted(BIDI_CONTROLS)),
    "warehouse/zero\u200bwidth",  # zero-width space
    "warehouse/zero\u200dwidth",  # zero-width joiner
    "warehouse/soft\u00adhyphen",  # a format character
    "warehouse/word\u2060joiner",
    "warehouse/\ufefforders",  # a BOM inside the name
    "warehouse/no\u00a0break",  # a space that is not the space
    "warehouse/filler\u3164",  # a letter that draws nothing
    "warehouse/tab\there",
    "warehouse/not\ufffea",  # noncharacters
    "warehouse/not\ufdd0a",
]
LOOKALIKES = [
    "warehouse/analytics/public/\u0441ustomers",  # Cyrillic es, beside Latin letters
    "warehouse/analytics/public/\u03bfrders",  # Greek omicron
    "warehouse/analytics/\u0440\u0430\u0443/orders",  # all Cyrillic look-alikes: "pay"
]
GOOD = [
    ORDERS,
    "pg/db/schema/tbl-with.dots_and ünïcode",
    "pg/заказы/orders",  # a Cyrillic part that does not pass for Latin
    "1с/база/заказы",  # wholly Cyrillic
    "pg/db/ελληνικά",  # wholly Greek
]


@pytest.mark.parametrize("name", BAD_STRUCTURE)
def test_names_that_are_not_qualified_are_errors_in_validate_and_in_import(name: str) -> None:
    assert rule_of(name) == [("dataset-name", "error")]
    assert name_problem(name) is not None


@pytest.mark.parametrize("name", BAD_CHARACTERS, ids=ascii)
def test_hidden_and_bidi_characters_are_errors_in_validate_and_in_import(name: str) -> None:
    assert rule_of(name) == [("dataset-name-character", "error")]
    problem = name_problem(name)
    assert problem is not None
    hidden = next(ch for ch in name if not (ch.isascii() and ch.isprintable()))
    assert f"U+{ord(hidden):04X}" in problem


def test_the_right_to_left_override_is_named_and_shown_escaped() -> None:
    parsed = parse(f"dataset: {quoted('warehouse/invoice' + chr(0x202E) + 'gpj.exe')}\n")
    [diagnostic] = [d for d in parsed.diagnostics if d.rule == "dataset-name-character"]
    assert "bidi control U+202E (RIGHT-TO-LEFT OVERRIDE)" in diagnostic.message
    assert "warehouse/invoice\\u202egpj.exe" in diagnostic.message
    assert "\u202e" not in diagnostic.message
    assert (diagnostic.line, diagnostic.col) == (1, 10)


@pytest.mark.parametrize("name", LOOKALIKES, ids=ascii)
def test_latin_mixed_with_look_alike_letters_is_a_warning_everywhere(name: str) -> None:
    assert rule_of(name) == [("dataset-name-lookalike", "warning")]
    assert name_problem(name) is None  # import takes it, and says so
    [warning] = name_warnings(name)
    assert "looks like" in warning


def test_the_look_alike_warning_names_the_letter_and_what_it_passes_for() -> None:
    [problem] = name_problems("warehouse/analytics/public/\u0441ustomers")
    assert problem.reason == (
        "part 4 ('\u0441ustomers') mixes Latin letters with the Cyrillic letter '\u0441' "
        "(U+0441 CYRILLIC SMALL LETTER ES), which looks like Latin 'c'"
    )


@pytest.mark.parametrize("name", GOOD)
def test_ordinary_names_in_any_script_pass_everywhere(name: str) -> None:
    assert rule_of(name) == []
    assert name_problem(name) is None
    assert name_warnings(name) == ()


def test_a_name_is_judged_with_its_variables_resolved() -> None:
    text = "dataset: warehouse/${var.schema}/orders\nvariables:\n  schema:\n    default: public\n"
    assert rule_of_text(text + "columns: []\n") == []
    assert rule_of_text(text + "columns: []\n", schema="..") == [("dataset-name", "error")]
    # A byte that is not UTF-8 in an argument reaches Python as an unpaired surrogate.
    assert rule_of_text(text + "columns: []\n", schema="x\udcff") == [
        ("dataset-name-character", "error")
    ]


def rule_of_text(text: str, **variables: str) -> list[tuple[str, str]]:
    parsed = parse(text, variables=variables)
    return [(d.rule, d.severity) for d in parsed.diagnostics if d.rule.startswith("dataset-name")]


def test_shown_escapes_every_character_that_does_not_show() -> None:
    assert shown("a\u202eb\u200bc\x1bd\udcffe") == "a\\u202eb\\u200bc\\x1bd\\udcffe"
    assert shown("pg/заказы/ünïcode") == "pg/заказы/ünïcode"
