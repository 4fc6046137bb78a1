"""Customers and B2B companies in bulk, for the demo and for benchmarks at scale (core inserts, one transaction)."""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, text
from sqlmodel import Session, select

from backoffice.listing.search import search_index_suspended
from backoffice.models import Company, Customer

CHUNK = 10_000  # rows per executemany
BULK = 20_000  # from this many customers, rebuild the search index once instead of a trigger per row


@dataclass(frozen=True)
class Seeded:
    customers: int
    companies: int


def seed_customers(
    *, session: Session, customers: int, companies: int = 0, seed: int = 1, anchor: datetime | None = None
) -> Seeded:
    """Add `companies` B2B accounts and `customers` end users with plain bulk inserts, in one transaction.

    Sign-ups spread over the three years before `anchor` (default: the start of today, UTC), growing over time, and
    ids follow sign-up order as in a real table. Emails carry a running number, so they stay unique when seeding
    again into a database that already has customers. SQLite's search index follows through its triggers, or, from
    BULK customers on, is rebuilt once at the end of the load."""
    anchor = anchor or datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    rng = random.Random(seed)
    customers_table, companies_table = Customer.__table__, Company.__table__
    with big_page_cache(session):
        company_rows = list(_company_rows(rng, companies, anchor))
        first_company = (session.exec(select(func.max(Company.id))).one() or 0) + 1
        for chunk in _chunks(company_rows, CHUNK):
            session.execute(insert(companies_table), chunk)
        company_ids = list(session.exec(select(Company.id).where(Company.id >= first_company).order_by(Company.id)))
        domains = [_slug(row['name']) + '.example' for row in company_rows]
        start = session.exec(select(func.max(Customer.id))).one() or 0
        rows = _customer_rows(rng, customers, anchor, start, list(zip(company_ids, domains, strict=True)))
        bulk = customers >= BULK
        with search_index_suspended(session, 'customers') if bulk else nullcontext():
            for chunk in _chunks(rows, CHUNK):
                session.execute(insert(customers_table), chunk)
        if bulk:  # the planner's statistics, as a database that grew to this size would have them
            session.execute(text('ANALYZE customers'))
            session.execute(text('ANALYZE companies'))
    session.commit()
    return Seeded(customers=customers, companies=companies)


@contextmanager
def big_page_cache(session: Session) -> Iterator[None]:
    """On SQLite, a big page cache while loading: every chunk touches ten indexes and the search index."""
    connection = session.connection()
    if connection.dialect.name != 'sqlite':
        yield
        return
    previous = int(connection.exec_driver_sql('PRAGMA cache_size').scalar())
    connection.exec_driver_sql('PRAGMA cache_size = -262144')  # 256 MB, for this connection and transaction
    try:
        yield
    finally:
        connection.exec_driver_sql(f'PRAGMA cache_size = {previous}')


# --- what the rows look like ----------------------------------------------------------------------------------------

