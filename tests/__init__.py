"""The test suite. Run before the fixtures (tests/conftest.py) load anything: compiled files are written and reused.

Some machines (this project's CI among them) set PYTHONDONTWRITEBYTECODE=1, and then every process (the xdist workers,
the app processes the tests start, the fresh imports of test_modules_import_alone) compiles every source file again,
each time: that test took 42 s instead of 13. Compiled files are git-ignored (__pycache__/)."""

import os
import sys

sys.dont_write_bytecode = False
os.environ.pop('PYTHONDONTWRITEBYTECODE', None)
