"""``make demo`` (interim): the demo seed served, listed and one scan run to its end."""

from __future__ import annotations

import pytest

from reconciler import demo


def test_demo_lists_the_seeded_contracts_and_finishes_a_scan(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert demo.main() == 0
    out = capsys.readouterr().out
    assert "Contracts in the local Soda Cloud (2):" in out
    assert "warehouse/analytics/public/customers" in out
    assert "lakehouse/sales/gold/daily_revenue" in out
    # The demo seed scripts a warning for the dataset it verifies.
    assert out.rstrip().endswith("completedWithWarnings\n  0 failures, 1 warnings, 0 errors")
