"""``reconciler emulator serve``: run the local Soda Cloud in the foreground."""

from __future__ import annotations

import signal
from pathlib import Path
from types import FrameType

import click

from reconciler.clock import clock_for_scale
from reconciler.errors import ConfigError


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
    "--time-scale",
    type=click.FloatRange(min=0, min_open=True),
    default=1.0,
    show_default=True,
    help="Clock seconds per real second: scans, operations and rate-limit windows run faster.",
)
def serve(
    host: str, port: int, seed_path: Path | None, data_path: Path | None, time_scale: float
) -> None:
    """Serve the Soda Cloud API v1 and the Reporting API (/v1) until Ctrl-C."""
    # Imported here: the emulator is a separate wing, and every other command starts faster.
    from reconciler.emulator import DataFileError, EmulatorConfig, SeedError, load_seed
    from reconciler.emulator.server import bind_socket, serve_forever, url_of

    try:
        config = load_seed(seed_path) if seed_path else EmulatorConfig()
        key = config.admin_key()
    except SeedError as error:
        raise ConfigError(str(error), hint="Fix the seed file; the README documents it.") from None
    try:
        sock = bind_socket(host, port)
    except OSError as error:
        raise ConfigError(
            f"cannot listen on {host}:{port}: {error.strerror or error}",
            hint="Pick another port with --port (0 picks a free one).",
        ) from None
    url = url_of(sock)
    click.echo(f"Local Soda Cloud listening on {url}")
    click.echo(f"  Reporting API: {url}/v1")
    click.echo(f"  API key id: {key.id} (role {key.role}; its secret is in the seed or the README)")
    if data_path:
        click.echo(f"  Data file: {data_path}")
    if time_scale != 1:
        click.echo(f"  Time scale: {time_scale:g} clock seconds per second")
    click.echo("Press Ctrl-C to stop.", nl=True)
    # uvicorn re-raises the signal that stopped it once it has shut down; make SIGTERM as
    # quiet as Ctrl-C.
    previous = signal.signal(signal.SIGTERM, _ignore)
    try:
        serve_forever(config, sock=sock, clock=clock_for_scale(time_scale), data_file=data_path)
    except DataFileError as error:
        raise ConfigError(str(error)) from None
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        sock.close()
    click.echo("Stopped.")


def _ignore(signum: int, frame: FrameType | None) -> None:
    """Stand-in handler: uvicorn's own handler did the stopping."""
