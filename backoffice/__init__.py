"""Backoffice core: models, services, auth, permissions, API. Knows nothing of the UI."""

__version__ = '0.1.0'
