"""At the top of the portal's home: the legal documents with a new version the customer has not accepted yet (they
accepted an earlier one), and the way to read and accept it (services/legal_acceptances.py decides which)."""

from __future__ import annotations

from nicegui import ui

from backoffice.db import read_session
from backoffice.i18n import _
from backoffice.services import legal_acceptances
from backoffice.services.portal_scope import PortalActor


def new_versions_notice(actor: PortalActor) -> None:
    with read_session() as session:
        titles = legal_acceptances.new_versions(session=session, actor=actor)
    if not titles:
        return
    with ui.card().classes('w-full p-4 gap-2 bg-amber-50').mark('legal-notice'):
        ui.label(_('New terms to accept')).classes('text-lg font-medium').props('role=heading aria-level=2')
        for title in titles:
            ui.label(_('A new version of “{title}” is published: read it and accept it.').format(title=title)).classes(
                'break-words'
            ).mark('legal-notice-document')
        ui.link(_('Read and accept'), '/portal/legal').classes('self-end font-medium').mark('legal-notice-open')
