"""The catalogue through the record service: SKU rules, money, nested categories, uploaded images, demo data."""

import random
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import select

from backoffice import i18n
from backoffice.config import get_settings
from backoffice.db import session_scope
from backoffice.errors import PermissionDenied, ValidationFailed
from backoffice.listing import query
from backoffice.models import AuditEntry, Category, Product, ProductCreate, utcnow
from backoffice.resources import resource
from backoffice.runtime.uploads import MAX_IMAGE_BYTES, image_type, is_stored_image, store_image
from backoffice.seed.catalog import seed_catalog
from backoffice.services import crud, trash

from .support.factories import make_category, make_product, make_user, tiny_png

PRODUCTS, CATEGORIES = resource('products'), resource('categories')


def create(actor, **data) -> Product:
    with session_scope() as session:
        return crud.create_record(session=session, actor=actor, resource=PRODUCTS, data=data)


def refused(actor, resource=PRODUCTS, record_id: int | None = None, version: int | None = None, **data) -> dict:
    """The field errors of a create (or, given a record id, an update) that must fail."""
    with session_scope() as session, pytest.raises(ValidationFailed) as failure:
        if record_id is None:
            crud.create_record(session=session, actor=actor, resource=resource, data=data)
        else:
            crud.update_record(
                session=session, actor=actor, resource=resource, record_id=record_id, version=version, changes=data
            )
    return failure.value.errors


# --- products -------------------------------------------------------------------------------------------------------


def test_a_sku_is_saved_in_upper_case_and_only_letters_digits_dash_and_underscore_pass() -> None:
    manager = make_user('manager')
    product = create(manager, sku='  bean-eth_250 ', name='Ethiopia, 250 g', price='8.90')
    assert product.sku == 'BEAN-ETH_250'
    for bad in ('bean eth', 'bean/eth', 'café', 'x' * 41):
        assert 'sku' in refused(manager, sku=bad, name='Bad', price='1')
    assert (
        refused(manager, sku='bean eth', name='Bad', price='1')['sku']
        == 'Use only letters, digits, - and _ (no spaces)'
    )
    assert refused(manager, sku='', name='', price='1') == {
        'sku': 'This field is required',
        'name': 'This field is required',
    }


def test_a_sku_is_unique_whatever_its_case_and_a_clash_is_a_field_error() -> None:
    manager = make_user('manager')
    make_product('BEAN-ETH-250')
    assert refused(manager, sku='bean-eth-250', name='Copy', price='1') == {
        'sku': 'Another product already has this sku'
    }
    other = make_product('BEAN-COL-250')
    assert refused(manager, PRODUCTS, other.id, other.version, sku='Bean-Eth-250') == {
        'sku': 'Another product already has this sku'
    }


def test_a_price_is_money_never_negative_with_at_most_two_decimals() -> None:
    manager = make_user('manager')
    assert refused(manager, sku='A', name='A', price='-0.01') == {'price': 'A price cannot be negative'}
    assert refused(manager, sku='A', name='A', price='1.005') == {
        'price': 'Use at most two decimals (in English, the point separates decimals: for 1,005, type 1005)'
    }
    assert refused(manager, sku='A', name='A', price='ten') == {'price': 'Enter an amount, e.g. 12.50'}
    assert refused(manager, sku='A', name='A', price='1e100') == {'price': 'Enter an amount below 10,000,000,000'}
    assert refused(manager, sku='A', name='A', price=None) == {'price': 'Enter a price, e.g. 12.50'}
    assert refused(manager, sku='A', name='A', price='1', currency='XYZ')['currency'].startswith('Choose one of EUR')
    product = create(manager, sku='A', name='A', price=19.99, currency='chf')  # a float, as a number input sends
    with session_scope() as session:
        stored = session.get(Product, product.id)
    assert (stored.price, stored.currency, stored.active) == (Decimal('19.99'), 'CHF', True)
    free = create(manager, sku='B', name='Free sample', price='0')
    assert free.price == Decimal('0.00')
    for typed, amount in (('8,90', '8.90'), ('1.234,50', '1234.50'), ('1,234.50', '1234.50'), (' 12 ', '12.00')):
        assert ProductCreate.model_validate({'sku': 'C', 'name': 'C', 'price': typed}).price == Decimal(amount)
    # '1,234' in English is 1234 (in French three decimals: tests/test_typed_money.py)
    assert ProductCreate.model_validate({'sku': 'C', 'name': 'C', 'price': '1,234'}).price == Decimal('1234.00')


