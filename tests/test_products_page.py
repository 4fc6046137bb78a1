"""Products and categories as a manager and a viewer use them, and the image field of a form."""

from decimal import Decimal

import pytest
from nicegui import ui
from nicegui.elements.upload_files import SmallFileUpload
from nicegui.testing import User
from sqlmodel import select

from backoffice.config import get_settings
from backoffice.db import session_scope
from backoffice.models import Category, Product, StockLevel
from backoffice.resources import FormField
from backoffice.services import purchases
from components import resource_form
from components.image_field import image_input

from .support import lists
from .support.factories import make_category, make_product, make_user, place, tiny_png
from .support.signin import signed_in
from .support.waiting import eventually


def table_column(user: User, name: str) -> list:
    return [row[name] for row in user.find(ui.table).elements.pop().rows]


async def rows_show(user: User, *skus: str) -> None:
    """Wait until the list shows these SKUs."""
    await lists.rows_show(user, *skus, column='sku')


def stored(sku: str) -> Product | None:
    with session_scope() as session:
        return session.exec(select(Product).where(Product.sku == sku)).first()


def level_of(sku: str) -> StockLevel | None:
    with session_scope() as session:
        return session.exec(select(StockLevel).where(StockLevel.sku == sku)).first()


def newest(user: User, label: str) -> ui.select:
    """The select with this label opened last (a dialog's field rather than the list's filter of the same name)."""
    return max(user.find(kind=ui.select, content=label).elements, key=lambda element: element.id)


async def open_page_as(user: User, role: str, path: str, title: str) -> None:
    account = make_user(role)
    await signed_in(user, account.email, path=path)
    await user.should_see(title)


async def test_a_manager_adds_a_product_after_fixing_its_sku(user: User) -> None:
    coffee = make_category('Coffee')
    make_product('BEAN-COL-250', name='Colombia Huila, 250 g', category_id=coffee.id)
    await open_page_as(user, 'manager', '/products', 'Products')
    await rows_show(user, 'BEAN-COL-250')
    user.find('New product').click()
    user.find('SKU *').type('bean eth 250')
    user.find('Name *').type('Ethiopia Yirgacheffe, 250 g')
    user.find('Price *').type('8.9')
    user.find(kind=ui.select, content='Currency *').elements.pop().set_value('EUR')
    newest(user, 'Category').set_value(coffee.id)  # the form's, not the filter's
    # its name counts up to the 200 characters the service takes; its description, which has no limit, counts nothing
    (name,) = user.find('Name *').elements
    assert (name.props.get('counter'), name.props.get('maxlength')) == (True, 200)
    (description,) = user.find('Description').elements
    assert 'counter' not in description.props and 'maxlength' not in description.props
    user.find('Create product').click()
    await user.should_see('Use only letters, digits, - and _ (no spaces)')
    assert stored('BEAN ETH 250') is None

    user.find('SKU *').clear().type('bean-eth-250')
    user.find('Create product').click()
    await user.should_see('Product created')
    await rows_show(user, 'BEAN-ETH-250', 'BEAN-COL-250')
    row = next(r for r in user.find(ui.table).elements.pop().rows if r['sku'] == 'BEAN-ETH-250')
    assert (row['name'], row['price'], row['currency'], row['category_id']) == (
        'Ethiopia Yirgacheffe, 250 g',
        '€8.90',
        'EUR',
        'Coffee',
    )
    product = stored('BEAN-ETH-250')
    assert (product.price, product.category_id) == (Decimal('8.90'), coffee.id)


async def test_a_new_product_gets_its_first_stock_from_its_own_form(user: User) -> None:
    """A product just added has no stock row, so /inventory does not list it: its form is where the counted stock
    goes in (an adjustment with its reason), after which the inventory tracks it."""
    make_product('MUG-NEW', name='Mug "Q" : <script>alert(1)</script>')
    assert level_of('MUG-NEW') is None
    await open_page_as(user, 'manager', '/products', 'Products')
    await rows_show(user, 'MUG-NEW')
    table = user.find(ui.table).elements.pop()
    user.find(ui.table).trigger('rowClick', [{}, table.rows[0], 0])
    await user.should_see('Adjust stock', retries=40)
    user.find('Adjust stock').click()
    await user.should_see('Change (negative takes out) *', retries=40)
    user.find('Change (negative takes out) *').elements.pop().set_value(20)
    user.find('Reason *').elements.pop().set_value('Counted "20" : <script>alert(1)</script>')
    user.find(marker='confirm-action').click()
    await user.should_see('Stock of MUG-NEW is now 20', retries=40)
    assert level_of('MUG-NEW').on_hand == 20


