"""The ``reconciler`` command group: global flags, logging, and the one place where errors
become exit codes.

Each command's module is imported only when that command runs or shows its help
(:class:`LazyGroup`, click's documented pattern): ``reconciler --version`` and ``--help``
load none of them, and ``reconciler plan --help`` loads the plan command alone. A command
module keeps what only running it needs (the workflow, Soda Cloud's client, the renderers)
inside its function, so that its help is cheap too.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import click

from reconciler import __version__
from reconciler.errors import ReconcilerError
from reconciler.render.escape import printable

# name: (module, attribute, the one-line help `reconciler --help` lists). The line is the
# command's own (the first of its docstring); a test keeps the two the same.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "apply": (
        "reconciler.cli.apply",
        "apply",
        "Create, generate, publish and verify contracts so Soda Cloud matches git.",
    ),
    "audit": (
        "reconciler.cli.audit",
        "audit",
        "Report drift between the contracts folder and Soda Cloud; never changes anything.",
    ),
    "emulator": (
        "reconciler.cli.emulator",
        "emulator",
        "A local Soda Cloud for demos, tests and CI (not Soda's service).",
    ),
    "fmt": (
        "reconciler.cli.fmt",
        "fmt",
        "Lay out every contract (*.yml, *.yaml) below DIR in the canonical form.",
    ),
    "import": (
        "reconciler.cli.importer",
        "import_command",
        "Write contracts from Soda Cloud into the contracts folder, byte for byte.",
    ),
    "plan": (
        "reconciler.cli.plan",
        "plan",
        "Compare the contracts folder with Soda Cloud and print what apply would do.",
    ),
    "state": (
        "reconciler.cli.state",
        "state_group",
        "Inspect, repair and move the state: what was last applied to each dataset.",
    ),
    "validate": (
        "reconciler.cli.validate",
        "validate",
        "Validate every contract (*.yml, *.yaml) below DIR.",
    ),
}


class UsageMistake(click.UsageError):
    """A mistake on the command line. It exits 1 like every other error: plan and audit give
    2 a meaning of their own (changes present, pending)."""

    exit_code = 1


def _mistake(error: click.UsageError) -> click.exceptions.Exit | UsageMistake:
    if isinstance(error, click.exceptions.NoArgsIsHelpError) and error.ctx is not None:
        click.echo(error.ctx.get_help())  # `reconciler` alone: the help, and no error
        return click.exceptions.Exit(0)
    return UsageMistake(error.format_message(), error.ctx)


class LazyGroup(click.Group):
    """A group whose commands are imported when one is asked for by name; the list in its
    help is made from :data:`COMMANDS` without importing any."""

    def __init__(
        self, *args: Any, lazy_commands: dict[str, tuple[str, str, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_commands = lazy_commands

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy_commands:
            module, attribute, _ = self.lazy_commands[cmd_name]
            command = getattr(importlib.import_module(module), attribute)
            if not isinstance(command, click.Command):
                raise TypeError(f"{module}.{attribute} is not a click command")
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # click's own, with a stand-in that carries the help line of a command not loaded.
        listed = [(name, self._listed(name)) for name in self.list_commands(ctx)]
        shown = [(name, command) for name, command in listed if not command.hidden]
        if shown:
            limit = formatter.width - 6 - max(len(name) for name, _ in shown)
            with formatter.section("Commands"):
                formatter.write_dl([(name, c.get_short_help_str(limit)) for name, c in shown])

    def _listed(self, name: str) -> click.Command:
        loaded = self.commands.get(name)
        return loaded or click.Command(name, help=self.lazy_commands[name][2])


class ReconcilerGroup(LazyGroup):
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
    import logging  # only a command that runs logs

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


@click.group(cls=ReconcilerGroup, lazy_commands=COMMANDS)
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
