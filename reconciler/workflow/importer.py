"""``import``: Soda Cloud's contracts written into the contracts folder, byte for byte, and
recorded in the state so that the next plan shows no change for them. ``import --drifted``:
the same for the files of drifted datasets, so that a change made in Soda Cloud's UI comes
back into git.

In an environment, Soda Cloud names datasets as the environment renders them
(``warehouse_staging/...``) while the folder is shared by every environment: each contract is
written with its dataset's shared name (:func:`reconciler.desired.environment.shared_text`),
at the shared path, and recorded in the environment's state under the environment's name, with
the fingerprints of the file as rendered there. A contract that no file could render to (its
data source is renamed away in this environment) is refused, saying so. ``--drifted`` replaces
files whose text is the one last applied, which in an environment that renders the folder is
not the file's own text: it is refused there (``import --force DATASET`` brings one back).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from reconciler.cloud.dto import Contract
from reconciler.contract import parse_contract_text
from reconciler.contract.document import load_document
from reconciler.contract.variables import declared
from reconciler.desired import load_desired
from reconciler.desired.environment import NotRendered, render_text, shared_text
from reconciler.environment import Environment
from reconciler.errors import ConfigError, ContractLoadError
from reconciler.importer import (
    ImportNote,
    ImportPlan,
    ImportReport,
    ImportResult,
    NoteCode,
    Outcome,
    drifted_files,
    execute_import,
    existing_files,
    imported_record,
    plan_drifted,
    plan_import,
    record_imported,
)
from reconciler.observed import contracts_by_dataset
from reconciler.plan.globs import glob_matches
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
    environment = session.environment
    store = session.state_store()
    with session.lock(store, "import", lock_timeout):
        state = store.load()
        listed = asyncio.run(_listed(session))
        contracts, unmanageable = shared_contracts(listed, environment, globs)
        root.mkdir(parents=True, exist_ok=True)
        plan = plan_import(
            contracts,
            existing_files(load_desired(root)),
            shared_names(state.datasets, environment),
            globs=globs,
            force=force,
        )
        results = list(unmanageable) + _carried_out(
            store,
            root,
            plan,
            made=lambda result: as_rendered(result, listed, environment),
            keyed=lambda result: in_environment(result, environment),
        )
    return ImportReport(
        folder=root,
        results=tuple(results),
        unmatched_globs=tuple(g for g in plan.unmatched_globs if not _matched(g, unmanageable)),
        nothing_chosen=not plan.items and not globs and not unmanageable,
        state_location=store.location,
    )


def import_drifted(
    session: Session, globs: tuple[str, ...], *, lock_timeout: float
) -> ImportReport:
    """``reconciler import --drifted [GLOB]...``, under the state lock: Soda Cloud's text
    written into the file of every dataset the audit calls drifted (a file with changes
    never applied is refused), and recorded."""
    refuse_drifted_in(session.environment)
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


def _carried_out(
    store: StateManager,
    root: Path,
    plan: ImportPlan,
    *,
    made: Callable[[ImportResult], ImportResult] = lambda result: result,
    keyed: Callable[[ImportResult], ImportResult] = lambda result: result,
) -> list[ImportResult]:
    """The plan's files written one by one into ``root`` (each result as ``made`` makes it);
    whatever was written is recorded (under the name ``keyed`` gives it), even if the run
    stops. Called under the store's lock."""
    results: list[ImportResult] = []
    try:
        results.extend(made(result) for result in execute_import(root, plan, now=store.clock.now()))
    finally:
        if any(r.record is not None for r in results):
            store.save(record_imported(store.load(), [keyed(r) for r in results]))
    return results


def refuse_drifted_in(environment: Environment | None) -> None:
    """``--drifted`` replaces a file whose text is the one last applied; in an environment
    that renders the folder (renames, values) what was applied is not the file's text."""
    if environment is not None and (environment.renames_anything or environment.variables):
        raise ConfigError(
            f"import --drifted cannot bring drift back from environment {environment.name}: "
            "it renders the contracts (renamed data sources or variable values), so Soda "
            "Cloud's text there is not a text of the shared folder",
            hint=f"Bring each drifted contract back with `reconciler import --force DATASET "
            f"--env {environment.name}` (it writes the shared name), and check the values.",
        )


async def _listed(session: Session) -> dict[str, Contract]:
    async with session.connect() as client:
        return await contracts_by_dataset(client)


def shared_contracts(
    listed: Mapping[str, Contract], environment: Environment | None, globs: tuple[str, ...]
) -> tuple[dict[str, Contract], list[ImportResult]]:
    """Soda Cloud's contracts by their shared names, their texts naming them so; and the
    refusals of those no file of the folder can manage in ``environment``."""
    if environment is None:
        return dict(listed), []
    contracts: dict[str, Contract] = {}
    refused: list[ImportResult] = []
    for name, contract in listed.items():
        shared = environment.shared_name(name)
        try:
            if shared is None:
                shared_text(f"dataset: {name}\n", environment)  # says why
            text = shared_text(contract.contents, environment) if contract.contents else None
        except NotRendered as why:
            if not globs or any(glob_matches(g, name) for g in globs):
                note = ImportNote(NoteCode.ENVIRONMENT_NAME, detail=str(why))
                refused.append(ImportResult(name, Outcome.REFUSED, notes=(note,)))
            continue
        assert shared is not None
        contracts[shared] = contract.model_copy(
            update={"contents": text, "dataset_qualified_name": shared}
        )
    return contracts, refused


def shared_names(recorded: Iterable[str], environment: Environment | None) -> set[str]:
    """The state's datasets (named as the environment names them) by their shared names."""
    if environment is None:
        return set(recorded)
    return {shared for name in recorded if (shared := environment.shared_name(name))}


def as_rendered(
    result: ImportResult,
    listed: Mapping[str, Contract],
    environment: Environment | None,
) -> ImportResult:
    """A written file's record, made from the file as ``environment`` renders it (what its
    next plan compares); a note where it holds a value of the environment's variables."""
    if environment is None or result.record is None or result.path is None:
        return result
    name = environment.rendered_name(result.dataset)
    original = listed[name]
    written = shared_text(original.contents or "", environment)
    try:
        document = load_document(written.encode("utf-8"), result.path.as_posix()).value
        rendered = render_text(written, document, environment)
    except (ContractLoadError, NotRendered):
        return result  # the file does not render: the next plan says why
    parsed = parse_contract_text(rendered, name, allow_stub=True)
    record = imported_record(original, parsed, result.record.applied_at)
    notes = result.notes + tuple(_values_found(written, document, environment))
    return dataclasses.replace(result, record=record, notes=notes)


def _values_found(text: str, document: object, environment: Environment) -> Iterable[ImportNote]:
    """Values of the environment's variables that the written text holds as they are: the
    folder would want the variable there, not this environment's value."""
    uses = set(declared(document))
    for variable, value in sorted(environment.variables.items()):
        if variable in uses and len(value) >= 3 and value in text:
            yield ImportNote(NoteCode.ENVIRONMENT_VALUE, detail=variable, other=value)


def in_environment(result: ImportResult, environment: Environment | None) -> ImportResult:
    """``result`` keyed as the environment's state keys it."""
    if environment is None:
        return result
    return dataclasses.replace(result, dataset=environment.rendered_name(result.dataset))


def _matched(glob: str, refused: Iterable[ImportResult]) -> bool:
    return any(glob_matches(glob, r.dataset) for r in refused)
