"""What automation rules speak of: the events (and the record each one is about), the fields of those records a
condition may test, typed, with the operators of each type, and the check of a condition against a record."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

from sqlmodel import Session, col, select

from backoffice.events import Topic
from backoffice.i18n import N_, NP_, _
from backoffice.models import AlertRule, Customer, Order, StockLevel, Ticket, User
from backoffice.resources.sales import ORDER_STATUSES
from backoffice.resources.support import PRIORITIES, STATUSES, TYPES
from backoffice.validation import decimal_text


@dataclass(frozen=True)
class Event:
    key: str
    label: str
    record_type: str


EVENTS: dict[str, Event] = {
    e.key: e
    for e in (
        Event('request.created', N_('Request created'), 'request'),
        Event('request.updated', N_('Request updated'), 'request'),
        Event('order.paid', N_('Order paid'), 'order'),
        Event('order.shipped', N_('Order shipped'), 'order'),
        Event('stock.low', N_('Stock below minimum'), 'stock'),
        Event('customer.signed_up', N_('Customer signed up'), 'customer'),
        Event('alert.fired', N_('KPI alert fired'), 'alert'),
    )
}

RECORD_TYPES = {
    'request': N_('Request'),
    'order': N_('Order'),
    'stock': N_('Stock level'),
    'customer': N_('Customer'),
    'alert': N_('Alert rule'),
}


def event_of(topic: Topic, action: str) -> str | None:
    """The automation event a published change is, if any: ('tickets', 'created') is 'request.created'."""
    if topic == Topic.tickets:
        return 'request.created' if action == 'created' else 'request.updated'
    if topic == Topic.orders:
        return {'paid': 'order.paid', 'shipped': 'order.shipped'}.get(action)
    if topic == Topic.stock and action == 'low':
        return 'stock.low'
    if topic == Topic.customers and action == 'created':
        return 'customer.signed_up'
    if topic == Topic.alerts and action == 'fired':
        return 'alert.fired'
    return None


# --- fields and operators -------------------------------------------------------------------------------------------

OPERATORS: dict[str, dict[str, str]] = {
    'text': {
        'equals': N_('is'),
        'not_equals': N_('is not'),
        'contains': N_('contains'),
        'not_contains': N_('does not contain'),
        'starts_with': N_('starts with'),
        'empty': N_('is empty'),
        'not_empty': N_('is not empty'),
    },
    'number': {
        'eq': '=',
        'ne': '≠',
        'gt': '>',
        'ge': '≥',
        'lt': '<',
        'le': '≤',
    },
    'choice': {'equals': N_('is'), 'not_equals': N_('is not')},
    'bool': {'true': N_('is yes'), 'false': N_('is no')},
    'tags': {'has': N_('has the tag'), 'has_not': N_('does not have the tag')},
}
VALUE_MAX = 200  # characters of the value a condition compares with
NO_VALUE = {'empty', 'not_empty', 'true', 'false'}


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    kind: str  # text | number | choice | bool | tags
    choices: dict[str, str] = field(default_factory=dict)


FIELDS: dict[str, dict[str, FieldSpec]] = {
    kind: {spec.name: spec for spec in specs}
    for kind, specs in {
        'request': (
            FieldSpec('subject', N_('Subject'), 'text'),
            FieldSpec('customer_email', N_('Customer email'), 'text'),
            FieldSpec('type', N_('Type'), 'choice', TYPES),
            FieldSpec('priority', N_('Priority'), 'choice', PRIORITIES),
            FieldSpec('status', N_('Status'), 'choice', STATUSES),
            FieldSpec('assigned', N_('Assigned'), 'bool'),
            # a snooze is a change too ('Request updated'): a rule may leave requests put aside alone
            FieldSpec('snoozed', NP_('request', 'Snoozed'), 'bool'),
            FieldSpec('tags', N_('Tags'), 'tags'),
            FieldSpec('order_number', N_('Order number'), 'text'),
        ),
        'order': (
            FieldSpec('number', N_('Number'), 'text'),
            FieldSpec('email', N_('Email'), 'text'),
            FieldSpec('status', N_('Status'), 'choice', ORDER_STATUSES),
            FieldSpec('total', N_('Total'), 'number'),
            FieldSpec('currency', N_('Currency'), 'text'),
            FieldSpec('shipping_name', N_('Shipping name'), 'text'),
        ),
        'stock': (
            FieldSpec('sku', N_('SKU'), 'text'),
            FieldSpec('available', N_('Available'), 'number'),
            FieldSpec('on_hand', N_('On hand'), 'number'),
            FieldSpec('min_qty', N_('Minimum'), 'number'),
        ),
        'customer': (
            FieldSpec('email', N_('Email'), 'text'),
            FieldSpec('name', N_('Name'), 'text'),
            FieldSpec('marketing_consent', N_('Marketing consent'), 'bool'),
            FieldSpec('language', N_('Language'), 'text'),
        ),
        'alert': (
            FieldSpec('name', N_('Name'), 'text'),
            FieldSpec('kpi', N_('KPI'), 'text'),
            FieldSpec('last_value', N_('Value'), 'number'),
        ),
    }.items()
}


def check_condition(condition: dict[str, Any], record_type: str) -> dict[str, str]:
    """Field errors of one condition ({'field' | 'operator' | 'value': message}); {} when it is well formed."""
    spec = FIELDS[record_type].get(str(condition.get('field')))
    if spec is None:
        return {'field': _('Choose a field from the list')}
    operator = condition.get('operator')
    if operator not in OPERATORS[spec.kind]:
        return {'operator': _('Choose a comparison from the list')}
    if operator in NO_VALUE:
        return {}
    value = condition.get('value')
    text = '' if value is None else str(value).strip()
    if not text:
        return {'value': _('This field is required')}
    if len(text) > VALUE_MAX:
        return {'value': _('Keep it under {n} characters').format(n=VALUE_MAX)}
    if spec.kind == 'number' and _number(text) is None:
        return {'value': _('Enter a number')}
    if spec.kind == 'choice' and text not in spec.choices:
        return {'value': _('Choose a value from the list')}
    return {}


def holds(condition: dict[str, Any], values: dict[str, Any], record_type: str) -> bool:
    """Whether a (well-formed) condition holds of a record's values; texts compare without regard to case."""
    spec = FIELDS[record_type][condition['field']]
    operator, wanted, actual = condition['operator'], condition.get('value'), values.get(spec.name)
    if spec.kind == 'bool':
        return bool(actual) is (operator == 'true')
    if spec.kind == 'tags':
        tags = {str(tag).casefold() for tag in actual or []}
        return (str(wanted).strip().casefold() in tags) is (operator == 'has')
    if spec.kind == 'number':
        number, limit = _number(actual), _number(wanted)
        if number is None or limit is None:
            return False
        return {
            'eq': number == limit,
            'ne': number != limit,
            'gt': number > limit,
            'ge': number >= limit,
            'lt': number < limit,
            'le': number <= limit,
        }[operator]
    text = '' if actual is None else str(actual).casefold()
    target = '' if wanted is None else str(wanted).strip().casefold()
    return {
        'equals': text == target,
        'not_equals': text != target,
        'contains': target in text,
        'not_contains': target not in text,
        'starts_with': text.startswith(target),
        'empty': not text.strip(),
        'not_empty': bool(text.strip()),
    }[operator]


