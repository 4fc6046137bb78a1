"""The frame of every signed-in page: header, navigation drawer, dark mode, user menu, and the no-access screen."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from nicegui import app, ui

from backoffice import auth, i18n, permissions
from backoffice.db import session_scope
from backoffice.i18n import _
from backoffice.models import User
from backoffice.services import app_settings
from backoffice.services import users as users_service

from . import live
from .forms import FAILED, call, clear_errors, page_dialog
from .global_search import GlobalSearch
from .menu_on_open import MenuOnOpen
from .navigation import Navigation
from .notices import NOTICE_ROOM_CSS
from .notification_bell import NotificationBell
from .reading_text import READING_CSS
from .rights_watch import follow_rights
from .screens import SCREENS, Screen
from .session import acting_user, client_storage, current_session_id, forget, keep_epoch
from .session_renewal import renewal_url

PRODUCT = 'Backoffice'


def shop_name() -> str:
    """The company name from /settings (its help says it is shown in the back office), else the product's."""
    return str(app_settings.cached('company_name') or '').strip() or PRODUCT


@contextmanager
def frame(title: str, user: User, *, menu: Sequence[Screen], current: str, heading: bool = True) -> Iterator[None]:
    theme()
    dark = ui.dark_mode(user.dark_mode)
    _end_on_sign_out_elsewhere(user)
    follow_rights(user, SCREENS[current].permission if current in SCREENS else None)

    with ui.header(elevated=False).classes('items-center no-wrap gap-2 px-3 py-2 bg-primary text-white'):
        menu_button = ui.button(icon='menu').props('flat round dense color=white')
        menu_button.props['aria-label'] = _('Menu')
        menu_button.classes('lg:hidden')
        name = ui.link(shop_name(), '/').classes(
            'text-lg font-semibold text-white no-underline tracking-tight gt-xs truncate max-w-xs'
        )
        name.mark('shop-name')
        _follow_shop_name(name)
        ui.space().classes('gt-xs')
        GlobalSearch(user)
        NotificationBell(user)
        dark_button = ui.button(icon='dark_mode', on_click=lambda: _toggle_dark(dark)).props(
            'flat round dense color=white'
        )
        dark_button.props['aria-label'] = _('Dark mode')
        dark_button.tooltip(_('Dark mode')).mark('dark-mode')
        _user_menu(user)

    # value=False + show-if-above: open on wide screens without asking the browser for its state (value=None does,
    # and logs a timeout error when the person leaves the page within a second)
    with (
        ui.left_drawer(value=False, fixed=True, bordered=True)
        .props('show-if-above width=240 breakpoint=1023')
        .classes('bg-gray-50 dark:bg-neutral-900 p-0') as drawer
    ):
        Navigation(menu, current)  # one element: every entry a link (<a href>), the current page highlighted
    _open_and_close_in_the_browser(drawer)
    menu_button.on('click', js_handler=f'() => getElement({drawer.id}).toggle()')

    ui.add_body_html(KEYBOARD_JS)
    ui.add_body_html(WIDTH_JS)
    ui.add_body_html(STABLE_SLOTS_JS)
    with ui.column().classes('w-full max-w-7xl mx-auto p-3 sm:p-6 gap-4'):
        if heading:  # else the page heads itself (`Screen.heading`)
            ui.label(title).classes('text-2xl font-semibold').props('role=heading aria-level=1')
        yield


def _open_and_close_in_the_browser(drawer: ui.left_drawer) -> None:
    """The drawer opens and closes in the browser alone (the menu button, a tap beside it, the window's width), the
    server never told. NiceGUI held its open/closed value on the server, each change a round trip: a page loaded at
    1440 px and narrowed at once sent Quasar's "open" then "close"; a loaded server answered "closed", which the
    browser held already (or got them the other way round: before the connection is up each waits on its own timer),
    so Quasar kept the drawer open over the page, its transparent backdrop taking every tap (3 in 40 such loads on
    PostgreSQL; a tablet turned to portrait right after a load met it). Without a listener for its value, Quasar opens
    and closes it by itself (tests/browser/test_sign_in_in_chromium.py)."""
    for key, listener in list(drawer._event_listeners.items()):  # noqa: SLF001 (NiceGUI has no public `off`)
        if listener.type == 'update:modelValue':
            del drawer._event_listeners[key]  # noqa: SLF001


