"""/api/v1/{resource}: every declared resource over HTTP with a scoped key acting as a staff member — list with the
screens' search, filters, sort and cursor, get, create, update with the version, delete to the trash, actions, the
scopes and permissions, the audit entries naming the key, the rate limit, and the typed OpenAPI description."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError
from sqlmodel import col, select, update

from backoffice import extension_hooks
from backoffice.api.resources import router
from backoffice.api.routes import ROUTERS
from backoffice.db import read_session, session_scope
from backoffice.engine.declaration import RESOURCES
from backoffice.models import ApiKey, AuditEntry, Customer, Order, Product, StaffRole, utcnow
from backoffice.runtime import ratelimit
from backoffice.services import api_keys, audit_story, tickets, users
from backoffice.validation import OptionalId

from .support.api import api_client, bearer, key_for, make_key
from .support.factories import (
    make_company,
    make_customer,
    make_product,
    make_role,
    make_user,
    paid_order,
    stored_request,
    submit_request,
)

HOSTILE = 'Jo "<script>alert(1)</script>": \'quoted\''
KEY_NAME = 'Sync: "nightly" <script>x</script>'


@pytest.fixture(autouse=True)
def unlimited(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ratelimit, 'api_keys', ratelimit.RateLimiter(10**6, 60.0))


async def test_a_key_lists_customers_with_the_screens_search_filters_sort_and_cursor() -> None:
    for n in range(7):
        make_customer(f'c{n}@example.com', name=f'Customer {n}', status='unfinished' if n % 3 == 0 else 'active')
    _key, secret = key_for('agent', 'read:customers')
    async with api_client(router) as client:
        first = await client.get(
            '/api/v1/customers',
            params={'status': 'active', 'sort': 'email', 'descending': False, 'page_size': 2},
            headers=bearer(secret),
        )
        assert first.status_code == 200, first.text
        page = first.json()
        assert [c['email'] for c in page['items']] == ['c1@example.com', 'c2@example.com']
        assert (page['total'], page['exact'], page['previous_cursor']) == (4, True, None)
        following = await client.get(
            '/api/v1/customers',
            params={
                'status': 'active',
                'sort': 'email',
                'descending': False,
                'page_size': 2,
                'cursor': page['next_cursor'],
            },
            headers=bearer(secret),
        )
        assert [c['email'] for c in following.json()['items']] == ['c4@example.com', 'c5@example.com']
        assert following.json()['next_cursor'] is None and following.json()['page'] == 2
        back = await client.get(
            '/api/v1/customers',
            params={
                'status': 'active',
                'sort': 'email',
                'descending': False,
                'page_size': 2,
                'cursor': following.json()['previous_cursor'],
            },
            headers=bearer(secret),
        )
        assert [c['email'] for c in back.json()['items']] == ['c1@example.com', 'c2@example.com']
        searched = await client.get('/api/v1/customers', params={'q': 'customer 6'}, headers=bearer(secret))
        assert [c['email'] for c in searched.json()['items']] == ['c6@example.com']
        for forged in ('abc.def', '0.\x80', page['next_cursor'][:-1] + 'x', 'é.é'):
            answer = await client.get('/api/v1/customers', params={'cursor': forged}, headers=bearer(secret))
            assert answer.status_code == 400, forged
        last_day = await client.get(
            '/api/v1/customers', params={'signed_up_at_to': '9999-12-31'}, headers=bearer(secret)
        )
        assert last_day.status_code == 200 and last_day.json()['total'] == 7  # up to the last day there is
        bad_filter = await client.get('/api/v1/customers', params={'status': 'nonsense'}, headers=bearer(secret))
        assert bad_filter.status_code == 422


async def test_a_write_key_creates_updates_with_the_version_and_trashes_audited_as_its_staff_member() -> None:
    key, secret = key_for(
        'manager', 'write:customers', email='maria@example.com', name=KEY_NAME, person_name='Maria "Mia": <b>R</b>'
    )
    async with api_client(router) as client:
        created = await client.post(
            '/api/v1/customers', json={'email': 'new@example.com', 'name': HOSTILE}, headers=bearer(secret)
        )
        assert created.status_code == 201, created.text
        record = created.json()
        assert record['name'] == HOSTILE and record['version'] == 1 and 'password_hash' not in record
        url = f'/api/v1/customers/{record["id"]}'
        assert (await client.get(url, headers=bearer(secret))).json()['name'] == HOSTILE

        changed = await client.patch(url, json={'version': 1, 'phone': '+33 1 23 45 67 89'}, headers=bearer(secret))
        assert changed.status_code == 200, changed.text
        assert changed.json()['phone'] == '+33 1 23 45 67 89' and changed.json()['version'] == 2
        stale = await client.patch(url, json={'version': 1, 'phone': '+33 6 12 34 56 78'}, headers=bearer(secret))
        said = stale.json()['detail']  # not "Reload…; what you typed is kept", written for a screen
        # named as the key's list names it and as its person is named elsewhere (it said "maria@example.com (API key
        # ab12cd34)", the way the log keeps it)
        assert stale.status_code == 409 and said.startswith(
            f'This customer was changed by API key “{KEY_NAME}” (Maria "Mia": <b>R</b>) at '
        )
        assert said.endswith(': it is now at version 2. Read it again, then send your change with that version.')
        ahead = await client.patch(url, json={'version': 7, 'phone': '+33 6 12 34 56 78'}, headers=bearer(secret))
        assert ahead.status_code == 409 and ahead.json()['detail'] == (  # nobody overtook a version never reached
            'This customer has no version 7: it is at version 2. Read it again, then send your change with that '
            'version.'
        )
        invalid = await client.patch(url, json={'version': 2, 'email': 'not an email'}, headers=bearer(secret))
        assert invalid.status_code == 422

        trashed = await client.delete(url, params={'version': 2}, headers=bearer(secret))
        assert trashed.status_code == 200 and trashed.json()['deleted_at'] is not None
        assert (await client.get(url, headers=bearer(secret))).status_code == 200  # in the trash, still readable
        in_trash = await client.get('/api/v1/customers', params={'trash': True}, headers=bearer(secret))
        assert [c['id'] for c in in_trash.json()['items']] == [record['id']]

    with read_session() as session:
        entries = session.exec(select(AuditEntry).where(AuditEntry.entity == 'customers')).all()
    assert {e.action for e in entries} == {'customer.created', 'customer.updated', 'customer.deleted'}
    assert all(e.actor_email == f'maria@example.com (API key {key.prefix})' for e in entries)
    assert all(e.actor_id == key.user_id for e in entries)
    (updated,) = [e for e in entries if e.action == 'customer.updated']
    with read_session() as session:  # the audit entry's story names the key too, not the person alone
        story = audit_story.tell(session=session, actor=make_user('admin'), entry_id=updated.id)
    said_as = f'API key “{KEY_NAME}” (Maria "Mia": <b>R</b>)'
    assert story.actor == said_as
    assert story.sentence == f'{said_as} set the phone of customer new@example.com to +33 1 23 45 67 89'


async def test_a_boolean_is_json_true_or_false_and_anything_else_is_refused_at_its_field() -> None:
    """ "yes" was read as true: a customer's marketing consent was given by a word (and "on", 1, "1" alike)."""
    _key, secret = key_for('manager', 'write:customers')
    async with api_client(router) as client:
        refusals = [
            await client.post(
                '/api/v1/customers',
                json={'email': 'yes@example.com', 'name': HOSTILE, 'marketing_consent': sent, 'phone': 'call me'},
                headers=bearer(secret),
            )
            for sent in ('yes', 'on', '1', 1, 'true')
        ]
        in_french = await client.post(
            '/api/v1/customers',
            json={'email': 'yes@example.com', 'marketing_consent': 'oui'},
            headers=bearer(secret, **{'Accept-Language': 'fr'}),
        )
        consented = await client.post(
            '/api/v1/customers', json={'email': 'yes@example.com', 'marketing_consent': True}, headers=bearer(secret)
        )
        url = f'/api/v1/customers/{consented.json()["id"]}'
        withdrawn = await client.patch(url, json={'version': 1, 'marketing_consent': 'no'}, headers=bearer(secret))
        listed = await client.get('/api/v1/customers', params={'descending': 'true'}, headers=bearer(secret))
    for refused in refusals:  # said with the body's other mistake, nothing made
        said = {tuple(error['loc']): error['msg'] for error in refused.json()['detail']}
        assert refused.status_code == 422 and said.keys() == {('body', 'marketing_consent'), ('body', 'phone')}
        assert said['body', 'marketing_consent'] == (
            'Send true or false (JSON booleans): text such as "yes", or a number, is not read as one'
        )
    assert in_french.json()['detail'][0]['msg'].startswith('Envoyez true ou false (booléens JSON)\u00a0:')
    assert consented.status_code == 201 and consented.json()['marketing_consent'] is True
    assert withdrawn.status_code == 422 and withdrawn.json()['detail'][0]['loc'] == ['body', 'marketing_consent']
    assert listed.status_code == 200  # a query's true/false is text, as a URL has only text
    with read_session() as session:
        assert [c.marketing_consent for c in session.exec(select(Customer))] == [True]


