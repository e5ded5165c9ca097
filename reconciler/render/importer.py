"""``reconciler import``'s report: one line per dataset, the globs that matched nothing, a
summary. Pure functions of an :class:`~reconciler.importer.ImportReport`."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from reconciler.importer import ImportReport, ImportResult, Outcome
from reconciler.render.escape import printable
from reconciler.render.words import import_notes_words

SYMBOL = {
    Outcome.WRITTEN: "+",
    Outcome.REPLACED: "~",
    Outcome.SKIPPED: "=",
    Outcome.REFUSED: "!",
}


def result_lines(report: ImportReport) -> list[str]:
    """``+ written  warehouse/x  contracts/warehouse/x.yml  (note)``, per dataset, in order.
    Names and notes quote Soda Cloud: shown escaped."""
    return [_line(result, report.folder) for result in report.results]


def _line(result: ImportResult, root: Path) -> str:
    where = _shown(root, result.path) if result.path is not None else ""
    head = f"{SYMBOL[result.outcome]} {result.outcome.value:<8} {result.dataset}"
    if where:
        head += f"  {where}"
    note = import_notes_words(result.notes, result.dataset)
    return printable(head + (f"  ({note})" if note else ""))


def _shown(root: Path, relative: PurePosixPath) -> str:
    return (root / relative).as_posix()


def unmatched_lines(report: ImportReport) -> list[str]:
    return [
        f"! no contract in Soda Cloud matches {printable(glob)!r}"
        for glob in report.unmatched_globs
    ]


def summary_line(report: ImportReport) -> str:
    if report.nothing_chosen and report.drifted:
        return "Nothing to import: no contract drifted in Soda Cloud since the last apply."
    if report.nothing_chosen:
        return "Nothing to import: every contract in Soda Cloud has a file or a state record."
    counts = {outcome: 0 for outcome in Outcome}
    for result in report.results:
        counts[result.outcome] += 1
    text = (
        f"Import: {counts[Outcome.WRITTEN]} written, {counts[Outcome.REPLACED]} replaced, "
        f"{counts[Outcome.SKIPPED]} skipped, {counts[Outcome.REFUSED]} refused."
    )
    if report.recorded:
        text += f" Recorded {report.recorded} in the state ({report.state_location})."
    return text


def refusal_line(report: ImportReport) -> str | None:
    """Why the import fails, when a dataset was refused."""
    refused = report.refused
    if not refused:
        return None
    plural = refused != 1
    return (
        f"Error: {refused} dataset{'s were' if plural else ' was'} refused (see above); "
        f"nothing was written for {'them' if plural else 'it'}."
    )