def test_a_price_change_is_audited_exactly_and_can_be_reverted() -> None:
    manager = make_user('manager')
    product = make_product('A-1', price='10.10')
    with session_scope() as session:
        crud.update_record(
            session=session,
            actor=manager,
            resource=PRODUCTS,
            record_id=product.id,
            version=1,
            changes={'price': 12.2, 'description': None},
        )  # a cleared text area sends None
    with session_scope() as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == 'product.updated')).one()
        assert entry.changes == {'price': ['10.10', '12.20']}
        created = session.exec(select(AuditEntry).where(AuditEntry.action == 'product.created')).one()
        reverted = crud.revert_to(
            session=session, actor=manager, resource=PRODUCTS, record_id=product.id, entry_id=created.id, version=2
        )
    assert (reverted.price, reverted.version) == (Decimal('10.10'), 3)


def test_an_update_cannot_empty_a_required_field() -> None:
    manager = make_user('manager')
    product = make_product('A-1')
    assert refused(manager, PRODUCTS, product.id, 1, sku=None, name=' ', price=None) == {
        'sku': 'This field is required',
        'name': 'This field is required',
        'price': 'This field is required',
    }


def test_the_category_must_exist_and_not_be_in_the_trash() -> None:
    manager = make_user('manager')
    assert refused(manager, sku='A', name='A', price='1', category_id=4242) == {
        'category_id': 'Choose an existing category'
    }
    old = make_category('Old shelf')
    with session_scope() as session:
        crud.delete_record(session=session, actor=manager, resource=CATEGORIES, record_id=old.id)
    assert refused(manager, sku='A', name='A', price='1', category_id=old.id) == {
        'category_id': 'Choose an existing category'
    }
    coffee = make_category('Coffee')
    assert create(manager, sku='A', name='A', price='1', category_id=coffee.id).category_id == coffee.id


def test_an_image_must_be_one_the_back_office_stored() -> None:
    manager = make_user('manager')
    assert refused(manager, sku='A', name='A', price='1', image='../../storage_secret') == {
        'image': 'Upload the image again: this is not an image stored by the back office'
    }
    path = store_image(tiny_png(), 'photo.png', folder='products')
    assert create(manager, sku='A', name='A', price='1', image=path).image == path


def test_an_agent_reads_the_catalogue_but_cannot_change_it() -> None:
    agent = make_user('agent')
    with session_scope() as session, pytest.raises(PermissionDenied):
        crud.create_record(
            session=session, actor=agent, resource=PRODUCTS, data={'sku': 'A', 'name': 'A', 'price': '1'}
        )
    product = make_product('A-1')
    with session_scope() as session:
        assert crud.get_record(session=session, actor=agent, resource=PRODUCTS, record_id=product.id).sku == 'A-1'


# --- categories -----------------------------------------------------------------------------------------------------


def test_a_category_name_is_unique_whatever_its_case() -> None:
    manager = make_user('manager')
    make_category('Coffee')
    assert refused(manager, CATEGORIES, name='  COFFEE ') == {'name': 'Another category already has this name'}


def test_a_category_cannot_be_moved_inside_itself_or_its_subcategories() -> None:
    manager = make_user('manager')
    coffee = make_category('Coffee')
    beans = make_category('Beans', coffee.id)
    single = make_category('Single origin', beans.id)
    message = {'parent_id': 'A category cannot be inside itself or one of its subcategories'}
    assert refused(manager, CATEGORIES, coffee.id, 1, parent_id=single.id) == message
    assert refused(manager, CATEGORIES, coffee.id, 1, parent_id=coffee.id) == message
    assert refused(manager, CATEGORIES, beans.id, 1, parent_id=single.id) == message
    with session_scope() as session:  # moving up or sideways is fine
        moved = crud.update_record(
            session=session,
            actor=manager,
            resource=CATEGORIES,
            record_id=single.id,
            version=1,
            changes={'parent_id': coffee.id},
        )
    assert moved.parent_id == coffee.id


