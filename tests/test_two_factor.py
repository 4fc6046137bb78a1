"""Two-factor sign-in: enrolment, the code after the password, recovery codes, replay refusal, throttling,
enforcement per role, and an admin's reset."""

import time
import urllib.parse

import pytest
from nicegui import ui
from nicegui.testing import User
from sqlmodel import select

from backoffice import i18n, secret_box
from backoffice import two_factor as totp
from backoffice.db import session_scope
from backoffice.errors import ValidationFailed
from backoffice.models import AuditEntry, Notification, RecoveryCode, StaffMail
from backoffice.services import app_settings, two_factor

from .support.factories import make_user
from .support.signin import enter_code, sign_in, staff_named
from .support.too_long import one_past, refused_at
from .support.two_factor import code_now, enrol, require_for
from .support.waiting import eventually

APP_CODE_PAST = '<b>"1:234'  # one character past the 8 an app's code field takes, hostile


def test_enrolment_stores_the_secret_encrypted_and_ten_hashed_recovery_codes() -> None:
    agent = make_user('agent')
    secret, codes = enrol(agent)
    stored = staff_named(agent.email)
    assert stored.totp_enabled_at is not None
    assert secret_box.is_encrypted(stored.totp_secret) and secret not in stored.totp_secret
    assert secret_box.decrypt(stored.totp_secret) == secret
    assert len(codes) == len(set(codes)) == 10
    with session_scope() as session:
        hashes = [row.code_hash for row in session.exec(select(RecoveryCode).where(RecoveryCode.user_id == agent.id))]
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == 'user.two_factor_enabled')).one()
    assert len(hashes) == 10 and all(h.startswith('$argon2id$') for h in hashes)
    assert not any(totp.normalized_recovery_code(code) in ''.join(hashes) for code in codes)
    assert secret not in str(entry.changes) + entry.summary


def test_a_shop_name_with_a_colon_or_a_slash_still_gives_the_app_one_issuer_and_one_account() -> None:
    """The key URI format separates issuer and account by the label's one colon; the shop's name 'Acme: Ltd/EU' added
    a second one (and a '/' in the address's path), so that apps named the account ' Ltd/EU Backoffice:…'."""
    admin = make_user('admin', email='ada@example.com')
    with session_scope() as session:
        app_settings.save(session=session, actor=admin, changes={'company_name': 'Acme: Ltd/EU "<script>"'}, loaded={})
    uri = two_factor.begin_enrolment(actor=admin).uri
    label = urllib.parse.unquote(urllib.parse.urlsplit(uri).path.lstrip('/'))
    issuer, account = label.split(':')  # exactly one colon
    assert account == 'ada@example.com' and '/' not in issuer
    assert issuer == 'Acme Ltd EU "<script>" Backoffice'
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(uri).query)['issuer'] == [issuer]


def test_enrolment_needs_a_matching_code() -> None:
    agent = make_user('agent')
    secret = totp.new_secret()
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        two_factor.confirm_enrolment(session=session, actor=agent, secret=secret, code='000000x')
    assert 'code' in refused.value.errors
    assert staff_named(agent.email).totp_secret is None


def test_a_code_is_accepted_once_and_a_code_of_an_already_used_step_is_refused(monkeypatch) -> None:
    middle_of_a_step = time.time() // 30 * 30 + 15  # held still: a step rolling over mid-test changed the outcome
    monkeypatch.setattr(time, 'time', lambda: middle_of_a_step)
    agent = make_user('agent')
    secret, _codes = enrol(agent)  # the previous step was used to confirm
    assert not two_factor.check_second_step(user_id=agent.id, code=code_now(secret, steps_ahead=-1)).ok
    assert two_factor.check_second_step(user_id=agent.id, code=code_now(secret)).ok
    replay = two_factor.check_second_step(user_id=agent.id, code=code_now(secret))
    assert not replay.ok and replay.message == 'This code does not match.'
    assert two_factor.check_second_step(user_id=agent.id, code=code_now(secret, steps_ahead=1)).ok  # the next one


