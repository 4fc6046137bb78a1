"""The digest as an email: a plain-text part and an HTML part that reads well on a phone (one column of tables with
inline styles, as mail clients want) with each KPI card's sparkline as a PNG attached inline (cid:), so it shows where
mail clients block remote images."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date
from typing import Any

from backoffice import formatting, sparkline
from backoffice.i18n import _, ngettext
from backoffice.services import app_settings, goals, staff_mail

GOOD, BAD, MUTED, INK, LINE = '#15803d', '#b91c1c', '#6b7280', '#111827', '#e5e7eb'
STATUS_COLOURS = {'on_track': GOOD, 'at_risk': '#b45309', 'off_track': BAD}


@dataclass(frozen=True)
class CardLine:
    key: str
    label: str
    value: str
    change: float | None  # percent against the previous period (points for a rate)
    good: bool | None
    spark: list[float | None]
    points: bool = False  # a rate (conversion, CSAT): its change is in percentage points


@dataclass(frozen=True)
class GoalLine:
    objective: str
    result: str
    progress: float  # 0…1
    status: str  # on_track | at_risk | off_track


@dataclass(frozen=True)
class Named:
    """A line of a section: what it is, a detail, and where it is in the app."""

    title: str
    detail: str
    link: str


@dataclass(frozen=True)
class Digest:
    """What one recipient's digest holds; a section is None when their permissions do not allow it."""

    name: str
    first: date
    last: date
    cards: list[CardLine] | None
    goals: list[GoalLine] | None
    alerts: list[Named] | None
    sla: tuple[int, list[Named]] | None  # how many, the first few
    low_stock: tuple[int, list[Named]] | None


@dataclass(frozen=True)
class Made:
    subject: str
    text: str
    html: str
    parts: list[dict[str, Any]]


def render(digest: Digest, *, base_url: str, unsubscribe: str) -> Made:
    """The mail of one digest, in the current language (the caller sets the recipient's)."""
    base = base_url.rstrip('/')
    shop = app_settings.cached('company_name') or 'Backoffice'
    period = formatting.days(digest.first, digest.last)
    subject = _('{shop} digest, {period}').format(shop=shop, period=period)
    text: list[str] = [subject, '']
    blocks: list[str] = []
    parts: list[dict[str, Any]] = []
    if digest.cards is not None:
        text.append(_('KPIs'))
        rows = []
        no_comparison = _('no earlier period to compare')
        for card in digest.cards:
            cid = f'spark-{card.key}@backoffice'
            parts.append(staff_mail.part(f'{card.key}.png', 'image/png', sparkline.png(card.spark), cid=cid))
            change = _change(card.change, points=card.points)
            said = _('{name}: {value}').format(name=_(card.label), value=card.value)  # French: a space before ':'
            text.append(f'- {said} {change}'.rstrip())
            colour = MUTED if card.good is None else GOOD if card.good else BAD
            rows.append(
                '<tr>'
                f'<td style="padding:8px 0;border-bottom:1px solid {LINE};">'
                f'<div style="font-size:13px;color:{MUTED};">{_e(_(card.label))}</div>'
                f'<div style="font-size:20px;font-weight:bold;color:{INK};">{_e(card.value)}</div>'
                f'<div style="font-size:12px;color:{colour};">{_e(change or no_comparison)}</div>'
                '</td>'
                f'<td style="padding:8px 0;border-bottom:1px solid {LINE};text-align:right;width:124px;">'
                f'<img src="cid:{cid}" width="{sparkline.WIDTH}" height="{sparkline.HEIGHT}" alt="" '
                'style="display:block;border:0;margin-left:auto;"></td>'
                '</tr>'
            )
        blocks.append(_section(_('KPIs'), ''.join(rows) or _empty(_('No KPI card chosen.'))))
        text.append('')
    if digest.goals is not None:
        text.append(_('Goals'))
        rows = []
        for line in digest.goals:
            state = _(goals.STATUSES[line.status])
            shown = formatting.percent(line.progress)
            text.append(
                '- ' + _('{name}: {value}').format(name=f'{line.objective} — {line.result}', value=f'{shown} ({state})')
            )
            rows.append(
                '<tr>'
                f'<td style="padding:6px 0;border-bottom:1px solid {LINE};font-size:14px;color:{INK};">'
                f'{_e(line.result)}<div style="font-size:12px;color:{MUTED};">{_e(line.objective)}</div></td>'
                f'<td style="padding:6px 0;border-bottom:1px solid {LINE};text-align:right;font-size:14px;'
                f'white-space:nowrap;">{_e(shown)}<div style="font-size:12px;color:'
                f'{STATUS_COLOURS[line.status]};">{_e(state)}</div></td>'
                '</tr>'
            )
        if not digest.goals:
            text.append('- ' + _('No current goal.'))
        blocks.append(_section(_('Goals'), ''.join(rows) or _empty(_('No current goal.')), f'{base}/goals'))
        text.append('')
    if digest.alerts is not None:
        blocks.append(_listed(_('Alerts of the period'), digest.alerts, len(digest.alerts), base, text))
    if digest.sla is not None:
        blocks.append(_listed(_('Requests past their SLA'), digest.sla[1], digest.sla[0], base, text))
    if digest.low_stock is not None:
        blocks.append(_listed(_('Low stock'), digest.low_stock[1], digest.low_stock[0], base, text))
    if not blocks:
        nothing = _('Your role gives you nothing to read in the digest.')
        text.append(nothing)
        blocks.append(_section('', _empty(nothing)))
    heading = _('Your digest')
    stop = _('Unsubscribe from this digest')
    change_it = _('Change what it holds or when it comes')
    text += [
        '',
        _('{name}: {value}').format(name=change_it, value=f'{base}/account/security'),
        _('{name}: {value}').format(name=stop, value=unsubscribe),
    ]
    page = (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{_e(subject)}</title></head>'
        f'<body style="margin:0;padding:0;background:#f3f4f6;font-family:Arial,Helvetica,sans-serif;color:{INK};">'
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f3f4f6;">'
        '<tr><td align="center" style="padding:12px;">'
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" '
        'style="max-width:560px;background:#ffffff;border-radius:8px;">'
        f'<tr><td style="padding:16px 16px 4px 16px;"><div style="font-size:12px;color:{MUTED};">{_e(shop)}</div>'
        f'<div style="font-size:20px;font-weight:bold;">{_e(heading)}</div>'
        f'<div style="font-size:13px;color:{MUTED};">{_e(period)} · {_e(digest.name)}</div></td></tr>'
        + ''.join(blocks)
        + f'<tr><td style="padding:16px;font-size:12px;color:{MUTED};">'
        f'<a href="{_e(base)}/account/security" style="color:{MUTED};">{_e(change_it)}</a> · '
        f'<a href="{_e(unsubscribe)}" style="color:{MUTED};">{_e(stop)}</a></td></tr>'
        '</table></td></tr></table></body></html>'
    )
    return Made(subject, '\n'.join(text), page, parts)


