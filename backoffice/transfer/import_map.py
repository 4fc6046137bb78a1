"""Matching an import file's columns to a resource's fields by header."""

from __future__ import annotations

import re
from collections.abc import Iterable

from backoffice.engine.declaration import FormField, Resource, shown


def map_columns(resource: Resource, headers: Iterable[str]) -> dict[str, str | None]:
    """{header: field name or None}: a header matches a field's label or name (or the label of the list column an
    export writes for it), ignoring case, spaces and underscores; `ID` matches records by id. None: ignored. An
    export's headers are the English labels; a file written by hand may use those of the reader's language too."""
    candidates: dict[str, str] = {'id': 'id'}
    for form_field in importable_fields(resource):
        for name in (form_field.name, form_field.label, shown(form_field.label)):
            candidates.setdefault(_squash(name), form_field.name)
    for column in resource.columns:
        if column.name in candidates.values():
            for label in (column.label, shown(column.label)):
                candidates.setdefault(_squash(label), column.name)
    mapping: dict[str, str | None] = {}
    taken: set[str] = set()
    for header in headers:
        target = candidates.get(_squash(header))
        mapping[header] = target if target not in taken else None  # a second column for the same field is ignored
        if target:
            taken.add(target)
    return mapping


def importable_fields(resource: Resource) -> list[FormField]:
    return [f for f in resource.fields if f.kind != 'image']


def _squash(text: str) -> str:
    return re.sub(r'[\s_\-]+', '', text).lower()
