"""Public contact form (no sign-in) for shops without their own front office: it opens a request like the API does."""

from fastapi import Request
from nicegui import ui

from backoffice.db import session_scope
from backoffice.i18n import N_, _, ngettext, pgettext
from backoffice.models import TicketSource, TicketType
from backoffice.runtime import ratelimit
from backoffice.services import ticket_input, tickets
from components.forms import FAILED, call, clear_errors, counted
from components.screens import screen
from components.shell import theme

TYPES = {
    TicketType.question: N_('A question'),
    TicketType.bug: N_('Something does not work'),
    TicketType.return_exchange: N_('A return or exchange'),
    TicketType.feedback: N_('Feedback'),
    TicketType.other: N_('Something else'),
}

HIDDEN = 'position: absolute; left: -10000px; width: 1px; height: 1px; overflow: hidden'


@screen('/contact', N_('Contact us'), permission=None, public=True, in_menu=False)
def contact_page(request: Request) -> None:
    # the direct peer: behind a reverse proxy that is the proxy, so configure it to pass on the real address
    address = request.client.host if request.client else 'unknown'
    theme()

    async def send() -> None:
        clear_errors(fields)
        message.set_visibility(False)
        bucket = f'contact:{address}'
        if honeypot.value:  # only a bot fills a field nobody can see: pretend it worked, create nothing
            ratelimit.contact_form.hit(bucket)
            thank(None)
            return
        decision = ratelimit.contact_form.peek(bucket)
        if not decision.allowed:
            wait = _minutes(decision.retry_after)
            message.text = _(
                'You have sent several messages in a short time. Please wait {wait} before sending another.'
            ).format(wait=wait)
            message.set_visibility(True)
            return
        button.props('loading')
        number = await call(_submit, email.value, name.value, subject.value, body.value, kind.value, fields=fields)
        button.props(remove='loading')
        if number is FAILED:
            return
        ratelimit.contact_form.hit(bucket)
        thank(number)

    def thank(number: int | None) -> None:
        form.set_visibility(False)
        with done:
            ui.label(_('Thank you, we received your message.')).classes('text-lg font-medium')
            if number is not None:
                ui.label(
                    _('Your request number is {number}. Quote it if you write to us about this again.').format(
                        number=number
                    )
                )
            ui.label(_('We answer by email, usually within one working day.')).classes('text-gray-500')
        done.set_visibility(True)

    with ui.column().classes('w-full max-w-xl mx-auto p-4 gap-4'):
        ui.label(_('Contact us')).classes('text-2xl font-semibold')
        with ui.card().classes('w-full p-6 gap-3') as form:
            email = ui.input(_('Your email')).props('type=email autocomplete=email outlined').classes('w-full')
            name = counted(ui.input(_('Your name (optional)')), ticket_input.NAME_MAX)
            name.props('autocomplete=name outlined').classes('w-full')
            kind = (
                ui.select(
                    {t.value: _type_label(t) for t in TYPES},
                    label=_('What is it about?'),
                    value=TicketType.question.value,
                )
                .props('outlined')
                .classes('w-full')
            )
            subject = counted(ui.input(_('Subject')), ticket_input.SUBJECT_MAX).props('outlined').classes('w-full')
            body = (
                counted(ui.textarea(_('Message')), ticket_input.BODY_MAX).props('outlined autogrow').classes('w-full')
            )
            # the honeypot: off-screen rather than display:none, which some bots skip; people never reach it
            with ui.element('div').style(HIDDEN).props('aria-hidden=true'):
                honeypot = ui.input(_('Leave this field empty')).props('autocomplete=off tabindex=-1')
            message = ui.label().classes('text-negative text-sm').props('role=alert')
            message.set_visibility(False)
            button = ui.button(_('Send'), on_click=send).classes('self-end')
        done = ui.card().classes('w-full p-6 gap-2')
        done.set_visibility(False)
    fields = {'email': email, 'name': name, 'type': kind, 'subject': subject, 'body': body}


def _submit(email: str, name: str, subject: str, body: str, kind: str) -> int:
    with session_scope() as session:
        ticket = tickets.submit_request(
            session=session,
            email=email,
            name=name or None,
            subject=subject,
            body=body,
            type=kind or None,
            source=TicketSource.contact,
        )
        return ticket.number


def _type_label(kind: TicketType) -> str:
    """A choice of the form's list, worded as the others ("Un avis" beside "Une question", not the status "Avis")."""
    if kind == TicketType.feedback:
        return pgettext('contact form', 'Feedback')
    return _(TYPES[kind])


def _minutes(seconds: int) -> str:
    minutes = max(1, round(seconds / 60))
    return ngettext('{n} minute', '{n} minutes', minutes).format(n=minutes)
