"""The reconciler's own words for the codes its values carry: changes, drift, notes, audit
reasons, what apply did. One place, so every renderer says the same thing the same way.

Each function returns plain text; the renderer escapes it for its output (a terminal,
markdown, HTML) as it escapes everything else, with the values it quotes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.apply.options import Activity
from reconciler.apply.result import (
    DatasetOutcome,
    Done,
    DoneStep,
    Notice,
    Recovery,
    Stop,
    VerificationOutcome,
)
from reconciler.audit.model import DatasetAudit, NotCompared, OpenIncident, Reason
from reconciler.contract.values import show
from reconciler.importer import ImportNote
from reconciler.importer import NoteCode as ImportNoteCode
from reconciler.observed import NotRead
from reconciler.plan.checks import (
    Bounds,
    CheckedCheck,
    CheckOutcome,
    DataCheck,
    NotChecked,
    NotCheckedCause,
    Since,
)
from reconciler.plan.model import (
    DatasetPlan,
    Drift,
    DriftCause,
    NewerVersion,
    Note,
    NoteCode,
    ReadingWarning,
    WarningCode,
)
from reconciler.plan.vocabulary import Change, ChangeKind, Part, Subject

# --- changes ------------------------------------------------------------------------------

_PLANNER_WORDS = {
    ChangeKind.ODD_ENTRIES: "entries that are not well-formed columns or checks changed",
    ChangeKind.CONTRACT_CHANGED: "the contract changed",
    ChangeKind.FORMAT_ONLY: "formatting only (comments, whitespace or key order)",
    ChangeKind.UNREADABLE_REMOTE: "Soda Cloud's version is not a readable contract; git's "
    "replaces it",
    ChangeKind.ORDER_ONLY: "order of columns or checks only",
    ChangeKind.STUB_SKELETON: "stub file: Soda Cloud generates a skeleton from the dataset's "
    "columns, written back into the file",
    ChangeKind.STUB_WRITE_BACK: "stub file: Soda Cloud already has a contract for this "
    "dataset; it is written into the file (nothing changes in Soda Cloud)",
}


def change_words(change: Change) -> str:
    """``column id data_type bigint -> integer``: one change, in a line."""
    kind, subject = change.kind, subject_words(change.subject)
    if kind in _PLANNER_WORDS:
        return _PLANNER_WORDS[kind]
    if kind is ChangeKind.SETTING:
        return f"{subject} {_setting(change.key or '', change.old, change.new)}"
    if kind is ChangeKind.THRESHOLD:
        old, new = comparisons_words(change.old), comparisons_words(change.new)
        if change.units is not None:
            old, new = f"{old} {change.units[0]}", f"{new} {change.units[1]}"
        return f"{subject} {change.key} {old} -> {new}"
    if kind is ChangeKind.ENTRIES:
        return f"{subject} {change.key} changed ({', '.join(change.names) or 'entries'})"
    if kind is ChangeKind.RENAMED:
        return f"{subject} renamed to {show(change.new)}"
    if kind is ChangeKind.ORDER:
        return f"column order {', '.join(change.old or ())} -> {', '.join(change.new or ())}"
    if kind is ChangeKind.NEW_CONTRACT:
        columns, checks = change.counts or (0, 0)
        return f"new contract: {_counted(columns, 'column')}, {_counted(checks, 'check')}"
    return f"{subject} {kind.value}"  # added, removed, declared


def subject_words(subject: Subject) -> str:
    """``column id: check missing (q)``, ``column id``, ``variable X``, ``dataset``..."""
    if subject.part is Part.CHECK:
        qualifier = f" ({subject.qualifier})" if subject.qualifier is not None else ""
        name = f"check {subject.check}{qualifier}"
        return f"column {subject.column}: {name}" if subject.column is not None else name
    if subject.part is Part.COLUMN:
        return f"column {subject.column}"
    if subject.part is Part.VARIABLE:
        return f"variable {subject.variable}"
    return str(subject.part.value)


def _setting(key: str, old: Any, new: Any) -> str:
    """``key old -> new``, or set / removed / changed when that reads better."""
    if old is None:
        return f"{key} set" if _is_long(new) else f"{key} set to {show(new)}"
    if new is None:
        return f"{key} removed" if _is_long(old) else f"{key} removed (was {show(old)})"
    if _is_long(old) or _is_long(new):
        return f"{key} changed"
    return f"{key} {show(old)} -> {show(new)}"


def _is_long(value: Any) -> bool:
    text = show(value)
    return "\n" in text or len(text) > 60


def comparisons_words(comparisons: Mapping[str, Any] | None) -> str:
    """``must_be_between [0, 10)``, ``must_be_less_than 25``; ``none`` when empty."""
    if not comparisons:
        return "none"
    parts = []
    for key, raw in comparisons.items():
        if key in ("must_be_between", "must_be_not_between") and isinstance(raw, dict):
            low_key = "greater_than_or_equal" if "greater_than_or_equal" in raw else "greater_than"
            high_key = "less_than_or_equal" if "less_than_or_equal" in raw else "less_than"
            if key == "must_be_between":
                left = "[" if low_key.endswith("_or_equal") else "("
                right = "]" if high_key.endswith("_or_equal") else ")"
                text = f"{left}{show(raw.get(low_key))}, {show(raw.get(high_key))}{right}"
            else:
                text = f"{high_key} {show(raw.get(high_key))} or {low_key} {show(raw.get(low_key))}"
            parts.append(f"{key} {text}")
        else:
            parts.append(f"{key} {show(raw)}")
    return ", ".join(parts)


def _counted(number: int, word: str) -> str:
    return f"{number} {word}" + ("" if number == 1 else "s")


# --- the plan -----------------------------------------------------------------------------

_DRIFT = {
    DriftCause.CHANGED: "changed in Soda Cloud since the last apply",
    DriftCause.REPLACED: "the contract was replaced in Soda Cloud (a new contract id) since "
    "the last apply",
    DriftCause.GONE: "the contract recorded in the state is no longer in Soda Cloud; it is "
    "made again",
}


def drift_words(drift: Drift) -> str:
    """Why an entry drifted, with who changed it and when, if Soda Cloud said."""
    reason = _DRIFT[drift.cause]
    versions = drift.newer_versions
    if not versions:
        return reason
    who = sorted({v.creator_id for v in versions if v.creator_id})
    latest = versions[0].created
    by = f" by {', '.join(who)}" if who else ""
    when = f", latest at {latest}" if latest else ""
    return f"{reason} ({_counted(len(versions), 'version')}{by}{when})"


_NOTES = {
    NoteCode.UNRECORDED: "the state does not know this contract yet: publishing replaces what "
    "Soda Cloud has",
    NoteCode.CHANGED_BACK: "changed in Soda Cloud since the last apply, to what git has",
    NoteCode.RESUMING_VERIFICATION: "an earlier apply stopped before verifying: verifying now",
}


def note_words(note: Note) -> str:
    if note.code is NoteCode.RESUMING_SCAN:
        return f"an earlier apply stopped while verifying: following scan {note.scan_id}"
    return _NOTES[note.code]


def warning_words(warning: ReadingWarning) -> str:
    if warning.code is WarningCode.NAMELESS_CONTRACT:
        return (
            f"Soda Cloud listed contract {warning.contract_id} without a dataset name; it was "
            "ignored"
        )
    return f"{warning.file}:{warning.line}:{warning.col}: {warning.message}"


# --- data checks (plan --check-data) -------------------------------------------------------

_OUTCOME = {
    CheckOutcome.PASS: "passes",
    CheckOutcome.WARN: "would warn",
    CheckOutcome.FAIL: "would fail",
    CheckOutcome.ERROR: "could not be evaluated",
    CheckOutcome.NOT_EVALUATED: "not evaluated",
}
_OUTCOME_COUNTED = {
    CheckOutcome.PASS: "pass",
    CheckOutcome.WARN: "would warn",
    CheckOutcome.FAIL: "would fail",
    CheckOutcome.ERROR: "could not be evaluated",
    CheckOutcome.NOT_EVALUATED: "not evaluated",
}
_SINCE = {
    Since.NEW: "new with this change",
    Since.ALREADY: "already so under the contract Soda Cloud has",
    Since.UNKNOWN: "not compared: the contract Soda Cloud has could not be run",
}
_COMPARISONS = (
    ("must_be_greater_than", ">"),
    ("must_be_greater_than_or_equal", ">="),
    ("must_be_less_than", "<"),
    ("must_be_less_than_or_equal", "<="),
)


def data_check_line(check: DataCheck) -> str:
    """``today's data in shop: 3 checks, 2 pass, 1 would fail``, or why it was not checked."""
    if check.not_checked is not None:
        return not_checked_words(check.not_checked)
    counts = [
        f"{check.count(outcome)} {words}"
        for outcome, words in _OUTCOME_COUNTED.items()
        if check.count(outcome)
    ]
    head = f"today's data in {check.data_source}: {_counted(len(check.checks), 'check')}"
    return ", ".join([head, *counts])