async def test_a_viewer_browses_products_but_cannot_add_or_change_them(user: User) -> None:
    make_product('GRND-HAND-C40', name='Hand grinder C40')
    await open_page_as(user, 'viewer', '/products', 'Products')
    await rows_show(user, 'GRND-HAND-C40')
    await user.should_not_see('New product')
    table = user.find(ui.table).elements.pop()
    user.find(ui.table).trigger('rowClick', [{}, table.rows[0], 0])
    await user.should_see('Close')
    await user.should_not_see('Save changes')


async def test_moving_a_category_inside_its_own_subcategory_is_refused_at_the_field(user: User) -> None:
    coffee = make_category('Coffee')
    beans = make_category('Whole beans', coffee.id)
    await open_page_as(user, 'manager', '/categories', 'Categories')
    await lists.rows_show(user, 'Coffee', column='name')
    table = user.find(ui.table).elements.pop()
    row = next(r for r in table.rows if r['name'] == 'Coffee')
    user.find(ui.table).trigger('rowClick', [{}, row, 0])
    await user.should_see('Save changes')
    user.find(kind=ui.select, content='Inside category').elements.pop().set_value(beans.id)
    user.find('Save changes').click()
    await user.should_see('A category cannot be inside itself or one of its subcategories')


def category_named(name: str) -> Category:
    with session_scope() as session:
        return session.exec(select(Category).where(Category.name == name)).one()


HOSTILE = 'Tea "green" : <script>alert(1)</script>'


async def test_deleting_a_category_with_products_says_how_many_first_and_cancel_keeps_it(user: User) -> None:
    shelf = make_category(HOSTILE)
    for n in range(3):
        make_product(f'TEA-{n}', category_id=shelf.id)
    await open_page_as(user, 'manager', '/categories', 'Categories')
    await lists.rows_show(user, HOSTILE, column='name')
    row = next(r for r in user.find(ui.table).elements.pop().rows if r['name'] == HOSTILE)
    user.find(ui.table).trigger('rowClick', [{}, row, 0])
    await user.should_see('Save changes')
    user.find(kind=ui.button, content='Delete').click()
    await user.should_see(f'Move “{HOSTILE}” to the trash?')  # the name as typed, never as markup
    await user.should_see(
        '3 products are in this category: they will show no category while it is in the trash. '
        'Restoring it from the trash brings these links back.'
    )
    asking = user.find(marker='confirm-dialog').elements.pop().parent_slot.parent
    user.find(marker='confirm-no').click()
    await eventually(lambda: not asking.value)
    asking.delete()  # (a browser removes a hidden page_dialog: the simulated user has none)
    assert category_named(HOSTILE).deleted_at is None
    user.find(kind=ui.button, content='Delete').click()
    await user.should_see(marker='confirm-yes')
    user.find(marker='confirm-yes').click()
    await user.should_see('Category moved to the trash')
    await lists.rows_show(user, absent=(HOSTILE,), column='name')
    assert category_named(HOSTILE).deleted_at is not None
    with session_scope() as session:
        assert {p.category_id for p in session.exec(select(Product))} == {shelf.id}
    await user.open('/products')  # the products keep the link but show no category while it is in the trash
    await rows_show(user, 'TEA-0', 'TEA-1', 'TEA-2')
    assert table_column(user, 'category_id') == ['', '', '']


async def test_deleting_a_category_nothing_points_at_asks_nothing(user: User) -> None:
    make_category('Empty shelf')
    await open_page_as(user, 'manager', '/categories', 'Categories')
    await lists.rows_show(user, 'Empty shelf', column='name')
    row = next(r for r in user.find(ui.table).elements.pop().rows if r['name'] == 'Empty shelf')
    user.find(ui.table).trigger('rowClick', [{}, row, 0])
    await user.should_see('Save changes')
    user.find(kind=ui.button, content='Delete').click()
    await user.should_see('Category moved to the trash')
    assert category_named('Empty shelf').deleted_at is not None


async def test_a_bulk_delete_of_two_categories_counts_their_products_together(user: User) -> None:
    coffee, tea = make_category('Coffee'), make_category('Tea')
    make_product('C-1', category_id=coffee.id)
    make_product('T-1', category_id=tea.id)
    make_category('Spare')
    await open_page_as(user, 'manager', '/categories', 'Categories')
    await lists.rows_show(user, 'Coffee', 'Tea', 'Spare', column='name')
    table = user.find(ui.table).elements.pop()
    chosen = [r for r in table.rows if r['name'] in ('Coffee', 'Tea')]
    user.find(ui.table).trigger('selection', {'added': True, 'rows': chosen, 'keys': [r['id'] for r in chosen]})
    await user.should_see('2 selected')
    user.find(kind=ui.button, content='Delete').click()
    await user.should_see('Move 2 categories to the trash?')
    await user.should_see(
        '2 products are in these categories: they will show no category while these are in the trash. '
        'Restoring them from the trash brings these links back.'
    )
    user.find(marker='confirm-yes').click()
    await user.should_see('2 moved to the trash')
    await lists.rows_show(user, 'Spare', absent=('Coffee', 'Tea'), column='name')
    assert category_named('Coffee').deleted_at is not None and category_named('Tea').deleted_at is not None


