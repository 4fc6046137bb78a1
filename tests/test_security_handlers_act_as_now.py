"""Guard: an event handler acts with the rights of the user signed in now, never with the user its page was built for.

A page's builder receives `user` once, at the page load. A handler defined inside it runs later, maybe after the user
lost a right, was made another role, deactivated or signed out elsewhere; a browser that ignores being sent to the
sign-in page keeps its socket and its clicks still arrive. So a handler asks `acting_user()` (the portal:
`acting_actor()`) and passes that to the service; it never hands the builder's `user` (or a `self.user` kept by a
component) to a service call. /alerts, /automations (whose rules act with a manager's rights), /goals, the bank
rules and the attachments' downloads did (tests/test_security_stale_actor.py shows the damage).

What is checked: inside a function nested in another (a handler, a lambda, a worker `go()`), a name `user` or `actor`
that is a parameter of an enclosing function, or `self.user` / `self.actor`, is not an argument of `call`, `call_now`,
`run.io_bound` nor the `actor=` of any call."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted([*ROOT.glob('pages/**/*.py'), *ROOT.glob('components/**/*.py'), *ROOT.glob('extensions/**/*.py')])
NAMES = {'user', 'actor'}
RUNNERS = {'call', 'call_now', 'io_bound'}  # components.forms.call / call_now, nicegui.run.io_bound
# Where the enclosing function's `user` is itself the acting user of now, each with why. Key: (file, line text start).
ALLOWED = {
    # _heeded(action, user, …) is awaited by the action's handler with the user it has just asked acting_user() for
    ('components/resource_form.py', 'action.warn(session=s, actor=user'),
    # _members(user, …) is called by the live check with the user checked_together() has just checked
    ('components/resource_table.py', 'query.matching_among(session=session, actor=user'),
    # counted right after the page is served, for the user the page guard has just checked (no click involved)
    ('pages/segments.py', 'call(_count_all, user,'),
}


def test_no_handler_acts_as_the_user_its_page_was_built_for() -> None:
    found = [
        f'{path.relative_to(ROOT)}:{line}: {text}'
        for path in SOURCES
        for line, text in stale_uses(path.read_text())
        if not any(str(path.relative_to(ROOT)) == file and text.startswith(start) for file, start in ALLOWED)
    ]
    assert not found, "a handler acts with the page's user, not acting_user():\n" + '\n'.join(found)


def test_the_guard_catches_a_handler_with_the_builders_user() -> None:
    source = """
def page(user):
    async def save():
        await call(_save, user, 1)
    def remove():
        with session_scope() as session:
            things.remove(session=session, actor=user)
    ui.button(on_click=lambda: call(_go, user))

class Panel:
    def __init__(self, user):
        self.user = user
    async def delete(self):
        def go():
            return rules.delete(actor=self.user)
        await call(go)
"""
    assert len(stale_uses(source)) == 4
    fresh = """
def page(user):
    async def save():
        actor = acting_user()
        await call(_save, actor, 1)
    with read_session() as session:
        shown = things.read(session=session, actor=user)  # the build itself: the user was just checked
"""
    assert stale_uses(fresh) == []


def stale_uses(source: str) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []

    def visit(node: ast.AST, chain: list[ast.AST]) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                visit(child, [*chain, child])
                continue
            if isinstance(child, ast.Call) and len(chain) >= 2:
                for argument in _acting_arguments(child):
                    if _stale(argument, chain):
                        found.append((child.lineno, ast.unparse(child)[:100]))
                        break
            visit(child, chain)

    visit(ast.parse(source), [])
    return found


def _acting_arguments(call: ast.Call) -> list[ast.expr]:
    """The arguments of `call` that say who acts: all of them for the runners, else the `actor=` keyword."""
    name = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, 'id', '')
    if name in RUNNERS:
        return [*call.args, *(keyword.value for keyword in call.keywords)]
    return [keyword.value for keyword in call.keywords if keyword.arg == 'actor']


def _stale(argument: ast.expr, chain: list[ast.AST]) -> bool:
    if isinstance(argument, ast.Attribute) and isinstance(argument.value, ast.Name):
        # self.user inside a function nested in a method (a worker, a lambda), or in a method other than __init__
        return argument.value.id == 'self' and argument.attr in NAMES and not _in_init(chain)
    if not isinstance(argument, ast.Name) or argument.id not in NAMES:
        return False
    innermost = chain[-1]
    if argument.id in _parameters(innermost) or argument.id in _assigned(innermost):
        return False
    for outer in reversed(chain[:-1]):
        if argument.id in _assigned(outer):
            return False  # e.g. `actor = acting_user()` in the handler, used by its worker
        if argument.id in _parameters(outer):
            return True  # the builder's (or a dialog opener's) parameter, used later by a handler
    return False


def _in_init(chain: list[ast.AST]) -> bool:
    return len(chain) == 1 and getattr(chain[0], 'name', '') == '__init__'


def _parameters(function: ast.AST) -> set[str]:
    arguments = function.args  # type: ignore[attr-defined]
    return {a.arg for a in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]}


def _assigned(function: ast.AST) -> set[str]:
    if isinstance(function, ast.Lambda):
        return set()
    return {node.id for node in ast.walk(function) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)}