async def test_a_customers_name_is_stored_trimmed_and_only_spaces_is_no_name() -> None:
    _key, secret = key_for('manager', 'write:customers')
    async with api_client(router) as client:
        spaced = await client.post(
            '/api/v1/customers', json={'email': 'spaced@example.com', 'name': f'  {HOSTILE} \t'}, headers=bearer(secret)
        )
        blank = await client.post(
            '/api/v1/customers', json={'email': 'blank@example.com', 'name': '   '}, headers=bearer(secret)
        )
        renamed = await client.patch(
            f'/api/v1/customers/{spaced.json()["id"]}', json={'version': 1, 'name': '  Jo  '}, headers=bearer(secret)
        )
    assert (spaced.status_code, blank.status_code, renamed.status_code) == (201, 201, 200)
    assert (spaced.json()['name'], blank.json()['name'], renamed.json()['name']) == (HOSTILE, '', 'Jo')
    with read_session() as session:
        assert sorted(c.name for c in session.exec(select(Customer))) == ['', 'Jo']


async def test_a_create_retried_with_its_idempotency_key_creates_once() -> None:
    _key, secret = key_for('manager', 'write:companies')
    async with api_client(router) as client:
        send = {'json': {'name': 'Acme: "<b>"'}, 'headers': bearer(secret, **{'Idempotency-Key': 'k-1'})}
        first, again = await client.post('/api/v1/companies', **send), await client.post('/api/v1/companies', **send)
        listed = await client.get('/api/v1/companies', headers=bearer(secret))
    assert (first.status_code, again.status_code) == (201, 201) and first.json() == again.json()
    assert again.headers['Idempotent-Replayed'] == 'true' and listed.json()['total'] == 1