def test_purging_a_category_from_the_trash_keeps_its_products_and_subcategories() -> None:
    manager = make_user('manager')
    coffee = make_category('Coffee')
    beans = make_category('Beans', coffee.id)
    product = make_product('A-1', category_id=coffee.id)
    with session_scope() as session:
        crud.delete_record(session=session, actor=manager, resource=CATEGORIES, record_id=coffee.id)
    with session_scope() as session:
        row = session.get(Category, coffee.id)
        row.deleted_at = utcnow() - timedelta(days=31)
        session.add(row)
        session.commit()
    with session_scope() as session:
        assert trash.purge_deleted(session=session, resource=CATEGORIES, older_than=timedelta(days=30)).purged == 1
    with session_scope() as session:
        assert session.get(Product, product.id).category_id is None
        assert session.get(Category, beans.id).parent_id is None


def consequences(actor, *ids: int) -> list[str]:
    with session_scope() as session:
        return crud.trash_consequences(session=session, actor=actor, resource=CATEGORIES, ids=ids)


def test_trashing_a_category_says_how_many_products_and_subcategories_point_at_it_and_keeps_their_links() -> None:
    manager = make_user('manager')
    coffee = make_category('Coffee')
    tea = make_category('Tea')
    beans = make_category('Beans', coffee.id)
    products = [make_product(f'C-{n}', category_id=coffee.id) for n in range(3)]
    make_product('T-1', category_id=tea.id)
    gone = make_product('C-OLD', category_id=coffee.id)
    with session_scope() as session:  # a product in the trash is not counted
        crud.delete_record(session=session, actor=manager, resource=PRODUCTS, record_id=gone.id)
    assert consequences(manager, coffee.id) == [
        '1 category is inside this category: it will show as top-level while this one is in the trash.',
        '3 products are in this category: they will show no category while it is in the trash.',
        'Restoring it from the trash brings these links back.',
    ]
    # two at once: one count for all; a category inside one also going to the trash is not a dependent
    assert consequences(manager, coffee.id, tea.id, beans.id) == [
        '4 products are in these categories: they will show no category while these are in the trash.',
        'Restoring them from the trash brings these links back.',
    ]
    assert consequences(manager, beans.id) == []
    with i18n.use('fr'):
        assert consequences(manager, coffee.id)[1] == (
            '3 produits sont dans cette catégorie\u00a0: ils n’auront plus de catégorie tant qu’elle est dans la '
            'corbeille.'
        )
    with pytest.raises(PermissionDenied):
        consequences(make_user('viewer'), coffee.id)

    with session_scope() as session:
        crud.delete_record(session=session, actor=manager, resource=CATEGORIES, record_id=coffee.id)
    with session_scope() as session:
        assert {session.get(Product, p.id).category_id for p in products} == {coffee.id}  # the links stay
        # and the list shows no category for them (nor a link to it) while it is in the trash
        assert crud.titles_for(session=session, resource=CATEGORIES, ids={coffee.id}, live=True) == {}
        assert crud.titles_for(session=session, resource=CATEGORIES, ids={coffee.id}) == {coffee.id: 'Coffee'}
    with session_scope() as session:
        crud.restore_record(session=session, actor=manager, resource=CATEGORIES, record_id=coffee.id)
    with session_scope() as session:
        assert crud.titles_for(session=session, resource=CATEGORIES, ids={coffee.id}, live=True) == {
            coffee.id: 'Coffee'
        }
    assert consequences(manager, coffee.id)[1].startswith('3 products are in this category')


# --- uploaded images ------------------------------------------------------------------------------------------------


def test_a_real_png_is_stored_under_a_random_name_inside_the_uploads_folder() -> None:
    data = tiny_png()
    first = store_image(data, '../../evil name.png', folder='products')
    second = store_image(data, '../../evil name.png', folder='products')
    assert first != second and is_stored_image(first) and first.startswith('products/') and first.endswith('.png')
    assert 'evil' not in first
    root = (get_settings().data_dir / 'uploads').resolve()
    stored = (root / first).resolve()
    assert stored.is_relative_to(root / 'products') and stored.read_bytes() == data


