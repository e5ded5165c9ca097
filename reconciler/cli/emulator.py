"""``reconciler emulator serve``: run the local Soda Cloud in the foreground."""

from __future__ import annotations

import signal
import socket
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import click

from reconciler.cli.options import parse_variables, var_option
from reconciler.errors import ConfigError, ContractsInvalid

if TYPE_CHECKING:
    from reconciler.emulator import EmulatorConfig
    from reconciler.emulator.seed import ApiKey
    from reconciler.emulator.service import Emulator


@click.group("emulator")
def emulator() -> None:
    """A local Soda Cloud for demos, tests and CI (not Soda's service)."""


@emulator.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", default=8555, show_default=True, type=int, help="Port (0 picks a free one)."
)
@click.option(
    "--seed",
    "seed_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Seed YAML: api keys, datasets, contracts, scan outcomes (see the README).",
)
@click.option(
    "--data",
    "data_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Keep everything in this JSON file so it survives a restart (default: memory).",
)
@click.option(
    "--datasets-from",
    "datasets_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="A contracts folder: Soda Cloud also knows each of its datasets (connected, with the "
    "columns its file names), as the `local` host does.",
)
@var_option
@click.option(
    "--time-scale",
    type=click.FloatRange(min=0, min_open=True),
    default=1.0,
    show_default=True,
    help="Clock seconds per real second: scans, operations and rate-limit windows run faster. "
    "Clients need the same (RECONCILER_TIME_SCALE).",
)
def serve(
    host: str,
    port: int,
    seed_path: Path | None,
    data_path: Path | None,
    datasets_dir: Path | None,
    variables: tuple[str, ...],
    time_scale: float,
) -> None:
    """Serve the Soda Cloud API v1 and the Reporting API (/v1) until Ctrl-C."""
    from reconciler.cloud.settings import ENV_TIME_SCALE
    from reconciler.emulator.server import url_of  # the emulator is a wing: loaded on demand

    config, key, seeded = _seed(seed_path)
    if datasets_dir is not None:
        config = _with_folder_datasets(config, datasets_dir, variables)
    emulator = _emulator(config, time_scale, data_path)
    sock = _listening(host, port)
    url = url_of(sock)
    click.echo(f"Local Soda Cloud listening on {url}")
    click.echo(f"  Reporting API: {url}/v1")
    click.echo(f"  API key id: {key.id} (role {key.role}; its secret is in the seed or the README)")
    if data_path:
        click.echo(f"  Data file: {data_path}")
    if datasets_dir is not None:
        added = len(config.datasets) - seeded
        click.echo("  " + _folder_datasets_line(datasets_dir, seeded, added, data_path))
    for line in _agent_lines(emulator):
        click.echo(f"  {line}")
    if time_scale != 1:
        click.echo(f"  Time scale: {time_scale:g} clock seconds per second; clients need the same:")
        click.echo(f"    export {ENV_TIME_SCALE}={time_scale:g}")
    click.echo("Press Ctrl-C to stop.", nl=True)
    _serve_until_stopped(emulator, sock)
    click.echo("Stopped.")


def _seed(seed_path: Path | None) -> tuple[EmulatorConfig, ApiKey, int]:
    """The seed (or an empty one), its admin key and how many datasets it names."""
    # Imported here: the emulator is a separate wing, and every other command starts faster.
    from reconciler.emulator import EmulatorConfig, SeedError, load_seed

    try:
        config = load_seed(seed_path) if seed_path else EmulatorConfig()
        key = config.admin_key()
    except SeedError as error:
        raise ConfigError(str(error), hint="Fix the seed file; the README documents it.") from None
    return config, key, len(config.datasets)


def _listening(host: str, port: int) -> socket.socket:
    from reconciler.emulator.server import bind_socket

    try:
        return bind_socket(host, port)
    except OSError as error:
        raise ConfigError(
            f"cannot listen on {host}:{port}: {error.strerror or error}",
            hint="Pick another port with --port (0 picks a free one).",
        ) from None


def _emulator(config: EmulatorConfig, time_scale: float, data_path: Path | None) -> Emulator:
    """The local Soda Cloud of ``config``; its data sources' catalogs are read here, before
    anything is served."""
    from reconciler.clock import clock_for_scale
    from reconciler.emulator import DataFileError, SeedError
    from reconciler.emulator.service import Emulator

    try:
        return Emulator(config, clock=clock_for_scale(time_scale), data_file=data_path)
    except SeedError as error:
        raise ConfigError(str(error), hint="Fix the seed file; the README documents it.") from None
    except DataFileError as error:
        raise ConfigError(str(error)) from None


def _serve_until_stopped(emulator: Emulator, sock: socket.socket) -> None:
    from reconciler.emulator.server import serve_forever

    # uvicorn re-raises the signal that stopped it once it has shut down; make SIGTERM as
    # quiet as Ctrl-C.
    previous = signal.signal(signal.SIGTERM, _ignore)
    try:
        serve_forever(emulator, sock=sock)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        sock.close()


def _with_folder_datasets(
    config: EmulatorConfig, folder: Path, variables: tuple[str, ...]
) -> EmulatorConfig:
    """The seed, also knowing the datasets of a valid contracts folder (its files' errors,
    if any, are shown and nothing is served)."""
    from reconciler.cloud.local import with_datasets_of
    from reconciler.desired import load_desired
    from reconciler.render.diagnostics import render_text as render_diagnostics
    from reconciler.workflow.session import documents_of

    desired = load_desired(folder, variables=parse_variables(variables))
    if desired.diagnostics:
        click.echo(render_diagnostics(desired), err=True, nl=False)
    if not desired.ok:
        raise ContractsInvalid(
            f"{desired.error_count} error{'s' if desired.error_count != 1 else ''} in {folder}: "
            "the local Soda Cloud did not start",
            hint="Fix the errors above (`reconciler validate` lists them), then serve again.",
        )
    return with_datasets_of(config, documents_of(desired))


def _folder_datasets_line(folder: Path, seeded: int, added: int, data_path: Path | None) -> str:
    if data_path is not None and data_path.exists():
        # As for the seed, a data file that exists wins; a reset starts from seed and folder.
        return (
            f"Datasets of {folder}: not added, {data_path} exists and keeps its own "
            "(POST /_emulator/reset starts again from the seed and the folder)"
        )
    if seeded:
        return f"Datasets: {seeded} from the seed, {added} more from {folder}"
    return f"Datasets: {added} from {folder}"


def _agent_lines(emulator: Emulator) -> list[str]:
    """One line per seeded data source: what its catalog gave, or why it was not read."""
    if emulator.agent is None:
        return []
    found = {discovery.data_source: discovery for discovery in emulator.agent.discoveries}
    lines = []
    for source in emulator.agent.sources.values():
        discovery = found.get(source.name)
        if discovery is None:
            what = "its datasets come from the data file"
        elif discovery.not_checked is not None:
            what = f"not reached ({discovery.not_checked.reason}); its tables are not datasets"
        else:
            count = len(discovery.datasets)
            what = f"{count} dataset{'s' if count != 1 else ''}"
        lines.append(
            f"Data source {source.name} ({source.type}): {what}; its scans run Soda's engine"
        )
    return lines


def _ignore(signum: int, frame: FrameType | None) -> None:
    """Stand-in handler: uvicorn's own handler did the stopping."""
