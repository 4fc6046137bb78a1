"""How fast the support mailbox reads mail: N mails placed in a real Dovecot (started here like the tests do; apt-get
install dovecot-imapd) — new requests, replies quoting a request's number, some with a 200 KB attachment, some
auto-replies — then the `mailboxes` job's runs timed until all are read. A run reads at most 200 mails; the job runs
each minute, so it must take well under a minute. Not a test: nothing is asserted.

    .venv/bin/python bench/mailbox_intake.py --mails 1000
"""

from __future__ import annotations

import argparse
import imaplib
import os
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.imap_server import Dovecot  # noqa: E402


def mail(n: int) -> bytes:
    message = EmailMessage()
    message['From'] = f'Customer {n % 50} <customer{n % 50}@example.com>'
    message['Message-ID'] = f'<bench{n}@example.com>'
    if n % 10 == 9:
        message['Subject'] = 'Out of office'
        message['Auto-Submitted'] = 'auto-replied'
    elif n % 3 == 1 and n > 50:
        message['Subject'] = f'Re: Order question [#{1001 + n % 50}]'
    else:
        message['Subject'] = f'Order question {n}'
    message.set_content(f'Hello,\n\nwhere is my order {n}?\n\nOn Monday, Shop wrote:\n> Thanks for your order.\n')
    if n % 20 == 0:
        message.add_attachment(os.urandom(200_000), maintype='image', subtype='jpeg', filename=f'photo{n}.jpg')
    return bytes(message)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--mails', type=int, default=1000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix='mailbox-intake-'))
    server = Dovecot().start()
    os.environ.update(
        BACKOFFICE_DATABASE_URL=os.environ.get('BENCH_DATABASE_URL', f'sqlite:///{work / "intake.db"}'),
        BACKOFFICE_DATA_DIR=str(work / 'data'),
        BACKOFFICE_ALLOW_PRIVATE_MAILBOXES='1',
        BACKOFFICE_MAILBOX_CA_FILE=str(server.ca_file),
    )
    from backoffice import db
    from backoffice.config import get_settings
    from backoffice.services import mail_intake, mailboxes, users

    try:
        db.migrate(db.configure(get_settings().database_url))
        account = server.add_user()
        with db.session_scope() as session:
            admin = users.create_user(
                session=session,
                actor=None,
                system=True,
                data={'email': 'bench@example.com', 'name': 'Bench', 'role': 'admin', 'password': 'Maple-Orbit-5521-z'},
            ).user
            mailboxes.create_mailbox(
                session=session,
                actor=admin,
                data={
                    'name': 'Support',
                    'host': '127.0.0.1',
                    'port': server.imaps_port,
                    'username': account[0],
                    'password': account[1],
                },
            )
        client = server.client(*account)
        started = time.perf_counter()
        for n in range(args.mails):
            client.append('INBOX', None, imaplib.Time2Internaldate(time.time()), mail(n).replace(b'\n', b'\r\n'))
        client.logout()
        print(f'{args.mails:,} mails placed in {time.perf_counter() - started:.1f} s')
        totals: dict[str, int] = {}
        runs, started = [], time.perf_counter()
        while sum(totals.values()) < args.mails:
            run_started = time.perf_counter()
            counts = mail_intake.poll_all()
            runs.append(time.perf_counter() - run_started)
            if not counts:
                break
            for key, value in counts.items():
                totals[key] = totals.get(key, 0) + value
        elapsed = time.perf_counter() - started
        print(
            f'{sum(totals.values()):,} mails read in {elapsed:.1f} s over {len(runs)} runs '
            f'(longest run {max(runs):.1f} s): {sum(totals.values()) / elapsed:,.0f} mails/s, '
            f'{elapsed * 1000 / max(1, sum(totals.values())):.0f} ms a mail; {totals}; '
            f'load {os.getloadavg()[0]:.1f}'
        )
    finally:
        server.stop()


if __name__ == '__main__':
    main()
