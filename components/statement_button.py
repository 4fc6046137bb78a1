"""A customer's or a company's statement (PDF): every open invoice and the ageing, in their language; the button of
their page and the download the receivables screen uses."""

from __future__ import annotations

from nicegui import ui

from backoffice.db import read_session
from backoffice.i18n import N_, _
from backoffice.models import User
from backoffice.permissions import can
from backoffice.services import statement

from .forms import FAILED, call
from .session import acting_user

LABEL = N_('Statement (PDF)')


def statement_button(user: User, *, customer_id: int | None = None, company_id: int | None = None) -> None:
    """Shown to those who may read receivables (the service checks again when the file is made)."""
    if not can(user, 'finance.read'):
        return
    anchor = ui.row().classes('w-full justify-end')
    with anchor:

        async def download() -> None:
            with anchor:
                await download_statement(customer_id=customer_id, company_id=company_id)

        ui.button(_(LABEL), icon='description', on_click=download).props('outline').mark('statement')


async def download_statement(*, customer_id: int | None, company_id: int | None) -> None:
    """Make the statement in a worker thread and hand it to this browser (call inside a live element's context)."""
    actor = acting_user()
    if actor is None:
        return

    def make() -> tuple[bytes, str]:
        with read_session() as session:
            return statement.statement_pdf(session=session, actor=actor, customer_id=customer_id, company_id=company_id)

    made = await call(make)
    if made is not FAILED:
        ui.download.content(made[0], made[1], 'application/pdf')
