"""Support performance per agent over the requests opened in a period: volume, how many were solved, the median and
mean first response time and resolution time (in hours, from the request's creation; a request merged into another
counts in that one only), and the CSAT — the share of the
customers' ratings that are 4 or 5 out of 5 — with the mean rating. Requests nobody was assigned show as such."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlmodel import Session, col

from backoffice.i18n import N_, NP_, _
from backoffice.models import Ticket, User
from backoffice.reports.base import Chart, Column, Params, Table, frame, hours_between, span

if TYPE_CHECKING:  # pandas is imported when a report is computed (reports/base.py)
    import pandas as pd

UNASSIGNED = N_('Unassigned')
SATISFIED = 4  # a rating of 4 or 5 out of 5 counts as a satisfied customer


def support(session: Session, params: Params, zone: str, currency: str) -> Table:
    import pandas as pd

    start, end = span(params, zone)
    # durations in hours computed by the database: no instant is read back row by row
    query = select(
        col(Ticket.assignee_id),
        hours_between(session, col(Ticket.first_responded_at), col(Ticket.created_at)),
        hours_between(session, col(Ticket.solved_at), col(Ticket.created_at)),
        col(Ticket.rating),
    ).where(
        col(Ticket.created_at) >= start,
        col(Ticket.created_at) < end,
        # a request merged into another is that conversation, counted there: closed by the merge, it was counted
        # again as one solved at that moment, a resolution nobody gave
        col(Ticket.merged_into_id).is_(None),
    )
    if params.agent_id:
        query = query.where(col(Ticket.assignee_id) == params.agent_id)
    found = frame(session.execute(query).all(), ['agent', 'first_response', 'resolution', 'rating'])
    names = dict(session.execute(select(col(User.id), col(User.name))).all())
    columns = (
        Column('label', N_('Agent')),
        Column('volume', N_('Requests'), 'number', phone=True),
        Column('solved', NP_('requests counted', 'Solved'), 'number'),  # how many: French 'Résolues'
        Column('first_response_median', N_('First response, median'), 'hours', phone=True),
        Column('first_response_mean', N_('First response, mean'), 'hours'),
        Column('resolution_median', N_('Resolution, median'), 'hours'),
        Column('resolution_mean', N_('Resolution, mean'), 'hours'),
        Column('ratings', N_('Ratings'), 'number'),
        Column('csat', N_('CSAT'), 'percent', phone=True),
        Column('rating_mean', N_('Mean rating (out of 5)'), 'decimal'),
    )
    chart = Chart('bar', 'label', ('first_response_median', 'resolution_median'), unit=N_('Hours'))
    if found.empty:
        return Table(columns=columns, rows=[], chart=chart, currency=currency, totals=None)
    for name in ('first_response', 'resolution', 'rating'):
        found[name] = pd.to_numeric(found[name], errors='coerce')
    found['agent'] = found['agent'].astype('Int64')
    rows = [_figures(group, agent) for agent, group in found.groupby('agent', dropna=False)]
    for row in rows:
        row['label'] = names.get(row['key']) or _(UNASSIGNED) if row['key'] is not None else _(UNASSIGNED)
    rows.sort(key=lambda row: (-row['volume'], row['label']))
    totals = _figures(found, None)
    totals['label'] = _('All requests')
    return Table(columns=columns, rows=rows, chart=chart, currency=currency, totals=totals)


def _figures(group: pd.DataFrame, agent) -> dict:
    import pandas as pd

    ratings = group['rating'].dropna()
    return {
        'key': None if agent is None or pd.isna(agent) else int(agent),
        'volume': len(group),
        'solved': int(group['resolution'].notna().sum()),
        'first_response_median': _hours(group['first_response'].median()),
        'first_response_mean': _hours(group['first_response'].mean()),
        'resolution_median': _hours(group['resolution'].median()),
        'resolution_mean': _hours(group['resolution'].mean()),
        'ratings': len(ratings),
        'csat': float((ratings >= SATISFIED).mean()) if len(ratings) else None,
        'rating_mean': round(float(ratings.mean()), 2) if len(ratings) else None,
    }


def _hours(value) -> float | None:
    import pandas as pd

    return None if pd.isna(value) else round(float(value), 2)
