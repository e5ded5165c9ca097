"""``reconciler validate [DIR]``: check the contracts folder before anything reaches Soda Cloud.

Exit 0 when there is no error (warnings allowed), 1 otherwise. Every mistake of every file
is reported in one run, sorted by file and position.
"""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.cli.options import cache_option, contracts_dir, parse_variables
from reconciler.errors import ConfigError, ContractsInvalid

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
@cache_option
@click.pass_context
def validate(
    ctx: click.Context,
    directory: Path | None,
    strict: bool,
    var_values: tuple[str, ...],
    output_format: str,
    no_cache: bool,
) -> None:
    """Validate every contract (*.yml, *.yaml) below DIR.

    DIR defaults to the `contracts` setting of reconciler.yml, else contracts/.
    Exits 0 when there is no error (warnings allowed), 1 otherwise.

    \b
    --format json prints one object:
      format_version, root, valid, files, errors, warnings,
      diagnostics: [{file, line, col, severity, rule, message, hint}],
      contracts:   [{dataset, file, stub, raw_sha256, semantic_fingerprint}]
    """
    from reconciler.cli.context import project_config
    from reconciler.desired import load_desired
    from reconciler.render.diagnostics import render

    variables = parse_variables(var_values)
    project = project_config(ctx)
    root = contracts_dir(project, directory)
    if not root.is_dir():
        what = "is not a directory" if root.exists() else "does not exist"
        raise ConfigError(
            f"the contracts folder {root} {what}",
            hint="Pass the folder as DIR, or set `contracts:` in reconciler.yml.",
        )
    cache = None if no_cache else project.cache_dir
    state = load_desired(root, variables=variables, strict=strict, rules=project.rules, cache=cache)
    click.echo(render(state, output_format, root=root.as_posix()), nl=False)
    if not state.ok:
        errors = state.error_count
        raise ContractsInvalid(
            f"{errors} error{'' if errors == 1 else 's'} in {root.as_posix()}: nothing may be "
            "planned or applied from it",
            hint="Fix the errors listed above and run `reconciler validate` again.",
        )
