"""``apply``: make Soda Cloud match git, from a fresh plan (shown and confirmed) or from a
saved one (applied exactly as reviewed, or refused when anything it was based on moved)."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Coroutine
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any, Protocol, TypeVar

from reconciler.apply import drift
from reconciler.apply.executor import apply_plan
from reconciler.apply.options import ApplyOptions, Progress, SilentProgress
from reconciler.apply.result import ApplyResult
from reconciler.apply.saved import check_saved_plan, replanned
from reconciler.cloud.client import SodaCloudClient
from reconciler.desired import DesiredState
from reconciler.errors import Interrupted, PlanError
from reconciler.observed import observe
from reconciler.plan import DatasetFilter, Plan, PlanSettings
from reconciler.plan.file import SavedPlan
from reconciler.state import Journal, StateManager
from reconciler.workflow.plan import plan_against_cloud
from reconciler.workflow.session import Session

T = TypeVar("T")


class ApplyView(Protocol):
    """How apply meets the person running it."""

    def preview(self, plan: Plan) -> None:
        """Show a fresh plan before anything is applied."""

    def confirm(self, plan: Plan) -> bool:
        """Whether to apply the fresh plan just shown (it has changes)."""
        ...

    def progress(self, plan: Plan) -> AbstractContextManager[Progress]:
        """Where apply says what it does, while it applies ``plan``."""
        ...


class Unattended:
    """Applies without asking and shows nothing (benchmarks and other programs)."""

    def preview(self, plan: Plan) -> None:
        pass

    def confirm(self, plan: Plan) -> bool:
        return True

    def progress(self, plan: Plan) -> AbstractContextManager[Progress]:
        return nullcontext(SilentProgress())


def apply_fresh(
    session: Session,
    settings: PlanSettings,
    options: ApplyOptions,
    view: ApplyView,
    *,
    lock_timeout: float,
) -> ApplyResult | None:
    """``reconciler apply``: plan under the lock, preview, confirm, apply. None when nothing
    was applied (no changes, or not confirmed)."""
    desired = session.read_folder()
    store = session.state_store()
    with session.lock(store, "apply", lock_timeout):
        return run_cancellable(_fresh(session, desired, store, settings, options, view))


async def _fresh(
    session: Session,
    desired: DesiredState,
    store: StateManager,
    settings: PlanSettings,
    options: ApplyOptions,
    view: ApplyView,
) -> ApplyResult | None:
    journal = Journal(store, store.load())
    async with session.connect(desired) as client:
        _, result = await apply_fresh_with(
            client,
            desired,
            journal,
            settings=settings,
            state_path=session.state_path,
            options=options,
            view=view,
            environment=session.environment_name,
        )
        return result


async def apply_fresh_with(
    client: SodaCloudClient,
    desired: DesiredState,
    journal: Journal,
    *,
    settings: PlanSettings,
    state_path: Path | str,
    options: ApplyOptions,
    view: ApplyView,
    environment: str | None = None,
) -> tuple[Plan, ApplyResult | None]:
    """Plan against ``client`` and, once ``view`` confirms, apply: the plan and what was done.
    With ``options.refuse_drift`` a plan that would overwrite a change made in Soda Cloud is
    shown, then refused (:class:`~reconciler.errors.DriftRefused`): nobody reviewed it."""
    plan = await plan_against_cloud(
        client,
        desired,
        journal.state,
        settings=settings,
        state_path=state_path,
        clock=client.clock,
        environment=environment,
    )
    view.preview(plan)
    if options.refuse_drift:
        drift.refuse(drift.drifted(plan), saved=False)
    if not plan.summary().has_changes or not view.confirm(plan):
        return plan, None
    return plan, await _execute(plan, desired, client, journal, options, view)


def apply_saved(
    session: Session,
    saved: SavedPlan,
    options: ApplyOptions,
    view: ApplyView,
    *,
    lock_timeout: float,
) -> ApplyResult:
    """``reconciler apply PLAN``: under the lock, Soda Cloud is read as the plan read it, the
    plan checked against it (:func:`~reconciler.apply.saved.check_saved_plan`), then applied."""
    refuse_other_environment(saved, session.environment_name)
    desired = session.read_folder()
    store = session.state_store()
    with session.lock(store, "apply", lock_timeout):
        return run_cancellable(_saved(session, desired, store, saved, options, view))


def refuse_other_environment(saved: SavedPlan, environment: str | None) -> None:
    """A saved plan is applied in the environment it was made for, and no other."""
    made_for = saved.plan.environment
    if made_for == environment:
        return
    raise PlanError(
        f"{saved.path}: the plan was made for "
        + (f"environment {made_for}" if made_for else "no environment")
        + "; this apply is for "
        + (f"environment {environment}" if environment else "no environment"),
        hint=f"Apply it with --env {made_for}, or make a plan for this environment."
        if made_for
        else "Make a plan for this environment: `reconciler plan --env NAME --out FILE`.",
    )


async def _saved(
    session: Session,
    desired: DesiredState,
    store: StateManager,
    saved: SavedPlan,
    options: ApplyOptions,
    view: ApplyView,
) -> ApplyResult:
    state = store.load()
    plan = saved.plan
    async with session.connect(desired) as client:
        wanted = DatasetFilter(plan.settings.targets, plan.settings.excludes)
        observed = await observe(client, state, wanted=wanted)
        if options.refuse_drift:
            today = replanned(plan, desired, observed, state)
            drift.refuse(drift.unexpected(plan, today), saved=True)
        check_saved_plan(saved, desired, observed, state)
        return await _execute(plan, desired, client, Journal(store, state), options, view)


async def _execute(
    plan: Plan,
    desired: DesiredState,
    client: SodaCloudClient,
    journal: Journal,
    options: ApplyOptions,
    view: ApplyView,
) -> ApplyResult:
    with view.progress(plan) as progress:
        return await apply_plan(plan, desired, client, journal, options=options, progress=progress)


def run_cancellable(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run an apply; Ctrl-C or SIGTERM cancels it. Once applying, the executor stops cleanly
    (running scans canceled, every completed step in the state) and reports; before that,
    nothing was applied."""

    async def main() -> T:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, task.cancel)
        try:
            return await coroutine
        finally:
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(signum)

    try:
        return asyncio.run(main())
    except asyncio.CancelledError:
        raise Interrupted("interrupted before anything was applied") from None
