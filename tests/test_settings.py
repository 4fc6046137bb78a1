"""Application settings: typed and explained, validated at the field, audited, and no colleague's change lost."""

import pytest
from nicegui import ui
from nicegui.testing import User
from sqlmodel import select

from backoffice import i18n
from backoffice.db import session_scope
from backoffice.errors import PermissionDenied, StaleRecord, ValidationFailed
from backoffice.models import AuditEntry
from backoffice.services import app_settings

from .support.at_once import first_saves_at_once
from .support.factories import make_user
from .support.signin import signed_in


def values() -> dict:
    with session_scope() as session:
        return app_settings.current_values(session=session)


def test_defaults_apply_until_saved_and_saving_is_validated_and_audited() -> None:
    admin = make_user('admin')
    loaded = values()
    assert (loaded['currency'], loaded['trash_days']) == ('EUR', 30)
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        app_settings.save(
            session=session,
            actor=admin,
            loaded=loaded,
            changes={'currency': 'XXX', 'trash_days': 0, 'support_email': 'nope', 'company_name': ' '},
        )
    assert refused.value.errors == {
        'currency': 'Choose one of the listed values',
        'trash_days': 'Enter a number from 1 to 3650',
        'support_email': 'Enter a valid email address',
        'company_name': 'This field is required',
    }
    assert values() == loaded
    with session_scope() as session:
        app_settings.save(
            session=session, actor=admin, loaded=loaded, changes={'currency': 'CHF', 'time_zone': 'Europe/Zurich'}
        )
    assert (values()['currency'], values()['time_zone']) == ('CHF', 'Europe/Zurich')
    with session_scope() as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == 'settings.changed')).one()
    assert entry.changes == {'currency': ['EUR', 'CHF'], 'time_zone': ['UTC', 'Europe/Zurich']}


def test_a_setting_of_several_choices_refuses_what_is_not_a_list_of_them() -> None:
    admin = make_user('admin')
    for wrong in (5, {'order_paid': True}, ['order_paid', 3], [['order_paid']], '<script>alert(1)</script>'):
        loaded = values()
        with session_scope() as session, pytest.raises(ValidationFailed) as refused:
            app_settings.save(session=session, actor=admin, loaded=loaded, changes={'slack_events': wrong})
        assert refused.value.errors == {'slack_events': 'Choose one of the listed values'}, wrong
    assert values()['slack_events'] == []


def test_a_colleagues_change_to_the_same_setting_is_not_overwritten() -> None:
    ana, ben = make_user('admin', email='ana@example.com'), make_user('admin', email='ben@example.com')
    seen_by_ben = values()
    with session_scope() as session:
        app_settings.save(session=session, actor=ana, loaded=values(), changes={'company_name': 'Ana Shop'})
    with session_scope() as session, pytest.raises(StaleRecord) as refused:
        app_settings.save(session=session, actor=ben, loaded=seen_by_ben, changes={'company_name': 'Ben Shop'})
    assert ana.name in str(refused.value)  # named as colleagues know her, not by her email
    with session_scope() as session:  # a different setting is not a conflict
        app_settings.save(session=session, actor=ben, loaded=seen_by_ben, changes={'currency': 'USD'})
    assert (values()['company_name'], values()['currency']) == ('Ana Shop', 'USD')


def test_two_first_saves_of_one_setting_at_once_the_second_is_refused_naming_the_first(monkeypatch) -> None:
    """No row to lock yet (the company name never saved): Ana's save is held after its check until Ben's has passed
    his too, or for 3 s (his check waits for her commit when the check and the write are one step)."""
    ana, ben = make_user('admin', email='ana@example.com'), make_user('admin', email='ben@example.com')
    loaded = values()

    def save(actor, name: str):
        def whole() -> str:
            with session_scope() as session:
                app_settings.save(session=session, actor=actor, loaded=loaded, changes={'company_name': name})
            return 'saved'

        return whole

    first, second = first_saves_at_once(monkeypatch, app_settings, save(ana, 'Ana "Shop": <b>'), save(ben, 'Ben Shop'))
    assert first == 'saved'
    assert isinstance(second, StaleRecord) and ana.name in str(second)
    assert values()['company_name'] == 'Ana "Shop": <b>'


def test_a_name_or_address_with_hidden_characters_is_refused_at_its_field_while_quotes_and_brackets_are_kept() -> None:
    """A right-to-left override in the company name turned the header, the invoices and the customers' emails
    backwards from that character on; a line break stays fine in an address of several lines."""
    admin = make_user('admin')
    hidden = {
        'company_name': 'My Shop\u202e gnippohS',
        'seller_legal_name': 'Shop\u200bSAS',
        'seller_city': 'Paris\x07',
        'seller_address': '1 rue de la Paix\n\u2066Bât. B',
    }
    for key, text in hidden.items():
        with session_scope() as session, pytest.raises(ValidationFailed) as refused:
            app_settings.save(session=session, actor=admin, loaded=values(), changes={key: text})
        assert refused.value.errors == {
            key: 'Use letters, digits, spaces and punctuation only (no control or invisible characters)'
        }
    hostile = {
        'company_name': 'Shop "<script>alert(1)</script>": \'x\'',
        'seller_city': 'Saint-Étienne: "<b>"',
        'seller_address': '1 rue "<script>"\r\nBât.\tB',
    }
    with session_scope() as session:
        app_settings.save(session=session, actor=admin, loaded=values(), changes=hostile)
    assert {key: values()[key] for key in hostile} == hostile


