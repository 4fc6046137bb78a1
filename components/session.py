"""Who is signed in to this browser: the session kept in NiceGUI's user storage, checked against the database."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from contextvars import ContextVar
from datetime import datetime, timedelta
from urllib.parse import quote
from weakref import WeakKeyDictionary

from nicegui import Client, app, background_tasks, run, ui
from nicegui.storage import request_contextvar
from starlette.requests import Request

from backoffice import auth
from backoffice.config import get_settings
from backoffice.db import read_session, session_scope
from backoffice.models import User, utcnow
from backoffice.services import staff_sessions, two_factor

ENROL_PATH = '/account/security'  # the one page a user who must set up two-factor sign-in may open
STAFF_KEYS = ('user_id', 'epoch', 'last_seen', 'signed_in_at', 'sid', 'session_id', 'touched')
# a customer signed in to the portal (components/portal_session.py): a browser is in one realm at a time, so a sign-in
# or sign-out in either forgets both
PORTAL_KEYS = (
    'portal_customer_id',
    'portal_epoch',
    'portal_sid',
    'portal_session_id',
    'portal_last_seen',
    'portal_touched',
)
SESSION_KEYS = STAFF_KEYS + PORTAL_KEYS
# the user the page guard has just checked, for the page being built (see checked_for_page)
_PAGE_USER: ContextVar[list | None] = ContextVar('page_user', default=None)
# the request's scope key under which the middleware leaves its session check for the page guard of the same request
_REQUEST_CHECK = 'backoffice.session_check'
_ONCE_CONNECTED: WeakKeyDictionary[Client, list[Callable[[User], None]]] = WeakKeyDictionary()
ACTIVITY_RESOLUTION = timedelta(seconds=10)  # input events closer together than this write the storage once
# the sign-ins asked for by the live refreshes of one change, checked together (see `checked_together`): the batch
# being gathered, per event loop; a batch leaves this map as soon as its check starts, or is cancelled
_TOGETHER: dict[asyncio.AbstractEventLoop, dict[tuple, asyncio.Future]] = {}
CHECK_TASK = 'sign-ins of a live change'


def current_user(
    storage: dict | None = None, *, page_load: bool = False, request: Request | None = None
) -> User | None:
    """The signed-in user, or None when nobody is, the session went idle, or it was ended elsewhere.

    UI code calls it without arguments; the HTTP middleware passes the request's storage. Only a page load
    (`page_load=True`) or the person's input (`wire_activity`) keeps the session from going idle: live updates and
    timers call this too, and must not. With `request`, the answer is kept on that request: the middleware checks a
    page's request, and the page guard, a few milliseconds later in the same request, reads that check instead of
    making it again (one check of the database per request, not two)."""
    storage = client_storage() if storage is None else storage
    user_id = storage.get('user_id')
    if not user_id:
        return None
    checked = _checked_in(request, storage)
    if checked is None:
        last_seen = _parse(storage.get('last_seen'))
        if auth.is_idle(last_seen, get_settings().session_idle_minutes):
            forget(storage)
            return None
        with read_session() as session:  # a read: never wait behind a writer (session_scope takes SQLite's write lock)
            # one query: the user (active, epoch), this browser's staff session (not ended), the custom roles' stamp
            found = staff_sessions.signed_in(
                session, user_id=user_id, epoch=storage.get('epoch'), key=storage.get('sid')
            )
        if found is None:
            forget(storage)
            return None
        user, live = found
        checked = (user, live.id or 0)
        _keep_in(request, storage, checked)
    user, live_id = checked
    if page_load:
        if last_seen_before(storage, ACTIVITY_RESOLUTION):  # a storage write (a file save) per page load is too many
            storage['last_seen'] = utcnow().isoformat()
        _touch(storage, live_id)
    return user


def last_seen_before(storage: dict, resolution: timedelta, key: str = 'last_seen') -> bool:
    """Whether the browser was last seen at least `resolution` ago (or never): idle time is kept to that precision
    (`key`: the staff session's stamp, or the portal's)."""
    last_seen = _parse(storage.get(key))
    return last_seen is None or utcnow() - last_seen >= resolution


def _session_mark(storage: dict) -> tuple:
    """What a check was made for: the same browser's same sign-in (a sign-out or a new sign-in changes it)."""
    return tuple(storage.get(key) for key in ('user_id', 'epoch', 'sid'))


def _checked_in(request: Request | None, storage: dict) -> tuple[User, int] | None:
    if request is None:
        return None
    kept = request.scope.get(_REQUEST_CHECK)
    if kept is None or kept[0] != _session_mark(storage):
        return None
    return kept[1]


def _keep_in(request: Request | None, storage: dict, checked: tuple[User, int]) -> None:
    if request is not None:
        request.scope[_REQUEST_CHECK] = (_session_mark(storage), checked)


