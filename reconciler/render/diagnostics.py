"""``reconciler validate`` output: diagnostics as text, JSON or GitHub annotations.

Text (for people), one line per diagnostic, then a summary::

    contracts/pg/db/public/orders.yml:7:11: error: unknown key 'treshold' in check 'missing' on column 'id' [unknown-key]
      hint: did you mean 'threshold'?
    1 error and 0 warnings in 12 files

JSON (for machines; ``format_version`` changes only when a field changes meaning)::

    {
      "format_version": 1,
      "root": "contracts",          # the folder as given
      "valid": false,               # no errors (warnings allowed)
      "files": 12,                  # contract files found
      "errors": 1,
      "warnings": 0,
      "diagnostics": [              # sorted by file, line, column
        {"file": "...", "line": 7, "col": 11, "severity": "error" | "warning",
         "rule": "unknown-key", "message": "...", "hint": "..." | null}
      ],
      "contracts": [                # usable contracts (files without errors), by dataset
        {"dataset": "...", "file": "...", "stub": false,
         "raw_sha256": "...", "semantic_fingerprint": "..."}
      ]
    }

GitHub (workflow commands, shown as annotations on the pull request)::

    ::error file=contracts/x.yml,line=7,col=11,title=unknown-key::unknown key ...%0Ahint: ...
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from reconciler.contract.diagnostics import Diagnostic, count
from reconciler.desired import DesiredState
from reconciler.render.escape import json_text, printable

FORMATS = ("text", "json", "github")
JSON_FORMAT_VERSION = 1


def _plural(number: int, word: str) -> str:
    return f"{number} {word}" if number == 1 else f"{number} {word}s"


def summary_line(errors: int, warnings: int, files: int) -> str:
    """``2 errors and 1 warning in 12 files``."""
    return (
        f"{_plural(errors, 'error')} and {_plural(warnings, 'warning')} in {_plural(files, 'file')}"
    )


def render_text(state: DesiredState) -> str:
    lines: list[str] = []
    # File names and messages quote what the files hold: nothing may steer the terminal.
    for d in state.diagnostics:
        lines.append(printable(f"{d.file}:{d.line}:{d.col}: {d.severity}: {d.message} [{d.rule}]"))
        if d.hint:
            lines.append(printable(f"  hint: {d.hint}"))
    errors, warnings = count(state.diagnostics)
    lines.append(summary_line(errors, warnings, state.files_read))
    return "\n".join(lines) + "\n"


def _diagnostic_json(d: Diagnostic) -> dict[str, Any]:
    return {
        "file": d.file,
        "line": d.line,
        "col": d.col,
        "severity": d.severity,
        "rule": d.rule,
        "message": d.message,
        "hint": d.hint,
    }


def report_json(state: DesiredState, root: str) -> dict[str, Any]:
    errors, warnings = count(state.diagnostics)
    return {
        "format_version": JSON_FORMAT_VERSION,
        "root": root,
        "valid": errors == 0,
        "files": state.files_read,
        "errors": errors,
        "warnings": warnings,
        "diagnostics": [_diagnostic_json(d) for d in state.diagnostics],
        "contracts": [
            {
                "dataset": contract.dataset,
                "file": contract.display_path,
                "stub": contract.is_stub,
                "raw_sha256": contract.raw_sha256,
                "semantic_fingerprint": contract.semantic_fingerprint,
            }
            for _, contract in sorted(state.contracts.items())
        ],
    }


def render_json(state: DesiredState, root: str) -> str:
    return json_text(json.dumps(report_json(state, root), indent=2, ensure_ascii=False)) + "\n"


def _escape_data(text: str) -> str:
    # The log viewer renders ANSI colours: hidden characters are spelt out first; line
    # breaks are the command's own %0D and %0A.
    return (
        printable(text, keep="\r\n").replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    )


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotation(d: Diagnostic) -> str:
    message = d.message if not d.hint else f"{d.message}\nhint: {d.hint}"
    properties = ",".join(
        (
            f"file={_escape_property(d.file)}",
            f"line={d.line}",
            f"col={d.col}",
            f"title={_escape_property(d.rule)}",
        )
    )
    return f"::{d.severity} {properties}::{_escape_data(message)}"


def render_github(state: DesiredState) -> str:
    lines = [github_annotation(d) for d in state.diagnostics]
    errors, warnings = count(state.diagnostics)
    lines.append(summary_line(errors, warnings, state.files_read))
    return "\n".join(lines) + "\n"


def render(state: DesiredState, output_format: str, *, root: str) -> str:
    """The report in one of :data:`FORMATS`."""
    if output_format == "json":
        return render_json(state, root)
    if output_format == "github":
        return render_github(state)
    return render_text(state)


__all__: Sequence[str] = (
    "FORMATS",
    "github_annotation",
    "render",
    "render_github",
    "render_json",
    "render_text",
    "report_json",
    "summary_line",
)
