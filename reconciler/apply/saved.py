"""Saved plans: read one back, and say what moved since it was made."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from pydantic import ValidationError

from reconciler.cloud.dto import Contract
from reconciler.desired import DesiredState
from reconciler.errors import PlanError
from reconciler.plan.model import PLAN_FORMAT_VERSION, Plan
from reconciler.plan.planner import DatasetFilter, state_basis
from reconciler.state import StateFile


def load_saved_plan(path: Path) -> Plan:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise PlanError(
            f"{path}: cannot read the saved plan ({error.strerror or error})",
            hint="Make one with `reconciler plan --out FILE`.",
        ) from None
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError) as error:
        raise PlanError(f"{path}: not a saved plan (not JSON: {error})") from None
    version = document.get("format_version") if isinstance(document, dict) else None
    if version != PLAN_FORMAT_VERSION:
        raise PlanError(
            f"{path}: a saved plan of format_version {version!r}; this reconciler reads {PLAN_FORMAT_VERSION}",
            hint="Make the plan again with this reconciler: `reconciler plan --out FILE`.",
        )
    try:
        return Plan.model_validate(document)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise PlanError(f"{path}: not a valid saved plan ({where}: {first['msg']})") from None


def moved_since(
    plan: Plan, desired: DesiredState, contracts: Mapping[str, Contract], state: StateFile
) -> list[str]:
    """Everything the plan was based on that is different now; empty when it still holds."""
    moved: list[str] = []
    current = state_basis(state, plan.state.path)
    if current.lineage != plan.state.lineage:
        moved.append(
            f"the state file is another one (lineage {current.lineage or 'none: no state file'}; "
            f"the plan saw {plan.state.lineage or 'none: no state file'})"
        )
    elif state.serial != plan.state.serial:
        moved.append(
            f"the state changed since the plan (serial {state.serial}; the plan saw {plan.state.serial}): "
            "another apply ran"
        )
    wanted = DatasetFilter(plan.settings.targets, plan.settings.excludes)
    files = {name: f for name, f in desired.contracts.items() if wanted(name)}
    for name in sorted(set(files) | set(plan.files_seen)):
        seen = plan.files_seen.get(name)
        if name not in files:
            moved.append(f"{name}: its contract file was removed (or made invalid)")
        elif seen is None:
            moved.append(f"{name}: a new contract file, {files[name].display_path}")
        elif files[name].raw_sha256 != seen:
            moved.append(f"{name}: {files[name].display_path} changed")
    # Contracts with no file, then or now, are only reported: apply never acts on them.
    with_files = set(files) | set(plan.files_seen)
    remotes = {name: c for name, c in contracts.items() if wanted(name) and name in with_files}
    for name in sorted(set(remotes) | (set(plan.remote_seen) & with_files)):
        before = plan.remote_seen.get(name)
        now = remotes.get(name)
        if now is None:
            moved.append(f"{name}: its contract is no longer in Soda Cloud")
        elif before is None:
            moved.append(f"{name}: a contract appeared in Soda Cloud")
        elif now.id != before.contract_id:
            moved.append(f"{name}: its contract in Soda Cloud was replaced (id {now.id})")
        elif now.last_updated != before.last_updated:
            moved.append(
                f"{name}: changed in Soda Cloud (lastUpdated {now.last_updated}; the plan saw {before.last_updated})"
            )
    return moved