FIRST_NAMES = (
    'Anna',
    'Ben',
    'Clara',
    'David',
    'Emma',
    'Felix',
    'Greta',
    'Hannah',
    'Ivan',
    'Jonas',
    'Julia',
    'Karim',
    'Lena',
    'Lukas',
    'Maja',
    'Mateo',
    'Mia',
    'Noah',
    'Olivia',
    'Paul',
    'Quentin',
    'Rosa',
    'Sofia',
    'Theo',
    'Ugo',
    'Vera',
    'William',
    'Xenia',
    'Yusuf',
    'Zoë',
    'Amelia',
    'Ahmed',
    'Aiko',
    'Alejandro',
    'Amara',
    'Andrei',
    'Astrid',
    'Bruno',
    'Camille',
    'Chen',
    'Chiara',
    'Daniel',
    'Diego',
    'Elif',
    'Elena',
    'Emil',
    'Fatima',
    'Finn',
    'Gabriel',
    'Hugo',
    'Ines',
    'Isabel',
    'Jakob',
    'James',
    'Jana',
    'Javier',
    'Jin',
    'João',
    'Kai',
    'Katarzyna',
    'Leon',
    'Liam',
    'Lina',
    'Louis',
    'Lucía',
    'Malik',
    'Marie',
    'Marta',
    'Max',
    'Mohammed',
    'Nadia',
    'Nina',
    'Olga',
    'Omar',
    'Oscar',
    'Pablo',
    'Priya',
    'Rafael',
    'Ravi',
    'Sara',
    'Sebastian',
    'Simon',
    'Sven',
    'Tariq',
    'Tomás',
    'Valentina',
    'Victor',
    'Wei',
    'Yara',
    'Yuki',
    'Zeynep',
    'Adele',
    'Björn',
    'Chloé',
    'Dominik',
    'Eva',
    'Frida',
    'Henrik',
    'Ida',
    'Jasper',
    'Kenji',
    'Laura',
    'Magnus',
    'Noor',
    'Otto',
    'Pia',
    'Rania',
    'Selma',
    'Timo',
    'Ulla',
)
LAST_NAMES = (
    'Müller',
    'Schmidt',
    'Schneider',
    'Fischer',
    'Weber',
    'Meyer',
    'Wagner',
    'Becker',
    'Hoffmann',
    'Koch',
    'Richter',
    'Klein',
    'Wolf',
    'Neumann',
    'Schwarz',
    'Zimmermann',
    'Braun',
    'Krüger',
    'Hartmann',
    'Lange',
    'Smith',
    'Johnson',
    'Brown',
    'Taylor',
    'Wilson',
    'Davies',
    'Evans',
    'Thomas',
    'Roberts',
    'Walker',
    'Martin',
    'Bernard',
    'Dubois',
    'Durand',
    'Lefèvre',
    'Moreau',
    'Laurent',
    'Girard',
    'Rossi',
    'Russo',
    'Ferrari',
    'Esposito',
    'Bianchi',
    'Romano',
    'García',
    'Fernández',
    'González',
    'Rodríguez',
    'López',
    'Martínez',
    'Sánchez',
    'Pérez',
    'Silva',
    'Santos',
    'Oliveira',
    'Costa',
    'Pereira',
    'Jansen',
    'de Vries',
    'van Dijk',
    'Bakker',
    'Visser',
    'Nowak',
    'Kowalski',
    'Wiśniewski',
    'Novák',
    'Horvat',
    'Popescu',
    'Ivanova',
    'Petrov',
    'Nielsen',
    'Hansen',
    'Andersson',
    'Johansson',
    'Larsen',
    'Virtanen',
    'Korhonen',
    'Yılmaz',
    'Kaya',
    'Demir',
    'Haddad',
    'Khan',
    'Patel',
    'Sharma',
    'Singh',
    'Kumar',
    'Nguyen',
    'Tran',
    'Kim',
    'Lee',
    'Park',
    'Wang',
    'Li',
    'Zhang',
    'Liu',
    'Chen',
    'Sato',
    'Suzuki',
    'Takahashi',
    'Tanaka',
    'Okafor',
    'Mensah',
    'Adeyemi',
    'Mwangi',
    'Cohen',
    'Levi',
    "O'Brien",
    'Murphy',
    'Kelly',
    'MacDonald',
    'Campbell',
    'Stewart',
    'Ahmadi',
    'Hosseini',
    'Rahman',
    'Alves',
    'Ribeiro',
    'Carvalho',
)
PROVIDERS = ('example.com', 'example.net', 'example.org', 'mail.example', 'inbox.example', 'post.example')
COMPANY_WORDS = (
    'Nordwind',
    'Alpen',
    'Blue Harbor',
    'Copper',
    'Delta',
    'Evergreen',
    'Falcon',
    'Granite',
    'Helios',
    'Iris',
    'Juniper',
    'Kestrel',
    'Lighthouse',
    'Meridian',
    'Northstar',
    'Oakridge',
    'Pioneer',
    'Quarry',
    'Riverside',
    'Summit',
    'Tidewater',
    'Union',
    'Vantage',
    'Westwood',
    'Zenith',
    'Atlas',
    'Beacon',
    'Cobalt',
    'Driftwood',
    'Ember',
    'Fjord',
    'Harbor',
    'Ironbridge',
    'Lumen',
    'Maple',
    'Orbit',
    'Prism',
    'Redwood',
    'Silverline',
    'Vector',
)
COMPANY_TRADES = (
    'Logistics',
    'Bakery',
    'Studio',
    'Consulting',
    'Software',
    'Dental',
    'Architects',
    'Bikes',
    'Coffee',
    'Engineering',
    'Foods',
    'Gardens',
    'Health',
    'Interiors',
    'Labs',
    'Media',
    'Outfitters',
    'Pharma',
    'Robotics',
    'Solar',
    'Textiles',
    'Travel',
    'Wines',
    'Analytics',
    'Print',
    'Optics',
    'Tools',
    'Hotels',
    'Legal',
    'Events',
)
COMPANY_FORMS = ('GmbH', 'AG', 'Ltd', 'Inc.', 'SARL', 'S.L.', 'B.V.', 'AB', 'Oy', '& Co.', '', '')
VAT_PREFIXES = ('DE', 'AT', 'FR', 'NL', 'ES', 'IT', 'BE', 'SE', 'FI', 'IE')
PHONE_PREFIXES = (
    '+49 151',
    '+49 170',
    '+43 660',
    '+33 6',
    '+44 7700',
    '+34 612',
    '+39 320',
    '+31 6',
    '+1 415',
    '+46 70',
)
BAN_REASONS = (
    'Chargebacks on three orders; card reported stolen',
    'Abusive messages to the support team',
    'One of a batch of spam accounts created from the same address',
    'Reselling vouchers against the terms of use',
    'Repeated fake reviews after two warnings',
    'Payment fraud confirmed by the payment provider',
    'Harassment of other users in the community forum',
)
NOTES = (
    '',
    '',
    'Annual contract, invoiced in January.',
    'Prefers contact by email.',
    'Key account: escalate requests to Maria.',
    'Pays by bank transfer, 30 days.',
    'Trial until end of quarter.',
)