def current_session_id(storage: dict | None = None) -> int | None:
    """The id of this browser's staff session (the row "Security and sessions" lists), None when signed out."""
    storage = client_storage() if storage is None else storage
    return storage.get('session_id')


def _touch(storage: dict, session_id: int) -> None:
    """The session's "last seen" in the database, written at most once a minute."""
    touched = _parse(storage.get('touched'))
    if touched is not None and utcnow() - touched < staff_sessions.TOUCH_EVERY:
        return
    storage['touched'] = utcnow().isoformat()
    with session_scope() as session:
        staff_sessions.touch(session, session_id)


def checked_for_page(user: User) -> None:
    """The page guard has just checked this user (signed in, a live session, two-factor set up) for the page being
    built: the parts of that page that ask for the acting user while it is built (a list's filters, its saved views,
    its first rows) get this answer instead of asking the database again, each, within the same few milliseconds."""
    _PAGE_USER.set([ui.context.client, user])


def page_built() -> None:
    """The page is served: from now on (its handlers, its timers, which share this context) every call checks afresh."""
    checked = _PAGE_USER.get()
    if checked is not None:
        checked.clear()  # in place: the tasks the page started hold the same list


def acting_user() -> User | None:
    """For an event handler: the user, freshly checked; a signed-out browser is sent to the sign-in page, and a user
    whose role now requires two-factor sign-in, not set up yet, to its set-up (a page they had open acts no more)."""
    if _context_client() is None:  # the element whose handler runs is gone (its list rebuilt meanwhile): act on nothing
        return None
    checked = _PAGE_USER.get()
    if checked:
        client, user = checked
        if _context_client() is client and not client.has_socket_connection:  # that page, still being built
            return user
    user = current_user()
    if user is None:
        ui.navigate.to(login_url(_current_address()))
    elif _current_path() != ENROL_PATH and two_factor.must_enrol(user):
        ui.navigate.to(ENROL_PATH)
        return None
    return user


async def checked_together() -> User | None:
    """`acting_user()` for a live refresh: the same rules and the same outcome (a signed-out, deactivated or ended
    session gets nothing and is sent to the sign-in page), but the database is asked once for every open page that
    refreshes for the same change, in a worker thread, not once per page on the event loop (20 agents' lists: one
    query off the loop instead of 20 on it). Nothing is remembered between changes: each change checks afresh."""
    if _context_client() is None:
        return None
    storage = client_storage()
    if not storage.get('user_id') or auth.is_idle(
        _parse(storage.get('last_seen')), get_settings().session_idle_minutes
    ):
        return acting_user()  # signed out or gone idle: no database involved, the usual way
    mark = _session_mark(storage)
    loop = asyncio.get_running_loop()
    batch = _batch(loop)
    answer = batch.get(mark)
    if answer is None:
        answer = batch[mark] = loop.create_future()
    found = await asyncio.shield(answer)
    if _context_client() is None or _session_mark(storage) != mark:  # gone, or signed in afresh meanwhile
        return None
    if found is None:
        forget(storage)
        ui.navigate.to(login_url(_current_address()))
        return None
    user = found[0]
    if _current_path() != ENROL_PATH and two_factor.must_enrol(user):
        ui.navigate.to(ENROL_PATH)
        return None
    return user


def _batch(loop: asyncio.AbstractEventLoop) -> dict[tuple, asyncio.Future]:
    """The batch of sign-ins being gathered on this loop; the first to ask starts the check of everyone asking in the
    same turn of the loop."""
    batch = _TOGETHER.get(loop)
    if batch is None:
        batch = _TOGETHER[loop] = {}
        task = background_tasks.create(_check_together(loop, batch), name=CHECK_TASK)
        task.add_done_callback(functools.partial(_finished, loop, batch))
    return batch


def _finished(loop: asyncio.AbstractEventLoop, asked: dict[tuple, asyncio.Future], _task: asyncio.Task) -> None:
    """However the check ended — even cancelled before it ran a line, when its `finally` never runs — the batch
    leaves the map (the next change starts its own) and no list is left waiting."""
    if _TOGETHER.get(loop) is asked:
        del _TOGETHER[loop]
    for answer in asked.values():
        if not answer.done():
            answer.cancel()


