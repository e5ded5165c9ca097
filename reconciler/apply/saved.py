"""Saved plans: refuse one unless it is exactly what the planner makes of its basis.

``apply plan.json`` applies a plan that was reviewed (read by :mod:`reconciler.plan.file`),
so before anything changes it checks:

* the file: its digest matches its content, or it was edited by hand;
* each entry against the plan's own basis (``files_seen``, ``remote_seen``);
* the basis against today: the folder, Soda Cloud and the state (:func:`moved_since`);
  anything moved makes the plan stale;
* each entry against what the planner decides from that basis today (:func:`replanned`):
  with the basis unchanged, a plan the reconciler wrote is reproduced entry for entry, so an
  entry that is not (a forged action, a renamed dataset, a verify switched on) is refused,
  even when its forger recomputed the digest. The entries' data checks (``plan
  --check-data``) are observations, not decisions: they are not replanned, and apply does
  not run them again.

Every mismatching entry is named; nothing is applied.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from reconciler.cloud.dto import Contract
from reconciler.contract.names import shown
from reconciler.desired import DesiredState
from reconciler.errors import PlanError, StalePlan
from reconciler.observed import ObservedState
from reconciler.plan.file import EDITED, REPLAN_HINT, SavedPlan
from reconciler.plan.globs import DatasetFilter
from reconciler.plan.model import DatasetPlan, Plan, StateBasis
from reconciler.plan.planner import PlanContext, make_plan
from reconciler.state import StateFile

SHOWN = 20
# The fields of an entry, in the order a reader checks them; the first four are short values.
# Not ``data_check``: what Soda's engine saw on the data when the plan was made is an
# observation the planner was handed, not something it decides from the plan's basis (the
# data moves, and apply never runs the data checks again). The digest still covers it.
COMPARED = (
    "action",
    "verify",
    "change_class",
    "resume_scan_id",
    "check_paths",
    "file",
    "remote",
    "changes",
    "drift",
    "notes",
    "diff",
)
SHORT = frozenset(COMPARED[:4])


def check_saved_plan(
    saved: SavedPlan, desired: DesiredState, observed: ObservedState, state: StateFile
) -> None:
    """Raise unless ``saved`` is exactly what the planner makes of its basis, and that basis
    still holds: :class:`StalePlan` when the basis moved, else :class:`PlanError`."""
    plan = saved.plan
    edits = [EDITED] if saved.edited else []
    edits += [f"{shown(name)}: {why}" for name, why in entries_off_basis(plan)]
    moved = moved_since(plan, desired, observed.contracts, state)
    if moved:
        raise StalePlan(
            _listing("the saved plan is stale; nothing was applied", [*edits, *moved]),
            hint="Make a fresh plan (`reconciler plan --out FILE`), review it, and apply that.",
        )
    named = {name for name, _ in entries_off_basis(plan)}
    unplanned = [
        f"{shown(name)}: {why}"
        for name, why in entries_not_planned(
            plan, replanned(plan, desired, observed, state), desired
        )
        if name not in named
    ]
    problems = [*edits, *unplanned]
    if problems:
        raise PlanError(
            _listing(
                f"the saved plan {saved.path} is not what the planner makes of its basis; "
                "nothing was applied",
                problems,
            ),
            hint=REPLAN_HINT,
        )


def entries_off_basis(plan: Plan) -> Iterator[tuple[str, str]]:
    """Entries that contradict what the plan says it was based on."""
    counted: dict[str, int] = {}
    for entry in plan.datasets:
        counted[entry.dataset] = counted.get(entry.dataset, 0) + 1
    for name, times in sorted(counted.items()):
        if times > 1:
            yield name, f"the plan has {times} entries for it"
    for entry in plan.datasets:
        seen = plan.files_seen.get(entry.dataset)
        if seen is None:
            yield entry.dataset, "an entry for a dataset whose file the plan never saw"
        elif entry.file is None or entry.file.raw_sha256 != seen:
            yield entry.dataset, "its entry's file is not the file the plan saw"
        elif entry.remote != plan.remote_seen.get(entry.dataset):
            yield entry.dataset, "its entry's contract in Soda Cloud is not the one the plan saw"
    entered = set(counted)
    for name in sorted(set(plan.files_seen) - entered):
        yield name, "the plan saw its file but has no entry for it"


def replanned(plan: Plan, desired: DesiredState, observed: ObservedState, state: StateFile) -> Plan:
    """What the planner makes today of what ``plan`` was made from, with its settings."""
    context = PlanContext(
        created=plan.created,
        reconciler_version=plan.reconciler_version,
        contracts_dir=plan.contracts_dir,
        cloud_host=plan.cloud_host,
        state_path=plan.state.path,
    )
    return make_plan(
        _shown_as_planned(desired, plan), observed, state, settings=plan.settings, context=context
    )


def _shown_as_planned(desired: DesiredState, plan: Plan) -> DesiredState:
    """``desired`` with each file's path shown as the plan shows it, when it is the same file
    (the folder may have been named otherwise: ``contracts`` then, ``./contracts`` now)."""
    planned = {e.dataset: e.file.path for e in plan.datasets if e.file is not None}
    contracts = {}
    for name, file in desired.contracts.items():
        path = planned.get(name)
        relative = file.path.relative_to(desired.root).as_posix()
        if path is not None and path != file.display_path and _ends_with(path, relative):
            file = dataclasses.replace(file, display_path=path)
        contracts[name] = file
    return dataclasses.replace(desired, contracts=contracts)


def _ends_with(path: str, relative: str) -> bool:
    return path == relative or path.endswith("/" + relative)


def entries_not_planned(
    plan: Plan, fresh: Plan, desired: DesiredState
) -> Iterator[tuple[str, str]]:
    """Each entry of ``plan`` that differs from the planner's (``fresh``), and why."""
    planned = {e.dataset: e for e in fresh.datasets}
    saved = {e.dataset: e for e in plan.datasets}
    for name in sorted(set(planned) | set(saved)):
        entry, wanted = saved.get(name), planned.get(name)
        if wanted is None:
            assert entry is not None
            where = (
                "no contract file in the folder describes it"
                if name not in desired.contracts
                else "it is outside the plan's --target/--exclude"
            )
            yield name, f"the plan has an entry ({entry.action.value}) for it, but {where}"
        elif entry is None:
            yield name, f"the planner plans {wanted.action.value} for it; the plan has no entry"
        else:
            yield from ((name, why) for why in _differences(entry, wanted))


