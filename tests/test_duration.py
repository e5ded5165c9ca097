"""Durations as typed on the command line (``--lock-timeout``, ``--retry-timeout``): Terraform's
syntax, and a bare number of seconds."""

from __future__ import annotations

import pytest

from reconciler.duration import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("0", 0.0),
        ("0s", 0.0),
        ("30s", 30.0),
        ("5m", 300.0),
        ("1h", 3600.0),
        ("1m30s", 90.0),
        ("1h2m3s", 3723.0),
        ("500ms", 0.5),
        ("1.5m", 90.0),
        (" 2m ", 120.0),
        ("30", 30.0),
        ("2.5", 2.5),
    ],
)
def test_what_terraform_accepts_is_read_in_seconds(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    "text", ["", "5x", "-1s", "-5", "1m-5s", "s", "1 m", "five minutes", "nan", "inf"]
)
def test_anything_else_says_what_a_duration_looks_like(text: str) -> None:
    with pytest.raises(ValueError, match=r"e\.g\. 30s, 5m"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (0.5, "500ms"),
        (30, "30s"),
        (60, "1m"),
        (90, "1m30s"),
        (3600, "1h"),
        (3610, "1h10s"),
    ],
)
def test_a_duration_is_written_back_the_short_way(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text
    assert parse_duration(text) == pytest.approx(seconds)
