"""Guard: no data is ever formatted into markup — props/classes/style strings, slot templates, HTML or JavaScript.

NiceGUI parses a `.props('…')` string: a `"` in a formatted value ends the attribute and what follows becomes a new
prop, and a prop whose name starts with `:` is evaluated as JavaScript in the browser. A saved segment named
`Loyal" :title="(…)"` ran a script in an admin's browser that way. Data goes into `element.props['name'] = value`
(a value, never parsed), into a label's text, or into a table row; markup arguments are constants."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted([*ROOT.glob('pages/**/*.py'), *ROOT.glob('components/**/*.py'), ROOT / 'main.py'])

# methods whose string argument NiceGUI parses as markup (props, classes, style), shows as a tooltip, or runs
MARKUP_METHODS = {
    'props',
    'classes',
    'style',
    'tooltip',
    'add_slot',
    'add_css',
    'add_head_html',
    'add_body_html',
    'run_javascript',
    'run_method',
    'add_scss',
    'add_sass',
}
# ui.html(...) & co: their content is markup; data may go in only while `sanitize` is left on
HTML_CALLS = {'html', 'markdown', 'interactive_image'}
# a slot's name may vary (it is a column name from a declaration); its template must not
TEMPLATE_ARGUMENT = {'add_slot': 1}

# Deliberate exceptions, each with why it is safe. Key: (file relative to the root, function or method, line text).
ALLOWED = {
    # an SVG built from floats and ints only (sparkline() converts every value with float()/int())
    ('components/kpi_widgets.py', 'html', 'ui.html(sparkline(card.spark, running=running), sanitize=False)'),
    # shown only when is_web_address(shipment.tracking_url): http(s), never javascript:
    ('pages/order.py', 'link', 'ui.link(shipment.tracking_number, shipment.tracking_url'),
    # the portal's tracking link: services/portal.order_view keeps it only when is_web_address() (http(s))
    ('pages/portal_orders.py', 'link', 'ui.link(parcel.number, parcel.url'),
    # the portal's four places: constant paths from NAVIGATION (components/portal_pages.py)
    ('components/portal_pages.py', 'link', 'ui.link(target=path)'),
    # a path the core builds from a resource's declared link, which registration checks starts with one '/', each
    # value URL-quoted (backoffice/services/audit_story._link)
    ('components/audit_entry.py', 'link', 'ui.link(story.link_label, story.link)'),
    # a constant path and a token the server made (HMAC, url-safe), JSON-encoded twice: a JavaScript string literal
    ('pages/login.py', 'run_javascript', "f\"fetch('{REMEMBER_BROWSER}'"),
    # the id NiceGUI gave an element (a field in error, a section's heading), an int (int()), and constant code: no data
    ('components/forms.py', 'run_javascript', "element.client.run_javascript(f'getHtmlElement({int(element.id)})"),
    # NiceGUI's own path of the chart bundle, after the same URL-quoted prefix NiceGUI writes into its import map,
    # HTML-escaped (components/lean_plotly.preload_bundle)
    ('components/lean_plotly.py', 'add_head_html', 'ui.add_head_html(f\'<link rel="modulepreload"'),
    # the prebuilt Tailwind stylesheet: a file of the repository, written by Tailwind from the sources' class names
    # (components/prebuilt_tailwind.py), no data
    ('components/prebuilt_tailwind.py', 'add_head_html', "ui.add_head_html(f'<style>{STYLESHEET.read_text("),
    # a live list's patch: NiceGUI JSON-encodes the arguments (values, never code), and list_table.js only stores them
    # as the q-table's rows, which the cell and card templates show through {{ }} as text (tests/test_live_patch.py,
    # tests/browser/test_live_patch_in_chromium.py post markup and check it stays text)
    ('components/resource_table.py', 'run_method', "self.run_method('patchRows'"),
    # a queue's count (a number NiceGUI JSON-encodes), which queue_count.js only shows through {{ }} as text
    ('components/queue_count.py', 'run_method', "self.run_method('showText', text)"),
    # the label of the suggestion Enter took, a value NiceGUI JSON-encodes, which Quasar's QSelect.updateInputValue
    # only puts into its input's value (text: tests/browser/test_request_page_desk_in_chromium.py types markup)
    ('components/first_suggestion.py', 'run_method', "select.run_method('updateInputValue'"),
}


def test_every_markup_argument_is_a_constant() -> None:
    found = []
    for path in SOURCES:
        tree = ast.parse(path.read_text(), filename=str(path))
        constants = _module_string_constants(tree) | _imported_constants(tree, path)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            method = node.func.attr
            if method in MARKUP_METHODS:
                arguments = list(node.args) + [k.value for k in node.keywords]
                if method in TEMPLATE_ARGUMENT:
                    arguments = node.args[TEMPLATE_ARGUMENT[method] : TEMPLATE_ARGUMENT[method] + 1]
            elif method in HTML_CALLS and _is_ui(node.func.value):
                if not _unsanitized(node):
                    continue  # sanitized in the browser (DOMPurify; NiceGUI 3's default for ui.html and ui.markdown)
                arguments = node.args[:1] + [k.value for k in node.keywords if k.arg == 'content']
            elif method == 'link' and _is_ui(node.func.value):
                target = node.args[1:2] + [k.value for k in node.keywords if k.arg == 'target']
                if all(_constant(t, constants) or _internal_path(t) for t in target):
                    continue
                arguments = target
            else:
                continue
            if all(_constant(argument, constants) for argument in arguments):
                continue
            if method == 'tooltip' and all(_translated_constant(argument) for argument in arguments):
                continue  # a tooltip's text is shown as text (a child element), never parsed: our catalog's text
            where = (path.relative_to(ROOT).as_posix(), method, ast.get_source_segment(path.read_text(), node) or '')
            if any(where[0] == a[0] and where[1] == a[1] and a[2] in where[2] for a in ALLOWED):
                continue
            found.append(f'{where[0]}:{node.lineno}: .{method}(…) with data: {where[2][:100]}')
    assert not found, (
        'Data formatted into markup; set element.props[name] = value (or show it as text) instead:\n' + '\n'.join(found)
    )


def test_no_template_renders_data_as_html() -> None:
    """Quasar and Vue render text as text unless told otherwise: `v-html`, `options-html` or `html=True` (ui.notify,
    ui.table columns) would turn a customer's name into markup."""
    found = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and any(word in node.value for word in ('v-html', 'options-html', 'innerHTML'))
            ):
                found.append(f'{path.relative_to(ROOT)}:{node.lineno}: {node.value[:80]!r}')
            if (
                isinstance(node, ast.keyword)
                and node.arg == 'html'
                and not (isinstance(node.value, ast.Constant) and node.value.value is False)
            ):
                found.append(f'{path.relative_to(ROOT)}:{node.value.lineno}: html=…')
    assert not found, 'HTML rendering of data:\n' + '\n'.join(found)