def not_checked_words(why: NotChecked) -> str:
    if why.cause is NotCheckedCause.NO_DATA_SOURCE:
        return (
            f"not checked: `data_sources:` in reconciler.yml names no data source "
            f"'{why.data_source}'"
        )
    return f"not checked: {why.reason or why.cause.value}"


def check_outcome_words(check: CheckedCheck) -> str:
    """``would fail: column email: missing_count 10 (10.0%), must be 0 (new with this
    change)``: a check that does not pass, what the engine measured and what it had to be."""
    label = check_label(check)
    if check.outcome in (CheckOutcome.ERROR, CheckOutcome.NOT_EVALUATED) or check.value is None:
        text = f"{_OUTCOME[check.outcome]}: {label or check.path}"
    else:
        measured = ": ".join(part for part in (label, measured_words(check)) if part)
        bounds = bounds_words(
            check.warn_threshold
            if check.outcome is CheckOutcome.WARN and check.warn_threshold is not None
            else check.threshold
        )
        text = f"{_OUTCOME[check.outcome]}: {measured}" + (f", {bounds}" if bounds else "")
    return text + (f" ({_SINCE[check.since]})" if check.since is not None else "")


def engine_error_words(check: DataCheck, error: str) -> str:
    since = f" ({_SINCE[check.errors_since]})" if check.errors_since is not None else ""
    return f"the engine's error: {error}{since}"


