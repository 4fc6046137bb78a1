"""Entry point: wires the app once (pages, API, middleware, live events, start-up) and serves it."""

import gc
import os
import sys

if not os.environ.get('NICEGUI_USER_SIMULATION'):  # `python main.py`: answered before the UI and the app are imported
    from backoffice.config import help_text, load_settings

    if '--help' in sys.argv[1:] or '-h' in sys.argv[1:]:
        print('Usage: python main.py   (or: make run)\n')
        print(help_text())
        raise SystemExit(0)
    load_settings()  # a bad value stops the start with its one line in 0.3 s of CPU, not after 3 s of imports

# No cyclic garbage collection while the app is imported and wired: it makes ~300,000 objects that last as long as the
# process, and the collector scanned them again and again as they were made (~15 % of a start's CPU, 0.9 s of 5.7).
# It makes no cyclic garbage (a full collection right after finds none), so nothing waits for the collector.
collecting = gc.isenabled()
gc.disable()

from nicegui import app, ui  # noqa: E402

from backoffice.extensions import ExtensionError  # noqa: E402

try:  # declares every resource, then every installed extension's parts (backoffice/extension_hooks.py)
    import backoffice.resources  # noqa: F401
    from backoffice.api.routes import ROUTERS  # the core's routers, then the extensions'
except ExtensionError as error:  # a broken extension stops the start with its name and why, not a traceback soup
    raise SystemExit(f'Cannot start: {error}') from None

from backoffice import __version__, db, extension_hooks, i18n  # noqa: E402
from backoffice.config import reload_settings  # noqa: E402
from backoffice.private_files import private_folder  # noqa: E402
from backoffice.runtime import bootstrap, event_relay, presence, ratelimit  # noqa: E402
from backoffice.runtime.scheduler import JobRunner  # noqa: E402
from backoffice.runtime.upload_limit import UploadLimit  # noqa: E402
from backoffice.services import app_settings, automation_runner, channel_events, roles, webhooks  # noqa: E402
from backoffice.transfer import export_files  # noqa: E402

# isort: split
import pages  # noqa: E402,F401  (declares every screen in the registry)
from components import live, not_found, prebuilt_tailwind, server_error  # noqa: E402
from components.auth_middleware import AuthMiddleware  # noqa: E402
from components.choice_options import install as cheaper_choice_options  # noqa: E402
from components.handler_signatures import remember_handler_signatures  # noqa: E402
from components.handler_slots import keep_handlers_in_their_page  # noqa: E402
from components.known_browser_route import router as known_browser_router  # noqa: E402
from components.notices import place_notifications  # noqa: E402
from components.portal_pages import register_portal_pages  # noqa: E402
from components.portal_pages import router as portal_router  # noqa: E402
from components.registry import register_pages  # noqa: E402
from components.select_picks import install as picks_read_by_label  # noqa: E402
from components.session import wire_activity  # noqa: E402
from components.session_cookie import add_session_middleware  # noqa: E402
from components.session_language import resolver as reader_language  # noqa: E402
from components.session_renewal import router as session_renewal_router  # noqa: E402
from components.shell import product_colors  # noqa: E402

try:
    extension_hooks.import_pages()  # the extensions' screens, after the core's
except ExtensionError as error:
    raise SystemExit(f'Cannot start: {error}') from None

settings = reload_settings()  # read the environment on every start; the test fixture re-runs this file per test
bootstrap.check_admin_settings(settings)
private_folder(settings.data_dir)  # 0700: the database, its backups and the secrets are for this app's user only
db.configure(settings.database_url)
ratelimit.configure(settings.redis_url)


def start_services() -> None:
    lines = bootstrap.first_start(settings)
    export_files.sweep()  # exports a stopped process left behind (personal data)
    if not os.environ.get('NICEGUI_USER_SIMULATION'):
        print(f'\n  Backoffice is running at http://{settings.host}:{settings.port}/login', flush=True)
        for line in lines:
            print(f'  {line}', flush=True)
        print(flush=True)