def describe_condition(condition: dict[str, Any], record_type: str) -> str:
    """'Priority is Urgent', in the reader's language."""
    spec = FIELDS[record_type].get(str(condition.get('field')))
    if spec is None:
        return str(condition.get('field'))
    operator = operator_word(spec.kind, str(condition.get('operator')))
    if condition.get('operator') in NO_VALUE:
        return f'{_(spec.label)} {operator}'
    value = condition.get('value')
    shown = _(spec.choices[value]) if spec.kind == 'choice' and value in spec.choices else f'“{value}”'
    return f'{_(spec.label)} {operator} {shown}'


def operator_word(kind: str, operator: str) -> str:
    """A comparison as the reader reads it: words translated ('contains'), symbols as they are ('≥')."""
    word = OPERATORS[kind].get(operator, operator)
    return word if kind == 'number' else _(word)


def _number(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(decimal_text(str(value)))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


# --- the records -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Record:
    """A record as the rules see it: its kind, id, the values conditions test, its label and link."""

    type: str
    id: int
    values: dict[str, Any]
    label: str
    link: str


MODELS: dict[str, Any] = {
    'request': Ticket,
    'order': Order,
    'stock': StockLevel,
    'customer': Customer,
    'alert': AlertRule,
}


def load(session: Session, record_type: str, record_id: int) -> Record | None:
    row = session.get(MODELS[record_type], record_id)
    if row is None:
        return None
    return as_record(session, record_type, row)


def as_record(session: Session, record_type: str, row: Any) -> Record:
    values = row.model_dump(mode='json')
    if record_type == 'request':
        customer = session.get(Customer, row.customer_id)
        values['customer_email'] = customer.email if customer else ''
        values['assigned'] = row.assignee_id is not None
        values['snoozed'] = row.snoozed_until is not None
        return Record('request', row.id, values, f'#{row.number} {row.subject}', f'/requests/{row.number}')
    if record_type == 'order':
        return Record('order', row.id, values, str(row.number), f'/orders/{row.number}')
    if record_type == 'stock':
        return Record('stock', row.id, values, row.sku or f'#{row.product_id}', '/inventory')
    if record_type == 'customer':
        return Record('customer', row.id, values, row.email, f'/customers/{row.id}')
    return Record('alert', row.id, values, row.name, '/alerts')


def link_of(record_type: str, record_id: int | None, label: str) -> str:
    """Where a logged run's record is shown, from what the log kept (a request's label starts with its number)."""
    if record_id is None:
        return '/automations'
    if record_type == 'request':
        number = re.match(r'#(\d+)', label)
        return f'/requests/{number.group(1)}' if number else '/requests'
    return {
        'order': f'/orders/{quote(label)}',
        'stock': '/inventory',
        'customer': f'/customers/{record_id}',
        'alert': '/alerts',
    }.get(record_type, '/automations')


def recent(session: Session, record_type: str, *, limit: int = 30) -> list[Record]:
    """The newest records of a kind, for choosing one to dry-run a rule against."""
    model = MODELS[record_type]
    statement = select(model).order_by(col(model.id).desc()).limit(limit)
    if hasattr(model, 'deleted_at'):
        statement = statement.where(col(model.deleted_at).is_(None))
    return [as_record(session, record_type, row) for row in session.exec(statement)]


def assignable(session: Session) -> dict[int, str]:
    """Active staff who answer requests (hold tickets.write): whom a rule may assign to."""
    from backoffice.permissions import roles_with

    users = session.exec(
        select(User)
        .where(col(User.is_active).is_(True), col(User.role).in_(roles_with('tickets.write')))
        .order_by(col(User.name), col(User.id))
    )
    return {user.id or 0: user.name or user.email for user in users}
