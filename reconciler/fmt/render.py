"""``reconciler fmt`` output, every word of it.

stdout names the files fmt changed (or, with ``--check``, would change), one a line, so
that it can be piped; with ``--diff`` a unified diff of each instead, whose headers name
the file::

    contracts/warehouse/public/orders.yml

stderr holds the rest: the errors of the files left as they are (as validate prints them),
a note per symbolic link, and a summary::

    contracts/lake/raw.yml:4:12: error: Soda's engine's YAML reader ... [fmt-engine-unreadable]
      hint: Replace the tab with spaces; ...
    12 contract files: 1 formatted, 10 already canonical, 1 left as it is
"""

from __future__ import annotations

import difflib

from reconciler.contract.names import shown
from reconciler.fmt.folder import FileResult, FmtReport, Outcome


def _plural(number: int, word: str) -> str:
    return f"{number} {word}" if number == 1 else f"{number} {word}s"


def changed_files(report: FmtReport, *, diff: bool) -> str:
    """stdout: the files fmt changed or would change, or their diffs."""
    changed = report.having(Outcome.FORMATTED, Outcome.UNFORMATTED)
    if diff:
        return "".join(unified_diff(result) for result in changed)
    return "".join(f"{shown(result.display)}\n" for result in changed)


def unified_diff(result: FileResult) -> str:
    before = (result.before or "").splitlines(keepends=True)
    after = (result.after or "").splitlines(keepends=True)
    name = shown(result.display)
    lines = difflib.unified_diff(before, after, fromfile=name, tofile=name)
    return "".join(_shown_line(line) for line in lines)


def _shown_line(line: str) -> str:
    body = line[:-1] if line.endswith("\n") else line
    return shown(body) + "\n"


def problems(report: FmtReport) -> str:
    """stderr: why each file left as it is was left, and the links that were not followed."""
    lines: list[str] = []
    for d in report.errors:
        lines.append(f"{shown(d.file)}:{d.line}:{d.col}: {d.severity}: {d.message} [{d.rule}]")
        if d.hint:
            lines.append(f"  hint: {d.hint}")
    for result in report.having(Outcome.REFUSED):
        refusal = result.refusal
        if refusal is None:
            continue
        lines.append(
            f"{shown(result.display)}:{refusal.line}:{refusal.col}: error: {refusal.message} "
            f"[{refusal.rule}]"
        )
        lines.append(f"  hint: {refusal.hint}")
    for result in report.having(Outcome.LINK):
        lines.append(
            f"{shown(result.display)}: a symbolic link: left as it is (fmt formats the file it "
            "points to, never through a link)"
        )
    return "".join(f"{line}\n" for line in lines)


def summary(report: FmtReport, *, check: bool) -> str:
    """``12 contract files: 1 formatted, 10 already canonical, 1 left as it is``."""
    counts = {outcome: len(report.having(outcome)) for outcome in Outcome}
    parts = [
        f"{counts[Outcome.UNFORMATTED]} not in the canonical layout"
        if check
        else f"{counts[Outcome.FORMATTED]} formatted",
        f"{counts[Outcome.CANONICAL]} already canonical",
    ]
    left = counts[Outcome.INVALID] + counts[Outcome.REFUSED]
    if left:
        parts.append(f"{left} left as {'it is' if left == 1 else 'they are'} (errors above)")
    if counts[Outcome.LINK]:
        parts.append(f"{_plural(counts[Outcome.LINK], 'symbolic link')} not followed")
    return f"{_plural(len(report.files), 'contract file')}: {', '.join(parts)}\n"


def failure(report: FmtReport, *, check: bool) -> tuple[str, str] | None:
    """The error message and hint when fmt must exit 1; None when it succeeded."""
    root = shown(report.root.as_posix())
    unformatted = len(report.having(Outcome.UNFORMATTED)) if check else 0
    left = len(report.having(Outcome.INVALID, Outcome.REFUSED))
    parts: list[str] = []
    if unformatted:
        parts.append(
            f"{_plural(unformatted, 'contract file')} in {root} "
            f"{'is' if unformatted == 1 else 'are'} not in the canonical layout"
        )
    if left:
        parts.append(
            f"{_plural(left, 'contract file')} "
            f"{'was' if left == 1 else 'were'} left as {'it is' if left == 1 else 'they are'}"
        )
    if not parts:
        return None
    them = "it" if unformatted == 1 else "them"
    if unformatted and not left:
        hint = f"Run `reconciler fmt {root}` to lay {them} out (layout only: the meaning is kept)."
    elif unformatted:
        hint = (
            f"Fix the errors above, then run `reconciler fmt {root}` to lay the files out "
            "(layout only: the meaning is kept)."
        )
    else:
        hint = "Fix the errors above (`reconciler validate` lists a file's errors), then run fmt again."
    return "; ".join(parts), hint
