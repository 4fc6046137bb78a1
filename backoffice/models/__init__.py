"""Every table of the app, grouped by domain; importing this package registers them all on the metadata."""

from .base import EditableTable, SoftDeletable, utcnow
from .people import (
                     Company,
                     CompanyCreate,
                     CompanyUpdate,
                     Customer,
                     CustomerCreate,
                     CustomerStatus,
                     CustomerUpdate,
                     Role,
                     User,
)
from .system import AppSetting, AuditEntry, ImportBatch, LoginThrottle, SavedView

__all__ = [
    'AppSetting',
    'AuditEntry',
    'Company',
    'CompanyCreate',
    'CompanyUpdate',
    'Customer',
    'CustomerCreate',
    'CustomerStatus',
    'CustomerUpdate',
    'EditableTable',
    'ImportBatch',
    'LoginThrottle',
    'Role',
    'SavedView',
    'SoftDeletable',
    'User',
    'utcnow',
]
