"""The folder's own rules, over every file at once.

* ``duplicate-dataset``: two files with one dataset, an error on each naming the other;
* ``path-mismatch``: a file whose path does not mirror its dataset
  (``<root>/<datasource>/<prefixes...>/<table>.yml``): a warning, an error with ``strict``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from reconciler.contract.diagnostics import Diagnostic
from reconciler.contract.names import name_error, shown
from reconciler.contract.parsed import ParsedContract
from reconciler.desired.walk import SUFFIXES, Found, join


def folder_rules(
    found: Iterable[Found],
    parsed: Iterable[ParsedContract],
    display_root: str,
    strict: bool,
) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    by_dataset: dict[str, list[tuple[Found, ParsedContract]]] = {}
    for item, result in zip(found, parsed, strict=True):
        if result.dataset is None:
            continue
        by_dataset.setdefault(result.dataset, []).append((item, result))
        if "${" in result.dataset:
            continue  # reported on its own; no path can mirror such a name
        expected = [result.dataset + suffix for suffix in SUFFIXES]
        # A name's own check is dear (every character's script): only for a mismatch.
        if item.relative not in expected and name_error(result.dataset) is None:
            stem_suffix = Path(item.relative).suffix
            line, col = result.dataset_position
            out.append(
                Diagnostic(
                    item.display,
                    line,
                    col,
                    "error" if strict else "warning",
                    "path-mismatch",
                    f"the file path does not mirror dataset '{shown(result.dataset)}'; expected "
                    f"{shown(join(display_root, result.dataset + stem_suffix))}",
                    "Move the file (or correct `dataset:`), so a reader can find a contract "
                    "by its dataset name.",
                )
            )
    for dataset, files in by_dataset.items():
        if len(files) < 2:
            continue
        for item, result in files:
            others = ", ".join(
                f"{other.display}:{other_result.dataset_position[0]}"
                for other, other_result in files
                if other is not item
            )
            line, col = result.dataset_position
            out.append(
                Diagnostic(
                    item.display,
                    line,
                    col,
                    "error",
                    "duplicate-dataset",
                    f"dataset '{shown(dataset)}' is also described by {others}",
                    "Keep one contract per dataset: merge the files or correct `dataset:`.",
                )
            )
    return out
