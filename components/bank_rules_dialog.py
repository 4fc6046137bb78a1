"""The bank screen's matching rules: the list in the order they are tried (each with how often it fired and missed, and
a switch to turn it off), a rule's form (add, edit: its conditions, and what it does — set aside with a category, or
match to a customer's invoice or a supplier's bill), delete and move up/down; and the offer to make a rule after the
same set-aside, or the same match, twice."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from nicegui import events, run, ui

from backoffice import formatting
from backoffice.db import read_session, session_scope
from backoffice.i18n import N_, _, ngettext
from backoffice.models import BankRule, RuleOutcome, User
from backoffice.permissions import can
from backoffice.resources import RESOURCES
from backoffice.services import bank_match, bank_rules
from components.forms import FAILED, call, counted, error_line, page_dialog
from components.related_select import related_select
from components.session import acting_user

Refresh = Callable[[], Awaitable[None]]
DIRECTIONS = {'any': N_('Money in and out'), 'credit': N_('Money in only'), 'debit': N_('Money out only')}
OUTCOMES = {
    'set_aside': N_('Set the line aside'),
    'invoice': N_("Match to a customer's invoice"),
    'bill': N_("Match to a supplier's bill"),
}
WRAP = 'overflow-wrap: anywhere'


def condition_text(rule: BankRule) -> str:
    parts = []
    if rule.reference_contains:
        parts.append(_('reference contains “{text}”').format(text=rule.reference_contains))
    if rule.counterparty:
        said = _('counterparty is “{text}”') if rule.counterparty_exact else _('counterparty contains “{text}”')
        parts.append(said.format(text=rule.counterparty))
    if rule.direction.value != 'any':
        parts.append(_(DIRECTIONS[rule.direction.value]).lower())
    return ' · '.join(parts)


class RulesDialog:
    """The rules, tried top to bottom on each new line still unmatched after an import (and on every waiting line when
    asked)."""

    def __init__(self, user: User, manage: bool) -> None:
        self.user, self.manage = user, manage
        with page_dialog() as self.dialog, ui.card().classes('w-full max-w-2xl').mark('rules-dialog'):
            ui.label(_('Matching rules')).classes('text-lg font-medium')
            ui.label(
                _(
                    'On import, the first rule that fits a new line still unmatched (top to bottom) sets it aside, '
                    "or matches it to the customer's or supplier's one open invoice or bill of its amount or number; "
                    'with none or several, the line waits for you, with the reason. Undo works as for a person.'
                )
            ).classes('text-sm text-gray-600')
            self.list = ui.column().classes('w-full gap-2').mark('rules-list')
            with ui.row().classes('w-full justify-end gap-2'):
                ui.button(_('Close'), on_click=self.dialog.close).props('flat')
                if manage:
                    ui.button(_('Apply to waiting lines'), icon='playlist_play', on_click=self.apply).props(
                        'outline'
                    ).mark('rules-apply')
                    ui.button(_('New rule'), icon='add', on_click=lambda: rule_form(None, self.show)).mark('rule-new')
        self.dialog.open()
        ui.timer(0, self.show, once=True)

    def _read(self) -> tuple[list[BankRule], dict[int, str]]:
        with read_session() as session:
            found = bank_rules.rules(session=session, actor=self.user)
            return found, bank_rules.parties(session=session, actor=self.user, found=found)

    async def show(self) -> None:
        read = await run.io_bound(self._read)
        if read is None or self.list.is_deleted:
            return
        found, self.parties = read
        self.list.clear()
        with self.list:
            if not found:
                ui.label(_('No rule yet.')).classes('text-gray-500').mark('no-rules')
            for index, rule in enumerate(found):
                self.card(rule, first=index == 0, last=index == len(found) - 1)

    def card(self, rule: BankRule, *, first: bool, last: bool) -> None:
        with ui.card().props('flat bordered').classes('w-full gap-1 p-3').mark(f'rule-{rule.id}'):
            with ui.row().classes('w-full items-start justify-between no-wrap gap-2'):
                ui.label(rule.name).classes('font-medium min-w-0 flex-1').style(WRAP)
                if not rule.active:
                    ui.badge(_('Off'), color='grey').mark(f'rule-off-{rule.id}')
            ui.label(condition_text(rule)).classes('text-sm').style(WRAP)
            ui.label(outcome_text(rule, self.parties.get(rule.id, ''))).classes('text-sm font-medium').style(WRAP).mark(
                f'rule-outcome-{rule.id}'
            )
            fired = ngettext('Fired {count} time', 'Fired {count} times', rule.fired_count).format(
                count=formatting.number(rule.fired_count)
            )
            if rule.outcome != RuleOutcome.set_aside or rule.missed_count:
                fired += ' · ' + ngettext('missed {count} time', 'missed {count} times', rule.missed_count).format(
                    count=formatting.number(rule.missed_count)
                )
            if rule.last_fired_at:
                fired += ' · ' + _('last {when}').format(when=formatting.when(rule.last_fired_at))
            ui.label(fired).classes('text-xs text-gray-600').mark(f'rule-fired-{rule.id}')
            if not self.manage:
                return
            with ui.row().classes('gap-1 items-center'):
                ui.switch(_('On'), value=rule.active, on_change=lambda e, r=rule: self.switch(r, bool(e.value))).props(
                    'dense'
                ).mark(f'rule-active-{rule.id}')
                ui.button(_('Edit'), icon='edit', on_click=lambda r=rule: rule_form(r, self.show)).props(
                    'flat dense'
                ).mark(f'rule-edit-{rule.id}')
                if not first:
                    up = ui.button(icon='arrow_upward', on_click=lambda r=rule: self.move(r, -1)).props('flat dense')
                    up.props['aria-label'] = _('Move up')
                    up.mark(f'rule-up-{rule.id}')
                if not last:
                    down = ui.button(icon='arrow_downward', on_click=lambda r=rule: self.move(r, 1)).props('flat dense')
                    down.props['aria-label'] = _('Move down')
                    down.mark(f'rule-down-{rule.id}')
                ui.button(_('Delete'), icon='delete', on_click=lambda r=rule: self.delete(r)).props(
                    'flat dense color=negative'
                ).mark(f'rule-delete-{rule.id}')

    async def apply(self, event: events.ClickEventArguments) -> None:
        """The rules tried again on every line still waiting (a rule made or changed after the import)."""

        actor = acting_user()  # the rights of now, not of when the dialog opened
        if actor is None:
            return

        def go() -> bank_rules.Applied:
            with session_scope() as session:
                return bank_rules.apply_to_waiting(session=session, actor=actor)

        event.sender.props('loading')
        with self.dialog:
            done = await call(go)
            event.sender.props(remove='loading')
            if done is FAILED:
                return
            if not (done.set_aside or done.matched or done.missed):
                ui.notify(_('No waiting line fits a rule.'))
            else:
                said = _('{set_aside} set aside, {matched} matched, {missed} still waiting (see each line for why)')
                counts = {'set_aside': done.set_aside, 'matched': done.matched, 'missed': done.missed}
                ui.notify(said.format(**{k: formatting.number(n) for k, n in counts.items()}), type='positive')
            await self.show()

    async def move(self, rule: BankRule, step: int) -> None:
        actor = acting_user()
        if actor is None:
            return

        def go() -> Any:
            with session_scope() as session:
                return bank_rules.move_rule(session=session, actor=actor, rule_id=rule.id, step=step)

        if await call(go) is not FAILED:
            await self.show()

    async def switch(self, rule: BankRule, active: bool) -> None:
        actor = acting_user()
        if active == rule.active or actor is None:
            return

        def go() -> Any:
            with session_scope() as session:
                return bank_rules.switch_rule(
                    session=session, actor=actor, rule_id=rule.id, active=active, version=rule.version
                )

        if await call(go) is not FAILED:
            said = _('Rule {name} switched on') if active else _('Rule {name} switched off')
            ui.notify(said.format(name=rule.name))
        await self.show()

    async def delete(self, rule: BankRule) -> None:
        actor = acting_user()
        if actor is None:
            return

        def go() -> Any:
            with session_scope() as session:
                return bank_rules.delete_rule(session=session, actor=actor, rule_id=rule.id, version=rule.version)

        if await call(go) is not FAILED:
            ui.notify(_('Rule {name} deleted').format(name=rule.name))
            await self.show()


def rules_dialog(user: User, manage: bool) -> None:
    RulesDialog(user, manage)


def outcome_text(rule: BankRule, party: str) -> str:
    """What the rule does to a line it fits, in words."""
    if rule.outcome == RuleOutcome.invoice:
        return _('Matches the open invoice of {customer}').format(customer=party or '—')
    if rule.outcome == RuleOutcome.bill:
        return _('Matches the open bill of {supplier}').format(supplier=party or '—')
    category = bank_match.CATEGORIES.get(rule.category, '')
    return _('Sets aside as {category}').format(category=_(category) if category else rule.category)


def rule_form(rule: BankRule | None, refresh: Refresh, prefill: dict[str, Any] | None = None) -> None:
    """Add or edit a rule; `prefill` starts a new one from a line set aside or matched by hand."""
    start = prefill or {}
    user = acting_user()
    if user is None:
        return
    with page_dialog() as dialog, ui.card().classes('w-full max-w-md').mark('rule-dialog'):
        ui.label(_('Edit the rule') if rule else _('New rule')).classes('text-lg font-medium')

        def value(name: str, default: Any = '') -> Any:
            return getattr(rule, name) if rule else start.get(name, default)

        outcomes = {'set_aside': OUTCOMES['set_aside']}
        if can(user, RESOURCES['customers'].read_permission):
            outcomes['invoice'] = OUTCOMES['invoice']
        if can(user, RESOURCES['suppliers'].read_permission) and can(user, 'payables.manage'):
            outcomes['bill'] = OUTCOMES['bill']
        chosen = rule.outcome.value if rule else start.get('outcome', 'set_aside')
        fields: dict[str, Any] = {
            'name': counted(ui.input(_('Name'), value=value('name')), bank_rules.NAME_MAX)
            .props('outlined dense')
            .classes('w-full')
            .mark('rule-name'),
            'reference_contains': counted(
                ui.input(_('Reference or label contains'), value=value('reference_contains')), bank_rules.REFERENCE_MAX
            )
            .props('outlined dense')
            .classes('w-full')
            .mark('rule-reference'),
            'counterparty': counted(
                ui.input(_('Counterparty'), value=value('counterparty')), bank_rules.COUNTERPARTY_MAX
            )
            .props('outlined dense')
            .classes('w-full')
            .mark('rule-counterparty'),
            'counterparty_exact': ui.checkbox(
                _('Counterparty is exactly this (else: contains it)'), value=bool(value('counterparty_exact', False))
            ).mark('rule-exact'),
            'outcome': ui.select(
                {k: _(v) for k, v in outcomes.items()},
                value=chosen if chosen in outcomes else 'set_aside',
                label=_('Then'),
            )
            .props('outlined dense')
            .classes('w-full')
            .mark('rule-outcome'),
            'direction': ui.select(
                {k: _(v) for k, v in DIRECTIONS.items()},
                value=rule.direction.value if rule else start.get('direction', 'any'),
                label=_('Applies to'),
            )
            .props('outlined dense')
            .classes('w-full')
            .mark('rule-direction'),
            'category': ui.select(
                {k: _(v) for k, v in bank_match.CATEGORIES.items()},
                value=value('category') or None,
                label=_('Set aside as'),
            )
            .props('outlined dense')
            .classes('w-full')
            .mark('rule-category'),
        }
        if 'invoice' in outcomes:
            fields['customer_id'] = (
                related_select('customers', _('Customer'), value=value('customer_id', None))
                .props('outlined dense')
                .classes('w-full')
                .mark('rule-customer')
            )
        if 'bill' in outcomes:
            fields['supplier_id'] = (
                related_select('suppliers', _('Supplier'), value=value('supplier_id', None))
                .props('outlined dense')
                .classes('w-full')
                .mark('rule-supplier')
            )
        fields['note'] = counted(ui.input(_('Note on the lines'), value=value('note')), bank_rules.NOTE_MAX)
        fields['note'].props('outlined dense').classes('w-full')
        hint = ui.label(
            _(
                "The one open invoice or bill whose number is in the line's reference or label, else whose amount "
                "open is the line's; with none or several, the line waits for you with the reason."
            )
        ).classes('text-xs text-gray-600')

        def shown() -> None:
            outcome = fields['outcome'].value
            fields['category'].set_visibility(outcome == 'set_aside')
            fields['note'].set_visibility(outcome == 'set_aside')
            fields['direction'].set_visibility(outcome == 'set_aside')
            hint.set_visibility(outcome != 'set_aside')
            if 'customer_id' in fields:
                fields['customer_id'].set_visibility(outcome == 'invoice')
            if 'supplier_id' in fields:
                fields['supplier_id'].set_visibility(outcome == 'bill')

        fields['outcome'].on_value_change(shown)
        shown()
        message = error_line()

        async def save() -> None:
            actor = acting_user()
            if actor is None:
                return
            values = {key: field.value for key, field in fields.items()}

            def go() -> Any:
                with session_scope() as session:
                    return bank_rules.save_rule(
                        session=session,
                        actor=actor,
                        values=values,
                        rule_id=rule.id if rule else None,
                        version=rule.version if rule else None,
                    )

            if await call(go, fields=fields, message=message) is FAILED:
                return
            dialog.close()
            ui.notify(_('Rule saved'), type='positive')
            await refresh()

        with ui.row().classes('w-full justify-end gap-2'):
            ui.button(_('Close'), on_click=dialog.close).props('flat')
            ui.button(_('Save'), on_click=save).mark('rule-save')
    dialog.open()


def offer_rule(counterpart: str, category: str, direction: str, refresh: Refresh) -> None:
    """After the same set-aside twice: offer a rule for this counterparty and category."""
    label = _(bank_match.CATEGORIES.get(category, category))
    with page_dialog() as dialog, ui.card().classes('w-full max-w-md').mark('rule-offer'):
        ui.label(
            _('You set aside lines of {counterpart} as {category} more than once.').format(
                counterpart=counterpart, category=label
            )
        ).style(WRAP)

        def make() -> None:
            dialog.close()
            prefill = {
                'name': f'{counterpart} → {label}'[:120],
                'counterparty': counterpart,
                'counterparty_exact': True,
                'direction': direction,
                'category': category,
            }
            rule_form(None, refresh, prefill)

        with ui.row().classes('w-full justify-end gap-2'):
            ui.button(_('Not now'), on_click=dialog.close).props('flat')
            ui.button(_('Make it a rule'), icon='rule', on_click=make).mark('rule-offer-make')
    dialog.open()


def offer_match_rule(prefill: dict[str, Any], refresh: Refresh) -> None:
    """After the same counterparty was matched by hand to the same customer (supplier) twice: offer a rule doing it."""
    invoice = prefill.get('outcome') == 'invoice'
    said = (
        _('You matched lines of {counterpart} to the same customer more than once.')
        if invoice
        else _('You matched lines of {counterpart} to the same supplier more than once.')
    )
    with page_dialog() as dialog, ui.card().classes('w-full max-w-md').mark('rule-offer'):
        ui.label(said.format(counterpart=prefill.get('counterparty', ''))).style(WRAP)

        def make() -> None:
            dialog.close()
            rule_form(None, refresh, prefill)

        with ui.row().classes('w-full justify-end gap-2'):
            ui.button(_('Not now'), on_click=dialog.close).props('flat')
            ui.button(_('Make a rule'), icon='rule', on_click=make).mark('rule-offer-make')
    dialog.open()