async def test_actions_run_as_the_staff_member_with_their_inputs() -> None:
    customer = make_customer('ban.me@example.com', name='Ban me')
    _key, secret = key_for('manager', 'write:customers')
    async with api_client(router) as client:
        missing = await client.post(f'/api/v1/customers/{customer.id}/actions/ban', json={}, headers=bearer(secret))
        assert missing.status_code == 422
        banned = await client.post(
            f'/api/v1/customers/{customer.id}/actions/ban', json={'reason': HOSTILE}, headers=bearer(secret)
        )
        assert banned.status_code == 200, banned.text
        assert banned.json()['record']['status'] == 'banned'
        again = await client.post(
            f'/api/v1/customers/{customer.id}/actions/ban', json={'reason': 'twice'}, headers=bearer(secret)
        )
        assert again.status_code == 409  # a banned customer offers no Ban
        gone = await client.post('/api/v1/customers/999999/actions/unban', json={}, headers=bearer(secret))
        assert gone.status_code == 404


async def test_a_request_changes_through_its_own_service_and_an_action_warns_before_it_acts() -> None:
    original = submit_request('Parcel lost', email='ana@example.com')
    copy = submit_request(HOSTILE, email='ben@example.com')
    _key, secret = key_for('agent', 'write:tickets')
    async with api_client(router) as client:
        url = f'/api/v1/tickets/{copy.id}'
        changed = await client.patch(url, json={'version': copy.version, 'priority': 'high'}, headers=bearer(secret))
        assert changed.status_code == 200, changed.text
        assert changed.json()['priority'] == 'high' and changed.json()['subject'] == HOSTILE
        duplicate = f'{url}/actions/duplicate'
        warned = await client.post(duplicate, json={'of_number': original.number}, headers=bearer(secret))
        assert warned.status_code == 409 and '"confirmed": true' in warned.json()['detail']
        assert stored_request(copy.number).duplicate_of_id is None
        done = await client.post(
            duplicate, json={'of_number': original.number, 'confirmed': True}, headers=bearer(secret)
        )
        assert done.status_code == 200, done.text
    assert stored_request(copy.number).duplicate_of_id == original.id


async def test_scopes_and_the_staff_members_permissions_both_hold() -> None:
    customer = make_customer('jo@example.com', name='Jo')
    _reader, read_secret = key_for('manager', 'read:customers')
    _viewer, viewer_secret = key_for('viewer', 'write:customers')
    legacy, legacy_secret = make_key(scopes=('requests:write', 'orders:write'))
    async with api_client(router) as client:
        url = f'/api/v1/customers/{customer.id}'
        assert (await client.get(url, headers=bearer(read_secret))).status_code == 200
        refused = await client.patch(url, json={'version': 1, 'name': 'X'}, headers=bearer(read_secret))
        assert refused.status_code == 403 and 'write:customers' in refused.json()['detail']
        assert (await client.get('/api/v1/orders', headers=bearer(read_secret))).status_code == 403  # not its scope
        # the scope lets a viewer's key try; the viewer may not write customers, so the service refuses
        assert (await client.get(url, headers=bearer(viewer_secret))).status_code == 200
        denied = await client.patch(url, json={'version': 1, 'name': 'X'}, headers=bearer(viewer_secret))
        assert denied.status_code == 403
        # a key of before keeps exactly its rights: orders:write sends orders, it does not write /api/v1/orders
        assert (await client.get('/api/v1/orders', headers=bearer(legacy_secret))).status_code == 403
        assert (await client.get(url)).status_code == 401
    assert legacy.user_id is None


async def test_a_key_whose_staff_member_left_stops_working() -> None:
    key, secret = key_for('manager', 'read:customers')
    admin = make_user('admin')
    with session_scope() as session:
        users.set_active(session=session, actor=admin, user_id=key.user_id, version=1, active=False)
    async with api_client(router) as client:
        answer = await client.get('/api/v1/customers', headers=bearer(secret))
    assert answer.status_code == 403 and 'no active staff member' in answer.json()['detail']


async def test_the_rate_limit_answers_429_with_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ratelimit, 'api_keys', ratelimit.RateLimiter(2, 60.0))
    _key, secret = key_for('agent', 'read:customers')
    async with api_client(router) as client:
        answers = [await client.get('/api/v1/customers', headers=bearer(secret)) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429] and 'Retry-After' in answers[2].headers


async def test_errors_are_in_the_callers_language() -> None:
    _key, secret = key_for('agent', 'read:customers')
    async with api_client(router) as client:
        answer = await client.get('/api/v1/customers/999999', headers=bearer(secret, **{'Accept-Language': 'fr'}))
    assert answer.status_code == 404 and 'n’existe plus' in answer.json()['detail'] or 'existe' in answer.text


