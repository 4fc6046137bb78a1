"""The typed schemas of /api/v1, built once from each resource declaration: its record as the API shows it, the body
that creates one, the body that changes one (with its version), an action's inputs, a page of its list, and the list's
query parameters (search, sort, each declared filter, the keyset cursor)."""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from types import UnionType
from typing import Annotated, Any, Literal, Optional, Union, get_args, get_origin

from fastapi import Query
from pydantic import BaseModel, ConfigDict, Field, PlainValidator, WithJsonSchema, create_model
from pydantic.fields import FieldInfo

from backoffice.api.input_rules import INT32_MAX, NOT_A_BOOLEAN, TRUE_OR_FALSE, strict_scalars
from backoffice.engine.declaration import Action, FormField, Resource, shown, withheld
from backoffice.i18n import _
from backoffice.listing.filters import NONE
from backoffice.listing.query import MAX_PAGE_SIZE
from backoffice.services.audit import SECRET_FIELDS

# never shown over the API, whatever a declaration lists: hashes, encrypted secrets and what guards sign-in
HIDDEN_FIELDS = SECRET_FIELDS | {'hash', 'totp_last_step', 'session_epoch', 'token'}
TEXT_LIMIT = 20_000
# the bounds before NOT_A_BOOLEAN: after a validator pydantic still checks them but writes `ge`/`le` into the OpenAPI
# document, which no JSON Schema reader knows, instead of `minimum`/`maximum` (a generated client lost the bounds)
Id = Annotated[int, Field(ge=1, le=INT32_MAX), NOT_A_BOOLEAN]
Version = Annotated[
    int, Field(ge=1, le=INT32_MAX, description="The record's version as read; a stale one gets 409"), NOT_A_BOOLEAN
]


def _id_or_none(value: object) -> int | str:
    """A related filter's value: a record's id, or 'none' (no record). One check with one sentence: a union of the
    two would answer an error per member, located at `['query', name, 'constrained-int']` and `"literal['none']"`."""
    text = str(value).strip()
    if text == NONE:
        return NONE
    if _DIGITS.fullmatch(text) and 1 <= int(text) <= INT32_MAX:
        return int(text)
    raise ValueError(_('Give an id (a whole number from 1) or none'))


_DIGITS = re.compile('[0-9]{1,10}')
RelatedId = Annotated[
    int | str,
    PlainValidator(_id_or_none),
    WithJsonSchema(
        {'anyOf': [{'type': 'integer', 'minimum': 1, 'maximum': INT32_MAX}, {'type': 'string', 'enum': [NONE]}]}
    ),
]
# a secret the server made for the caller (a webhook's signing secret, a generated password): in this answer only,
# never stored in clear, so never shown again (a replay under the same Idempotency-Key answers without it)
SECRET = Field(
    default=None,
    description="Only when one was made (a webhook's signing secret, a staff member's generated password): "
    'shown in this answer only, never again; a replay with the same Idempotency-Key answers without it',
)


@dataclass(frozen=True)
class Schemas:
    """What one resource's operations read and answer."""

    record: type[BaseModel]
    page: type[BaseModel]
    create: type[BaseModel] | None
    created: type[BaseModel]  # the record as a create answers it: with the secret it made, if any (shown once)
    update: type[BaseModel] | None
    actions: dict[str, tuple[Action, type[BaseModel]]]
    list_parameters: list[inspect.Parameter]
    filter_names: dict[str, tuple[str, ...]]  # filter → the query parameters it reads (a range reads two)


def schemas_of(resource: Resource) -> Schemas:
    name = camel(resource.key)
    record = _record_model(resource, name)
    parameters, filter_names = _list_parameters(resource)
    return Schemas(
        record=record,
        page=create_model(
            f'{name}Page',
            items=(list[record], ...),  # type: ignore[valid-type]
            total=(int, Field(description='How many records match (see `exact`)')),
            exact=(bool, Field(description='False: `total` is an estimate (a large table counted past its budget)')),
            page=(int, ...),
            page_size=(int, ...),
            next_cursor=(str | None, Field(description='Send it as `cursor` (same parameters) for the next page')),
            previous_cursor=(str | None, Field(description='Send it as `cursor` for the page before')),
        ),
        create=_body_model(resource, resource.create, f'{name}Create') if resource.create is not None else None,
        created=create_model(f'{name}Created', __base__=record, secret=(str | None, SECRET)),
        update=_body_model(resource, resource.update, f'{name}Update', version=True)
        if resource.update is not None
        else None,
        actions={action.key: (action, _action_model(resource, action, name)) for action in resource.actions},
        list_parameters=parameters,
        filter_names=filter_names,
    )


class HistoryChange(BaseModel):
    """One field of a change: its value before and after (as the audit log keeps it)."""

    before: Any = None
    after: Any = None