def check_label(check: CheckedCheck) -> str:
    """``column email``, ``column email: missing (share)``, ``aggregate``; empty where the
    measured value names the check (``row_count``)."""
    parts = [f"column {check.column}"] if check.column is not None else []
    if check.qualifier is not None:
        parts.append(f"{check.type} ({check.qualifier})")
    elif not (check.metric or "").startswith(check.type):
        parts.append(check.type)
    return ": ".join(parts)


def measured_words(check: CheckedCheck) -> str:
    """``missing_count 10 (10.0%)``, ``missing_percent 10.0% (10 rows)``, ``avg 1.5``."""
    metric = check.metric or "value"
    value = _number(check.value)
    stem, _, unit = metric.rpartition("_")
    if unit == "count" and isinstance(check.diagnostics.get(f"{stem}_percent"), (int, float)):
        return f"{metric} {value} ({_number(check.diagnostics[f'{stem}_percent'])}%)"
    if unit == "percent":
        count = check.diagnostics.get(f"{stem}_count")
        rows = f" ({_counted(int(count), 'row')})" if isinstance(count, (int, float)) else ""
        return f"{metric} {value}%{rows}"
    return f"{metric} {value}"


def bounds_words(bounds: Bounds | None) -> str:
    """``must be 0``, ``must be > 2 and < 5``, ``must not be 3``; empty without bounds."""
    if bounds is None:
        return ""
    parts = []
    if bounds.must_be is not None:
        parts.append(f"must be {_number(bounds.must_be)}")
    if bounds.must_not_be is not None:
        parts.append(f"must not be {_number(bounds.must_not_be)}")
    compared = [
        f"{sign} {_number(getattr(bounds, key))}"
        for key, sign in _COMPARISONS
        if getattr(bounds, key) is not None
    ]
    if compared:
        parts.append("must be " + " and ".join(compared))
    return " and ".join(parts)


