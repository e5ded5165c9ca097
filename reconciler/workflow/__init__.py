"""The workflow on one screen: every verb of the reconciler as a short function over one
:class:`Session`.

    plan(session, settings)                    -> Plan          read folder, state, Soda Cloud
    plan_each(sessions, settings)              -> (Plan, ...)   one per environment
    apply_fresh(session, settings, opts, view) -> ApplyResult   plan, preview, confirm, apply
    apply_saved(session, saved, opts, view)    -> ApplyResult   check a saved plan, apply it
    audit(session, settings)                   -> AuditReport   how git and Soda Cloud differ
    import_contracts(session, globs)           -> ImportReport  Soda Cloud's contracts into git
    import_drifted(session, globs)             -> ImportReport  drifted contracts back into git
    rebuild(session)                           -> Rebuilt       the state recreated
    forget(session, dataset)                   -> Forgotten     a record dropped
    migrate(session, location)                 -> Migrated      the state copied elsewhere

Each verb reads the folder through the session (its diagnostics go to the session's
listener), opens the state's backend and, when it writes, takes its lock; it reads Soda Cloud
only through :mod:`reconciler.observed` and changes it only through :mod:`reconciler.apply`.
The pure steps in between (:mod:`reconciler.plan.planner`, :mod:`reconciler.audit`,
:mod:`reconciler.importer`) never print; the command line renders what a verb returns.

The ``*_against_cloud`` and ``apply_fresh_with`` steps take an open client, for tests and
benchmarks that bring their own Soda Cloud.
"""

from reconciler.workflow.apply import ApplyView, Unattended, apply_fresh, apply_saved
from reconciler.workflow.audit import audit
from reconciler.workflow.importer import import_contracts, import_drifted
from reconciler.workflow.plan import plan, plan_each
from reconciler.workflow.session import Listener, QuietListener, Session
from reconciler.workflow.state import Forgotten, Migrated, Rebuilt, forget, migrate, rebuild

__all__ = [
    "ApplyView",
    "Forgotten",
    "Listener",
    "Migrated",
    "QuietListener",
    "Rebuilt",
    "Session",
    "Unattended",
    "apply_fresh",
    "apply_saved",
    "audit",
    "forget",
    "import_contracts",
    "import_drifted",
    "migrate",
    "plan",
    "plan_each",
    "rebuild",
]
