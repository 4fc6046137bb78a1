"""Property-based test of the whole HTTP API over its own OpenAPI schema (schemathesis): input that fits the schema,
input that breaks it, and either with one malformed value slipped in (NaN, 1e400, integers beyond 64 bits, lone
surrogates, NUL), sent with a valid key holding every scope, never gets a server error (5xx). The generated API of every
declared resource (/api/v1) is in the schema, so a new resource is fuzzed with no test written."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core import NOT_SET
from starlette.testclient import TestClient

from backoffice import db
from backoffice.api import events as api_events
from backoffice.api.routes import ROUTERS
from backoffice.db import session_scope
from backoffice.models import TicketSource
from backoffice.runtime import ratelimit
from backoffice.services import api_keys, tickets

from .support import snapshot
from .support.factories import make_content, make_customer, make_product, make_user

EXAMPLES = int(os.environ.get('BACKOFFICE_FUZZ_EXAMPLES', '30'))  # per operation and mode; ~30 s in `make test`
# the generated /api/v1 operations are many (five or more per resource) and alike: fewer examples each
RESOURCE_EXAMPLES = int(os.environ.get('BACKOFFICE_FUZZ_RESOURCE_EXAMPLES', '8'))


def api_app() -> FastAPI:
    """The API as main.py mounts it (NiceGUI's own routes are not in the schema)."""
    app = FastAPI()
    for router in ROUTERS:
        app.include_router(router)
    return app


APP = api_app()
SPEC = APP.openapi()
# read from the dict: `from_asgi` asked the app for the same document over HTTP (~0.6 s of CPU in every process)
SCHEMA = schemathesis.openapi.from_dict(SPEC)
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]


def _declared(operation) -> dict:
    return SPEC['paths'][operation.path][operation.method.lower()]


def inputs(operation) -> str:
    """An operation's declared inputs, `$ref`s resolved: its parameters, its body and its security. Schemathesis
    draws an operation's cases from these alone, so operations with equal inputs (a record's GET and restore of every
    resource take only `record_id`) draw from the same strategy: one of them draws, the others are sent the same
    calls (`_DRAWN`)."""
    declared = _declared(operation)
    return json.dumps(_resolved({key: declared.get(key) for key in ('parameters', 'requestBody', 'security')}))


def _resolved(value):
    if isinstance(value, dict):
        if '$ref' in value:
            return _resolved(SPEC['components']['schemas'][value['$ref'].rsplit('/', 1)[1]])
        return {key: _resolved(item) for key, item in sorted(value.items())}
    if isinstance(value, list):
        return [_resolved(item) for item in value]
    return value


NO_INPUT = 'no parameters, no body'
ANY_TEXT = 'only path parameters of any text (a path segment is text whatever is sent)'


def nothing_to_break(operation) -> str | None:
    """Why the schema leaves negative mode nothing to get wrong, or None: no body and no parameters, or no body and
    only path parameters typed as plain text (no format, length, pattern or choices). Hypothesis then fails to draw
    a single case (`Unsatisfiable`, ~0.45 s of CPU each); read from the schema, these are not fuzzed in negative
    mode (listed in `test_negative_mode_is_left_out_only_where_nothing_can_break`)."""
    declared = _declared(operation)
    if 'requestBody' in declared:
        return None
    parameters = declared.get('parameters') or []
    if not parameters:
        return NO_INPUT
    if all(
        parameter['in'] == 'path'
        and parameter['schema'].get('type') == 'string'
        and set(parameter['schema']) <= {'type', 'title', 'description'}
        for parameter in parameters
    ):
        return ANY_TEXT
    return None


def refused_alike(operation) -> tuple | None:
    """What a call that breaks the schema meets in an operation of the generated API (/api/v1/<resource>…) with no
    body: its method, its path with the resource left out, and its parameters as the schema declares them. Such
    operations (a record's GET, history, DELETE and restore: the same lines of backoffice/api/resources.py for every
    resource, with the same parameter types) refuse a malformed call at those parameters, before the resource is
    reached: one of them fuzzed in negative mode proves it for all. None for any other operation."""
    declared = _declared(operation)
    parts = operation.path.split('/')
    if (
        parts[1:3] != ['api', 'v1']
        or 'requestBody' in declared
        or not operation.path.endswith(('}', '/history', '/restore'))
    ):
        return None
    return (
        operation.method,
        '/'.join([*parts[:3], '*', *parts[4:]]),
        json.dumps(declared.get('parameters'), sort_keys=True),
    )