def _number(value: float | int | str | None) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, int):
        return str(value)
    # Two decimals at most, one at least: 10.0, 1.5, 8026.56.
    text = f"{value:.2f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


# --- the audit ----------------------------------------------------------------------------

_DETAILS = {
    Reason.FILE_DELETED: "the state records it but its file was deleted",
    Reason.FILE_AND_CONTRACT_GONE: "the state records it but its file was deleted; it is no "
    "longer in Soda Cloud either",
    Reason.NO_FILE: "a contract in Soda Cloud with no file in git",
    Reason.STUB_TO_GENERATE: "a stub file: Soda Cloud has no contract yet",
    Reason.NEW_IN_GIT: "a new contract in git, not in Soda Cloud yet",
    Reason.STUB_WITH_CONTRACT: "a stub file, but Soda Cloud already has a contract for this "
    "dataset",
    Reason.SAME_TEXT: "Soda Cloud has what git has",
    Reason.NO_BASELINE: "git differs from Soda Cloud and the state has no record, so it is not "
    "known which side moved; read as git being ahead",
    Reason.GIT_AHEAD: "changed in git since the last apply; Soda Cloud has not moved",
}
_DRIFT_REMEDY = (
    "keep the change: copy it into git (the diff below shows what apply would undo); "
    "discard it: `reconciler apply` publishes git's version over it"
)
_REMEDIES = {
    Reason.CONTRACT_GONE: "`reconciler apply` creates it again from git",
    Reason.NEW_IN_GIT: "`reconciler apply` creates it",
    Reason.STUB_TO_GENERATE: "`reconciler apply` generates a skeleton and writes it into the file",
    Reason.SAME_TEXT: "nothing to do",
    Reason.REPLACED: _DRIFT_REMEDY,
    Reason.CHANGED_IN_CLOUD: _DRIFT_REMEDY,
    Reason.NO_BASELINE: "`reconciler apply` publishes git's version (check the diff: it "
    "replaces Soda Cloud's)",
    Reason.GIT_AHEAD: "`reconciler apply` publishes git's version",
}


def audit_detail(entry: DatasetAudit) -> str:
    """What differs, in one sentence (quoting the dataset's contract ids where it helps)."""
    if entry.reason is Reason.CONTRACT_GONE:
        return (
            f"the contract recorded in the state ({entry.contract_id}) is no longer in Soda Cloud"
        )
    if entry.reason is Reason.REPLACED:
        return (
            f"the contract was replaced in Soda Cloud outside git (contract "
            f"{entry.recorded_contract_id} was applied; Soda Cloud now has {entry.contract_id})"
        )
    if entry.reason is Reason.CHANGED_IN_CLOUD:
        return changed_in_cloud(entry.newer_versions, entry.last_updated)
    return _DETAILS[entry.reason]


def audit_remedy(entry: DatasetAudit) -> str:
    """What a person can do about it: a command (in backticks) and what it does."""
    if entry.reason in (Reason.FILE_DELETED, Reason.FILE_AND_CONTRACT_GONE):
        return (
            f"`reconciler state forget {entry.dataset}` stops tracking it (contracts are never "
            "deleted in Soda Cloud)"
        )
    if entry.reason is Reason.NO_FILE:
        return f"`reconciler import {entry.dataset}` writes it into the contracts folder"
    if entry.reason is Reason.STUB_WITH_CONTRACT:
        return f"`reconciler apply` writes Soda Cloud's contract into {entry.file}"
    return _REMEDIES[entry.reason]


