"""A reconciler project in a temporary folder, driven through the real CLI against a local
Soda Cloud over HTTP: what a user does, in tests."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from reconciler.cli import main
from reconciler.emulator import RunningEmulator
from reconciler.state import StateFile, StateStore


@contextmanager
def working_directory(path: Path) -> Iterator[None]:
    before = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


class Project:
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
            "RECONCILER_TIME_SCALE": str(self.cloud.clock.scale),
            "NO_COLOR": "1",
        }

    def path_of(self, dataset: str) -> Path:
        return self.contracts / f"{dataset}.yml"

    def write(self, dataset: str, text: str) -> Path:
        path = self.path_of(dataset)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    def write_all(self, files: Mapping[str, str]) -> None:
        for dataset, text in files.items():
            self.write(dataset, text)

    def read(self, dataset: str) -> str:
        return self.path_of(dataset).read_text()

    def run(
        self, *args: str, env: Mapping[str, str] | None = None, input: str | None = None
    ) -> Result:
        """``reconciler ARGS`` with the contracts folder and state of this project, run in
        its folder as a user would (never under the repository's own reconciler.yml)."""
        command = list(args)
        with working_directory(self.root):
            return CliRunner().invoke(
                main,
                command,
                env={**self.env, **(env or {})},
                input=input,
                catch_exceptions=False,
            )

    def plan(self, *extra: str) -> Result:
        return self.run("plan", str(self.contracts), "--state", str(self.state_path), *extra)

    def plan_json(self, *extra: str) -> dict[str, Any]:
        result = self.plan("--format", "json", *extra)
        assert result.exit_code == 0, result.output
        document: dict[str, Any] = json.loads(result.stdout)
        return document

    def apply(self, *extra: str) -> Result:
        return self.run(
            "apply", "--dir", str(self.contracts), "--state", str(self.state_path), *extra
        )

    def state(self) -> StateFile:
        return StateStore(self.state_path).load()

    def versions(self) -> dict[str, int]:
        return {c.dataset: c.versions for c in self.cloud.admin.state().contracts}


def actions(plan: Mapping[str, Any]) -> dict[str, str]:
    return {d["dataset"]: d["action"] for d in plan["datasets"]}


def requests(cloud: RunningEmulator, *endpoints: str) -> Sequence[int]:
    stats = cloud.admin.stats()
    return [stats.count(e) for e in endpoints]
