"""The customer portal: my account: profile, language and marketing consent, my addresses, a password, my personal
data, sign out."""

from __future__ import annotations

from nicegui import ui

from backoffice import i18n
from backoffice.db import read_session, session_scope
from backoffice.i18n import N_, _, pgettext
from backoffice.services import portal, portal_access
from backoffice.services.portal_scope import PortalActor
from components.address_book import address_book
from components.forms import FAILED, call, counted, error_line
from components.portal_pages import portal_page
from components.portal_session import acting_actor, current_actor, session_id, session_key
from components.session_renewal import portal_renewal_url

NO_PASSWORD = N_('Choose a password to sign in without waiting for an email link.')
HAS_PASSWORD = N_('You have a password: sign in with it or with an email link. A new password replaces it.')


@portal_page('/portal/account', N_('Your account'))
def portal_account_page(actor: PortalActor) -> None:
    with read_session() as session:
        profile = portal.my_profile(session=session, actor=actor)
    with ui.card().classes('w-full p-4 gap-3').mark('portal-profile'):
        ui.label(_('Profile')).classes('text-lg font-medium')
        ui.label(profile.email).classes('text-sm text-gray-600 break-all')
        name = (
            counted(ui.input(_('Name'), value=profile.name), portal.PROFILE_NAME_MAX)
            .props('outlined')
            .classes('w-full')
            .mark('portal-profile-name')
        )
        phone = ui.input(_('Phone'), value=profile.phone or '').props('outlined type=tel').classes('w-full')
        language = (
            ui.select(
                {'': _("The shop's language")} | i18n.available(), value=profile.language or '', label=_('Language')
            )
            .props('outlined')
            .classes('w-full')
        )
        consent = ui.checkbox(_('Send me news and offers by email'), value=profile.marketing_consent).mark(
            'portal-consent'
        )
        profile_message = error_line()
        shown = {'profile': profile}  # what the page shows: a save writes only what the customer changed from it

        async def save_profile() -> None:
            who = acting_actor()
            if who is None:
                return
            done = await call(
                _save_profile,
                who,
                shown['profile'],
                name.value or '',
                phone.value or None,
                language.value or None,
                bool(consent.value),
                fields={'name': name, 'phone': phone, 'language': language},
                message=profile_message,
            )
            if done is not FAILED:
                shown['profile'] = done  # and the fields show it all, a change staff made meanwhile too
                name.value, phone.value, consent.value = done.name, done.phone or '', done.marketing_consent
                language.value = done.language or ''
                ui.notify(_('Your profile is saved.'))

        ui.button(_('Save profile'), on_click=save_profile).classes('self-end').mark('portal-save-profile')
    address_book(acting_actor, customer_id=actor.customer_id, may_write=True)
    with ui.card().classes('w-full p-4 gap-3'):
        ui.label(_('Password')).classes('text-lg font-medium')
        with read_session() as session:
            chosen = portal_access.has_password(session=session, customer_id=actor.customer_id)
        # a customer with a password read "Choose a password", as if they had none
        said = ui.label(_(HAS_PASSWORD if chosen else NO_PASSWORD)).classes('text-sm text-gray-600')
        said.mark('portal-password-said')
        password = (
            ui.input(_('New password'), password=True, password_toggle_button=True)
            .props('outlined autocomplete=new-password')
            .classes('w-full')
            .mark('portal-new-password')
        )
        message = error_line()

        async def save() -> None:
            who = acting_actor()
            if who is None:
                return
            done = await call(
                _set_password,
                who.customer_id,
                password.value or '',
                session_id(),
                fields={'password': password},
                message=message,
            )
            if done is not FAILED:
                password.value = ''
                said.text = _(HAS_PASSWORD)
                ui.notify(_('Your password is saved. Other browsers signed in as you were signed out.'))

        ui.button(_('Save password'), on_click=save).classes('self-end').mark('portal-save-password')

    with ui.card().classes('w-full p-4 gap-2'):
        ui.label(_('Your data')).classes('text-lg font-medium')
        ui.label(_('Download everything we hold about you: profile, orders, requests, invoices (a ZIP file).')).classes(
            'text-sm text-gray-600'
        )
        data_message = error_line()

        async def download_data() -> None:
            who = acting_actor()
            if who is None:
                return
            made = await call(_personal_data, who, message=data_message)
            if made is not FAILED:
                ui.download.content(made[0], made[1], 'application/zip')

        ui.button(_('Download my data'), icon='download', on_click=download_data).props('outline').classes(
            'self-start'
        ).mark('portal-my-data')

    def sign_out() -> None:
        who = current_actor()
        if who is not None:
            portal_access.sign_out(customer_id=who.customer_id, key=session_key())
        ui.navigate.to(portal_renewal_url(None))

    ui.button(pgettext('oneself', 'Sign out'), icon='logout', on_click=sign_out).props('outline').classes(
        'self-start'
    ).mark('portal-sign-out')


def _save_profile(
    actor: PortalActor, loaded: portal.Profile, name: str, phone: str | None, language: str | None, consent: bool
) -> portal.Profile:
    with session_scope() as session:
        return portal.update_profile(
            session=session,
            actor=actor,
            name=name,
            phone=phone,
            language=language,
            marketing_consent=consent,
            loaded=loaded,
        )


def _personal_data(actor: PortalActor) -> tuple[bytes, str]:
    with read_session() as session:
        return portal.personal_data_zip(session=session, actor=actor)


def _set_password(customer_id: int, password: str, keep: int | None) -> None:
    with session_scope() as session:
        portal_access.set_password(session=session, customer_id=customer_id, password=password, keep_session_id=keep)
