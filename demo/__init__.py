"""The demo, in one place: the tour of every action on a local Soda Cloud (``tour``, run by
``make demo``), the plan-examples generator (``plan_examples``, ``make plan-examples``) and
the local Soda Cloud's seed (``cloud-seed.yml``).

It tours the repository's example project (``reconciler.yml``, ``contracts/``), so it runs
from a clone, not from an installed package: nothing in ``reconciler`` needs it.
"""
