"""Tailwind's classes as a stylesheet built once, instead of NiceGUI's Tailwind runtime compiling them in every page.

NiceGUI (`ui.run(tailwind=True)`, its default) sends Tailwind 4's browser build (260 KB of script) with every page: the
browser fetches and compiles it, it builds Tailwind's theme and base styles on each visit, then reads every class in
the DOM and writes the CSS for them (bench/README.md, "firstrows4": 35–80 ms of a page's main thread before its first
rows, and the script's download on a cold visit). Here the same runtime, run once in headless Chromium, writes the CSS
for every class-like word of the app's sources and of the Quasar and NiceGUI scripts that draw the pages (a superset
of what any page can hold, as Tailwind's own command-line build scans the sources); `tailwind.css` beside this file is
that CSS, sent inline with every page (`install()`; `ui.run(tailwind=False)` in main.py). The pages look the same
(same rules, same cascade layers: Tailwind's output declares `theme, base, components, utilities`, already ordered by
NiceGUI's page).

A class written in the code is in the stylesheet once it is rebuilt: `make tailwind-css` (tests/browser/
test_prebuilt_tailwind_in_chromium.py fails while the file is stale). A class put together at run time (an f-string)
is not seen: write each class whole in the source, as Tailwind's own documentation asks.
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

ROOT = Path(__file__).resolve().parents[1]
STYLESHEET = Path(__file__).with_name('tailwind.css')
SOURCES = ('backoffice', 'components', 'pages', 'extensions', 'main.py')
SUFFIXES = {'.py', '.js', '.vue', '.html'}
# NiceGUI's own page sets this variant (templates/index.html): `dark:` follows Quasar's dark mode
INPUT_CSS = '@custom-variant dark (&:where(body.body--dark, body.body--dark *));'
TOKEN = re.compile(r'[A-Za-z0-9_\-:/\[\]\.%#!@]+')


def install() -> None:
    """Every page gets the prebuilt stylesheet in its head (with `ui.run(tailwind=False)`)."""
    from nicegui import ui

    ui.add_head_html(f'<style>{STYLESHEET.read_text(encoding="utf-8")}</style>', shared=True)


def source_files() -> list[Path]:
    import nicegui

    files: list[Path] = []
    for name in SOURCES:
        path = ROOT / name
        candidates = [path] if path.is_file() else sorted(path.rglob('*'))
        files += [p for p in candidates if p.suffix in SUFFIXES and 'lib' not in p.relative_to(ROOT).parts]
    package = Path(nicegui.__file__).parent
    files += [package / 'static' / 'quasar.umd.prod.js', package / 'static' / 'nicegui.js']
    files += sorted(p for p in (package / 'elements').rglob('*') if p.suffix in {'.js', '.py', '.vue'})
    return files


def candidates(files: list[Path]) -> list[str]:
    """Every word that could be a class, as Tailwind's scanner would see it; Tailwind drops what is not one of its
    utilities. Words with unbalanced brackets are left out (Tailwind would make a broken arbitrary property of
    `[low[:3]` that swallows the rules after it)."""
    words: set[str] = set()
    for path in files:
        words.update(TOKEN.findall(path.read_text(encoding='utf-8', errors='ignore')))
    return sorted(
        word
        for word in words
        if 1 < len(word) < 80
        and re.search('[a-z]', word)
        and not word.startswith('[')
        and word.count('[') == word.count(']')
        and word.count('(') == word.count(')')
    )


def build(driver: WebDriver | None = None) -> str:
    """The CSS NiceGUI's Tailwind runtime writes for every candidate class, from headless Chromium: a browser of its
    own, or `driver`'s when one is given (the browser tests' own Chromium: no second one started for the check)."""
    import nicegui
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    runtime = Path(nicegui.__file__).parent / 'static' / 'tailwindcss.min.js'
    classes = ' '.join(candidates(source_files()))
    with tempfile.TemporaryDirectory(prefix='tailwind-css-') as work:
        page = Path(work) / 'build.html'
        page.write_text(
            f'<!doctype html><html><head><style type="text/tailwindcss">{INPUT_CSS}</style>'
            f'<script src="{runtime.as_uri()}"></script></head><body><div id="all"></div></body></html>'
        )
        own = driver is None
        if driver is None:
            options = webdriver.ChromeOptions()
            options.binary_location = '/usr/bin/chromium'
            for flag in ('--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'):
                options.add_argument(flag)
            options.add_argument(f'--user-data-dir={work}/profile')
            driver = webdriver.Chrome(options=options, service=Service('/usr/bin/chromedriver'))
        try:
            driver.get(page.as_uri())
            driver.execute_script('document.getElementById("all").className = arguments[0]', classes)
            read = (
                "return [...document.querySelectorAll('style')].filter((s) => s.type !== 'text/tailwindcss')"
                '.map((s) => s.textContent).join("\\n")'
            )
            css, deadline = '', time.monotonic() + 30
            while time.monotonic() < deadline:  # the runtime writes once the class list has been observed
                time.sleep(0.5)
                now = driver.execute_script(read)
                if now and now == css:
                    break
                css = now
        finally:
            if own:
                driver.quit()
            else:
                driver.get('about:blank')  # the page (and its runtime) gone before its folder is
    return css.strip() + '\n'


if __name__ == '__main__':
    STYLESHEET.write_text(build(), encoding='utf-8')
    print(f'{STYLESHEET.relative_to(ROOT)}: {STYLESHEET.stat().st_size:,} bytes', file=sys.stderr)
