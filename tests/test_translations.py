"""The missing-translation guard (issue #14):

(a) no user-facing text literal in the screens, components, resource declarations, services, API, KPIs or formatting
    is left unmarked: the arguments of ui.label / ui.button / ui.notify / …, labels and help texts of declarations,
    ServiceError and ValidationFailed messages must pass through _() / ngettext / pgettext / N_;
(b) every marked text has a French translation (all the .po parts of fr together), no translation is fuzzy or empty,
    and each keeps the placeholders of its English text ({number} stays {number}).

Files not converted yet sit on ratchet lists below, as pyproject's mypy list: a list only shrinks. A file that passes
must leave its list (the test says so), and a file never enters one."""

from __future__ import annotations

import ast
import re
import string
from collections.abc import Iterator
from pathlib import Path

from babel.messages.pofile import read_po

from backoffice.i18n import _, use
from backoffice.resources.customers import STATUSES
from backoffice.services import app_settings

from .support.translations import LOCALE, NOT_YET_MARKED, NOT_YET_TRANSLATED, ROOT, french_catalog, marked_texts

SCOPE = sorted(
    path
    for pattern in (
        'pages/**/*.py',
        'components/**/*.py',
        'backoffice/resources/**/*.py',
        'backoffice/services/**/*.py',
        'backoffice/api/**/*.py',
        'backoffice/kpi/**/*.py',
        'backoffice/formatting.py',
    )
    for path in ROOT.glob(pattern)
)

# --- (a) what is a user-facing literal --------------------------------------------------------------------------------

MARKERS = {'_', 'gettext', 'ngettext', 'pgettext', 'npgettext', 'N_', 'NP_'}
# ui.<element>(text, …): the first positional argument is shown
UI_TEXT_FIRST = {
    'label',
    'button',
    'notify',
    'markdown',
    'tooltip',
    'tab',
    'input',
    'textarea',
    'number',
    'switch',
    'checkbox',
    'menu_item',
    'item_label',
    'link',
    'chip',
    'badge',
    'expansion',
    'radio_label',
    'page_title',
    'toggle_label',
}
METHOD_TEXT_FIRST = {'tooltip', 'notify'}  # element.tooltip('…'), ui.notify via an alias
SHOWN_KEYWORDS = {'label', 'title', 'placeholder', 'help', 'hint', 'text', 'description', 'message', 'caption'}
# declarations: Column('name', 'Label'), FormField('name', 'Label', help=…), Filter('name', 'Label', …), …
DECLARATIONS_SECOND = {'Column', 'FormField', 'Filter', 'Action', 'BulkAction', 'Section', 'Tab', 'RowAction'}
ERRORS_FIRST = {'ServiceError', 'NotFound', 'Forbidden', 'PermissionDenied', 'Conflict'}
# words that read the same in every language, or are no words: the product's name, symbols, units
NOT_WORDS = {'Backoffice', 'API', 'CSV', 'XLSX', 'SKU', 'URL', 'ID', 'OK', 'KPI', 'SLA', 'VAT', 'PDF', 'Webhook'}


def _is_marked(node: ast.AST) -> bool:
    """_('…'), N_('…'), ngettext(…), also followed by .format(…); a conditional of two marked texts."""
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name) and func.id in MARKERS:
            return True
        if isinstance(func, ast.Attribute) and func.attr in ('format', 'strip') and _is_marked(func.value):
            return True
        if isinstance(func, ast.Attribute) and func.attr in MARKERS:  # i18n._('…')
            return True
    if isinstance(node, ast.IfExp):
        return _is_marked(node.body) and _is_marked(node.orelse)
    return False


