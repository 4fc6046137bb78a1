"""A staff draft order's form (a phone order typed in): the customer (by email), products, quantities and a discount
in percent per line, the address and the customer's note. New drafts and changes to a draft go through
services/orders.py, which prices them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nicegui import ui

from backoffice import formatting
from backoffice.db import read_session, session_scope
from backoffice.i18n import _
from backoffice.models import Order, User
from backoffice.services import orders

from .forms import FAILED, call, counted, page_dialog
from .product_picker import product_picker
from .session import acting_user
from .whole_number import WholeNumberInput


class DraftDialog:
    def __init__(
        self, user: User, draft: Order | None = None, *, on_saved: Callable[[Order], Any] | None = None
    ) -> None:
        self.user, self.draft, self.on_saved = user, draft, on_saved
        with read_session() as session:
            lines = orders.order_lines(session, draft.id) if draft else []
        self.lines: list[tuple[ui.select, WholeNumberInput, ui.input]] = []
        with page_dialog() as self.dialog, ui.card().classes('w-full max-w-xl'):
            ui.label(_('Draft order {number}').format(number=draft.number) if draft else _('New draft order')).classes(
                'text-lg font-medium'
            )
            self.email = (
                ui.input(_('Customer email'), value=draft.email if draft else '')
                .props('outlined dense')
                .classes('w-full')
                .mark('draft-email')
            )
            if draft:  # the customer of a draft may still change; the service checks the new one
                self.email.tooltip(_('Change it to move the draft to another customer'))
            self.name = (
                counted(ui.input(_('Customer name'), value=draft.shipping_name if draft else ''), orders.NAME_MAX)
                .props('outlined dense')
                .classes('w-full')
                .mark('draft-name')
            )
            self.address = (
                counted(
                    ui.textarea(_('Shipping address'), value=draft.shipping_address if draft else ''),
                    orders.SHIPPING_ADDRESS_MAX,
                )
                .props('outlined dense autogrow')
                .classes('w-full')
                .mark('draft-address')
            )
            self.lines_box = ui.column().classes('w-full gap-1')
            ui.button(_('Add a product'), icon='add', on_click=self.add_line).props('flat dense')
            waived = draft.shipping_waived_reason if draft else ''
            # a phone order may ship free: the service asks for the reason and keeps it in the order's timeline
            self.free_shipping = ui.checkbox(_('Free shipping'), value=bool(waived)).mark('draft-free-shipping')
            self.free_reason = (
                counted(ui.input(_('Why shipping is free'), value=waived), orders.FREE_SHIPPING_REASON_MAX)
                .props('outlined dense')
                .classes('w-full')
                .mark('draft-free-shipping-reason')
                .bind_visibility_from(self.free_shipping, 'value')
            )
            self.note = (
                counted(ui.textarea(_("Customer's note"), value=draft.note if draft else ''), orders.CUSTOMER_NOTE_MAX)
                .props('outlined dense autogrow')
                .classes('w-full')
                .mark('draft-note')
            )
            # a colleague saved the draft meanwhile: said here, with Reload to save over it keeping what is typed
            self.conflict = ui.row().classes('w-full items-center gap-2 no-wrap text-amber-800').mark('draft-conflict')
            self.conflict.set_visibility(False)
            with ui.row().classes('w-full justify-end gap-2'):
                ui.button(_('Cancel'), on_click=self.dialog.close).props('flat')
                ui.button(_('Save draft') if draft else _('Create draft'), on_click=self.save).mark('create-draft')
        self._fill_lines(lines)
        self.loaded = self._typed()  # what the dialog showed: a reload replaces only what was not changed since
        self.dialog.open()

    def _fill_lines(self, lines: list) -> None:
        self.lines_box.clear()
        self.lines = []
        for line in lines:  # the percent each discount was given as: saved unchanged, the draft keeps its prices
            percent = formatting.typed_percent(orders.discount_percent(line))
            self.add_line(line.product_id, line.quantity, percent, named=f'{line.sku} · {line.name}')
        if not lines:
            self.add_line()

    def _typed(self) -> dict[str, Any]:
        return {
            'email': self.email.value,
            'name': self.name.value,
            'address': self.address.value,
            'note': self.note.value,
            'free_shipping': (self.free_shipping.value, self.free_reason.value),
            'lines': [(product.value, quantity.value, discount.value) for product, quantity, discount in self.lines],
        }

    def add_line(self, product_id: int | None = None, quantity: int = 1, discount: str = '', named: str = '') -> None:
        # the product is suggested by the server for what is typed, by SKU or name, in the whole catalogue (it listed
        # the first 500 by name: a later one could not be picked, a SKU found nothing); a phone puts the product on its
        # own row, its quantity and discount below (three in a row squeezed them)
        with self.lines_box, ui.row().classes('w-full items-start gap-2 flex-wrap sm:flex-nowrap'):
            product = (
                product_picker(product_id, named)
                .props('outlined dense')
                .classes('w-full sm:w-auto sm:grow')
                .mark(f'draft-product-{len(self.lines)}')
            )
            amount = (
                WholeNumberInput(_('Qty'), value=quantity)  # text: Chromium's number input read '1,5' as 15
                .props('outlined dense')
                .classes('w-24 bo-narrow-field bo-narrow-start')
                .mark(f'draft-quantity-{len(self.lines)}')
            )
            discount_field = (
                ui.input(_('Discount %'), value=discount)
                .props('outlined dense inputmode=decimal')
                .classes('w-24 bo-narrow-field')
                .mark(f'draft-discount-{len(self.lines)}')
            )
        self.lines.append((product, amount, discount_field))

    async def save(self) -> None:
        user = acting_user()
        if user is None:
            return
        draft = self.draft
        chosen = [line for line in self.lines if line[0].value is not None]
        data = {
            'email': self.email.value or None,
            'name': self.name.value or '',
            'shipping_name': self.name.value or '',
            'shipping_address': self.address.value or '',
            'note': self.note.value or '',
            'free_shipping': bool(self.free_shipping.value),
            'free_shipping_reason': (self.free_reason.value or '') if self.free_shipping.value else '',
            'lines': [
                {'product_id': product.value, 'quantity': quantity.number, 'discount_percent': discount.value or ''}
                for product, quantity, discount in chosen
            ],
        }
        # a line's message ('Enter a whole number') at its Qty: the lines sent are those with a product; the name is
        # sent as the customer's and the shipping name, so a name too long is said once, at its field (it came as a
        # notification saying 'Use at most 120 characters' twice, naming no field)
        fields: dict[str, ui.element] = {
            'email': self.email,
            'name': self.name,
            'shipping_name': self.name,
            'shipping_address': self.address,
            'note': self.note,
            'free_shipping_reason': self.free_reason,
        }
        for i, (_product, quantity, discount) in enumerate(chosen):
            fields.update({f'lines.{i}.quantity': quantity, f'lines.{i}.discount_percent': discount})

        def write() -> Order:
            with session_scope() as session:
                if draft is None:
                    return orders.create_draft(session=session, actor=user, data=data)
                return orders.update_draft(
                    session=session, actor=user, order_id=draft.id, version=draft.version, data=data
                )

        saved = await call(
            write,
            fields=fields,
            on_stale=self._show_conflict,
        )
        if saved is FAILED:
            return
        # the message and what follows first, while this button still exists: its page is found through it (the
        # dialog removes itself once the browser has hidden it)
        done = _('Draft order {number} saved') if draft else _('Draft order {number} created')
        ui.notify(done.format(number=saved.number), type='positive')
        self.dialog.close()
        if self.on_saved is not None:
            result = self.on_saved(saved)
            if hasattr(result, '__await__'):
                await result

    def _show_conflict(self, error: Exception) -> None:
        self.conflict.clear()
        with self.conflict:
            ui.icon('warning')
            ui.label(str(error)).classes('grow text-sm')
            ui.button(_('Reload'), on_click=self._reload).props('flat dense').mark('draft-reload')
        self.conflict.set_visibility(True)

    def _reload(self) -> None:
        """Take the draft's newest version: a field not changed here shows the colleague's value, what was typed here
        stays, and Save applies it over theirs."""
        user = acting_user()
        if user is None or self.draft is None:
            return
        typed = self._typed()
        with read_session() as session:
            self.draft = draft = orders.get_order(session=session, actor=user, number=self.draft.number)
            lines = orders.order_lines(session, draft.id)
        fields = {'email': self.email, 'name': self.name, 'address': self.address, 'note': self.note}
        newest = {
            'email': draft.email,
            'name': draft.shipping_name,
            'address': draft.shipping_address,
            'note': draft.note,
        }
        for key, element in fields.items():
            if typed[key] == self.loaded[key]:  # not changed here: the colleague's value
                element.value = newest[key]
        if typed['free_shipping'] == self.loaded['free_shipping']:
            self.free_shipping.value = bool(draft.shipping_waived_reason)
            self.free_reason.value = draft.shipping_waived_reason
        if typed['lines'] == self.loaded['lines']:
            self._fill_lines(lines)
        self.loaded = self._typed()
        self.conflict.set_visibility(False)
        ui.notify(_('Reloaded; what you typed is kept. Save again to apply it.'))