def theme() -> None:
    """The product's styles, on every page including the sign-in page (its colours: `product_colors`)."""
    ui.add_css(DARK_CSS + UPLOADER_CSS + DATE_CSS + NARROW_FIELD_CSS + RECORD_TABS_CSS)
    ui.add_css(NOTICE_ROOM_CSS)  # the strip above dialogs where notifications appear
    ui.add_css(READING_CSS)  # Markdown as customers read it: the portal's, and the back office's preview of it


def product_colors() -> None:
    """The product's colours, app-wide (main.py, on every start): in Quasar's configuration, which every page is served
    with. A `ui.colors` on each page was one more element to build and send, which set them again on the page's body
    once mounted (the browser then recomputed the styles of the page it had just drawn)."""
    app.colors(primary='#3b5bdb', secondary='#495057', accent='#0ca678')


# a date field's format example ('e.g. 31/12/2026') reads as a hint, never as a day typed in (components/date_input.py);
# only once its label floats above it: under a label still in the field Quasar hides it, which this must not undo
# A narrow field at the end of a row (a line's Qty): its message ("Enter a whole number") on one line, ending at the
# field's right edge and running left under the row's wider field, not wrapped on three lines under a 96-px box
# A draft's Qty starts its row on a phone (the product above it, alone): there its message runs right from the field's
# left edge, else it ran off the dialog's left side ("nter a whole number")
NARROW_FIELD_CSS = """
.bo-narrow-field .q-field__bottom { left: auto; right: 0; width: max-content; max-width: none; }
.bo-narrow-field .q-field__messages { white-space: nowrap; text-align: right; }
@media (max-width: 639.98px) {
  .bo-narrow-start .q-field__bottom { left: 0; right: auto; }
  .bo-narrow-start .q-field__messages { text-align: left; }
}
"""

# A record dialog's tabs on a phone (Details / Versions / Changes / History, in French "Modifications", "Historique"):
# wrapped onto a second row, two a row from four tabs on, so every one is in sight and reached with one tap; Quasar
# scrolled them sideways behind arrows, the last ones out of sight. Wider screens keep Quasar's one row as it was.
RECORD_TABS_CSS = """
@media (max-width: 599.98px) {
  .bo-record-tabs .q-tabs__content { flex-wrap: wrap; }
  .bo-record-tabs .q-tab { flex: 1 1 auto; padding: 0 8px; min-height: 40px; }
  .bo-record-tabs .q-tabs__content:has(> .q-tab:nth-child(4)) > .q-tab { flex-basis: 40%; }
  .bo-record-tabs .q-tabs__arrow { display: none; }
}
"""

DATE_CSS = """
.bo-date-input.q-field--float input::placeholder { color: #9ca3af; font-style: italic; opacity: 1; }
"""

# Quasar's uploader header shows the queue's size and progress ("0.0B / 0.00%" before a file is chosen): each file's
# row already says its name and size, and the page says what happened to the upload. The attachment picker
# (components/attachments.py) lists its files as chips below it, not again inside it, and a long file name is cut
# with an ellipsis (its whole name in the chip's title) instead of widening a phone's page
UPLOADER_CSS = """
.q-uploader__subtitle { display: none; }
.bo-attachments .q-uploader__list { display: none; }
.bo-attachments .q-chip { max-width: 100%; }
.bo-attachments .q-chip__content { display: block; min-width: 0; overflow: hidden; text-overflow: ellipsis; }
.bo-attachment-link .q-btn__content { flex-wrap: nowrap; text-align: left; }
.bo-attachment-link .q-btn__content > .block { min-width: 0; overflow-wrap: anywhere; }
"""

