"""Goals (OKRs) tied to live KPIs: objectives over a quarter or custom dates, key results bound to a KPI of the
registry (or a manual number) with a baseline, a target and a direction, check-ins, and the progress against what
is expected by today. Progress reads the daily aggregates only.

Status: the expected progress grows linearly over the period (0 on its first morning, 100 % on its last day). A key
result within 10 points of it (or ahead) is on track, 10 to 25 points behind is at risk, further behind is off track."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlmodel import Session, col, select

from backoffice import events, formatting
from backoffice.changes import get_for_update, stamp
from backoffice.errors import NotFound, ValidationFailed
from backoffice.events import Topic
from backoffice.i18n import N_, _
from backoffice.kpi import days, periods
from backoffice.kpi.registry import BY_KEY
from backoffice.models import CheckIn, KeyResult, Objective, User, utcnow
from backoffice.permissions import require
from backoffice.services import app_settings, audit
from backoffice.stored_text import Sentence, count, day, sentence, word
from backoffice.validation import decimal_text

MANAGE = 'goals.manage'
READ = 'kpis.read'  # everyone who sees the dashboard reads the goals
ON_TRACK_MARGIN = 0.10  # at most this far behind the expected progress: on track
AT_RISK_MARGIN = 0.25  # at most this far behind: at risk; further: off track
STATUSES = {'on_track': N_('On track'), 'at_risk': N_('At risk'), 'off_track': N_('Off track')}
DIRECTIONS = {'increase': N_('Increase to the target'), 'decrease': N_('Decrease to the target')}
TITLE_LENGTH = 200  # an objective's or a key result's title, at most (the column's length; the forms count up to it)


@dataclass(frozen=True)
class Result:
    """A key result as read: where it stands today against where it should stand."""

    id: int
    title: str
    kpi: str | None
    baseline: float
    target: float
    direction: str
    current: float | None
    progress: float  # 0…1
    expected: float  # 0…1
    status: str  # on_track | at_risk | off_track
    confidence: int | None  # the latest check-in's
    comment: str  # the latest check-in's
    version: int


@dataclass(frozen=True)
class Goal:
    id: int
    title: str
    owner: str
    owner_id: int | None
    first_day: date
    last_day: date
    results: list[Result]
    version: int


# --- arithmetic (pure: the fixtures check it by hand) ----------------------------------------------------------------


def quarter(day: date) -> tuple[date, date]:
    """The calendar quarter a day is in: its first and last day."""
    first = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    following = date(first.year + (first.month + 2) // 12, (first.month + 2) % 12 + 1, 1)
    return first, following - timedelta(days=1)


def expected_progress(first: date, last: date, today: date) -> float:
    """The share of the period gone by the end of today: linear, 0 before it starts, 1 from its last day on."""
    if today < first:
        return 0.0
    return min(1.0, ((today - first).days + 1) / ((last - first).days + 1))


def progress(baseline: float, target: float, current: float | None) -> float:
    """How far from the baseline to the target the current value is, 0…1 (the direction is the sign of the gap)."""
    if current is None or target == baseline:
        return 0.0
    return max(0.0, min(1.0, (current - baseline) / (target - baseline)))


def status(done: float, expected: float) -> str:
    if done >= 1 or done >= expected - ON_TRACK_MARGIN:
        return 'on_track'
    if done >= expected - AT_RISK_MARGIN:
        return 'at_risk'
    return 'off_track'


# --- reading ---------------------------------------------------------------------------------------------------------


def board(
    *, session: Session, actor: User, on: date | None = None, current_only: bool = False, zone: str | None = None
) -> list[Goal]:
    """The objectives whose period contains `on` (default: today), or every objective when `on` is None and not
    current_only, newest period first, each with its key results' progress. `zone`: the settings' time zone when
    the caller has read it already (a dashboard build reads its settings once)."""
    require(actor, READ)
    today = days.today(zone or app_settings.value(session=session, key='time_zone'))
    statement = select(Objective).where(col(Objective.deleted_at).is_(None))
    if current_only or on is not None:
        day = on or today
        statement = statement.where(Objective.first_day <= day, Objective.last_day >= day)
    objectives = list(session.exec(statement.order_by(col(Objective.first_day).desc(), col(Objective.id))))
    if not objectives:
        return []
    ids = [o.id for o in objectives]
    results = list(
        session.exec(
            select(KeyResult)
            .where(col(KeyResult.objective_id).in_(ids), col(KeyResult.deleted_at).is_(None))
            .order_by(col(KeyResult.id))
        )
    )
    latest = _latest_check_ins(session, [r.id for r in results if r.id is not None])
    first = min(o.first_day for o in objectives)
    last = min(max(o.last_day for o in objectives), today)
    data = periods.daily(session=session, keys={r.kpi for r in results if r.kpi}, first=first, last=last)
    owners = _names(session, {o.owner_id for o in objectives if o.owner_id})
    goals = []
    for objective in objectives:
        mine = [r for r in results if r.objective_id == objective.id]
        goals.append(
            Goal(
                objective.id or 0,
                objective.title,
                owners.get(objective.owner_id or 0, ''),
                objective.owner_id,
                objective.first_day,
                objective.last_day,
                [_result(r, objective, today, data, latest.get(r.id or 0)) for r in mine],
                objective.version,
            )
        )
    return goals


def periods_with_goals(*, session: Session, actor: User) -> list[tuple[date, date]]:
    """The distinct periods objectives were set for, newest first (the history's choices)."""
    require(actor, READ)
    rows = session.exec(
        select(col(Objective.first_day), col(Objective.last_day)).where(col(Objective.deleted_at).is_(None)).distinct()
    ).all()
    return sorted({(a, b) for a, b in rows}, reverse=True)


def check_ins(*, session: Session, actor: User, key_result_id: int, limit: int = 20) -> list[CheckIn]:
    require(actor, READ)
    return list(
        session.exec(
            select(CheckIn).where(CheckIn.key_result_id == key_result_id).order_by(col(CheckIn.id).desc()).limit(limit)
        )
    )


# --- changing --------------------------------------------------------------------------------------------------------


def create_objective(*, session: Session, actor: User, data: dict[str, Any]) -> Objective:
    """A new objective: a title, an owner (a member of staff) and a period (`first_day`, `last_day`)."""
    require(actor, MANAGE)
    errors: dict[str, str] = {}
    title = _text(data.get('title'), 'title', errors)
    owner_id = data.get('owner_id') or None
    if owner_id is not None and session.get(User, owner_id) is None:
        errors['owner_id'] = _('Choose a member of staff')
    first, last = data.get('first_day'), data.get('last_day')
    if not isinstance(first, date) or not isinstance(last, date):
        errors['first_day'] = _('Choose the period: a quarter or two dates')
    elif last < first:
        errors['last_day'] = _('The period ends before it starts')
    if errors or not isinstance(first, date) or not isinstance(last, date):
        raise ValidationFailed(errors)
    objective = Objective(title=title, owner_id=owner_id, first_day=first, last_day=last)
    session.add(objective)
    session.flush()
    audit.record(
        session,
        actor,
        'objective.created',
        'objective',
        objective.id,
        version=objective.version,
        changes=audit.diff({}, audit.snapshot(objective)),
        summary=sentence(N_('Objective “{title}”, {first} to {last}'), title=title, first=day(first), last=day(last)),
    )
    _commit(session, objective.id)
    return objective


def add_key_result(*, session: Session, actor: User, objective_id: int, data: dict[str, Any]) -> KeyResult:
    """A key result: a KPI of the registry (or none: a manual number), a baseline, a target and a direction."""
    require(actor, MANAGE)
    objective = session.get(Objective, objective_id)
    if objective is None or objective.deleted_at is not None:
        raise NotFound(_('This objective no longer exists.'))
    values = _key_result_values(data)
    result = KeyResult(objective_id=objective_id, **values)
    title, kpi, baseline, target = values['title'], values['kpi'], values['baseline'], values['target']
    session.add(result)
    session.flush()
    audit.record(
        session,
        actor,
        'key_result.created',
        'objective',
        objective_id,
        changes=audit.diff({}, audit.snapshot(result)),
        summary=_key_result_said(title, kpi, baseline, target),
    )
    _commit(session, objective_id)
    return result


def update_key_result(
    *, session: Session, actor: User, key_result_id: int, data: dict[str, Any], version: int
) -> KeyResult:
    """Change a key result's title, measure, baseline, target or direction from the version the editor loaded; its
    check-ins stay (each kept the value and progress of its day)."""
    require(actor, MANAGE)
    result = get_for_update(session, KeyResult, key_result_id, version, entity='key_result', label=N_('key result'))
    if result.deleted_at is not None:
        raise NotFound(_('This key result no longer exists.'))
    values = _key_result_values(data)
    before = audit.snapshot(result)
    for name, value in values.items():
        setattr(result, name, value)
    stamp(result)
    session.add(result)
    audit.record(
        session,
        actor,
        'key_result.updated',
        'objective',
        result.objective_id,
        changes=audit.diff(before, audit.snapshot(result)),
        summary=_key_result_said(result.title, result.kpi, result.baseline, result.target),
    )
    _commit(session, result.objective_id)
    return result


def _key_result_values(data: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    title = _text(data.get('title'), 'title', errors)
    kpi = data.get('kpi') or None
    if kpi is not None and kpi not in BY_KEY:
        errors['kpi'] = _('Choose a KPI from the list')
    baseline = _number(data.get('baseline', 0), 'baseline', errors)
    target = _number(data.get('target'), 'target', errors)
    direction = data.get('direction') or 'increase'
    if direction not in DIRECTIONS:
        errors['direction'] = _('Choose a direction')
    elif baseline is not None and target is not None:
        if direction == 'increase' and target <= baseline:
            errors['target'] = _('To increase, the target must be above the baseline')
        if direction == 'decrease' and target >= baseline:
            errors['target'] = _('To decrease, the target must be below the baseline')
    if errors or baseline is None or target is None:
        raise ValidationFailed(errors)
    return {'title': title, 'kpi': kpi, 'baseline': baseline, 'target': target, 'direction': direction}


def check_in(
    *, session: Session, actor: User, key_result_id: int, comment: str, confidence: int, value: Any = None
) -> CheckIn:
    """A dated check-in: a comment and a confidence from 1 to 10; a manual key result takes its new value here.
    The progress at that moment is kept with it, so the history reads without recomputing."""
    require(actor, MANAGE)
    result = session.get(KeyResult, key_result_id)
    if result is None or result.deleted_at is not None:
        raise NotFound(_('This key result no longer exists.'))
    errors: dict[str, str] = {}
    comment = (comment or '').strip()
    if len(comment) > 1000:
        errors['comment'] = _('Use at most {count} characters').format(count=formatting.number(1000))
    try:
        confidence = int(confidence)
    except (TypeError, ValueError):
        confidence = 0
    if not 1 <= confidence <= 10:
        errors['confidence'] = _('Enter a number from {minimum} to {maximum}').format(minimum=1, maximum=10)
    number = None
    if result.kpi is None:
        number = _number(value, 'value', errors)
    if errors:
        raise ValidationFailed(errors)
    objective = session.get(Objective, result.objective_id)
    assert objective is not None
    today = days.today(app_settings.value(session=session, key='time_zone'))
    if result.kpi is not None:
        data = periods.daily(session=session, keys=[result.kpi], first=objective.first_day, last=today)
        number = periods.value_over(result.kpi, data[result.kpi], objective.first_day, min(today, objective.last_day))
    entry = CheckIn(
        key_result_id=key_result_id,
        user_id=actor.id,
        value=number,
        progress=progress(result.baseline, result.target, number),
        confidence=confidence,
        comment=comment,
    )
    session.add(entry)
    stamp(result)
    session.add(result)
    audit.record(
        session,
        actor,
        'key_result.checked_in',
        'objective',
        objective.id,
        summary=sentence(
            N_('Check-in on “{title}”: confidence {confidence}/10'), title=result.title, confidence=confidence
        ),
    )
    _commit(session, objective.id)
    return entry


def delete_objective(*, session: Session, actor: User, objective_id: int) -> None:
    """Move an objective to the trash (its key results and check-ins go with it)."""
    require(actor, MANAGE)
    objective = session.get(Objective, objective_id)
    if objective is None or objective.deleted_at is not None:
        raise NotFound(_('This objective no longer exists.'))
    objective.deleted_at = utcnow()
    stamp(objective)
    session.add(objective)
    audit.record(
        session,
        actor,
        'objective.deleted',
        'objective',
        objective_id,
        summary=sentence(N_('Objective “{title}”'), title=objective.title),
    )
    _commit(session, objective_id)


# --- helpers ---------------------------------------------------------------------------------------------------------


def _result(
    result: KeyResult,
    objective: Objective,
    today: date,
    data: dict[str, dict[date, periods.Row]],
    latest: CheckIn | None,
) -> Result:
    if result.kpi is not None:
        end = min(today, objective.last_day)
        current = periods.value_over(result.kpi, data.get(result.kpi, {}), objective.first_day, end)
    else:
        current = latest.value if latest is not None else None
    done = progress(result.baseline, result.target, current)
    expected = expected_progress(objective.first_day, objective.last_day, today)
    return Result(
        result.id or 0,
        result.title,
        result.kpi,
        result.baseline,
        result.target,
        result.direction,
        current,
        done,
        expected,
        status(done, expected),
        latest.confidence if latest is not None else None,
        latest.comment if latest is not None else '',
        result.version,
    )


def _latest_check_ins(session: Session, ids: list[int]) -> dict[int, CheckIn]:
    if not ids:
        return {}
    rows = session.exec(select(CheckIn).where(col(CheckIn.key_result_id).in_(ids)).order_by(col(CheckIn.id)))
    return {row.key_result_id: row for row in rows}  # the newest wins


def _names(session: Session, ids: set[int | None]) -> dict[int, str]:
    wanted = [i for i in ids if i]
    if not wanted:
        return {}
    return {user.id or 0: user.name for user in session.exec(select(User).where(col(User.id).in_(wanted)))}


def _text(value: Any, field: str, errors: dict[str, str]) -> str:
    text = ' '.join(str(value or '').split())
    if not text:
        errors[field] = _('This field is required')
    elif len(text) > TITLE_LENGTH:
        errors[field] = _('Use at most {count} characters').format(count=formatting.number(TITLE_LENGTH))
    return text


def _number(value: Any, field: str, errors: dict[str, str]) -> float | None:
    try:
        typed = decimal_text(str(value))  # '€10,000', '1 234,5': as every typed amount is read
    except ValueError as ambiguous:  # '1.234' in French: said, not guessed
        errors[field] = str(ambiguous)
        return None
    try:
        number = float(typed)
    except (TypeError, ValueError):
        errors[field] = _('Enter a number')
        return None
    if number != number or number in (float('inf'), float('-inf')):
        errors[field] = _('Enter a number')
        return None
    return number


def _commit(session: Session, objective_id: int | None) -> None:
    events.after_commit(session, Topic.goals, {'id': objective_id, 'action': 'changed'})
    session.commit()


def _key_result_said(title: str, kpi: str | None, baseline: Any, target: Any) -> Sentence:
    """A key result saved, in the audit log: its measure (a KPI's name, or a number kept by hand) and its span."""
    return sentence(
        N_('Key result “{title}”: {measure} from {baseline} to {target}'),
        title=title,
        measure=word(BY_KEY[kpi].label, lower=True) if kpi in BY_KEY else word(N_('a number typed by hand')),
        baseline=count(baseline),
        target=count(target),
    )