def test_a_recovery_code_works_once() -> None:
    agent = make_user('agent')
    _secret, codes = enrol(agent)
    first = two_factor.check_second_step(user_id=agent.id, code=codes[3].upper().replace('-', ' '))
    assert first.ok and first.used_recovery_code
    assert not two_factor.check_second_step(user_id=agent.id, code=codes[3]).ok
    assert two_factor.unused_recovery_codes(agent.id) == 9


def test_wrong_codes_are_throttled_like_passwords() -> None:
    agent = make_user('agent')
    secret, _codes = enrol(agent)
    for _ in range(5):
        assert not two_factor.check_second_step(user_id=agent.id, code='123456').ok
    locked = two_factor.check_second_step(user_id=agent.id, code=code_now(secret))
    assert not locked.ok and 'Too many wrong codes' in locked.message


def test_a_code_longer_than_its_field_is_refused_with_both_figures_never_cut_nor_counted_as_a_guess() -> None:
    """The code fields take 8 characters (the app's 6 digits, grouped as typed) and 20 at sign-in (a recovery code
    too): a longer code that arrives anyway (pasted past the field, a script) is refused at the field with the limit
    and its length in the reader's language, not cut to fit, and not counted against the account as a wrong code."""
    agent = make_user('agent')
    assert len(APP_CODE_PAST) == two_factor.APP_CODE_MAX + 1
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        two_factor.confirm_enrolment(session=session, actor=agent, secret=totp.new_secret(), code=APP_CODE_PAST)
    assert refused.value.errors == {'code': refused_at(two_factor.APP_CODE_MAX)}
    with i18n.use('fr'), session_scope() as session, pytest.raises(ValidationFailed) as in_french:
        two_factor.confirm_enrolment(session=session, actor=agent, secret=totp.new_secret(), code=APP_CODE_PAST)
    assert in_french.value.errors == {'code': '8 caractères au maximum (il y en a 9)'}

    secret, _codes = enrol(agent)
    long_code = one_past(two_factor.SIGN_IN_CODE_MAX)
    for _ in range(6):  # past the five wrong codes that lock the second step
        step = two_factor.check_second_step(user_id=agent.id, code=long_code)
        assert (step.ok, step.message, step.retype) == (False, refused_at(two_factor.SIGN_IN_CODE_MAX), False)
    with i18n.use('fr'):
        step = two_factor.check_second_step(user_id=agent.id, code=long_code)
    assert step.message == '20 caractères au maximum (il y en a 21)'
    for change in (two_factor.new_recovery_codes, two_factor.turn_off):
        for _ in range(6):
            with session_scope() as session, pytest.raises(ValidationFailed) as refused:
                change(session=session, actor=agent, code=APP_CODE_PAST)
            assert refused.value.errors == {'code': refused_at(two_factor.APP_CODE_MAX)}
    assert two_factor.check_second_step(user_id=agent.id, code=code_now(secret)).ok  # no wrong code was counted
    assert two_factor.unused_recovery_codes(agent.id) == 10 and staff_named(agent.email).totp_secret is not None


def test_an_admin_cannot_reset_their_own_two_factor_without_a_code() -> None:
    """Turning one's own two-factor off asks a code from the app; 'Reset two-factor sign-in' on one's own user page did
    not, so an admin's session left open (or stolen) could remove the second step without the phone."""
    admin = make_user('admin')
    enrol(admin)
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        two_factor.reset(session=session, actor=admin, user_id=admin.id)
    assert 'Security and sessions' in str(refused.value)
    assert staff_named(admin.email).totp_secret is not None


