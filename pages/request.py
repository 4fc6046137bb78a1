"""One request: its header (status, priority, type, assignee), the thread, and the reply box; updated live."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from nicegui import ui

from backoffice import formatting
from backoffice.db import read_session, session_scope
from backoffice.engine.declaration import SectionRows
from backoffice.errors import NotFound, StaleRecord
from backoffice.events import Topic
from backoffice.i18n import N_, _, ngettext
from backoffice.models import MessageKind, Ticket, TicketMessage, User
from backoffice.permissions import can
from backoffice.resources import RESOURCES
from backoffice.resources.support import PRIORITIES, STATUSES, TYPES
from backoffice.services import (
    crud,
    customer_picture,
    returns,
    ticket_attachments,
    ticket_input,
    ticket_links,
    ticket_sla,
    ticket_snooze,
    tickets,
)
from backoffice.services.ticket_links import Found, RelatedRequest
from components import live, presence, reply_drafts
from components.attachments import AttachmentPicker
from components.date_input import DateInput
from components.forms import FAILED, call, confirm, counted, page_dialog
from components.in_page_type_ahead import narrowed_as_searched
from components.kept_cards import KeptCards
from components.links import record_link
from components.related_requests import customer_history, related_panel
from components.return_dialog import start_return
from components.screens import screen
from components.session import acting_user
from components.shell import PRODUCT
from components.ticket_details import (
    TagsField,
    bug_panel,
    bug_values,
    duplicate_line,
    on_screen,
    order_input,
    order_link,
    rating_view,
)
from components.ticket_thread import ThreadEntry, no_messages, ticket_thread


class RequestScreen:
    """Built once per visit; the header and thread are rebuilt on every change of this request (the reply box stays,
    with what the agent typed)."""

    def __init__(self, user: User, number: str) -> None:
        self.user = user
        self.number = number
        # one reload at a time: each fills this page's fields in a worker thread, and reloads started by changes in a
        # row could otherwise answer out of order (an older read shown last) or mix their fields
        self._reloading = asyncio.Lock()
        self.ticket: Ticket | None = None
        self.may_write = can(user, 'tickets.write')
        if not self._read(user):
            return
        # empty, they take no room (two empty rows were a blank band above the heading)
        ui.add_css(EMPTY_BOX_CSS)
        self.stale_box = ui.column().classes('w-full gap-1 bo-collapse-empty')
        self.presence_box = ui.row().classes('items-center gap-1 text-sm bo-collapse-empty').mark('presence')
        # wrap-anywhere (inherited): a word longer than the screen (a link the customer pasted, in the subject or a
        # message) breaks instead of widening the page on a phone
        self.header = ui.column().classes('w-full gap-2 wrap-anywhere')
        with ui.row().classes('w-full items-start gap-4 flex-wrap lg:flex-nowrap wrap-anywhere'):
            self.thread_box = ui.column().classes('w-full lg:w-2/3 gap-2')
            self.thread_cards = KeptCards(self.thread_box, no_messages)
            with ui.column().classes('w-full lg:w-1/3 gap-3'):
                self._reply_box()
                self.details = ui.column().classes('w-full gap-3')
                self._details: dict[str, tuple[ui.column, Any]] = {}
                self._versions: dict[str, int] = {}  # the version each part's save names
                self._bug_fields: dict[str, Any] = {}
                self._bug_built: dict[str, Any] = {}
                self._tags: TagsField | None = None
                self._order_field: ui.input | None = None
                self._order_built: str | None = None
                self._afresh = False
        self._header_shown: Any = None
        self._render()
        live.resource_changed(Topic.tickets).subscribe(self._on_change)
        presence.join(f'tickets/{self.ticket.id}', user, self._show_presence)
        if self.may_write:
            # a colleague writing in their reply box shows above this one, and this agent's writing shows on theirs:
            # two answers to one customer are avoided before either is sent, not only told after (_replied_meanwhile)
            self.writing = presence.Writing(f'tickets/{self.ticket.id}/writing', user)
            self.writing.set(bool((self.body.value or '').strip()))  # a draft kept from before is being written
            presence.watch(f'tickets/{self.ticket.id}/writing', user, self._show_writers)

    # --- reading ----------------------------------------------------------------------------------------------------

    def _read(self, user: User) -> bool:
        try:
            number = int(str(self.number).strip().lstrip('#'))
        except ValueError:
            number = None
        try:
            if number is None:
                raise NotFound(_('There is no request #{number}.').format(number=self.number))
            with read_session() as session:
                self._load(session, user, number)
        except NotFound as error:
            ui.label(_('Request')).classes('text-2xl font-semibold').props('role=heading aria-level=1')
            ui.label(str(error)).mark('not-found')
            ui.link(_('Back to the requests'), '/requests')
            return False
        return True

    def _load(self, session, user: User, number: int) -> None:
        ticket = tickets.get_ticket(session=session, actor=user, number=number)
        messages = tickets.thread(session=session, actor=user, ticket_id=ticket.id)
        customer = (  # a role that reads requests but not customers (a custom role) sees the thread alone
            crud.get_record(session=session, actor=user, resource=RESOURCES['customers'], record_id=ticket.customer_id)
            if can(user, RESOURCES['customers'].read_permission)
            else None
        )
        staff_ids = {m.author_id for m in messages if m.author_id} | ({ticket.assignee_id} - {None})
        staff = crud.titles_for(session=session, resource=RESOURCES['staff'], ids=staff_ids)
        customer_name = (customer.name or customer.email) if customer else _('Customer')
        files = ticket_attachments.by_message(session, ticket.id)
        # the returns started from it, for the thread's "Return R-… started" notes to link to (where it is handled)
        started = returns.returns_of_ticket(session, ticket.id) if can(user, 'orders.read') else {}
        self.entries = [
            ThreadEntry(
                m,
                customer_name if m.kind == MessageKind.customer else staff.get(m.author_id, _('Someone')),
                tuple(files.get(m.id, ())),
                _return_link(m, started),
            )
            for m in messages
        ]
        self.customer = customer
        self.company = (
            customer_picture.company_of(session=session, actor=user, customer_id=customer.id) if customer else None
        )
        self.assignee = staff.get(ticket.assignee_id, '') if ticket.assignee_id else ''
        self.canned = tickets.canned_choices(session=session, actor=user)
        self.order = tickets.linked_order(session=session, actor=user, ticket=ticket)
        # "Start a return" only while something can still come back (the dialog said "everything returned" before)
        self.returnable = (
            self.order is not None
            and returns.may_start_from_ticket(ticket)
            and returns.anything_left_to_return(session, self.order)
        )
        original = tickets.original_of(session=session, actor=user, ticket=ticket)
        self.original_number = original.number if original is not None else None
        self.links = ticket_links.linked(session=session, actor=user, ticket_id=ticket.id)
        self.history = (  # their other requests: for those who may read the customer, as the header's link
            customer_picture.other_requests(session=session, actor=user, ticket=ticket)
            if customer is not None
            else SectionRows(rows=[], total=0)
        )
        self.merged = ticket_links.merged_into(session=session, actor=user, ticket=ticket)
        self.ticket = ticket

    async def reload(self, *, keep_warning: bool = False) -> None:
        """Read the request again and redraw it. A "changed by someone else" warning goes, unless `keep_warning`: a live
        update's reload keeps it, since the warning tells the agent that what they did (a reply) was not saved."""
        user = acting_user()
        if user is None or self.ticket is None:
            return
        number = self.ticket.number

        def fetch() -> None:
            with read_session() as session:
                self._load(session, user, number)

        async with self._reloading:
            shown_before = {entry.message.id for entry in self.entries}
            if await call(fetch) is FAILED:
                return
            if not keep_warning:
                self.stale_box.clear()
            self._render()
            self._replied_meanwhile(user, shown_before)

    def _replied_meanwhile(self, user: User, shown_before: set[int]) -> None:
        """A colleague's reply (or the customer's new message) arrived while this agent was writing one: say so above
        the box, before a second answer (or one to an old question) goes to the customer (their text stays; sending it
        is still theirs to decide)."""
        if not self.may_write or not (self.body.value or '').strip():
            return
        arrived = [entry for entry in self.entries if entry.message.id not in shown_before]
        others = [
            entry.author
            for entry in arrived
            if entry.message.kind == MessageKind.reply and entry.message.author_id != user.id
        ]
        if others:
            said = _('{name} replied to the customer while you were writing: read their reply before sending yours.')
            text = said.format(name=others[-1])
        elif any(entry.message.kind == MessageKind.customer for entry in arrived):
            # what they are answering may have changed: a new question, or "never mind, it arrived"
            text = _('The customer wrote again while you were writing: read their message before sending your reply.')
        else:
            return
        self.meanwhile.set_text(text)
        self.meanwhile.set_visibility(True)
        ui.notify(text, type='warning', multi_line=True)

    def _sla(self, ticket: Ticket) -> None:
        """The next SLA deadline that counts (the first reply until answered, then the resolution; none once solved),
        counting down each minute, in red once passed: what the list's "SLA due" column says, on the request itself."""
        if ticket.sla_due_at is None:
            paused = ticket_sla.paused_line(ticket)  # waiting on the customer: the clock is stopped, and says so
            if paused:
                ui.label(paused).classes('text-sm text-gray-700').mark('sla-due')
            return
        said = _('First reply due: {due}') if ticket.first_responded_at is None else _('Resolution due: {due}')
        line = ui.label().mark('sla-due')

        def show() -> None:
            overdue = formatting.is_past(ticket.sla_due_at)
            line.set_text(said.format(due=formatting.due(ticket.sla_due_at)))
            line.classes(replace='text-sm ' + ('text-red-8 font-medium' if overdue else 'text-gray-700'))

        show()
        ui.timer(60, show)

    def _on_change(self, payload: dict) -> None:
        # this request, or one it shows (a linked request's status, where a merged one goes on)
        shown = {self.ticket.id, *(other.id for other in self.links)} if self.ticket is not None else set()
        if self.merged is not None:
            shown.add(self.merged.id)
        if payload.get('id') in shown or shown.intersection(payload.get('ids') or ()):
            ui.timer(0.05, lambda: self.reload(keep_warning=True), once=True)

    # --- rendering --------------------------------------------------------------------------------------------------

    def _render(self) -> None:
        ticket = self.ticket
        if self.may_write:  # a closed request cannot be answered (the service refuses): no Send reply to press
            answerable = tickets.takes_replies(ticket)
            self.send_button.set_visibility(answerable)
            self.closed_line.set_visibility(not answerable)
        self._header(ticket)
        ticket_thread(
            self.thread_cards,
            self.entries,
            on_retry=self._retry if self.may_write else None,
            fetch_attachment=_attachment,
        )
        # each part beside the thread is rebuilt only when what it shows changed: a reply (the status turns to waiting),
        # a colleague's change or the customer's message leaves the steps the agent is typing in the bug report alone
        for name, shown, build in (
            ('rating', (ticket.rating, ticket.rating_comment), lambda: rating_view(ticket)),
            ('tags', (ticket.tags,), self._tags_part),
            ('order', (ticket.order_number, self.order is not None, ticket.type), self._order_part),  # a return's hint
            ('bug', bug_values(ticket) | {'type': ticket.type}, self._bug_panel),
            (
                'related',
                (tuple(self.links), self.merged, ticket_links.may_merge(ticket)),
                lambda: related_panel(
                    self.links,
                    self.merged,
                    may_write=self.may_write,
                    may_merge=ticket_links.may_merge(ticket),
                    link=self._link,
                    unlink=self._unlink,
                    merge=self._merge,
                    search=self._search,
                ),
            ),
            ('history', (tuple(self.history.rows), self.history.total), lambda: customer_history(self.history)),
            (
                'duplicate',
                (self.original_number, tickets.may_mark_duplicate(ticket)),
                lambda: duplicate_line(
                    ticket, self.original_number, may_write=self.may_write, mark=self._mark_duplicate
                ),
            ),
        ):
            self._detail(name, shown, build)
        self._afresh = False

    def _header(self, ticket: Ticket) -> None:
        """Number, subject, customer, SLA and the status, priority, type and assignee fields: rebuilt only when what it
        shows changed, so that a reply, a note, the customer's message or a tag leaves the assignee being searched
        (the text typed in its field) and an open list alone."""
        shown = (
            ticket.number,
            ticket.subject,
            (self.customer.name, self.customer.email) if self.customer is not None else None,
            self.company,
            ticket.order_number,
            None if self.order is None else self.order.number,
            ticket.sla_due_at,
            ticket.first_responded_at,
            ticket.status,
            ticket.priority,
            ticket.type,
            ticket.assignee_id,
            self.assignee,
            self.returnable,
            ticket.snoozed_until,
        )
        if shown == self._header_shown:
            return
        self._header_shown = shown
        # the browser tab names the request: an agent with several open tells them apart ("Request" in each before)
        ui.page_title(f'#{ticket.number} {ticket.subject} · {PRODUCT}')
        self.header.clear()
        self._header_fields: dict[str, ui.select] = {}  # the header's fields by the name a change gives them
        with self.header:
            # the page's one heading (the shell's 'Request' above it said nothing more)
            with ui.row().classes('w-full items-baseline gap-3').props('role=heading aria-level=1').mark('heading'):
                ui.label(f'#{ticket.number}').classes('text-xl sm:text-2xl text-gray-500').mark('number')
                ui.label(ticket.subject).classes('text-xl sm:text-2xl font-semibold min-w-0 break-words').mark(
                    'subject'
                )
            if self.customer is not None:
                with ui.row().classes('gap-2 text-sm text-gray-700').mark('customer'):
                    if self.customer.name:  # a customer known by their email only: no empty gap before it
                        ui.label(self.customer.name)
                    record_link('customers', self.customer.id, self.customer.email, self.user).classes('wrap-anywhere')
                    if self.company is not None:
                        record_link('companies', self.company[0], self.company[1], self.user).classes('wrap-anywhere')
                    order_link(ticket, self.order, may_open=can(self.user, 'orders.read'))
            self._sla(ticket)
            with ui.row().classes('w-full items-center gap-2'):
                statuses = {status.value for status in tickets.next_statuses(ticket)}  # closed is final
                self._select(
                    'status', _('Status'), {k: v for k, v in STATUSES.items() if k in statuses}, ticket.status.value
                )
                self._select('priority', _('Priority'), PRIORITIES, ticket.priority.value)
                self._select('type', _('Type'), TYPES, ticket.type.value)
                if self.may_write:
                    options = assignable(self.user)
                    if ticket.assignee_id is not None and ticket.assignee_id not in options:
                        options[ticket.assignee_id] = self.assignee or _('User {id}').format(id=ticket.assignee_id)
                    current = ticket.assignee_id
                    assignee = ui.select(
                        options,
                        label=_('Assignee'),
                        value=current,
                        clearable=True,
                        with_input=True,
                        on_change=lambda e: self._change(assignee_id=e.value) if e.value != current else None,
                    )
                    assignee.props('outlined dense').classes('min-w-48').mark('assignee')
                    self._header_fields['assignee_id'] = assignee
                    narrowed_as_searched(assignee, options)  # 'okafor sam' finds 'Sam Okafor'
                    if ASSIGN_TO_ME.offered(ticket, self.user):  # as the list offers it: not theirs, not closed
                        ui.button(_('Assign to me'), icon='person_add', on_click=self._assign_to_me).props('flat').mark(
                            'assign-to-me'
                        )
                    if self.returnable and self.order is not None:
                        ui.button(
                            _('Start a return'),
                            icon='assignment_return',
                            on_click=lambda: start_return(self.order, ticket=self.ticket),
                        ).props('flat').mark('start-return')
                else:
                    ui.label(_('Assignee: {name}').format(name=self.assignee or _('nobody'))).mark('assignee')
            self._snooze_line(ticket)

    def _snooze_line(self, ticket: Ticket) -> None:
        """Snoozed until when (and Unsnooze), or Snooze with the usual times and a day to pick: put aside, the request
        leaves the open queues until then or until the customer writes."""
        snoozed = ticket.snoozed_until is not None
        offered = self.may_write and ticket_snooze.may_snooze(ticket)
        if not snoozed and not offered:
            return
        with ui.row().classes('w-full items-center gap-2'):
            if snoozed:
                ui.icon('snooze').classes('text-indigo-700')
                when = formatting.when(ticket.snoozed_until)
                ui.label(_('Snoozed until {when}').format(when=when)).classes('text-sm text-indigo-900').mark('snoozed')
                if self.may_write:
                    ui.button(_('Unsnooze'), icon='alarm_on', on_click=self._unsnooze).props('flat dense').mark(
                        'unsnooze'
                    )
            if offered:
                with (
                    ui.button(_('Snooze') if not snoozed else _('Snooze until…'), icon='snooze')
                    .props('flat dense')
                    .mark('snooze')
                ):
                    with ui.menu().mark('snooze-menu') as menu:
                        self._snooze_shown: dict[str, Any] | None = None
                        self._snooze_choices(menu)
                    # a page left open overnight: the times offered are those of the moment the menu opens
                    menu.on('before-show', lambda: self._snooze_choices(menu))

    def _snooze_choices(self, menu: ui.menu) -> None:
        """Tomorrow morning and next Monday as they are now (redrawn when the day changed since), and a day to pick.
        The time a choice snoozes until is worked out when it is clicked, not when the menu was drawn."""
        labels = {'tomorrow': _('Tomorrow morning'), 'monday': _('Next Monday')}
        choices = ticket_snooze.quick_choices()
        if choices == self._snooze_shown:
            return
        self._snooze_shown = choices
        menu.clear()
        with menu:
            for key, moment in choices.items():  # on a Sunday, next Monday is tomorrow: one choice
                ui.menu_item(
                    f'{labels[key]} · {formatting.when(moment)}', on_click=lambda k=key: self._snooze_choice(k)
                ).mark(f'snooze-{key}')
            ui.menu_item(_('Pick a day and time…'), on_click=self._snooze_dialog).mark('snooze-pick')

    async def _snooze_choice(self, key: str) -> bool:
        version, ticket_id = self.ticket.version, self.ticket.id
        return await self._write(
            lambda session, user: ticket_snooze.snooze(
                session=session, actor=user, ticket_id=ticket_id, version=version, until=ticket_snooze.choice(key)
            ),
            _('Snoozed: it comes back by itself'),
            fields={},
        )

    def _snooze_dialog(self) -> None:
        with page_dialog() as dialog, ui.card().classes('w-full max-w-sm'):
            ui.label(_('Snooze until')).classes('text-lg font-medium')
            ui.label(_('It leaves the open queues until then, or until the customer writes.')).classes(
                'text-sm text-gray-600'
            )
            field = DateInput(_('Day and time'), with_time=True).props('outlined dense').classes('w-full')
            field.mark('snooze-until')

            async def submit() -> None:
                if await self._snooze(field.value or '', field=field):
                    dialog.close()

            with ui.row().classes('w-full justify-end gap-2'):
                ui.button(_('Cancel'), on_click=dialog.close).props('flat')
                ui.button(_('Snooze'), icon='snooze', on_click=submit).mark('snooze-submit')
        dialog.open()

    async def _snooze(self, until: Any, *, field: ui.element | None = None) -> bool:
        version, ticket_id = self.ticket.version, self.ticket.id
        return await self._write(
            lambda session, user: ticket_snooze.snooze(
                session=session, actor=user, ticket_id=ticket_id, version=version, until=until
            ),
            _('Snoozed: it comes back by itself'),
            fields={'snoozed_until': field} if field is not None else {},
        )

    async def _unsnooze(self) -> None:
        version, ticket_id = self.ticket.version, self.ticket.id
        await self._write(
            lambda session, user: ticket_snooze.unsnooze(
                session=session, actor=user, ticket_id=ticket_id, version=version
            ),
            _('Back in the queues'),
        )

    def _detail(self, name: str, shown: Any, build: Callable[[], None]) -> None:
        """One part of the details, in its own box (made in order on the first build), rebuilt when `shown` changed —
        unless the agent is typing in it (the bug report, the order number; the tags are updated where they are):
        then their text stays, and so does the version its save names, so that saving over a colleague's change of
        that part says so (the warning's Reload shows their change with the typing kept over it)."""
        box, before = self._details.get(name, (None, None))
        if box is None:
            with self.details:
                box = ui.column().classes('w-full gap-3')
        elif shown == before:
            self._versions[name] = self.ticket.version  # nothing it shows changed: a save goes over the newest
            return
        elif self._typing(name) and not self._afresh:
            return
        self._details[name] = (box, shown)
        self._versions[name] = self.ticket.version
        if name == 'tags' and self._tags is not None and not self._tags.select.is_deleted:
            self._tags.show(self.ticket, afresh=self._afresh)  # in place: the text typed in it stays in the browser
            return
        box.clear()
        with box:
            build()
        box.set_visibility(bool(box.default_slot.children))  # an empty box would add a gap of its own

    def _typing(self, name: str) -> bool:
        """What this part holds on screen is the agent's, neither what it was built with nor what is stored."""
        if name == 'bug':
            return self._bug_typing()
        if name == 'tags':
            return self._tags is not None and self._tags.unsaved(self.ticket)
        if name == 'order':
            return self._order_typed() is not None
        return False

    def _tags_part(self) -> None:
        self._tags = TagsField(
            self.ticket,
            may_write=self.may_write,
            change=lambda fields, **changes: self._change_at(fields, version=self._versions['tags'], **changes),
        )

    def _order_part(self) -> None:
        """The order number as stored, with what the agent typed in it over that (what the stale warning promises)."""
        typed = self._order_typed()
        self._order_built = self.ticket.order_number
        self._order_field = order_input(
            self.ticket,
            found=self.order is not None,
            may_write=self.may_write,
            change=lambda fields, **changes: self._change_at(fields, version=self._versions['order'], **changes),
        )
        if typed is not None:
            self._order_field.value = typed

    def _order_typed(self) -> str | None:
        """The order number the agent typed and did not save (None: the field shows the built or stored one)."""
        field = self._order_field  # read before its rebuild too (cleared from the page, it keeps its value)
        if field is None:
            return None
        value = (field.value or '').strip() or None
        return None if value in (self._order_built, self.ticket.order_number) else (field.value or '')

    def _bug_panel(self) -> None:
        """The bug report as stored, with what the agent typed in it over that (what the stale warning promises)."""
        typed = {name: value for name, value in on_screen(self._bug_fields).items() if value != self._bug_built[name]}
        self._bug_built = bug_values(self.ticket)
        self._bug_fields = bug_panel(
            self.ticket,
            may_write=self.may_write,
            change=lambda fields, **changes: self._change_at(fields, version=self._versions['bug'], **changes),
        )
        for name, value in typed.items():
            if name in self._bug_fields:
                self._bug_fields[name].value = value

    def _bug_typing(self) -> bool:
        """The bug report on screen holds what the agent typed: neither what it was built with nor what is stored."""
        if not self._bug_fields:
            return False
        typed = on_screen(self._bug_fields)
        return typed != self._bug_built and typed != bug_values(self.ticket)

    async def _reload_afresh(self) -> None:
        """The request as it is now, what was typed in the bug report over it (the stale warning's Reload)."""
        self._afresh = True
        await self.reload()

    def _show_presence(self, others: list[str]) -> None:
        self.presence_box.clear()
        if not others:
            return
        with self.presence_box:
            ui.icon('visibility').classes('text-primary')
            ui.label(_('Also looking at this request:')).classes('text-gray-600')
            for name in others:
                ui.chip(name, icon='person').props('dense outline color=primary').mark('present')

    def _typed(self, text: str) -> None:
        reply_drafts.keep(self.number, text)
        if hasattr(self, 'writing'):  # the box is filled with a kept draft before the page announces anything
            self.writing.set(bool(text.strip()))

    def _show_writers(self, others: list[str]) -> None:
        """Colleagues with unsent text in this request's reply box, named above this agent's box."""
        names = ', '.join(others)
        said = ngettext('{names} is writing a reply or a note', '{names} are writing a reply or a note', len(others))
        self.writers.set_text(said.format(names=names) if others else '')
        self.writers.set_visibility(bool(others))

    def _select(self, name: str, label: str, options: dict[str, str], value: str) -> None:
        select = ui.select(
            {key: _(text) for key, text in options.items()},
            label=label,
            value=value,
            on_change=lambda e: self._change(**{name: e.value}) if e.value != value else None,
        )
        select.props('outlined dense').classes('min-w-36').mark(name)
        self._header_fields[name] = select
        if not self.may_write:
            select.disable()

    def _reply_box(self) -> None:
        if not self.may_write:
            ui.label(_('You can read this request but not answer it.')).classes('text-sm text-gray-500')
            return
        self.meanwhile = (
            ui.label().classes('text-sm text-amber-900 bg-amber-50 p-2 rounded w-full').mark('replied-meanwhile')
        )
        self.meanwhile.set_visibility(False)
        self.writers = (
            ui.label().classes('text-sm text-indigo-900 bg-blue-50 p-2 rounded w-full').mark('colleague-writing')
        )
        self.writers.set_visibility(False)
        # typed into: words of a reply's title or text narrow the list, its first highlighted; Enter takes the first
        # for the text in the field (never the list of fewer letters still on the screen), arrows pick another
        ui.add_css(CANNED_MENU_CSS)
        self.canned_select = narrowed_as_searched(
            ui.select(
                {},
                label=_('Canned reply'),
                clearable=True,
                with_input=True,
                on_change=lambda e: self._insert_canned(e.value),
            )
            .props('outlined dense input-debounce=0 popup-content-class=bo-canned-menu')
            .classes('w-full')
            .mark('canned'),
            lambda: self.canned,  # read again on a reload
        )
        self.body = (
            counted(
                ui.textarea(
                    _('Reply or note'),
                    value=reply_drafts.draft(self.number),  # typed here before and not sent
                    on_change=lambda e: self._typed(e.value or ''),
                ),
                ticket_input.BODY_MAX,
            )
            .props('outlined autogrow')
            .classes('w-full')
            .mark('reply-body')
        )
        # the help desk's usual key: Ctrl+Enter (⌘+Enter on a Mac) sends the reply, as the button does
        self.body.on('keydown.ctrl.enter', self._send_by_key)
        self.body.on('keydown.meta.enter', self._send_by_key)
        self._box_busy = False  # a reply or note from the box is being saved
        self.attached: AttachmentPicker | None = None
        if ticket_attachments.may_attach(self.user):
            # the drafts keep text only (the browser's session storage is no place for 10 MB files): say so
            self.attached = AttachmentPicker(
                waiting=_('Files are not kept with the draft: send the reply or note before you leave this page.'),
                for_replies=True,
            )
        with ui.row().classes('gap-2'):
            self.send_button = ui.button(_('Send reply'), icon='send', on_click=self._send).mark('send-reply')
            self.send_button.tooltip(_('Ctrl+Enter in the text sends it too'))
            self.note_button = (
                ui.button(_('Add note'), icon='lock', on_click=self._note)
                .props('outline color=amber-9')
                .mark('add-note')
            )
        ui.label(_('Notes are internal: the customer never sees them.')).classes('text-xs text-gray-500')
        self.closed_line = ui.label(_('This request is closed: it takes notes, not replies.'))
        self.closed_line.classes('text-xs text-gray-500').mark('closed-no-reply')
        ui.timer(0, lambda: self.canned_select.set_options(self.canned), once=True)

    # --- actions ----------------------------------------------------------------------------------------------------

    async def _write(
        self, action: Callable[[Any, User], Any], done: str | None = None, fields: dict[str, ui.element] | None = None
    ) -> bool:
        # in a box that stays: the control that was used may be rebuilt by the live update of this very change, or
        # of an earlier one that arrived between the click and this handler (the user is read through the page, too)
        with self.stale_box:
            user = acting_user()
            if user is None:
                return False

            def work() -> Any:
                with session_scope() as session:
                    return action(session, user)

            shown_at = fields if fields is not None else {'body': self.body} if hasattr(self, 'body') else None
            if await call(work, fields=shown_at, on_stale=self._stale) is FAILED:
                return False
            if done:
                ui.notify(done, type='positive')
            await self.reload()
        return True

    def _stale(self, error: StaleRecord) -> None:
        self.stale_box.clear()
        with self.stale_box, ui.row().classes('w-full items-center gap-2 bg-red-50 p-2 rounded').mark('stale'):
            ui.label(str(error)).classes('text-red-800')
            ui.button(_('Reload'), icon='refresh', on_click=self._reload_afresh).props('flat dense').mark('reload')
        # and where the agent is: on a phone the warning is at the top, the button pressed a screen or two below it
        ui.notify(str(error), type='warning', multi_line=True)

    async def _change(self, **fields: Any) -> None:
        """A header field's change (status, priority, type, assignee), its refusal said at the field. Refused (a
        colleague's change first, a colleague deactivated since the list of assignees was drawn), the field shows the
        stored value again: it went on showing the choice that was not saved, even after the warning's Reload."""
        version, ticket = self.ticket.version, self.ticket
        shown = {name: self._header_fields[name] for name in fields if name in self._header_fields}
        saved = await self._write(
            lambda session, user: tickets.change(
                session=session, actor=user, ticket_id=ticket.id, version=version, **fields
            ),
            _('Saved'),
            fields=shown,
        )
        if saved:
            return
        for name, field in shown.items():
            stored = getattr(ticket, name)
            stored = getattr(stored, 'value', stored)
            if not field.is_deleted and field.value != stored:
                said = field.error  # the refusal stays said at the field (a new value clears a field's error)
                field.value = stored  # the value it was built with: no change to save
                field.error = said

    async def _change_at(self, fields: dict[str, ui.element], *, version: int | None = None, **changes: Any) -> bool:
        """A change whose errors show at these fields (tags, the bug report), over `version` (default the newest)."""
        version = self.ticket.version if version is None else version
        return await self._write(
            lambda session, user: tickets.change(
                session=session, actor=user, ticket_id=self.ticket.id, version=version, **changes
            ),
            _('Saved'),
            fields=fields,
        )

    async def _mark_duplicate(self, of_number: Any, field: ui.input) -> bool:
        """Mark as a duplicate, after a confirmation when the original comes from another customer."""
        version, ticket_id = self.ticket.version, self.ticket.id
        return await self._across_customers(
            lambda session, user: tickets.duplicate_warning(
                session=session, actor=user, ticket_id=ticket_id, of_number=of_number
            ),
            _('Mark as duplicate anyway'),
            lambda session, user, other_customer: tickets.mark_duplicate(
                session=session,
                actor=user,
                ticket_id=ticket_id,
                version=version,
                of_number=of_number,
                other_customer=other_customer,
            ),
            _('Closed as a duplicate'),
            fields={'of_number': field},
        )

    async def _across_customers(
        self,
        warning_of: Callable[[Any, User], str | None],
        anyway: str,
        write: Callable[[Any, User, bool], Any],
        done: str,
        *,
        fields: dict[str, ui.element],
    ) -> bool:
        """A change that involves another request (a duplicate's original, a merge's target): the service's warning
        first (another customer's request), confirmed by the agent, then the change, told it was confirmed."""
        user = acting_user()
        if user is None:
            return False

        def check() -> str | None:
            with read_session() as session:
                return warning_of(session, user)

        with self.stale_box:
            warning = await call(check, fields=fields)
            if warning is FAILED:
                return False
            if warning and not await confirm(warning, anyway, title=_('Different customers')):
                return False
        return await self._write(lambda session, user: write(session, user, bool(warning)), done, fields=fields)

    async def _link(self, other_number: Any, field: ui.input) -> bool:
        ticket_id = self.ticket.id
        return await self._write(
            lambda session, user: ticket_links.link(
                session=session, actor=user, ticket_id=ticket_id, other_number=other_number
            ),
            _('Linked'),
            fields={'other_number': field},
        )

    async def _unlink(self, other: RelatedRequest) -> None:
        ticket_id = self.ticket.id
        await self._write(
            lambda session, user: ticket_links.unlink(
                session=session, actor=user, ticket_id=ticket_id, other_id=other.id
            ),
            _('Link removed'),
        )

    async def _merge(self, into_number: Any, field: ui.input) -> bool:
        """Merge into another request, after a confirmation when it comes from another customer."""
        version, ticket_id = self.ticket.version, self.ticket.id
        return await self._across_customers(
            lambda session, user: ticket_links.merge_warning(
                session=session, actor=user, ticket_id=ticket_id, into_number=into_number
            ),
            _('Merge anyway'),
            lambda session, user, other_customer: ticket_links.merge(
                session=session,
                actor=user,
                ticket_id=ticket_id,
                version=version,
                into_number=into_number,
                other_customer=other_customer,
            ),
            _('Merged'),
            fields={'into_number': field},
        )

    async def _search(self, query: str, merging: bool) -> Found:
        ticket_id, user = self.ticket.id, acting_user()
        if user is None:
            return Found([])

        def find() -> Found:
            with read_session() as session:
                return ticket_links.search(
                    session=session, actor=user, query=query, ticket_id=ticket_id, merging=merging
                )

        found = await call(find)
        return Found([]) if found is FAILED else found

    async def _assign_to_me(self) -> None:
        version = self.ticket.version
        await self._write(
            lambda session, user: tickets.assign_to_me(
                session=session, actor=user, ticket_id=self.ticket.id, version=version
            ),
            _('Assigned to you'),
        )

    async def _retry(self, message_id: int) -> None:
        await self._write(
            lambda session, user: tickets.retry_delivery(session=session, actor=user, message_id=message_id),
            _('The reply will be sent again'),
        )

    async def _send(self) -> None:
        await self._from_box(
            lambda session, user, version, text, files: tickets.reply(
                session=session, actor=user, ticket_id=self.ticket.id, version=version, body=text, files=files
            ),
            _('Reply queued'),
        )

    async def _send_by_key(self) -> None:
        if self.send_button.visible:  # a closed request takes notes only: the key sends nothing there
            await self._send()

    async def _note(self) -> None:
        await self._from_box(
            lambda session, user, _version, text, files: tickets.add_note(
                session=session, actor=user, ticket_id=self.ticket.id, body=text, files=files
            ),
            _('Note added'),
        )

    async def _from_box(self, action: Callable[..., Any], done: str) -> None:
        """Send what the box holds as a reply or a note. Its buttons wait meanwhile: a second press would send the
        same text again (a note's as a reply); files picked meanwhile stay in the box for the next message."""
        if self._box_busy:
            return
        self._box_busy = True
        self.send_button.disable()
        self.note_button.disable()
        files: list[tuple[str, bytes]] = []
        text, sent = '', False
        try:
            files = await self.attached.ready() if self.attached is not None else []
            version, text = self.ticket.version, self.body.value or ''
            self.body.error = None
            sent = await self._write(
                lambda session, user: action(session, user, version, text, files), done, fields=self._box_fields()
            )
        finally:
            self._box_busy = False
            self.send_button.enable()
            self.note_button.enable()
            if sent:
                self._sent(text, files)

    def _box_fields(self) -> dict[str, ui.element]:
        """Where the service's errors show: the text's at the box, the files' (a type or a size) at the picker."""
        return {'body': self.body} | ({'attachments': self.attached} if self.attached is not None else {})

    def _sent(self, text: str, files: list[tuple[str, bytes]]) -> None:
        """Empty the box of what went, keeping what the agent typed or picked while it was being saved (the page reads
        the request again before this runs)."""
        typed = self.body.value or ''
        self.meanwhile.set_visibility(False)  # what they sent was written knowing it
        if typed.startswith(text):  # what went leaves the box, whatever was typed after it stays
            self.body.value = typed[len(text) :].lstrip()
        if self.attached is not None:
            self.attached.done(files)

    async def _insert_canned(self, canned_id: int | None) -> None:
        if canned_id is None:
            return
        user = acting_user()
        if user is None:
            return

        def render() -> str:
            with read_session() as session:
                return tickets.render_canned(session=session, actor=user, canned=canned_id, ticket=self.ticket.id)

        text = await call(render)
        if text is FAILED:
            return
        current = (self.body.value or '').rstrip()
        self.body.value = f'{current}\n\n{text}' if current else text
        self.canned_select.value = None
        self.body.run_method('focus')  # picked by keyboard: the agent goes on typing in the reply


