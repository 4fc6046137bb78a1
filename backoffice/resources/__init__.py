"""Declared resources; importing this package registers them all (see base.py for what a declaration holds)."""

from backoffice.engine.declaration import (
           RESOURCES,
           Action,
           Column,
           Filter,
           FormField,
           Outcome,
           RelatedList,
           Resource,
           register,
           resource,
)
from backoffice.resources import catalog, content, customers, purchasing, sales, staff, support, system, webhooks  # noqa: F401

__all__ = ['RESOURCES', 'Action', 'Column', 'Filter', 'FormField', 'Outcome', 'RelatedList', 'Resource', 'register',
           'resource']
