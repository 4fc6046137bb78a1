"""The customer portal: the legal documents on the front office (terms, privacy policy…), which version the customer
accepted and when (and, folded, every version they accepted), each version in force to read (its Markdown, sanitized)
and accept. The rules are services/legal_acceptances.py's."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import ElementFilter, ui

from backoffice.db import read_session, session_scope
from backoffice.i18n import N_, _, ngettext
from backoffice.services import legal_acceptances
from backoffice.services.legal_acceptances import PortalDocument
from backoffice.services.portal_scope import PortalActor
from components.forms import FAILED, call, error_line
from components.portal_pages import LEGAL_FLAG, portal_page
from components.portal_session import acting_actor
from components.reading_text import reading_markdown


@portal_page('/portal/legal', N_('Legal documents'))
def portal_legal_page(actor: PortalActor) -> None:
    ui.label(_('The terms that apply to you with us, as published, and the versions you accepted.')).classes(
        'text-sm text-gray-600'
    )

    @ui.refreshable
    def documents() -> None:
        who = acting_actor()
        if who is None:
            return
        with read_session() as session:
            shown = legal_acceptances.for_portal(session=session, actor=who)
        if not shown:
            ui.label(_('No legal document is published at the moment.')).classes('text-gray-600').mark('legal-none')
        for document in shown:
            _document(document, accepted)

    async def accepted() -> None:
        documents.refresh()
        who = acting_actor()
        if who is None:
            return
        with read_session() as session:
            waiting = len(legal_acceptances.new_versions(session=session, actor=who))
        for flag in ElementFilter(kind=ui.badge, marker=LEGAL_FLAG):  # the menu's count, without a page load
            flag.set_text(str(waiting))
            flag.set_visibility(bool(waiting))

    documents()


def _document(document: PortalDocument, accepted: Callable[[], Awaitable[None]]) -> None:
    with ui.card().classes('w-full p-4 gap-2').mark('legal-document', f'legal-{document.slug}'):
        with ui.row().classes('w-full items-start justify-between no-wrap gap-2'):
            ui.label(document.title).classes('text-lg font-medium break-words min-w-0').props(
                'role=heading aria-level=2'
            ).mark('legal-title')
            if document.flagged:
                ui.badge(_('New version')).props('color=orange').classes('shrink-0').mark('legal-new')
        ui.label(document.in_force).classes('text-sm text-gray-600')
        ui.label(document.said).classes('text-sm break-words').mark('legal-said')
        if document.history:  # every version they accepted, folded: the sentence above says the one that counts
            count = len(document.history)
            with (
                ui.expansion(ngettext('Your acceptance ({n})', 'Your acceptances ({n})', count).format(n=count))
                .classes('w-full')
                .props('dense')
                .mark('legal-history')
            ):
                for line in document.history:
                    ui.label(line).classes('text-sm text-gray-600 break-words').mark('legal-history-line')
        with (
            ui.expansion(_('Read version {number}').format(number=document.number), value=document.flagged)
            .classes('w-full')
            .props('dense')
            .mark('legal-read')
        ):
            # the text as the staff wrote it, in Markdown (their form previews it so): shown as a label, a customer read
            # '# Article 1' and '**'; sanitized in the browser (NiceGUI's default); the CSP fetches no outside image
            reading_markdown(document.body).classes('bo-legal-text max-h-96 overflow-auto').mark('legal-body')
        if not document.may_accept:
            return
        message = error_line()

        async def accept() -> None:
            who = acting_actor()
            if who is None:
                return
            said = await call(_accept, who, document, button.client.ip, message=message)
            if said is FAILED:
                return
            ui.notify(said, type='positive')
            await accepted()

        button = (
            ui.button(_('I accept version {number}').format(number=document.number), on_click=accept)
            .props('no-caps')
            .classes('self-end max-w-full')
            .mark('legal-accept', f'legal-accept-{document.slug}')
        )


def _accept(actor: PortalActor, document: PortalDocument, ip: str) -> str:
    with session_scope() as session:
        recorded = legal_acceptances.accept_in_portal(
            session=session, actor=actor, document=document.slug, version=document.number, ip=ip
        )
        return legal_acceptances.accepted_said(recorded, document.title)
