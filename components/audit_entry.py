"""One audit entry opened from the log: what happened in words, its fields before and after, a link to the record."""

from __future__ import annotations

from nicegui import ui

from backoffice.db import read_session
from backoffice.formatting import when
from backoffice.i18n import N_, _
from backoffice.models import User
from backoffice.services import audit_story

from .forms import FAILED, call_now, page_dialog
from .session import acting_user

CHANGE_COLUMNS = [
    {'name': 'label', 'label': N_('Field'), 'field': 'label', 'align': 'left'},
    {'name': 'before', 'label': N_('Before'), 'field': 'before', 'align': 'left'},
    {'name': 'after', 'label': N_('After'), 'field': 'after', 'align': 'left'},
]
NO_LINK = N_('This record no longer exists, or you may not open it.')
NO_CHANGES = N_('No field changed.')


def open_audit_entry(entry_id: int) -> None:
    """Show the entry in a dialog (a NotFound for an entry this user may not read shows as a message)."""
    user = acting_user()
    if user is None:
        return
    story = call_now(_tell, user, entry_id)
    if story is FAILED:
        return
    AuditEntryDialog(story)


def _tell(user: User, entry_id: int) -> audit_story.AuditStory:
    with read_session() as session:
        return audit_story.tell(session=session, actor=user, entry_id=entry_id)


class AuditEntryDialog:
    def __init__(self, story: audit_story.AuditStory) -> None:
        with page_dialog() as self.dialog, ui.card().classes('w-full max-w-2xl gap-3').mark('audit-entry'):
            ui.label(story.sentence).classes('text-lg font-medium break-words w-full').mark('audit-sentence')
            ui.label(f'{when(story.at)} · {story.actor}').classes('text-sm text-gray-500')
            if story.summary and story.summary != story.sentence:
                ui.label(story.summary).classes('text-sm break-words w-full').mark('audit-summary')
            if story.changes:
                rows = [
                    {'id': position, 'label': c.label, 'before': c.before, 'after': c.after}
                    for position, c in enumerate(story.changes)
                ]
                (
                    ui.table(columns=[{**c, 'label': _(c['label'])} for c in CHANGE_COLUMNS], rows=rows, row_key='id')
                    .props('flat bordered dense wrap-cells hide-bottom')
                    .classes('w-full')
                    .mark('audit-changes')
                )
            else:
                ui.label(_(NO_CHANGES)).classes('text-sm text-gray-500')
            with ui.row().classes('w-full items-center justify-between gap-2'):
                if story.link:
                    # a path the core built from the resource's declared link ('/orders/{number}'), values quoted
                    ui.link(story.link_label, story.link).mark('audit-record-link')
                elif story.record:
                    ui.label(_(NO_LINK)).classes('text-sm text-gray-500')
                else:
                    ui.element('span')
                ui.button(_('Close'), on_click=self.dialog.close).props('flat')
        self.dialog.open()
