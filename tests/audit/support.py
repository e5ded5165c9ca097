"""A project folder driven through the real CLI against a running local Soda Cloud."""

from __future__ import annotations

from click.testing import Result

from tests.project import Project as BaseProject

CUSTOMERS = "warehouse/analytics/public/customers"
ORDERS = "warehouse/analytics/public/orders"
EVENTS = "warehouse/analytics/staging/events"
SESSIONS = "lakehouse/silver/sessions"


def contract(dataset: str, *columns: str, checks: str = "") -> str:
    """A small valid contract: ``columns`` as ``name:type``; ``checks`` on the first one."""
    lines = [f"dataset: {dataset}", "columns:"]
    for index, column in enumerate(columns or ("id:integer",)):
        name, data_type = column.split(":")
        lines += [f"  - name: {name}", f"    data_type: {data_type}"]
        if index == 0 and checks:
            lines += ["    checks:", f"      - {checks}:"]
    return "\n".join(lines) + "\n"


class Project(BaseProject):
    """The shared test project, with audit and import, and plan with ``--detailed-exitcode``."""

    @property
    def env(self) -> dict[str, str]:
        return {**super().env, "SODA_CLOUD_REPORTING_HOST": ""}

    def plan(self, *args: str) -> Result:
        """The real ``reconciler plan``, with ``--detailed-exitcode`` (0: no changes)."""
        return super().plan("--detailed-exitcode", *args)

    def audit(self, *args: str) -> Result:
        return self.run("audit", str(self.contracts), "--state", str(self.state_path), *args)

    def import_(self, *args: str) -> Result:
        return self.run(
            "import", "--dir", str(self.contracts), "--state", str(self.state_path), *args
        )
