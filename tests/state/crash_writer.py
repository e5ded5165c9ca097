"""A run that saves the state in a loop until it is killed (for the crash test).

Usage: ``python -m tests.state.crash_writer STATE_PATH``. It reports its progress on stdout,
one line per step, so the test can kill it at a chosen point without sleeping:
``step <name>`` after each file-system call a save makes (write, fsync, link, replace), and
``saved <serial>`` once a save has returned. Killing after a random number of lines therefore
lands in every phase of a save, not only between saves.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from reconciler.state import StateStore
from tests.state.factories import dataset, record

STEPS = ("write", "fsync", "link", "replace")


def _say(line: str) -> None:
    # sys.stdout writes through its own file object, never through os.write.
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _reporting(name: str, call: Callable[..., Any]) -> Callable[..., Any]:
    def reported(*args: Any, **kwargs: Any) -> Any:
        result = call(*args, **kwargs)
        _say(f"step {name}")
        return result

    return reported


def main(path: Path) -> None:
    store = StateStore(path)
    with store.lock("crash test"):
        # Only the saves are reported: every kill lands in a save, not in taking the lock.
        for name in STEPS:
            setattr(os, name, _reporting(name, getattr(os, name)))
        state = store.load()
        step = state.serial
        while True:
            step += 1
            state = store.save(state.with_record(dataset(step % 1000), record(step)))
            _say(f"saved {state.serial}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
