"""The system's own records shown through the engine: the audit log (read-only), each entry shown only to those who
may read the record it is about."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlmodel import SQLModel, col

from backoffice.engine.declaration import RESOURCES, Card, Column, Filter, FormField, Resource, register
from backoffice.models import AuditEntry, Invoice
from backoffice.permissions import PERMISSIONS, can


@dataclass(frozen=True)
class AuditedType:
    """A kind of record the log has entries about that is not a declared resource: who may read its entries (else
    admins only; tests/test_audit_visibility.py fails on an undeclared one), what the log calls it, where it is."""

    permission: str
    label: str  # 'Invoices', as the record-type filter offers it
    singular: str  # 'invoice', as a sentence names one
    link: str = ''  # the screen that shows it, as a resource's link: '/orders/{order_id}'
    model: type[SQLModel] | None = None  # its table, when an entry's record id finds a row there
    related: dict[str, str] = field(default_factory=dict)  # link fields that stand for another resource's record


OTHER_AUDITED_TYPES = {
    'settings': AuditedType('settings.manage', 'Settings', 'settings', '/settings'),
    'api_key': AuditedType('settings.manage', 'API keys', 'API key', '/settings'),
    'system': AuditedType('system.manage', 'System', 'system', '/system'),
    'invoices': AuditedType(
        'invoices.read', 'Invoices', 'invoice', '/orders/{order_id}', model=Invoice, related={'order_id': 'orders'}
    ),
    'segments': AuditedType('segments.read', 'Segments', 'segment', '/segments'),
    'kpi_definitions': AuditedType('kpis.read', 'KPI definitions', 'KPI definition'),
    'saved_views': AuditedType('audit.read', 'Saved views', 'saved view'),
}
ENTITY_PERMISSIONS = {entity: audited.permission for entity, audited in OTHER_AUDITED_TYPES.items()}
# where a resource's own label does not say what its records are once outside its screen
LABELS_IN_THE_LOG = {
    'stock': 'Stock levels',
    'stock-movements': 'Stock movements',
    'webhook-deliveries': 'Webhook deliveries',
}


def entity_permissions() -> dict[str, str]:
    """Every audit entity and the permission needed to read its entries."""
    return {**ENTITY_PERMISSIONS, **{r.entity: r.read_permission for r in audited_resources().values()}}


def audited_resources() -> dict[str, Resource]:
    """entity → the declared resource whose records its entries are about (the first one, when two share an entity)."""
    found: dict[str, Resource] = {}
    for declared in RESOURCES.values():
        if declared.key != 'audit':
            found.setdefault(declared.entity, declared)
    return found


def readable_entries(actor: Any) -> list[Any]:
    """The audit entries this actor may read: those about records they may read (all of them for an admin)."""
    if all(can(actor, permission) for permission in PERMISSIONS):
        return []
    allowed = sorted(entity for entity, permission in entity_permissions().items() if can(actor, permission))
    return [col(AuditEntry.entity).in_(allowed)]


# What the record-type filter offers ('Orders') and a row shows ('Order'): every audited type, filled in by
# name_record_types() once every resource is registered (backoffice/resources/__init__.py), so that a new resource
# is offered without anyone adding it here.
RECORD_TYPES: dict[str, str] = {}
RECORD_TYPE: dict[str, str] = {}


def name_record_types() -> None:
    """Fill RECORD_TYPES and RECORD_TYPE from the registry and OTHER_AUDITED_TYPES; a resource that is another view
    of a model already listed (staff: the staff users who answer requests) is left out."""
    plural, singular, models = {}, {}, set()
    for entity, declared in audited_resources().items():
        if declared.model in models:
            continue
        models.add(declared.model)
        entity = getattr(entity, 'value', entity)  # a Topic: its plain name, as stored in the log
        plural[entity] = LABELS_IN_THE_LOG.get(entity, declared.label)
        singular[entity] = declared.singular[:1].upper() + declared.singular[1:]
    for entity, audited in OTHER_AUDITED_TYPES.items():
        plural[entity] = audited.label
        singular[entity] = audited.singular[:1].upper() + audited.singular[1:]
    RECORD_TYPES.clear()
    RECORD_TYPES.update(sorted(plural.items(), key=lambda item: item[1].lower()))
    RECORD_TYPE.clear()
    RECORD_TYPE.update(singular)


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
            Column('entity', 'Record type', kind='choice', choices=RECORD_TYPE, on_phone=False),
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
