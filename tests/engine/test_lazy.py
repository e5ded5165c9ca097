"""soda-core's import cost stays out of whatever does not run the engine."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]

PROGRAM = """
import sys
from click.testing import CliRunner
from reconciler.cli import main
import reconciler.engine
from reconciler.emulator import EmulatorConfig, RunningEmulator

result = CliRunner().invoke(main, ["validate", "contracts", "--engine", "off"])
assert result.exit_code == 0, result.output
with RunningEmulator(EmulatorConfig()) as cloud:
    pass
reconciler.engine.engine_status()
print("soda_core" in sys.modules)
"""


def test_validate_with_the_engine_off_the_cli_and_an_emulator_without_data_sources_never_import_soda_core() -> (
    None
):
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
