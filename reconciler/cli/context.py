"""What every command reads from the click context: the project configuration, the
environments a command works in (``--env``, ``RECONCILER_ENV``), and the session a command's
flags make of it (:class:`~reconciler.workflow.Session`), with the command line's listener.
This is the one place that builds sessions."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from reconciler.cli.options import (
    cloud_flags,
    contracts_dir,
    parse_variables,
    print_wait,
    state_location,
)
from reconciler.environment import ALL, Environment, derived_state
from reconciler.errors import ConfigError

if TYPE_CHECKING:
    # `validate` reads only the project configuration: the workflow, Soda Cloud's client
    # and the progress are loaded by the commands that build a session.
    from reconciler.cli.progress import LineProgress, TerminalProgress
    from reconciler.cloud.http import Wait
    from reconciler.config import EngineMode, ProjectConfig
    from reconciler.desired import DesiredState
    from reconciler.settings import FolderSettings
    from reconciler.workflow import Session


def project_config(ctx: click.Context) -> ProjectConfig:
    """The project configuration named by the global ``--config`` flag (read once per run)."""
    from reconciler.config import load_project_config

    root = ctx.find_root()
    root.ensure_object(dict)
    if "config" not in root.obj:
        root.obj["config"] = load_project_config(root.obj.get("config_path"))
    config: ProjectConfig = root.obj["config"]
    return config


def folder_settings_of(ctx: click.Context, *, cache: bool = True) -> FolderSettings:
    """What reading the contracts folder takes from the configuration (``validate``): the
    answer kept for ``reconciler.yml``'s bytes where ``cache``, else the models' reading."""
    from reconciler.settings import folder_settings, settings_of

    if not cache:
        return settings_of(project_config(ctx))
    root = ctx.find_root()
    root.ensure_object(dict)
    return folder_settings(root.obj.get("config_path"))


def session_of(
    ctx: click.Context,
    *,
    directory: Path | None = None,
    state: str | None = None,
    variables: tuple[str, ...] = (),
    strict: bool = False,
    engine: EngineMode | None = None,
    cloud: Mapping[str, Any] | None = None,
    listener: Terminal | None = None,
    environment: str | None = None,
    cache: bool = True,
) -> Session:
    """The session of a command's flags: ``--env``, ``--state``, ``--var``, ``--engine``,
    the cloud flags and the contracts folder, over ``reconciler.yml``; ``cache`` false
    (``--no-cache``) reads every file afresh."""
    (name,) = environment_names(project_config(ctx), environment, several=False)
    return session_in(
        ctx,
        name,
        directory=directory,
        state=state,
        variables=variables,
        strict=strict,
        engine=engine,
        cloud=cloud,
        listener=listener,
        cache=cache,
    )


def sessions_of(
    ctx: click.Context,
    *,
    environments: str | None,
    directory: Path | None = None,
    state: str | None = None,
    variables: tuple[str, ...] = (),
    strict: bool = False,
    engine: EngineMode | None = None,
    cloud: Mapping[str, Any] | None = None,
    cache: bool = True,
) -> list[Session]:
    """One session per environment of ``--env`` (a name, a comma list, or ``all``)."""
    names = environment_names(project_config(ctx), environments, several=True)
    if state is not None and len(names) > 1:
        raise ConfigError(
            "--state names one state, and --env names several environments",
            hint="Leave --state out: each environment has its own `state:`.",
        )
    return [
        session_in(
            ctx,
            name,
            directory=directory,
            state=state,
            variables=variables,
            strict=strict,
            engine=engine,
            cloud=cloud,
            cache=cache,
        )
        for name in names
    ]


def session_in(
    ctx: click.Context,
    name: str | None,
    *,
    directory: Path | None = None,
    state: str | None = None,
    variables: tuple[str, ...] = (),
    strict: bool = False,
    engine: EngineMode | None = None,
    cloud: Mapping[str, Any] | None = None,
    listener: Terminal | None = None,
    cache: bool = True,
) -> Session:
    """The session of environment ``name`` (None: the project has none) and the flags
    (``--engine`` among them)."""
    from reconciler.workflow import Session

    project = project_config(ctx)
    given = parse_variables(variables)
    chosen = project.environment(name) if name is not None else None
    if chosen is not None:
        # --var wins over the environment's value, in the rendered text too.
        chosen = chosen_with(chosen, given)
        project = local_cloud_of(project, chosen)
        if state is None:
            refuse_shared_state(project, chosen)
    return Session(
        project=project,
        contracts=contracts_dir(project, directory),
        state=state_location(project, state, chosen),
        cloud_flags=cloud_flags(cloud or {}),
        variables={**(chosen.variables if chosen else {}), **given},
        strict=strict,
        engine=engine,
        cache=project.cache_dir if cache else None,
        listener=listener or Terminal(),
        environment=chosen,
    )


def environment_names(
    project: ProjectConfig | FolderSettings,
    given: str | None,
    *,
    several: bool,
    required: bool = True,
) -> list[str | None]:
    """The environments a command works in: ``--env`` (a name, a comma list, or ``all``
    where ``several``), else ``RECONCILER_ENV``; ``[None]`` for a project without any (where
    ``all`` is the project itself) and, unless ``required``, when none is chosen."""
    text = (given if given is not None else os.environ.get(ENV_VARIABLE, "")).strip()
    known = list(project.environments)
    if not known:
        # `all` of none is the project itself: one workflow serves projects with and without.
        if text and text != ALL:
            raise ConfigError(
                f"--env {text}: {project.source or 'reconciler.yml'} defines no environments",
                hint="Remove --env (and RECONCILER_ENV), or add `environments:` to "
                "reconciler.yml (see the README's Configuration section).",
            )
        return [None]
    if not text and not required:
        return [None]
    if not text:
        raise ConfigError(
            f"{project.source or 'reconciler.yml'} defines environments ({', '.join(known)}): "
            "choose one with --env NAME or RECONCILER_ENV",
            hint="Each environment has its own Soda Cloud and state: the reconciler never "
            "guesses which one a command is for.",
        )
    names = known if text == ALL else [part.strip() for part in text.split(",") if part.strip()]
    if len(names) != 1 and not several:
        raise ConfigError(
            f"--env {text}: this command works in one environment at a time",
            hint=f"Run it once per environment (--env {known[0]}, ...); only `plan` and "
            "`validate` take several.",
        )
    for name in names:
        project.environment(name)  # an unknown one is refused, naming the known
    return list(dict.fromkeys(names))


ENV_VARIABLE = "RECONCILER_ENV"


def environments_of(
    project: ProjectConfig | FolderSettings, given: str | None, variables: Mapping[str, str]
) -> list[Environment | None]:
    """The environments ``--env`` (or ``RECONCILER_ENV``) chooses (``validate``: without
    one, the folder is checked as it is written)."""
    names = environment_names(project, given, several=True, required=False)
    return [
        chosen_with(project.environment(name), variables) if name is not None else None
        for name in names
    ]


def chosen_with(environment: Environment, given: Mapping[str, str]) -> Environment:
    values = {
        **environment.variables,
        **{k: v for k, v in given.items() if k in environment.variables},
    }
    return Environment(
        name=environment.name,
        host=environment.host,
        reporting_host=environment.reporting_host,
        api_key_id_env=environment.api_key_id_env,
        api_key_secret_env=environment.api_key_secret_env,
        state=environment.state,
        variables=values,
        renames=environment.renames,
    )


def local_cloud_of(project: ProjectConfig, environment: Environment) -> ProjectConfig:
    """Each environment on the embedded local Soda Cloud keeps its own data file."""
    data = str(project.cloud.data or DEFAULT_LOCAL_DATA)
    section = project.cloud.model_copy(update={"data": Path(derived_state(data, environment.name))})
    return project.model_copy(update={"cloud": section})


DEFAULT_LOCAL_DATA = ".reconciler/local-cloud.json"


def refuse_shared_state(project: ProjectConfig, environment: Environment) -> None:
    """Two environments never share a state: each keeps the records of its own Soda Cloud."""
    from reconciler.state.location import PostgresUrl

    mine = state_location(project, None, environment)
    for name in project.environments:
        if name != environment.name:
            theirs = state_location(project, None, project.environment(name))
            if theirs == mine and not isinstance(mine, PostgresUrl):
                raise ConfigError(
                    f"environments {environment.name} and {name} have the same state "
                    f"({mine.shown})",
                    hint="Give each environment its own `state:` (a PostgreSQL database "
                    "may be shared: it keeps one row per environment).",
                )


class Terminal:
    """The command line's listener: the folder's diagnostics and the lock's notes on stderr,
    waits to whatever shows progress at the moment."""

    def __init__(self) -> None:
        self.progress: TerminalProgress | LineProgress | None = None

    def folder_read(self, desired: DesiredState) -> None:
        from reconciler.render.diagnostics import render_text as render_diagnostics

        if desired.diagnostics:
            click.echo(render_diagnostics(desired), err=True, nl=False)

    def waiting(self, wait: Wait) -> None:
        if self.progress is not None:
            self.progress.wait(wait)
        else:
            print_wait(wait)

    def note(self, line: str) -> None:
        click.echo(line, err=True)