def _differences(entry: DatasetPlan, wanted: DatasetPlan) -> Iterator[str]:
    for field in COMPARED:
        mine, theirs = getattr(entry, field), getattr(wanted, field)
        if mine == theirs:
            continue
        if field in SHORT:
            yield (
                f"{field} is {_value(mine)} in the plan; the planner decides {_value(theirs)} "
                "from the plan's basis"
            )
        else:
            yield f"its {field} is not what the planner makes from the plan's basis"


def _value(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    return f"'{shown(str(getattr(value, 'value', value)))}'"


def _listing(head: str, lines: Sequence[str]) -> str:
    more = f"\n  ... and {len(lines) - SHOWN} more" if len(lines) > SHOWN else ""
    return head + ":\n  " + "\n  ".join(lines[:SHOWN]) + more


def moved_since(
    plan: Plan, desired: DesiredState, contracts: Mapping[str, Contract], state: StateFile
) -> list[str]:
    """Everything the plan was based on that is different now; empty when it still holds."""
    moved: list[str] = []
    current = StateBasis.of(state, plan.state.path)
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
            moved.append(f"{shown(name)}: its contract file was removed (or made invalid)")
        elif seen is None:
            moved.append(f"{shown(name)}: a new contract file, {shown(files[name].display_path)}")
        elif files[name].raw_sha256 != seen:
            moved.append(f"{shown(name)}: {shown(files[name].display_path)} changed")
    # Contracts with no file, then or now, are only reported: apply never acts on them.
    with_files = set(files) | set(plan.files_seen)
    remotes = {name: c for name, c in contracts.items() if wanted(name) and name in with_files}
    for name in sorted(set(remotes) | (set(plan.remote_seen) & with_files)):
        before = plan.remote_seen.get(name)
        now = remotes.get(name)
        if now is None:
            moved.append(f"{shown(name)}: its contract is no longer in Soda Cloud")
        elif before is None:
            moved.append(f"{shown(name)}: a contract appeared in Soda Cloud")
        elif now.id != before.contract_id:
            moved.append(f"{shown(name)}: its contract in Soda Cloud was replaced (id {now.id})")
        elif now.last_updated != before.last_updated:
            moved.append(
                f"{shown(name)}: changed in Soda Cloud (lastUpdated {now.last_updated}; "
                f"the plan saw {before.last_updated})"
            )
    return moved