# in dark mode the light tints and dark greys the pages use would be unreadable: lighter text, translucent tints
DARK_CSS = """
body.body--dark .text-gray-700, body.body--dark .text-gray-800 { color: #d4d4d4; }
body.body--dark .text-gray-600 { color: #b0b0b0; }
body.body--dark .text-gray-500 { color: #9ca3af; }
body.body--dark .bg-blue-50 { background-color: rgba(59, 130, 246, 0.16); }
body.body--dark .bg-amber-50 { background-color: rgba(245, 158, 11, 0.16); }
body.body--dark .bg-red-50 { background-color: rgba(239, 68, 68, 0.16); }
body.body--dark .bg-gray-50 { background-color: #1d1d1d; }
body.body--dark .text-amber-900 { color: #fcd34d; }
body.body--dark .text-red-800, body.body--dark .text-red-700 { color: #f87171; }
body.body--dark .text-green-700 { color: #4ade80; }
body.body--dark .js-plotly-plot .main-svg text { fill: #c8c8c8 !important; }
body.body--dark .js-plotly-plot .gridlayer path, body.body--dark .js-plotly-plot .zerolinelayer path {
    stroke: rgba(255, 255, 255, 0.12) !important; }
"""


# NiceGUI renders a slot template (a table's cell, a card) as a component defined anew on every render, and any update
# of any element of a page (a list's new rows, a badge) renders the whole page: every templated cell of every table is
# unmounted and mounted again (25 rows × 3 cells on /requests; a forced render of /requests took 430–660 ms with that,
# 26–105 ms without, at load ~20). One definition per template lets Vue patch the cells instead; the definitions are the
# same ({props, template}), so nothing else changes. It runs after Vue is loaded (module scripts run in order) and
# before the page is built; Quasar keeps the Vue it was loaded with.
STABLE_SLOTS_JS = """<script type="module">
const h = Vue.h;
const known = new Map();
globalThis.Vue = {
  ...Vue,
  h: (type, ...rest) => {
    if (type && typeof type === 'object' && typeof type.template === 'string' && type.props
        && Object.keys(type).length === 2) {
      if (!known.has(type.template)) known.set(type.template, type);
      type = known.get(type.template);
    }
    return h(type, ...rest);
  },
};
</script>"""

# The window's width now and after each resize, in a cookie the next page request reads (components/viewport.py: a
# list leaves out of its first paint what that width hides)
WIDTH_JS = """<script>
(() => {
  const tell = () => {
    document.cookie = 'bo_width=' + Math.round(window.innerWidth) + '; path=/; max-age=31536000; samesite=lax';
  };
  // after the page has painted: setting a cookie waits on the browser process (~10 ms of a phone page's first paint)
  if (window.requestIdleCallback) window.requestIdleCallback(tell, { timeout: 1000 });
  else setTimeout(tell, 200);
  let pending;
  window.addEventListener('resize', () => { clearTimeout(pending); pending = setTimeout(tell, 200); });
})();
</script>"""

# Keys on every signed-in page: Ctrl/Cmd-K focuses the header's search; "/" focuses the list's search (unless the person
# is typing in a field); a list's rows take the focus (Tab) and Enter opens the focused row, as a click would.
KEYBOARD_JS = """<script>
(() => {
  if (window.__boKeys) return;
  window.__boKeys = true;
  const typing = (el) => el && (el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName));
  document.addEventListener('keydown', (e) => {
    if ((e.ctrlKey || e.metaKey) && !e.altKey && (e.key === 'k' || e.key === 'K')) {
      const box = document.querySelector('.bo-global-search input');
      if (box) { e.preventDefault(); box.focus(); box.select(); }
    } else if (e.key === '/' && !e.ctrlKey && !e.metaKey && !e.altKey && !typing(e.target)) {
      const box = document.querySelector('.bo-list-search input');
      if (box) { e.preventDefault(); box.focus(); }
    } else if (e.key === 'Enter' && e.target.matches && e.target.matches('.resource-table tbody tr[tabindex]')) {
      e.preventDefault();
      e.target.click();
    }
  });
  const focusable = () => document.querySelectorAll('.resource-table tbody tr:not([tabindex])')
    .forEach((row) => row.setAttribute('tabindex', '0'));
  new MutationObserver(focusable).observe(document.body, { childList: true, subtree: true });
})();
</script>"""


