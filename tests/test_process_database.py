"""The browser tests make their records through the services in the browser server's database
(`db.configure(server.database_url)` in the test process); after a browser test module the process has its own
database back (tests/support/process_database.py), so a page test that follows on the same worker never sees or changes
the server's records."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select

from backoffice import db
from backoffice.db import read_session
from backoffice.models import Customer

from .support.databases import fresh_database
from .support.factories import make_customer
from .support.process_database import database_put_back


def emails() -> set[str]:
    with read_session() as session:
        return {customer.email for customer in session.exec(select(Customer))}


def test_records_made_in_another_database_stay_there_and_the_process_gets_its_own_back(tmp_path: Path) -> None:
    own = db.get_engine()
    make_customer('own.before@example.com')
    other_url, drop = fresh_database(tmp_path, 'other')
    try:
        with database_put_back():
            db.migrate(db.configure(other_url))
            make_customer('made.elsewhere@example.com')
            assert emails() == {'made.elsewhere@example.com'}
        assert db.get_engine() is own
        make_customer('own.after@example.com')
        assert emails() == {'own.before@example.com', 'own.after@example.com'}
    finally:
        drop()