def test_the_guard_catches_the_segment_name_injection() -> None:
    """The guard itself: the line that let a segment name become JavaScript is caught, its fix is not."""
    bad = ast.parse('button.props(f\'flat aria-label="Delete segment {name}"\')')
    good = ast.parse("button.props('flat')\nbutton.props['aria-label'] = f'Delete segment {name}'")
    assert not _constant(_first_call(bad).args[0], set())
    assert _constant(_first_call(good).args[0], set())


def _first_call(tree: ast.AST) -> ast.Call:
    return next(node for node in ast.walk(tree) if isinstance(node, ast.Call))


def _constant(node: ast.AST, constants: set[str]) -> bool:
    """A string (or number, bool, None) the code spells out, a module constant, or a choice between such values."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):  # a negative number: -1
        return isinstance(node.operand, ast.Constant) and isinstance(node.operand.value, int | float)
    if isinstance(node, ast.JoinedStr):  # an f-string is constant only without placeholders
        return all(isinstance(part, ast.Constant) for part in node.values)
    if isinstance(node, ast.Name):
        return node.id in constants
    if isinstance(node, ast.IfExp):  # the condition only chooses; both choices must be constants
        return _constant(node.body, constants) and _constant(node.orelse, constants)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _constant(node.left, constants) and _constant(node.right, constants)
    return False


def _translated_constant(node: ast.AST) -> bool:
    """_('Export') or pgettext('context', 'View'): a text the code spells out, in the reader's language."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in {'_', 'pgettext'}
        and all(isinstance(argument, ast.Constant) and isinstance(argument.value, str) for argument in node.args)
    )


def _internal_path(node: ast.AST) -> bool:
    """f'/orders/{number}': a path on this site whatever the number (javascript: or //host cannot start so)."""
    return (
        isinstance(node, ast.JoinedStr)
        and bool(node.values)
        and isinstance(node.values[0], ast.Constant)
        and node.values[0].value.startswith('/')
        and not node.values[0].value.startswith('//')
    )


def _module_string_constants(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for statement in tree.body:
        if (
            isinstance(statement, ast.Assign)
            and len(statement.targets) == 1
            and isinstance(statement.targets[0], ast.Name)
            and statement.targets[0].id.isupper()
            and _constant(statement.value, names)
        ):
            names.add(statement.targets[0].id)
    return names


def _imported_constants(tree: ast.Module, path: Path) -> set[str]:
    """The names imported from a sibling module (`from .forms import BOUNDED_CARD`) or from the app's components
    (`from components.forms import BOUNDED_CARD`, in a page) that are constants there."""
    names: set[str] = set()
    for statement in tree.body:
        if isinstance(statement, ast.ImportFrom) and statement.module and statement.level in (0, 1):
            folder = path.parent if statement.level == 1 else ROOT
            if statement.level == 0 and not statement.module.startswith('components.'):
                continue
            source = folder / f'{statement.module.replace(".", "/")}.py'
            if source.exists():
                there = _module_string_constants(ast.parse(source.read_text(), filename=str(source)))
                names |= {alias.asname or alias.name for alias in statement.names if alias.name in there}
    return names


def _is_ui(node: ast.AST) -> bool:
    return isinstance(node, ast.Name) and node.id == 'ui'


def _unsanitized(node: ast.Call) -> bool:
    """`sanitize=False` (or anything but the default True: a home-made sanitizer is not trusted either)."""
    return any(
        k.arg == 'sanitize' and not (isinstance(k.value, ast.Constant) and k.value.value is True) for k in node.keywords
    )