def _text_of(node: ast.AST) -> str | None:
    """The words of a literal (a string, an f-string's literal parts, a concatenation), or None when it is no
    literal."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return ''.join(
            part.value for part in node.values if isinstance(part, ast.Constant) and isinstance(part.value, str)
        )
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _text_of(node.left), _text_of(node.right)
        if left is not None or right is not None:
            return (left or '') + ' ' + (right or '')
    return None


def _is_words(text: str) -> bool:
    """Text a person reads: at least one word of two letters that is not a symbol, a unit or a proper name."""
    words = re.findall(r'[A-Za-z][a-z]+', text)
    return any(word not in NOT_WORDS for word in words) and not text.startswith(('/', 'http', '#', '.', 'mdi-'))


def _name(func: ast.AST) -> tuple[str | None, str | None]:
    """(object, attribute) of a call: ui.label → ('ui', 'label'); Column → (None, 'Column'); x.tooltip → (x, …)."""
    if isinstance(func, ast.Name):
        return None, func.id
    if isinstance(func, ast.Attribute):
        owner = func.value.id if isinstance(func.value, ast.Name) else '?'
        return owner, func.attr
    return None, None


def _shown_arguments(call: ast.Call) -> Iterator[ast.AST]:
    owner, name = _name(call.func)
    if name is None:
        return
    if owner == 'ui' and name in UI_TEXT_FIRST and call.args:
        yield call.args[0]
    elif owner not in (None, 'ui') and name in METHOD_TEXT_FIRST and call.args:
        yield call.args[0]
    if owner is None and name in DECLARATIONS_SECOND and len(call.args) > 1:
        yield call.args[1]
    if owner is None and name == 'screen' and len(call.args) > 1:
        yield call.args[1]
    if name in ERRORS_FIRST and call.args:
        yield call.args[0]
    if owner is None and name in ('confirm', 'show_secret_once'):  # components/forms.py: the question, the answer
        yield from call.args[: 2 if name == 'confirm' else 1]
    if name == 'ValidationFailed' and call.args and isinstance(call.args[0], ast.Dict):
        yield from (value for value in call.args[0].values if value is not None)
    if (
        owner == 'ui'
        or owner is None
        and (name in DECLARATIONS_SECOND or name in {'screen', 'Resource', 'SettingSpec'})
    ):
        for keyword in call.keywords:
            if name == 'Resource' and keyword.arg == 'title':
                continue  # the name of the field that titles a record, not a text
            if keyword.arg in SHOWN_KEYWORDS or keyword.arg in {'section', 'singular'}:
                yield keyword.value


def unmarked(path: Path) -> list[str]:
    """Each user-facing literal of a file that is not marked for translation: 'file:line: text'."""
    source = path.read_text()
    relative = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.name
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        for argument in _shown_arguments(node):
            if _is_marked(argument):
                continue
            candidates = [argument.body, argument.orelse] if isinstance(argument, ast.IfExp) else [argument]
            for candidate in candidates:
                text = _text_of(candidate)
                if text is not None and not _is_marked(candidate) and _is_words(text):
                    found.append(f'{relative}:{candidate.lineno}: {text[:70]!r}')
    return found


# Files not yet converted (a ratchet: it only shrinks; the helpers converting them remove their entries).


def test_every_text_shown_is_marked_for_translation() -> None:
    problems, converted = [], []
    for path in SCOPE:
        relative = path.relative_to(ROOT).as_posix()
        found = unmarked(path)
        if relative in NOT_YET_MARKED:
            if not found:
                converted.append(relative)
            continue
        problems.extend(found)
    assert not problems, 'Mark these texts with _() (or N_() where evaluated at import time):\n' + '\n'.join(problems)
    assert not converted, 'These files are converted now: remove them from NOT_YET_MARKED:\n' + '\n'.join(converted)


def test_the_guard_sees_what_it_should(tmp_path: Path) -> None:
    """The check itself: it flags plain texts where they are shown, and lets marked texts, symbols and machine values
    pass."""
    sample = tmp_path / 'sample.py'
    sample.write_text(
        'ui.label("Orders")\n'  # 1 flagged
        'ui.label(_("Orders"))\n'
        'ui.notify(f"Order {number} was paid")\n'  # 3 flagged
        'ui.notify(_("Order {number} was paid").format(number=n))\n'
        'ui.button("Save", on_click=save).tooltip("Save the order")\n'  # 5 flagged twice
        "ui.icon('delete')\n"
        "ui.label('—')\n"
        "Column('email', 'Email', kind='email')\n"  # 8 flagged
        "Column('email', N_('Email'), kind='email')\n"
        "raise ServiceError('This order is closed')\n"  # 10 flagged
        "raise ValidationFailed({'email': 'Enter a valid email address', 'x': _('Fine')})\n"  # 11 flagged once
        "ui.input(label='Search', placeholder=_('Name or email'))\n"  # 12 flagged
        "ui.label(_('Yes') if ok else _('No'))\n"
        "ui.label('Backoffice')\n"
        "audit.record(session, actor, 'order.paid', summary='Paid in full')\n"  # stored data: not shown
    )
    lines = [int(problem.split(':')[1]) for problem in unmarked(sample)]
    assert sorted(lines) == [1, 3, 5, 5, 8, 10, 11, 12]


# --- (b) the French catalog -------------------------------------------------------------------------------------------


def test_every_marked_text_has_a_french_translation() -> None:
    catalog = french_catalog()
    missing: dict[str, list[str]] = {}
    for relative, text, context in marked_texts():
        if (context, text) not in catalog:
            missing.setdefault(relative, []).append(text)
    problems = {file: texts for file, texts in missing.items() if file not in NOT_YET_TRANSLATED}
    report = '\n'.join(
        f'{file}: {texts[:3]}{" …" if len(texts) > 3 else ""}' for file, texts in sorted(problems.items())
    )
    assert not problems, 'Texts without a French translation (add them to your part file .po):\n' + report
    done = sorted(NOT_YET_TRANSLATED - set(missing))
    assert not done, 'Translated now: remove these files from NOT_YET_TRANSLATED:\n' + '\n'.join(done)


def _placeholders(text: str) -> set[str]:
    return {name for _literal, name, _spec, _conversion in string.Formatter().parse(text) if name is not None}


def test_french_translations_are_complete_and_keep_their_placeholders() -> None:
    problems = []
    for path in sorted((LOCALE / 'fr' / 'LC_MESSAGES').glob('*.po')):
        with path.open('rb') as po:
            catalog = read_po(po, locale='fr')
        assert catalog.num_plurals == 2, f'{path.name}: French has two plural forms ("Plural-Forms: nplurals=2; …")'
        for message in catalog:
            if not message.id:
                continue
            english = message.id if isinstance(message.id, tuple) else (message.id,)
            french = message.string if isinstance(message.string, tuple) else (message.string,)
            if message.fuzzy:
                problems.append(f'{path.name}: fuzzy: {english[0]!r}')
            if not all(french):
                continue  # messages.po may hold texts of parts not translated yet: test (b) above names them
            try:
                expected = set().union(*(_placeholders(text) for text in english))
                for text in french:
                    if _placeholders(text) - expected or (len(french) == 1 and _placeholders(text) != expected):
                        problems.append(f'{path.name}: {english[0]!r} → {text!r}: placeholders differ')
            except ValueError as error:  # an unbalanced brace: str.format would fail on the page
                problems.append(f'{path.name}: {english[0]!r}: {error}')
    assert not problems, '\n'.join(problems)


def test_french_writes_its_apostrophes_one_way() -> None:
    """French mixed ' and ’ ("Clé d'API" beside "Chiffre d’affaires"): every French text writes the typographic ’,
    the one most of them used. Only an apostrophe between two letters is one: a quote around code or a placeholder
    (none today) would be left as it is, and the placeholders test above still holds."""
    straight = [
        text for forms in french_catalog().values() for text in forms if re.search(r"(?<=[^\W\d_])'(?=[^\W\d_])", text)
    ]
    assert not straight, f'{len(straight)} French texts write a straight apostrophe, e.g. {straight[:3]}'
    assert french_catalog()[(None, 'Turnover')] == ('Chiffre d’affaires',)


# French writes a non-breaking space (U+00A0) before ':', ';', '?' and '!': a plain space lets the sign wrap alone onto
# the next line, and a word glued to it reads as English. What is written as it is typed stays glued: a URL, an HTTP
# header, a time, a permission, a JSON field, a rule's name as the app gives it.
_GLUED_ON_PURPOSE = re.compile(
    r'https?:|\d:\d|\w+:(?:write|read|seen)|(?:read|write):<|Authorization: |Automation: |"confirmed": |\(;\)'
    r'|\?number=|:20:'
)


def test_french_puts_a_non_breaking_space_before_colons_semicolons_and_question_marks() -> None:
    """And inside « »: a phone must not break a line between a guillemet and its word (93 of 133 did so already)."""
    problems = []
    for path in sorted((LOCALE / 'fr' / 'LC_MESSAGES').glob('*.po')):
        with path.open('rb') as po:
            catalog = read_po(po, locale='fr')
        for message in catalog:
            if not message.id:
                continue  # the catalog's header
            french = message.string if isinstance(message.string, tuple) else (message.string,)
            for text in french:
                text = _GLUED_ON_PURPOSE.sub('', text or '')
                for found in re.finditer(r'(?:^|[^\u00a0\u202f])[:;?!»]|«[^\u00a0\u202f]', text):
                    problems.append(f'{path.name}: {text[max(0, found.start() - 30) : found.end() + 10]!r}')
    assert not problems, 'Write U+00A0 before these signs (and inside « »):\n' + '\n'.join(problems)


def test_no_marked_text_sits_inside_an_f_string() -> None:
    """pybabel does not read inside an f-string on this Python: f'{said} · {_("receives handed-out requests")}' was
    never extracted, so French readers saw it in English. Mark the text outside, then format it in."""
    found = []
    for path in sorted({*SCOPE, *ROOT.glob('backoffice/**/*.py'), ROOT / 'main.py'}):
        tree = ast.parse(path.read_text(encoding='utf-8'))
        for node in ast.walk(tree):
            if not isinstance(node, ast.JoinedStr):
                continue
            for part in ast.walk(node):
                if (
                    isinstance(part, ast.Call)
                    and isinstance(part.func, ast.Name)
                    and part.func.id in MARKERS
                    and part.args
                    and isinstance(part.args[0], ast.Constant)
                    and isinstance(part.args[0].value, str)
                ):
                    found.append(f'{path.relative_to(ROOT)}:{part.lineno}: {part.args[0].value!r}')
    assert not found, 'Marked inside an f-string (never extracted):\n' + '\n'.join(found)


def test_a_declared_word_with_its_context_is_shown_in_that_context() -> None:
    """A merged customer read "Fusionnée" in French (the request's status, feminine): the customers' status is
    declared with its context (NP_) and the engine's `_` shows it in that context."""
    with use('fr'):
        assert _(STATUSES['merged']) == 'Fusionné'
        assert _('Merged') == 'Fusionnée'  # a request merged into another
    with use('en'):
        assert _(STATUSES['merged']) == 'Merged'


def test_what_a_french_team_found_wrong_in_a_day_stays_fixed() -> None:
    """Phrasings a French-speaking team flagged (session of 2026-12-06): a return's quantity read 'Combien reviennent',
    low stock 'disponible(s)'; and settings labels a phone (390 px, ~32 characters in an empty field) cut before
    their unit: 'Conserver les événements d’utilisa…'."""
    with use('fr'):
        assert _('How many come back') == 'Quantité retournée'
        stock_notice = _('Low stock: {sku} {name} has {available} available (minimum {minimum})')
        assert '(s)' not in stock_notice
        cut = {
            spec.key: _(spec.label)
            for spec in app_settings.BY_KEY.values()
            if spec.key in {'retention_events_months', 'retention_requests_months', 'stripe_webhook_secret'}
            or spec.key.endswith('_events')
        }
    assert len(cut) == 7, cut
    assert not {key: label for key, label in cut.items() if len(label) > 32}, cut
