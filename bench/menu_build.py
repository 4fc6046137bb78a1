"""Benchmark of the navigation drawer's menu, built as a page builds it: the admin's menu (every screen) in English
and French, as one element (components/navigation.py: its entries built once per menu and language, then shared)
and, for comparison, entry by entry as the shell built it before (173 NiceGUI elements), also with main.py's
remembered handler signatures (components/handler_signatures.py). Prints the median and p95 CPU time per build and the
elements made. No database and no server: the builds run in a bare NiceGUI client."""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nicegui import Client, ui  # noqa: E402

import pages  # noqa: E402, F401  (declares every screen)
from backoffice import i18n  # noqa: E402
from backoffice.i18n import _  # noqa: E402
from backoffice.models import User  # noqa: E402
from components.handler_signatures import remember_handler_signatures  # noqa: E402
from components.navigation import Navigation  # noqa: E402
from components.screens import Screen, menu_for  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--runs', type=int, default=300)
    args = parser.parse_args()
    menu = menu_for(User(email='bench@example.com', name='Bench', role='admin'))
    load = Path('/proc/loadavg')
    print(f'{len(menu)} entries (admin); load average {load.read_text().split()[0] if load.exists() else "?"}')
    for language in ('en', 'fr'):
        for name, build in (('entry by entry (before)', entry_by_entry), ('one element (now)', Navigation)):
            print(f'{language}  {name:36} {measure(build, menu, language, args.runs)}')
    remember_handler_signatures()  # as main.py does: what each of those elements costs otherwise
    for language in ('en', 'fr'):
        name = 'entry by entry, signatures remembered'
        print(f'{language}  {name:36} {measure(entry_by_entry, menu, language, args.runs)}')
    return 0


def measure(build: Callable[[Sequence[Screen], str], object], menu: Sequence[Screen], language: str, runs: int) -> str:
    times, made = [], 0
    with i18n.use(language):
        for _run in range(runs):
            client = Client(ui.page('/bench-menu'), request=None)
            with client:
                before = len(client.elements)
                started = time.process_time()  # CPU time: the figure a busy machine moves least
                build(menu, '/customers')
                times.append((time.process_time() - started) * 1000)
                made = len(client.elements) - before
            client.delete()
    times.sort()
    p95 = times[int(0.95 * (len(times) - 1))]
    return f'median {statistics.median(times):6.2f} ms  p95 {p95:6.2f} ms  {made:3} elements'


def entry_by_entry(menu: Sequence[Screen], current: str) -> None:
    """The menu as components/shell.py built it until the one-element menu (kept here as the reference)."""
    with ui.list().classes('w-full pt-4').props('dense padding'):
        section = None
        for item in menu:
            if item.section and item.section != section:
                section = item.section
                ui.item_label(_(section)).props('header').classes('text-xs uppercase tracking-wide pt-4')
            active = item.path == current
            entry = (
                ui.item().props('clickable tag=a active-class="text-primary bg-blue-50"').classes('rounded-r-full mr-2')
            )
            entry.props['href'] = item.path
            entry.props.set_bool('active', active)
            if active:
                entry.props['aria-current'] = 'page'
            with entry:
                with ui.item_section().props('avatar'):
                    ui.icon(item.icon)
                with ui.item_section():
                    ui.item_label(_(item.title))


if __name__ == '__main__':
    raise SystemExit(main())