def avatar(name: str, *, color: str = 'primary', text_color: str = 'white', size: str = 'md') -> None:
    with ui.avatar(color=color, text_color=text_color, size=size):
        ui.label(initials(name)).classes('text-sm font-medium')


def initials(name: str) -> str:
    """'MM' for 'Maximiliana "Max" …': the first letter or digit of the first two words that have one (not a quote)."""
    firsts = (next((c for c in part if c.isalnum()), '') for part in name.split())
    return ''.join([c for c in firsts if c][:2]).upper() or '?'


def no_access() -> None:
    """Shown instead of a page the user's role may not open; nothing of that page's data is loaded."""
    with ui.card().classes('w-full max-w-xl items-center text-center gap-2 p-8 self-center'):
        ui.icon('lock', size='3rem').classes('text-gray-400')
        ui.label(_("You don't have access to this page")).classes('text-xl font-medium')
        ui.label(_('Your role does not include it. If you need it for your work, ask an administrator.')).classes(
            'text-gray-500'
        )
        ui.link(_('Back to the dashboard'), '/').classes('text-primary')


def _user_menu(user: User) -> None:
    """The account button; its menu (who is signed in, the languages, security, password, log out) is built on its
    first opening, not with every page."""
    account = ui.button().props('flat no-caps color=white').classes('px-1').mark('account')
    account.props['aria-label'] = _('Account')
    account.props['aria-haspopup'] = 'menu'
    with account:
        avatar(user.name, color='white', text_color='primary', size='sm')
        # a long name cut with an ellipsis (Quasar's class), whole in the tooltip: 60 characters filled a tablet's
        # header
        ui.label(user.name).classes('ml-2 gt-xs ellipsis').style('max-width: min(12rem, 18vw)')
        with ui.tooltip():
            ui.label(user.name)  # as text
    MenuOnOpen(account, _account_menu, menu=lambda: ui.menu().props('anchor="bottom right" self="top right"'))


def _account_menu() -> None:
    user = acting_user()  # checked afresh: the page may have been open a while
    if user is None:
        return
    with ui.column().classes('px-4 py-2 gap-0'):
        ui.label(user.name).classes('font-medium')
        ui.label(user.email).classes('text-sm text-gray-500')
        ui.label(_('Role: {role}').format(role=permissions.role_name(user.role))).classes('text-sm text-gray-500')
    ui.separator()
    _language_choice()
    ui.separator()
    ui.menu_item(_('Security and sessions'), on_click=lambda: ui.navigate.to('/account/security')).mark('security')
    ui.menu_item(_('Change password'), on_click=_change_password_dialog).mark('change-password')
    ui.menu_item(_('Log out'), on_click=_log_out).mark('log-out')


def _language_choice() -> None:
    """The languages one may choose, each in its own name; the chosen one is stored on the user and the page reloads
    in it."""
    reading = i18n.current()
    ui.label(_('Language')).classes('px-4 pt-2 text-xs uppercase tracking-wide text-gray-500')
    for code, name in i18n.available().items():
        with ui.menu_item(on_click=lambda code=code: _choose_language(code)).mark(f'language-{code}') as item:
            with ui.row().classes('items-center no-wrap gap-2'):
                ui.icon('check' if code == reading else '').classes('w-5')
                ui.label(name)
        item.props['lang'] = code  # the language's own name, read in that language
        if code == reading:
            item.props['aria-current'] = 'true'