YEARS = 3
TERMS = (30, None, None, 15, None, None, 60, None, None)  # companies' payment terms, in turn


def _company_rows(rng: random.Random, count: int, anchor: datetime) -> Iterator[dict[str, Any]]:
    span = timedelta(days=365 * YEARS).total_seconds()
    for i in range(count):
        name = f'{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_TRADES)} {rng.choice(COMPANY_FORMS)}'.strip()
        created = anchor - timedelta(seconds=span * (1 - (i + rng.random()) / count))
        vat = f'{rng.choice(VAT_PREFIXES)}{rng.randrange(10**8, 10**9)}' if rng.random() < 0.7 else None
        yield {
            'name': name,
            'website': f'https://{_slug(name)}.example',
            'vat_number': vat,
            'notes': rng.choice(NOTES),
            # one company in three buys on terms (invoiced when it orders, pays within 15, 30 or 60 days); from its
            # index, not the random stream, so the rest of the shop stays as the seed made it before
            'payment_terms_days': TERMS[i % len(TERMS)],
            'created_at': created,
            'updated_at': created,
            'version': 1,
            'deleted_at': None,
        }


def _customer_rows(
    rng: random.Random, count: int, anchor: datetime, start: int, companies: list[tuple[int, str]]
) -> Iterator[dict[str, Any]]:
    span = timedelta(days=365 * YEARS).total_seconds()
    day = 86_400.0
    random_, choice, expovariate = rng.random, rng.choice, rng.expovariate
    for i in range(count):
        number = start + i + 1
        first, last = choice(FIRST_NAMES), choice(LAST_NAMES)
        company = choice(companies) if companies and random_() < 0.3 else None
        domain = company[1] if company else choice(PROVIDERS)
        email = f'{_email_part(first, last, random_())}{number}@{domain}'
        # more sign-ups lately: the density of sign-up times grows linearly over the three years
        age = span * (1 - ((i + random_()) / count) ** 0.5)
        signed_up = anchor - timedelta(seconds=age)
        roll = random_()
        status = 'active' if roll < 0.7 else 'unfinished' if roll < 0.9 else 'banned'
        if status == 'active':
            seen_ago = min(age, expovariate(1 / (4 * day)) if random_() < 0.8 else random_() * age)
            last_seen = None if random_() < 0.03 else anchor - timedelta(seconds=seen_ago)
        elif status == 'unfinished':
            last_seen = None if random_() < 0.8 else signed_up + timedelta(seconds=random_() * min(age, day))
        else:
            last_seen = signed_up + timedelta(seconds=random_() * age)
        banned_at = last_seen if status == 'banned' else None  # banned after their last visit
        yield {
            'email': email,
            'name': f'{first} {last}',
            'phone': f'{choice(PHONE_PREFIXES)} {rng.randrange(1_000_000, 9_999_999)}' if random_() < 0.55 else None,
            'status': status,
            'ban_reason': choice(BAN_REASONS) if banned_at else None,
            'company_id': company[0] if company else None,
            'marketing_consent': random_() < 0.4,
            'signed_up_at': signed_up,
            'last_seen_at': last_seen,
            'created_at': signed_up,
            'updated_at': banned_at or signed_up,
            'version': 2 if banned_at else 1,
            # about 1% in the trash, deleted within the last three weeks (before the purge job takes them)
            'deleted_at': anchor - timedelta(seconds=random_() * 21 * day) if random_() < 0.01 else None,
        }


def _email_part(first: str, last: str, roll: float) -> str:
    first, last = _ascii(first), _ascii(last)
    if roll < 0.4:
        return f'{first}.{last}'
    if roll < 0.6:
        return f'{first[0]}{last}'
    if roll < 0.75:
        return f'{first}_{last}'
    if roll < 0.9:
        return first
    return f'{last}.{first}'


def _ascii(text: str) -> str:
    folded = unicodedata.normalize('NFKD', text.replace('ß', 'ss')).encode('ascii', 'ignore').decode()
    return ''.join(c for c in folded.lower() if c.isalnum())


def _slug(name: str) -> str:
    words = [_ascii(word) for word in name.split()]
    return '-'.join(word for word in words if word)


def _chunks(rows: Any, size: int) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
