"""The system's own records shown through the engine: the audit log (read-only)."""

from __future__ import annotations

from backoffice.engine.declaration import Column, Filter, FormField, Resource, register
from backoffice.models import AuditEntry

RECORD_TYPES = {'user': 'Staff user', 'customers': 'Customer', 'companies': 'Company', 'content': 'Content',
                'products': 'Product', 'categories': 'Category', 'settings': 'Settings', 'tickets': 'Request',
                'canned-replies': 'Canned reply', 'api_key': 'API key'}

AUDIT = register(Resource(
    key='audit', label='Audit log', singular='change', model=AuditEntry, create=None, update=None,
    permission='audit', title='summary', icon='history', soft_delete=False, plural='changes',
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
    default_sort='at', default_descending=True,
))
