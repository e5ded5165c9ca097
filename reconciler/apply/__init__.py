"""Applying a plan: the only place that changes Soda Cloud (and writes skeletons back).

options   ApplyOptions, Progress: how an apply runs and where it says what it does
steps     what each action does, step by step (the one table of it), and verification
executor  apply_plan: scheduling every dataset at once, fail-fast, interruption
result    ApplyResult: what was done, per dataset (rendered by reconciler.render.apply)
saved     a saved plan checked entry by entry against its basis and the planner
"""