async def test_every_resource_is_described_with_typed_schemas_and_its_errors() -> None:
    async with api_client(*ROUTERS) as client:
        schema = (await client.get('/openapi.json')).json()
    for key, resource in RESOURCES.items():
        listing = schema['paths'][f'/api/v1/{key}']['get']
        assert set(listing['responses']) >= {'200', '400', '401', '403', '422', '429'}, key
        assert listing['responses']['200']['content']['application/json']['schema']['$ref'].endswith('Page')
        if resource.create is not None:
            assert 'post' in schema['paths'][f'/api/v1/{key}'], key
        one = schema['paths'][f'/api/v1/{key}/{{record_id}}']
        assert set(one['get']['responses']) >= {'200', '401', '403', '404', '422', '429'}
        if resource.update is not None:
            assert set(one['patch']['responses']) >= {'200', '404', '409', '422'}
    users_record = schema['components']['schemas']['UsersRecord']['properties']
    assert 'password_hash' not in users_record and 'totp_secret' not in users_record and 'email' in users_record
    assert 'secret' not in schema['components']['schemas']['WebhooksRecord']['properties']


def test_the_existing_public_routes_are_untouched() -> None:
    paths = {route.path for r in ROUTERS for route in r.routes}
    assert {'/api/requests', '/api/orders', '/api/events', '/api/content/{slug}'} <= paths
    extension_paths = {route.path for r in extension_hooks.routers() for route in r.routes}  # an extension's own
    core = [p for r in ROUTERS if r is not router for p in (x.path for x in r.routes) if p not in extension_paths]
    assert not any(p.startswith('/api/v1') for p in core)


def test_every_resource_has_read_and_write_scopes_and_the_old_scopes_stay() -> None:
    known = api_keys.known_scopes()
    assert set(api_keys.SCOPES) <= set(known)
    assert all(f'read:{key}' in known for key in RESOURCES)
    assert 'write:customers' in known and 'write:stock' in known and 'write:webhook-deliveries' in known
    assert 'write:audit' not in known  # nothing of it changes over /api/v1
    assert 'write:orders' in known  # an order changes over /api/v1 only by its actions: ship (a parcel)
    with read_session() as session:
        assert session.exec(select(Customer)).all() == []


def test_the_command_line_makes_a_resource_key_acting_as_a_staff_member(capsys: pytest.CaptureFixture) -> None:
    from backoffice.__main__ import main

    person = make_user('manager', email='ops@example.com')
    assert main(['create-api-key', '--name', 'ERP', '--scopes', 'read:orders,write:customers']) == 1
    assert 'name one (--as EMAIL)' in capsys.readouterr().err
    assert main(['create-api-key', '--name', 'ERP', '--scopes', 'read:orders', '--as', 'nobody@example.com']) == 1
    assert main(['create-api-key', '--name', 'ERP', '--scopes', 'read:orders', '--as', 'OPS@example.com']) == 0
    with read_session() as session:
        key = session.exec(select(ApiKey)).one()
    assert (key.scopes, key.user_id) == (['read:orders'], person.id)


def test_the_command_line_gives_no_scope_the_staff_member_may_not_use(capsys: pytest.CaptureFixture) -> None:
    """A key acting as a manager with write:webhooks would only be refused at each call: refused when made, saying
    whose role lacks what."""
    from backoffice.__main__ import main

    make_user('manager', email='maria@example.com')
    name = 'ERP "<script>alert(1)</script>": nightly'
    assert main(['create-api-key', '--name', name, '--scopes', 'write:webhooks', '--as', 'maria@example.com']) == 1
    assert (
        "maria@example.com may not use the scope 'write:webhooks': their role does not allow it (webhooks.manage)."
        in capsys.readouterr().err
    )
    assert main(['create-api-key', '--name', name, '--scopes', 'read:customers', '--as', 'maria@example.com']) == 0
    with read_session() as session:
        assert [key.scopes for key in session.exec(select(ApiKey)).all()] == [['read:customers']]


def test_the_migration_gives_keys_made_at_settings_their_maker_and_keeps_their_scopes(tmp_path) -> None:
    from alembic import command
    from sqlalchemy import create_engine, text

    from backoffice import db

    engine = create_engine(f'sqlite:///{tmp_path / "before.db"}')
    config = db.alembic_config()
    with engine.begin() as connection:
        config.attributes['connection'] = connection
        command.upgrade(config, '0023')
        connection.execute(
            text(
                'INSERT INTO users (email, name, role, password_hash, is_active, dark_mode, session_epoch, created_at, '
                "updated_at, version) VALUES ('Admin@Example.com', 'A', 'admin', '-', 1, 0, 1, '2026-01-01', "
                "'2026-01-01', 1)"
            )
        )
        for prefix, maker in (('aaaaaaaa', 'admin@example.com'), ('bbbbbbbb', 'system')):
            connection.execute(
                text(
                    'INSERT INTO api_keys (name, prefix, hash, scopes, created_by, created_at) VALUES '
                    "('Shop', :prefix, 'h', '[\"requests:write\", \"orders:write\"]', :maker, '2026-01-01')"
                ),
                {'prefix': prefix, 'maker': maker},
            )
    with engine.begin() as connection:
        config.attributes['connection'] = connection
        command.upgrade(config, 'heads')
    with engine.connect() as connection:
        rows = connection.execute(text('SELECT prefix, user_id, scopes FROM api_keys ORDER BY prefix')).all()
    engine.dispose()
    assert [(prefix, user_id) for prefix, user_id, _scopes in rows] == [('aaaaaaaa', 1), ('bbbbbbbb', None)]
    assert all(scopes == '["requests:write", "orders:write"]' for _prefix, _user, scopes in rows)


