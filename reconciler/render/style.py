"""Colours for a terminal: a style is a function of a text and its role (``create``,
``drift``, ``bold``...); :func:`plain` ignores roles, :func:`ansi` colours them."""

from __future__ import annotations

from collections.abc import Callable

Style = Callable[[str, str], str]


def plain(text: str, _: str) -> str:
    return text


def ansi(text: str, role: str) -> str:
    codes = {
        "create": "32",
        "skeleton": "36",
        "publish": "33",
        "breaking": "1;31",
        "drift": "1;31",
        "adopt": "34",
        "dim": "2",
        "bold": "1",
    }
    code = codes.get(role)
    return f"\x1b[{code}m{text}\x1b[0m" if code else text
