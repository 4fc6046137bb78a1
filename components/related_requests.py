"""A request's related requests beside its thread: the ones linked to it (number, subject, status, each a link, with
a button to remove the link), "Link a request" and "Merge into…" (both find the other request by its number or a
word of its subject), and, once merged, where the conversation goes on.

Subjects are customer-written: shown with ui.label and as a link's text, never as HTML."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from nicegui import ui

from backoffice import formatting
from backoffice.engine.declaration import SectionRows, number
from backoffice.i18n import _, ngettext
from backoffice.resources.support import STATUSES
from backoffice.services.ticket_links import Found, RelatedRequest

from .first_suggestion import NOTHING_MATCHES
from .forms import page_dialog
from .links import site_link

Pick = Callable[[Any, ui.input], Awaitable[bool]]  # (the other request's number, its field for errors) → done?
Search = Callable[[str, bool], Awaitable[Found]]  # (what was typed, merging?) → what matches
ENTER_WITH_THE_TEXT = '(e) => { if (!e.isComposing) { e.preventDefault(); emit(e.target.value); } }'


def related_panel(
    links: list[RelatedRequest],
    merged: RelatedRequest | None,
    *,
    may_write: bool,
    may_merge: bool,
    link: Pick,
    unlink: Callable[[RelatedRequest], Awaitable[Any]],
    merge: Pick,
    search: Search,
) -> None:
    if merged is not None:
        with ui.row().classes('items-center gap-1 text-sm min-w-0').mark('merged-into'):
            ui.icon('call_merge').classes('text-gray-500')
            ui.label(_('Merged into'))
            _request_link(merged)
    if not links and not may_write:
        return
    with ui.card().classes('w-full gap-2').props('flat bordered').mark('related'):
        with ui.row().classes('items-center gap-2'):
            ui.icon('link').classes('text-gray-600')
            ui.label(_('Related requests')).classes('font-medium')
        for other in links:
            with ui.row().classes('w-full items-center gap-2 no-wrap').mark('linked-request'):
                with ui.column().classes('gap-0 min-w-0 grow'):
                    _request_link(other)
                    ui.label(_(STATUSES.get(other.status, other.status))).classes('text-xs text-gray-600')
                if may_write:
                    remove = ui.button(icon='link_off', on_click=lambda other=other: unlink(other)).props(
                        'flat dense round'
                    )
                    remove.props['aria-label'] = _('Remove the link')
                    remove.tooltip(_('Remove the link')).mark('unlink')
        if not links:
            ui.label(_('No related requests yet.')).classes('text-sm text-gray-500')
        if may_write:
            with ui.row().classes('gap-1'):
                ui.button(
                    _('Link a request'),
                    icon='add_link',
                    on_click=lambda: _find_dialog(
                        _('Link a request'),
                        _('The link shows on both requests.'),
                        _('Link'),
                        link,
                        lambda typed: search(typed, False),
                    ),
                ).props('flat dense no-caps').mark('link-request')
                if may_merge:
                    ui.button(
                        _('Merge into…'),
                        icon='call_merge',
                        on_click=lambda: _find_dialog(
                            _('Merge into another request'),
                            _(
                                'Its messages and files move to the other request, and this one closes, pointing '
                                'there: its SLA clock stops. The other request keeps its own clock; a new one becomes '
                                'open, and one waiting or solved opens again if this one still awaits an answer. The '
                                'customer is sent nothing: their messages are answered in the other request.'
                            ),
                            _('Merge'),
                            merge,
                            lambda typed: search(typed, True),
                            enter_takes_one_of_several=False,
                        ),
                    ).props('flat dense no-caps').mark('merge')


def _request_link(other: RelatedRequest) -> None:
    """ "#1042 Subject" as one link to that request; the subject as text, broken anywhere on a phone."""
    ui.link(f'#{other.number} {other.subject}', f'/requests/{other.number}').classes('min-w-0 wrap-anywhere').mark(
        'related-link'
    )


def _find_dialog(
    title: str,
    said: str,
    action: str,
    pick: Pick,
    search: Callable[[str], Awaitable[Found]],
    *,
    enter_takes_one_of_several: bool = True,
) -> None:
    """Ask for the other request: its number, or words of its subject or of its customer's name or email to choose
    among what it finds (the first ones, and how many more match). A merge, which cannot be undone, asks the agent to
    choose when the words typed find several (`enter_takes_one_of_several=False`); a link, removed in one click, takes
    the first."""
    with page_dialog() as dialog, ui.card().classes('w-full max-w-md'):
        ui.label(title).classes('text-lg font-medium')
        ui.label(said).classes('text-sm')
        field = (
            ui.input(_('Request no., subject or customer'))
            .props('outlined autofocus clearable debounce=250')
            .classes('w-full')
            .mark('request-search')
        )
        found = ui.column().classes('w-full gap-1').mark('search-results')

        async def choose(number: Any) -> None:
            field.error = None
            if await pick(number, field):
                dialog.close()

        looks = [0]  # searches started; only the latest one shows what it found
        no_match = {'for': '', 'said': ''}  # the field's "nothing matches" and its text, taken back by typing on

        async def look() -> None:
            # each letter typed starts a search, and one of fewer letters may answer last: it would show requests the
            # words typed no longer find (and Enter, which looks again, would disagree with the screen)
            looks[0] += 1
            this_look = looks[0]
            if field.error and field.error == no_match['said'] and (field.value or '').strip() != no_match['for']:
                field.error = None  # typed on from a text that matched nothing
            results = await search(field.value or '')
            if this_look != looks[0] or found.is_deleted:
                return
            found.clear()
            with found:
                for other in results.requests:
                    with ui.row().classes('w-full items-center gap-2 no-wrap').mark('search-result'):
                        with ui.column().classes('gap-0 min-w-0 grow'):
                            # the number never gives way: two requests with the same words are told apart by it;
                            # a long subject is cut after two lines instead (the whole of it is on its page)
                            with ui.row().classes('w-full gap-1 min-w-0 no-wrap'):
                                ui.label(f'#{other.number}').classes('font-medium shrink-0 whitespace-nowrap')
                                ui.label(other.subject).classes('min-w-0 wrap-anywhere line-clamp-2').mark(
                                    'search-result-subject'
                                )
                            said = _(STATUSES.get(other.status, other.status))
                            ui.label(f'{other.customer} · {said}' if other.customer else said).classes(
                                'text-xs text-gray-600 wrap-anywhere'
                            ).mark('search-result-line')
                        ui.button(action, on_click=lambda other=other: choose(other.number)).props(
                            'outline dense no-caps'
                        ).mark('pick')
                if (field.value or '').strip() and not results.requests:
                    ui.label(_('No request matches.')).classes('text-sm text-gray-500')
                if results.more:
                    ui.label(_more(results)).classes('text-sm text-gray-600').mark('search-more')

        field.on_value_change(look)

        async def enter(e: Any) -> None:
            """Enter takes a number as it is; words, the first request they find, as every picker's Enter does: for
            the text in the field when Enter was pressed, sent with it (the field's value reaches the server a
            quarter of a second after the last letter, and the results on screen may be those of fewer letters)."""
            typed = (e.args if isinstance(e.args, str) else field.value or '').strip()
            if not typed or typed.lstrip('#').strip().isdigit():
                await choose(typed)
                return
            results = await search(typed)
            several = len(results.requests) > 1 or results.more
            if results.requests and several and not enter_takes_one_of_several:
                field.error = _('Several requests match: choose one, or type its number')
            elif results.requests:
                await choose(results.requests[0].number)
            else:
                no_match.update({'for': typed, 'said': _(NOTHING_MATCHES).format(text=typed)})
                field.error = no_match['said']

        field.on('keydown.enter', enter, js_handler=ENTER_WITH_THE_TEXT)
        with ui.row().classes('w-full justify-end'):
            ui.button(_('Cancel'), on_click=dialog.close).props('flat')
    dialog.open()


def _more(results: Found) -> str:
    """'12 more — type more to narrow' (at most MORE_COUNTED counted: 'over 1,000 more')."""
    if results.more_capped:
        return _('Over {n} more — type more to narrow').format(n=formatting.number(results.more))
    return ngettext('{n} more — type more to narrow', '{n} more — type more to narrow', results.more).format(
        n=formatting.number(results.more)
    )


def customer_history(found: SectionRows) -> None:
    """The customer's other requests beside the thread, the newest first: each "#1042 Subject" a link, its status and
    when it came; "See all" opens the list filtered to the customer. Nothing when this is their only request."""
    if not found.rows:
        return
    with ui.card().classes('w-full gap-2').props('flat bordered').mark('customer-history'):
        with ui.row().classes('w-full items-center gap-2 no-wrap'):
            ui.icon('history').classes('text-gray-600')
            ui.label(_("This customer's other requests")).classes('font-medium grow')
            total = _('{count}+').format(count=number(found.total)) if found.more else number(found.total)
            ui.badge(total).props('outline rounded').mark('history-count')
        for row in found.rows:
            with ui.column().classes('w-full gap-0 min-w-0').mark('history-request'):
                site_link(f'{row.detail} {row.title}', row.href).classes('min-w-0 wrap-anywhere')
                said = _(STATUSES.get(row.status, row.status))
                ui.label(f'{said} · {formatting.when(row.at)}').classes('text-xs text-gray-600')
        if found.total > len(found.rows):
            site_link(_('See all'), found.see_all).classes('text-sm').mark('history-see-all')