def test_an_unknown_setting_is_refused_in_the_readers_language() -> None:
    """'Unknown setting' was the one refusal of a save said in English to a French admin (a form or an API client
    naming a setting that does not exist, or one an upgrade removed)."""
    admin = make_user('admin')
    hostile = '<script>alert(1)</script>: "x"'
    for language, said in (('en', 'Unknown setting'), ('fr', 'Paramètre inconnu')):
        with i18n.use(language), session_scope() as session, pytest.raises(ValidationFailed) as refused:
            app_settings.save(session=session, actor=admin, loaded=values(), changes={hostile: 'x', 'trash_days': 7})
        assert refused.value.errors == {hostile: said}
    assert values()['trash_days'] == 30


def test_only_admins_change_settings() -> None:
    manager = make_user('manager')
    with session_scope() as session, pytest.raises(PermissionDenied):
        app_settings.save(session=session, actor=manager, loaded=values(), changes={'company_name': 'X'})


async def test_an_admin_changes_a_setting_on_the_page(user: User) -> None:
    admin = make_user('admin')
    await signed_in(user, admin.email, path='/settings')
    await user.should_see('Days in the trash')
    user.find('Company name').clear().type('Nordwind Outfitters')
    user.find('Days in the trash').clear().type('0')
    user.find('Save settings').click()
    await user.should_see('Enter a number from 1 to 3650')
    user.find('Days in the trash').clear().type('14')
    user.find('Save settings').click()
    await user.should_see('Settings saved')
    assert (values()['company_name'], values()['trash_days']) == ('Nordwind Outfitters', 14)
    await user.open('/customers')  # "shown in the back office", as its help says: the header names the shop
    await user.should_see(kind=ui.link, content='Nordwind Outfitters')


async def test_a_typed_setting_counts_up_to_its_limit_and_a_longer_text_is_still_refused(user: User) -> None:
    """The company name counts its characters up to the 200 the service takes (a number setting counts nothing); a
    longer name arriving anyway (pasted past it) is refused at its field as before."""
    admin = make_user('admin')
    await signed_in(user, admin.email, path='/settings')
    await user.should_see('Days in the trash')
    (name,) = user.find(marker='company_name').elements
    (days,) = user.find(marker='trash_days').elements
    assert (name.props.get('counter'), name.props.get('maxlength')) == (True, 200)
    assert 'counter' not in days.props and 'maxlength' not in days.props
    hostile = 'Shop "<script>x</script>": O\'Hara '
    user.find('Company name').clear().type(hostile * 8)  # 256 characters
    user.find('Save settings').click()
    await user.should_see('Use at most 200 characters')
    assert values()['company_name'] != (hostile * 8).strip()
    user.find('Company name').clear().type(hostile.strip())
    user.find('Save settings').click()
    await user.should_see('Settings saved')
    assert values()['company_name'] == hostile.strip()


async def test_the_header_shows_the_saved_company_name_at_once_on_this_page_and_the_admins_other_pages(
    user: User, create_user
) -> None:
    """Saved at /settings, the company name stayed the old one in the header until the page was loaded again, here and
    on the admin's other open pages."""
    admin = make_user('admin')
    elsewhere = create_user()  # the same admin's other tab, on another screen
    await signed_in(elsewhere, admin.email, path='/customers')
    await elsewhere.should_see(marker='shop-name', content='My Shop')
    await signed_in(user, admin.email, path='/settings')
    await user.should_see('Days in the trash')
    hostile = 'Nordwind "<script>alert(1)</script>": \'Outfitters\''
    user.find('Company name').clear().type(hostile)
    user.find('Save settings').click()
    await user.should_see('Settings saved')
    assert user.find(marker='shop-name').elements.pop().text == hostile
    await elsewhere.should_see(marker='shop-name', content=hostile)
    assert elsewhere.find(marker='shop-name').elements.pop().text == hostile


async def test_an_admin_sets_the_segments_webhook_and_a_bad_address_is_refused_at_its_field(user: User) -> None:
    await signed_in(user, make_user('admin').email, path='/settings')
    await user.should_see('Segments webhook')
    user.find('Segments webhook').clear().type('http://mail-tool.example.com/in')
    user.find('Save settings').click()
    await user.should_see('Use https:// (plain http only in development)')
    user.find('Segments webhook').clear().type('https://mail-tool.example.com/in')
    user.find('Save settings').click()
    await user.should_see('Settings saved')
    with session_scope() as session:
        assert app_settings.value(session=session, key='segments_webhook_url') == 'https://mail-tool.example.com/in'
