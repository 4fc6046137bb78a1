"""The owner's KPI definitions (what an active user is, the abandonment window, when a customer is at risk): the
newest dated record is in force; every change is kept, audited, and recomputes the history it affects."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from sqlmodel import Session, col, select

from backoffice import db
from backoffice.errors import StaleRecord, ValidationFailed
from backoffice.i18n import N_, _, ngettext
from backoffice.models import EventType, KpiDefinition, User
from backoffice.permissions import require
from backoffice.services import audit
from backoffice.stored_text import joined, sentence, word
from backoffice.validation import whole

ACTIVITY_TYPES = [t.name for t in EventType]
EVENT_LABELS = {  # how each usage event type reads on screen (the drill-down, the segment builder, the settings)
    'visit': N_('Visit'),
    'page_view': N_('Page view'),
    'signup_started': N_('Sign-up started'),
    'signup_completed': N_('Sign-up completed'),
    'login': N_('Sign-in'),
    'product_viewed': N_('Product viewed'),
    'cart_add': N_('Added to cart'),
    'checkout_started': N_('Checkout started'),
    'order_placed': N_('Order placed'),
}


@dataclass(frozen=True)
class Definitions:
    active_min_events: int = 1  # an active user has at least this many events …
    active_days: int = 30  # … in this many days up to the day counted …
    active_types: tuple[str, ...] = (
        'visit',
        'page_view',
        'login',
        'product_viewed',
        'cart_add',
        'checkout_started',
        'order_placed',
    )  # … of these types
    abandonment_hours: int = 24  # a started sign-up or checkout not finished within this is abandoned
    at_risk_days: int = 14  # a customer active before but not for this many days is at risk

    def describe_active(self) -> str:
        types = ', '.join(_(EVENT_LABELS.get(t, t)).lower() for t in self.active_types)
        return ngettext(
            'Customers with at least {n} event ({types}) in the {days} days up to that day.',
            'Customers with at least {n} events ({types}) in the {days} days up to that day.',
            self.active_min_events,
        ).format(n=self.active_min_events, types=types, days=self.active_days)


LIMITS = {
    'active_min_events': (1, 1000),
    'active_days': (1, 365),
    'abandonment_hours': (1, 24 * 14),
    'at_risk_days': (1, 365),
}
LABELS = {
    'active_min_events': N_('Events needed to count as active'),
    'active_days': N_('Days looked back for activity'),
    'active_types': N_('Which events count as activity'),
    'abandonment_hours': N_('Abandonment window (hours)'),
    'at_risk_days': N_('At risk after this many inactive days'),
}
AFFECTS = {
    'active_min_events': ('active_users',),
    'active_days': ('active_users',),
    'active_types': ('active_users',),
    'abandonment_hours': ('signup_abandonment', 'checkout_abandonment'),
    'at_risk_days': (),
}  # segments read it live


def affected(diff: dict[str, Any]) -> list[str]:
    """The KPIs whose history a change of these definitions alters."""
    return sorted({key for name in diff for key in AFFECTS[name]})


def current(*, session: Session) -> Definitions:
    row = session.exec(select(KpiDefinition).order_by(col(KpiDefinition.id).desc()).limit(1)).first()
    return _from_values(row.values) if row else Definitions()


def history(*, session: Session, limit: int = 20) -> list[KpiDefinition]:
    return list(session.exec(select(KpiDefinition).order_by(col(KpiDefinition.id).desc()).limit(limit)))


def change(
    *, session: Session, actor: User, values: dict[str, Any], seen: dict[str, Any] | None = None
) -> tuple[Definitions, dict[str, list[Any]]]:
    """Save new definitions as a dated record; returns them and what changed (empty: nothing was saved). The caller
    starts the recompute of history (refresh.start_recompute) after this commit. `seen`: the definitions the editor
    was shown; only what they changed from it is saved (a colleague's change since to another one stays), and one a
    colleague changed since is refused (StaleRecord). Two saves at once take turns (db.one_at_a_time): the second reads
    what the first saved, so a colleague's change is never overwritten unseen."""
    require(actor, 'settings.manage')
    db.one_at_a_time(session, 'kpi_definitions')
    before = current(session=session)
    if seen is not None:
        shown = clean(dict(seen))
        typed = clean({**asdict(shown), **values})
        edited = [name for name in LABELS if getattr(typed, name) != getattr(shown, name)]
        if any(getattr(before, name) != getattr(shown, name) for name in edited):
            last = history(session=session, limit=1)
            raise StaleRecord(
                N_('KPI definition'),
                audit.named(session, last[0].changed_by) if last else None,
                last[0].changed_at if last else None,
                0,
            )
        values = {name: getattr(typed, name) for name in edited}
    after = clean({**asdict(before), **values})
    diff = {
        name: [_plain(getattr(before, name)), _plain(getattr(after, name))]
        for name in LABELS
        if getattr(before, name) != getattr(after, name)
    }
    if not diff:
        return before, {}
    session.add(KpiDefinition(changed_by=actor.email, values=_values(after)))
    audit.record(
        session,
        actor,
        'kpis.definitions_changed',
        'kpi_definitions',
        None,
        changes=diff,
        summary=sentence(
            N_('Changed KPI definitions: {definitions}'),
            definitions=joined([word(LABELS[name], lower=True) for name in diff]),
        ),
    )
    session.commit()
    return after, diff


def clean(values: dict[str, Any]) -> Definitions:
    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = {}
    for name, (low, high) in LIMITS.items():
        try:
            number = whole(values.get(name))  # '1,5' refused, never read as 15
        except ValueError:
            errors[name] = _('Enter a whole number')
            continue
        if not low <= number <= high:
            errors[name] = _('Enter a number from {low} to {high}').format(low=low, high=high)
        cleaned[name] = number
    types = tuple(t for t in ACTIVITY_TYPES if t in set(values.get('active_types') or ()))
    unknown = set(values.get('active_types') or ()) - set(ACTIVITY_TYPES)
    if unknown or not types:
        errors['active_types'] = _('Choose at least one of the listed event types')
    if errors:
        raise ValidationFailed(errors)
    return Definitions(**cleaned, active_types=types)


def _from_values(values: dict[str, Any]) -> Definitions:
    known = {f.name for f in fields(Definitions)}
    data = {k: v for k, v in values.items() if k in known}
    if 'active_types' in data:
        data['active_types'] = tuple(data['active_types'])
    return Definitions(**data)


def _values(definitions: Definitions) -> dict[str, Any]:
    return {name: _plain(value) for name, value in asdict(definitions).items()}


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value
