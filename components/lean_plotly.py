"""A Plotly chart on a lighter bundle: plotly.js's "basic" build (scatter, bar, pie; 1.1 MB, vendored under lib/ with
its licence and served by NiceGUI with a year's immutable cache) instead of the full 4.5 MB one NiceGUI ships, so a
phone parses a quarter of the script before the dashboard's charts appear. The same element as ui.plotly otherwise
(lean_plotly.js is NiceGUI's plotly.js importing this bundle), except that a page's charts are first drawn together,
in one animation frame after the bundle is evaluated. Every chart of the app uses scatter and bar traces only:
the dashboard's funnel is drawn with bars (components/kpi_widgets.py); a chart needing another trace type must say so
here first. `bundle_url()` is the address a page preloads it from (a <link rel="modulepreload"> in its head).

In the reader's language: the bundle knows English only, so the chart brings its own Plotly locale (config.locales)
made from Babel's CLDR data: month and day names on date axes (« 5 nov. »), the decimal and thousands separators of
numbers (1 234,5), and where a money axis's currency stands (kpi_widgets.money_config: 1 000 €). A third language needs
no code here. English charts stay as Plotly draws them, but for a money axis's currency (€1,000)."""

from __future__ import annotations

import html
import re
from functools import cache
from typing import Any
from urllib.parse import quote

from babel import Locale
from nicegui import __version__, dependencies, ui

from backoffice import i18n

DAY_MS = 86_400_000  # Plotly's dtick of one day on a date axis
BUNDLE = 'backoffice-plotly'  # the bundle's name in the page's import map


class LeanPlotly(ui.plotly, component='lean_plotly.js', esm={BUNDLE: 'lib/plotly-basic'}):
    def __init__(self, figure: dict) -> None:
        self.language = i18n.current()  # the page's reader: a later update (a timer, a live refresh) keeps it
        super().__init__(figure)

    def _get_figure_json(self) -> dict:
        return localized(super()._get_figure_json(), self.language)


def preload_bundle() -> None:
    """The bundle fetched and compiled with the page's head, while the page's own scripts load, instead of once the
    first chart is mounted (a cold visit: the bundle's download no longer follows the page's; a cached one changes
    nothing). For a page that draws charts as it opens."""
    request = ui.context.client.request
    prefix = quote(request.headers.get('X-Forwarded-Prefix', ''), safe="/:@!$&'()*+,;=%") + request.scope.get(
        'root_path', ''
    )  # as NiceGUI writes its import map
    ui.add_head_html(f'<link rel="modulepreload" href="{html.escape(bundle_url(prefix))}">')


def bundle_url(prefix: str = '') -> str:
    """Where the page's import map sends `import('backoffice-plotly')`."""
    key = next(key for key, module in dependencies.esm_modules.items() if module.name == BUNDLE)
    return f'{prefix}/_nicegui/{__version__}/esm/{key}/index.js'


def localized(figure: dict[str, Any], language: str) -> dict[str, Any]:
    """The figure with the language's Plotly locale in its config and its date axes' formats (day then month in
    French); the figure itself is left as it was (a copy, one level deep, where it changes)."""
    if language == i18n.SOURCE_LOCALE:
        return figure
    locale = plotly_locale(language)
    layout = dict(figure.get('layout') or {})
    for key, axis in layout.items():
        if key.startswith('xaxis') and isinstance(axis, dict) and axis.get('type') == 'date':
            layout[key] = {**date_axis(language), **axis}  # a format the figure sets itself wins
    config = dict(figure.get('config') or {})
    own = ((config.get('locales') or {}).get(language) or {}).get('format') or {}  # a money axis's currency
    locale = {**locale, 'format': {**locale['format'], **own}} if own else locale
    config.update(locale=language, locales={language: locale})
    # the numbers Plotly writes itself (a count's hover, an axis's ticks) with the language's separators, said in the
    # layout too: a chart whose locale the browser did not take still writes 1 234,5, not 1,234.5
    layout.setdefault('separators', locale['format']['decimal'] + locale['format']['thousands'])
    return {**figure, 'layout': layout, 'config': config}


@cache
def plotly_locale(language: str) -> dict[str, Any]:
    """A Plotly locale (what `Plotly.register({moduleType: 'locale', …})` takes, without registering it globally)
    from CLDR: French gives days 'dimanche'…, short months 'janv.'…'déc.', date '%d/%m/%Y', decimal ',' and a
    narrow no-break space between thousands."""
    locale = Locale.parse(language)
    symbols = locale.number_symbols.get('latn', {})
    sunday_first = [6, 0, 1, 2, 3, 4, 5]  # Babel counts from Monday, d3 from Sunday
    return {
        'dictionary': {},  # Plotly's own texts (mode bar, edit hints): the dashboard shows none of them
        'format': {
            'days': [locale.days['format']['wide'][day] for day in sunday_first],
            'shortDays': [locale.days['format']['abbreviated'][day] for day in sunday_first],
            'months': [locale.months['format']['wide'][month] for month in range(1, 13)],
            'shortMonths': [locale.months['format']['abbreviated'][month] for month in range(1, 13)],
            'date': d3_format(locale.date_formats['short'].pattern) or '%Y-%m-%d',
            'decimal': symbols.get('decimal', '.'),
            'thousands': symbols.get('group', ','),
        },
    }


@cache
def date_axis(language: str) -> dict[str, Any]:
    """Tick and hover formats of a date axis in the language's order: '5 nov.' for days, 'nov. 2026' for months,
    '5 nov. 2026' on hover (English Plotly would say 'Nov 5', 'Nov 2026', 'Nov 5, 2026')."""
    locale = Locale.parse(language)

    def skeleton(name: str, fallback: str) -> str:
        pattern = locale.datetime_skeletons.get(name)
        return d3_format(pattern.pattern if pattern is not None else '') or fallback

    return {
        'tickformatstops': [
            {'dtickrange': [None, DAY_MS], 'value': '%H:%M'},
            {'dtickrange': [DAY_MS, 'M1'], 'value': skeleton('MMMd', '%-d %b')},
            {'dtickrange': ['M1', 'M12'], 'value': skeleton('yMMM', '%b %Y')},
            {'dtickrange': ['M12', None], 'value': '%Y'},
        ],
        'hoverformat': skeleton('yMMMd', '%-d %b %Y'),
    }


D3 = {
    'd': '%-d',
    'dd': '%d',
    'M': '%-m',
    'MM': '%m',
    'MMM': '%b',
    'MMMM': '%B',
    'L': '%-m',
    'LL': '%m',
    'LLL': '%b',
    'LLLL': '%B',
    'y': '%Y',
    'yy': '%y',
    'yyyy': '%Y',
    'E': '%a',
    'EEE': '%a',
    'EEEE': '%A',
}


def d3_format(pattern: str) -> str:
    """A CLDR date pattern as a d3 time format: 'dd/MM/y' → '%d/%m/%Y', "d MMM" → '%-d %b'; '' when it holds a
    field d3 cannot say (the caller falls back)."""
    out = []
    for token in re.finditer(r"'(?P<quoted>[^']*)'|(?P<field>([a-zA-Z])\3*)|(?P<text>[^a-zA-Z']+)", pattern):
        if token['field']:
            if token['field'] not in D3:
                return ''
            out.append(D3[token['field']])
        else:
            text = token['quoted'] if token['quoted'] is not None else token['text']
            out.append((text or "'").replace('%', '%%'))
    return ''.join(out)
