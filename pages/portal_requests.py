"""The customer portal: my requests, a new one, and one request's thread (the agents' replies, never their internal
notes) with a reply box and the rating once it is solved; the thread follows the agents' replies live."""

from __future__ import annotations

from nicegui import ui

from backoffice.db import read_session, session_scope
from backoffice.events import Topic
from backoffice.formatting import ago, label, when
from backoffice.i18n import N_, _
from backoffice.services import portal, ticket_input
from backoffice.services.portal_scope import NOT_FOUND, READ_ONLY, PortalActor
from components import live
from components.attachments import AttachmentPicker, attachment_buttons
from components.forms import FAILED, call, call_now, counted, error_line
from components.portal_pages import portal_page
from components.portal_session import acting_actor

STATUSES = {  # a request's status as the customer reads it
    'new': N_('Received'),
    'open': N_('In progress'),
    'waiting': N_('Waiting for your answer'),
    'solved': N_('Solved'),
    'closed': N_('Closed'),
}
COLOURS = {'new': 'blue', 'open': 'blue', 'waiting': 'orange', 'solved': 'green', 'closed': 'grey'}


@portal_page('/portal/requests', N_('Your requests'))
def portal_requests_page(actor: PortalActor) -> None:
    if not actor.read_only:
        ui.link(_('New request'), '/portal/requests/new').classes(
            'self-start px-4 py-2 rounded bg-primary text-white no-underline'
        ).mark('portal-new-request')
    with read_session() as session:
        requests = portal.my_requests(session=session, actor=actor)
        merged = portal.continued_in(session=session, actor=actor, requests=requests)
    if not requests:
        ui.label(_('You have no requests yet.')).classes('text-gray-600').mark('portal-empty')
        return
    with ui.column().classes('w-full gap-2').mark('portal-requests'):
        for ticket in requests:
            with (
                ui.link(target=f'/portal/requests/{ticket.number}')
                .classes('w-full no-underline text-inherit')
                .mark(f'portal-request-{ticket.number}'),
                ui.card().classes('w-full p-3 gap-1'),
            ):
                with ui.row().classes('w-full items-center justify-between no-wrap gap-2'):
                    ui.label(ticket.subject).classes('font-medium break-words min-w-0')
                    if (ticket.id or 0) in merged:  # closed by the merge, not solved: it goes on in the other one
                        _merged(merged[ticket.id or 0])
                    else:
                        _status(ticket.status)
                ui.label(f'#{ticket.number} · {ago(ticket.updated_at)}').classes('text-sm text-gray-600')


@portal_page('/portal/requests/new', N_('New request'))
def portal_new_request_page(actor: PortalActor) -> None:
    if actor.read_only:
        ui.label(_(READ_ONLY)).classes('text-gray-600').mark('portal-read-only')
        return
    with read_session() as session:
        numbers = [order.number for order in portal.my_orders(session=session, actor=actor)]
    chosen = ui.context.client.request.query_params.get('order', '') if ui.context.client.request else ''
    with ui.card().classes('w-full p-4 gap-3'):
        subject = counted(ui.input(_('Subject')), ticket_input.SUBJECT_MAX).props('outlined').classes('w-full')
        subject.mark('portal-subject')
        order = (
            ui.select(
                {'': _('No order')} | {n: n for n in numbers},
                value=chosen if chosen in numbers else '',
                label=_('About an order (optional)'),
            )
            .props('outlined')
            .classes('w-full')
            .mark('portal-order-choice')
        )
        body = (
            counted(ui.textarea(_('Your message')), ticket_input.BODY_MAX).props('outlined autogrow').classes('w-full')
        )
        body.mark('portal-body')
        files = AttachmentPicker()
        message = error_line()

        async def send() -> None:
            who = acting_actor()
            if who is None:
                return
            made = await call(
                _open,
                who,
                subject.value or '',
                body.value or '',
                order.value or None,
                await files.ready(),
                fields={'subject': subject, 'body': body, 'order_number': order, 'attachments': files},
                message=message,
            )
            if made is not FAILED:
                ui.navigate.to(f'/portal/requests/{made}')

        ui.button(_('Send'), on_click=send).classes('self-end').mark('portal-send')