async def test_a_key_for_a_custom_role_has_exactly_its_permissions_and_a_change_counts_at_the_next_call() -> None:
    role = make_role('customers.read', name='Customer desk')
    make_customer('c@example.com')
    _key, secret = key_for(role.key, 'read:customers', 'read:orders')
    async with api_client(router) as client:
        assert (await client.get('/api/v1/customers', headers=bearer(secret))).status_code == 200
        assert (await client.get('/api/v1/orders', headers=bearer(secret))).status_code == 403
        # another process takes customers.read away and grants orders.read: no event reaches this one
        with session_scope() as session:
            session.exec(
                update(StaffRole)
                .where(col(StaffRole.id) == role.id)
                .values(permissions=['orders.read'], version=StaffRole.version + 1)
            )
            session.commit()
        assert (await client.get('/api/v1/customers', headers=bearer(secret))).status_code == 403
        assert (await client.get('/api/v1/orders', headers=bearer(secret))).status_code == 200


async def test_tags_that_are_not_a_list_or_words_are_refused_at_the_field_not_with_a_server_error() -> None:
    ticket = submit_request('Tags: "<script>"', email='tags@example.com')
    _key, secret = key_for('agent', 'write:tickets')
    async with api_client(router) as client:
        url = f'/api/v1/tickets/{ticket.id}'
        for tags in (1.0, 7, {'a': 1}, True):
            refused = await client.patch(url, json={'version': ticket.version, 'tags': tags}, headers=bearer(secret))
            assert refused.status_code == 422, (tags, refused.status_code, refused.text)
            assert 'Tags are a list, or words separated by commas' in refused.text
        kept = await client.patch(
            url, json={'version': ticket.version, 'tags': 'vip, "late": x'}, headers=bearer(secret)
        )
        assert kept.status_code == 200, kept.text
    assert stored_request(ticket.number).subject == 'Tags: "<script>"'


async def test_a_bad_value_is_refused_once_at_its_field_in_the_callers_language() -> None:
    """One error per field, located at the field (not at a member of a union), in the caller's language, with nothing
    in it that reads as `{}`."""
    customer = make_customer('terms@example.com', name=HOSTILE)
    _key, secret = key_for('manager', 'write:customers')
    french = bearer(secret, **{'Accept-Language': 'fr'})
    async with api_client(router) as client:
        related = await client.get('/api/v1/customers', params={'company_id': 'abc'}, headers=french)
        nobody = await client.get('/api/v1/customers', params={'company_id': 'none'}, headers=bearer(secret))
        english = await client.post('/api/v1/customers', json={'email': 'not "<an>": email'}, headers=bearer(secret))
        terms = await client.patch(
            f'/api/v1/customers/{customer.id}', json={'version': 1, 'payment_terms_days': 'abc'}, headers=french
        )
    assert related.status_code == 422
    assert [(e['loc'], e['msg']) for e in related.json()['detail']] == [
        (['query', 'company_id'], 'Donnez un identifiant (un nombre entier à partir de 1) ou none')
    ]
    assert nobody.status_code == 200 and HOSTILE in [c['name'] for c in nobody.json()['items']]
    assert english.status_code == 422 and [(e['loc'], e['msg']) for e in english.json()['detail']] == [
        (['body', 'email'], 'Enter a valid email address')  # not "Value error, Enter…"
    ]
    assert terms.status_code == 422
    (error,) = terms.json()['detail']
    assert error['loc'] == ['body', 'payment_terms_days']
    assert error['msg'] == 'Choisissez l’une des conditions de paiement proposées' and 'ctx' not in error


async def test_true_sent_for_an_id_or_a_version_is_refused_not_read_as_1() -> None:
    """pydantic reads JSON's true as 1: a customer sent with `"company_id": true` joined company 1 (another shop's
    customers' company), a change sent with `"version": true` passed as version 1."""
    first = make_company(HOSTILE)
    customer = make_customer('versioned@example.com', name=HOSTILE)
    _key, secret = key_for('manager', 'write:customers')
    async with api_client(router) as client:
        joined = await client.post(
            '/api/v1/customers',
            json={'email': 'joins@example.com', 'name': HOSTILE, 'company_id': True},
            headers=bearer(secret),
        )
        french = await client.post(
            '/api/v1/customers',
            json={'email': 'rejoint@example.com', 'company_id': True},
            headers=bearer(secret, **{'Accept-Language': 'fr'}),
        )
        changed = await client.patch(
            f'/api/v1/customers/{customer.id}', json={'version': True, 'name': 'Changed'}, headers=bearer(secret)
        )
        by_number = await client.post(
            '/api/v1/customers', json={'email': 'number@example.com', 'company_id': first.id}, headers=bearer(secret)
        )

    assert first.id == 1
    assert (joined.status_code, [(e['loc'], e['msg']) for e in joined.json()['detail']]) == (
        422,
        [(['body', 'company_id'], 'Input should be a valid integer')],
    )
    assert [e['msg'] for e in french.json()['detail']] == ['Saisissez un nombre entier']
    assert (changed.status_code, changed.json()['detail'][0]['loc']) == (422, ['body', 'version'])
    assert by_number.status_code == 201 and by_number.json()['company_id'] == first.id  # an id still joins
    with read_session() as session:
        emails = set(session.exec(select(Customer.email)))
        assert session.get(Customer, customer.id).name == HOSTILE
    assert 'joins@example.com' not in emails and 'rejoint@example.com' not in emails


