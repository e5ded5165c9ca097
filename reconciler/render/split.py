"""A markdown report spread over several comments when one cannot hold it, as Atlantis does
for Terraform plans: whole sections in order, every one of them in some part, none cut.

A part is ``title(n, total)``, then (in the first part only) the report's head, then the
sections that fit, then ``onward(n, total)`` when a part follows. Sections are never cut:
a fence or a ``<details>`` always ends in the part it starts in, so every part renders as
well-formed markdown by itself. A section that could not fit even alone in a part must be
made smaller by its renderer before (:func:`section_room` says how large it may be).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

# Part numbers are unknown until the packing is done: room is kept for this many digits.
_NUMBER = 9_999

Words = Callable[[int, int], str]


def section_room(limit: int, title: Words, onward: Words) -> int:
    """The most characters one section may hold: what a part has left after its title and
    the note that points onward."""
    return limit - _reserve(title, onward)


def split_sections(
    head: str,
    sections: Sequence[str],
    *,
    limit: int,
    title: Words,
    onward: Words,
) -> tuple[str, ...]:
    """``head`` and ``sections`` packed, in order, into parts of at most ``limit``
    characters each. One part when everything fits (``title(1, 1)`` then all of it)."""
    room = section_room(limit, title, onward)
    if len(head) > room:  # a head too long by itself loses whole lines from its end
        head = head[: head.rfind("\n", 0, room) + 1]
    oversized = [len(s) for s in sections if len(s) > room]
    if oversized:
        raise ValueError(f"a section of {oversized[0]} characters exceeds a part's {room}")
    bodies: list[str] = [head]
    for section in sections:
        if len(bodies[-1]) + len(section) > room:
            bodies.append("")
        bodies[-1] += section
    total = len(bodies)
    return tuple(
        title(n, total) + body + (onward(n, total) if n < total else "")
        for n, body in enumerate(bodies, start=1)
    )


def _reserve(title: Words, onward: Words) -> int:
    return max(len(title(1, 1)), len(title(_NUMBER, _NUMBER))) + len(onward(_NUMBER, _NUMBER))
