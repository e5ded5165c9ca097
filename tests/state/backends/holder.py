"""Another runner, in its own process: it takes a state's lock and holds it.

Usage: ``python -m tests.state.backends.holder URL PROJECT ENVIRONMENT``. It prints
``locked <id>`` once it holds the lock, holds it until its standard input closes, releases
it and prints ``released``. Killed instead (SIGKILL), it releases nothing: what a cancelled
CI job leaves behind.
"""

from __future__ import annotations

import sys

from reconciler.state.backend import BackendLock, StateKey, open_backend
from reconciler.state.location import LocalPath, parse_location


def main(url: str, project: str, environment: str) -> None:
    location = parse_location(url)
    assert not isinstance(location, LocalPath)
    backend = open_backend(location, StateKey(project, environment))
    try:
        with BackendLock(backend, "apply") as lock:
            assert lock.info is not None
            sys.stdout.write(f"locked {lock.info.id}\n")
            sys.stdout.flush()
            sys.stdin.read()
        sys.stdout.write("released\n")
    finally:
        backend.close()


if __name__ == "__main__":
    main(*sys.argv[1:4])
