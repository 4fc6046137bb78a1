"""Benchmark of the supplier-bill suggestions for money paid out: seeded open bills and debit lines (most naming a
bill), each line's candidates found by the matcher of bank imports, against comparing the line with every bill number
(the first version). Prints milliseconds per 1,000 lines at each number of open bills."""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backoffice.services import bill_match  # noqa: E402
from backoffice.services.bank_match import fold, name_words  # noqa: E402
from backoffice.services.payables import OpenBill  # noqa: E402
from tests.support.bill_matching import Debit, EveryBill  # noqa: E402


def bills(count: int, rng: random.Random) -> list[OpenBill]:
    letters = 'BCDFGKLMNPRSTVZ'
    names = [''.join(rng.choice(letters) + rng.choice('AEIOU') for _ in range(4)) + ' SARL' for _ in range(200)]
    return [
        OpenBill(
            bill_id=n,
            number=f'{rng.choice(["F", "FA-", "INV", "B2026/"])}{rng.randint(1, count * 3)}',
            supplier_id=n % 200,
            supplier_name=rng.choice(names),
            iban='',
            bic='',
            currency='EUR',
            issued_on=date(2026, 11, 1),
            due_on=date(2026, 12, 1),
            days_overdue=0,
            total=Decimal(rng.randint(1, 900)),
            open=Decimal(rng.randint(1, 900)),
            bucket='current',
            payment_sent_on=None,
        )
        for n in range(count)
    ]


def lines(open_bills: list[OpenBill], count: int, rng: random.Random) -> list[Debit]:
    made = []
    for _ in range(count):
        named = rng.choice(open_bills)
        label = rng.choice([f'VIR SEPA {named.number}', 'PRLV EDF CONTRAT 123', f'FACTURE {named.number} NOV'])
        made.append(Debit(-Decimal(rng.randint(1, 900)), 'EUR', label, '', named.supplier_name))
    return made


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--lines', type=int, default=1_000)
    parser.add_argument('--bills', type=int, nargs='*', default=[100, 1_000, 10_000])
    parser.add_argument('--seed', type=int, default=1)
    args = parser.parse_args()
    print('open bills | index, ms per 1,000 lines | every bill, ms per 1,000 lines')
    for count in args.bills:
        rng = random.Random(args.seed)
        open_bills = bills(count, rng)
        debit = lines(open_bills, args.lines, rng)
        timings = []
        for matcher in (bill_match.BillMatcher, EveryBill):
            built = matcher(open_bills, name_words, fold)
            start = time.perf_counter()
            for line in debit:
                built.candidates(line)
            timings.append((time.perf_counter() - start) * 1000 * 1000 / args.lines)
        print(f'{count:>10,} | {timings[0]:>10.1f} | {timings[1]:>10.1f}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
