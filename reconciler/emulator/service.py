"""One local Soda Cloud: its data, clock, limits, faults and counters, and the few actions
that involve time (settling finished operations, starting scans)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from reconciler.clock import Clock
from reconciler.emulator.contents import checks_of
from reconciler.emulator.faults import FaultInjector
from reconciler.emulator.instants import elapsed
from reconciler.emulator.lifecycle import operation_end
from reconciler.emulator.limits import RateLimiter
from reconciler.emulator.seed import ApiKey, EmulatorConfig, derived_id
from reconciler.emulator.state import Contract, Dataset, Scan, ScanCheck, Store
from reconciler.emulator.stats import Stats

log = logging.getLogger("reconciler.emulator")


class Emulator:
    """The state behind the HTTP app. Used from the server's event loop only."""

    def __init__(
        self, config: EmulatorConfig, *, clock: Clock, data_file: Path | None = None
    ) -> None:
        self.config = config
        self.clock = clock
        self.data_file = data_file
        self.keys: dict[str, ApiKey] = {key.id: key for key in config.effective_api_keys()}
        self.stats = Stats()
        self.limiter = RateLimiter(clock, config.limits)
        self.faults = FaultInjector(config.faults)
        if data_file is not None and data_file.exists():
            self.store = Store.load(data_file)
        else:
            self.store = Store.from_seed(config, clock.now())
            self.save()

    @property
    def scale(self) -> float:
        return float(self.clock.scale)

    def reset(self) -> None:
        """Back to the seed: data, outcomes, limits, faults; counters and windows zeroed."""
        self.store = Store.from_seed(self.config, self.clock.now())
        self.stats.clear()
        self.limiter.configure(self.config.limits)
        self.limiter.clear()
        self.faults.configure(self.config.faults)
        self.save()

    def save(self) -> None:
        if self.data_file is not None:
            self.store.save(self.data_file)

    # -- time-dependent actions -----------------------------------------------------------------

    def settle(self, now: datetime) -> None:
        """Give every operation whose time has come its result (contracts and final state)."""
        changed = False
        for operation in self.store.pending_operations():
            if elapsed(operation.created, now, self.scale) < operation.duration:
                continue
            end = operation_end(operation, self.scale)
            creator = (
                self.config.creator_ids.skeleton
                if operation.kind == "skeleton"
                else self.config.creator_ids.generate
            )
            succeeded = True
            for entry in operation.datasets:
                dataset = self.store.datasets.get(entry.dataset_id)
                if (
                    entry.outcome != "completed"
                    or dataset is None
                    or self.store.contract_of(entry.dataset_id) is not None
                ):
                    # Scripted to fail, or someone created a contract for it meanwhile.
                    succeeded = False
                    continue
                contract = self.store.create_contract(dataset, entry.contents, creator, end)
                entry.contract_id = contract.id
            operation.final_state = "completed" if succeeded else "failed"
            changed = True
        if changed:
            self.save()

    def new_scan(
        self,
        *,
        kind: str,
        dataset: Dataset,
        contract_id: str,
        contents: str,
        now: datetime,
        check_paths: Sequence[str] | None = None,
        outcome: str | None = None,
        operation_id: str | None = None,
    ) -> Scan:
        durations = self.config.durations
        wanted = set(check_paths) if check_paths is not None else None
        checks = [
            ScanCheck(
                id=check_id(dataset.id, ref.path),
                path=ref.path,
                excluded=wanted is not None and ref.path not in wanted,
            )
            for ref in checks_of(contents)
        ]
        scan = Scan(
            id=str(uuid.uuid4()),
            kind=kind,
            contract_id=contract_id,
            dataset_id=dataset.id,
            dataset_qualified_name=dataset.qualified_name,
            created=now,
            outcome=outcome or self.store.scan_outcomes.get(dataset.qualified_name, "completed"),
            checks=checks,
            queuing=durations.queuing,
            executing=durations.executing,
            cancel_delay=durations.cancel,
            operation_id=operation_id,
        )
        self.store.add_scan(scan)
        return scan

    def contract_id_for(self, dataset: Dataset) -> str:
        existing: Contract | None = self.store.contract_of(dataset.id)
        return existing.id if existing else derived_id("contract", dataset.id)


def check_id(dataset_id: str, path: str) -> str:
    """Stable per dataset and check path: the same check keeps its id across scans."""
    return derived_id("check", f"{dataset_id}:{path}")