def changed_in_cloud(versions: Sequence[NewerVersion], last_updated: str | None) -> str:
    """ "changed in Soda Cloud outside git: 2 versions by alice, bob; latest at ..."."""
    if not versions:
        when = f" (lastUpdated {last_updated})" if last_updated else ""
        return f"changed in Soda Cloud outside git since the last apply{when}"
    who = sorted({v.creator_id for v in versions if v.creator_id})
    by = f" by {', '.join(who)}" if who else ""
    latest = versions[0].created or last_updated
    at = f", latest at {latest}" if latest else ""
    return (
        "changed in Soda Cloud outside git since the last apply: "
        f"{_counted(len(versions), 'version')}{by}{at}"
    )


_NOT_READ = {
    NotRead.NOT_REQUESTED: "not read (--no-reporting)",
    NotRead.NOT_CONFIGURED: "the Reporting API is not configured",
    NotRead.NO_DATA_YET: "the Reporting API has no data yet (it answered 202; its data is "
    "refreshed in daily batches)",
}


def not_compared_words(part: NotCompared) -> str:
    if part.cause is NotRead.FAILED:
        return f"the Reporting API could not be read: {part.error}"
    return _NOT_READ[part.cause]


def incident_title(incident: OpenIncident) -> str:
    return incident.title or "(untitled incident)"


# --- apply --------------------------------------------------------------------------------

_DONE = {
    DoneStep.CREATED: "created",
    DoneStep.FOUND: "found its contract already in Soda Cloud",
    DoneStep.PUBLISHED: "published",
    DoneStep.DRIFT_OVERWRITTEN: "overwrote the change made in Soda Cloud outside git",
    DoneStep.ADOPTED: "adopted (recorded in the state)",
    DoneStep.SKELETON_WRITTEN: "generated a skeleton and wrote it into {path}",
    DoneStep.CONTRACT_WRITTEN: "wrote Soda Cloud's contract into {path}",
    DoneStep.GENERATED_WRITTEN: "generated a contract and wrote it into {path}",
    DoneStep.GENERATION_SCAN: "generation scan {state}",
    DoneStep.VERIFIED: "verified: {state}",
}


def done_words(done: Done) -> str:
    return _DONE[done.step].format(path=done.path, state=done.state)


_STOPS = {
    Stop.FAIL_FAST: "stopped by --fail-fast",
    Stop.INTERRUPTED: "interrupted",
    Stop.STATE_LOST: "stopped: another run took the state, so nothing more could be recorded",
}


_RECOVERIES = {
    Recovery.VERIFY_REPEATED: "verification repeated after a lost answer",
    Recovery.PUBLISH_LANDED: "the publish's answer was lost; the version had landed",
    Recovery.CONTRACT_FOUND: "Soda Cloud had made the contract already: an earlier request "
    "for it had lost its answer",
}


def recovery_words(recovery: Recovery) -> str:
    return _RECOVERIES[recovery]


_NOTICES = {
    Notice.CHECK_PATHS_UNAVAILABLE: "Soda Cloud does not take checkPaths for this organisation: "
    "the verifications planned for the changed checks only (--verify changed-checks) ran "
    "the whole contract.",
}


def notice_words(notice: Notice) -> str:
    return _NOTICES[notice]


def verify_only_words(count: int) -> str:
    """Before the check paths of a verification limited to them (the plan)."""
    return f"verifies {_counted(count, 'check')} only (the changed ones):"


def checked_words(paths: Sequence[str]) -> str:
    """The checks a verification was limited to."""
    return f"verified {_counted(len(paths), 'check')} only: {', '.join(paths)}"


def outcome_error(outcome: DatasetOutcome) -> str | None:
    """What stopped a dataset: its error, or why it was stopped unfinished."""
    if outcome.stopped is not None:
        return _STOPS[outcome.stopped]
    return outcome.error


def scan_error_lines(verification: VerificationOutcome) -> tuple[str, ...]:
    """The failed scan's error lines (or why its logs could not be read)."""
    if verification.logs_error is not None:
        return (f"(the scan logs could not be read: {verification.logs_error})",)
    return verification.error_lines


_ACTIVITIES = {
    Activity.CREATING: "creating",
    Activity.PUBLISHING: "publishing",
    Activity.GENERATING_SKELETON: "generating a skeleton",
    Activity.FOLLOWING_GENERATION_SCAN: "following its generation scan",
    Activity.FOLLOWING_EARLIER_SCAN: "following verification scan {scan_id}, started by an "
    "earlier apply",
    Activity.VERIFYING: "verifying",
}


