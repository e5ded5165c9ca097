"""Dataset qualified names: the one rule that validate, plan, apply and import all apply.

A name is ``datasource/prefix.../table``. It becomes a path (import writes
``<datasource>/<prefixes...>/<table>.yml``), a key of the state and of Soda Cloud, and text
in a terminal and a pull-request comment, so a name that reads as something it is not is
refused everywhere alike:

| rule | severity | what it catches |
|---|---|---|
| dataset-name | error | an empty name, fewer than two parts, a leading '/', an empty (or blank), '.' or '..' part |
| dataset-name-character | error | control characters, invisible ones (zero-width, format, odd spaces, fillers), bidi controls, unpaired surrogates, noncharacters |
| dataset-name-lookalike | warning | a part mixing Latin letters with Cyrillic or Greek ones, or spelled only in letters that look Latin in an otherwise Latin name |

Import adds what only a path needs (Windows-reserved names and characters, lengths):
:func:`reconciler.importer.name_problem`.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from reconciler.contract.diagnostics import Severity

BIDI_CONTROLS = frozenset({0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)})
# Letters and marks that draw nothing: fillers, the blank braille pattern, the combining
# grapheme joiner and the variation selectors.
INVISIBLE = frozenset(
    {0x034F, 0x115F, 0x1160, 0x2800, 0x3164, 0xFFA0, *range(0xFE00, 0xFE10)}
    | set(range(0xE0100, 0xE01F0))
)
# Cyrillic and Greek letters drawn like a Latin one (after Unicode's confusables list).
LOOKALIKES = dict(
    zip(
        "аеорсухіјѕԁһӏԛԝАВЕКМНОРСТХЅІЈҮοαρνικυΑΒΕΖΗΙΚΜΝΟΡΤΥΧ",
        "aeopcyxijsdhlqwABEKMHOPCTXSIJYoapvikuABEZHIKMNOPTYX",
        strict=True,
    )
)
_SCRIPTS = ("LATIN", "CYRILLIC", "GREEK")

QUALIFIED_HINT = (
    "Write the data source, its prefixes (database, schema...) and the table, "
    "separated by '/', as Soda Cloud shows the dataset."
)
CHARACTER_HINT = (
    "Retype the name: it must hold only characters that show as what they are "
    "(a hidden character makes two names that look the same but are different datasets)."
)
LOOKALIKE_HINT = (
    "Spell the part in one script: a look-alike letter makes a name that reads like "
    "another dataset's but is a different one."
)


@dataclass(frozen=True)
class NameProblem:
    """One thing wrong with a dataset name. ``reason`` is a clause with its own subject
    ("part 2 is '..', ..."); every character that does not show is written as an escape."""

    rule: str
    severity: Severity
    reason: str
    hint: str

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


def name_problems(dataset: str) -> tuple[NameProblem, ...]:
    """Everything wrong with ``dataset``, errors first; empty for a good name."""
    character = _character_problem(dataset)
    if character is not None:
        return (character,)  # the parts cannot be shown as they read: nothing more to say
    structure = _structure_problem(dataset)
    errors = (structure,) if structure is not None else ()
    return errors + _lookalike_problems(dataset)


def name_error(dataset: str) -> NameProblem | None:
    """The first error of ``dataset``, if any (warnings aside)."""
    return next((p for p in name_problems(dataset) if p.is_error), None)


def shown(text: str) -> str:
    """``text`` with every character that does not show (controls, invisible and bidi
    characters, unpaired surrogates) written as an escape, so it prints as it is."""
    if text.isprintable() and not any(_hidden(ch) for ch in text):
        return text
    return "".join(_escape(ch) if _hidden(ch) else ch for ch in text)


def _structure_problem(dataset: str) -> NameProblem | None:
    def problem(reason: str) -> NameProblem:
        return NameProblem("dataset-name", "error", reason, QUALIFIED_HINT)

    if not dataset:
        return problem("the name is empty")
    if dataset.startswith("/"):
        return problem("the name starts with '/', like an absolute path")
    parts = dataset.split("/")
    for number, part in enumerate(parts, start=1):
        if part == "":
            return problem(f"part {number} is empty ('//', or a '/' at the end)")
        if not part.strip():
            return problem(f"part {number} is only spaces")
        if part == "..":
            return problem(f"part {number} is '..', which would leave the contracts folder")
        if part == ".":
            return problem(f"part {number} is '.', which names no file or folder")
    if len(parts) < 2:
        return problem("the name has one part; a qualified name has at least datasource/table")
    return None


def _character_problem(dataset: str) -> NameProblem | None:
    for index, ch in enumerate(dataset):
        kind = _hidden(ch)
        if kind is not None:
            return NameProblem(
                "dataset-name-character",
                "error",
                f"the name holds {kind} U+{ord(ch):04X}{_named(ch)} at character {index + 1}",
                CHARACTER_HINT,
            )
    return None


def _hidden(ch: str) -> str | None:
    """What kind of character that does not show ``ch`` is; None for one that shows."""
    code = ord(ch)
    if code in BIDI_CONTROLS:
        return "the bidi control"  # reorders the text around it: it reads as another name
    category = unicodedata.category(ch)
    if category == "Cc":
        return "the control character"
    if category == "Cs":
        return "the unpaired surrogate"
    if _is_noncharacter(code):
        return "the noncharacter"
    if category == "Cf" or code in INVISIBLE:
        return "the invisible character"
    if category in ("Zl", "Zp") or (category == "Zs" and ch != " "):
        return "the invisible character"  # a space that is not the space
    return None


def _is_noncharacter(code: int) -> bool:
    return 0xFDD0 <= code <= 0xFDEF or (code & 0xFFFE) == 0xFFFE


def _lookalike_problems(dataset: str) -> tuple[NameProblem, ...]:
    found: list[NameProblem] = []
    latin_in_name = any(_script(ch) == "LATIN" for ch in dataset)
    for number, part in enumerate(dataset.split("/"), start=1):
        letters = [(ch, _script(ch)) for ch in part if ch.isalpha()]
        foreign = [ch for ch, script in letters if script in ("CYRILLIC", "GREEK")]
        if not foreign:
            continue
        latin_in_part = any(script == "LATIN" for _, script in letters)
        all_lookalikes = all(ch in LOOKALIKES for ch, _ in letters)
        if not (latin_in_part or (latin_in_name and all_lookalikes)):
            continue
        ch = next((c for c in foreign if c in LOOKALIKES), foreign[0])
        script = _script(ch) or ""
        letter = f"'{ch}' ({_code(ch)})"
        if latin_in_part:
            like = f", which looks like Latin '{LOOKALIKES[ch]}'" if ch in LOOKALIKES else ""
            reason = f"mixes Latin letters with the {script.title()} letter {letter}{like}"
        else:
            reason = (
                f"is spelled in {script.title()} letters that look like Latin ones, in an "
                f"otherwise Latin name ({letter} looks like '{LOOKALIKES[ch]}')"
            )
        found.append(
            NameProblem(
                "dataset-name-lookalike",
                "warning",
                f"part {number} ('{part}') {reason}",
                LOOKALIKE_HINT,
            )
        )
    return tuple(found)


def _script(ch: str) -> str | None:
    name = unicodedata.name(ch, "")
    return next((script for script in _SCRIPTS if name.startswith(script + " ")), None)


def _code(ch: str) -> str:
    return f"U+{ord(ch):04X} {unicodedata.name(ch, '')}".rstrip()


def _named(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return f" ({name})" if name else ""


def _escape(ch: str) -> str:
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"
