from __future__ import annotations

import click
from click.testing import CliRunner

from reconciler import __version__
from reconciler.cli.main import main
from reconciler.errors import ConfigError


def test_version_is_printed() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


def test_reconciler_error_becomes_message_hint_and_exit_code() -> None:
    @click.command("explode")
    def explode() -> None:
        raise ConfigError("no credentials", hint="set SODA_CLOUD_API_KEY_ID")

    main.add_command(explode)
    try:
        result = CliRunner().invoke(main, ["explode"])
    finally:
        main.commands.pop("explode")
    assert result.exit_code == 1
    assert "Error: no credentials" in result.output
    assert "hint: set SODA_CLOUD_API_KEY_ID" in result.output


def test_a_command_line_mistake_exits_1_not_2() -> None:
    # 2 means "changes present" (plan --detailed-exitcode) and "pending" (audit).
    for args in (
        ["--bogus"],
        ["plan", "--bogus"],
        ["plan", "--format", "yaml"],
        ["state", "show", "--nope"],
    ):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 1, (args, result.output)
        assert "Error" in result.output


def test_no_arguments_show_the_help() -> None:
    result = CliRunner().invoke(main, [])
    assert result.exit_code == 0
    assert "Usage:" in result.output
    assert "plan" in result.output
