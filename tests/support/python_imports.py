"""Reading a module's import statements with `ast`: the module a `from … import` names, relative ones made absolute."""

from __future__ import annotations

import ast


def imported_from(node: ast.ImportFrom, package: str) -> str:
    """The absolute name of the module `from <module> import …` reads from, in a module of `package`."""
    base = node.module or ''
    if node.level:
        anchor = package.split('.')[: len(package.split('.')) - node.level + 1]
        base = '.'.join(anchor + ([base] if base else []))
    return base
