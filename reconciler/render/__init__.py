"""Renderers: pure functions from a value (a plan, a state, diagnostics) to text.

Nothing here computes or reads anything; each module renders one kind of value:
``diagnostics`` (``reconciler validate``), ``plan``, ``state``.
"""
