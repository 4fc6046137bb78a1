"""Where notifications appear, app-wide: at the top of the screen, above the dialogs. A dialog keeps its action buttons
at its foot (Save, Cancel, Publish), where a notification at the bottom sat over them on a phone and on a tall dialog
on a desktop ("Changes saved" over the Save button just pressed); at the top, a dialog leaves a strip free for it
(NOTICE_ROOM), so a notification covers neither its actions nor its title, close button or tabs. That strip holds one:
several at once (a save, then a live update, then a refusal) would stack downward over the dialog's title, so each new
one takes the place of the one showing, with a badge counting them ("3"): Quasar's notification `group`, one for all."""

from __future__ import annotations

from typing import Final

from nicegui import app
from nicegui.functions import notify as notify_function

POSITION: Final = 'top'
GROUP: Final = 'backoffice-notice'  # one group: the newest replaces the one showing and counts it
NOTICE_ROOM: Final = 64  # px above every dialog: a notification (48 px at 10 px from the top) and a gap
# Quasar's dialog keeps 24 px around its card and caps it at the viewport less 48 px: NOTICE_ROOM at the top instead
# (a constant, as all markup is: tests/test_no_markup_from_data.py; forms.BOUNDED_CARD says the same 88 px)
NOTICE_ROOM_CSS = """
.q-dialog .q-dialog__inner--minimized { padding-top: 64px; }
.q-dialog .q-dialog__inner--minimized > div { max-height: calc(100vh - 88px); }
"""


def place_notifications() -> None:
    """Every `ui.notify` without a position of its own appears at the top (NiceGUI's default is the bottom). Once per
    start, in main.py, as the other app-wide defaults (the buttons' `no-caps`)."""
    defaults = notify_function.notify.__kwdefaults__
    assert defaults is not None and 'position' in defaults, 'ui.notify no longer takes a position'
    defaults['position'] = POSITION
    # Quasar's own defaults for every notification of every page (its `config.notify`); a progress notification that
    # updates itself says `group=False` (a grouped one cannot be updated), as Quasar's 'ongoing' type does
    app.config.quasar_config['notify'] = {**app.config.quasar_config.get('notify', {}), 'group': GROUP}
