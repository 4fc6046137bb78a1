"""One way dates, times and amounts read everywhere: backoffice/formatting.py, used by lists, forms, PDFs, messages and
the dashboard. Guard: no page, component or service formats a date for a person by itself (strftime, an f-string
date format, isoformat), so that the French formats (issue #14) are one module's change."""

from __future__ import annotations

import ast
import re
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

from backoffice import formatting
from backoffice.resources.sales import ORDER_STATUSES

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted(
    path
    for path in [*ROOT.glob('pages/**/*.py'), *ROOT.glob('components/**/*.py'), *ROOT.glob('backoffice/**/*.py')]
    if 'migrations' not in path.parts and path != ROOT / 'backoffice' / 'formatting.py'
)
DATE_SPEC = re.compile(r'%[aAbBdHIjmMpSyYZ]')

# Machine formats, not text for a person. Key: (file relative to the root, line text).
ALLOWED = {
    ('pages/dashboard.py', "ui.date({'from': period.first.isoformat(), 'to': period.last.isoformat()})"),  # picker
    ('pages/dashboard.py', "picker.props[':options'] = f\"day => day <= '{today:%Y/%m/%d}'\""),  # Quasar's days
    ('components/kpi_widgets.py', 'day.isoformat() for day in table.index'),  # Plotly's x axis
    ('components/kpi_widgets.py', 'timedelta(hours=12)).isoformat()'),  # Plotly's x axis: today's band
    ('components/resource_form.py', "value.strftime('%Y-%m-%dT%H:%M')"),  # a datetime input's value
    ('components/resource_form.py', 'return value.isoformat()'),  # a date input's value
    ('components/resource_table.py', 'value.isoformat() if value else None'),  # the countdown's data for the browser
    ('components/session_renewal.py', 'isoformat()'),  # stored in the session
    ('components/session.py', 'isoformat()'),  # stored in the session
    ('components/portal_session.py', 'isoformat()'),  # stored in the session
    ('backoffice/services/backups.py', "strftime('%Y%m%d-%H%M%S')"),  # a file name
    ('backoffice/transfer/exports.py', '{utcnow():%Y-%m-%d-%H%M}'),  # a file name
    ('backoffice/transfer/order_lines.py', '{utcnow():%Y-%m-%d-%H%M}'),  # a file name
    ('backoffice/listing/filters.py', 'isoformat()'),  # a date filter in a list's address
    ('components/resource_table.py', "field.value = day.isoformat() if day else ''"),  # a date input's value
    ('backoffice/transfer/exports.py', 'isoformat()'),  # exported files carry ISO values for other programs
    ('backoffice/transfer/import_read.py', 'isoformat('),  # a cell's date read as the text compared with the record
    ('backoffice/transfer/import_plan.py', 'isoformat('),  # values stored JSON-safe, as the audit log stores them
    ('backoffice/kpi/sources.py', "func.strftime('%Y-%m-%d %H:%M:%f000'"),  # SQL
    ('backoffice/kpi/refresh.py', 'now.isoformat()'),  # a stored watermark
    ('backoffice/services/views.py', 'v.isoformat()'),  # a saved view's stored filter
    ('backoffice/services/webhooks.py', 'value.isoformat()'),  # a webhook's JSON payload
    ('backoffice/services/audit.py', 'value.isoformat()'),  # the audit log's stored diff
    ('backoffice/services/api_keys.py', 'key.revoked_at.isoformat()'),  # the audit log's stored diff
    ('backoffice/services/ticket_sla.py', 'now.isoformat()'),  # the audit log's stored diff
    ('backoffice/services/ticket_snooze.py', "'snoozed_until': [until.isoformat()"),  # the audit log's stored diff
    ('backoffice/stored_text.py', "{'instant': value.isoformat()}"),  # a stored text's value, formatted when shown
    ('backoffice/stored_text.py', "{'day': value.isoformat()}"),  # a stored text's value, formatted when shown
    ('components/date_input.py', 'return day.isoformat()  # the value'),  # the ISO value forms and filters read
    ('backoffice/transfer/report_files.py', 'return value.isoformat()'),  # a report's CSV carries ISO days
    ('pages/reports.py', '.isoformat(), on_change=self.show)'),  # a report's date input's ISO value
    ('backoffice/services/digest.py', "return f'{frequency}:{day.isoformat()}'"),  # a stored period key
    ('backoffice/services/customer_reports.py', "return f'{frequency}:{last.isoformat()}'"),  # a stored period key
    ('pages/accounting.py', '.isoformat(), on_change=self.show)'),  # the export period's date inputs' ISO values
    ('pages/accounting.py', '.isoformat())  # the ISO value the input holds'),  # a preset period, the same
    ('backoffice/transfer/accounting_files.py', 'return value.isoformat()'),  # the accounting CSV carries ISO days
    ('backoffice/services/fec.py', 'FEC{last:%Y%m%d}.txt'),  # the FEC's file name the law sets (SIRENFECAAAAMMJJ)
    ('backoffice/services/fec.py', "day = f'{entry.day:%Y%m%d}'"),  # the FEC's dates: AAAAMMJJ, as the law sets
    ('components/cashflow_charts.py', 'week.monday.isoformat() for week in weeks'),  # Plotly's x axis
    ('backoffice/seed/finance.py', 'isoformat()}</Dt>'),  # the demo bank statement: CAMT.053's ISO days
    ('backoffice/seed/finance.py', "f'{reference}-{booked:%Y%m}'"),  # a demo transfer's reference
    ('backoffice/seed/finance.py', '<AcctSvcrRef>DEMO{day:%Y%m%d}'),  # CAMT.053: the bank's entry reference
    ('backoffice/seed/finance.py', '<MsgId>DEMO-{today:%Y%m%d}</MsgId>'),  # CAMT.053: the message's id
    ('backoffice/seed/finance.py', '<Ntry><NtryRef>{number}</NtryRef>'),  # CAMT.053: an entry (ISO days)
    ('backoffice/seed/finance.py', '<?xml version="1.0" encoding="UTF-8"?>'),  # CAMT.053: the statement (ISO days)
}


