"""The floor of starting a command: an interpreter that imports the named modules, no more.

python -m benchmarks.floors.imports click yaml
"""

from __future__ import annotations

import importlib
import sys

if __name__ == "__main__":
    for name in sys.argv[1:]:
        importlib.import_module(name)
