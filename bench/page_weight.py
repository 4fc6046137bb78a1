"""What a signed-in list page weighs in Chromium: the served HTML, the scripts and fonts it fetches, its elements and
components, and the navigation's phases (server, HTML, DOMContentLoaded). Not a test: prints figures.

    .venv/bin/python bench/page_weight.py --sqlite-file /tmp/orders.db --lists orders customers --widths 390 1440
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._harness import app_server, chromium, sign_in  # noqa: E402
from bench.list_browser import bare_server  # noqa: E402

PHASES_JS = """
const n = performance.getEntriesByType('navigation')[0];
const res = performance.getEntriesByType('resource').map(r => [r.name, r.initiatorType, r.transferSize,
  Math.round(r.responseEnd)]);
return {ttfb: n.responseStart - n.requestStart, html: n.responseEnd - n.responseStart,
  dcl: n.domContentLoadedEventEnd - n.responseEnd, load: n.loadEventEnd, size: n.encodedBodySize,
  decoded: n.decodedBodySize, resources: res, dom: document.getElementsByTagName('*').length};
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--sqlite-file', type=Path, required=True)
    parser.add_argument('--lists', nargs='+', default=['orders'])
    parser.add_argument('--widths', type=int, nargs='+', default=[1440])
    parser.add_argument('--html', type=Path, help='write the served HTML of the last page here')
    parser.add_argument('--bare', action='store_true', help='bench/bare_list.py instead (no sign-in)')
    parser.add_argument('--repeat', type=int, default=1, help='visits per page (the first cold, the rest warm)')
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix='bench-weight-'))
    with ExitStack() as running:
        if args.bare:
            base = running.enter_context(bare_server(args.sqlite_file))
        else:
            base, _server = running.enter_context(app_server(f'sqlite:///{args.sqlite_file}', work))
        driver = chromium(work / 'profile')
        try:
            if not args.bare:
                sign_in(driver, base)
            for width in args.widths:
                driver.set_window_size(width, 900)
                for name, visit in [(n, v) for n in args.lists for v in range(args.repeat)]:
                    if visit == 0:
                        driver.execute_cdp_cmd('Network.clearBrowserCache', {})
                    driver.get(f'{base}/{name}')
                    time.sleep(1.5)
                    phases = driver.execute_script(PHASES_JS)
                    html = driver.execute_script(
                        "return fetch(location.href, {credentials: 'same-origin'}).then(r => r.text())"
                    )
                    components = sorted(set(re.findall(r'/_nicegui/[^"\']+/components/([^"\']+)', html)))
                    visited = 'cold' if visit == 0 else 'warm'
                    print(
                        f'/{name} at {width} px, {visited}: HTML {len(html):,} chars, ttfb {phases["ttfb"]:.0f} ms, '
                        f'DOMContentLoaded−responseEnd {phases["dcl"]:.0f} ms, load {phases["load"]:.0f} ms, '
                        f'{phases["dom"]} DOM nodes, elements {html.count(chr(34) + "tag" + chr(34))}'
                    )
                    print(f'  components ({len(components)}): {", ".join(components)}')
                    for url, kind, size, end in phases['resources'] if visit == 0 else []:
                        print(f'  {kind:10} {size:>8,} B  done at {end:>5} ms  {url.split("/_nicegui/")[-1][:90]}')
                    if args.html:
                        args.html.write_text(html)
        finally:
            driver.quit()
    return 0


if __name__ == '__main__':
    sys.exit(main())