@pytest.mark.parametrize(
    ('data', 'name', 'message'),
    [
        (b'just some notes, not a picture', 'notes.png', 'notes.png is not a PNG, JPEG, WebP or GIF image'),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
            'logo.png',
            'logo.png is not a PNG, JPEG, WebP or GIF image',
        ),
        (b'', 'empty.png', 'empty.png is empty'),
        (tiny_png() + b'\x00' * MAX_IMAGE_BYTES, 'huge.png', 'huge.png is 5.0 MB; an image may be at most 5 MB'),
    ],
)
def test_anything_but_a_png_jpeg_webp_or_gif_of_at_most_5_mb_is_refused(data: bytes, name: str, message: str) -> None:
    with pytest.raises(ValidationFailed) as failure:
        store_image(data, name, folder='products')
    assert failure.value.errors == {'image': message}
    uploads = get_settings().data_dir / 'uploads'
    assert not uploads.exists() or not any(Path(uploads).rglob('*.*'))


def test_the_image_type_comes_from_the_first_bytes() -> None:
    assert image_type(tiny_png()) == 'png'
    assert image_type(b'\xff\xd8\xff\xe0' + b'\x00' * 20) == 'jpg'
    assert image_type(b'GIF89a' + b'\x00' * 20) == 'gif'
    assert image_type(b'RIFF\x10\x00\x00\x00WEBPVP8 ') == 'webp'
    assert image_type(b'RIFF\x10\x00\x00\x00WAVEfmt ') is None


# --- demo data ------------------------------------------------------------------------------------------------------


def test_the_demo_catalogue_is_nested_realistic_and_the_same_for_the_same_seed() -> None:
    with session_scope() as session:
        seeded = seed_catalog(session, random.Random(7))
        again = seed_catalog(session, random.Random(7))  # a catalogue exists: nothing is added
    assert 10 <= seeded.categories <= 12 and 110 <= seeded.products <= 130
    assert (again.categories, again.products) == (0, 0)
    with session_scope() as session:
        products = session.exec(select(Product).order_by(Product.sku)).all()
        categories = session.exec(select(Category)).all()
    assert len({p.sku for p in products}) == len(products) == seeded.products
    assert sum(c.parent_id is not None for c in categories) >= 5
    assert all(p.price > 0 and p.currency in {'EUR', 'CHF', 'GBP', 'USD'} for p in products)
    assert 0.75 < sum(p.active for p in products) / len(products) < 1
    first = [(p.sku, p.price, p.currency, p.active) for p in products]
    with session_scope() as session:  # the same seed again, into an empty catalogue
        for record in products:
            session.delete(session.get(Product, record.id))
        for category in sorted(categories, key=lambda c: c.parent_id is None):  # subcategories first
            session.delete(session.get(Category, category.id))
        session.commit()
        seed_catalog(session, random.Random(7))
        rows = session.exec(select(Product).order_by(Product.sku)).all()
    assert [(p.sku, p.price, p.currency, p.active) for p in rows] == first


def test_the_product_list_filters_searches_and_pages_by_price_over_the_demo_catalogue() -> None:
    viewer = make_user('viewer')
    with session_scope() as session:
        seed_catalog(session, random.Random(3))
        beans = session.exec(select(Category).where(Category.name == 'Whole beans')).one()
        expected = sorted(
            (
                (p.price, p.id)
                for p in session.exec(
                    select(Product).where(Product.category_id == beans.id, Product.active, Product.currency == 'EUR')
                )
            ),
            reverse=True,
        )
    request = query.ListRequest(
        filters={'category_id': beans.id, 'active': True, 'currency': ['EUR']},
        sort='price',
        descending=True,
        page_size=7,
    )
    seen, cursor, page = [], None, 1
    with session_scope() as session:
        while True:  # page by page, each read by keyset from the previous page's cursor
            result = query.list_page(
                session=session,
                actor=viewer,
                resource=PRODUCTS,
                request=query.ListRequest(**{**request.__dict__, 'page': page}),
                cursor=cursor,
            )
            seen += [(p.price, p.id) for p in result.rows]
            if page >= result.last_page:
                break
            cursor, page = result.cursor, page + 1
        found = query.list_page(
            session=session, actor=viewer, resource=PRODUCTS, request=query.ListRequest(search='bean-eth-2')
        )
    assert [price for price, _ in seen] == [price for price, _ in expected] and len(seen) == result.total
    assert [p.sku for p in found.rows] == ['BEAN-ETH-250']
