"""Locust through nginx against a running deployment (deploy/stack.py), and the database check after it: shared by
bench/deploy_load.py (the full load test) and deploy/smoke.py (a short version of it, as CI runs it)."""

from __future__ import annotations

import collections
import csv
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Integer, String, column, create_engine, text

from deploy.stack import ROOT, Stack

LOCUSTFILE = ROOT / 'bench' / 'locustfile.py'


@dataclass
class Files:
    acks: Path
    replies: Path
    csv_prefix: Path

    @classmethod
    def under(cls, folder: Path) -> Files:
        files = cls(folder / 'acks.txt', folder / 'replies.txt', folder / 'locust')
        files.acks.write_text('')
        files.replies.write_text('')
        return files


def start_locust(
    stack: Stack, files: Files, *, users: int, seconds: int, env: dict[str, str], fast: bool = False
) -> subprocess.Popen:
    """`locust --headless` with bench/locustfile.py through nginx, in the background (its output: locust.out).
    `fast` (a short run): all users start at once, people wait 1–3 s between two page actions and reply or export as
    often as they browse, and a stop waits 3 s for the calls in flight, not 10."""
    env = {
        **os.environ,
        **env,
        'LOAD_ACK_FILE': str(files.acks),
        'LOAD_REPLY_FILE': str(files.replies),
        'LOAD_FAST': '1' if fast else '0',
    }
    return subprocess.Popen(
        [sys.executable, '-m', 'locust', '-f', str(LOCUSTFILE), '--headless']
        + ['-u', str(users), '-r', str(users if fast else max(1, users // 5)), '-t', f'{seconds}s', '--host', stack.url]
        + [
            '--csv',
            str(files.csv_prefix),
            '--only-summary',
            '--stop-timeout',
            '3' if fast else '10',
            '--loglevel',
            'WARNING',
        ],
        cwd=ROOT,
        env=env,
        stdout=(stack.work / 'locust.out').open('wb'),
        stderr=subprocess.STDOUT,
    )


@dataclass
class Stats:
    rows: list[dict[str, str]]
    failures: list[dict[str, str]]

    @property
    def total(self) -> dict[str, str]:
        return next(row for row in self.rows if row['Name'] == 'Aggregated')

    @property
    def calls(self) -> int:
        return int(self.total['Request Count'])

    @property
    def failed(self) -> int:
        return int(self.total['Failure Count'])

    def count(self, name_part: str) -> int:
        return sum(int(row['Request Count']) for row in self.rows if name_part in row['Name'] and row['Type'])

    def lines(self, elapsed: float) -> list[str]:
        out = [f'{"action":<44}{"n":>6}{"fail":>5}{"/s":>6}{"p50":>7}{"p95":>7}{"p99":>7}{"max":>7}  (ms)']
        for row in self.rows:
            out.append(
                f'{(row["Type"] + " " + row["Name"]).strip()[:44]:<44}{int(row["Request Count"]):>6}'
                f'{int(row["Failure Count"]):>5}{float(row["Requests/s"]):>6.1f}{row["50%"]:>7}{row["95%"]:>7}'
                f'{row["99%"]:>7}{float(row["Max Response Time"]):>7.0f}'
            )
        out.append(f'(wall time {elapsed:.0f} s)')
        for row in self.failures:
            out.append(f'failures: {row["Occurrences"]} × {row["Method"]} {row["Name"]}: {row["Error"][:240]}')
        return out


def read_stats(files: Files) -> Stats:
    stats = Path(f'{files.csv_prefix}_stats.csv')
    failures = Path(f'{files.csv_prefix}_failures.csv')
    return Stats(
        list(csv.DictReader(stats.open())),
        list(csv.DictReader(failures.open())) if failures.exists() else [],
    )


@dataclass
class Check:
    """What the database holds after the run, against what the load was told."""

    requests: int = 0
    orders: int = 0
    replies: int = 0
    lost: dict[str, int] = field(default_factory=dict)  # acknowledged, not in the database
    doubled: dict[str, int] = field(default_factory=dict)  # stored more than once
    jobs: list[str] = field(default_factory=list)  # one line per scheduled job
    jobs_twice: list[str] = field(default_factory=list)  # a job that ran while another run of it still ran

    @property
    def ok(self) -> bool:
        return not any(self.lost.values()) and not any(self.doubled.values()) and not self.jobs_twice

    def lines(self) -> list[str]:
        return [
            f'database: {self.requests} acknowledged requests, {self.lost["request"]} missing, '
            f'{self.doubled["request"]} duplicated; {self.orders} acknowledged orders, {self.lost["order"]} missing, '
            f'{self.doubled["order"]} duplicated; {self.replies} replies sent from pages, {self.lost["reply"]} '
            f'missing, {self.doubled["reply"]} duplicated',
            *self.jobs,
            *(f'RAN TWICE AT ONCE: {line}' for line in self.jobs_twice),
        ]


def check_database(stack: Stack, files: Files) -> Check:
    acked: dict[str, set[str]] = {'request': set(), 'order': set()}
    for line in files.acks.read_text().splitlines():
        kind, number = line.split()
        acked[kind].add(number)
    sent = set(re.findall(r'Reply (\w+):', files.replies.read_text()))  # '<number> Reply <hex>: …' per line
    engine = create_engine(stack.database_url)
    with engine.connect() as connection:
        requests = {str(row[0]) for row in connection.execute(text('SELECT number FROM tickets'))}
        orders = {str(row[0]) for row in connection.execute(text('SELECT number FROM orders'))}
        doubled_requests = connection.execute(
            text("SELECT count(*) - count(DISTINCT subject) FROM tickets WHERE subject LIKE 'Load %'")
        ).scalar_one()
        doubled_orders = connection.execute(
            text('SELECT count(*) - count(DISTINCT external_id) FROM orders WHERE external_id IS NOT NULL')
        ).scalar_one()
        bodies = connection.execute(
            text("SELECT body FROM ticket_messages WHERE kind = 'reply' AND body LIKE 'Reply %'")
        ).scalars()
        stored = collections.Counter(m.group(1) for body in bodies if (m := re.match(r'Reply (\w+):', body)))
        from backoffice.models.base import UTCTimestamp

        kpi_runs = connection.execute(
            text('SELECT job, started_at FROM kpi_job_runs ORDER BY job, started_at').columns(
                column('job', String), column('started_at', UTCTimestamp())
            )
        ).all()
        runs = connection.execute(
            text('SELECT job, started_at, duration_ms FROM job_runs ORDER BY job, started_at').columns(
                column('job', String), column('started_at', UTCTimestamp()), column('duration_ms', Integer)
            )
        ).all()
    engine.dispose()
    check = Check(requests=len(acked['request']), orders=len(acked['order']), replies=len(sent))
    check.lost = {
        'request': len(acked['request'] - requests),
        'order': len(acked['order'] - orders),
        'reply': len(sent - set(stored)),
    }
    check.doubled = {
        'request': doubled_requests,
        'order': doubled_orders,
        'reply': sum(n - 1 for n in stored.values() if n > 1),
    }
    for job in sorted({job for job, _at in kpi_runs}):
        starts = [at for name, at in kpi_runs if name == job]
        gaps = [(later - earlier).total_seconds() for earlier, later in zip(starts, starts[1:], strict=False)]
        shortest = f'shortest gap {min(gaps):.0f} s' if gaps else 'no gap'
        close = sum(1 for g in gaps if g < 30)
        check.jobs.append(f'KPI job {job}: {len(starts)} runs, {shortest}, {close} within 30 s of another')
        if job == 'kpi-refresh' and close:
            check.jobs_twice.append(f'{job}: {close} runs within 30 s of another (one a minute)')
    for job in sorted({job for job, _at, _ms in runs}):
        mine = [(at, ms) for name, at, ms in runs if name == job]
        overlapping = sum(
            1
            for (at, ms), (later, _) in zip(mine, mine[1:], strict=False)
            if ms is not None and (later - at).total_seconds() * 1000 < ms
        )
        unfinished = sum(1 for _at, ms in mine if ms is None)  # still running, or its process was killed
        gaps = [(b[0] - a[0]).total_seconds() for a, b in zip(mine, mine[1:], strict=False)]
        check.jobs.append(
            f'job {job}: {len(mine)} runs'
            + (f', shortest gap {min(gaps):.1f} s' if gaps else '')
            + f', {overlapping} started while the one before still ran'
            + (f', {unfinished} not finished' if unfinished else '')
        )
        if overlapping:
            check.jobs_twice.append(f'{job}: {overlapping} runs overlapped')
    if not kpi_runs and not runs:
        check.jobs.append('no scheduled job ran during the run')
    return check
