"""Journal entries must balance before they are posted."""

from __future__ import annotations

from decimal import Decimal

import pytest

from consumers.finance import CASH, EXPENSE, PAYABLE, Unbalanced, check_balanced


def test_a_balanced_entry_passes() -> None:
    check_balanced([(PAYABLE, Decimal("40.00"), Decimal(0)), (CASH, Decimal(0), Decimal("40"))])


@pytest.mark.parametrize(
    "lines",
    [
        [(EXPENSE, Decimal("40.00"), Decimal(0)), (PAYABLE, Decimal(0), Decimal("39.99"))],
        [(EXPENSE, Decimal("40.00"), Decimal(0))],
        [(EXPENSE, Decimal(0), Decimal(0)), (PAYABLE, Decimal(0), Decimal(0))],
        [],
    ],
    ids=["debits above credits", "one side only", "zero", "no lines"],
)
def test_an_unbalanced_or_empty_entry_is_refused(lines: list[tuple[str, Decimal, Decimal]]) -> None:
    with pytest.raises(Unbalanced, match="debits"):
        check_balanced(lines)
