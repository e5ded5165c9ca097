"""Diagnostics: one mistake in one file, with its place and a stable rule id.

Every check the validator makes has a rule id (``RULES`` below, with a one-line meaning).
The ids are part of the interface: CI annotations, ``--format json`` consumers and tests key
on them, so an id is never renamed, only added.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]

RULES: dict[str, str] = {
    # Reading the file safely.
    "unreadable": "the file cannot be read (permissions, not a regular file, vanished)",
    "file-too-large": "the file is larger than 1 MiB",
    "not-utf8": "the file is not UTF-8 text",
    "byte-order-mark": "the file starts with a UTF-8 byte order mark (BOM)",
    "symlink-escape": "a symbolic link points outside the contracts folder",
    "yaml-syntax": "the text is not valid YAML",
    "multiple-documents": "the file holds more than one YAML document",
    "empty-file": "the file holds no YAML document",
    "duplicate-key": "a mapping repeats a key",
    "yaml-tag": "a YAML tag outside the core schema (or a value that does not fit its tag)",
    "alias-limit": "aliases expand to too much data, or refer to themselves",
    "nesting-depth": "the document is nested too deeply",
    "invalid-key": "a mapping key is not a plain scalar",
    # Shape of the contract.
    "not-a-mapping": "the document is not a mapping of keys",
    "unknown-key": "a key the contract language does not know (often a typo)",
    "missing-key": "a required key is absent",
    "wrong-type": "a value of the wrong kind (text, number, list, mapping...)",
    "invalid-value": "a value outside the allowed choices or range",
    "check-shape": "a check is not a one-key mapping `- TYPE: BODY`",
    "check-placement": "a check type placed where it cannot stand (column vs dataset)",
    # Meaning of the contract.
    "dataset-name": "the dataset is not a qualified name `datasource/prefix.../table` "
    "(too few parts; an empty, '.' or '..' part)",
    "dataset-name-character": "the dataset name holds a control, invisible, bidi-control, "
    "unpaired-surrogate or noncharacter code point",
    "dataset-name-lookalike": "a part of the dataset name mixes Latin letters with Cyrillic or "
    "Greek ones that look alike (a warning)",
    "duplicate-column": "two columns with the same name",
    "duplicate-check-identity": "two checks with the same identity (type, column, qualifier)",
    "empty-checks": "a `checks:` list that is present but empty",
    "missing-threshold": "a check type that needs a threshold has none",
    "threshold-comparisons": "threshold comparisons that cannot be combined",
    "threshold-range": "between / not-between bounds in the wrong order",
    "threshold-metric": "a threshold metric the check type does not support",
    "threshold-unit": "a threshold unit on a check type that has no time unit",
    "threshold-additional": "an `additional` threshold that does not fit its outer threshold",
    "threshold-not-allowed": "a threshold on a check type that ignores it (a warning)",
    "invalid-without-config": "an `invalid` check with no valid/invalid setting to test",
    "failed-rows-form": "a `failed_rows` check without exactly one of expression/query/keys_query",
    "metric-form": "a `metric` check without exactly one of expression/query",
    "size-key-type": "a size key (length, precision, scale) that does not fit the data type",
    "size-key-native-type": "a size key that looks wrong for a data type only the data source "
    "knows (a warning)",
    "undeclared-variable": "`${var.X}` used but X is not declared under `variables`",
    "variable-without-value": "a declared variable with no default and no value",
    "variable-timestamp": "a `NOW` variable whose value is not an ISO 8601 timestamp",
    "unused-variable": "a declared variable that nothing uses",
    # Soda's engine, when it judges the file too (the referee).
    "engine": "Soda's engine refuses the contract (its dry run); cannot be silenced",
    "engine-warning": "Soda's engine warns about the contract (its dry run)",
    # Silencing rules.
    "ignore-comment": "a `# reconciler: ignore` comment naming a rule that does not exist or "
    "cannot be silenced (a warning)",
    # The folder.
    "duplicate-dataset": "two files describe the same dataset",
    "path-mismatch": "the file path does not mirror the dataset name",
    # Environments.
    "environment-render": "the contract cannot be rendered for the environment (--env)",
}


@dataclass(frozen=True)
class Diagnostic:
    """One mistake. ``line`` and ``col`` are 1-based; ``file`` is the path as shown to people."""

    file: str
    line: int
    col: int
    severity: Severity
    rule: str
    message: str
    hint: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.file, self.line, self.col, self.rule, self.message)


def sort_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """By file, then position; ties broken by rule and text so output is stable."""
    return sorted(diagnostics, key=Diagnostic.sort_key)


def count(diagnostics: Iterable[Diagnostic]) -> tuple[int, int]:
    """``(errors, warnings)``."""
    errors = warnings = 0
    for diagnostic in diagnostics:
        if diagnostic.is_error:
            errors += 1
        else:
            warnings += 1
    return errors, warnings
