"""A project folder driven through the real CLI against a running local Soda Cloud."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from reconciler.cli.main import main
from reconciler.emulator import RunningEmulator
from reconciler.state import StateFile, StateStore

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


class Project:
    """``contracts/`` and ``.reconciler/state.json`` under a temporary folder."""

    def __init__(self, root: Path, cloud: RunningEmulator) -> None:
        self.root = root
        self.cloud = cloud
        self.contracts = root / "contracts"
        self.contracts.mkdir(parents=True, exist_ok=True)
        self.state_path = root / ".reconciler" / "state.json"

    @property
    def env(self) -> dict[str, str]:
        return {
            "SODA_CLOUD_HOST": self.cloud.url,
            "SODA_CLOUD_API_KEY_ID": self.cloud.api_key_id,
            "SODA_CLOUD_API_KEY_SECRET": self.cloud.api_key_secret,
            "SODA_CLOUD_REPORTING_HOST": "",
            "RECONCILER_TIME_SCALE": str(self.cloud.clock.scale),
            "NO_COLOR": "1",
        }

    def run(self, *args: str) -> Result:
        return CliRunner().invoke(main, list(args), env=self.env, catch_exceptions=False)

    def write(self, dataset: str, text: str) -> Path:
        path = self.contracts / f"{dataset}.yml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    def state(self) -> StateFile:
        return StateStore(self.state_path).load()

    def plan(self, *args: str) -> Result:
        """The real ``reconciler plan``, with ``--detailed-exitcode`` (0: no changes)."""
        return self.run(
            "plan",
            str(self.contracts),
            "--state",
            str(self.state_path),
            "--detailed-exitcode",
            *args,
        )

    def audit(self, *args: str) -> Result:
        return self.run("audit", str(self.contracts), "--state", str(self.state_path), *args)

    def import_(self, *args: str) -> Result:
        return self.run(
            "import", "--dir", str(self.contracts), "--state", str(self.state_path), *args
        )