class HistoryEntry(BaseModel):
    """One change of a record, as its page's History tab shows it."""

    id: int = Field(description='Send it as `before` to read the entries older than this one')
    at: datetime
    actor: str = Field(description='Who did it (a staff member, with the API key when one was used, or system)')
    action: str = Field(description="e.g. 'customer.updated'")
    summary: str = Field(description='What happened, in words (in the Accept-Language)')
    version: int | None = Field(description="The record's version after this change")
    changes: dict[str, HistoryChange] = Field(description='The fields changed, by name')


class HistoryPage(BaseModel):
    items: list[HistoryEntry]
    next_before: int | None = Field(description='Send it as `before` for the older entries; null: no more')


def camel(key: str) -> str:
    """'canned-replies' → 'CannedReplies' (schema and operation names)."""
    return ''.join(part.capitalize() for part in key.replace('_', '-').split('-'))


def shown_fields(resource: Resource) -> list[str]:
    """The record's values the API shows: what its screens show (columns and form fields), with its id, version and
    times; never a secret."""
    model = resource.model
    names = ['id', *(c.name for c in resource.columns), *(f.name for f in resource.fields if f.kind != 'password')]
    names += [n for n in ('version', 'created_at', 'updated_at', 'deleted_at') if n in model.model_fields]
    return [n for n in dict.fromkeys(names) if n in model.model_fields and n not in HIDDEN_FIELDS]


def record_for(schemas: Schemas, resource: Resource, actor: Any, record: Any) -> BaseModel:
    """A record as the API answers it to `actor`: a value they may not read (FormField.needs) is null, and
    `withheld` names it with the permissions it needs."""
    answered = schemas.record.model_validate(record)
    derived = {
        c.name: c.value(record) for c in resource.columns if c.api_derived and c.name in type(answered).model_fields
    }
    if derived:
        answered = answered.model_copy(update=derived)
    if 'withheld' not in type(answered).model_fields:
        return answered
    hidden = withheld(resource, actor, record)
    return answered.model_copy(update={**dict.fromkeys(hidden), 'withheld': hidden})


def _record_model(resource: Resource, name: str) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    guarded = {f.name for f in resource.fields if f.needs is not None}
    derived = {c.name for c in resource.columns if c.api_derived}
    for field_name in shown_fields(resource):
        declared = resource.model.model_fields[field_name]
        described = _label(resource, field_name)
        annotation: Any = declared.annotation
        if field_name in guarded:
            annotation = Optional[annotation]  # noqa: UP045  (a type made at run time)
            described += ' (null when withheld: see `withheld`)'
        if field_name in derived:
            annotation = Optional[annotation]  # noqa: UP045  (a type made at run time)
        fields[field_name] = (annotation, Field(description=described) if described else Field())
    if guarded:
        fields['withheld'] = (
            dict[str, list[str]],
            Field(
                default_factory=dict,
                description="The values not shown to the key's staff member, each with the permissions it needs "
                "(a delivery's payload carries customers and orders)",
            ),
        )
    return create_model(
        f'{name}Record',
        __config__=ConfigDict(from_attributes=True),
        __doc__=f'One {resource.singular} as /api/v1/{resource.key} shows it.',
        **fields,
    )


def _label(resource: Resource, field_name: str) -> str:
    labels = {c.name: c.label for c in resource.columns} | {f.name: f.label for f in resource.fields}
    return shown(labels.get(field_name, ''))


def _body_model(resource: Resource, schema: type[BaseModel], name: str, *, version: bool = False) -> type[BaseModel]:
    """The resource's own create/update schema as an API body (its rules run again in the service); an update also
    names the version it changes. A field says what its form field says (label and help: a webhook's `events` is
    comma-separated, or *), unless its schema describes it already."""
    said = {form_field.name: _said(form_field) for form_field in resource.fields}
    related = {form_field.name for form_field in resource.fields if form_field.kind == 'related'}
    fields: dict[str, Any] = {}
    for field_name, info in schema.model_fields.items():
        if field_name == 'version':
            continue
        if not info.description and said.get(field_name):
            info = FieldInfo.merge_field_infos(info, description=said[field_name])
        if field_name in related:
            fields[field_name] = (_bounded_id(info.annotation), info)
            continue
        # `"company_id": true` is not company 1, nor `"marketing_consent": "yes"` a consent
        fields[field_name] = (strict_scalars(info.annotation), info)
    if version:
        fields['version'] = (Version, ...)
    return create_model(name, __config__=ConfigDict(extra='forbid'), **fields)


def _bounded_id(annotation: Any) -> Any:
    """A related record's id in a body, bounded as a path's id is (`Id`: 1 to what an INTEGER column holds), so 0, -1
    or 2147483648 is refused at the field with the body's other mistakes, and the OpenAPI says minimum and maximum (the
    resource's own schema says `int | None`: its id was looked up, and PostgreSQL refused one past INTEGER with 500).
    Only what takes an int: a schema that reads the related record otherwise keeps its own type."""
    if annotation is int:
        return Id
    members = get_args(annotation)
    if get_origin(annotation) in (Union, UnionType) and set(members) == {int, type(None)}:
        return Optional[Id]  # noqa: UP045  (a type made at run time)
    return strict_scalars(annotation)