def cases() -> list:
    """Every operation in positive mode; in negative mode every operation but those refused exactly as an earlier one
    (`refused_alike`): 62 of the 133 generated ones, whose negative calls only ever met the first one's refusal, and
    those whose schema leaves nothing to break (`nothing_to_break`)."""
    chosen, seen = [], set()
    for operation in OPERATIONS:
        chosen.append(pytest.param(operation, GenerationMode.POSITIVE, id=f'{operation.label}-positive'))
        if nothing_to_break(operation):
            continue
        alike = refused_alike(operation)
        if alike is None or alike not in seen:
            chosen.append(pytest.param(operation, GenerationMode.NEGATIVE, id=f'{operation.label}-negative'))
        seen.add(alike)
    return chosen


@pytest.fixture(scope='module')
def client() -> Iterator[TestClient]:
    """One client for the module, its event loop kept open between calls (a TestClient used outside `with` starts a
    thread and a loop for every call: about a millisecond of CPU each, some 3,000 times)."""
    with TestClient(APP, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def secret(monkeypatch: pytest.MonkeyPatch) -> str:
    """A key with every scope, rate limits out of the way, and a few records for the generated calls to meet. The
    records are made through the services once per process; every later test starts from a copy of those rows put
    back into the emptied tables (what the calls before it wrote is gone, as for any test)."""
    unlimited = ratelimit.RateLimiter(10**9, 60.0)
    for module, name in ((ratelimit, 'api_keys'), (ratelimit, 'ratings'), (api_events, 'limiter')):
        monkeypatch.setattr(module, name, unlimited)
    if _SEEDED:
        snapshot.put_back(db.get_engine(), _SEEDED['rows'])
        return _SEEDED['secret']
    key = _seed()
    _SEEDED.update(rows=snapshot.take(db.get_engine()), secret=key)
    return key


_SEEDED: dict = {}  # the seeded rows and the key's secret, once this process has made them


def _seed() -> str:
    make_customer('jo@example.com', name='Jo "<script>"')
    make_product('MUG', stock_on_hand=1000, actor=make_user('admin'))
    make_content('about', body='Hello: "<script>"', published=True)
    make_content('terms', kind='legal', body='Terms: "quoted"', published=True)
    with session_scope() as session:
        tickets.submit_request(
            session=session,
            source=TicketSource.api,
            email='jo@example.com',
            name='Jo',
            subject='Where: "<script>"',
            body='Help',
        )
        return api_keys.create_key(
            session=session,
            actor=None,
            system=True,
            name='Fuzz',
            scopes=list(api_keys.known_scopes()),
            acting_as=make_user('admin'),
        )[1]


@dataclass(frozen=True)
class Call:
    """A generated call apart from the operation it is sent to: its path parameters (one maybe spoiled), query,
    headers and body as sent."""

    path_parameters: dict
    query: dict | None
    headers: dict | None
    body: str | bytes | None


# the calls drawn in this process, by (inputs, mode, examples): the first operation with those inputs draws them with
# Hypothesis, every later one is sent the same calls (generating is ~60 % of the fuzz's CPU, and the same strategy
# drawn again gives calls of the same kinds). Each operation still gets its own test, database and calls.
_DRAWN: dict[tuple[str, GenerationMode, int], tuple[str, list[Call]]] = {}


@pytest.mark.parametrize(('operation', 'mode'), cases())
def test_no_generated_call_gets_a_server_error(
    operation, mode: GenerationMode, secret: str, client: TestClient
) -> None:
    examples = RESOURCE_EXAMPLES if operation.path.startswith('/api/v1/') else EXAMPLES
    key = (inputs(operation), mode, examples)
    if key in _DRAWN:
        drawn_for, replayed = _DRAWN[key]
        for call in replayed:
            send(client, secret, operation, call, f' (drawn for {drawn_for})')
        return

    calls: list[Call] = []

    @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode), data=st.data())
    def fuzz(case, data: st.DataObject) -> None:
        call = drawn(case, data)
        calls.append(call)
        send(client, secret, operation, call)

    try:
        fuzz()
    except Unsatisfiable:  # negative mode: the schema leaves nothing to get wrong that `nothing_to_break` can tell
        assert mode == GenerationMode.NEGATIVE
    _DRAWN[key] = (operation.label, calls)


