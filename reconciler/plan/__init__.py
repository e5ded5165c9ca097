"""Plans: the value (model), the pure function that makes one (planner)."""

from reconciler.plan.model import Action, DatasetPlan, Plan, PlanSettings, Summary
from reconciler.plan.planner import DatasetFilter, PlanContext, make_plan, plan_dataset

__all__ = [
    "Action",
    "DatasetFilter",
    "DatasetPlan",
    "Plan",
    "PlanContext",
    "PlanSettings",
    "Summary",
    "make_plan",
    "plan_dataset",
]
