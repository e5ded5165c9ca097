"""A team is never blocked by a rule it disagrees with: per-rule severity and inline ignores.

* ``rules:`` in reconciler.yml sets a rule's severity for the whole project:
  ``{size-key-type: warning, unused-variable: off}`` (``error`` | ``warning`` | ``off``).
* ``# reconciler: ignore RULE-ID[, RULE-ID]`` silences those rules on one line: at the end
  of the line a diagnostic points at, or alone on the line above it (then it applies to the
  next line that holds more than a comment). Free text may follow after `` -- ``.

Neither touches an error of Soda's engine (rule ``engine``): we are never more lenient than
the engine. Both are pure functions of diagnostics and the file's text.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

import yaml

from reconciler.contract.diagnostics import RULES, Diagnostic

RuleSetting = Literal["error", "warning", "off"]
RULE_SETTINGS: tuple[RuleSetting, ...] = ("error", "warning", "off")
# Errors of Soda's engine: no setting or comment silences them.
UNSILENCEABLE = frozenset({"engine"})
IGNORE_RULE = "ignore-comment"

_MARKER = "reconciler:"
_IGNORE = re.compile(r"#[ \t]*reconciler:[ \t]*ignore\b(?P<rest>[^\n]*)")
_RULE_ID = re.compile(r"[a-z][a-z0-9-]*")


def rule_problem(rule: str) -> str | None:
    """Why ``rule`` cannot be given a severity or be ignored; None when it can."""
    if rule in UNSILENCEABLE:
        return (
            f"'{rule}' (an error of Soda's engine) cannot be silenced: "
            "we are never more lenient than the engine"
        )
    if rule in RULES:
        return None
    guess = difflib.get_close_matches(rule, list(RULES), n=1, cutoff=0.6)
    known = f"did you mean '{guess[0]}'?" if guess else "docs/validate.md lists the rule ids"
    return f"unknown rule id '{rule}'; {known}"


def apply_settings(
    diagnostics: Iterable[Diagnostic], settings: Mapping[str, RuleSetting]
) -> list[Diagnostic]:
    """Each diagnostic at the severity its rule is set to; ``off`` drops it."""
    out: list[Diagnostic] = []
    for item in diagnostics:
        setting = settings.get(item.rule)
        if setting is None or item.rule in UNSILENCEABLE:
            out.append(item)
        elif setting != "off":
            out.append(
                item if item.severity == setting else dataclasses.replace(item, severity=setting)
            )
    return out


@dataclass(frozen=True)
class Ignore:
    """One ``# reconciler: ignore`` comment: the rules it names, for the line it applies to."""

    line: int  # the line whose diagnostics it silences (1-based)
    comment_line: int
    comment_col: int
    rules: tuple[str, ...]
    problems: tuple[str, ...] = ()  # what in the comment cannot be used


def inline_ignores(text: str) -> list[Ignore]:
    """The ignore comments of a contract text. A ``#`` inside a value (quoted, or in a block
    of SQL) is no comment; a text that is not YAML has none."""
    if _MARKER not in text:
        return []
    comments = [match for match in _IGNORE.finditer(text) if _is_comment_at(text, match.start())]
    if not comments:
        return []
    inside = _value_spans(text)
    if inside is None:
        return []
    lines = text.split("\n")
    found: list[Ignore] = []
    for match in comments:
        if any(start <= match.start() < end for start, end in inside):
            continue
        line = text.count("\n", 0, match.start()) + 1
        col = match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
        alone = not lines[line - 1][: col - 1].strip()
        target = _next_content_line(lines, line) if alone else line
        rules, problems = _rules_named(match.group("rest"))
        found.append(Ignore(target, line, col, rules, problems))
    return found


def apply_ignores(
    diagnostics: Iterable[Diagnostic], ignores: Iterable[Ignore], source: str
) -> list[Diagnostic]:
    """The diagnostics of one file without those its ignore comments silence, and a
    warning for each comment that names what cannot be ignored."""
    ignores = list(ignores)
    silenced = {(ignore.line, rule) for ignore in ignores for rule in ignore.rules}
    out = [
        item
        for item in diagnostics
        if item.file != source
        or item.rule in UNSILENCEABLE
        or (item.line, item.rule) not in silenced
    ]
    for ignore in ignores:
        for problem in ignore.problems:
            out.append(
                Diagnostic(
                    source,
                    ignore.comment_line,
                    ignore.comment_col,
                    "warning",
                    IGNORE_RULE,
                    f"the ignore comment cannot be used: {problem}",
                    "Write `# reconciler: ignore RULE-ID[, RULE-ID]`, with the rule ids "
                    "that validate shows in brackets.",
                )
            )
    return out


def silence(
    diagnostics: Iterable[Diagnostic],
    settings: Mapping[str, RuleSetting],
    texts: Mapping[str, str | None],
) -> list[Diagnostic]:
    """Severity settings, then each file's ignore comments (``texts``: file -> its text),
    over the diagnostics of a whole folder."""
    out = apply_settings(diagnostics, settings)
    for source, text in texts.items():
        if text:
            ignores = inline_ignores(text)
            if ignores:
                out = apply_ignores(out, ignores, source)
    return out


def _is_comment_at(text: str, index: int) -> bool:
    # YAML starts a comment only at a line's start or after white space.
    return index == 0 or text[index - 1] in " \t\n"


def _value_spans(text: str) -> list[tuple[int, int]] | None:
    """Where the text's scalars (keys and values, quoted or block) stand; None when the
    text is not YAML."""
    try:
        return [
            (token.start_mark.index, token.end_mark.index)
            for token in yaml.scan(text, Loader=yaml.SafeLoader)
            if isinstance(token, yaml.ScalarToken)
        ]
    except yaml.YAMLError:
        return None


def _next_content_line(lines: list[str], line: int) -> int:
    for number in range(line + 1, len(lines) + 1):
        content = lines[number - 1].strip()
        if content and not content.startswith("#"):
            return number
    return line


def _rules_named(rest: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    listed = rest.split(" -- ", 1)[0].strip()
    rules: list[str] = []
    problems: list[str] = []
    if not listed:
        return (), ("it names no rule id",)
    for item in listed.split(","):
        rule = item.strip()
        if not _RULE_ID.fullmatch(rule):
            problems.append(f"'{rule}' is not a rule id")
            continue
        problem = rule_problem(rule)
        if problem is None:
            rules.append(rule)
        else:
            problems.append(problem)
    return tuple(rules), tuple(problems)
