"""A choice refused reads as a person knows it: a form's field says the choices by their labels ("Choose one of Active
or Unfinished sign-up"), never their stored values ('active', 'unfinished'); an API caller still reads the values, the
words its program sends."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from backoffice import i18n
from backoffice.api.resources import router
from backoffice.db import session_scope
from backoffice.errors import ValidationFailed, field_errors
from backoffice.models import CustomerCreate
from backoffice.resources import resource
from backoffice.runtime import ratelimit
from backoffice.services import api_keys, crud

from .support.api import api_client, bearer
from .support.factories import make_user

CUSTOMERS = resource('customers')
HOSTILE = 'Zed "<script>window.__x=1</script>": O\'Hara <img src=x onerror="window.__x=1">'


@pytest.mark.parametrize(
    ('language', 'expected'),
    [('en', 'Choose one of Active or Unfinished sign-up'), ('fr', 'Choisissez parmi Actif ou Inscription inachevée')],
)
def test_a_refused_choice_is_named_by_the_labels_its_form_shows(language: str, expected: str) -> None:
    """What the form's Create calls (crud.create_record, resource_form): the field's message names the two statuses
    the form offers, by their labels in the reader's language (it said 'active', 'unfinished' or 'banned')."""
    actor = make_user('manager')
    with i18n.use(language), session_scope() as session, pytest.raises(ValidationFailed) as refused:
        crud.create_record(
            session=session,
            actor=actor,
            resource=CUSTOMERS,
            data={'email': 'zed@example.com', 'name': HOSTILE, 'status': 'Active'},
        )
    assert refused.value.errors == {'status': expected}


def test_a_choice_no_form_labels_still_reads_as_words() -> None:
    """A service validating without a form's labels (its own model): each value made readable, not quoted."""
    error = None
    try:
        CustomerCreate.model_validate({'email': 'zed@example.com', 'name': HOSTILE, 'status': '<script>'})
    except ValidationError as refused:
        error = refused
    assert error is not None
    assert field_errors(error) == {'status': 'Choose one of Active, Unfinished, Banned, or Merged'}


async def test_an_api_caller_reads_the_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ratelimit, 'api_keys', ratelimit.RateLimiter(10**6, 60.0))
    with session_scope() as session:
        _key, secret = api_keys.create_key(
            session=session, actor=None, system=True, name=HOSTILE, scopes=('write:customers',), acting_as=make_user()
        )
    async with api_client(router) as client:
        answer = await client.post(
            '/api/v1/customers',
            json={'email': 'zed@example.com', 'name': HOSTILE, 'status': 'Active'},
            headers=bearer(secret),
        )
    assert answer.status_code == 422
    [refusal] = answer.json()['detail']
    assert refusal['loc'] == ['body', 'status']
    assert refusal['msg'] == "Input should be 'active', 'unfinished', 'banned' or 'merged'"
