"""The flags commands share, and how they read: paths, variables, durations, colours.

Loaded to build every command's flags, so also for its ``--help``: it imports nothing
heavier than click at its top (see :mod:`reconciler.cli.main`).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from reconciler.duration import parse_duration

if TYPE_CHECKING:
    from reconciler.cloud.http import Wait
    from reconciler.cloud.settings import CloudFlags
    from reconciler.config import ProjectConfig
    from reconciler.environment import Environment
    from reconciler.settings import FolderSettings
    from reconciler.state.location import StateLocation

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


def cloud_options(command: F) -> F:
    """``--host``, ``--api-key-id``, ``--api-key-secret``, ``--reporting-host``,
    ``--retry-timeout``, ``--allow-insecure-http``."""
    options = [
        click.option(
            "--host",
            default=None,
            help="Soda Cloud: cloud.soda.io (EU, default), cloud.us.soda.io (US), a URL, or local. "
            "Overrides SODA_CLOUD_HOST and reconciler.yml.",
        ),
        click.option(
            "--api-key-id", default=None, help="Overrides SODA_CLOUD_API_KEY_ID and reconciler.yml."
        ),
        click.option(
            "--api-key-secret",
            default=None,
            help="Overrides SODA_CLOUD_API_KEY_SECRET (prefer the variable: flags show in process lists).",
        ),
        click.option(
            "--reporting-host",
            default=None,
            help="Reporting API host (default: derived from the host).",
        ),
        click.option(
            "--retry-timeout",
            metavar="DURATION",
            default=None,
            help="How long one call to Soda Cloud may keep failing (5xx, resets, timeouts) "
            "before the command gives up, e.g. 90s, 10m (default 3m; also "
            "RECONCILER_RETRY_TIMEOUT, cloud.retry_timeout).",
        ),
        click.option(
            "--allow-insecure-http",
            is_flag=True,
            default=False,
            help="Send the API key to a non-loopback http:// host, without TLS (refused "
            "otherwise; also RECONCILER_ALLOW_INSECURE_HTTP=1, cloud.allow_insecure_http).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def cloud_flags(params: Mapping[str, Any]) -> CloudFlags:
    """The cloud flags of :func:`cloud_options`, as given (None: not given)."""
    from reconciler.cloud.settings import CloudFlags

    return CloudFlags(
        host=params.get("host"),
        api_key_id=params.get("api_key_id"),
        api_key_secret=params.get("api_key_secret"),
        reporting_host=params.get("reporting_host"),
        retry_timeout=params.get("retry_timeout"),
        allow_insecure_http=bool(params.get("allow_insecure_http")),
    )


def state_option(command: F) -> F:
    return click.option(
        "--state",
        "state_path",
        metavar="LOCATION",
        default=None,
        help="The state: a file path, postgres://... or s3://BUCKET/KEY (default: the "
        "environment's or the project's `state:` in reconciler.yml, else "
        ".reconciler/state.json).",
    )(command)


def env_option(help: str | None = None) -> Callable[[F], F]:
    """``--env NAME`` (also ``RECONCILER_ENV``): which of ``environments:`` to work in."""
    return click.option(
        "--env",
        "env_name",
        metavar="NAME",
        default=None,
        help=help
        or "The environment to work in (`environments:` in reconciler.yml; also "
        "RECONCILER_ENV). Required when the project defines environments.",
    )


class Duration(click.ParamType[float]):
    """``30s``, ``5m``, ``1h30m``, ``0``: seconds, as a float."""

    name = "duration"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        if isinstance(value, (int, float)):
            return float(value)
        try:
            return parse_duration(str(value))
        except ValueError as error:
            self.fail(str(error), param, ctx)


def lock_timeout_option(command: F) -> F:
    """``--lock-timeout DURATION``, for the commands that take the state lock."""
    return click.option(
        "--lock-timeout",
        type=Duration(),
        default="0s",
        show_default=True,
        metavar="DURATION",
        help="How long to wait for a state lock held by another live run (e.g. 30s, 5m); "
        "0 refuses at once. A lock left by a process that is gone is taken over anyway.",
    )(command)


def cache_option(command: F) -> F:
    return click.option(
        "--no-cache",
        "no_cache",
        is_flag=True,
        help="Parse every contract file afresh: neither read nor write .reconciler/cache/.",
    )(command)


def var_option(command: F) -> F:
    return click.option(
        "--var",
        "variables",
        multiple=True,
        metavar="NAME=VALUE",
        help="A contract variable value, as a verification run would supply it (repeatable).",
    )(command)


def format_option(help: str) -> Callable[[F], F]:
    """``--format text|markdown|json`` (default text)."""
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(["text", "markdown", "json"]),
        default="text",
        show_default=True,
        help=help,
    )


def out_option(help: str) -> Callable[[F], F]:
    return click.option(
        "--out", "out_path", type=click.Path(dir_okay=False, path_type=Path), help=help
    )


def verify_option(help: str) -> Callable[[F], F]:
    return click.option(
        "--verify",
        "verify_mode",
        type=click.Choice(["none", "changed", "changed-checks", "all"]),
        default=None,
        help=help,
    )


no_color_option = click.option("--no-color", is_flag=True, help="No colours (also: NO_COLOR set).")


def engine_option(command: F) -> F:
    """``--engine auto|on|off``: whether Soda's engine referees the contracts folder."""
    return click.option(
        "--engine",
        "engine",
        type=click.Choice(["auto", "on", "off"]),
        default=None,
        help="Soda's engine judges every contract too: auto (when installed), on (it must "
        "be), off (never loaded). Default: `engine:` in reconciler.yml, else auto.",
    )(command)


