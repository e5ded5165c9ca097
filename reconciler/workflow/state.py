"""The state repaired and moved: ``state rebuild`` (recreated from Soda Cloud and the
folder), ``state forget`` (a dataset's record dropped) and ``state migrate`` (copied to
another place, lineage and serial kept)."""

from __future__ import annotations

import asyncio
import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from reconciler.cloud.dto import Contract
from reconciler.desired import DesiredState
from reconciler.errors import StateCorrupt, StateError, StateForeign
from reconciler.observed import contracts_by_dataset
from reconciler.state import DatasetRecord, StateFile, StateManager
from reconciler.state.location import StateLocation
from reconciler.workflow.session import Session


@dataclass(frozen=True)
class Rebuilt:
    state: StateFile  # as saved
    unrecorded: int  # files whose contract in Soda Cloud is not exactly the file
    location: str
    # The state that was replaced because it could not be read or was another project's.
    replaced: StateCorrupt | StateForeign | None = None


def rebuild(session: Session, *, lock_timeout: float) -> Rebuilt:
    """``reconciler state rebuild``: a state recording every dataset whose contract in Soda
    Cloud is exactly its file. A readable state of this project keeps its lineage."""
    desired = session.read_folder()
    store = session.state_store()
    with session.lock(store, "state rebuild", lock_timeout):
        base, replaced = _base(store)
        contracts = asyncio.run(_listed(session, desired))
        saved = store.save(rebuilt_state(desired, contracts, base, store.clock.now()), replace=True)
    unrecorded = len(desired.contracts) - len(saved.datasets)
    return Rebuilt(saved, unrecorded, store.location, replaced)


def _base(store: StateManager) -> tuple[StateFile, StateCorrupt | StateForeign | None]:
    """What the rebuilt state continues: this project's state, else a fresh one."""
    try:
        return store.load(), None
    except StateCorrupt as problem:
        return store.fresh(), problem  # continues the backup's lineage, if it has one
    except StateForeign as problem:
        return StateFile.new(), problem


async def _listed(session: Session, desired: DesiredState) -> dict[str, Contract]:
    async with session.connect(desired) as client:
        return await contracts_by_dataset(client)


def rebuilt_state(
    desired: DesiredState, contracts: Mapping[str, Contract], base: StateFile, now: datetime
) -> StateFile:
    """A state recording every dataset whose contract in Soda Cloud is exactly its file.

    What a plan would adopt; everything else stays unrecorded, so the next plan shows it as a
    change (and drift can only be told from here on). Pending verifications are dropped.
    """
    records = {}
    for name, file in desired.contracts.items():
        remote = contracts.get(name)
        if remote is None or file.is_stub or remote.contents != file.raw_text:
            continue
        records[name] = DatasetRecord.applied(
            at=now,
            contract_id=remote.id,
            dataset_id=remote.dataset_id,
            last_updated=remote.last_updated,
            raw_sha256=file.raw_sha256,
            semantic_fingerprint=file.semantic_fingerprint,
        )
    return base.with_datasets(records).model_copy(update={"pending": {}})


@dataclass(frozen=True)
class Forgotten:
    dataset: str
    record: DatasetRecord  # the record dropped
    state: StateFile  # as saved
    location: str


def forget(session: Session, dataset: str, *, lock_timeout: float) -> Forgotten:
    """``reconciler state forget DATASET``: its record dropped; Soda Cloud untouched."""
    store = session.plain_store()
    with session.lock(store, "state forget", lock_timeout):
        state = store.load()
        record = state.record(dataset)
        if record is None:
            raise StateError(
                f"{store.location}: no dataset {dataset!r} in the state",
                hint=_near_matches_hint(dataset, state.datasets),
            )
        saved = store.save(state.without(dataset))
    return Forgotten(dataset, record, saved, store.location)


def _near_matches_hint(dataset: str, known: Iterable[str]) -> str:
    names = sorted(known)
    if not names:
        return "The state records no datasets at all."
    near = near_matches(dataset, names)
    if not near:
        return f"The state records {len(names)} datasets; list them with `reconciler state show`."
    return "Did you mean: " + ", ".join(near) + "?"


def near_matches(dataset: str, names: list[str], most: int = 5) -> list[str]:
    """Names containing what was typed, else the closest spellings.

    Qualified names share long prefixes, which makes every name look close; only the names
    about as close as the best one are kept.
    """
    wanted = dataset.lower()
    containing = [name for name in names if wanted in name.lower()]
    if containing:
        return containing[:most]
    close = difflib.get_close_matches(dataset, names, n=most, cutoff=0.6)
    if not close:
        return []
    best = difflib.SequenceMatcher(None, dataset, close[0]).ratio()
    return [
        name
        for name in close
        if difflib.SequenceMatcher(None, dataset, name).ratio() >= best - 0.05
    ]


@dataclass(frozen=True)
class Migrated:
    state: StateFile  # as copied: its lineage and serial are the source's
    source: str
    target: str
    already: bool  # the target held this very save already


def migrate(session: Session, target: StateLocation, *, lock_timeout: float) -> Migrated:
    """``reconciler state migrate --to LOCATION``: the state copied as it is, both locked."""
    source = session.plain_store()
    destination = session.state_at(target)
    if destination.location == source.location:
        raise StateError(
            f"{source.location}: the state is there already",
            hint="Give --to another place than the state's (--state, or `state:`).",
        )
    with session.lock(source, "state migrate", lock_timeout):
        if not source.exists():
            raise StateError(
                f"{source.location}: there is no state to copy",
                hint="Point --state (or `state:`, or --env) at the state to copy.",
            )
        state = source.load()
        with session.lock(destination, "state migrate", lock_timeout):
            before = destination.exists()
            copied = destination.copy_in(state)
    already = before and copied is not state
    return Migrated(copied, source.location, destination.location, already)
