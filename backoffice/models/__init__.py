"""Every table of the app, grouped by domain; importing this package registers them all on the metadata."""

from .base import EditableTable, SoftDeletable, utcnow
from .catalog import Category, CategoryCreate, CategoryUpdate, Currency, Product, ProductCreate, ProductUpdate
from .content import ContentCreate, ContentEntry, ContentKind, ContentStatus, ContentUpdate, LegalVersion
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
    'Category',
    'CategoryCreate',
    'CategoryUpdate',
    'Company',
    'ContentCreate',
    'ContentEntry',
    'ContentKind',
    'ContentStatus',
    'ContentUpdate',
    'CompanyCreate',
    'CompanyUpdate',
    'Currency',
    'Customer',
    'CustomerCreate',
    'CustomerStatus',
    'CustomerUpdate',
    'EditableTable',
    'ImportBatch',
    'LegalVersion',
    'LoginThrottle',
    'Product',
    'ProductCreate',
    'ProductUpdate',
    'Role',
    'SavedView',
    'SoftDeletable',
    'User',
    'utcnow',
]
