"""Start-up stays cheap: each command imports what it uses, and the heavy libraries only
when a command needs them (counted in a fresh interpreter, through ``sys.modules``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest

from reconciler.cli import main as cli
from reconciler.cli.main import COMMANDS

# What only comparing, talking to Soda Cloud, building the contract language's models or
# running Soda's engine needs.
HEAVY = (
    "deepdiff",
    "httpx",
    "soda_core",
    "uvicorn",
    "reconciler.contract.model",
    "reconciler.cloud.client",
    "reconciler.workflow",
    "reconciler.plan.planner",
)

PROGRAM = """
import json, sys
from reconciler.cli.main import main
try:
    main(sys.argv[1:], prog_name="reconciler")
except SystemExit as exit:
    code = exit.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def loaded_by(args: list[str], cwd: Path) -> tuple[int, set[str]]:
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    last = done.stdout.strip().splitlines()[-1]
    answer = json.loads(last)
    return answer["code"], set(answer["modules"])


def heavy_in(modules: set[str]) -> set[str]:
    return {name for name in HEAVY if name in modules}


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["plan", "--help"]])
def test_version_and_help_import_no_heavy_module_nor_pydantic(
    args: list[str], tmp_path: Path
) -> None:
    code, modules = loaded_by(args, tmp_path)
    assert code == 0
    assert heavy_in(modules) == set()
    assert "pydantic" not in modules


def test_validate_of_one_file_with_a_warm_cache_builds_no_contract_model(tmp_path: Path) -> None:
    folder = tmp_path / "contracts" / "pg" / "db" / "public"
    folder.mkdir(parents=True)
    (folder / "orders.yml").write_text(
        "dataset: pg/db/public/orders\ncolumns:\n  - name: id\n    checks:\n      - missing:\n",
        encoding="utf-8",
    )
    cold_code, cold = loaded_by(["validate"], tmp_path)
    assert cold_code == 0
    assert "reconciler.contract.model" in cold  # the cold run did validate the file
    warm_code, warm = loaded_by(["validate"], tmp_path)
    assert warm_code == 0
    assert heavy_in(warm) == set()


PROJECT = """\
contracts: contracts
rules:
  size-key-type: warning
engine: auto
data_sources:
  - soda/warehouse.yml
environments:
  staging:
    api_key_id_env: SODA_STAGING_API_KEY_ID
    api_key_secret_env: SODA_STAGING_API_KEY_SECRET
    variables: {SCHEMA: analytics_staging}
    rename_data_sources: {pg: pg_staging}
cloud:
  api_key_secret: ${env.SODA_CLOUD_API_KEY_SECRET}
"""


def test_a_warm_validate_reads_reconciler_yml_without_pydantic(tmp_path: Path) -> None:
    folder = tmp_path / "contracts" / "pg" / "db" / "public"
    folder.mkdir(parents=True)
    (folder / "orders.yml").write_text("dataset: pg/db/public/orders\n", encoding="utf-8")
    (tmp_path / "reconciler.yml").write_text(PROJECT, encoding="utf-8")
    cold_code, cold = loaded_by(["validate"], tmp_path)
    assert cold_code == 0
    assert "reconciler.config" in cold  # the first run read the file through its models
    warm_code, warm = loaded_by(["validate"], tmp_path)
    assert warm_code == 0
    assert heavy_in(warm) == set()
    assert {"pydantic", "reconciler.config", "reconciler.engine.soda"} & warm == set()


def test_the_help_lists_each_command_with_its_own_first_line() -> None:
    for name, (module, attribute, line) in COMMANDS.items():
        command = getattr(__import__(module, fromlist=[attribute]), attribute)
        assert isinstance(command, click.Command)
        assert command.name == name or name == "import"
        assert (command.help or "").strip().splitlines()[0] == line


def test_the_lazy_group_knows_every_command_module() -> None:
    listed = cli.list_commands(click.Context(cli))
    assert listed == sorted(COMMANDS)
    for name in listed:
        assert isinstance(cli.get_command(click.Context(cli), name), click.Command)


def test_validate_names_the_formats_of_its_renderer() -> None:
    from reconciler.cli.validate import FORMATS as named
    from reconciler.render.diagnostics import FORMATS

    assert tuple(named) == tuple(FORMATS)


def test_plan_names_the_fail_on_word_of_its_model() -> None:
    from reconciler.cli.plan import FAIL_ON
    from reconciler.cli.plan import FAILING_CHECKS as named
    from reconciler.plan.model import FAILING_CHECKS

    assert named == FAILING_CHECKS
    assert FAILING_CHECKS in FAIL_ON