async def test_deleting_a_product_says_first_its_units_on_the_shelf_reserved_and_due(user: User) -> None:
    """The trash's question for a product tells what stays behind: units on its shelf, reserved by open orders,
    still due on open purchases (it said nothing of them); confirmed, the product goes to the trash."""
    manager = make_user('manager')
    jar = make_product('JAR-TRASH', name=HOSTILE, stock_on_hand=12, actor=manager)
    place(('JAR-TRASH', 3))
    with session_scope() as session:
        purchases.create_purchase(
            session=session, actor=manager, lines=[{'product_id': jar.id, 'quantity': 40}], received=False
        )
    await signed_in(user, manager.email, path='/products')
    await rows_show(user, 'JAR-TRASH')
    row = next(r for r in user.find(ui.table).elements.pop().rows if r['sku'] == 'JAR-TRASH')
    user.find(ui.table).trigger('rowClick', [{}, row, 0])
    await user.should_see('Save changes')
    user.find(kind=ui.button, content='Delete').click()
    await user.should_see(f'Move “{HOSTILE}” to the trash?')
    await user.should_see(
        '12 units of it are still on the shelf. 1 open order reserves 3 units of it, still to be shipped. '
        '1 open purchase still brings 40 units of it. While it is in the trash, its stock cannot be adjusted or '
        'counted and it cannot be put on a new purchase.'
    )
    user.find(marker='confirm-yes').click()
    await user.should_see('Product moved to the trash')
    assert stored('JAR-TRASH').deleted_at is not None


async def test_the_image_field_keeps_a_real_image_refuses_anything_else_and_can_remove_it(user: User) -> None:
    @ui.page('/image-field')
    def image_field_page() -> None:
        image_input(FormField('image', 'Image', kind='image', related='products'), None).mark('image')

    await open_page_as(user, 'manager', '/image-field', 'Image')
    field = user.find(marker='image').elements.pop()
    upload = user.find(ui.upload).elements.pop()

    await upload.handle_uploads([SmallFileUpload('notes.png', 'image/png', b'plain text, renamed')])
    await user.should_see('notes.png is not a PNG, JPEG, WebP or GIF image')
    assert field.value is None

    await upload.handle_uploads([SmallFileUpload('photo.png', 'image/png', tiny_png())])
    await eventually(lambda: field.value, message='the uploaded image in the field')
    assert field.value.startswith('products/') and field.error is None
    assert (get_settings().data_dir / 'uploads' / field.value).read_bytes() == tiny_png()
    assert field.thumbnail.source == f'/uploads/{field.value}'

    user.find('Remove image').click()
    assert field.value is None


async def test_a_product_gets_its_image_in_the_form(user: User, monkeypatch: pytest.MonkeyPatch) -> None:
    plain_input = resource_form.field_input
    if not hasattr(resource_form, 'image_input'):  # until the generic form builds image fields itself
        monkeypatch.setattr(
            resource_form,
            'field_input',
            lambda declared, value: (
                image_input(declared, value) if declared.kind == 'image' else plain_input(declared, value)
            ),
        )
    make_product('BREW-FP-100', name='French press 1 l')
    await open_page_as(user, 'manager', '/products', 'Products')
    await rows_show(user, 'BREW-FP-100')
    table = user.find(ui.table).elements.pop()
    user.find(ui.table).trigger('rowClick', [{}, table.rows[0], 0])
    await user.should_see('Save changes')
    [dialog] = [d for d in user.find(kind=ui.dialog).elements if d.value]
    assert not dialog.props.get('persistent')  # untouched: Escape closes it
    upload = user.find(ui.upload).elements.pop()
    await upload.handle_uploads([SmallFileUpload('press.png', 'image/png', tiny_png())])
    await user.should_see('Remove image')  # shown once the field holds an image
    # a new picture alone is an unsaved edit: Escape or a click beside the dialog no longer loses it
    assert dialog.props.get('persistent') is True
    user.find('Remove image').click()
    assert not dialog.props.get('persistent')  # undone: nothing to lose
    await upload.handle_uploads([SmallFileUpload('press.png', 'image/png', tiny_png())])
    await user.should_see('Remove image')
    user.find('Save changes').click()
    await user.should_see('Changes saved')
    image = stored('BREW-FP-100').image
    assert image.startswith('products/') and (get_settings().data_dir / 'uploads' / image).read_bytes() == tiny_png()


async def test_a_read_only_image_field_offers_no_upload(user: User) -> None:
    @ui.page('/image-field-read-only')
    def image_field_page() -> None:
        image_input(FormField('image', 'Image', kind='image', related='products'), None).props('readonly')

    await open_page_as(user, 'viewer', '/image-field-read-only', 'Image')
    await user.should_not_see(kind=ui.upload)
    await user.should_not_see('Remove image')
