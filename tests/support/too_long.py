"""Text typed one character past a field's limit, hostile (quotes, a colon, a tag), to see it refused at its field with
its length, never cut to fit."""

from __future__ import annotations

HOSTILE_START = 'Name "x": <script>'


def one_past(limit: int) -> str:
    """`limit` + 1 characters on one line, starting with hostile text."""
    return HOSTILE_START + 'y' * (limit + 1 - len(HOSTILE_START))


def refused_at(limit: int) -> str:
    """What the field says of `one_past(limit)`."""
    return f'Use at most {limit:,} characters (this has {limit + 1:,})'