def test_admin_reset_is_audited_and_the_user_is_told_by_email_and_in_the_app() -> None:
    admin = make_user('admin', name='Ada "Root" <script>x</script>')
    agent = make_user('agent')
    enrol(agent)
    with session_scope() as session:
        two_factor.reset(session=session, actor=admin, user_id=agent.id)
    stored = staff_named(agent.email)
    assert stored.totp_secret is None and stored.totp_enabled_at is None
    with session_scope() as session:
        assert session.exec(select(RecoveryCode).where(RecoveryCode.user_id == agent.id)).all() == []
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == 'user.two_factor_reset')).one()
        notice = session.exec(select(Notification).where(Notification.user_id == agent.id)).one()
        email = session.exec(select(StaffMail).where(StaffMail.user_id == agent.id)).one()
    assert entry.actor_id == admin.id and agent.email in entry.summary
    assert 'reset your two-factor sign-in' in notice.text
    assert email.to_address == agent.email and 'reset' in email.subject


def test_only_an_admin_may_reset_someone_s_two_factor() -> None:
    manager = make_user('manager')
    agent = make_user('agent')
    enrol(agent)
    with session_scope() as session, pytest.raises(Exception, match='users.manage'):
        two_factor.reset(session=session, actor=manager, user_id=agent.id)


async def test_sign_in_asks_the_code_after_the_password(user: User) -> None:
    agent = make_user('agent')
    secret, _codes = enrol(agent)
    await sign_in(user, agent.email)
    await user.should_see('Two-factor sign-in')
    await user.should_not_see('Welcome')
    await enter_code(user, '999999')
    await user.should_see('This code does not match.')
    await enter_code(user, code_now(secret))
    await user.should_see('Welcome')


async def test_the_sign_in_code_counts_up_to_its_limit_and_a_longer_code_is_refused_and_kept(user: User) -> None:
    """The code field counts its characters up to the 20 the second step takes; a longer code (pasted past it) is
    refused under the field with both figures and stays as typed, the count in sight; the right code then signs in."""
    agent = make_user('agent')
    secret, _codes = enrol(agent)
    await sign_in(user, agent.email)
    (code,) = user.find(marker='code').elements
    assert (code.props.get('counter'), code.props.get('maxlength')) == (True, two_factor.SIGN_IN_CODE_MAX)
    long_code = one_past(two_factor.SIGN_IN_CODE_MAX)
    await enter_code(user, long_code)
    await user.should_see(refused_at(two_factor.SIGN_IN_CODE_MAX))
    assert (code.value, code.slots['counter'].children[0].text) == (long_code, '21 / 20')
    user.find(marker='code').clear()
    await enter_code(user, code_now(secret))
    await user.should_see('Welcome')


async def test_a_recovery_code_signs_in_instead_of_the_app(user: User) -> None:
    agent = make_user('agent')
    _secret, codes = enrol(agent)
    await sign_in(user, agent.email)
    await enter_code(user, codes[0])
    await user.should_see('Welcome')


async def test_a_user_whose_role_requires_it_must_enrol_before_reaching_any_page(user: User) -> None:
    admin = make_user('admin')
    manager = make_user('manager')
    require_for('manager', admin)
    await sign_in(user, manager.email, path='/orders')
    await user.should_see('Your role requires two-factor sign-in. Set it up to continue.')
    assert user.client.page.path == '/account/security'
    for path in ('/', '/orders', '/customers', '/users', '/settings'):
        await user.open(path)
        await user.should_see('Your role requires two-factor sign-in')
        assert user.client.page.path == '/account/security'
    # the enrolment dialog is open: scan (here: read the key), type the code, keep the recovery codes
    key = next(iter(user.find(marker='manual-key').elements)).text.replace(' ', '')
    user.find(marker='enrol-code').type(totp.code_at(key, time.time()))
    user.find(marker='confirm-enrolment').click()
    await user.should_see('Two-factor sign-in is on.')
    codes = [label.text for label in user.find(marker='recovery-codes').elements.pop().descendants()]
    assert len([c for c in codes if c]) >= 10
    user.find(marker='codes-saved').click()
    await user.should_see('Welcome')
    await user.open('/orders')
    await user.should_not_see('Your role requires two-factor sign-in')


async def test_other_roles_are_not_held_back(user: User) -> None:
    admin = make_user('admin')
    agent = make_user('agent')
    require_for('manager', admin)
    await sign_in(user, agent.email)
    await user.should_see('Welcome')


