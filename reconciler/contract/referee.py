"""Soda's engine as the referee of our rules, one contract file at a time.

When the engine is installed (``--engine auto``, the default) or demanded (``--engine on``),
each file our reader could read is also given to the engine's dry run (its own parse, no
data source, no data), and the two verdicts are combined by :func:`referee`:

* we are never more lenient than the engine: each of its errors is an error diagnostic
  (rule ``engine``) at the place it names, and nothing silences it; its warnings become
  warnings (``engine-warning``);
* where the engine accepts a file that one of our language rules refuses, our error becomes
  a warning, so a team is not blocked by a rule of ours that the engine does not share;
* except the rules the engine has no say in (:data:`OURS_ALONE`): unknown keys (typos the
  engine drops without a word, so a misspelt ``treshold:`` would publish a check without its
  threshold), reading a file safely (sizes, encodings, aliases, tags), and the names and
  paths the reconciler keys everything on. These stay as they are.

``--engine off`` never imports the engine: nothing here loads :mod:`reconciler.engine`
until :func:`engine_wanted` or :func:`consult_engine` is called with a mode that uses it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Literal

from reconciler.contract import variables as contract_variables
from reconciler.contract.diagnostics import Diagnostic, sort_diagnostics
from reconciler.contract.parsed import ParsedContract

if TYPE_CHECKING:
    from reconciler.engine.model import Diagnostic as EngineDiagnostic
    from reconciler.engine.model import Verdict

EngineMode = Literal["auto", "on", "off"]
ENGINE_MODES: tuple[EngineMode, ...] = ("auto", "on", "off")
DEFAULT_ENGINE_MODE: EngineMode = "auto"

ENGINE_RULE = "engine"
ENGINE_WARNING_RULE = "engine-warning"

# Reading a text safely comes before any judgement: a file with one of these errors is
# never given to the engine (an alias bomb or a 100-level nesting would cost it dearly).
READING_RULES = frozenset(
    {
        "unreadable",
        "file-too-large",
        "not-utf8",
        "byte-order-mark",
        "symlink-escape",
        "yaml-syntax",
        "multiple-documents",
        "empty-file",
        "duplicate-key",
        "yaml-tag",
        "alias-limit",
        "nesting-depth",
        "invalid-key",
    }
)
# Rules whose errors stay errors whatever the engine says.
OURS_ALONE = READING_RULES | {
    # The engine drops an unknown key silently; the contract would check less than it says.
    "unknown-key",
    # Dataset names key files, the state and Soda Cloud's datasets: one rule everywhere.
    "dataset-name",
    "dataset-name-character",
    # The folder: one file per dataset, at the path that mirrors its name.
    "duplicate-dataset",
    "path-mismatch",
    ENGINE_RULE,
}


def engine_wanted(mode: EngineMode) -> bool:
    """Whether the engine judges contracts in this run. ``auto``: when it is installed;
    ``on``: it must be (:class:`~reconciler.errors.EngineNotInstalled`, a ``ConfigError``
    with what to install); ``off``: never, and nothing of the engine is imported."""
    if mode == "off":
        return False
    from reconciler.engine.status import engine_version, install_hint
    from reconciler.errors import EngineNotInstalled

    installed = engine_version() is not None
    if mode == "on" and not installed:
        raise EngineNotInstalled(
            "--engine on: Soda's engine (soda-core) is not installed", hint=install_hint()
        )
    return installed


def engine_judges(parsed: ParsedContract) -> bool:
    """Whether the engine is asked about this text: it was read safely into a document, and
    it is not a bare ``dataset:`` stub (that asks Soda Cloud for a skeleton; it is no
    contract yet, and the engine would miss its ``columns``)."""
    if parsed.raw_text is None or not isinstance(parsed.document, dict):
        return False
    if parsed.is_stub and "columns" not in parsed.document:
        return False
    return not any(d.rule in READING_RULES and d.is_error for d in parsed.diagnostics)


def dry_run_variables(document: object, supplied: Mapping[str, str]) -> dict[str, str]:
    """The values the engine is given, as a verification would give them: ``--var`` and
    the schedule's, as text; defaults the engine reads from the contract itself."""
    schedule = contract_variables.schedule_values(document)
    known = contract_variables.values(document, {})
    given = {
        name: known[name]
        for name in contract_variables.declared(document)
        if schedule.get(name) is not None and name in known
    }
    given.update(supplied)
    return given


def consult_engine(parsed: ParsedContract, supplied: Mapping[str, str]) -> Verdict | None:
    """The engine's dry run of one parsed file; None when the engine is not asked about it
    (:func:`engine_judges`). Imports soda-core on first use (most of a second, once)."""
    if not engine_judges(parsed) or parsed.raw_text is None:
        return None
    from reconciler.engine import dry_run

    return dry_run(
        parsed.raw_text,
        variables=dry_run_variables(parsed.document, supplied),
        source_name=parsed.source,
    )


def referee(
    diagnostics: Iterable[Diagnostic], verdict: Verdict | None, source: str
) -> list[Diagnostic]:
    """Our diagnostics of one file combined with the engine's verdict on it (None: the
    engine did not judge it, and ours stand as they are)."""
    ours = list(diagnostics)
    if verdict is None:
        return sort_diagnostics(ours)
    theirs = [_from_engine(item, source) for item in verdict.diagnostics]
    if verdict.ok:
        ours = [_downgraded(item) for item in ours]
    return sort_diagnostics([*ours, *theirs])


def _from_engine(item: EngineDiagnostic, source: str) -> Diagnostic:
    line, col = item.line or 1, item.col or 1
    if item.level == "error":
        return Diagnostic(
            source,
            line,
            col,
            "error",
            ENGINE_RULE,
            f"Soda's engine refuses the contract: {item.message}",
            "Soda's engine would refuse this contract when it verifies it; an error of the "
            "engine cannot be silenced.",
        )
    return Diagnostic(
        source, line, col, "warning", ENGINE_WARNING_RULE, f"Soda's engine: {item.message}"
    )


def _downgraded(item: Diagnostic) -> Diagnostic:
    if not item.is_error or item.rule in OURS_ALONE:
        return item
    note = "Soda's engine accepts this contract, so this rule of ours only warns."
    hint = f"{item.hint} {note}" if item.hint else note
    return dataclasses.replace(item, severity="warning", hint=hint)


def refereed(
    parsed: ParsedContract, supplied: Mapping[str, str], *, use_engine: bool
) -> ParsedContract:
    """The parsed file with its diagnostics refereed by the engine's dry run (when
    ``use_engine``, see :func:`engine_wanted`); the file's other fields are unchanged."""
    if not use_engine:
        return parsed
    verdict = consult_engine(parsed, supplied)
    if verdict is None:
        return parsed
    judged = referee(parsed.diagnostics, verdict, parsed.source)
    return dataclasses.replace(parsed, diagnostics=tuple(judged))


def refereed_all(
    parsed: Sequence[ParsedContract], supplied: Mapping[str, str], *, use_engine: bool
) -> list[ParsedContract]:
    """:func:`refereed` for each file, in one process (the engine is imported once)."""
    return [refereed(item, supplied, use_engine=use_engine) for item in parsed]
