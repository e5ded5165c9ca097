"""The example project (contracts/, reconciler.yml, demo/cloud-seed.yml) in a fresh copy, and
``reconciler`` run in it as a user would: in tests."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from demo.tour import SCRUBBED_VARIABLES
from reconciler.cli import main

REPOSITORY = Path(__file__).resolve().parents[2]


def reconciler(args: Sequence[str], *, env: dict[str, str] | None = None) -> Result:
    """``reconciler ARGS`` in the current directory, with no Soda Cloud settings from the
    environment (the example's reconciler.yml names its local Soda Cloud) but ``env``."""
    chosen: dict[str, str | None] = {**dict.fromkeys(SCRUBBED_VARIABLES), "NO_COLOR": "1"}
    chosen.update(env or {})
    return CliRunner().invoke(main, list(args), env=chosen, catch_exceptions=False)


def reconciler_json(args: Sequence[str], *, expect: int = 0) -> dict[str, Any]:
    result = reconciler([*args, "--format", "json"])
    assert result.exit_code == expect, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document
