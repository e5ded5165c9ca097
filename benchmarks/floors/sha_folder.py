"""The floor of reading a folder: read and sha256 every contract file below DIR, no more.

python -m benchmarks.floors.sha_folder DIR
"""

from __future__ import annotations

import hashlib
import os
import sys


def main(root: str) -> int:
    count = 0
    for directory, dirnames, filenames in os.walk(root):
        dirnames[:] = [name for name in dirnames if not name.startswith(".")]
        for name in filenames:
            if name.endswith((".yml", ".yaml")):
                with open(os.path.join(directory, name), "rb") as file:
                    hashlib.sha256(file.read()).hexdigest()
                count += 1
    print(count)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