# every _() in a page, a handler, a timer or a live update: the language of the page's reader; elsewhere (jobs, the
# API) the settings' default language, unless a `with i18n.use(...)` block says otherwise (an email to a customer)
i18n.set_resolver(reader_language)
i18n.set_default(app_settings.default_language)
ui.button.default_props('no-caps')
place_notifications()  # at the top: never over a dialog's action buttons at its foot
product_colors()  # every page's colours, sent with Quasar's configuration (not an element of each page)
cheaper_choice_options()  # a select's options rebuilt when they or its value change, not at every prop set
picks_read_by_label()  # a select's pick is the option clicked, even if its options changed meanwhile
remember_handler_signatures()  # each element's change handlers: their signatures read once per class, not per element
keep_handlers_in_their_page()  # a click's handler whose element a live update rebuilds meanwhile goes on in the page
app.add_middleware(AuthMiddleware)
add_session_middleware(app, settings.resolved_storage_secret())  # after AuthMiddleware: these wrap it
wire_activity()  # only a person's input and page loads keep a session from going idle
app.add_middleware(UploadLimit)  # added last: outermost, it counts an upload's bytes before anything reads them
lifespan = app.router.lifespan_context
for router in (session_renewal_router, known_browser_router, portal_router, *ROUTERS):
    app.include_router(router)
# FastAPI 0.165 nests the app's lifespan once per include_router; our routers have none of their own, and the test
# fixture re-runs this file for every test, so without this the nesting grew until Python's recursion limit
app.router.lifespan_context = lifespan
register_pages()
register_portal_pages()  # the customer portal (/portal): its own sign-in, guard and frame
app.add_media_files('/uploads', settings.data_dir / 'uploads')  # product images; behind sign-in like every page
app_settings.wire()  # settings saved here or in another process are read afresh at once (before pages hear of it)
live.wire()
not_found.wire()  # an unknown address shows a page with the way home, not "HTTPException: 404"
server_error.wire()  # a page that fails to build says so in words, never with the exception's text
presence.wire()
webhooks.wire()  # outbound webhooks: core events fill their outbox
automation_runner.wire(background=True)  # automation rules: core events queue triggers, run after the commit
channel_events.wire(background=True)  # chat channels' chosen events: queued with the change, sent after the commit
roles.wire()  # a role changed in another process is read again here as soon as its event arrives
app.on_startup(start_services)


def start_relay() -> None:
    """With PostgreSQL, events (and who has which record open) reach the other app processes."""
    if event_relay.start(settings.database_url) is not None:
        presence.start()


def stop_relay() -> None:
    presence.stop()
    event_relay.stop()


if not os.environ.get('NICEGUI_USER_SIMULATION'):  # tests of the relay start two relays themselves
    app.on_startup(start_relay)
    app.on_shutdown(stop_relay)
if settings.scheduler:
    jobs = JobRunner(settings)
    app.on_startup(jobs.start)
    app.on_shutdown(jobs.stop)
if not os.environ.get('NICEGUI_USER_SIMULATION'):  # the tests re-run this file per test and freeze on their own
    gc.freeze()  # before the collector is back: turned on, it scanned all of it at once (0.16-0.21 s of a start)
if collecting:
    gc.enable()

if __name__ in {'__main__', '__mp_main__'}:
    prebuilt_tailwind.install()
    ui.run(
        title='Backoffice',
        tailwind=False,  # Tailwind's classes come prebuilt (components/prebuilt_tailwind.py), not compiled per page
        host=settings.host,
        port=settings.port,
        reload=False,
        show=False,
        favicon='🗂️',
        # the session cookie's middleware is added above (add_session_middleware), not by ui.run's storage_secret
        forwarded_allow_ips=settings.forwarded_allow_ips,  # uvicorn: whose X-Forwarded-Proto/-For to believe
        # a page whose connection drops (a busy server, a train tunnel) may come back within 30 s to the same page,
        # with what was typed in it; after NiceGUI's default 3 s it was reloaded (tests/browser/test_reconnect_…)
        reconnect_timeout=30.0,
        fastapi_docs={'title': 'Backoffice API', 'version': __version__},
    )