async def test_a_page_past_the_last_is_empty_so_a_loop_over_pages_ends() -> None:
    for n in range(3):
        make_customer(f'paged{n}@example.com', name=f'Paged "<b>": {n}')
    _key, secret = key_for('agent', 'read:customers')
    async with api_client(router) as client:
        last = await client.get('/api/v1/customers', params={'page': 2, 'page_size': 2}, headers=bearer(secret))
        past = await client.get('/api/v1/customers', params={'page': 3, 'page_size': 2}, headers=bearer(secret))
    assert len(last.json()['items']) == 1 and last.json()['page'] == 2 and last.json()['next_cursor'] is None
    assert past.status_code == 200
    assert (past.json()['items'], past.json()['page'], past.json()['total']) == ([], 3, 3)  # not page 2 again
    assert past.json()['next_cursor'] is None and past.json()['previous_cursor'] is None


async def test_a_key_lists_the_requests_tagged_with_any_of_the_tags_given() -> None:
    agent = make_user('agent')
    tagged, plain = submit_request('Refund: "López" <b>x</b>'), submit_request('Plain', email='p@example.com')
    with session_scope() as session:
        tickets.change(session=session, actor=agent, ticket_id=tagged.id, version=tagged.version, tags=['refund'])
    _key, secret = key_for('agent', 'read:tickets')
    async with api_client(router) as client:
        answer = await client.get(
            '/api/v1/tickets', params={'tags': ['refund', 'vip'], 'page_size': 500}, headers=bearer(secret)
        )
        assert answer.status_code == 200, answer.text
        ids = {item['id'] for item in answer.json()['items']}
    assert tagged.id in ids and plain.id not in ids


async def test_a_malformed_field_is_said_with_the_taken_email_and_the_unknown_company_in_one_answer() -> None:
    """A malformed phone was said alone: the email another customer has and the company that does not exist came
    only once it was fixed, in a second 422."""
    make_customer('taken@example.com', name=HOSTILE)
    _key, secret = key_for('manager', 'write:customers')
    body = {'email': 'Taken@Example.com', 'name': HOSTILE, 'phone': '"<script>": call me', 'company_id': 999_999}
    async with api_client(router) as client:
        refused = await client.post('/api/v1/customers', json=body, headers=bearer(secret))
        in_french = await client.post(
            '/api/v1/customers', json=body, headers=bearer(secret, **{'Accept-Language': 'fr'})
        )
        only_malformed = await client.post(
            '/api/v1/customers', json={**body, 'email': 'free@example.com', 'company_id': None}, headers=bearer(secret)
        )

    said = {tuple(error['loc']): error['msg'] for error in refused.json()['detail']}
    assert refused.status_code == 422
    assert said.keys() == {('body', 'phone'), ('body', 'email'), ('body', 'company_id')}
    assert said['body', 'email'] == 'Another customer already has this email'
    assert said['body', 'company_id'] == 'Choose an existing company'
    assert all(
        error['type'] == 'value_error' for error in refused.json()['detail'] if error['loc'] != ['body', 'phone']
    )
    french = {tuple(error['loc']): error['msg'] for error in in_french.json()['detail']}
    assert (
        french['body', 'email']
        == 'Cette valeur de «\u00a0e-mail\u00a0» est déjà utilisée par un autre élément (client)'
    )
    assert french['body', 'company_id'].startswith('Choisissez un élément existant (')
    assert [error['loc'] for error in only_malformed.json()['detail']] == [['body', 'phone']]
    with read_session() as session:
        assert list(session.exec(select(Customer.email))) == ['taken@example.com']


async def test_a_change_with_a_malformed_version_also_says_the_taken_email_but_not_the_records_own() -> None:
    make_customer('first@example.com', name=HOSTILE)
    second = make_customer('second@example.com', name=HOSTILE)
    _key, secret = key_for('manager', 'write:customers')
    url = f'/api/v1/customers/{second.id}'
    async with api_client(router) as client:
        clash = await client.patch(
            url, json={'version': True, 'email': 'FIRST@example.com', 'company_id': 999_999}, headers=bearer(secret)
        )
        own = await client.patch(
            url, json={'version': 'one', 'email': 'second@example.com', 'name': HOSTILE}, headers=bearer(secret)
        )

    said = {tuple(error['loc']): error['msg'] for error in clash.json()['detail']}
    assert clash.status_code == 422
    assert said.keys() == {('body', 'version'), ('body', 'email'), ('body', 'company_id')}
    assert said['body', 'email'] == 'Another customer already has this email'
    assert [error['loc'] for error in own.json()['detail']] == [['body', 'version']]
    with read_session() as session:
        assert session.get(Customer, second.id).email == 'second@example.com'


async def test_an_actions_malformed_field_is_said_with_its_unknown_related_record() -> None:
    """Ship with a malformed version and a carrier that does not exist: both in one 422, nothing shipped."""
    customer = make_customer('ship@example.com', name=HOSTILE)
    order = paid_order(customer, utcnow(), number='200901')
    _key, secret = key_for('manager', 'write:orders')
    async with api_client(router) as client:
        refused = await client.post(
            f'/api/v1/orders/{order.id}/actions/ship',
            json={'version': True, 'carrier_id': 999_999, 'tracking_number': HOSTILE},
            headers=bearer(secret),
        )

    said = {tuple(error['loc']): error['msg'] for error in refused.json()['detail']}
    assert refused.status_code == 422
    assert said.keys() == {('body', 'version'), ('body', 'carrier_id')}
    assert said['body', 'carrier_id'] == 'Choose an existing carrier'
    with read_session() as session:
        assert session.get(Order, order.id).status == 'paid'


