"""Fitting a report into GitHub's size limit for comments and issue bodies: whole sections,
capped lists and bounded bullets."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

# GitHub refuses a comment or an issue body longer than this many characters.
GITHUB_TEXT_LIMIT = 65_536
# What the workflows in plan-examples/github-actions/ add around a report: the comment's
# marker line, and a footer naming the commit and the run (or a link to the run).
WORKFLOW_RESERVE = 1_024
# The most a markdown report holds, so that the workflow never has to cut it.
REPORT_LIMIT = GITHUB_TEXT_LIMIT - WORKFLOW_RESERVE
# The most items a list of warnings shows, and the most characters one bullet holds.
LIST_SHOWN = 25
BULLET_LIMIT = 600


def capped(lines: Iterable[str], total: int, *, prefix: str, most: int = LIST_SHOWN) -> list[str]:
    """The first ``most`` of ``total`` bullet lines, then ``- ... and N more``."""
    out = []
    for index, line in enumerate(lines):
        if index == most:
            out.append(f"{prefix}- ... and {total - most} more")
            break
        out.append(line)
    return out


def fit_sections(
    head: str, sections: Sequence[str], *, limit: int, left_out: Callable[[int], str]
) -> str:
    """``head`` then as many ``sections`` as fit in ``limit`` characters, in order; when some
    must go, ``left_out(count)`` says how many (room for it is always kept). Sections are
    kept or left out whole, so every one that is shown ends as it should; a head too long
    by itself loses whole lines from its end."""
    room = limit - len(left_out(len(sections))) if sections else limit
    if len(head) > room:
        head = head[: head.rfind("\n", 0, room) + 1]
    text = head
    for index, section in enumerate(sections):
        after = len(sections) - index - 1
        reserve = len(left_out(after)) if after else 0
        if len(text) + len(section) + reserve > limit:
            return text + left_out(len(sections) - index)
        text += section
    return text
