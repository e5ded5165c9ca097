"""``reconciler state ...`` as text (and ``state show`` as JSON): pure functions of a state,
its lock, and what the repairs did."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from reconciler.errors import StateCorrupt
from reconciler.render.escape import json_text, printable
from reconciler.state import DatasetRecord, LockInfo, StateFile
from reconciler.state.lock import format_time

if TYPE_CHECKING:  # values a verb returns; rendering needs only their fields
    from reconciler.state.location import StateLocation
    from reconciler.workflow.state import Forgotten, Migrated, Rebuilt


def render_state_text(
    state: StateFile,
    *,
    path: str,
    exists: bool,
    lock: LockInfo | str | None,
    lock_stale: bool = False,
    now: datetime,
) -> str:
    """A summary and one line per dataset.

    ``lock`` is its holder, a problem reading it, or ``None``; ``lock_stale`` says whether the
    holder looked dead when the caller checked (checking is an effect, so it is not done here).
    """
    lines = [f"State file  {path}"]
    if not exists:
        lines.append("            (no file yet: nothing has been applied or imported)")
    else:
        lines += [
            f"Lineage     {state.lineage}",
            f"Serial      {state.serial}",
            f"Project     {_project_text(state)}",
        ]
    lines.append(f"Lock        {printable(_lock_text(lock, lock_stale, now))}")
    lines.append(f"Datasets    {len(state.datasets)}")
    if state.datasets:
        rows = [("DATASET", "CONTRACT", "VERSION", "LAST VERIFICATION")]
        # Names, ids and states come from Soda Cloud and the state file: shown escaped.
        rows += [_row(printable(name), record) for name, record in sorted(state.datasets.items())]
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        lines.append("")
        for row in rows:
            cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
            lines.append("  ".join([*cells, row[3]]).rstrip())
    return "\n".join(lines) + "\n"


def render_state_json(
    state: StateFile,
    *,
    path: str,
    exists: bool,
    lock: LockInfo | str | None,
    lock_stale: bool = False,
    where: StateLocation | None = None,
    environment: str | None = None,
) -> str:
    """The state as saved, plus where it lives (``backend``: file, postgres or s3) and its
    lock; keys sorted. ``environment`` only for a project with environments."""
    document: dict[str, Any] = {
        "path": path,
        "backend": _backend(where),
        "exists": exists,
        "format_version": state.format_version,
        "lineage": state.lineage if exists else None,
        "serial": state.serial,
        "project": state.project.model_dump(mode="json") if state.project else None,
        "lock": _lock_json(lock, lock_stale),
        "datasets": {
            name: record.model_dump(mode="json") for name, record in state.datasets.items()
        },
    }
    if environment is not None:
        document["environment"] = environment
    return json_text(json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False)) + "\n"


def _backend(where: StateLocation | None) -> str:
    from reconciler.state.location import PostgresUrl, S3Url

    if isinstance(where, PostgresUrl):
        return "postgres"
    return "s3" if isinstance(where, S3Url) else "file"


def _project_text(state: StateFile) -> str:
    if state.project is None:
        return "not recorded yet (the next command that saves this state records its own)"
    return state.project.describe()


def _row(name: str, record: DatasetRecord) -> tuple[str, str, str, str]:
    verification = record.last_verification
    if verification is None:
        verified = "none"
    else:
        verified = verification.state
        if verification.time:
            verified += f" at {verification.time}"
    return (
        name,
        printable(record.contract_id),
        printable(record.version_id or "-"),
        printable(verified),
    )


def _lock_text(lock: LockInfo | str | None, stale: bool, now: datetime) -> str:
    if lock is None:
        return "not locked"
    if isinstance(lock, str):
        return lock
    note = " (stale: its holder is gone; the next run takes it over)" if stale else ""
    lease = f", lease until {format_time(lock.expires)}" if lock.expires is not None else ""
    return f"{lock.id}, held by {lock.describe(now)}{lease}{note}"


def _lock_json(lock: LockInfo | str | None, stale: bool) -> dict[str, Any] | None:
    if lock is None:
        return None
    if isinstance(lock, str):
        return {"problem": lock}
    document = lock.model_dump(mode="json", exclude={"expires"} if lock.expires is None else None)
    document["created"] = format_time(lock.created)
    if lock.expires is not None:
        document["expires"] = format_time(lock.expires)
    document["looks_stale"] = stale
    return document


def unlocked_line(removed: LockInfo, location: str, now: datetime) -> str:
    return f"Removed the lock {removed.id} on {location}, held by {removed.describe(now)}."


def forgotten_line(forgotten: Forgotten) -> str:
    return (
        f"Forgot {forgotten.dataset} (contract {forgotten.record.contract_id}) in "
        f"{forgotten.location}; the state is now at serial {forgotten.state.serial}."
    )


def rebuilt_lines(rebuilt: Rebuilt) -> tuple[list[str], list[str]]:
    """What ``state rebuild`` says: (stdout lines, stderr lines)."""
    notes = []
    if rebuilt.replaced is not None:
        what = (
            "an unreadable state"
            if isinstance(rebuilt.replaced, StateCorrupt)
            else "a state that is not this project's"
        )
        notes.append(f"Replacing {what}: {rebuilt.replaced}")
    saved = rebuilt.state
    summary = (
        f"Rebuilt {rebuilt.location}: {len(saved.datasets)} datasets recorded (Soda Cloud "
        f"equals git), {rebuilt.unrecorded} not recorded; serial {saved.serial}. Run "
        "`reconciler plan` next."
    )
    return [summary], notes


def migrated_line(migrated: Migrated) -> str:
    state = migrated.state
    if migrated.already:
        return (
            f"{migrated.target} holds this state already (lineage {state.lineage}, serial "
            f"{state.serial}): nothing copied."
        )
    return (
        f"Copied the state (lineage {state.lineage}, serial {state.serial}, "
        f"{len(state.datasets)} datasets) from {migrated.source} to {migrated.target}. Point "
        "`state:` in reconciler.yml (or --state) at it; the copy it came from is left as it was."
    )
