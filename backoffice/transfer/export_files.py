"""Exported files on disk hold personal data: each export gets its own private folder, removed once it is served, and
whatever a crash or a download never fetched left behind is swept when the app starts and every hour."""

from __future__ import annotations

import shutil
import tempfile
import time
from datetime import timedelta
from pathlib import Path

PREFIX = 'backoffice-export-'  # also the prefix of the workbook exports.py writes before streaming it
STALE_AFTER = timedelta(hours=1)


def export_path(file_name: str) -> Path:
    """Where to write an export: `file_name` in a new folder only this app's user can read (mkdtemp makes it 0700)."""
    return Path(tempfile.mkdtemp(prefix=PREFIX)) / Path(file_name).name


def remove(path: Path) -> None:
    """The exported file and the folder `export_path` made for it."""
    path.unlink(missing_ok=True)
    if path.parent.name.startswith(PREFIX):
        shutil.rmtree(path.parent, ignore_errors=True)


def sweep(older_than: timedelta = STALE_AFTER, folder: Path | None = None) -> int:
    """Remove the exports (files or folders) last written more than `older_than` ago; returns how many."""
    limit = time.time() - older_than.total_seconds()
    removed = 0
    for entry in Path(folder or tempfile.gettempdir()).glob(f'{PREFIX}*'):
        try:
            if entry.stat().st_mtime > limit:
                continue
            if entry.is_dir():
                shutil.rmtree(entry)
            else:
                entry.unlink()
            removed += 1
        except OSError:  # gone meanwhile, or not ours
            continue
    return removed
