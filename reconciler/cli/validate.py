"""``reconciler validate [DIR]``: check the contracts folder before anything reaches Soda Cloud.

Exit 0 when there is no error (warnings allowed), 1 otherwise. Every mistake of every file
is reported in one run, sorted by file and position.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from reconciler.cli.context import environments_of, folder_settings_of
from reconciler.cli.options import (
    cache_option,
    contracts_dir,
    engine_option,
    env_option,
    parse_variables,
)
from reconciler.environment import Environment
from reconciler.errors import ConfigError, ContractsInvalid

if TYPE_CHECKING:
    from reconciler.config import EngineMode
    from reconciler.desired import DesiredState
    from reconciler.settings import FolderSettings

# The formats of reconciler.render.diagnostics (its FORMATS), named here so that the flags
# are built without loading the contract language; a test keeps the two the same.
FORMATS = ("text", "json", "github")


@click.command("validate")
@click.argument("directory", metavar="[DIR]", required=False, type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True, help="Treat warnings (path mismatches) as errors.")
@click.option(
    "--var",
    "var_values",
    multiple=True,
    metavar="NAME=VALUE",
    help="A value for ${var.NAME}, as a verification run would pass it (repeatable).",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="text for people, json for programs, github for pull-request annotations.",
)
@env_option(
    "Validate the contracts as rendered for this environment (its variables and data source "
    "renames), a comma list of them, or `all`; also RECONCILER_ENV. Without it, the files "
    "as written."
)
@engine_option
@cache_option
@click.pass_context
def validate(
    ctx: click.Context,
    directory: Path | None,
    strict: bool,
    var_values: tuple[str, ...],
    output_format: str,
    env_name: str | None,
    engine: EngineMode | None,
    no_cache: bool,
) -> None:
    """Validate every contract (*.yml, *.yaml) below DIR.

    DIR defaults to the `contracts` setting of reconciler.yml, else contracts/.
    Exits 0 when there is no error (warnings allowed), 1 otherwise. With Soda's engine
    installed (--engine auto) it judges every file too: we are never more lenient than it.

    \b
    --format json prints one object:
      format_version, root, valid, files, errors, warnings,
      diagnostics: [{file, line, col, severity, rule, message, hint}],
      contracts:   [{dataset, file, stub, raw_sha256, semantic_fingerprint}]
    """
    from reconciler.render.diagnostics import render

    project = folder_settings_of(ctx, cache=not no_cache)
    given = parse_variables(var_values)
    environments = environments_of(project, env_name, given)
    root = contracts_dir(project, directory)
    if not root.is_dir():
        what = "is not a directory" if root.exists() else "does not exist"
        raise ConfigError(
            f"the contracts folder {root} {what}",
            hint="Pass the folder as DIR, or set `contracts:` in reconciler.yml.",
        )
    from reconciler.contract.referee import engine_wanted

    state = validated(
        root,
        environments,
        given,
        strict=strict,
        engine=engine_wanted(engine or project.engine),
        project=project,
        cache=not no_cache,
    )
    click.echo(render(state, output_format, root=root.as_posix()), nl=False)
    if not state.ok:
        errors = state.error_count
        raise ContractsInvalid(
            f"{errors} error{'' if errors == 1 else 's'} in {root.as_posix()}: nothing may be "
            "planned or applied from it",
            hint="Fix the errors listed above and run `reconciler validate` again.",
        )


def validated(
    root: Path,
    environments: Sequence[Environment | None],
    given: Mapping[str, str],
    *,
    strict: bool,
    engine: bool,
    project: FolderSettings,
    cache: bool = True,
) -> DesiredState:
    """The folder as each environment renders it, their diagnostics together (each says
    which environment it is about); the contracts as the first environment sees them. The
    project's ``rules:`` weigh the diagnostics; ``cache`` uses its parse cache."""
    from reconciler.contract.diagnostics import sort_diagnostics
    from reconciler.desired import load_desired
    from reconciler.desired.environment import for_environment

    states = []
    for environment in environments:
        variables = {**(environment.variables if environment else {}), **given}
        state = load_desired(
            root,
            variables=variables,
            strict=strict,
            engine=engine,
            rules=project.rules,
            cache=project.cache_dir if cache else None,
        )
        if environment is not None and state.ok:
            state = for_environment(state, environment)
        states.append(state)
    diagnostics = sort_diagnostics(list(dict.fromkeys(d for s in states for d in s.diagnostics)))
    return dataclasses.replace(states[0], diagnostics=diagnostics)
