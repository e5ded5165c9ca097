"""Renderers: pure functions from a value to text, and the only place with words.

Nothing here computes or reads anything. Each module renders one kind of value, for a
terminal (text), a pull-request comment or issue (markdown) and machines (JSON):
``diagnostics`` (``reconciler validate``), ``plan``, ``apply``, ``audit``, ``importer``,
``state``. They share ``words`` (the sentences for every code a value carries), ``escape``
(the one module that makes untrusted text inert for each output), ``fit`` (GitHub's size
limits) and ``style`` (terminal colours).
"""