OUT_OF_RANGE_IDS = (0, -1, 2**31)  # a path's id is 1 to 2**31 - 1 (an INTEGER column): a related id in a body too


def _said(answer) -> dict[tuple, dict]:
    return {tuple(error['loc']): error for error in answer.json()['detail']}


def _out_of_range(error: dict, sent: int) -> bool:
    """A related id's refusal as a path id's: pydantic's own type and sentence, with the bound it broke."""
    if sent < 1:
        return error['type'] == 'greater_than_equal' and error['ctx'] == {'ge': 1}
    return error['type'] == 'less_than_equal' and error['ctx'] == {'le': 2**31 - 1}


async def test_a_related_id_out_of_range_is_refused_at_its_field_beside_a_malformed_field_as_a_path_id_is() -> None:
    """0, -1 and 2**31 as a product's category and a customer's company, on a create and on a change: 422 naming the
    id as a path id's bounds would (not "choose an existing …" after a look-up), in the same answer as a malformed
    field; nothing written."""
    customer = make_customer('bounds@example.com', name=HOSTILE)
    product = make_product('BOUNDS-1', name=HOSTILE)
    _key, secret = key_for('admin', 'write:products', 'write:customers')
    async with api_client(router) as client:
        path_id = _said(await client.get('/api/v1/customers/0', headers=bearer(secret)))['path', 'record_id']
        for sent in OUT_OF_RANGE_IDS:
            answers = {
                'product made': await client.post(
                    '/api/v1/products',
                    json={'sku': HOSTILE, 'name': HOSTILE, 'price': 'ten', 'category_id': sent},
                    headers=bearer(secret),
                ),
                'product changed': await client.patch(
                    f'/api/v1/products/{product.id}',
                    json={'version': 1, 'price': [], 'category_id': sent},
                    headers=bearer(secret),
                ),
                'customer made': await client.post(
                    '/api/v1/customers',
                    json={'email': 'new@example.com', 'name': HOSTILE, 'marketing_consent': 'yes', 'company_id': sent},
                    headers=bearer(secret),
                ),
                'customer changed': await client.patch(
                    f'/api/v1/customers/{customer.id}',
                    json={'version': 'one', 'name': HOSTILE, 'company_id': sent},
                    headers=bearer(secret),
                ),
            }
            for what, answer in answers.items():
                assert answer.status_code == 422, (what, sent, answer.text)
                said = _said(answer)
                related = ('body', 'category_id') if what.startswith('product') else ('body', 'company_id')
                malformed = {
                    'product made': ('body', 'price'),
                    'product changed': ('body', 'price'),
                    'customer made': ('body', 'marketing_consent'),
                    'customer changed': ('body', 'version'),
                }[what]
                assert {related, malformed} <= said.keys(), (what, sent, said)
                assert _out_of_range(said[related], sent), (what, sent, said[related])
                if sent == 0:  # word for word what a path's 0 gets
                    assert (said[related]['type'], said[related]['msg']) == (path_id['type'], path_id['msg'])
    with read_session() as session:
        assert list(session.exec(select(Customer.email))) == ['bounds@example.com']
        assert session.get(Customer, customer.id).version == 1
        assert session.get(Product, product.id).version == 1
        assert list(session.exec(select(Product.sku))) == ['BOUNDS-1']


async def test_an_out_of_range_id_is_refused_in_the_callers_language() -> None:
    _key, secret = key_for('admin', 'write:mailboxes')
    async with api_client(router) as client:
        made = await client.post(
            '/api/v1/mailboxes',
            json={'name': [], 'host': '', 'username': '', 'password': '', 'default_assignee_id': 2**31},
            headers=bearer(secret, **{'Accept-Language': 'fr'}),
        )
    said = _said(made)
    assert made.status_code == 422 and ('body', 'name') in said, made.text
    assert said['body', 'default_assignee_id']['type'] == 'less_than_equal'
    assert '2147483647' in said['body', 'default_assignee_id']['msg']
    assert 'less than' not in said['body', 'default_assignee_id']['msg']


async def test_the_openapi_bounds_every_id_a_body_takes_as_a_paths_id() -> None:
    """Every integer named id or *_id in any request body (a related record's: a product's category_id, a ticket's
    assignee_id, a ship's carrier_id) says minimum 1 and maximum 2**31 - 1, as the path's record_id does."""
    async with api_client(*ROUTERS) as client:
        schema = (await client.get('/openapi.json')).json()
    models = schema['components']['schemas']
    bodies = {
        content['schema'].get('$ref') or member['$ref']
        for operations in schema['paths'].values()
        for operation in operations.values()
        for content in operation.get('requestBody', {}).get('content', {}).values()
        for member in content['schema'].get('anyOf', [content['schema']])
        if '$ref' in member or '$ref' in content['schema']
    }
    ids = {}
    for ref in bodies:
        name = ref.rsplit('/', 1)[1]
        for field, described in models[name].get('properties', {}).items():
            for member in described.get('anyOf', [described]):
                if member.get('type') == 'integer' and (field == 'id' or field.endswith('_id')):
                    ids[f'{name}.{field}'] = (member.get('minimum'), member.get('maximum'))
    path_id = next(p for p in schema['paths']['/api/v1/products/{record_id}']['get']['parameters'])['schema']
    assert (path_id['minimum'], path_id['maximum']) == (1, 2**31 - 1)
    expected = {
        'ProductsCreate.category_id',
        'ProductsUpdate.category_id',
        'CategoriesCreate.parent_id',
        'CustomersUpdate.company_id',
        'MailboxesCreate.default_assignee_id',
        'TicketsUpdate.assignee_id',
        'OrdersShipInput.carrier_id',
    }
    assert expected <= ids.keys()
    assert {field: bounds for field, bounds in ids.items() if bounds != (1, 2**31 - 1)} == {}


