"""The ready reports: which exist, what filters each takes, and the one entry point that checks the reader may read
them (`reports.read`), checks the filters, computes a report (backoffice/reports/) and exports it as CSV, XLSX or
PDF."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from backoffice import formatting
from backoffice.errors import NotFound, ValidationFailed
from backoffice.i18n import N_, _
from backoffice.models import Category, User
from backoffice.permissions import require
from backoffice.reports import base, cohorts, pdf, returns, sales, stock, support, vat
from backoffice.reports.base import Params, Table
from backoffice.services import app_settings
from backoffice.transfer import report_files

Filter = Literal['period', 'group', 'grain', 'category', 'agent', 'at']
Format = Literal['csv', 'xlsx', 'pdf']
PERMISSION = 'reports.read'
MEDIA_TYPES = {**report_files.MEDIA_TYPES, 'pdf': 'application/pdf'}


@dataclass(frozen=True)
class Report:
    key: str
    title: str  # N_
    description: str  # N_
    icon: str
    filters: tuple[Filter, ...]
    compute: Callable[[Session, Params, str, str], Table]
    months: bool = False  # the period is read in whole months (cohorts)


REPORTS: dict[str, Report] = {
    r.key: r
    for r in (
        Report(
            'sales',
            N_('Sales'),
            N_('Sales by product, category or period, net of refunds, before VAT'),
            'point_of_sale',
            ('period', 'group', 'grain', 'category'),
            sales.sales,
        ),
        Report(
            'vat',
            N_('VAT collected'),
            N_('VAT per rate from the invoices and credit notes issued'),
            'account_balance',
            ('period',),
            vat.vat,
        ),
        Report(
            'stock',
            N_('Stock valuation'),
            N_('Quantity on hand × cost, per product and category, now or at a past day'),
            'inventory',
            ('at', 'category'),
            stock.stock,
        ),
        Report(
            'returns',
            N_('Returns by reason'),
            N_('Why customers send goods back: returns and units per reason'),
            'assignment_return',
            ('period', 'category'),
            returns.returns,
        ),
        Report(
            'support',
            N_('Support performance'),
            N_('Per agent: requests, first response and resolution times, CSAT'),
            'support_agent',
            ('period', 'agent'),
            support.support,
        ),
        Report(
            'cohorts',
            N_('Customer cohorts'),
            N_('Retention by sign-up month: who orders again in the months after'),
            'groups',
            ('period',),
            cohorts.cohorts,
            months=True,
        ),
    )
}


def report(key: str) -> Report:
    found = REPORTS.get(key)
    if found is None:
        raise NotFound(_('This report does not exist.'))
    return found


def default_params(key: str, today: date) -> Params:
    """What a report shows first: the last 30 days (cohorts: the last 12 months, stock: now)."""
    if report(key).months:
        first = (today.replace(day=1) - timedelta(days=335)).replace(day=1)
        return Params(first=first, last=today)
    return Params(first=today - timedelta(days=29), last=today)


def run(*, session: Session, actor: User, key: str, params: Params) -> Table:
    """One report over the filters, in the shop's time zone and currency."""
    require(actor, PERMISSION)
    chosen = report(key)
    base.checked(params)
    currency = app_settings.value(session=session, key='currency') or 'EUR'
    return chosen.compute(session, params, app_settings.time_zone(), currency)


def export(*, session: Session, actor: User, key: str, params: Params, fmt: Format) -> tuple[bytes, str, str]:
    """The report as a file: (content, file name, media type). CSV and XLSX hold raw values (numbers, ISO days),
    the PDF what the screen shows, in the reader's language."""
    table = run(session=session, actor=actor, key=key, params=params)
    chosen = report(key)
    if fmt == 'pdf':
        content = pdf.report_pdf(_(chosen.title), describe(chosen, params, session=session), table)
    elif fmt in ('csv', 'xlsx'):
        content = report_files.table_file(table, fmt, sheet=_(chosen.title))
    else:
        raise NotFound(_('This report does not exist.'))
    return content, f'{key}-{_stamp(params)}.{fmt}', MEDIA_TYPES[fmt]


def describe(chosen: Report, params: Params, *, session: Session) -> str:
    """The filters in words, for the PDF's heading: '2026-11-01 – 2026-11-30 · by category · Shirts'."""
    parts = []
    if 'period' in chosen.filters:
        parts.append(formatting.days(params.first, params.last))
    if 'at' in chosen.filters:
        parts.append(_('At the end of {day}').format(day=formatting.day(params.at)) if params.at else _('Now'))
    if 'group' in chosen.filters:
        parts.append(_(GROUPS[params.group]))
        if params.group == 'period':
            parts.append(_(GRAINS[params.grain]))
    if 'category' in chosen.filters and params.category_id:
        category = session.get(Category, params.category_id)
        parts.append(category.name if category else str(params.category_id))
    if 'agent' in chosen.filters and params.agent_id:
        agent = session.get(User, params.agent_id)
        parts.append(agent.name if agent else str(params.agent_id))
    return ' · '.join(parts)


GROUPS = {'product': N_('By product'), 'category': N_('By category'), 'period': N_('By period')}
GRAINS = {'day': N_('Per day'), 'week': N_('Per week'), 'month': N_('Per month')}


def _stamp(params: Params) -> str:
    def compact(day: date) -> str:
        return f'{day.year:04d}{day.month:02d}{day.day:02d}'

    return f'{compact(params.first)}-{compact(params.last)}'


def params_from(key: str, values: dict[str, Any], today: date) -> Params:
    """The filters as the screen sends them (ISO days, ids, choices), each refused at its field when unreadable."""
    defaults = default_params(key, today)
    errors: dict[str, str] = {}

    def day(name: str, fallback: date | None) -> date | None:
        text = str(values.get(name) or '').strip()
        if not text:
            return fallback
        try:
            return date.fromisoformat(text)
        except ValueError:
            errors[name] = _('Enter a date, e.g. {example}.').format(example=formatting.day(today))
            return fallback

    def number(name: str) -> int | None:
        value = values.get(name)
        if value in (None, ''):
            return None
        try:
            return int(value)
        except (TypeError, ValueError):
            errors[name] = _('Choose one of the list.')
            return None

    params = Params(
        first=day('first', defaults.first) or defaults.first,
        last=day('last', defaults.last) or defaults.last,
        group=str(values.get('group') or 'product'),
        grain=values.get('grain') or 'month',
        category_id=number('category_id'),
        agent_id=number('agent_id'),
        at=day('at', None),
    )
    if errors:
        raise ValidationFailed(errors)
    return base.checked(params)


def filter_choices(*, session: Session, actor: User, key: str | None = None) -> dict[str, dict[int, str]]:
    """The categories and the staff a report may be narrowed to, by name; with `key`, only those that report filters
    by are read (the sales report has no agent filter: the staff are not read for it)."""
    require(actor, PERMISSION)
    filters = report(key).filters if key is not None else ('category', 'agent')
    choices: dict[str, dict[int, str]] = {'category_id': {}, 'agent_id': {}}
    if 'category' in filters:
        categories = session.exec(
            select(Category).where(col(Category.deleted_at).is_(None)).order_by(col(Category.name))
        ).all()
        choices['category_id'] = {c.id: c.name for c in categories if c.id is not None}
    if 'agent' in filters:
        staff = session.execute(select_columns(col(User.id), col(User.name)).order_by(col(User.name))).all()
        choices['agent_id'] = {user_id: name for user_id, name in staff}
    return choices