def target_options(command: F) -> F:
    command = click.option(
        "--exclude",
        "excludes",
        multiple=True,
        metavar="GLOB",
        help="Leave out datasets matching this glob, e.g. '**/staging/**' (repeatable).",
    )(command)
    return click.option(
        "--target",
        "targets",
        multiple=True,
        metavar="GLOB",
        help="Only datasets matching this glob (repeatable). Names are paths: * and ? stay "
        "within one /-separated part, ** crosses parts, [a-z] is a class; e.g. "
        "'warehouse/**' (everything below warehouse/) or 'warehouse/*/public/orders'.",
    )(command)


_VARIABLE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=(.*)", re.DOTALL)


def parse_variables(values: tuple[str, ...]) -> dict[str, str]:
    """``("NAME=VALUE", ...)`` from ``--var`` as a mapping; the last of a repeated name wins."""
    variables: dict[str, str] = {}
    for value in values:
        match = _VARIABLE.fullmatch(value)
        if match is None:
            raise click.BadParameter(
                f"{value!r} is not NAME=VALUE (NAME: letters, digits and _)", param_hint="--var"
            )
        variables[match.group(1)] = match.group(2)
    return variables


def contracts_dir(project: ProjectConfig | FolderSettings, given: Path | None) -> Path:
    return given if given is not None else shown_path(project.contracts_dir)


def state_location(
    project: ProjectConfig, given: str | None, environment: Environment | None = None
) -> StateLocation:
    """Where the state is: ``--state`` (as typed), else the environment's ``state:``, else
    the project's (an environment's derived from it, see :func:`derived_state`); a relative
    path in reconciler.yml is taken from its directory."""
    from reconciler.environment import derived_state
    from reconciler.state.location import LocalPath, parse_location

    if given is not None:
        return parse_location(given)
    configured = project.state
    if environment is not None:
        configured = environment.state or derived_state(project.state, environment.name)
    found = parse_location(configured, base=project.base_dir)
    return LocalPath(shown_path(found.path)) if isinstance(found, LocalPath) else found


def shown_path(path: Path) -> Path:
    """A configured path as a person would type it: relative to the current directory when
    it lies below it (messages then read ``contracts/x.yml:3:5``)."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


def use_color(no_color: bool, stream: Any = None) -> bool:
    stream = stream or sys.stdout
    if no_color or os.environ.get("NO_COLOR"):
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


def print_wait(wait: Wait) -> None:
    click.echo(wait.describe(), err=True)


def write_output(path: Path | None, text: str) -> None:
    """Write a report or plan file (``--out``; None: none asked for) atomically (a reader
    never sees half of it), never through a symbolic link."""
    if path is None:
        return
    from reconciler.files import write_text

    write_text(path, text)
