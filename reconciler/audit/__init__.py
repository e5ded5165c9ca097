"""The audit: how git and Soda Cloud differ, and whose side moved (``reconciler audit``).

Mirrors :mod:`reconciler.plan`: the value (``model``), the pure function that makes it
(``auditor``), and what the Reporting API's answers add (``reporting``).
"""

from reconciler.audit.auditor import AuditContext, audit_dataset, audit_status, make_audit
from reconciler.audit.model import (
    AUDIT_FORMAT_VERSION,
    AuditReport,
    AuditSettings,
    CallCount,
    Category,
    Counts,
    DatasetAudit,
    NotCompared,
    Reason,
)

__all__ = [
    "AUDIT_FORMAT_VERSION",
    "AuditContext",
    "AuditReport",
    "AuditSettings",
    "CallCount",
    "Category",
    "Counts",
    "DatasetAudit",
    "NotCompared",
    "Reason",
    "audit_dataset",
    "audit_status",
    "make_audit",
]
