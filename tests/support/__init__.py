"""The test toolkit: factories, sign-in, waiting, API, list, browser, CLI and database helpers that tests share.

Test modules import from here (and take fixtures from conftest.py), never from another test module; the guard
tests/test_toolkit_imports.py fails when one does.
"""