async def test_every_whole_number_a_body_takes_says_its_bounds_and_one_past_them_is_refused_at_its_field() -> None:
    """Every integer of every request body says its bounds in the OpenAPI, as ids do, so a generated client knows them:
    a supplier's terms (0 to 365 days), a customer's or a company's (net 15, 30 or 60) and a mailbox's port (1 to
    65535) said none. A value past them is refused with 422 at its field, with the body's other mistakes, and nothing
    is stored."""
    async with api_client(*ROUTERS) as client:
        schema = (await client.get('/openapi.json')).json()
    models = schema['components']['schemas']

    def integer(model: str, field: str) -> dict:
        described = models[model]['properties'][field]
        return next(m for m in described.get('anyOf', [described]) if m.get('type') == 'integer')

    unbounded = [
        f'{model}.{field}'
        for model in _body_models(schema)
        for field, described in models[model].get('properties', {}).items()
        for member in described.get('anyOf', [described])
        if member.get('type') == 'integer' and 'enum' not in member and not {'minimum', 'maximum'} <= member.keys()
    ]
    assert unbounded == [], 'every whole number a body takes says its bounds (or its values)'

    for model in ('SuppliersCreate', 'SuppliersUpdate'):
        assert (integer(model, 'payment_terms_days')['minimum'], integer(model, 'payment_terms_days')['maximum']) == (
            0,
            365,
        ), model
    for model in ('CustomersCreate', 'CustomersUpdate', 'CompaniesCreate', 'CompaniesUpdate'):
        assert integer(model, 'payment_terms_days')['enum'] == [15, 30, 60], model
    for model in ('MailboxesCreate', 'MailboxesUpdate'):
        assert (integer(model, 'port')['minimum'], integer(model, 'port')['maximum']) == (1, 65535), model

    _key, secret = key_for('admin', 'write:suppliers', 'write:customers', 'write:companies', 'write:mailboxes')
    async with api_client(router) as client:
        for sent in (-1, 366, 10**12):
            answer = await client.post(
                '/api/v1/suppliers', json={'name': HOSTILE, 'payment_terms_days': sent}, headers=bearer(secret)
            )
            assert answer.status_code == 422 and ('body', 'payment_terms_days') in _said(answer), (sent, answer.text)
        for sent in (0, 45, 2**31):
            for path, body in (
                ('/api/v1/customers', {'email': 'terms@example.com', 'name': HOSTILE}),
                ('/api/v1/companies', {'name': HOSTILE}),
            ):
                answer = await client.post(path, json={**body, 'payment_terms_days': sent}, headers=bearer(secret))
                assert answer.status_code == 422 and ('body', 'payment_terms_days') in _said(answer), (path, sent)
        for sent in (0, 65536, 2**40):
            answer = await client.post(
                '/api/v1/mailboxes',
                json={'name': [], 'host': 'imap.example.com', 'username': HOSTILE, 'password': 'x', 'port': sent},
                headers=bearer(secret),
            )
            said = _said(answer)
            assert answer.status_code == 422 and {('body', 'port'), ('body', 'name')} <= said.keys(), (
                sent,
                answer.text,
            )
            assert said['body', 'port']['type'] in ('greater_than_equal', 'less_than_equal'), said['body', 'port']
    with read_session() as session:
        assert session.exec(select(Customer)).all() == []


def _body_models(schema: dict) -> set[str]:
    """The names of every model a request body is made of, the ones it nests (an order's lines) included."""
    models = schema['components']['schemas']
    waiting = [
        member['$ref']
        for operations in schema['paths'].values()
        for operation in operations.values()
        for content in operation.get('requestBody', {}).get('content', {}).values()
        for member in content['schema'].get('anyOf', [content['schema']])
        if '$ref' in member
    ]
    found: set[str] = set()
    while waiting:
        name = waiting.pop().rsplit('/', 1)[1]
        if name in found:
            continue
        found.add(name)
        for described in models[name].get('properties', {}).values():
            for member in described.get('anyOf', [described]):
                waiting += [ref for ref in (member.get('$ref'), member.get('items', {}).get('$ref')) if ref]
    return found


def test_an_optional_id_is_bounded_as_an_id_is() -> None:
    """`validation.OptionalId` (a customer's company, a product's category, a request's assignee in the services'
    schemas): 1 to what an INTEGER column holds, as /api/v1's `Id`; empty is none."""
    optional = TypeAdapter(OptionalId)
    assert [optional.validate_python(value) for value in ('', None, 1, 2**31 - 1)] == [None, None, 1, 2**31 - 1]
    for value in (0, -1, 2**31):
        with pytest.raises(ValidationError):
            optional.validate_python(value)
    number = next(m for m in optional.json_schema()['anyOf'] if m.get('type') == 'integer')
    assert (number['minimum'], number['maximum']) == (1, 2**31 - 1)
