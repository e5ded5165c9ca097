"""``reconciler fmt [DIR] [--check] [--diff]``: lay contract files out in the canonical form.

Exit 0 when every file is canonical (or was made so), 1 when ``--check`` finds a file that
is not, when a file was left as it is (it has errors, or its layout cannot change without
more than layout changing), or on an error.
"""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.cli.options import contracts_dir, parse_variables
from reconciler.errors import ConfigError, ContractsInvalid


@click.command("fmt")
@click.argument("directory", metavar="[DIR]", required=False, type=click.Path(path_type=Path))
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; exit 1 naming every file not in the canonical layout (CI, pre-commit).",
)
@click.option("--diff", "show_diff", is_flag=True, help="Print a unified diff of each change.")
@click.option(
    "--var",
    "var_values",
    multiple=True,
    metavar="NAME=VALUE",
    help="A value for ${var.NAME}, as validate takes it: fmt leaves files validate rejects.",
)
@click.pass_context
def fmt(
    ctx: click.Context,
    directory: Path | None,
    check: bool,
    show_diff: bool,
    var_values: tuple[str, ...],
) -> None:
    """Lay out every contract (*.yml, *.yaml) below DIR in the canonical form.

    Layout only: indentation, spacing, blank lines and the place of full-line comments
    change; keys keep their order, values their spelling and quotes, comments their text.
    A file is written only when it reads the same before and after (its semantic
    fingerprint, and as Soda's engine reads it), atomically and never through a symbolic
    link. Files with errors are left as they are.

    DIR defaults to the `contracts` setting of reconciler.yml, else contracts/.
    Prints the files it changed (--check: would change); exits 1 when --check finds one,
    when a file was left as it is, or on an error.
    """
    from reconciler.cli.context import project_config
    from reconciler.fmt import format_folder, render

    variables = parse_variables(var_values)
    project = project_config(ctx)
    root = contracts_dir(project, directory)
    if not root.is_dir():
        what = "is not a directory" if root.exists() else "does not exist"
        raise ConfigError(
            f"the contracts folder {root} {what}",
            hint="Pass the folder as DIR, or set `contracts:` in reconciler.yml.",
        )
    report = format_folder(root, variables=variables, write=not check, rules=project.rules)
    click.echo(render.changed_files(report, diff=show_diff), nl=False)
    click.echo(render.problems(report), err=True, nl=False)
    click.echo(render.summary(report, check=check), err=True, nl=False)
    failed = render.failure(report, check=check)
    if failed is not None:
        message, hint = failed
        raise ContractsInvalid(message, hint=hint)
