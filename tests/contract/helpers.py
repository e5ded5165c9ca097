"""Small helpers for contract tests: parse a dedented text, pick diagnostics by rule."""

from __future__ import annotations

import textwrap

from reconciler.contract import Diagnostic, ParsedContract, parse_contract_text


def parse(text: str, *, variables: dict[str, str] | None = None) -> ParsedContract:
    return parse_contract_text(textwrap.dedent(text).lstrip("\n"), "c.yml", variables=variables)


def where(parsed: ParsedContract, rule: str) -> list[tuple[int, int]]:
    """Positions of the diagnostics of one rule."""
    return [(d.line, d.col) for d in parsed.diagnostics if d.rule == rule]


def only(parsed: ParsedContract, rule: str) -> Diagnostic:
    found = [d for d in parsed.diagnostics if d.rule == rule]
    assert len(found) == 1, parsed.diagnostics
    return found[0]


def rules(parsed: ParsedContract) -> set[str]:
    return {d.rule for d in parsed.diagnostics if d.is_error}
