"""Report schedules: a ready report mailed after each week (Monday to Sunday) or month to chosen staff, through the
staff mail outbox. Each recipient gets the report as they may read it (their permissions, their language); a period
is sent once (`last_sent_through`), whenever the hourly `report-schedules` job runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlmodel import Session, col, select

from backoffice import changes, formatting, i18n
from backoffice.errors import NotFound, ValidationFailed
from backoffice.i18n import N_, _
from backoffice.kpi.days import today as shop_today
from backoffice.models import ReportSchedule, User
from backoffice.permissions import can, require
from backoffice.reports.base import Params, Table, cell, heading
from backoffice.services import app_settings, audit, reports, staff_mail
from backoffice.stored_text import sentence, word

FREQUENCIES = {'weekly': N_('Every week'), 'monthly': N_('Every month')}
FILTERS = ('group', 'grain', 'category_id', 'agent_id')


@dataclass(frozen=True)
class Shown:
    id: int
    frequency: str
    recipients: list[str]


def schedules(*, session: Session, actor: User, key: str) -> list[Shown]:
    """The schedules of one report, with their recipients' names."""
    require(actor, reports.PERMISSION)
    rows = session.exec(
        select(ReportSchedule).where(col(ReportSchedule.report) == key).order_by(col(ReportSchedule.id))
    ).all()
    wanted = {user_id for row in rows for user_id in row.recipients}
    names = dict(session.exec(select(User.id, User.name).where(col(User.id).in_(wanted))).all()) if wanted else {}
    return [Shown(row.id or 0, row.frequency, [names.get(user_id, '?') for user_id in row.recipients]) for row in rows]


def recipients_choice(*, session: Session, actor: User) -> dict[int, str]:
    """The staff a report may be sent to: active members who may read reports."""
    require(actor, reports.PERMISSION)
    staff = session.exec(select(User).where(col(User.is_active).is_(True)).order_by(col(User.name))).all()
    return {user.id: user.name for user in staff if user.id is not None and can(user, reports.PERMISSION)}


def create(
    *, session: Session, actor: User, key: str, frequency: str, recipients: list[Any], filters: dict[str, Any]
) -> ReportSchedule:
    require(actor, reports.PERMISSION)
    chosen = reports.report(key)
    errors: dict[str, str] = {}
    if frequency not in FREQUENCIES:
        errors['frequency'] = _('Choose every week or every month.')
    allowed = recipients_choice(session=session, actor=actor)
    try:
        ids = sorted({int(r) for r in recipients or []})
    except (TypeError, ValueError):
        ids = []
    if not ids or any(i not in allowed for i in ids):
        errors['recipients'] = _('Choose who receives it among the staff who may read reports.')
    if errors:
        raise ValidationFailed(errors)
    kept = {name: filters.get(name) for name in FILTERS if filters.get(name) not in (None, '')}
    schedule = ReportSchedule(report=chosen.key, frequency=frequency, filters=kept, recipients=ids, created_by=actor.id)
    session.add(schedule)
    session.flush()
    audit.record(
        session,
        actor,
        'report_schedule.created',
        'report_schedule',
        schedule.id,
        changes={'recipients': [None, ids], 'filters': [None, kept]},
        summary=sentence(
            N_('{report} scheduled: {frequency}'), report=word(chosen.title), frequency=word(FREQUENCIES[frequency])
        ),
    )
    changes.commit(session)
    return schedule


def delete(*, session: Session, actor: User, schedule_id: int) -> None:
    require(actor, reports.PERMISSION)
    schedule = session.get(ReportSchedule, schedule_id)
    if schedule is None:
        raise NotFound(_('This schedule does not exist any more.'))
    session.delete(schedule)
    audit.record(session, actor, 'report_schedule.deleted', 'report_schedule', schedule_id)
    changes.commit(session)


def last_period(frequency: str, today: date) -> tuple[date, date]:
    """The last complete week (Monday to Sunday) or month before today."""
    if frequency == 'weekly':
        monday = today - timedelta(days=today.weekday())
        return monday - timedelta(days=7), monday - timedelta(days=1)
    last = today.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


def send_due(*, session: Session, today: date | None = None) -> int:
    """Queue the mail of every schedule whose last complete period was not sent yet; returns the mails queued."""
    today = today or shop_today(app_settings.time_zone())
    queued = 0
    for schedule in session.exec(select(ReportSchedule).order_by(col(ReportSchedule.id))).all():
        first, last = last_period(schedule.frequency, today)
        if schedule.last_sent_through is not None and schedule.last_sent_through >= last:
            continue
        chosen = reports.REPORTS.get(schedule.report)
        for user_id in schedule.recipients:
            user = session.get(User, user_id)
            if chosen is None or user is None or not can(user, reports.PERMISSION):
                continue  # gone, deactivated or no longer allowed: told nothing
            language = user.language or app_settings.default_language()
            with i18n.use(language):
                params = Params(first=first, last=last, **_filters(schedule.filters))
                table = reports.run(session=session, actor=user, key=chosen.key, params=params)
                subject = _('{report}, {period}').format(report=_(chosen.title), period=formatting.days(first, last))
                staff_mail.queue(session, user=user, subject=subject, body=_body(chosen, params, table, session))
            queued += 1
        schedule.last_sent_through = last
        session.add(schedule)
    session.commit()
    return queued


def _filters(stored: dict[str, Any]) -> dict[str, Any]:
    return {name: stored[name] for name in FILTERS if name in stored}


def _body(chosen: reports.Report, params: Params, table: Table, session: Session) -> str:
    lines = [_(chosen.title), reports.describe(chosen, params, session=session), '']
    lines += table.notes
    rows = [*table.rows, table.totals] if table.totals else table.rows
    first, rest = table.columns[0], table.columns[1:]
    for row in rows:
        shown = [(heading(c), cell(row, c, table.currency)) for c in rest]
        figures = '; '.join(f'{name}: {value}' for name, value in shown if value)
        lines.append(f'- {cell(row, first, table.currency)} — {figures}')
    if not table.rows:
        lines.append(_('Nothing to report over this period.'))
    lines += ['', _('The whole report, with its chart and downloads: /reports/{key}').format(key=chosen.key)]
    return '\n'.join(lines)
