"""``import``: Soda Cloud's contracts written into the contracts folder, byte for byte, and
recorded in the state so that the next plan shows no change for them. ``import --drifted``:
the same for the files of drifted datasets, so that a change made in Soda Cloud's UI comes
back into git."""

from __future__ import annotations

import asyncio
from pathlib import Path

from reconciler.cloud.dto import Contract
from reconciler.desired import load_desired
from reconciler.errors import ConfigError
from reconciler.importer import (
    ImportPlan,
    ImportReport,
    ImportResult,
    drifted_files,
    execute_import,
    existing_files,
    plan_drifted,
    plan_import,
    record_imported,
)
from reconciler.observed import contracts_by_dataset
from reconciler.state import StateManager
from reconciler.workflow.session import Session


def import_contracts(
    session: Session, globs: tuple[str, ...], *, force: bool, lock_timeout: float
) -> ImportReport:
    """``reconciler import [GLOB]...``, under the state lock."""
    root = session.contracts
    if root.exists() and not root.is_dir():
        raise ConfigError(
            f"{root} is not a folder", hint="Pass the contracts folder with --dir DIR."
        )
    store = session.state_store()
    with session.lock(store, "import", lock_timeout):
        state = store.load()
        contracts = asyncio.run(_listed(session))
        root.mkdir(parents=True, exist_ok=True)
        plan = plan_import(
            contracts,
            existing_files(load_desired(root)),
            set(state.datasets),
            globs=globs,
            force=force,
        )
        results = _carried_out(store, root, plan)
    return ImportReport(
        folder=root,
        results=tuple(results),
        unmatched_globs=plan.unmatched_globs,
        nothing_chosen=not plan.items and not globs,
        state_location=store.location,
    )


def import_drifted(
    session: Session, globs: tuple[str, ...], *, lock_timeout: float
) -> ImportReport:
    """``reconciler import --drifted [GLOB]...``, under the state lock: Soda Cloud's text
    written into the file of every dataset the audit calls drifted (a file with changes
    never applied is refused), and recorded."""
    desired = session.read_folder()
    store = session.state_store()
    with session.lock(store, "import", lock_timeout):
        state = store.load()
        plan = plan_drifted(
            drifted_files(desired, asyncio.run(_listed(session)), state, globs=globs)
        )
        results = _carried_out(store, session.contracts, plan)
    return ImportReport(
        folder=session.contracts,
        results=tuple(results),
        unmatched_globs=(),
        nothing_chosen=not plan.items,
        state_location=store.location,
        drifted=True,
    )


def _carried_out(store: StateManager, root: Path, plan: ImportPlan) -> list[ImportResult]:
    """The plan's files written one by one into ``root``; whatever was written is recorded,
    even if the run stops. Called under the store's lock."""
    results: list[ImportResult] = []
    try:
        results.extend(execute_import(root, plan, now=store.clock.now()))
    finally:
        if any(r.record is not None for r in results):
            store.save(record_imported(store.load(), results))
    return results


async def _listed(session: Session) -> dict[str, Contract]:
    async with session.connect() as client:
        return await contracts_by_dataset(client)