def _said(form_field: FormField) -> str:
    label, help_text = shown(form_field.label), shown(form_field.help) if form_field.help else ''
    return f'{label}: {help_text}' if help_text else label


_KIND_TYPES: dict[str, Any] = {
    'bool': Annotated[bool, TRUE_OR_FALSE],
    'number': Annotated[int, Field(ge=-INT32_MAX, le=INT32_MAX), NOT_A_BOOLEAN],
    'money': Annotated[Decimal, Field(ge=-(10**9), le=10**9, max_digits=14, decimal_places=2)],
    'date': date,
    'datetime': datetime,
    'related': Id,
}


def input_type(form_field: FormField) -> Any:
    if form_field.kind == 'choice' and form_field.choices:
        return Literal[tuple(form_field.choices)]
    return _KIND_TYPES.get(form_field.kind, Annotated[str, Field(max_length=TEXT_LIMIT)])


def _action_model(resource: Resource, action: Action, name: str) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for form_field in action.inputs:
        kind = input_type(form_field)
        fields[form_field.name] = (kind, ...) if form_field.required else (kind | None, None)
    fields['version'] = (Version | None, None)
    if action.warn is not None:
        fields['confirmed'] = (
            Annotated[bool, TRUE_OR_FALSE],
            Field(default=False, description='Go ahead despite the warning a first call answered (409)'),
        )
    return create_model(
        f'{name}{camel(action.key)}Input',
        __config__=ConfigDict(extra='forbid'),
        __doc__=shown(action.label),
        **fields,
    )


def _list_parameters(resource: Resource) -> tuple[list[inspect.Parameter], dict[str, tuple[str, ...]]]:
    sortable = tuple(sorted(resource.sortable()))
    parameters = [
        _query('q', str, '', 'Search: contains, case-insensitive, over the fields the screen searches', max_length=200),
        _query('sort', Literal[sortable] | None, None, "A column to sort by; default: the screen's"),
        _query('descending', bool | None, None, "Sort in descending order; default: the screen's"),
        _query(
            'page',
            int,
            1,
            'Page number (1 = first); past the last page, no items; a cursor reads faster',
            ge=1,
            le=INT32_MAX,
        ),
        _query('page_size', int, 25, 'Rows per page', ge=1, le=MAX_PAGE_SIZE),
        _query('cursor', str | None, None, 'next_cursor or previous_cursor of the page before', max_length=4000),
    ]
    if resource.soft_delete:
        parameters.append(_query('trash', bool, False, 'List the records in the trash instead'))
    names: dict[str, tuple[str, ...]] = {}
    for spec in resource.filters:
        label = shown(spec.label)
        if spec.kind == 'choice':
            choice = Literal[tuple(spec.choices)] if spec.choices else Annotated[str, Field(max_length=100)]
            parameters.append(_query(spec.name, list[choice] | None, None, f'{label}: one or more values'))  # type: ignore[valid-type]
            names[spec.name] = (spec.name,)
        elif spec.kind == 'tags':
            tag = Annotated[str, Field(max_length=100)]
            parameters.append(_query(spec.name, list[tag] | None, None, f'{label}: any of these'))
            names[spec.name] = (spec.name,)
        elif spec.kind in ('bool', 'present'):
            parameters.append(_query(spec.name, bool | None, None, label))
            names[spec.name] = (spec.name,)
        elif spec.kind == 'related':
            parameters.append(_query(spec.name, RelatedId | None, None, f'{label}: an id, or none'))
            names[spec.name] = (spec.name,)
        elif spec.kind == 'date_range':
            low, high = f'{spec.name}_from', f'{spec.name}_to'
            parameters.append(
                _query(low, date | None, None, f"{label}: from this day (the shop's time zone, included)")
            )
            parameters.append(_query(high, date | None, None, f"{label}: to this day (the shop's time zone, included)"))
            names[spec.name] = (low, high)
        elif spec.kind == 'number_range':
            low, high = f'{spec.name}_min', f'{spec.name}_max'
            bounded = Annotated[Decimal, Field(ge=-(10**12), le=10**12)]
            parameters.append(_query(low, bounded | None, None, f'{label}: at least'))
            parameters.append(_query(high, bounded | None, None, f'{label}: at most'))
            names[spec.name] = (low, high)
    return parameters, names


def _query(name: str, annotation: Any, default: Any, description: str, **rules: Any) -> inspect.Parameter:
    return inspect.Parameter(
        name,
        inspect.Parameter.KEYWORD_ONLY,
        default=default,
        annotation=Annotated[annotation, Query(description=description, **rules)],
    )
