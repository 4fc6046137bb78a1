"""An admin answers a data-protection request from the customer's page: the export is made in the background and
offered behind a link that works once and expires; the erasure shows what will change and asks for the email typed."""

from __future__ import annotations

import asyncio
import io
import zipfile
from datetime import timedelta

import pytest
from nicegui import ui
from nicegui.testing import User

from backoffice.db import read_session
from backoffice.models import Customer
from backoffice.services import personal_data
from components import downloads

from .support.factories import make_user
from .support.privacy import EMAIL, NAME, a_customer_with_everything
from .support.signin import signed_in
from .support.waiting import eventually


async def test_an_admin_exports_a_customer_and_the_link_works_once(user: User) -> None:
    person = a_customer_with_everything()
    await signed_in(user, make_user('admin').email, path=f'/customers/{person.customer_id}')
    await user.should_see(NAME, retries=40)
    user.find(marker='export-personal-data').click()
    await user.should_see(marker='export-link', retries=100)
    href = _href(user)
    answer = await user.http_client.get(href)
    assert answer.status_code == 200 and answer.headers['cache-control'] == 'no-store'
    assert 'profile.json' in zipfile.ZipFile(io.BytesIO(answer.content)).namelist()
    again = await user.http_client.get(href)
    assert again.status_code == 404


async def test_an_export_link_expires(user: User, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(downloads, 'LINK_LIFETIME', timedelta(seconds=0.5))
    person = a_customer_with_everything()
    await signed_in(user, make_user('admin').email, path=f'/customers/{person.customer_id}')
    await user.should_see(NAME, retries=40)
    user.find(marker='export-personal-data').click()
    await user.should_see(marker='export-link', retries=100)
    href = _href(user)
    await asyncio.sleep(1)
    assert (await user.http_client.get(href)).status_code == 404


async def test_a_manager_has_neither_button(user: User) -> None:
    person = a_customer_with_everything()
    await signed_in(user, person.manager.email, path=f'/customers/{person.customer_id}')
    await user.should_see(NAME, retries=40)
    await user.should_not_see(marker='export-personal-data')
    await user.should_not_see(marker='erase-personal-data')


async def test_an_admin_previews_and_erases_after_typing_the_email(user: User) -> None:
    person = a_customer_with_everything()
    await signed_in(user, make_user('admin').email, path=f'/customers/{person.customer_id}')
    await user.should_see(NAME, retries=40)
    user.find(marker='erase-personal-data').click()
    await user.should_see(marker='erase-preview', retries=40)
    await user.should_see('Orders: email, shipping name and address, note')
    user.find(marker='erase-confirmation').type('not the email')
    user.find(marker='confirm-erase').click()
    await user.should_see("Type the customer's email exactly as shown to confirm.", retries=40)
    user.find(marker='erase-confirmation').clear().type(EMAIL)
    user.find(marker='confirm-erase').click()
    await user.should_see('Personal data erased.', retries=40)
    await user.should_see(personal_data.erased_email(person.customer_id), retries=40)
    await user.should_not_see(marker='erase-personal-data')

    def erased() -> bool:
        with read_session() as session:
            return personal_data.is_erased(session.get(Customer, person.customer_id))

    await eventually(erased, message='the customer is erased')


def _href(user: User) -> str:
    link = user.find(marker='export-link').elements.pop()
    assert isinstance(link, ui.link)
    return link.props['href']