def activity_words(activity: Activity, scan_id: str | None = None) -> str:
    return _ACTIVITIES[activity].format(scan_id=scan_id)


# --- import -------------------------------------------------------------------------------

_IMPORT_NOTES = {
    ImportNoteCode.NO_CONTENTS: "Soda Cloud returned no contents for this contract",
    ImportNoteCode.NOT_UTF8: "Soda Cloud's contents cannot be written as UTF-8",
    ImportNoteCode.AT_ITS_FILE: "the dataset's file is at this path",
}


def import_note_words(note: ImportNote, dataset: str) -> str:
    """One note of an imported (or skipped, or refused) dataset."""
    code = note.code
    if code in _IMPORT_NOTES:
        return _IMPORT_NOTES[code]
    if code is ImportNoteCode.SEVERAL_FILES:
        return (
            f"{len(note.paths)} files already describe it ({', '.join(note.paths)}); keep one, "
            "then import again"
        )
    if code is ImportNoteCode.EXISTS_ELSEWHERE:
        return (
            f"a file for it exists at {note.path}; `reconciler import --force {dataset}` "
            "writes Soda Cloud's contract into that file"
        )
    if code is ImportNoteCode.OCCUPIED:
        return f"{note.path} already describes dataset {note.other}; move that file first"
    if code is ImportNoteCode.EXISTS:
        return (
            f"the file exists; `reconciler import --force {dataset}` overwrites it with Soda "
            "Cloud's contract"
        )
    if code is ImportNoteCode.LOOKALIKE:
        return f"warning: {note.detail}"
    if code is ImportNoteCode.ENVIRONMENT_VALUE:
        return (
            f"it holds {note.other!r}, the environment's value of ${{var.{note.detail}}}: where "
            f"that value came from the variable, write ${{var.{note.detail}}} back in the file"
        )
    if code is ImportNoteCode.UNAPPLIED_CHANGES:
        return (
            "the file has changes that were never applied (it differs from the text last "
            "applied): Soda Cloud's newer text was not written over them; merge the two by "
            "hand, or apply the file to overwrite Soda Cloud's change"
        )
    if code is ImportNoteCode.INVALID:
        return (
            "written as Soda Cloud has it, but it does not validate here "
            f"({_counted(note.count, 'error')}; first: line {note.line}: {note.detail}); "
            "`reconciler validate` shows them all"
        )
    return note.detail or ""  # NAME_REFUSED, WRITE_REFUSED: the rule's or the system's words


def import_notes_words(notes: Sequence[ImportNote], dataset: str) -> str:
    return "; ".join(import_note_words(note, dataset) for note in notes)


def drift_refusal(entries: Sequence[DatasetPlan], *, saved: bool) -> tuple[str, str]:
    """Why ``apply --fail-on drift`` refused (message, hint): the changes made in Soda Cloud
    it would have overwritten."""
    count = len(entries)
    what = (
        "the saved plan did not show"
        if saved
        else "this apply would overwrite (a fresh plan: nobody reviewed them)"
    )
    lines = [
        f"{count} contract{'s' if count != 1 else ''} changed in Soda Cloud outside git, which "
        f"{what}; nothing was applied (--fail-on drift):"
    ]
    lines += [
        f"  {entry.dataset}: {drift_words(entry.drift)}"
        for entry in entries[:DRIFT_SHOWN]
        if entry.drift is not None
    ]
    if count > DRIFT_SHOWN:
        lines.append(f"  ... and {count - DRIFT_SHOWN} more")
    hint = (
        "To keep the change made in Soda Cloud, bring it into git: `reconciler import --force "
        "DATASET`, then review and merge it. To overwrite it deliberately, make a plan "
        "(`reconciler plan --out plan.json`), review the drift it shows, and apply that plan."
    )
    return "\n".join(lines), hint


DRIFT_SHOWN = 20
