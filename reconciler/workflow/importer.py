"""``import``: Soda Cloud's contracts written into the contracts folder, byte for byte, and
recorded in the state so that the next plan shows no change for them."""

from __future__ import annotations

import asyncio

from reconciler.cloud.dto import Contract
from reconciler.desired import load_desired
from reconciler.errors import ConfigError
from reconciler.importer import (
    ImportReport,
    ImportResult,
    execute_import,
    existing_files,
    plan_import,
    record_imported,
)
from reconciler.observed import contracts_by_dataset
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
        results: list[ImportResult] = []
        try:
            # One by one, so that whatever was written is recorded even if the run stops.
            results.extend(execute_import(root, plan, now=store.clock.now()))
        finally:
            if any(r.record is not None for r in results):
                store.save(record_imported(store.load(), results))
    return ImportReport(
        folder=root,
        results=tuple(results),
        unmatched_globs=plan.unmatched_globs,
        nothing_chosen=not plan.items and not globs,
        state_location=store.location,
    )


async def _listed(session: Session) -> dict[str, Contract]:
    async with session.connect() as client:
        return await contracts_by_dataset(client)
