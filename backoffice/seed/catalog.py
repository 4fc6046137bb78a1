"""Demo catalogue: a small coffee roaster's categories, products and services, the same for the same random seed."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlmodel import Session, select

from backoffice.models import Category, Product


@dataclass(frozen=True)
class SeededCatalog:
    categories: int
    products: int


def seed_catalog(session: Session, rng: random.Random) -> SeededCatalog:
    """Add ~10 categories (some nested) and ~120 products in one transaction; nothing when a catalogue exists.

    No audit entries, as for the other demo data: the history of a record starts with its first real change."""
    if session.exec(select(Category.id)).first() is not None or session.exec(select(Product.id)).first() is not None:
        return SeededCatalog(0, 0)
    ids: dict[str, int] = {}
    for name, parent, description in CATEGORIES:
        category = Category(name=name, parent_id=ids[parent] if parent else None, description=description)
        session.add(category)
        session.flush()  # its id, for the subcategories that follow
        ids[name] = category.id
    products = []
    for row in _product_rows(rng):
        category = row.pop('category')
        products.append(Product(**row, category_id=ids[category] if category else None))
    session.add_all(products)
    session.commit()
    return SeededCatalog(len(ids), len(products))


# --- what the catalogue holds ---------------------------------------------------------------------------------------

CATEGORIES: tuple[tuple[str, str | None, str], ...] = (  # name, parent, description (parents come first)
    ('Coffee', None, 'Our roasts, from single origins to house blends.'),
    ('Whole beans', 'Coffee', 'Roasted weekly; grind just before brewing.'),
    ('Ground coffee', 'Coffee', 'Ground to order for filter, French press or espresso.'),
    ('Capsules', 'Coffee', 'Compostable capsules for Nespresso® Original machines.'),
    ('Equipment', None, 'Grinders, brewers and machines we use ourselves.'),
    ('Grinders', 'Equipment', ''),
    ('Brewers', 'Equipment', 'Pour-over, immersion and espresso.'),
    ('Accessories', None, 'Scales, kettles, filters and care products.'),
    ('Services', None, 'Courses and maintenance for homes and offices.'),
    ('Workshops', 'Services', 'Small groups of up to eight, at the roastery.'),
    ('Maintenance plans', 'Services', 'Descaling, servicing and spare parts, billed yearly.'),
)

ORIGINS = (
    ('ETH', 'Ethiopia Yirgacheffe', 'jasmine, bergamot, stone fruit'),
    ('COL', 'Colombia Huila', 'red apple, panela, cocoa'),
    ('BRA', 'Brazil Cerrado', 'hazelnut, milk chocolate'),
    ('GUA', 'Guatemala Antigua', 'toffee, orange, spice'),
    ('KEN', 'Kenya Nyeri', 'blackcurrant, grapefruit'),
    ('SUM', 'Sumatra Mandheling', 'cedar, dark chocolate, earthy'),
    ('CRI', 'Costa Rica Tarrazú', 'honey, apricot'),
    ('RWA', 'Rwanda Nyamasheke', 'red berries, black tea'),
    ('PER', 'Peru Cajamarca', 'caramel, almond'),
    ('HON', 'Honduras Marcala', 'plum, brown sugar'),
)
BEAN_SIZES = (('250', '250 g', Decimal('8.90')), ('500', '500 g', Decimal('16.50')), ('1K', '1 kg', Decimal('29.90')))
GRIND_SIZES = (('250', '250 g', Decimal('9.20')), ('500', '500 g', Decimal('16.90')))
GRINDS = ('filter', 'espresso', 'French press')
CAPSULE_BLENDS = (
    ('ESPF', 'Espresso Forte'),
    ('LUNC', 'Lungo Classico'),
    ('DECI', 'Decaf Intenso'),
    ('RIST', 'Ristretto'),
    ('VANC', 'Vanilla Crema'),
    ('CARA', 'Caramel Swirl'),
    ('ORGB', 'Organic House Blend'),
)
CAPSULE_PACKS = (('10', '10 capsules', Decimal('4.20')), ('50', '50 capsules', Decimal('19.50')))
GRINDERS = (
    ('GRND-HAND-C40', 'Hand grinder C40', Decimal('249.00')),
    ('GRND-HAND-TRV', 'Travel hand grinder', Decimal('89.00')),
    ('GRND-BURR-64', 'Flat burr grinder 64 mm', Decimal('649.00')),
    ('GRND-BURR-54', 'Flat burr grinder 54 mm', Decimal('399.00')),
    ('GRND-CONE-40', 'Conical burr grinder 40 mm', Decimal('179.00')),
    ('GRND-SD-83', 'Single-dose grinder 83 mm', Decimal('1190.00')),
    ('GRND-ESP-HOME', 'Espresso grinder Home', Decimal('329.00')),
    ('GRND-ESP-PRO', 'Espresso grinder Pro', Decimal('899.00')),
)
BREWERS = (
    ('BREW-V60-01', 'Pour-over dripper size 01, ceramic', Decimal('24.00')),
    ('BREW-V60-02', 'Pour-over dripper size 02, ceramic', Decimal('27.00')),
    ('BREW-V60-02P', 'Pour-over dripper size 02, plastic', Decimal('9.50')),
    ('BREW-FP-035', 'French press 0.35 l', Decimal('29.00')),
    ('BREW-FP-100', 'French press 1 l', Decimal('39.00')),
    ('BREW-MOKA-3', 'Moka pot, 3 cups', Decimal('32.00')),
    ('BREW-MOKA-6', 'Moka pot, 6 cups', Decimal('42.00')),
    ('BREW-AERO', 'Immersion press with 350 filters', Decimal('44.90')),
    ('BREW-CHEM-6', 'Glass pour-over carafe, 6 cups', Decimal('49.00')),
    ('BREW-COLD-1L', 'Cold brew bottle 1 l', Decimal('34.00')),
    ('BREW-BATCH-8', 'Batch filter brewer, 8 cups', Decimal('219.00')),
    ('BREW-ESP-DUO', 'Dual-boiler espresso machine', Decimal('1890.00')),
    ('BREW-ESP-ONE', 'Single-boiler espresso machine', Decimal('749.00')),
    ('BREW-SIPH', 'Vacuum siphon brewer, 5 cups', Decimal('89.00')),
)
ACCESSORIES = (
    ('ACC-SCALE-T', 'Brewing scale with timer', Decimal('59.00')),
    ('ACC-SCALE-E', 'Espresso scale, 0.1 g', Decimal('79.00')),
    ('ACC-KETTLE-1L', 'Gooseneck kettle 1 l', Decimal('69.00')),
    ('ACC-KETTLE-E', 'Electric gooseneck kettle with thermostat', Decimal('139.00')),
    ('ACC-FILT-01', 'Paper filters size 01 (100)', Decimal('5.90')),
    ('ACC-FILT-02', 'Paper filters size 02 (100)', Decimal('6.50')),
    ('ACC-FILT-CH', 'Bonded paper filters for carafes (100)', Decimal('11.90')),
    ('ACC-TAMP-58', 'Tamper 58 mm, walnut handle', Decimal('45.00')),
    ('ACC-TAMP-54', 'Tamper 54 mm', Decimal('29.00')),
    ('ACC-DIST-58', 'Distribution tool 58 mm', Decimal('39.00')),
    ('ACC-KNOCK', 'Knock box', Decimal('27.00')),
    ('ACC-CLEAN-50', 'Espresso machine cleaning tablets (50)', Decimal('14.90')),
    ('ACC-DESC-1L', 'Descaler 1 l', Decimal('12.90')),
    ('ACC-CAN-500', 'Vacuum canister 500 g', Decimal('34.00')),
    ('ACC-CUP-CAP', 'Cappuccino cups, set of 2', Decimal('24.00')),
    ('ACC-CUP-ESP', 'Espresso cups, set of 2', Decimal('19.00')),
    ('ACC-THERM-SV', 'Server with lid 600 ml', Decimal('22.00')),
)
JUG_SIZES = (('350', '350 ml', Decimal('19.00')), ('600', '600 ml', Decimal('24.00')))
JUG_FINISHES = (('ST', 'steel'), ('BK', 'matte black'), ('WH', 'white'))
WORKSHOPS = (
    ('WS-LATTE', 'Latte art workshop (3 h)', Decimal('89.00')),
    ('WS-HOME', 'Home barista course (1 day)', Decimal('189.00')),
    ('WS-CUPPING', 'Cupping session (2 h)', Decimal('35.00')),
    ('WS-BREW', 'Brewing basics (2 h)', Decimal('49.00')),
    ('WS-ROAST', 'Roasting introduction (4 h)', Decimal('129.00')),
    ('WS-TEAM', 'Team coffee training at your office (half day)', Decimal('690.00')),
    ('WS-GIFT-50', 'Workshop gift card 50', Decimal('50.00')),
    ('WS-GIFT-100', 'Workshop gift card 100', Decimal('100.00')),
)
PLANS = (
    ('PLAN-HOME', 'Home maintenance plan (12 months)', Decimal('119.00')),
    ('PLAN-HOME-PLUS', 'Home maintenance plan Plus (12 months)', Decimal('199.00')),
    ('PLAN-OFFICE-S', 'Office plan S: one machine (12 months)', Decimal('490.00')),
    ('PLAN-OFFICE-M', 'Office plan M: up to three machines (12 months)', Decimal('1290.00')),
    ('PLAN-GRINDER', 'Grinder service: burr check and calibration', Decimal('59.00')),
    ('PLAN-REPAIR', 'Repair diagnosis (credited against the repair)', Decimal('45.00')),
)
OTHER_CURRENCIES = ('CHF', 'GBP', 'USD')  # a few listings for the Swiss, UK and US shops


def _product_rows(rng: random.Random) -> Iterator[dict[str, Any]]:
    for code, origin, notes in ORIGINS:
        for size_code, size, base in BEAN_SIZES:
            yield _row(
                rng,
                f'BEAN-{code}-{size_code}',
                f'{origin}, whole beans, {size}',
                'Whole beans',
                base + _jitter(rng, 3),
                f'Single origin. Tasting notes: *{notes}*.',
            )
    for code, origin, notes in ORIGINS:
        for size_code, size, base in GRIND_SIZES:
            grind = rng.choice(GRINDS)
            yield _row(
                rng,
                f'GRND-{code}-{size_code}',
                f'{origin}, ground for {grind}, {size}',
                'Ground coffee',
                base + _jitter(rng, 3),
                f'Ground for **{grind}**. Tasting notes: *{notes}*.',
            )
    for code, blend in CAPSULE_BLENDS:
        for pack_code, pack, base in CAPSULE_PACKS:
            yield _row(
                rng,
                f'CAPS-{code}-{pack_code}',
                f'{blend} capsules, {pack}',
                'Capsules',
                base,
                'Compostable; fits Nespresso® Original machines.',
            )
    for sku, name, price in GRINDERS:
        yield _row(rng, sku, name, 'Grinders', price, '- Adjustable grind size\n- Two-year warranty')
    for sku, name, price in BREWERS:
        yield _row(rng, sku, name, 'Brewers', price, 'Brewing guide included.')
    for sku, name, price in ACCESSORIES:
        yield _row(rng, sku, name, 'Accessories', price, '')
    for size_code, size, base in JUG_SIZES:
        for finish_code, finish in JUG_FINISHES:
            yield _row(
                rng,
                f'ACC-JUG-{size_code}-{finish_code}',
                f'Milk jug {size}, {finish}',
                'Accessories',
                base + (Decimal('3.00') if finish_code != 'ST' else 0),
                'For steaming and latte art.',
            )
    for sku, name, price in WORKSHOPS:
        yield _row(rng, sku, name, 'Workshops', price, 'Dates on request; coffee and pastries included.', stocked=False)
    for sku, name, price in PLANS:
        yield _row(rng, sku, name, 'Maintenance plans', price, 'Cancel any time before renewal.', stocked=False)
    # a couple still waiting for a shelf
    yield _row(rng, 'MISC-GIFT-BOX', 'Gift box: three roasts of the month', None, Decimal('34.90'), '')
    yield _row(rng, 'MISC-TOTE', 'Canvas tote bag', None, Decimal('12.00'), '')


def _row(
    rng: random.Random,
    sku: str,
    name: str,
    category: str | None,
    price: Decimal,
    description: str,
    *,
    stocked: bool = True,  # workshops and maintenance plans are services: no shelf, no stock
) -> dict[str, Any]:
    currency = rng.choice(OTHER_CURRENCIES) if rng.random() < 0.06 else 'EUR'
    return {
        'sku': sku,
        'name': name,
        'category': category,
        'price': price.quantize(Decimal('0.01')),
        'currency': currency,
        'active': rng.random() < 0.9,
        'description': description,
        'stocked': stocked,
    }


def _jitter(rng: random.Random, euros: int) -> Decimal:
    """A few euros up or down, in steps of 10 cents, so origins are not all priced alike."""
    return Decimal(rng.randint(-euros * 10, euros * 10)) / 10
