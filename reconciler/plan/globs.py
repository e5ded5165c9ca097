"""Dataset globs (``--target``, ``--exclude``, ``import GLOB``): paths, not plain strings.

A dataset name is a path of ``/``-separated parts (``datasource/db/schema/table``), and a glob
reads it as one:

- ``*`` matches any run of characters within one part, ``?`` one character within a part;
- ``**`` matches across parts: ``warehouse/**`` is every dataset below ``warehouse/``, and
  ``**/orders`` an ``orders`` table at any depth (``**/`` also matches no part at all);
- ``[abc]``, ``[a-z]`` and ``[!abc]`` (or ``[^abc]``) match one character of a class, never a
  ``/``; a ``[`` without its ``]`` is itself.

Everything else matches itself, case-sensitively, and a glob matches the whole name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class DatasetFilter:
    """``--target GLOB`` (any matches; none given: all) and ``--exclude GLOB`` (none matches).

    Globs read names as paths (above): ``*`` stays within one part, ``**`` crosses them."""

    targets: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()

    def __call__(self, dataset: str) -> bool:
        if self.targets and not any(glob_matches(g, dataset) for g in self.targets):
            return False
        return not any(glob_matches(g, dataset) for g in self.excludes)


def glob_matches(glob: str, dataset: str) -> bool:
    """Whether ``dataset`` matches ``glob``."""
    return _compiled(glob).fullmatch(dataset) is not None


@lru_cache(maxsize=256)
def _compiled(glob: str) -> re.Pattern[str]:
    return re.compile(glob_regex(glob))


def glob_regex(glob: str) -> str:
    """The regular expression (for ``fullmatch``) that ``glob`` stands for."""
    out: list[str] = []
    at, size = 0, len(glob)
    while at < size:
        ch = glob[at]
        if glob.startswith("**", at):
            end = at + 2
            while end < size and glob[end] == "*":
                end += 1  # three or more stars are two
            whole_part = (at == 0 or glob[at - 1] == "/") and (end == size or glob[end] == "/")
            if whole_part and end < size:
                out.append("(?:.*/)?")  # `**/`: no part, or any parts
                end += 1
            else:
                out.append(".*")
            at = end
        elif ch == "*":
            out.append("[^/]*")
            at += 1
        elif ch == "?":
            out.append("[^/]")
            at += 1
        elif ch == "[":
            klass, at = _class(glob, at)
            out.append(klass)
        else:
            out.append(re.escape(ch))
            at += 1
    return "".join(out)


def _class(glob: str, start: int) -> tuple[str, int]:
    """A ``[...]`` class at ``start`` as a regex class and the index after it; a ``[`` with no
    closing ``]`` is a literal ``[``."""
    at = start + 1
    negate = at < len(glob) and glob[at] in "!^"
    if negate:
        at += 1
    first = at
    if at < len(glob) and glob[at] == "]":
        at += 1  # a `]` first in the class is one of its characters
    while at < len(glob) and glob[at] != "]":
        at += 1
    if at >= len(glob):
        return re.escape("["), start + 1
    members = glob[first:at].replace("\\", "\\\\").replace("^", "\\^").replace("[", "\\[")
    members = members.replace("]", "\\]")
    # A class never matches the separator, negated or not.
    klass = f"[^/{members}]" if negate else f"(?!/)[{members}]"
    return klass, at + 1
