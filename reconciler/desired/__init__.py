"""The desired state: the folder of contract files, read safely, validated and fingerprinted.

Every ``*.yml`` / ``*.yaml`` below the folder is one contract, identified by its ``dataset``
(with ``${var.X}`` resolved). Directories whose name starts with a dot are not searched.
Besides each file's own diagnostics, the folder has two rules:

* ``duplicate-dataset``: two files with one dataset, an error on each naming the other;
* ``path-mismatch``: a file whose path does not mirror its dataset
  (``<root>/<datasource>/<prefixes...>/<table>.yml``): a warning, an error with ``strict``.

A stub file (only ``dataset:``, optionally ``columns: []``) is valid: it asks for a
generated skeleton (``DesiredContract.is_stub``).

Nothing here raises for a user's mistake: unreadable files, symbolic links that leave the
folder, directories named ``x.yml``, oversized or non-UTF-8 files are all diagnostics.
Large folders are analysed by several processes (the work per file is CPU-bound); with a
cache folder, only the files whose bytes are new are analysed at all.

    model     DesiredState, DesiredContract: the folder as values
    walk      finding the files and reading each one safely
    parallel  analysing many files in worker processes
    cache     what a file read before produced, found again by its bytes (parse cache)
    rules     the folder's rules (duplicate-dataset, path-mismatch)
    folder    load_desired: the three above, in order
"""

from reconciler.desired.folder import load_desired
from reconciler.desired.model import DesiredContract, DesiredState
from reconciler.desired.walk import is_stub_on_disk

__all__ = ["DesiredContract", "DesiredState", "is_stub_on_disk", "load_desired"]
