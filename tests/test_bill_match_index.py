"""The supplier bills a debit line may pay are found by slicing the line's text to the lengths bill numbers have, not by
comparing it with every open bill: on random bills and lines (numbers inside words, spaced out, sharing prefixes,
several currencies) the suggestions are exactly those of comparing every bill number."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date
from decimal import Decimal

from backoffice.services import bill_match
from backoffice.services.bank_match import fold, name_words
from backoffice.services.payables import OpenBill

from .support.bill_matching import Debit, EveryBill


def bill(number: int, rng: random.Random) -> OpenBill:
    return OpenBill(
        bill_id=number,
        number=rng.choice(['F', 'FA-', 'INV ', '', 'B2026/']) + str(rng.randint(1, 400)),
        supplier_id=number % 7,
        supplier_name=rng.choice(['Imprimerie Zoé', 'Papeterie "L\'Atelier"', 'Transports <b>Dupont</b>', 'OVH']),
        iban='',
        bic='',
        currency=rng.choice(['EUR', 'EUR', 'EUR', 'USD']),
        issued_on=date(2026, 11, 1),
        due_on=date(2026, 12, 1),
        days_overdue=0,
        total=Decimal(rng.randint(1, 60)),
        open=Decimal(rng.randint(1, 60)),
        bucket='current',
        payment_sent_on=None,
    )


def test_suggestions_are_those_of_comparing_every_bill_number() -> None:
    rng = random.Random(11)
    bills = [bill(n, rng) for n in range(1, 600)]
    bills += [replace(b, bill_id=b.bill_id + 1000) for b in bills[:40]]  # the same number twice
    fast = bill_match.BillMatcher(bills, name_words, fold)
    slow = EveryBill(bills, name_words, fold)
    matched = 0
    for _ in range(400):
        named = rng.sample(bills, 2)
        label = rng.choice(['Virement {a}', 'PRLV {a} {b}', 'Facture n° {a}x', '{a}{b}', 'Paiement fournisseur'])
        line = Debit(
            amount=-Decimal(rng.randint(1, 60)),
            currency=rng.choice(['EUR', 'USD']),
            label=label.format(a=named[0].number, b=named[1].number.replace('-', ' ')),
            reference=rng.choice(['', named[1].number, 'REF 12']),
            counterpart=rng.choice(['', named[0].supplier_name, 'SARL Autre']),
        )
        expected = slow.candidates(line)
        assert fast.candidates(line) == expected, line
        matched += any('bill_number' in s['why'] for s in expected)
    assert matched > 100  # the lines do name bills
