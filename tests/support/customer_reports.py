"""A customer report chosen as staff choose it on the company's or the customer's page: how often, and who gets it."""

from __future__ import annotations

from backoffice.db import session_scope
from backoffice.models import User
from backoffice.services import customer_reports


def choose_report(actor: User, frequency: str, recipients: list[int], **owner: int):
    """`owner`: company_id= (a company's report) or customer_id= (a customer's own); on the choice's current version."""
    with session_scope() as session:
        version = customer_reports.shown(session=session, actor=actor, **owner).version
        return customer_reports.save(
            session=session, actor=actor, frequency=frequency, recipients=recipients, version=version, **owner
        )
