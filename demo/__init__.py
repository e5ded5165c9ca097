"""The demo's material: the local Soda Cloud's seed and the plan-examples generator."""
