"""The local Soda Cloud's Soda Agent: the seed's ``data_sources``, read and scanned with
Soda's engine (:mod:`reconciler.engine`).

At start its data sources' catalogs become datasets, named as the engine names them, with
their columns and data types. A verification scan of one of those datasets becomes a job:
once the scan's queuing time has passed on the emulator's clock, one worker thread runs the
published contract with soda-core against the data and hands the answer back
(:func:`scan_result` turns it into the scan's final state, checks and logs). The API never
waits for it: requests go on being answered while the engine runs. A canceled job that has
not started never runs.

The worker notices a manual clock's jumps when it is poked (each API request pokes it) and
:meth:`Agent.drain` lets a test wait until every job that is due has been answered, so
lifecycles stay deterministic.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from reconciler.clock import Clock
from reconciler.emulator.seed import Column as ColumnSeed
from reconciler.emulator.seed import DatasetSeed, EmulatorConfig, SeedError, data_source_configs
from reconciler.emulator.state import ResultCheck, ResultLog, ScanResult
from reconciler.engine import (
    DEFAULT_BUDGET,
    DataSourceConfig,
    Discovery,
    NotChecked,
    RunResult,
    discover,
    verify,
)
from reconciler.errors import DataSourceConfigError, EngineNotInstalled

log = logging.getLogger("reconciler.emulator")

AGENT_NAME = "emulator-agent"
_STOP_TIMEOUT = 5.0
# How long the worker sleeps at most before looking at the clock again (real seconds): a
# manual clock moves without telling anyone.
_LOOK_AGAIN = 0.25


@dataclass(frozen=True)
class Job:
    scan_id: str
    due: datetime  # when the scan's queuing time is over (the emulator's clock)
    dataset: str
    contents: str
    check_paths: tuple[str, ...] | None


OnResult = Callable[[str, RunResult], None]


class Agent:
    """Runs verification scans of the datasets of its data sources, one at a time, in a
    worker thread started on the first job."""

    def __init__(
        self,
        sources: Sequence[DataSourceConfig],
        clock: Clock,
        on_result: OnResult,
        *,
        budget: float | None = DEFAULT_BUDGET,
    ) -> None:
        self.sources = {source.name: source for source in sources}
        self.clock = clock
        self.on_result = on_result
        self.budget = budget
        self.runs = 0
        self.discoveries: list[Discovery] = []
        self._jobs: dict[str, Job] = {}
        self._running: str | None = None
        self._stopping = False
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None

    @classmethod
    def for_seed(cls, config: EmulatorConfig, clock: Clock, on_result: OnResult) -> Agent | None:
        """The agent of a seed with ``data_sources`` (None without)."""
        if not config.data_sources:
            return None
        return cls(data_source_configs(config), clock, on_result)

    def serves(self, qualified_name: str) -> bool:
        return qualified_name.split("/", 1)[0] in self.sources

    # -- the catalog -----------------------------------------------------------------------

    def discover(self) -> list[DatasetSeed]:
        """Every reachable data source's tables as seed datasets. One that cannot be read
        adds none (``discoveries`` says why); a configuration soda-core cannot use, or a
        missing engine, is a :class:`SeedError`."""
        self.discoveries = []
        datasets: list[DatasetSeed] = []
        for source in self.sources.values():
            try:
                found = discover(source, budget=self.budget)
            except (DataSourceConfigError, EngineNotInstalled) as error:
                hint = f" {error.hint}" if error.hint else ""
                raise SeedError(f"data_sources: {error}.{hint}") from None
            self.discoveries.append(found)
            if found.not_checked is not None:
                log.warning("data source %s: %s", source.name, found.not_checked.reason)
            datasets.extend(
                DatasetSeed(
                    qualified_name=dataset.qualified_name,
                    columns=[
                        ColumnSeed(
                            name=column.name,
                            data_type=column.data_type,
                            character_maximum_length=column.character_maximum_length,
                            numeric_precision=column.numeric_precision,
                            numeric_scale=column.numeric_scale,
                            datetime_precision=column.datetime_precision,
                        )
                        for column in dataset.columns
                    ],
                )
                for dataset in found.datasets
            )
        return datasets

    # -- jobs --------------------------------------------------------------------------------

    def submit(self, job: Job) -> None:
        with self._cond:
            self._jobs[job.scan_id] = job
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name=AGENT_NAME, daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def cancel(self, scan_id: str) -> bool:
        """Drop a job that has not started; True when it was dropped."""
        with self._cond:
            return self._jobs.pop(scan_id, None) is not None

    def clear(self) -> None:
        """Drop every job not started (a reset)."""
        with self._cond:
            self._jobs.clear()

    def poke(self) -> None:
        """Look at the clock again (it may have jumped)."""
        with self._cond:
            self._cond.notify_all()

    def drain(self, timeout: float) -> bool:
        """Wait (real seconds) until no job is due or running; False when time ran out."""
        deadline = time.monotonic() + timeout
        with self._cond:
            self._cond.notify_all()
            while self._running is not None or self._due() is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(min(remaining, _LOOK_AGAIN))
            return True

    def queued(self) -> int:
        with self._cond:
            return len(self._jobs)

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._jobs.clear()
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(_STOP_TIMEOUT)
            self._thread = None

    # -- the worker -----------------------------------------------------------------------------

    def _due(self) -> Job | None:
        now = self.clock.now()
        due = [job for job in self._jobs.values() if job.due <= now]
        return min(due, key=lambda job: job.due) if due else None

    def _pause(self) -> float | None:
        if not self._jobs:
            return None
        soonest = min(job.due for job in self._jobs.values())
        seconds = (soonest - self.clock.now()).total_seconds()
        return min(max(seconds, 0.001), _LOOK_AGAIN)

    def _work(self) -> None:
        while True:
            with self._cond:
                job = self._due()
                while job is None:
                    if self._stopping:
                        return
                    self._cond.wait(self._pause())
                    job = self._due()
                del self._jobs[job.scan_id]
                self._running = job.scan_id
            try:
                result = self._run(job)
                self.on_result(job.scan_id, result)
            finally:
                with self._cond:
                    self._running = None
                    self.runs += 1
                    self._cond.notify_all()

    def _run(self, job: Job) -> RunResult:
        source = self.sources[job.dataset.split("/", 1)[0]]
        try:
            return verify(
                job.contents,
                source,
                check_paths=job.check_paths,
                budget=self.budget,
                source_name=f"{job.dataset.rsplit('/', 1)[-1]}.yml",
            )
        except (DataSourceConfigError, EngineNotInstalled) as error:
            now = self.clock.now()
            reason = source.redact(str(error))
            return RunResult(
                dataset=job.dataset,
                data_source=source.name,
                started=now,
                ended=now,
                errors=(reason,),
                not_checked=NotChecked("unreachable", reason),
            )


def final_state(run: RunResult) -> str:
    """The scan state a run makes: errors before failures before warnings."""
    if run.not_checked is not None:
        return "timedOut" if run.not_checked.cause == "budget" else "failed"
    if run.errors:
        return "completedWithErrors"
    if run.failures:
        return "completedWithFailures"
    if run.warnings:
        return "completedWithWarnings"
    return "completed"


def scan_result(run: RunResult, finished: datetime, check_id: Callable[[str], str]) -> ScanResult:
    """The scan's stored answer: its final state, checks (ids by path) and the engine's lines."""
    return ScanResult(
        state=final_state(run),
        finished=finished,
        checks=[
            ResultCheck(
                id=check_id(check.path),
                path=check.path,
                name=check.name,
                outcome=check.outcome,
                value=None if check.value is None else float(check.value),
                diagnostics=dict(check.diagnostics),
            )
            for check in run.checks
        ],
        logs=[
            ResultLog(
                offset=max((line.time - run.started).total_seconds(), 0.0),
                level=line.level,
                message=line.message,
            )
            for line in run.logs
        ],
        errors=len(run.errors),
    )
