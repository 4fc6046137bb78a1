"""The customer portal's pages: each declares itself with @portal_page; main.py registers them with their own guard
(the portal's session, never the staff's), their own frame (the shop's name and logo, phone-first) and language."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from nicegui import ui

from backoffice.db import read_session
from backoffice.i18n import N_, _
from backoffice.runtime.uploads import is_stored_image, stored_path
from backoffice.services import app_settings, legal_acceptances
from backoffice.services.portal_scope import PortalActor

from . import live
from .portal_session import current_actor, portal_login_url
from .screens import BUILD_TIMEOUT_SECONDS, path_parameters
from .session_language import start_page_in
from .shell import theme

LOGO_PATH = '/portal/logo'


@dataclass(frozen=True)
class PortalPage:
    path: str
    title: str
    builder: Callable
    public: bool = False
    heading: bool = True  # False: the page writes its own heading (one record's number and status)


PORTAL_PAGES: dict[str, PortalPage] = {}
NAVIGATION = (  # path, label, icon, the paths under it (the Company tab only for a company's members)
    ('/portal', N_('Orders'), 'inventory_2', ('/portal/orders/',)),
    ('/portal/invoices', N_('Invoices'), 'receipt_long', ()),
    ('/portal/requests', N_('Requests'), 'support_agent', ('/portal/requests/',)),
    ('/portal/company', N_('Company'), 'business', ()),
    ('/portal/legal', N_('Legal'), 'gavel', ()),
    ('/portal/account', N_('Account'), 'person', ()),
)
LEGAL_FLAG = 'portal-legal-flag'  # the Legal tab's count of new versions not accepted yet


def current_tab(path: str) -> str:
    """The tab a page belongs to (an order's page to Orders, a request's to Requests), '' for none."""
    path = path.rstrip('/') or '/portal'
    for tab, _label, _icon, under in NAVIGATION:
        if path == tab or any(path.startswith(prefix) for prefix in under):
            return tab
    return ''


def portal_page(path: str, title: str, *, public: bool = False, heading: bool = True) -> Callable[[Callable], Callable]:
    """Declare a portal page. A signed-in one's builder receives the PortalActor (and the path's parameters as
    strings); a public one's (the sign-in pages) the request."""

    def decorator(builder: Callable) -> Callable:
        PORTAL_PAGES[path] = PortalPage(path, title, builder, public, heading)
        return builder

    return decorator


def register_portal_pages() -> None:
    """main.py calls this on every start."""
    for declared in PORTAL_PAGES.values():
        ui.page(declared.path, title=declared.title, response_timeout=BUILD_TIMEOUT_SECONDS)(_guarded(declared))


router = APIRouter(include_in_schema=False)


@router.get(LOGO_PATH)
def shop_logo() -> Response:
    """The shop's logo (the invoices' one, from the settings) for the portal's header: public, like the shop's site."""
    with read_session() as session:
        logo = app_settings.value(session=session, key='seller_logo') or ''
    if not logo or not is_stored_image(logo) or not stored_path(logo).exists():
        return Response(status_code=404)
    return FileResponse(stored_path(logo), headers={'Cache-Control': 'public, max-age=300'})


