"""On a company's page, or a customer's without a company: the statement-and-activity report it is sent — frequency
and contacts, "Preview PDF", "Send now", and the list of what was sent (when, to whom, which period)."""

from __future__ import annotations

from nicegui import ui

from backoffice import formatting
from backoffice.db import read_session, session_scope
from backoffice.i18n import _
from backoffice.models import User
from backoffice.permissions import can
from backoffice.services import customer_reports

from .forms import FAILED, call, call_now, error_line
from .session import acting_user


def customer_report_panel(user: User, company_id: int | None = None, customer_id: int | None = None) -> None:
    """Shown to those who may read receivables; changing and sending also need customers.write (checked again by the
    service). A customer in a company gets a link to the company's report instead."""
    if not can(user, customer_reports.READ):
        return
    with ui.card().classes('w-full p-4 gap-2').mark('customer-report'):
        if company_id:
            ui.label(_('Reports sent to this company')).classes('text-lg font-medium')
            ReportPanel(user, company_id, None)
            return
        ui.label(_('Reports sent to this customer')).classes('text-lg font-medium')
        message = error_line()
        company = call_now(lambda: _company_of(user, customer_id or 0), message=message)
        if company is FAILED:
            return
        if company:
            with ui.row().classes('items-center gap-1 text-sm text-gray-600'):
                ui.label(_('This customer’s reports go with their company’s:'))
                ui.link(_('open the company'), f'/companies/{company}').mark('customer-report-company')
            return
        ReportPanel(user, None, customer_id)


def _company_of(user: User, customer_id: int) -> int | None:
    with read_session() as session:
        return customer_reports.company_of(session=session, actor=user, customer_id=customer_id)


class ReportPanel:
    def __init__(self, user: User, company_id: int | None, customer_id: int | None) -> None:
        self.user, self.company_id, self.customer_id = user, company_id, customer_id
        self.message = error_line()
        found = call_now(self._read, message=self.message)
        if found is FAILED:
            return
        self.version = found.version
        manage = customer_reports.may_manage(user)
        ui.label(
            _('A PDF of their orders, invoices, what is open and their requests, mailed after each week or month.')
        ).classes('text-sm text-gray-600')
        with ui.row().classes('w-full items-start gap-3'):
            self.frequency = (
                ui.select(
                    {k: _(v) for k, v in customer_reports.FREQUENCIES.items()}, value=found.frequency, label=_('Sent')
                )
                .classes('min-w-40')
                .mark('customer-report-frequency')
            )
            self.recipients = (
                ui.select(found.contacts, value=found.recipients, multiple=True, label=_('To'))
                .props('use-chips')
                .classes('grow min-w-60')
                .mark('customer-report-recipients')
            )
        if found.nobody:
            ui.label(found.nobody).classes('text-sm text-gray-500').mark('customer-report-nobody')
        self.fields = {'frequency': self.frequency, 'recipients': self.recipients}
        with ui.row().classes('w-full gap-2 justify-end'):
            ui.button(_('Preview PDF'), icon='picture_as_pdf', on_click=self.preview).props('outline').mark(
                'customer-report-preview'
            )
            if manage:
                ui.button(_('Send now'), icon='send', on_click=self.send_now).props('outline').mark(
                    'customer-report-send-now'
                )
                ui.button(_('Save'), on_click=self.save).mark('customer-report-save')
        if not manage:
            self.frequency.disable()
            self.recipients.disable()
        self.sent = ui.column().classes('w-full gap-0').mark('customer-report-sent')
        self._show_sent(found.sent)

    def _read(self) -> customer_reports.Shown:
        with read_session() as session:
            return customer_reports.shown(
                session=session, actor=self.user, company_id=self.company_id, customer_id=self.customer_id
            )

    def _show_sent(self, sent: list[customer_reports.Sent]) -> None:
        self.sent.clear()
        with self.sent:
            if not sent:
                ui.label(_('Nothing sent yet.')).classes('text-xs text-gray-500')
            for row in sent:
                ui.label(
                    _('{when}: {period} to {people}').format(
                        when=formatting.when(row.when),
                        period=formatting.days(row.first, row.last),
                        people=', '.join(row.recipients) or '—',
                    )
                    + (f' ({row.by})' if row.by else '')
                ).classes('text-xs text-gray-600 break-all')

    async def save(self) -> None:
        actor = acting_user()
        if actor is None:
            return

        def go() -> int:
            with session_scope() as session:
                return customer_reports.save(
                    session=session,
                    actor=actor,
                    company_id=self.company_id,
                    customer_id=self.customer_id,
                    frequency=self.frequency.value,
                    recipients=list(self.recipients.value or []),
                    version=self.version,
                ).version

        saved = await call(go, fields=self.fields, message=self.message)
        if saved is FAILED:
            return
        self.version = saved
        ui.notify(_('Saved: the reports go as chosen.'), type='positive')

    async def preview(self) -> None:
        actor = acting_user()
        if actor is None:
            return

        def make() -> tuple[bytes, str]:
            with read_session() as session:
                return customer_reports.preview_pdf(
                    session=session, actor=actor, company_id=self.company_id, customer_id=self.customer_id
                )

        made = await call(make, message=self.message)
        if made is not FAILED:
            ui.download.content(made[0], made[1], 'application/pdf')

    async def send_now(self) -> None:
        actor = acting_user()
        if actor is None:
            return

        def go() -> None:
            with session_scope() as session:
                customer_reports.send_now(
                    session=session, actor=actor, company_id=self.company_id, customer_id=self.customer_id
                )

        if await call(go, fields=self.fields, message=self.message) is FAILED:
            return
        ui.notify(_('The report is on its way to the chosen contacts.'), type='positive')
        found = call_now(self._read, message=self.message)
        if found is not FAILED:
            self._show_sent(found.sent)
