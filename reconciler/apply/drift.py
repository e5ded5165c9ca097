"""The gate at apply (``apply --fail-on drift``): never overwrite a change made in Soda Cloud
that the reviewed plan did not show.

- A fresh plan (``apply`` without a plan file) was reviewed by nobody: any drift in it is
  unexpected, and the apply is refused before anything changes.
- A saved plan was reviewed with the drift it showed: that drift is expected. Drift it did
  not show (a contract changed in Soda Cloud after the plan was made, or drift where the plan
  saw none) is refused, before the stale check and before anything changes.

Accepting a drift deliberately: bring Soda Cloud's change into git (``reconciler import
--force DATASET``, then a pull request), or review a plan that shows it and apply that plan.
"""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.errors import DriftRefused
from reconciler.plan.model import DatasetPlan, Plan
from reconciler.plan.vocabulary import Action

_OVERWRITING = (Action.CREATE, Action.PUBLISH)


def drifted(plan: Plan) -> tuple[DatasetPlan, ...]:
    """The entries of ``plan`` whose apply would overwrite a change made in Soda Cloud."""
    return tuple(e for e in plan.datasets if e.drift is not None and e.action in _OVERWRITING)


def unexpected(saved: Plan, today: Plan) -> tuple[DatasetPlan, ...]:
    """Drift the planner finds today (``today``: the saved plan's settings over today's Soda
    Cloud) that the saved plan did not show: none there, or its contract moved since."""
    shown = {e.dataset: e for e in drifted(saved)}
    return tuple(
        entry
        for entry in drifted(today)
        if entry.dataset not in shown or shown[entry.dataset].remote != entry.remote
    )


def refuse(entries: Sequence[DatasetPlan], *, saved: bool) -> None:
    """Raise :class:`DriftRefused` for ``entries`` (nothing when there are none)."""
    if entries:
        raise DriftRefused(tuple(entries), saved=saved)