async def _check_together(loop: asyncio.AbstractEventLoop, asked: dict[tuple, asyncio.Future]) -> None:
    try:
        try:
            await asyncio.sleep(0)  # every list hearing the same change asks in this turn of the loop
        finally:  # later asks start a batch of their own, even if this one is cancelled before its check
            if _TOGETHER.get(loop) is asked:
                del _TOGETHER[loop]
        found = await run.io_bound(_check_marks, list(asked))
        if found is None:  # NiceGUI answers None instead of running it while the app stops
            raise asyncio.CancelledError
    except Exception as error:  # each list waiting says so, as a check of its own would have
        for answer in asked.values():
            if not answer.done():
                answer.set_exception(error)
        return
    except BaseException:
        for answer in asked.values():
            answer.cancel()
        raise
    for mark, answer in asked.items():
        if not answer.done():
            answer.set_result(found.get(mark))


def _check_marks(marks: list[tuple]) -> dict[tuple, tuple[User, object] | None]:
    with read_session() as session:
        return staff_sessions.signed_in_many(session, marks)


def once_connected(work: Callable[[User], None]) -> None:
    """Run `work` with the user once the page being built is served and its browser connected (and again after a
    reconnection): what a page shows but its first paint need not wait for (the bell's count, a list's saved views).
    The user is checked afresh once for all of a page's work, not once each. Outside a page being built (a handler),
    at once."""
    client = ui.context.client
    if client.has_socket_connection:
        user = acting_user()
        if user is not None:
            work(user)
        return
    waiting = _ONCE_CONNECTED.get(client)
    if waiting is None:
        waiting = _ONCE_CONNECTED[client] = []
        client.on_connect(lambda: _connected(client))
    waiting.append(work)


def _connected(client: Client) -> None:
    user = acting_user()
    if user is None:
        return
    for work in list(_ONCE_CONNECTED.get(client, ())):
        work(user)


def _context_client() -> Client | None:
    try:
        return ui.context.client
    except RuntimeError:
        return None


def client_storage() -> dict:
    """This browser's session storage, derived from the page request of the client the code runs for.

    Timers and event subscribers run without a request, or with the request of the client whose action emitted the
    event; reading `app.storage.user` there would get no storage, or another person's."""
    request = ui.context.client.request
    if request is not None and request_contextvar.get() is not request:
        request_contextvar.set(request)
    return app.storage.user


def wire_activity() -> None:
    """Count what the person does in an open page (a click, a key, a change: every event the browser sends) as
    activity. main.py calls it on every start; wrapping once is enough."""
    if getattr(Client.handle_event, 'counts_activity', False):
        return
    handle_event = Client.handle_event

    def handle_event_as_activity(client: Client, msg: dict) -> None:
        with client:
            _note_activity()
        handle_event(client, msg)

    handle_event_as_activity.counts_activity = True  # type: ignore[attr-defined]
    Client.handle_event = handle_event_as_activity  # type: ignore[method-assign]


def _note_activity() -> None:
    try:
        storage = client_storage()
    except RuntimeError:  # a client without a page request (none in this app): nothing to keep alive
        return
    for signed_in, seen in (('user_id', 'last_seen'), ('portal_customer_id', 'portal_last_seen')):
        if not storage.get(signed_in):
            continue
        if auth.is_idle(_parse(storage.get(seen)), get_settings().session_idle_minutes):
            continue  # an idle session is over: the handler's own check signs it out, input does not revive it
        if last_seen_before(storage, ACTIVITY_RESOLUTION, seen):
            storage[seen] = utcnow().isoformat()


def keep_epoch(user: User) -> None:
    """After this browser's own password change, stay signed in here while every other session ends."""
    client_storage()['epoch'] = user.session_epoch


def forget(storage: dict | None = None, keys: tuple[str, ...] = STAFF_KEYS) -> None:
    storage = client_storage() if storage is None else storage
    for key in keys:
        storage.pop(key, None)


def login_url(redirect_to: str | None = None) -> str:
    target = safe_redirect(redirect_to)
    return '/login' if target == '/' else f'/login?redirect_to={quote(target, safe="/")}'


def safe_redirect(target: str | None) -> str:
    """Only a local path: '/x' yes; '//evil.example', 'https://…', '/\\evil' or anything else becomes '/'."""
    if not target or not target.startswith('/') or target.startswith('//') or '\\' in target:
        return '/'
    if any(ord(c) < 32 for c in target) or target.startswith('/login'):
        return '/'
    return target


def _current_path() -> str:
    """The address path of the page the code runs for: '/finance/bills/42', not its route ('/finance/bills/{bill_id}',
    which, as the sign-in page's way back, led to "This bill no longer exists")."""
    try:
        return ui.context.client.request.url.path
    except Exception:  # no page, or one without a request
        return '/'


def _current_address() -> str:
    """The page's path with its query ('/orders?status=paid'): where signing in again brings the person back to."""
    try:
        url = ui.context.client.request.url
    except Exception:
        return '/'
    return url.path + (f'?{url.query}' if url.query else '')


def parse_instant(value: str | None) -> datetime | None:
    return _parse(value)


def _parse(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None
