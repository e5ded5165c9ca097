"""Run one command and print its wall time, CPU time and peak memory as JSON.

    python -m benchmarks.measure CWD COMMAND...

A process's peak memory (``ru_maxrss``) includes what it held before it started the command
(the copy of its parent a fork makes), so the bench starts every measured command from this
small interpreter, whose own footprint is below any command's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time


def main(cwd: str, command: list[str]) -> int:
    with open(os.devnull, "wb") as quiet:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, stdout=quiet, stderr=subprocess.PIPE)
        assert process.stderr is not None
        errors = process.stderr.read()
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    figures = {
        "code": code,
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "peak_mib": usage.ru_maxrss / 1024,
        "errors": errors.decode("utf-8", "replace")[-2000:],
    }
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
