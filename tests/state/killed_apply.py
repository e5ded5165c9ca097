"""``reconciler apply`` killed with SIGKILL right after its N-th write, for N = 1, 2, ... until
a run ends on its own (for the journal's crash test).

Usage: ``python -m tests.state.killed_apply PROJECTS MOST``. ``PROJECTS`` holds one project
folder per N (``PROJECTS/<N>/contracts``; the state is ``PROJECTS/<N>/.reconciler/state.json``).
For each N, in project N: an apply is forked that kills itself as soon as its N-th ``fsync``
returns (every write of the state, of its journal and of its lock ends with one, so the
kills fall between every pair of writes, and inside a save); then the state is loaded here,
as the next command would; then a second apply is forked, left alone. One JSON line per N on
stdout: ``{"n", "killed", "loaded" (the error, or null), "journal" (one was left), "second"
(its exit code)}``; the last line is the run that ended on its own, or N = MOST.

Each run is forked from this process, which imported the reconciler once, so that a run costs
its own work only. This process never starts a thread before forking.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import traceback
from pathlib import Path
from typing import Any

# Imported here once, not by each forked run.
import reconciler.workflow  # noqa: F401
from reconciler.cli import main as reconciler_main
from reconciler.errors import ReconcilerError
from reconciler.state import StateStore, journal_path_for


def _kill_after_fsyncs(writes: int) -> None:
    real = os.fsync
    done = 0

    def fsync(fd: Any) -> None:
        nonlocal done
        real(fd)
        done += 1
        if done >= writes:
            os.kill(os.getpid(), signal.SIGKILL)

    os.fsync = fsync


def _apply(project: Path, log: str, *, kill_after: int | None) -> int:
    """Fork an apply in ``project``; its exit code, or minus the signal that ended it."""
    assert threading.active_count() == 1, "forking a process with threads is unsafe"
    pid = os.fork()
    if pid == 0:
        code = 70
        try:
            out = os.open(project / log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(out, 1)
            os.dup2(out, 2)
            os.chdir(project)
            if kill_after is not None:
                _kill_after_fsyncs(kill_after)
            # --engine off: the kills are counted in the state's writes; each forked apply
            # would import Soda's engine for its referee first (which has its own tests).
            args = ["apply", "--engine", "off", "--auto-approve", "--dir", "contracts"]
            reconciler_main.main(
                args=[*args, "--state", ".reconciler/state.json"], prog_name="reconciler"
            )
        except SystemExit as exit:
            code = exit.code if isinstance(exit.code, int) else 1
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


def _loaded(state_path: Path) -> str | None:
    try:
        StateStore(state_path).load()
    except ReconcilerError as error:
        return str(error)
    return None


def main(projects: Path, most: int) -> None:
    for n in range(1, most + 1):
        project = projects / str(n)
        state_path = project / ".reconciler" / "state.json"
        first = _apply(project, "first.log", kill_after=n)
        killed = first == -signal.SIGKILL
        line: dict[str, Any] = {"n": n, "killed": killed, "first": first}
        if killed:
            line["journal"] = journal_path_for(state_path).exists()
            line["loaded"] = _loaded(state_path)
            line["second"] = _apply(project, "second.log", kill_after=None)
        print(json.dumps(line), flush=True)
        if not killed:
            return


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]))