def _listed(title: str, lines: list[Named], total: int, base: str, text: list[str]) -> str:
    text.append(f'{title} ({formatting.number(total)})')
    rows = [
        '<tr>'
        f'<td style="padding:6px 0;border-bottom:1px solid {LINE};font-size:14px;">'
        f'<a href="{_e(base + line.link)}" style="color:#1d4ed8;text-decoration:none;">{_e(line.title)}</a>'
        f'<div style="font-size:12px;color:{MUTED};">{_e(line.detail)}</div></td></tr>'
        for line in lines
    ]
    text += [f'- {line.title} — {line.detail}' for line in lines]
    if total > len(lines):
        more = _('and {count} more').format(count=formatting.number(total - len(lines)))
        text.append(f'  {more}')
        rows.append(f'<tr><td style="padding:6px 0;font-size:12px;color:{MUTED};">{_e(more)}</td></tr>')
    if not lines:
        text.append('- ' + _('None.'))
    text.append('')
    heading = f'{title} ({formatting.number(total)})'
    return _section(heading, ''.join(rows) or _empty(_('None.')))


def _section(title: str, rows: str, link: str = '') -> str:
    heading = (
        f'<div style="font-size:15px;font-weight:bold;margin:0 0 4px 0;">{_e(title)}'
        + (f' <a href="{_e(link)}" style="font-size:12px;font-weight:normal;color:#1d4ed8;">›</a>' if link else '')
        + '</div>'
        if title
        else ''
    )
    return (
        f'<tr><td style="padding:12px 16px 0 16px;">{heading}'
        f'<table role="presentation" width="100%" cellpadding="0" cellspacing="0">{rows}</table></td></tr>'
    )


def _empty(message: str) -> str:
    return f'<tr><td style="padding:6px 0;font-size:13px;color:{MUTED};">{_e(message)}</td></tr>'


def _change(change: float | None, *, points: bool = False) -> str:
    if change is None:
        return ''
    sign = '+' if change > 0 else ''
    moved = (
        ngettext('{n} pt', '{n} pts', formatting.plural_count(change, 1)).format(n=formatting.number(change, 1))
        if points
        else formatting.kpi_percent(change)
    )
    return _('{change} vs the previous period').format(change=sign + moved)


def _e(value: str) -> str:
    return html.escape(value, quote=True)
