"""Runtime files that only the app's own system user may read: the data folder 0700, the database (and its -wal and
-shm), backups and secrets 0600, whatever the umask."""

from __future__ import annotations

import os
from pathlib import Path

FOLDER_MODE = 0o700
FILE_MODE = 0o600


def private_folder(path: Path) -> Path:
    """Create the folder (and missing parents) readable by the owner only; tighten it if it exists."""
    path.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    _chmod(path, FOLDER_MODE)
    return path


def private_file(path: Path) -> Path:
    """Create an empty file readable by the owner only, or tighten an existing one (never truncated)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE)
    os.close(descriptor)
    _chmod(path, FILE_MODE)
    return path


def tighten(*paths: Path) -> None:
    """0600 on those of the files that exist."""
    for path in paths:
        if path.exists():
            _chmod(path, FILE_MODE)


def sqlite_files(database: Path) -> tuple[Path, Path, Path]:
    return database, Path(f'{database}-wal'), Path(f'{database}-shm')


def _chmod(path: Path, mode: int) -> None:
    try:
        if path.stat().st_mode & 0o777 != mode:
            path.chmod(mode)
    except PermissionError:  # not ours (a shared folder given on purpose): leave it as it is
        pass
