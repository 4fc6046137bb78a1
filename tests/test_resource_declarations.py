"""A resource declaration that names something that does not exist fails when it is registered (at start-up), with a
message naming the resource and the name, instead of when someone opens the screen."""

import pytest

import backoffice.resources  # noqa: F401  (the app's declarations, which the broken ones refer to)
from backoffice.engine import declaration
from backoffice.engine.declaration import (
    Action,
    Card,
    Column,
    DeclarationError,
    Filter,
    FormField,
    RecordSection,
    RelatedList,
    Resource,
    check_references,
    register,
)
from backoffice.models import Customer, CustomerCreate, CustomerUpdate

CARD_COLUMNS = (
    Column('email', 'Email'),
    Column('name', 'Name'),
    Column('status', 'Status', kind='choice'),
    Column('phone', 'Phone'),
    Column('notes', 'Notes'),
)


def customers_like(**changes) -> Resource:
    fields = dict(
        key='broken-customers',
        label='Broken',
        singular='broken',
        model=Customer,
        create=CustomerCreate,
        update=CustomerUpdate,
        columns=(Column('email', 'Email'),),
        fields=(FormField('email', 'Email'),),
        permission='customers',
        title='email',
        search=('email',),
        filters=(Filter('status', 'Status', 'choice'),),
    )
    fields.update(changes)
    return Resource(**fields)


def _nothing(**_) -> None:
    return None


