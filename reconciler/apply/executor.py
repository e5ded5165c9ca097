"""Executing a plan: every dataset at once, each lane of Soda Cloud's rate limits kept busy.

Each dataset runs as its own task through the steps its action takes
(:mod:`reconciler.apply.steps`): its change -> verify -> record. The tasks meet only at the
client's rate-limit lanes (create and publish 100 a minute, verify and createSkeleton 10,
scan status 60 shared by all scans), which serve them first come, first served; so a slow
lane never holds up a fast one, and no lane waits on another without need. Adopts that verify
nothing are recorded together in one save first; with ``--generate ai`` the stubs share one
generation request.

Crash safety: every successful change in Soda Cloud is durable in the state (a line of its
journal) before the apply goes on; the journal is compacted into the state file at the end. A
dataset that will be verified gets a *pending verification* record before its first change,
so an apply killed at any moment is resumed by the next one: what already matches is
adopted, and the verification still happens. Ctrl-C or SIGTERM cancels the tasks: running scans are canceled in
Soda Cloud, nothing new starts, and the state already holds every completed step. With
``--fail-fast`` the first failure does the same to every other dataset, and so does a save
that finds the state taken by another run (its lock removed or expired and taken over, or
another run's save first): nothing this run did after that could be recorded.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from reconciler.apply.options import ApplyOptions, Progress, SilentProgress
from reconciler.apply.result import ApplyResult, DatasetOutcome, Notice, Recovery, Status, Stop
from reconciler.apply.steps import DatasetRun, Lane, Steps, lane
from reconciler.clock import timestamp
from reconciler.cloud.client import SodaCloudClient
from reconciler.cloud.dto import DatasetGeneration
from reconciler.desired import DesiredState
from reconciler.errors import OperationFailed, ReconcilerError, StateConflict, StateLocked
from reconciler.plan.model import DatasetPlan, Plan
from reconciler.state import Journal


async def apply_plan(
    plan: Plan,
    desired: DesiredState,
    client: SodaCloudClient,
    journal: Journal,
    *,
    options: ApplyOptions | None = None,
    progress: Progress | None = None,
) -> ApplyResult:
    """Apply ``plan``. Returns what was done, also when interrupted (then ``interrupted``)."""
    steps = Steps(desired, client, journal, options or ApplyOptions(), progress or SilentProgress())
    return await Executor(plan, steps).run()


class Executor:
    def __init__(self, plan: Plan, steps: Steps) -> None:
        self.plan = plan
        self.steps = steps
        self.client = steps.client
        self.options = steps.options
        self.progress = steps.progress
        self.stopping = False
        self.state_lost = False
        self.runs = {e.dataset: DatasetRun(e) for e in plan.datasets if e.changed}
        self.outcomes: dict[str, DatasetOutcome] = {}
        self.tasks: list[asyncio.Future[None]] = []

    async def run(self) -> ApplyResult:
        started = timestamp(self.client.clock)
        lanes: dict[Lane, list[DatasetRun]] = {each: [] for each in Lane}
        for run in self.runs.values():
            lanes[lane(run.entry, self.options)].append(run)
        if lanes[Lane.ADOPT_TOGETHER]:
            # Adopting changes nothing in Soda Cloud: record them all in one save.
            await self.steps.adopt_together(lanes[Lane.ADOPT_TOGETHER])
            for run in lanes[Lane.ADOPT_TOGETHER]:
                self._finish(run)
        self.tasks = [asyncio.ensure_future(self._alone(run)) for run in lanes[Lane.ALONE]]
        if lanes[Lane.GENERATE_TOGETHER]:
            self.tasks.append(asyncio.ensure_future(self._generated(lanes[Lane.GENERATE_TOGETHER])))
        interrupted = await self._wait_for_tasks()
        # A change made just before an interruption may still be waiting for its write; the
        # journal is folded into the state once, here.
        await self.steps.journal.compact()
        return ApplyResult(
            started=started,
            finished=timestamp(self.client.clock),
            cloud_host=self.client.settings.host,
            plan_created=self.plan.created,
            datasets=tuple(self._outcome(e, interrupted) for e in self.plan.datasets if e.changed),
            interrupted=interrupted,
            stopped_early=self.stopping and not interrupted,
            calls={op.value: n for op, n in sorted(self.client.stats.calls.items())},
            throttled={op.value: n for op, n in sorted(self.client.stats.throttled.items())},
            notices=(Notice.CHECK_PATHS_UNAVAILABLE,) if self.steps.check_paths_unavailable else (),
        )

    async def _wait_for_tasks(self) -> bool:
        """Wait for every task; True when the apply was interrupted (then canceled)."""
        try:
            results = await asyncio.gather(*self.tasks, return_exceptions=True)
        except asyncio.CancelledError:
            self.stopping = True
            for task in self.tasks:
                task.cancel()
            # Let every task run its cleanup (canceling its scan) before reporting.
            await asyncio.gather(*self.tasks, return_exceptions=True)
            return True
        for outcome in results:
            if isinstance(outcome, Exception):
                raise outcome  # a defect, not a Soda Cloud or user problem
        return False

    # ---- one dataset ------------------------------------------------------------------

    async def _alone(self, run: DatasetRun) -> None:
        if self.stopping:
            return
        run.started = True
        try:
            contract_id = await self.steps.change(run)
            if run.entry.verify and contract_id is not None:
                await self._verify(run, contract_id)
        except ReconcilerError as error:
            self._fail(run, error)
        else:
            self._finish(run)

    async def _verify(self, run: DatasetRun, contract_id: str) -> None:
        if not self.stopping:
            await self.steps.verify(run, contract_id)

    # ---- AI generation: every stub in one request -------------------------------------

    async def _generated(self, runs: Sequence[DatasetRun]) -> None:
        for run in runs:
            run.started = True
        by_name = {run.entry.dataset: run for run in runs}
        try:
            started = await self.steps.request_generation(list(by_name))
            for name, reason in started.refused.items():
                self._fail(
                    by_name[name],
                    OperationFailed(
                        f"Soda Cloud cannot generate a contract for {name}: {reason}",
                        hint="The dataset must be connected to an agent and have no contract.",
                    ),
                )
            scans = await self.steps.generation_scans(started)
        except ReconcilerError as error:
            for run in runs:
                if run.entry.dataset not in self.outcomes:
                    self._fail(run, error)
            return
        for name in started.found:
            by_name[name].recoveries.append(Recovery.CONTRACT_FOUND)
        made = [*started.asked, *started.found]
        await asyncio.gather(*(self._one_generated(by_name[n], scans.get(n)) for n in made))

    async def _one_generated(self, run: DatasetRun, generation: DatasetGeneration | None) -> None:
        try:
            contract_id = await self.steps.generated(run, generation)
            if run.entry.verify:
                await self._verify(run, contract_id)
        except ReconcilerError as error:
            self._fail(run, error)
        else:
            self._finish(run)

    # ---- outcomes ---------------------------------------------------------------------

    def _finish(self, run: DatasetRun) -> None:
        entry = run.entry
        verification = run.verification
        if verification is None:
            status = Status.APPLIED
        elif not verification.passed:
            status = Status.VERIFY_FAILED
        elif verification.state == "completedWithWarnings":
            status = Status.WARNED
        else:
            status = Status.APPLIED
        outcome = DatasetOutcome(
            dataset=entry.dataset,
            action=entry.action,
            status=status,
            done=tuple(run.done),
            verification=verification,
            recoveries=tuple(run.recoveries),
        )
        self.outcomes[entry.dataset] = outcome
        self.progress.finished(outcome)
        if status is Status.VERIFY_FAILED:
            self._stop_if_fail_fast()

    def _fail(self, run: DatasetRun, error: ReconcilerError) -> None:
        entry = run.entry
        outcome = DatasetOutcome(
            dataset=entry.dataset,
            action=entry.action,
            status=Status.FAILED,
            done=tuple(run.done),
            verification=run.verification,
            error=str(error),
            hint=error.hint,
            needs_fix=not error.cured_by_rerun,
            recoveries=tuple(run.recoveries),
        )
        self.outcomes[entry.dataset] = outcome
        self.progress.finished(outcome)
        if isinstance(error, (StateConflict, StateLocked)):
            self.state_lost = True
            self._stop_everything()
        self._stop_if_fail_fast()

    def _stop_if_fail_fast(self) -> None:
        """--fail-fast: stop every other dataset where it stands (running scans are canceled)."""
        if self.options.fail_fast:
            self._stop_everything()

    def _stop_everything(self) -> None:
        if self.stopping:
            return
        self.stopping = True
        current = asyncio.current_task()
        for task in self.tasks:
            if task is not current and not task.done():
                task.cancel()

    def _outcome(self, entry: DatasetPlan, interrupted: bool) -> DatasetOutcome:
        if entry.dataset in self.outcomes:
            return self.outcomes[entry.dataset]
        run = self.runs[entry.dataset]
        why = (
            Stop.STATE_LOST
            if self.state_lost
            else Stop.FAIL_FAST
            if self.options.fail_fast and not interrupted
            else Stop.INTERRUPTED
        )
        return DatasetOutcome(
            dataset=entry.dataset,
            action=entry.action,
            status=Status.FAILED if run.started else Status.NOT_STARTED,
            done=tuple(run.done),
            verification=run.verification,
            stopped=why if run.started else None,
            recoveries=tuple(run.recoveries),
        )
