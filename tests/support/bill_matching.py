"""Supplier-bill matching measured against its first version: a debit line as the matcher reads it, and the matcher
that searched a line's text for every open bill number (tests/test_bill_match_index.py, bench/bill_match.py)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from backoffice.services import bill_match
from backoffice.services.payables import OpenBill


@dataclass(frozen=True)
class Debit:
    amount: Decimal
    currency: str
    label: str
    reference: str
    counterpart: str


class EveryBill(bill_match.BillMatcher):
    """The first version: each line's text searched for each bill number in turn."""

    def numbered_in(self, squeezed: str) -> list[OpenBill]:
        return [b for number, bills in self.by_number.items() if len(number) >= 3 and number in squeezed for b in bills]