ASSIGN_TO_ME = next(action for action in RESOURCES['tickets'].actions if action.key == 'assign-to-me')
EMPTY_BOX_CSS = '.bo-collapse-empty:empty { display: none; }'

# the canned replies' list: each reply's title and the start of its text on two lines at most, not its whole text
CANNED_MENU_CSS = """
.bo-canned-menu .q-item__label { display: -webkit-box; -webkit-line-clamp: 2; -webkit-box-orient: vertical;
  overflow: hidden; overflow-wrap: anywhere; }
"""


@screen(
    '/requests/{number}',
    N_('Request'),
    permission='tickets.read',
    icon='support_agent',
    section=N_('Support'),
    in_menu=False,
    description=N_('One customer request: its thread, replies and notes'),
    heading=False,
)
def request_page(user: User, number: str) -> None:
    RequestScreen(user, number)


def assignable(user: User) -> dict[int, str]:
    """Active staff who answer requests (the declared `staff` resource's type-ahead, first 200 by name)."""
    with read_session() as session:
        return crud.lookup(session=session, actor=user, resource=RESOURCES['staff'], limit=200)


def _return_link(message: TicketMessage, started: dict[str, int]) -> tuple[str, str] | None:
    """The "Return R-… started" note's link to the return, on its order's page (where returns are handled)."""
    if message.body_key != RETURN_STARTED or not isinstance(message.body_params, dict):
        return None
    number = message.body_params.get('number')
    order_id = started.get(number) if isinstance(number, str) else None
    return None if order_id is None else (_('Open return {number}').format(number=number), f'/orders/{order_id}')


RETURN_STARTED = 'Return {number} started for order {order}.'  # the note services/returns.py writes


def _attachment(user: User, attachment_id: int) -> tuple[bytes, str, str]:
    """A file of the thread (the customer's, or an agent's with a reply or a note), for an agent who may read
    requests (checked by the service)."""
    with read_session() as session:
        return ticket_attachments.for_staff(session=session, actor=user, attachment_id=attachment_id)
