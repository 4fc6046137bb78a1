"""The test process's own database connection (`backoffice.db`'s engine), put back after a browser test module pointed
it at the browser server's database to make records through the services (`db.configure(server.database_url)`).

Without it the next tests on the same pytest-xdist worker start with the server's engine and with caches read from the
server's database (the settings, the custom roles' stamp): page tests re-configure their own database, but any test or
helper that reads `db.get_engine()` before that, or trusts those caches, would read and write the browser server's rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from backoffice import db
from backoffice.config import reload_settings
from backoffice.services import app_settings, roles


@contextmanager
def database_put_back() -> Iterator[None]:
    """Whatever engine the process had on entry (none, or the page tests' worker database) is the one it has on exit;
    an engine configured meanwhile is closed, and the caches filled from its database are forgotten. The block starts
    as a fresh worker would, even after page tests: the settings read from the environment as it is now (a page test's
    were read from its own, with its temporary data folder and storage secret) and no setting or role cached."""
    before = db._engine  # the one engine, restored as it was (not re-created)
    _read_afresh()
    try:
        yield
    finally:
        now = db._engine
        if now is not before:
            if now is not None:
                now.dispose()
            db._engine = before
        _read_afresh()


def _read_afresh() -> None:
    reload_settings()
    app_settings.forget_cached()
    roles.forget()
