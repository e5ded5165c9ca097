"""Fitting a report into GitHub's size limit for comments and issue bodies."""

from __future__ import annotations

from collections.abc import Callable, Sequence

GITHUB_TEXT_LIMIT = 65_536


def fit_sections(
    head: str, sections: Sequence[str], *, limit: int, left_out: Callable[[int], str]
) -> str:
    """``head`` then as many ``sections`` as fit in ``limit`` characters, in order; when some
    must go, ``left_out(count)`` says how many (room for it is always kept)."""
    text = head
    for index, section in enumerate(sections):
        after = len(sections) - index - 1
        reserve = len(left_out(after)) if after else 0
        if len(text) + len(section) + reserve > limit:
            return (text + left_out(len(sections) - index))[:limit]
        text += section
    return text[:limit]
