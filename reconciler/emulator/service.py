"""One local Soda Cloud: its data, clock, limits, faults and counters, its agent, and the few
actions that involve time (settling finished operations and scans, starting scans)."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from reconciler.clock import Clock
from reconciler.emulator.agent import Agent, Job, scan_result
from reconciler.emulator.contents import checks_of
from reconciler.emulator.faults import FaultInjector
from reconciler.emulator.instants import after, elapsed
from reconciler.emulator.lifecycle import operation_end, view_scan
from reconciler.emulator.limits import RateLimiter
from reconciler.emulator.seed import ApiKey, EmulatorConfig, IncidentSeed, SeedError, derived_id
from reconciler.emulator.state import Contract, Dataset, Scan, ScanCheck, Store
from reconciler.emulator.stats import Stats
from reconciler.engine import RunResult

log = logging.getLogger("reconciler.emulator")


class Emulator:
    """The state behind the HTTP app. Used from the server's event loop only, but for the
    agent's answers, which its worker thread hands in (:meth:`_answered`)."""

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
        self.agent = Agent.for_seed(config, clock, self._answered)
        # Scans the agent answered whose consequences (saving, incidents) are still to come.
        self._answers: set[str] = set()
        self._unsaved = False
        self._answers_lock = threading.Lock()
        if data_file is not None and data_file.exists():
            self.store = Store.load(data_file)
            self._resume_agent_scans()
        else:
            self.store = Store.from_seed(self._seed(), clock.now())
            self.save()

    def _seed(self) -> EmulatorConfig:
        """The seed, knowing the tables of its data sources too."""
        if self.agent is None:
            return self.config
        seed = self.config.with_datasets(self.agent.discover())
        problems = seed.unknown_references()
        if problems:
            raise SeedError("; ".join(problems))
        return seed

    def close(self) -> None:
        """Stop the agent's worker (a scan it is running is left unanswered)."""
        if self.agent is not None:
            self.agent.stop()

    @property
    def scale(self) -> float:
        return float(self.clock.scale)

    def reset(self) -> None:
        """Back to the seed: data, outcomes, limits, faults; counters and windows zeroed. The
        agent drops its jobs and reads its data sources' catalogs again."""
        if self.agent is not None:
            self.agent.clear()
        with self._answers_lock:
            self._answers.clear()
        self.store = Store.from_seed(self._seed(), self.clock.now())
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
        """Give every operation whose time has come its result (contracts and final state),
        and every scan the agent answered its consequences; let the agent see the clock."""
        changed = self._settle_answers(now)
        if self.agent is not None:
            self.agent.poke()
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
        by_agent = (
            kind == "verification"
            and self.agent is not None
            and self.agent.serves(dataset.qualified_name)
        )
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
            by_agent=by_agent,
            contents=contents if by_agent else None,
            check_paths=list(check_paths) if by_agent and check_paths is not None else None,
        )
        self.store.add_scan(scan)
        if by_agent:
            self._submit(scan)
        return scan

    # -- the agent's scans ----------------------------------------------------------------------

    def _submit(self, scan: Scan) -> None:
        assert self.agent is not None
        assert scan.contents is not None
        self.agent.submit(
            Job(
                scan_id=scan.id,
                due=after(scan.created, scan.queuing, self.scale),
                dataset=scan.dataset_qualified_name,
                contents=scan.contents,
                check_paths=tuple(scan.check_paths) if scan.check_paths is not None else None,
            )
        )

    def _resume_agent_scans(self) -> None:
        """After a restart: the agent's scans that had no answer yet are run (again)."""
        for scan in self.store.scans.values():
            if scan.by_agent and scan.result is None and scan.cancel_at is None:
                if self.agent is None or not self.agent.serves(scan.dataset_qualified_name):
                    continue
                self._submit(scan)
            elif scan.by_agent and scan.result is not None and not scan.incidents_opened:
                self._answers.add(scan.id)

    def cancel_job(self, scan: Scan) -> None:
        """A scan canceled while queuing: its job never runs."""
        if scan.by_agent and self.agent is not None:
            self.agent.cancel(scan.id)

    def _answered(self, scan_id: str, run: RunResult) -> None:
        """The agent's answer (in its worker thread). One attribute assignment makes it
        visible at once; saving and incidents follow on the event loop (:meth:`settle`)."""
        scan = self.store.scans.get(scan_id)
        if scan is None or scan.cancel_at is not None:
            return  # reset meanwhile, or canceled while executing: the answer is dropped
        dataset_id = scan.dataset_id
        scan.result = scan_result(run, self.clock.now(), lambda path: check_id(dataset_id, path))
        with self._answers_lock:
            self._answers.add(scan_id)
            self._unsaved = True

    def _settle_answers(self, now: datetime) -> bool:
        """Open an incident per failed check of each answered scan that has ended; True when
        something is to be saved."""
        with self._answers_lock:
            answered = list(self._answers)
            changed, self._unsaved = self._unsaved, False
        for scan_id in answered:
            scan = self.store.scans.get(scan_id)
            view = view_scan(scan, now, self.scale) if scan is not None else None
            if scan is not None and view is not None and view.ended is None:
                continue  # answered, but not ended yet on the clock
            if scan is not None and view is not None and scan.cancel_at is None:
                self._open_incidents(scan, view.ended or now)
                scan.incidents_opened = True
            with self._answers_lock:
                self._answers.discard(scan_id)
            changed = True
        return changed

    def _open_incidents(self, scan: Scan, at: datetime) -> None:
        assert scan.result is not None
        open_for = {
            incident.check_id
            for incident in self.store.incidents
            if incident.status.lower() != "resolved"
        }
        for check in scan.result.checks:
            if check.outcome != "fail" or check.id in open_for:
                continue
            self.store.add_incident(
                IncidentSeed(
                    title=f"{check.name} failed: {check.path} of {scan.dataset_qualified_name}",
                    dataset=scan.dataset_qualified_name,
                    check_id=check.id,
                    check_name=check.name,
                    created_at=at,
                ),
                at,
            )

    def contract_id_for(self, dataset: Dataset) -> str:
        existing: Contract | None = self.store.contract_of(dataset.id)
        return existing.id if existing else derived_id("contract", dataset.id)


def check_id(dataset_id: str, path: str) -> str:
    """Stable per dataset and check path: the same check keeps its id across scans."""
    return derived_id("check", f"{dataset_id}:{path}")
