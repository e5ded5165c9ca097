"""Plans: the value (``model``, in the words of ``vocabulary``), its file (``file``), the
globs that choose datasets (``globs``), and the pure function that makes one (``planner``).

Importing this package loads the value only. The planner compares contracts, which needs the
semantic diff (and deepdiff): import it from :mod:`reconciler.plan.planner`.
"""

from reconciler.plan.globs import DatasetFilter
from reconciler.plan.model import DatasetPlan, Plan, PlanSettings, Summary
from reconciler.plan.vocabulary import Action, ChangeClass

__all__ = [
    "Action",
    "ChangeClass",
    "DatasetFilter",
    "DatasetPlan",
    "Plan",
    "PlanSettings",
    "Summary",
]