async def test_enrol_from_the_user_menu_page_and_turn_it_off(user: User) -> None:
    agent = make_user('agent')
    await sign_in(user, agent.email, path='/account/security')
    await user.should_see('Off: your password alone signs you in.')
    user.find(marker='enrol-two-factor').click()
    await user.should_see(marker='qr-code')
    key = next(iter(user.find(marker='manual-key').elements)).text.replace(' ', '')
    (field,) = user.find(marker='enrol-code').elements
    assert (field.props.get('counter'), field.props.get('maxlength')) == (True, two_factor.APP_CODE_MAX)
    user.find(marker='enrol-code').type(APP_CODE_PAST)  # pasted past the field: refused at it, kept, never cut
    user.find(marker='confirm-enrolment').click()
    await eventually(lambda: field.error == refused_at(two_factor.APP_CODE_MAX))
    assert (field.value, field.slots['counter'].children[0].text) == (APP_CODE_PAST, '9 / 8')
    user.find(marker='enrol-code').clear()
    user.find(marker='enrol-code').type('12')
    user.find(marker='confirm-enrolment').click()
    await user.should_see('This code does not match.')
    user.find(marker='enrol-code').clear()
    user.find(marker='enrol-code').type(totp.code_at(key, time.time()))
    user.find(marker='confirm-enrolment').click()
    await user.should_see('Two-factor sign-in is on.')
    user.find(marker='codes-saved').click()
    await user.should_see('10 unused recovery codes')
    user.find(marker='turn-off-two-factor').click()
    (field,) = user.find(marker='confirm-code').elements
    assert (field.props.get('counter'), field.props.get('maxlength')) == (True, two_factor.APP_CODE_MAX)
    user.find(marker='confirm-code').type(totp.code_at(key, time.time() + 30))
    user.find(marker='confirm-code-action').click()
    await user.should_see('Two-factor sign-in is off.')
    assert staff_named(agent.email).totp_secret is None


async def test_admin_resets_a_user_s_two_factor_from_the_user_s_page(user: User) -> None:
    admin = make_user('admin')
    agent = make_user('agent', name='Agent "Quoted": <script>alert(1)</script>')
    enrol(agent)
    await sign_in(user, admin.email, path=f'/users/{agent.id}')
    await user.should_see('Agent "Quoted": <script>alert(1)</script>')
    await user.should_see(marker='two-factor-on')
    user.find(marker='reset-two-factor').click()
    await user.should_see(marker='confirm-yes')
    user.find(marker='confirm-yes').click()
    await user.should_see('Two-factor sign-in reset')
    await user.should_see(marker='two-factor-off')
    assert staff_named(agent.email).totp_enabled_at is None


async def test_an_agent_cannot_open_a_user_s_page(user: User) -> None:
    agent = make_user('agent')
    await sign_in(user, agent.email, path=f'/users/{agent.id}')
    await user.should_see("You don't have access to this page")
    assert ui  # the page is the shell's no-access screen


async def test_once_the_role_requires_it_an_open_page_acts_no_more_and_no_url_answers(user: User) -> None:
    admin = make_user('admin')
    manager = make_user('manager')
    await sign_in(user, manager.email)
    await user.should_see('Welcome')
    require_for('manager', admin)
    user.find(marker='dark-mode').click()  # any action on the page already open
    await user.should_see('Your role requires two-factor sign-in. Set it up to continue.')
    for path in ('/uploads/products/x.png', '/orders?status=paid', '/users/1'):
        response = await user.http_client.get(path, follow_redirects=False)
        assert response.status_code in (302, 303, 307) and response.headers['location'] == '/account/security', path


async def test_an_admin_s_own_user_page_sends_to_security_and_sessions_instead_of_reset(user: User) -> None:
    admin = make_user('admin')
    secret, _codes = enrol(admin)
    await sign_in(user, admin.email, path=f'/users/{admin.id}')
    await enter_code(user, code_now(secret))
    await user.should_see(marker='two-factor-on')
    await user.should_see(marker='own-security')
    await user.should_not_see(marker='reset-two-factor')