def test_no_screen_or_service_formats_a_date_by_itself() -> None:
    found = []
    for path in SOURCES:
        text = path.read_text()
        relative = path.relative_to(ROOT).as_posix()
        for node in ast.walk(ast.parse(text)):
            segment = ''
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                if node.func.attr in {'strftime', 'isoformat'}:
                    segment = ast.get_source_segment(text, node) or ''
            elif isinstance(node, ast.FormattedValue) and node.format_spec is not None:
                spec = ast.get_source_segment(text, node.format_spec) or ast.unparse(node.format_spec)
                if DATE_SPEC.search(spec):
                    segment = ast.get_source_segment(text, node) or ast.unparse(node)
            if not segment:
                continue
            line = text.splitlines()[node.lineno - 1]
            if any(relative == file and snippet in line for file, snippet in ALLOWED):
                continue
            found.append(f'{relative}:{node.lineno}: {line.strip()[:110]}')
    assert not found, 'Format dates with backoffice/formatting.py:\n' + '\n'.join(found)


def test_one_format_for_days_and_instants() -> None:
    instant = datetime(2026, 3, 7, 9, 5, tzinfo=UTC)
    assert formatting.day(date(2026, 3, 7)) == '2026-03-07'
    assert formatting.day(instant) == '2026-03-07'
    assert formatting.when(instant) == '2026-03-07 09:05 UTC'
    assert formatting.when(instant.astimezone(timezone(timedelta(hours=2)))) == '2026-03-07 09:05 UTC'
    assert formatting.when(instant.replace(tzinfo=None)) == '2026-03-07 09:05 UTC'  # naive: stored UTC
    assert formatting.when(None) == formatting.day(None) == '—'
    assert formatting.days(date(2026, 3, 1), date(2026, 3, 7)) == '2026-03-01 – 2026-03-07'
    assert formatting.days(date(2026, 3, 1), date(2026, 3, 1)) == '2026-03-01'  # one day, not '2026-03-01 – 2026-03-01'
    assert formatting.clock(instant, 'Europe/Berlin') == '10:05'
    assert formatting.display_value(instant) == formatting.when(instant)  # a list cell reads like a message
    assert formatting.display_value(date(2026, 3, 7)) == '2026-03-07'
    assert formatting.money(Decimal('1234.5')) == '1,234.50'


def test_statuses_read_by_their_labels() -> None:
    assert formatting.label('pending', ORDER_STATUSES) == 'Pending payment'
    assert formatting.display_value('pending', 'choice', ORDER_STATUSES) == 'Pending payment'
    assert formatting.label('in_progress', None) == 'In progress'  # a value without a label still reads as words


def test_a_deadline_under_a_minute_away_reads_less_than_a_minute_not_zero() -> None:
    now = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    assert formatting.due(now + timedelta(seconds=40), now) == 'in < 1 min'
    assert formatting.due(now - timedelta(seconds=40), now) == 'overdue < 1 min'
    assert formatting.due(now + timedelta(minutes=4, seconds=10), now) == 'in 4 min'
    assert formatting.due(now + timedelta(hours=2, minutes=5), now) == 'in 2 h 05 min'
