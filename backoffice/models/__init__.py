"""Every table of the app, grouped by domain; importing this package registers them all on the metadata."""

from .base import EditableTable, utcnow
from .people import Role, User
from .system import AuditEntry, LoginThrottle

__all__ = ['AuditEntry', 'EditableTable', 'LoginThrottle', 'Role', 'User', 'utcnow']
