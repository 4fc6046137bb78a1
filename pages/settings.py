"""Settings: the application's typed settings, each explained, validated and audited."""

from typing import Any

from nicegui import ui

from backoffice import formatting
from backoffice.db import read_session, session_scope
from backoffice.errors import StaleRecord
from backoffice.i18n import N_, _
from backoffice.kpi import refresh
from backoffice.models import User
from backoffice.resources import FormField
from backoffice.services import app_settings, gateway_payments
from components.api_keys_panel import api_keys_panel
from components.forms import FAILED, call, clear_errors, counted
from components.image_field import image_input
from components.in_page_type_ahead import narrowed_as_searched
from components.kpi_settings_panel import kpi_settings_panel
from components.screens import screen
from components.session import acting_user
from components.whole_number import WholeNumberInput


@screen(
    '/settings',
    N_('Settings'),
    permission='settings.manage',
    icon='settings',
    section=N_('Administration'),
    order=920,
    description=N_(
        'Company name, currency, time zone, language, the seller on invoices, data retention, KPI definitions'
    ),
)
def settings_page(user: User) -> None:
    with read_session() as session:
        loaded = app_settings.current_values(session=session)
    inputs: dict[str, ui.element] = {}
    secrets: dict[str, SecretHint] = {}  # a secret setting's "saved: …" line: the page never holds the secret itself
    section = None
    with ui.card().classes('w-full max-w-2xl gap-3'):
        for spec in app_settings.SETTINGS:
            if spec.section != section:
                section = spec.section
                ui.label(_(section)).classes('text-sm uppercase tracking-wide text-gray-500 pt-2')
            inputs[spec.key] = _input(spec, _shown(spec, loaded[spec.key]))
            if spec.secret:
                secrets[spec.key] = SecretHint(spec.key, loaded[spec.key], inputs[spec.key])
            if spec.key == 'currency':  # what a change of currency recomputes, and what it cannot convert
                currency_note = ui.label().classes('w-full p-2 rounded bg-amber-50 text-amber-900 text-sm')
                currency_note.mark('currency-note').set_visibility(False)
            if spec.key in CONNECTION_CHECKS:  # the last setting of a payment gateway's section
                _connection_check(CONNECTION_CHECKS[spec.key])
        conflict = ui.label().classes('w-full p-2 rounded bg-amber-50 text-amber-900 text-sm')
        conflict.set_visibility(False)
        with ui.row().classes('w-full justify-end gap-2'):
            reload_button = ui.button(_('Reload'), on_click=lambda: reload()).props('flat')
            reload_button.set_visibility(False)
            ui.button(_('Save settings'), on_click=lambda: save())
    api_keys_panel(user)
    kpi_settings_panel(user, str(ui.context.client.request.base_url))

    def edited() -> dict[str, Any]:
        typed = {
            key: element.number if isinstance(element, WholeNumberInput) else element.value
            for key, element in inputs.items()
            if element.value != _shown(app_settings.BY_KEY[key], loaded[key])
        }
        return typed | {key: '' for key, hint in secrets.items() if hint.removing and key not in typed}

    async def save() -> None:
        actor = acting_user()
        if actor is None:
            return
        clear_errors(inputs)
        changes = edited()
        if not changes:
            ui.notify(_('Nothing to save'))
            return

        def show_conflict(error: StaleRecord) -> None:
            conflict.text = _(
                'A setting you changed was changed by {who} at {when} after you opened it. Reload to see their '
                'change; what you typed is kept.'
            ).format(who=error.changed_by or _('someone else'), when=formatting.when(error.changed_at))
            conflict.set_visibility(True)
            reload_button.set_visibility(True)

        saved = await call(_save, actor, changes, dict(loaded), fields=inputs, on_stale=show_conflict)
        if saved is FAILED:
            return
        loaded.update(saved)
        for key in changes.keys() & secrets.keys():  # the box empties; the line says what is saved now, as a hint
            secrets[key].saved(loaded[key])
        # the KPIs' days start at midnight in the time zone, their amounts are in the shop's currency: the stored
        # history is recomputed with them, in the background (its progress under KPI jobs below)
        refresh.start_recompute_after_settings(changes, actor=actor.email)
        if 'currency' in changes:
            currency_note.text = _(CURRENCY_CHANGED).format(currency=loaded['currency'])
            currency_note.set_visibility(True)
        if 'default_language' in changes and not actor.language:  # this admin follows the default: show it
            ui.notify(_('Settings saved'), type='positive')
            ui.navigate.reload()
            return
        ui.notify(_('Settings saved'), type='positive')

    def reload() -> None:
        """Take the newest values; what this user typed stays."""
        typed = edited()
        with read_session() as session:
            loaded.update(app_settings.current_values(session=session))
        for key, element in inputs.items():
            if key not in typed:
                element.value = _shown(app_settings.BY_KEY[key], loaded[key])
        for key, hint in secrets.items():
            if key not in typed:
                hint.saved(loaded[key])
        conflict.set_visibility(False)
        reload_button.set_visibility(False)
        ui.notify(_('Reloaded; what you typed is kept. Save again to apply it.'))