@contextmanager
def portal_frame(title: str, actor: PortalActor | None, *, current: str = '', heading: bool = True) -> Iterator[None]:
    """The portal's frame: the shop's name and logo on top, the customer's places (the Legal tab counting the new
    versions they have not accepted), the page below; a phone's width first (one column, the navigation as a row of
    tabs that wraps), wider on a desktop."""
    theme()
    with read_session() as session:
        shop = app_settings.value(session=session, key='company_name') or ''
        logo = app_settings.value(session=session, key='seller_logo') or ''
        waiting = len(legal_acceptances.new_versions(session=session, actor=actor)) if actor is not None else 0
    with ui.header(elevated=False).classes('items-center no-wrap gap-3 px-4 py-2 bg-primary text-white'):
        with ui.link(target='/portal').classes('flex items-center gap-2 no-underline text-white min-w-0'):
            # always there, hidden without a logo: one uploaded or removed at /settings shows here without a reload
            image = ui.image(logo_source(logo)).classes('w-8 h-8 rounded bg-white').props('fit=contain')
            image.mark('portal-logo').set_visibility(bool(logo_source(logo)))
            name = ui.label(shop).classes('text-lg font-semibold truncate').mark('portal-shop')
            _follow_shop_name_and_logo(name, image)
        ui.space()
        if actor is not None:
            ui.label(actor.name or actor.email).classes('text-sm truncate gt-xs opacity-90').mark('portal-who')
    with ui.column().classes('w-full max-w-3xl mx-auto px-3 sm:px-6 pb-8 gap-4'):
        if actor is not None:
            navigation = ui.element('nav').classes('w-full')
            navigation.props['aria-label'] = _('Your account')
            with navigation:
                with ui.row().classes('gap-1 py-2'):  # wraps on a phone: every tab in sight, no scrollbar
                    tab = current_tab(current)
                    for path, label, icon, _under in NAVIGATION:
                        if path == '/portal/company' and actor.company_id is None:
                            continue
                        here = path == tab
                        link = ui.link(target=path).classes(
                            'px-3 py-2 rounded-full no-underline text-sm whitespace-nowrap '
                            + ('bg-primary text-white font-medium' if here else 'text-gray-700 bg-gray-100')
                        )
                        if here:
                            link.props['aria-current'] = 'page'
                            link.mark('portal-tab-current')
                        with link, ui.row().classes('items-center no-wrap gap-1'):
                            ui.icon(icon, size='1.1rem').classes('gt-xs')
                            ui.label(_(label))
                            if path == '/portal/legal':  # a new version to accept: counted on the tab
                                flag = ui.badge(str(waiting)).props('color=orange rounded').mark(LEGAL_FLAG)
                                flag.set_visibility(bool(waiting))
        if heading:
            ui.label(title).classes('text-2xl font-semibold break-words').props('role=heading aria-level=1')
        yield


def logo_source(logo: str) -> str:
    """The header's address for the shop's logo ('' for none): a new upload is a new address, not an old cached one."""
    return f'{LOGO_PATH}?v={logo.rsplit("/", 1)[-1][:8]}' if logo and is_stored_image(logo) else ''


def _follow_shop_name_and_logo(name: ui.label, image: ui.image) -> None:
    """The company name and the logo saved at /settings show in the portal's header at once, on every open page (this
    process's, or another's through the event relay), as the back office's header does: not at the next page load."""

    def on_settings_changed(payload: dict) -> None:
        keys = payload.get('keys') or ()
        if 'company_name' in keys:
            name.text = str(app_settings.cached('company_name') or '')  # wire() forgot the cached one before this
        if 'seller_logo' in keys:
            source = logo_source(str(app_settings.cached('seller_logo') or ''))
            if source:
                image.set_source(source)
            image.set_visibility(bool(source))

    live.settings_changed.subscribe(on_settings_changed)


def _guarded(declared: PortalPage) -> Callable:
    names = path_parameters(declared.path)

    async def page(request: Request, **params: str):
        if declared.public:
            start_page_in(None, request.headers.get('accept-language'))
            ui.context.client.title = _(declared.title)
            return await _call(declared.builder, request)
        actor = current_actor(page_load=True)
        if actor is None:  # nobody, or a member of staff: the portal has its own sign-in
            target = request.url.path + (f'?{request.url.query}' if request.url.query else '')
            return RedirectResponse(portal_login_url(target))
        start_page_in(actor.language, request.headers.get('accept-language'))
        ui.context.client.title = _(declared.title)
        with portal_frame(_(declared.title), actor, current=request.url.path, heading=declared.heading):
            return await _call(declared.builder, actor, **params)

    page.__module__ = declared.builder.__module__  # NiceGUI's test reset reloads the page's own module
    page.__qualname__ = page.__name__ = declared.builder.__name__
    page.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter('request', inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request),
            *(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=str) for name in names),
        ]
    )
    return page


async def _call(builder: Callable, *args, **kwargs):
    result = builder(*args, **kwargs)
    if inspect.isawaitable(result):
        result = await result
    return result
