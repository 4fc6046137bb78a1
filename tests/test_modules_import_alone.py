"""Every core module imports on its own, first thing in a fresh interpreter (no import cycle hidden by the order in
which the app happens to load them)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# The cyclic garbage collector is off in that interpreter: each module's fresh import leaves the earlier copies of the
# app's classes behind (kept until the process ends), and with the collector on every import re-scanned them all: 20 %
# of the test's CPU (11.9 -> 9.3 s). What is imported, and in which order, is unchanged.
# Each module's code object is compiled (or read from its .pyc) once and kept: the later fresh imports execute the same
# immutable code in a new module, as a new interpreter would, without reading and unmarshalling the file again (~10 %
# of the test's CPU). A fork server (a parent with the third-party libraries imported, a child per module) was
# measured and dropped: each child copying the parent's pages on write cost more than it saved (see tests/README.md).
SCRIPT = """
import gc, importlib, sys
from importlib.machinery import SourceFileLoader
gc.disable()
compiled = {}
read_code = SourceFileLoader.get_code
def get_code(loader, fullname):
    if loader.path not in compiled:
        compiled[loader.path] = read_code(loader, fullname)
    return compiled[loader.path]
SourceFileLoader.get_code = get_code
from importlib.metadata import entry_points
# an installed extension's package goes too: it holds the core's classes it was loaded with
ours = {'backoffice', 'components', 'pages'} | {
    point.value.split(':')[0].split('.')[0] for point in entry_points(group='backoffice.extensions')
}
failed = []
for name in sys.argv[1:]:
    # the tables stay (the core's, an extension's models): SQLModel's metadata is global
    for loaded in [m for m in sys.modules if m.split('.')[0] in ours and m.split('.')[1:2] != ['models']]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception as error:
        failed.append(f'{name}: {type(error).__name__}: {error}')
print('\\n'.join(failed))
"""


def test_each_core_module_imports_first() -> None:
    core = ROOT / 'backoffice'
    names = sorted(
        '.'.join(path.relative_to(ROOT).with_suffix('').parts)
        for path in core.rglob('*.py')
        if 'migrations' not in path.parts and path.name not in ('__init__.py', '__main__.py')
    )
    result = subprocess.run(
        [sys.executable, '-c', SCRIPT, *names], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == '', result.stdout