@pytest.fixture(autouse=True)
def _leave_the_registry_as_it_was(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(declaration, 'RESOURCES', dict(declaration.RESOURCES))


@pytest.mark.parametrize(
    ('changes', 'message'),
    [
        ({'columns': (Column('emial', 'Email'),)}, "column 'emial' is not an attribute of Customer"),
        ({'fields': (FormField('nmae', 'Name'),)}, "field 'nmae' is in neither Customer nor its create/update schemas"),
        ({'filters': (Filter('stauts', 'Status', 'choice'),)}, "filter 'stauts' is not an attribute of Customer"),
        ({'search': ('emial',)}, "search 'emial' is not a column of Customer"),
        ({'unique': ('emial',)}, "unique 'emial' is not a column of Customer"),
        (
            {'search_related': (('compny_id', 'companies'),)},
            "search_related ('compny_id', 'companies'): 'compny_id' is not a column of Customer",
        ),
        ({'title': 'nmae'}, "title 'nmae' is not an attribute of Customer"),
        ({'default_sort': 'craeted_at'}, "default sort 'craeted_at' is not an attribute of Customer"),
        ({'permission': 'custmers'}, "read permission 'custmers.read' is not a known permission"),
        (
            {'actions': (Action('ban', 'Ban', run=lambda **_: None, permission='customers.bann'),)},
            "action 'ban' permission 'customers.bann' is not a known permission",
        ),
        ({'page': '/broken/{uid}'}, "page 'uid' is not an attribute of Customer"),
        (
            {'page': '/broken/{id}', 'sections': (RecordSection('orders', 'Orders', 'orders.raed', load=_nothing),)},
            "section 'orders' permission 'orders.raed' is not a known permission",
        ),
        (
            {'sections': (RecordSection('orders', 'Orders', 'orders.read', load=_nothing),)},
            'sections are shown on the record page: declare its `page`',
        ),
        (
            {'columns': (Column('email', 'Email'), Column('name', 'Name', ranked=True))},
            "column 'name' is ranked but is not a sortable choice column",
        ),
        (
            {
                'columns': (
                    Column('email', 'Email'),
                    Column('ban_reason', 'Why', kind='choice', choices={'a': 'A'}, ranked=True),
                )
            },
            "column 'ban_reason' is ranked but is not a column that is never NULL",
        ),
        ({'card': Card(title='emial')}, "card title 'emial' is not one of its columns"),
        ({'card': Card(title='email', status='stauts')}, "card status 'stauts' is not one of its columns"),
        # a column of the model that the list does not show has no value in the list's rows either
        ({'card': Card(title='email', secondary=('name',))}, "card secondary value 'name' is not one of its columns"),
        (
            {'columns': CARD_COLUMNS, 'card': Card(title='email', secondary=('name', 'status', 'phone', 'notes'))},
            'card shows 4 secondary values; at most 3 fit a phone',
        ),
        ({'columns': CARD_COLUMNS, 'card': Card(title='email', secondary=('email',))}, 'card shows a column twice'),
    ],
)
def test_a_declaration_naming_what_does_not_exist_fails_with_the_resource_and_the_name(changes, message):
    with pytest.raises(DeclarationError) as raised:
        register(customers_like(**changes))
    assert str(raised.value).startswith("resource 'broken-customers': ")
    assert message in str(raised.value)
    assert 'broken-customers' not in declaration.RESOURCES


def test_a_relation_to_an_undeclared_resource_fails_once_all_are_registered():
    register(
        customers_like(
            columns=(Column('company_id', 'Company', kind='related', related='compnies'),),
            create=None,
            update=None,
            soft_delete=False,
        )
    )  # read-only: no topic needed
    with pytest.raises(
        DeclarationError,
        match="resource 'broken-customers': column 'company_id' is related to an unknown resource 'compnies'",
    ):
        check_references()


def test_a_search_through_an_undeclared_resource_fails_once_all_are_registered():
    register(customers_like(search_related=(('company_id', 'compnies'),), create=None, update=None, soft_delete=False))
    with pytest.raises(
        DeclarationError,
        match=r"resource 'broken-customers': search_related \('company_id', 'compnies'\): 'compnies' is not a "
        'declared resource',
    ):
        check_references()


def test_a_search_through_a_resource_without_a_search_fails_once_all_are_registered():
    register(customers_like(key='no-search', search=(), create=None, update=None, soft_delete=False))
    register(customers_like(search_related=(('company_id', 'no-search'),), create=None, update=None, soft_delete=False))
    with pytest.raises(DeclarationError, match=r"\('company_id', 'no-search'\): 'no-search' declares no search"):
        check_references()


def test_a_related_list_must_use_a_filter_of_the_listed_resource():
    register(
        customers_like(
            related_lists=(RelatedList('Orders', 'orders', 'custmer_id'),), create=None, update=None, soft_delete=False
        )
    )
    with pytest.raises(DeclarationError, match="related list 'Orders' filters 'orders' by 'custmer_id'"):
        check_references()


def test_a_resource_that_changes_must_publish_on_a_declared_topic():
    with pytest.raises(DeclarationError, match="resource 'broken-customers': a resource that changes publishes"):
        register(customers_like())  # its lists and webhooks would never hear of its changes


def test_every_declared_resource_of_the_app_passes_the_checks():
    assert {'customers', 'orders', 'tickets', 'products', 'audit'} <= set(declaration.RESOURCES)
    check_references()


def test_a_resource_without_a_card_gets_one_from_its_columns():
    plain = customers_like(
        columns=(
            Column('name', 'Name'),
            Column('email', 'Email'),
            Column('status', 'Status', kind='choice'),
            Column('notes', 'Notes', on_phone=False),
            Column('phone', 'Phone'),
            Column('company_id', 'Company', shown=False),
        )
    )
    # the title field, the status, then the columns shown, those kept on a phone first
    assert plain.phone_card() == Card(title='email', status='status', secondary=('name', 'phone'))
    declared = Card(title='name', secondary=('email',))
    assert customers_like(card=declared).phone_card() == declared


def test_every_list_of_the_app_has_a_card_naming_its_columns():
    for declared in declaration.RESOURCES.values():
        card = declared.phone_card()
        names = {c.name for c in declared.columns}
        assert {card.title, *card.secondary} | ({card.status} if card.status else set()) <= names, declared.key
        assert 1 <= len(card.secondary) <= 3, declared.key
