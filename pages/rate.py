"""Public rating page (no sign-in): the link in the "solved" email lets the customer rate their request once."""

from __future__ import annotations

from fastapi import Request
from nicegui import ui

from backoffice.api.input_rules import INT32_MAX
from backoffice.db import read_session, session_scope
from backoffice.errors import NotFound
from backoffice.i18n import N_, _
from backoffice.runtime import ratelimit
from backoffice.services import ticket_input, tickets
from components.forms import FAILED, call, call_now, counted, error_line
from components.screens import screen
from components.shell import theme

TITLE = N_('Rate our help')
NO_MATCH = N_('No request matches this number and link.')
ALREADY = N_('You have already rated this request. Thank you!')
NOT_YET = N_('This request is not solved yet: you can rate it once it is.')
TOO_MANY = N_('You have sent several ratings in a short time. Please wait a minute and try again.')
THANKS = N_('Thank you for your rating!')
SCORES = {1: N_('Bad'), 2: N_('Poor'), 3: N_('Fair'), 4: N_('Good'), 5: N_('Very good')}


@screen('/rate', TITLE, permission=None, public=True, in_menu=False)
def rate_page(request: Request) -> None:
    address = request.client.host if request.client else 'unknown'
    number, token = request.query_params.get('request', ''), request.query_params.get('token', '')
    theme()
    with ui.column().classes('w-full max-w-xl mx-auto p-4 gap-4'):
        ui.label(_(TITLE)).classes('text-2xl font-semibold')
        refusal = ui.label().mark('rate-message')
        refusal.set_visibility(False)
        found = call_now(_read, number, token, message=refusal)  # a wrong link: the reason in that line
        if found is FAILED:
            return
        ui.label(_('Request #{number}: {subject}').format(number=found.number, subject=found.subject)).classes(
            'text-gray-700 break-words'
        ).mark('rate-subject')
        if found.rated or not found.rateable:  # merged into another: where the conversation goes on, rated there
            said = _(ALREADY) if found.rated else found.merged or _(NOT_YET)
            ui.label(said).classes('break-words').mark('rate-message')
            return
        _form(found, token, address)


def _form(found: tickets.RatingLink, token: str, address: str) -> None:
    with ui.card().classes('w-full p-6 gap-3') as form:
        ui.label(_('How did we do?')).classes('font-medium')
        score = ui.rating(value=0, max=5, size='lg').props('color=amber-8').mark('rate-score')
        ui.label(_('1 is bad, 5 is very good.')).classes('text-sm text-gray-600')
        comment = (
            counted(ui.textarea(_('Anything you want to tell us? (optional)')), ticket_input.COMMENT_MAX)
            .props('outlined autogrow')
            .classes('w-full')
            .mark('rate-comment')
        )
        message = error_line()

        async def send() -> None:
            message.set_visibility(False)
            if not score.value:
                message.text = _('Choose from 1 to 5 stars')
                message.set_visibility(True)
                return
            if not ratelimit.ratings.hit(f'address:{address}').allowed:
                message.text = _(TOO_MANY)
                message.set_visibility(True)
                return
            done = await call(_rate, found.number, token, int(score.value), comment.value, message=message)
            if done is FAILED:
                return
            form.set_visibility(False)
            thanks.set_visibility(True)

        ui.button(_('Send rating'), on_click=send).classes('self-end').mark('rate-send')
    with ui.card().classes('w-full p-6') as thanks:
        ui.label(_(THANKS)).classes('text-lg font-medium').mark('rate-thanks')
    thanks.set_visibility(False)


def _read(number: str, token: str) -> tickets.RatingLink:
    if not number.isdigit() or not 0 < int(number) <= INT32_MAX or not token or len(token) > 64:
        raise NotFound(_(NO_MATCH))
    with read_session() as session:
        return tickets.rating_link(session=session, number=int(number), token=token)


def _rate(number: int, token: str, score: int, comment: str | None) -> None:
    with session_scope() as session:
        tickets.rate(session=session, number=number, token=token, score=score, comment=comment or None)