def drawn(case, data: st.DataObject) -> Call:
    parameters, body = dict(case.path_parameters or {}), _serialized(case.body)
    if data.draw(st.booleans(), label='spoil'):  # half the calls carry one malformed value
        parameters, body = spoil(case, parameters, body, data)
    return Call(parameters, case.query, case.headers, body)


def send(client: TestClient, secret: str, operation, call: Call, note: str = '') -> None:
    path = operation.path.format(**call.path_parameters)
    headers = {**(call.headers or {}), 'Authorization': f'Bearer {secret}'}
    if call.body is not None:
        headers['Content-Type'] = 'application/json'
    response = client.request(operation.method.upper(), path, params=call.query, headers=headers, content=call.body)
    assert response.status_code < 500, (
        f'{operation.method.upper()} {path} {call.query!r} {call.body!r} → {response.status_code}{note}: '
        f'{response.text[:300]}'
    )


# what a careless or hostile client puts where a value goes; 1e400 is written raw (json.dumps cannot)
MALFORMED_VALUES = [
    math.nan,
    math.inf,
    -math.inf,
    '1e400',
    2**63,
    -(2**63) - 1,
    10**40,
    '\ud800',
    'a\udfffb',
    'nul\x00here',
    'quote"<script>:',
]
MALFORMED_PATH_VALUES = [str(2**63), str(10**30), '-' + str(2**64), 'a%00b']


def _serialized(body) -> str | bytes | None:
    if body is NOT_SET:
        return None
    return body if isinstance(body, bytes) else json.dumps(body)


def spoil(case, parameters: dict, body: str | bytes | None, data: st.DataObject) -> tuple[dict, str | bytes | None]:
    """The call with one value made malformed: a path parameter, or one value anywhere in the JSON body."""
    if parameters and (body is None or data.draw(st.booleans(), label='in path')):
        name = data.draw(st.sampled_from(sorted(parameters)), label='parameter')
        value = data.draw(st.sampled_from(MALFORMED_PATH_VALUES), label='path value')
        return {**parameters, name: value}, body
    if not isinstance(body, str):  # none, or not JSON at all (negative mode)
        return parameters, body
    document = json.loads(body)
    places = list(_places(document, ()))
    where = data.draw(st.sampled_from(places), label='place') if places else ()
    value = data.draw(st.sampled_from(MALFORMED_VALUES), label='value')
    raw = json.dumps(_replace(document, where, value))  # NaN and Infinity as Python writes them
    return parameters, raw.replace('"1e400"', '1e400')


def _places(value, at: tuple) -> Iterator[tuple]:
    yield at
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _places(item, (*at, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _places(item, (*at, index))


def _replace(document, where: tuple, value):
    if not where:
        return value
    head, *rest = where
    copy = dict(document) if isinstance(document, dict) else list(document)
    copy[head] = _replace(document[head], tuple(rest), value)
    return copy


def test_the_fuzz_covers_every_api_operation() -> None:
    assert {op.label for op in OPERATIONS} >= {
        'GET /healthz',
        'POST /api/requests',
        'POST /api/events',
        'POST /api/orders',
        'POST /api/requests/{number}/rating',
        'GET /api/content/{slug}/versions/{number}',
        'GET /api/v1/customers',
        'POST /api/v1/customers',
        'PATCH /api/v1/customers/{record_id}',
        'DELETE /api/v1/customers/{record_id}',
        'POST /api/v1/customers/{record_id}/actions/ban',
        # the example extension (extensions/loyalty_points): its resource and its own route, fuzzed like the core's
        'GET /api/v1/loyalty-points',
        'POST /api/v1/loyalty-points',
        'GET /api/v1/loyalty/balance/{customer_id}',
    }


def test_negative_mode_is_left_out_only_where_nothing_can_break() -> None:
    """The operations not fuzzed in negative mode because their schema leaves nothing to break (each one's negative
    mode drew no case at all when it was tried: `Unsatisfiable`). A parameter or a body added to one of them, or a
    constraint on its text, puts its negative mode back; a new operation with nothing to break fails here first."""
    assert {op.label: nothing_to_break(op) for op in OPERATIONS if nothing_to_break(op)} == {
        'GET /healthz': NO_INPUT,
        'POST /api/payments/stripe/webhook': NO_INPUT,  # reads and verifies its raw body itself
        'GET /api/content/{slug}': ANY_TEXT,
        'GET /api/content/{slug}/versions': ANY_TEXT,
        'GET /feeds/{file_name}': ANY_TEXT,
    }