def _input(spec: app_settings.SettingSpec, value: Any) -> ui.element:
    label = _(spec.label)  # declared with N_(): shown in the reader's language
    if spec.kind == 'choice':
        options = spec.options()
        element = ui.select(options, label=label, value=value, with_input=len(options) > 20)
        if len(options) > 20:  # typed into (a time zone, a currency): narrowed by the one rule, Enter takes the first
            narrowed_as_searched(element, options)
    elif spec.kind == 'many':
        element = ui.select(spec.options(), label=label, value=list(value or []), multiple=True).props('use-chips')
    elif spec.kind == 'number':
        # text: Chromium's number input read '1,5' as 15; the service refuses it and says the bounds
        element = WholeNumberInput(label, value=value)
    elif spec.kind == 'decimal':
        # text, not a number input: that dropped a decimal comma (5,90 became 590.00); the service reads 5,90 and
        # 5.90 alike and refuses what is not a number at the field
        element = ui.input(label, value=value or '').props('inputmode=decimal')
        if spec.unit:
            element.props['suffix'] = spec.unit
    elif spec.kind == 'bool':
        element = ui.switch(label, value=bool(value))
    elif spec.kind == 'image':  # uploaded and checked on the server; the setting keeps the stored path
        return image_input(
            FormField(spec.key, spec.label, kind='image', help=spec.help), value, folder='settings'
        ).mark(spec.key)
    elif spec.kind == 'lines':
        element = ui.textarea(label, value=value or '').props('autogrow')
    elif spec.secret:  # a key or an address holding one: typed to replace it, never shown (see SecretHint)
        element = ui.input(label, value='', password=spec.kind != 'url', password_toggle_button=spec.kind != 'url')
        element.props['placeholder'] = _('Type a new one to replace it')
    else:
        element = ui.input(label, value=value or '')
    element.props('outlined hide-bottom-space').classes('w-full').mark(spec.key)  # a long error pushes the help down
    if (most := spec.most_characters()) is not None:
        counted(element, most)
    ui.label(_(spec.help)).classes('text-xs text-gray-500 -mt-2 pb-1')  # a label, not a hint: long help wraps freely
    return element


CURRENCY_CHANGED = N_(
    'The KPI history is being recomputed in {currency}: turnover and average basket now add up the orders in '
    '{currency} only (progress under KPI jobs below). Not converted: goal targets and alert thresholds on amounts, '
    'and the amounts of these settings (shipping fee, free shipping, big order, write-off tolerance): they are '
    'numbers, now read in {currency}. Check them.'
)


# a gateway's section ends with "Test connection": the setting after which it appears → the gateway's key
CONNECTION_CHECKS = {'stripe_webhook_secret': 'stripe'}


def _connection_check(provider_key: str) -> None:
    """A button that asks the gateway with the saved key, and says its answer in words beside it."""
    with ui.row().classes('items-center gap-3'):
        button = (
            ui.button(_('Test connection'), icon='cable').props('outline dense').mark(f'{provider_key}-test-connection')
        )
        answer = ui.label().classes('text-sm').mark(f'{provider_key}-connection')
    ui.label(_('Save the settings first: the test uses the saved key.')).classes('text-xs text-gray-500 -mt-1')

    async def check() -> None:
        actor = acting_user()
        if actor is None:
            return

        def ask() -> str:
            with session_scope() as session:
                return gateway_payments.check_connection(session=session, actor=actor, provider_key=provider_key)

        said = await call(ask, message=answer)
        if said is not FAILED:
            answer.text = said
            answer.set_visibility(True)

    button.on_click(check)


class SecretHint:
    """Under a secret setting's box: what is saved, as a hint ('https://hooks.slack.com/services/T…/…xyz',
    'sk_live_…a1b2'), and "Remove" to clear it on the next save. The secret itself never reaches the browser: an
    admin who needs it reads it where it was made (Slack, Stripe), and one who changes it types a new one."""

    def __init__(self, key: str, value: Any, box: ui.element) -> None:
        self.key, self.box, self.removing = key, box, False
        with ui.row().classes('items-center gap-2 -mt-2 pb-1'):
            self.line = ui.label().classes('text-xs text-gray-600 break-all').mark(f'{key}-saved')
            self.remove = ui.button(_('Remove'), on_click=self.toggle).props('flat dense size=sm no-caps')
            self.remove.mark(f'{key}-remove')
        self.saved(value)

    def saved(self, value: Any) -> None:
        self.removing, self.value = False, value
        self.box.value = ''
        self.show()

    def toggle(self) -> None:
        self.removing = not self.removing
        self.show()

    def show(self) -> None:
        if self.removing:
            self.line.text = _('Removed when you save the settings')
        elif self.value:
            self.line.text = _('Saved: {hint}').format(hint=app_settings.hint(self.key, self.value))
        else:
            self.line.text = _('Not set')
        self.line.classes(add='font-mono' if self.value and not self.removing else '', remove='font-mono')
        self.remove.text = _('Keep it') if self.removing else _('Remove')
        self.remove.set_visibility(bool(self.value))


def _shown(spec: app_settings.SettingSpec, value: Any) -> Any:
    """A value as its input holds it: a decimal as the reader types it, two places ('4.90'; French '4,90', which the
    service reads back); a secret's box is empty."""
    if spec.secret:
        return ''
    if spec.kind == 'image':
        return value or None  # the image input holds None for no image
    if spec.kind == 'decimal':
        try:
            return formatting.typed_amount(spec.decimal(value))
        except ValueError:
            return ''
    if spec.kind == 'number':  # its field holds text
        return '' if value is None else str(value)
    return value


def _save(actor: User, changes: dict, loaded: dict) -> dict:
    with session_scope() as session:
        return app_settings.save(session=session, actor=actor, changes=changes, loaded=loaded)