async def _choose_language(code: str) -> None:
    user = acting_user()
    if user is None:
        return
    saved = await call(_set_language, user, code)
    if saved is FAILED:
        return
    ui.navigate.reload()  # every text of the page, Quasar's too, in the new language


def _set_language(user: User, code: str) -> User:
    with session_scope() as session:
        return users_service.set_language(session=session, actor=user, language=code)


def _toggle_dark(dark: ui.dark_mode) -> None:
    user = acting_user()
    if user is None:
        return
    dark.value = not dark.value
    with session_scope() as session:
        users_service.set_dark_mode(session=session, actor=user, dark=bool(dark.value))


def _log_out() -> None:
    """Logging out ends this user's session in every browser, not only this one."""
    user = acting_user()
    if user is not None:
        with session_scope() as session:
            auth.log_out(session=session, user_id=user.id)
    forget()
    ui.navigate.to(renewal_url(None))  # the old session id is emptied and the browser gets a new one


def _change_password_dialog() -> None:
    with page_dialog() as dialog, ui.card().classes('w-full max-w-md'):
        ui.label(_('Change password')).classes('text-lg font-medium')
        fields = {
            'current': ui.input(_('Current password'), password=True, password_toggle_button=True).classes('w-full'),
            'new': ui.input(_('New password'), password=True, password_toggle_button=True).classes('w-full'),
            'confirm': ui.input(_('Repeat new password'), password=True, password_toggle_button=True).classes('w-full'),
        }
        fields['new'].props['hint'] = _('At least 10 characters, hard to guess; other sessions will be signed out')

        async def save() -> None:
            user = acting_user()
            if user is None:
                return
            clear_errors(fields)
            values = {name: field.value for name, field in fields.items()}
            saved = await call(
                _change_password, user, values, app.storage.browser.get('id'), current_session_id(), fields=fields
            )
            if saved is FAILED:
                return
            keep_epoch(saved)
            dialog.close()
            ui.notify(_('Password changed. Your other sessions were signed out.'), type='positive')

        with ui.row().classes('w-full justify-end'):
            ui.button(_('Cancel'), on_click=dialog.close).props('flat')
            ui.button(_('Change password'), on_click=save)
    dialog.open()


def _change_password(user: User, values: dict, browser_id: str | None, session_id: int | None) -> User:
    with session_scope() as session:
        return users_service.change_own_password(
            session=session, actor=user, keep_session=browser_id, keep_session_id=session_id, **values
        )


def _follow_shop_name(name: ui.link) -> None:
    """The company name saved at /settings shows in the header at once, on every open page (this process's, or another's
    through the event relay), not at the next page load."""

    def on_settings_changed(payload: dict) -> None:
        if 'company_name' in (payload.get('keys') or ()):
            name.text = shop_name()

    live.settings_changed.subscribe(on_settings_changed)


def _end_on_sign_out_elsewhere(user: User) -> None:
    # An event callback runs in the emitter's request context, so this browser's storage is captured here, at build.
    storage, browser_id = client_storage(), app.storage.browser.get('id')
    this_session = current_session_id(storage)

    def on_sessions_ended(payload: dict) -> None:
        if payload.get('user_id') != user.id:
            return
        if 'epoch' not in payload and this_session not in (payload.get('session_ids') or ()):
            return  # other sessions of this user were ended one by one (Security and sessions), not this one
        if payload.get('keep') and payload['keep'] == browser_id:
            storage['epoch'] = payload['epoch']  # the browser that changed its own password stays signed in
            return
        if 'epoch' in payload and _signed_in_since(storage.get('epoch'), payload['epoch']):
            # signed in with the new password after the change that ends the older sessions: the event, heard late
            # (it reaches every process through the relay), must not end the session it did not know about
            return
        forget(storage)
        ui.navigate.to('/login')

    live.sessions_ended.subscribe(on_sessions_ended)


def _signed_in_since(epoch: object, ended_before: int) -> bool:
    """Whether a session signed in at `epoch` is at least as new as the epoch an ending event sets."""
    return isinstance(epoch, int) and epoch >= ended_before
