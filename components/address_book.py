"""A customer's address book: their saved addresses with the default shipping and billing marks, a dialog to add or
change one, and delete. The same on the staff's customer page and in the portal's account page (the service checks
who may: `customers.write`, or the customer themselves)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nicegui import ui

from backoffice.db import read_session, session_scope
from backoffice.engine.declaration import FormField, most_characters
from backoffice.i18n import _
from backoffice.models import CustomerAddress, CustomerAddressIn
from backoffice.services import customer_addresses
from backoffice.validation import PHONE_MAX

from .forms import FAILED, call, confirm, counted, error_line, page_dialog

LIMITED = ('label', 'name', 'line1', 'line2', 'postcode', 'city', 'country')
FORM = (  # field, the most characters the service takes (CustomerAddressIn's own limits; a phone's, validation's)
    *((name, most_characters((CustomerAddressIn,), FormField(name, '')) or 0) for name in LIMITED),
    ('phone', PHONE_MAX),
)


def _labels() -> dict[str, str]:
    return {
        'label': _('Label (e.g. Office, Warehouse)'),
        'name': _('Name'),
        'line1': _('Address'),
        'line2': _('Address, line 2'),
        'postcode': _('Postcode'),
        'city': _('City'),
        'country': _('Country'),
        'phone': _('Phone'),
    }


def address_book(acting: Callable[[], Any], *, customer_id: int, may_write: bool) -> None:
    """`acting`: who acts, checked afresh at each click (acting_user on staff pages, acting_actor in the portal)."""
    with ui.card().classes('w-full p-4 gap-2').mark('address-book'):
        with ui.row().classes('w-full items-center justify-between gap-2'):
            ui.label(_('Addresses')).classes('text-lg font-medium')
            if may_write:
                ui.button(_('Add an address'), icon='add', on_click=lambda: edit(None)).props('outline').mark(
                    'address-add'
                )

        @ui.refreshable
        def listing() -> None:
            who = acting()
            if who is None:
                return
            with read_session() as session:
                rows = customer_addresses.addresses(session=session, by=who, customer_id=customer_id)
                session.expunge_all()
            if not rows:
                ui.label(_('No address saved yet.')).classes('text-sm text-gray-600').mark('address-none')
            for row in rows:
                with (
                    ui.row()
                    .classes('w-full items-start no-wrap gap-2 border-t border-gray-200 pt-2')
                    .mark('address-row')
                ):
                    with ui.column().classes('grow min-w-0 gap-0'):
                        with ui.row().classes('items-center gap-2'):
                            ui.label(row.label or _('Address')).classes('font-medium break-words')
                            if row.default_shipping:
                                ui.badge(_('Default shipping')).props('outline')
                            if row.default_billing:
                                ui.badge(_('Default billing')).props('outline')
                        ui.label(customer_addresses.one_line(row)).classes('text-sm break-words')
                        if row.phone:
                            ui.label(row.phone).classes('text-sm text-gray-600')
                    if may_write:
                        edit_button = ui.button(icon='edit', on_click=lambda r=row: edit(r)).props('flat round dense')
                        edit_button.props['aria-label'] = _('Change')
                        edit_button.mark('address-edit')
                        gone = ui.button(icon='delete', on_click=lambda r=row: remove(r)).props('flat round dense')
                        gone.props['aria-label'] = _('Delete')
                        gone.mark('address-delete')

        listing()

    def edit(row: CustomerAddress | None) -> None:
        labels = _labels()
        with page_dialog() as dialog, ui.card().classes('w-full max-w-lg gap-2').mark('address-dialog'):
            ui.label(_('Change the address') if row else _('New address')).classes('text-lg font-medium')
            fields: dict[str, Any] = {}
            for name, most in FORM:
                value = getattr(row, name) if row is not None else ''
                fields[name] = (
                    ui.input(labels[name], value=value or '')
                    .props('outlined dense')
                    .classes('w-full')
                    .mark(f'address-{name}')
                )
                counted(fields[name], most)
            shipping = ui.checkbox(_('Default shipping address'), value=bool(row and row.default_shipping))
            billing = ui.checkbox(_('Default billing address'), value=bool(row and row.default_billing))
            shipping.mark('address-default-shipping')
            billing.mark('address-default-billing')
            message = error_line()

            async def save() -> None:
                who = acting()
                if who is None:
                    return
                data = {name: field.value for name, field in fields.items()}
                data |= {'default_shipping': bool(shipping.value), 'default_billing': bool(billing.value)}
                done = await call(
                    _save,
                    who,
                    customer_id,
                    row.id if row else None,
                    row.version if row else None,
                    data,
                    fields=fields,
                    message=message,
                )
                if done is not FAILED:  # say it and show it before the dialog (this handler's place) goes away
                    ui.notify(_('The address is saved.'))
                    listing.refresh()
                    dialog.close()

            with ui.row().classes('w-full justify-end gap-2'):
                ui.button(_('Cancel'), on_click=dialog.close).props('flat')
                ui.button(_('Save address'), on_click=save).mark('address-save')
        dialog.open()

    async def remove(row: CustomerAddress) -> None:
        if not await confirm(
            _('Delete the address "{label}"? Orders keep the address they were sent to.').format(
                label=row.label or row.line1
            ),
            _('Delete the address'),
        ):
            return
        who = acting()
        if who is None:
            return
        if await call(_delete, who, customer_id, row.id, row.version) is not FAILED:
            ui.notify(_('The address is deleted.'))
            listing.refresh()


def _save(who: Any, customer_id: int, address_id: int | None, version: int | None, data: dict[str, Any]) -> None:
    with session_scope() as session:
        customer_addresses.save(
            session=session, by=who, customer_id=customer_id, address_id=address_id, version=version, data=data
        )


def _delete(who: Any, customer_id: int, address_id: int | None, version: int | None) -> None:
    with session_scope() as session:
        customer_addresses.delete(
            session=session, by=who, customer_id=customer_id, address_id=address_id or 0, version=version
        )
