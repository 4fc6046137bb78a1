"""Content: pages, texts and legal documents for the front office — Markdown with preview, publish and unpublish,
and every published version of a legal document with the dates it was in force."""

from nicegui import ui

from backoffice.i18n import N_, _
from backoffice.models import User
from backoffice.resources import resource
from components.resource_view import ResourceView
from components.screens import screen

CONTENT = resource('content')
LEGAL_VERSIONS = resource('legal-versions')


@screen(
    '/content',
    CONTENT.label,
    permission=CONTENT.read_permission,
    icon=CONTENT.icon,
    section=N_('Front office'),
    order=400,
    description=CONTENT.description,
)
def content_page(user: User) -> None:
    with ui.tabs().classes('w-full') as tabs:
        entries = ui.tab(_('Pages and texts'), icon=CONTENT.icon).mark('content-tab')
        versions = ui.tab(_(LEGAL_VERSIONS.label), icon=LEGAL_VERSIONS.icon).mark('legal-versions-tab')
    # a version's link ('/content?version=5', a customer's acceptance) opens on its tab, the version's text open
    asked = ui.context.client.request.query_params.get('version', '')
    with ui.tab_panels(tabs, value=versions if asked.isdigit() else entries).classes('w-full'):
        with ui.tab_panel(entries).classes('p-0 gap-2').mark('content'):
            ResourceView(CONTENT, user)
        with ui.tab_panel(versions).classes('p-0 gap-2').mark('legal-versions'):
            ResourceView(LEGAL_VERSIONS, user)
