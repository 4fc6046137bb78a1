"""The system's own records shown through the engine: the audit log (read-only), each entry shown only to those who
may read the record it is about."""

from __future__ import annotations

from typing import Any

from sqlmodel import col

from backoffice.engine.declaration import RESOURCES, Card, Column, Filter, FormField, Resource, register
from backoffice.models import AuditEntry
from backoffice.permissions import PERMISSIONS, can

# Who may read the entries about records that are not a declared resource (a resource's entries follow its read
# permission). An entity in neither is shown to admins only; tests/test_audit_visibility.py fails on one.
ENTITY_PERMISSIONS = {
    'settings': 'settings.manage',
    'api_key': 'settings.manage',
    'system': 'system.manage',
    'invoices': 'orders.read',
    'segments': 'segments.read',
    'kpi_definitions': 'kpis.read',
    'saved_views': 'audit.read',
}


def entity_permissions() -> dict[str, str]:
    """Every audit entity and the permission needed to read its entries."""
    return {**ENTITY_PERMISSIONS, **{r.entity: r.read_permission for r in RESOURCES.values() if r.key != 'audit'}}


def readable_entries(actor: Any) -> list[Any]:
    """The audit entries this actor may read: those about records they may read (all of them for an admin)."""
    if all(can(actor, permission) for permission in PERMISSIONS):
        return []
    allowed = sorted(entity for entity, permission in entity_permissions().items() if can(actor, permission))
    return [col(AuditEntry.entity).in_(allowed)]


RECORD_TYPES = {
    'user': 'Staff user',
    'customers': 'Customer',
    'companies': 'Company',
    'content': 'Content',
    'products': 'Product',
    'categories': 'Category',
    'settings': 'Settings',
    'tickets': 'Request',
    'canned-replies': 'Canned reply',
    'api_key': 'API key',
}

AUDIT = register(
    Resource(
        key='audit',
        label='Audit log',
        singular='change',
        model=AuditEntry,
        create=None,
        update=None,
        permission='audit',
        title='summary',
        card=Card(title='summary', status='entity', secondary=('at', 'actor_email')),
        icon='history',
        soft_delete=False,
        plural='changes',
        description='Every change and sign-in: who, what, when, before and after',
        columns=(
            Column('at', 'When', kind='datetime'),
            Column('actor_email', 'Who'),
            Column('action', 'What', on_phone=False),
            Column('entity', 'Record type', kind='choice', choices=RECORD_TYPES, on_phone=False),
            Column('entity_id', 'Record', sortable=False, on_phone=False),
            Column('summary', 'Summary', sortable=False),
        ),
        fields=(
            FormField('at', 'When', kind='datetime', on_edit=False),
            FormField('actor_email', 'Who', on_edit=False),
            FormField('action', 'What', on_edit=False),
            FormField('entity', 'Record type', on_edit=False),
            FormField('entity_id', 'Record', on_edit=False),
            FormField('summary', 'Summary', kind='long_text', on_edit=False),
            FormField('changes', 'Changes (before → after)', kind='long_text', on_edit=False),
        ),
        search=('actor_email', 'action', 'summary'),
        filters=(
            Filter('entity', 'Record type', 'choice', choices=RECORD_TYPES),
            Filter('at', 'When', 'date_range'),
        ),
        default_sort='at',
        default_descending=True,
        row_filter=readable_entries,
    )
)
