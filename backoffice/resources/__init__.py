"""Declared resources, one module per domain; importing this package registers them all and checks that their
references to one another hold (engine/declaration.py says what a declaration holds)."""

from backoffice.engine.declaration import (
    RESOURCES,
    Action,
    Card,
    Column,
    Filter,
    FormField,
    Outcome,
    RecordSection,
    RelatedList,
    Resource,
    check_references,
    register,
    resource,
)
from backoffice.resources import (  # noqa: F401
    catalog,
    content,
    customers,
    mailboxes,
    purchasing,
    sales,
    staff,
    support,
    system,
    webhooks,
)

system.name_record_types()
check_references()

__all__ = [
    'RESOURCES',
    'Action',
    'Card',
    'Column',
    'Filter',
    'FormField',
    'Outcome',
    'RecordSection',
    'RelatedList',
    'Resource',
    'register',
    'resource',
]
