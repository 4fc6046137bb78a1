"""Suggestions for money paid out: the approved supplier bills a debit bank line may pay, ranked by the bill's number in
the label or reference, the supplier's IBAN or name in the counterpart, and the exact amount open (bank_match.py stores
them on the line and records the match)."""

from __future__ import annotations

import re
from collections import defaultdict
from decimal import Decimal
from typing import Any, Protocol

from backoffice.services.payables import OpenBill

SHOWN = 5
IBAN_LIKE = re.compile(r'[A-Z]{2}[0-9]{2}[A-Z0-9]{10,30}')


class DebitLine(Protocol):
    @property
    def amount(self) -> Decimal: ...
    @property
    def currency(self) -> str: ...
    @property
    def label(self) -> str: ...
    @property
    def reference(self) -> str: ...
    @property
    def counterpart(self) -> str: ...


class BillMatcher:
    """Open bills indexed once by number, amount open, IBAN and supplier name words."""

    def __init__(self, bills: list[OpenBill], words: Any, fold: Any) -> None:
        self.words, self.fold = words, fold
        self.by_number: dict[str, list[OpenBill]] = defaultdict(list)
        self.by_amount: dict[Decimal, list[OpenBill]] = defaultdict(list)
        self.by_iban: dict[str, list[OpenBill]] = defaultdict(list)
        self.names: dict[int, frozenset[str]] = {}
        self.by_word: dict[str, list[OpenBill]] = defaultdict(list)
        for bill in bills:
            compact = re.sub(r'\s+', '', fold(bill.number))
            self.by_number[compact].append(bill)
            self.by_amount[bill.open].append(bill)
            if bill.iban:
                self.by_iban[bill.iban.upper()].append(bill)
            self.names[bill.bill_id] = words(bill.supplier_name)
            for word in self.names[bill.bill_id]:
                self.by_word[word].append(bill)
        # a line's text is looked up by its slices of each length a bill number has (a few lengths), not compared
        # with every open bill: the cost of a line no longer grows with the number of bills
        self.number_lengths = sorted({len(number) for number in self.by_number if len(number) >= 3})

    def candidates(self, line: DebitLine) -> list[dict[str, Any]]:
        paid = -line.amount
        text = self.fold(f'{line.label} {line.reference} {line.counterpart}')
        squeezed = re.sub(r'\s+', '', text)
        words = self.words(f'{line.counterpart} {line.label}')
        found: dict[int, dict[str, Any]] = {}

        def add(bill: OpenBill, points: int, why: str) -> None:
            if bill.currency != line.currency:
                return
            entry = found.setdefault(
                bill.bill_id,
                {
                    'kind': 'bill',
                    'bill_id': bill.bill_id,
                    'number': bill.number,
                    'customer': bill.supplier_name,
                    'open': str(bill.open),
                    'currency': bill.currency,
                    'amount': str(min(paid, bill.open)),
                    'score': 0,
                    'why': [],
                },
            )
            if why not in entry['why']:
                entry['score'] += points
                entry['why'].append(why)

        for bill in self.numbered_in(squeezed):
            add(bill, 60, 'bill_number')
        for iban in IBAN_LIKE.findall(squeezed):
            for bill in self.by_iban.get(iban, ()):
                add(bill, 40, 'iban')
        for bill in self.by_amount.get(paid, ()):
            add(bill, 30, 'bill_amount')
        for bill_id, entry in found.items():
            if words & self.names[bill_id]:
                entry['score'] += 25
                entry['why'].append('supplier')
        for word in words:
            for bill in self.by_word.get(word, ()):
                if bill.bill_id not in found and bill.open >= paid:
                    add(bill, 20, 'supplier')
        ranked = [e for e in found.values() if Decimal(e['open']) >= paid or 'bill_number' in e['why']]
        ranked.sort(key=lambda e: (-e['score'], e['number']))
        return ranked[:SHOWN]

    def numbered_in(self, squeezed: str) -> list[OpenBill]:
        """The bills whose number (3 characters or more, spaces removed) appears in the line's squeezed text."""
        return [
            bill
            for length in self.number_lengths
            for start in range(len(squeezed) - length + 1)
            for bill in self.by_number.get(squeezed[start : start + length], ())
        ]
