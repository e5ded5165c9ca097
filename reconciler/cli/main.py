"""The ``reconciler`` command group: global flags, logging, and the one place where errors
become exit codes."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import click

from reconciler import __version__
from reconciler.cli.apply import apply
from reconciler.cli.audit import audit
from reconciler.cli.emulator import emulator as emulator_group
from reconciler.cli.fmt import fmt
from reconciler.cli.importer import import_command
from reconciler.cli.plan import plan
from reconciler.cli.state import state_group
from reconciler.cli.validate import validate
from reconciler.errors import ReconcilerError
from reconciler.render.escape import printable


class UsageMistake(click.UsageError):
    """A mistake on the command line. It exits 1 like every other error: plan and audit give
    2 a meaning of their own (changes present, pending)."""

    exit_code = 1


def _mistake(error: click.UsageError) -> click.exceptions.Exit | UsageMistake:
    if isinstance(error, click.exceptions.NoArgsIsHelpError) and error.ctx is not None:
        click.echo(error.ctx.get_help())  # `reconciler` alone: the help, and no error
        return click.exceptions.Exit(0)
    return UsageMistake(error.format_message(), error.ctx)


class ReconcilerGroup(click.Group):
    """Maps every :class:`ReconcilerError` to its message, hint and exit code."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as error:
            raise _mistake(error) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as error:
            raise _mistake(error) from None
        except ReconcilerError as error:
            report_error(error)
            ctx.exit(error.exit_code)


def report_error(error: ReconcilerError) -> None:
    # Messages quote names, files and Soda Cloud's answers; a stale plan lists one a line.
    click.echo(printable(f"Error: {error}", keep="\n"), err=True)
    if error.hint:
        click.echo(printable(f"  hint: {error.hint}"), err=True)


def configure_logging(verbose: bool, debug: bool) -> None:
    level = logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING
    logger = logging.getLogger("reconciler")
    logger.setLevel(level)
    handler = next((h for h in logger.handlers if getattr(h, "_reconciler", False)), None)
    if handler is None:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        handler._reconciler = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    elif isinstance(handler, logging.StreamHandler):
        # This invocation's stream (tests run many). Not setStream: it flushes the old
        # stream, which may be closed by now.
        handler.stream = sys.stderr
    logger.propagate = False


@click.group(cls=ReconcilerGroup)
@click.version_option(__version__, prog_name="reconciler")
@click.option(
    "--verbose", "-v", is_flag=True, help="Say what is happening, including waits and retries."
)
@click.option(
    "--debug", is_flag=True, help="Log every HTTP request and response (credentials redacted)."
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Project configuration file (default: reconciler.yml in the current directory).",
)
@click.pass_context
def main(ctx: click.Context, verbose: bool, debug: bool, config_path: Path | None) -> None:
    """Reconcile a folder of Soda data contracts in git with Soda Cloud."""
    configure_logging(verbose, debug)
    ctx.ensure_object(dict)
    ctx.obj["config_path"] = config_path
    ctx.obj["verbose"] = verbose
    ctx.obj["debug"] = debug


for command in (validate, fmt, plan, apply, audit, import_command, state_group, emulator_group):
    main.add_command(command)
