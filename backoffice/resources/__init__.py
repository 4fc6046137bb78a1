"""Declared resources, one module per domain; importing this package registers them all, then every installed
extension's parts (extension_hooks), and checks that their references to one another hold (engine/declaration.py says
what a declaration holds)."""

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
    billing,
    catalog,
    content,
    customers,
    mailboxes,
    payables,
    purchasing,
    sales,
    staff,
    support,
    system,
    webhooks,
)

# isort: split
from backoffice import extension_hooks  # after the core's resources: extensions may refer to them

extension_hooks.install()
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