@portal_page('/portal/requests/{number}', N_('Request'), heading=False)
def portal_request_page(actor: PortalActor, number: str) -> None:
    RequestThread(actor, number)


class RequestThread:
    """The thread, rebuilt when the request changes (an agent's reply arrives live); the reply box keeps its text."""

    def __init__(self, actor: PortalActor, number: str) -> None:
        self.actor, self.number = actor, number
        message = error_line()
        with read_session() as session:
            view = call_now(portal.request_view, session=session, actor=actor, number=number, message=message)
        if view is FAILED:
            message.mark('not-found')
            ui.link(_('Back to your requests'), '/portal/requests')
            return
        self.ticket_id = view.ticket.id
        self.header = ui.column().classes('w-full gap-1')
        self.thread = ui.column().classes('w-full gap-2').mark('portal-thread')
        # the rating and the reply box, each rebuilt only when what it shows changed: an agent solving the request (the
        # rating appears) or the customer's own rating left the reply they were typing gone
        self.rating_part = ui.column().classes('w-full gap-3')
        self.reply_part = ui.column().classes('w-full gap-3')
        self._drawn_rating: tuple | None = None
        self._drawn_reply: tuple | None = None
        self._draw(view)
        live.resource_changed(Topic.tickets).subscribe(self._on_change)

    def _on_change(self, payload: dict) -> None:
        if payload.get('id') != self.ticket_id:
            return
        # read as the customer is now, not as the page was built: one removed from their company, demoted, banned or
        # signed out meanwhile no longer follows a colleague's (or any) thread live
        actor = acting_actor()
        if actor is None:
            self._withdraw(_(NOT_FOUND))
            return
        self.actor = actor
        with read_session() as session:
            view = call_now(portal.request_view, session=session, actor=actor, number=self.number)
        if view is FAILED:
            self._withdraw(_(NOT_FOUND))
            return
        self._draw(view)

    def _withdraw(self, said: str) -> None:
        """The thread is no longer this customer's to see: what it showed goes, and the page says so."""
        for part in (self.header, self.thread, self.rating_part, self.reply_part):
            part.clear()
        with self.thread:
            ui.label(said).mark('not-found')
            ui.link(_('Back to your requests'), '/portal/requests')

    def _draw(self, view: portal.RequestView) -> None:
        ticket = view.ticket
        self.header.clear()
        with self.header:
            with ui.row().classes('w-full items-center justify-between gap-2'):
                ui.label(ticket.subject).classes('text-2xl font-semibold break-words min-w-0').props(
                    'role=heading aria-level=1'
                ).mark('portal-subject-shown')
                _status(ticket.status)
            ui.label(_('Request #{number}').format(number=ticket.number)).classes('text-sm text-gray-600')
        self.thread.clear()
        with self.thread:
            for entry in view.thread:
                mine = not entry.by_us
                with (
                    ui.card()
                    .classes('p-3 gap-1 max-w-[90%] ' + ('self-end bg-blue-50' if mine else 'self-start'))
                    .mark('portal-message')
                ):
                    if mine:
                        who = entry.colleague or _('You')
                    else:  # the agent who answered, by first name; the shop's own notices are the team's
                        who = _('{name}, support').format(name=entry.agent) if entry.agent else _('Our team')
                    ui.label(who).classes('text-xs text-gray-600 break-words')
                    ui.label(entry.body).classes('whitespace-pre-wrap break-words')
                    attachment_buttons(entry.attached, _attachment, acting_actor)
                    ui.label(when(entry.at)).classes('text-xs text-gray-500')
        rating = (view.rateable and not self.actor.read_only, view.ticket.rating)
        if rating != self._drawn_rating:
            self._drawn_rating = rating
            self.rating_part.clear()
            with self.rating_part:
                if view.rateable and not self.actor.read_only:
                    self._rating()
                elif view.ticket.rating:  # once rated, the form went and nothing said what they had given
                    ui.label(
                        _('You rated our help {score} out of 5. Thank you!').format(score=view.ticket.rating)
                    ).classes('text-sm text-gray-600').mark('portal-rated')
            self.rating_part.set_visibility(bool(self.rating_part.default_slot.children))  # empty: no gap of its own
        reply = (view.continues_in, view.closed)
        if reply == self._drawn_reply:
            return
        self._drawn_reply = reply
        self.reply_part.clear()
        with self.reply_part:
            if view.continues_in is not None:  # merged into another of their requests: where to write now
                with ui.row().classes('items-center gap-1 text-gray-700').mark('portal-continues-in'):
                    ui.label(_('This conversation continues in'))
                    ui.link(
                        _('request #{number}').format(number=view.continues_in),
                        f'/portal/requests/{view.continues_in}',
                    )
            elif view.closed:
                ui.label(_('This request is closed. Open a new one if you need us again.')).classes('text-gray-600')
            elif self.actor.read_only:
                ui.label(_(READ_ONLY)).classes('text-sm text-gray-600').mark('portal-read-only')
            else:
                self._reply_box()

    def _reply_box(self) -> None:
        with ui.card().classes('w-full p-3 gap-2'):
            body = counted(ui.textarea(_('Your reply')), ticket_input.BODY_MAX).props('outlined autogrow')
            body.classes('w-full').mark('portal-reply')
            files = AttachmentPicker()
            message = error_line()

            async def send() -> None:
                actor = acting_actor()
                if actor is None:
                    return
                done = await call(
                    _reply,
                    actor,
                    self.number,
                    body.value or '',
                    await files.ready(),
                    fields={'body': body, 'attachments': files},
                    message=message,
                )
                if done is not FAILED:
                    body.value = ''
                    files.reset()

            ui.button(_('Send reply'), on_click=send).classes('self-end').mark('portal-send-reply')

    def _rating(self) -> None:
        with ui.card().classes('w-full p-3 gap-2').mark('portal-rating'):
            ui.label(_('How did we do?')).classes('font-medium')
            score = ui.rating(value=0, max=5, size='lg').props('color=amber-8').mark('portal-score')
            comment = counted(ui.textarea(_('Anything you want to tell us? (optional)')), ticket_input.COMMENT_MAX)
            comment.props('outlined autogrow').classes('w-full')
            message = error_line()

            async def send() -> None:
                actor = acting_actor()
                if actor is None:
                    return
                done = await call(
                    _rate,
                    actor,
                    self.number,
                    int(score.value or 0),
                    comment.value,
                    fields={'score': score},
                    message=message,
                )
                if done is not FAILED:
                    ui.notify(_('Thank you for your rating!'))

            ui.button(_('Send rating'), on_click=send).classes('self-end').mark('portal-send-rating')


def _open(actor: PortalActor, subject: str, body: str, order_number: str | None, files: list[tuple[str, bytes]]) -> int:
    with session_scope() as session:
        return portal.open_request(
            session=session, actor=actor, subject=subject, body=body, order_number=order_number, files=files
        ).number


def _reply(actor: PortalActor, number: str, body: str, files: list[tuple[str, bytes]]) -> None:
    with session_scope() as session:
        portal.reply(session=session, actor=actor, number=number, body=body, files=files)


def _attachment(actor: PortalActor, attachment_id: int) -> tuple[bytes, str, str]:
    with read_session() as session:
        return portal.attachment(session=session, actor=actor, attachment_id=attachment_id)


def _rate(actor: PortalActor, number: str, score: int, comment: str | None) -> None:
    with session_scope() as session:
        portal.rate(session=session, actor=actor, number=number, score=score, comment=comment or None)


def _merged(into: int | None) -> None:
    said = _('Merged into #{number}').format(number=into) if into else _('Merged into another request')
    ui.badge(said, color='grey').props('outline').mark('portal-status')


def _status(status: str) -> None:
    ui.badge(label(status, STATUSES), color=COLOURS.get(status, 'grey')).props('outline').mark('portal-status')
