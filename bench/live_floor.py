"""The floor for bench/requests_live.py: a bare NiceGUI page with a 25-row table shaped like /requests (same columns,
no sign-in, no database), and two HTTP routes that push a new row to every open page, or change a row in place, the
way a NiceGUI app with nothing else to do would (`table.rows = ...` on each client, from one `Event`).

    .venv/bin/python bench/live_floor.py PORT

POST /floor/requests {"subject"}: a new row at the top of every page. PATCH /floor/requests {"subject", "status",
"assignee"}: that row changed on every page. GET /healthz: ok. Not a test, not part of the app.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime

from fastapi import Request
from nicegui import Event, app, ui

COLUMNS = [
    {'name': name, 'label': label, 'field': name, 'align': 'left'}
    for name, label in (
        ('number', 'No.'),
        ('sla_due_at', 'SLA due'),
        ('subject', 'Subject'),
        ('customer_id', 'Customer'),
        ('type', 'Type'),
        ('priority', 'Priority'),
        ('status', 'Status'),
        ('assignee_id', 'Assignee'),
        ('updated_at', 'Updated'),
    )
]
pushed: Event[dict] = Event()
_number = [200_000]


def _row(subject: str) -> dict:
    _number[0] += 1
    return {
        'id': _number[0],
        'number': str(_number[0]),
        'sla_due_at': 'in 8 h',
        'subject': subject,
        'customer_id': 'Bench Poster',
        'type': 'Question',
        'priority': 'Normal',
        'status': 'New',
        'assignee_id': '',
        'updated_at': datetime.now(UTC).strftime('%d/%m/%Y %H:%M'),
    }


ROWS = [_row(f'Seeded request {n}') for n in range(25)]


@ui.page('/')
def page() -> None:
    table = ui.table(columns=COLUMNS, rows=[dict(r) for r in ROWS], row_key='id').classes('w-full')

    def on_push(change: dict) -> None:
        if change['action'] == 'created':
            table.rows = [dict(change['row']), *table.rows[:24]]
        else:
            table.rows = [dict(change['row']) if r['subject'] == change['row']['subject'] else r for r in table.rows]

    pushed.subscribe(on_push)


@app.post('/floor/requests')
async def create(request: Request) -> dict:
    row = _row((await request.json())['subject'])
    ROWS[:] = [row, *ROWS[:24]]
    pushed.emit({'action': 'created', 'row': row})
    return {'id': row['id']}


@app.patch('/floor/requests')
async def change(request: Request) -> dict:
    body = await request.json()
    for row in ROWS:
        if row['subject'] == body['subject']:
            row.update(status=body['status'], assignee_id=body['assignee'])
            pushed.emit({'action': 'updated', 'row': dict(row)})
    return {}


@app.get('/healthz')
def healthz() -> dict:
    return {'ok': True}


if __name__ in {'__main__', '__mp_main__'}:
    ui.run(port=int(sys.argv[1]), host='127.0.0.1', reload=False, show=False, storage_secret='floor-secret-0123456789')
