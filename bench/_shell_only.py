"""main.py with one more signed-in screen, `/shell`, empty: the page guard and the shell alone (bench/page_render.py
serves it, and copies it into a --before checkout). `/shell?without=search,bell` leaves those parts of the shell out
(search, bell, account, navigation, tooltips, colors, scripts), to see what each costs the browser."""

import runpy
import sys
from contextlib import ExitStack, contextmanager
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nicegui import ui  # noqa: E402

import components.shell as shell  # noqa: E402
from components import registry  # noqa: E402
from components.screens import screen  # noqa: E402

PARTS = {
    'search': ('GlobalSearch', lambda user: None),
    'bell': ('NotificationBell', lambda user: None),
    'account': ('_user_menu', lambda user: None),
    'navigation': ('Navigation', lambda menu, current: None),
    'colors': ('theme', lambda: None),
}


@screen('/shell', 'Shell only', permission=None, in_menu=False)
def shell_only(user) -> None:
    del user


original_frame = registry.frame


@contextmanager
def frame_without(*args, **kwargs):
    request = ui.context.client.request
    left_out = set((request.query_params.get('without') or '').split(',')) if request is not None else set()
    with ExitStack() as stack:
        for part in left_out & set(PARTS):
            name, stand_in = PARTS[part]
            stack.enter_context(mock.patch.object(shell, name, stand_in))
        if 'tooltips' in left_out:
            stack.enter_context(mock.patch.object(ui.element, 'tooltip', lambda self, text: self, create=True))
        if 'scripts' in left_out:
            stack.enter_context(mock.patch.object(shell.ui, 'add_body_html', lambda html: None))
        with original_frame(*args, **kwargs):
            yield


registry.frame = frame_without
runpy.run_path(str(Path(__file__).resolve().parents[1] / 'main.py'), run_name='__main__')
