"""/api/v1/{resource}: every declared resource over HTTP, built from its declaration at start-up (a resource declared
later gets its routes with no code): list (the screens' search, filters, sort and keyset cursor), get, create, update
(with the version: 409 on a stale one), delete to the trash, restore from it, the record's history (keyset-paged), and
each declared action.

A call needs an API key holding `read:<resource>` (list, get) or `write:<resource>` (the rest; it includes read). The
key acts as the staff member it belongs to: the services check that person's permissions as they do on the screens,
and the audit log names them with the key (`maria@shop.com (API key ab12cd34)`). Rate-limited per key like the other
APIs. Checks run cheapest first: body size (413), the key (401/403) and its rate (429), the input (422: a query
parameter the route does not read too), then the service (403/404/409/422)."""

# no `from __future__ import annotations`: FastAPI reads the endpoints' annotations, which name local dependencies
import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Optional

from fastapi import APIRouter, Body, Depends, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPBearer
from pydantic import BaseModel, Field, create_model
from sqlalchemy.exc import DataError, IntegrityError
from sqlmodel import Session, SQLModel

import backoffice.resources  # noqa: F401  (registers every declared resource)
from backoffice.api import resource_cursor
from backoffice.api.common import IdempotencyKey, Problem, answer_once, calling_key
from backoffice.api.input_rules import INT32_MAX, BodyChecks, checked_with_the_body
from backoffice.api.requests import MAX_BODY_BYTES, SizeLimitedRoute
from backoffice.api.resource_schemas import (
    HIDDEN_FIELDS,
    SECRET,
    HistoryChange,
    HistoryEntry,
    HistoryPage,
    Schemas,
    camel,
    record_for,
    schemas_of,
)
from backoffice.db import read_session, session_scope
from backoffice.engine.declaration import RESOURCES, Action, Outcome, Resource
from backoffice.errors import NotFound, PermissionDenied, ServiceError, StaleRecord, ValidationFailed
from backoffice.i18n import _
from backoffice.listing import query
from backoffice.models import ApiKey, AuditEntry, User
from backoffice.runtime import ratelimit
from backoffice.services import api_keys, audit, audit_story, crud

PREFIX = '/api/v1'
HISTORY_PAGE_MAX = 200
bearer = HTTPBearer(auto_error=False, description='An API key holding read:<resource> or write:<resource>')
RecordId = Annotated[int, Path(ge=1, le=INT32_MAX, description="The record's id")]

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {'model': Problem, 'description': 'A cursor this server did not make for this list'},
    401: {'model': Problem, 'description': 'No API key, or an unknown or revoked one (with `WWW-Authenticate`)'},
    403: {
        'model': Problem,
        'description': 'The key lacks the scope, acts for nobody, or its staff member may not do this',
    },
    404: {'model': Problem, 'description': 'No such record (or one the key may not read)'},
    409: {
        'model': Problem,
        'description': 'The version is stale (someone saved the record since), or the record does not allow this now',
    },
    413: {'model': Problem, 'description': f'The body is larger than {MAX_BODY_BYTES // 1024} KB'},
    422: {'description': "Invalid input: each field and why (FastAPI's shape: `loc`, `msg`, `type`)"},
    429: {
        'model': Problem,
        'description': f'More than {ratelimit.API_KEY_CALLS_PER_MINUTE} calls a minute with this key; '
        '`Retry-After` says how many seconds to wait',
    },
}


class Refused(ServiceError):
    """A service refused the acting staff member (→ 403)."""


class Conflict(ServiceError):
    """The database refused the write (a unique value taken meanwhile; → 409)."""


def build_router(resources: dict[str, Resource] | None = None) -> APIRouter:
    """The routes of every declared resource (or of those given), under /api/v1."""
    router = APIRouter(prefix=PREFIX, route_class=SizeLimitedRoute)
    for resource in (resources if resources is not None else RESOURCES).values():
        _add_routes(router, resource, schemas_of(resource))
    return router


def _add_routes(router: APIRouter, resource: Resource, schemas: Schemas) -> None:
    name, snake = camel(resource.key), resource.key.replace('-', '_')
    path, one = f'/{resource.key}', f'/{resource.key}/{{record_id}}'
    reader, writer = _key_with(resource, 'read'), _key_with(resource, 'write')
    tags: list[str | Any] = [resource.key]
    label = resource.singular

    router.add_api_route(
        path,
        _list_endpoint(resource, schemas, reader),
        methods=['GET'],
        response_model=schemas.page,
        responses=_errors(400, 401, 403, 422, 429),
        tags=tags,
        operation_id=f'list_{snake}',
        summary=f'List {resource.label.lower()}',
        description=f'A page of {resource.label.lower()}, as the {resource.key} screen lists them: search, filters, '
        'sort, then `next_cursor` for the next page (keyset reads). Needs `read:' + resource.key + '`. A query '
        'parameter not listed here is refused (422 at its name), never ignored.',
    )

    def get_record(record_id: RecordId, key: Annotated[ApiKey, Depends(reader)]) -> Any:
        with _answering(), read_session() as session:
            actor = api_keys.acting_user(session, key)
            found = crud.get_record(session=session, actor=actor, resource=resource, record_id=record_id)
            return record_for(schemas, resource, actor, found)

    router.add_api_route(
        one,
        get_record,
        methods=['GET'],
        response_model=schemas.record,
        responses=_errors(401, 403, 404, 422, 429),
        tags=tags,
        operation_id=f'get_{snake}',
        summary=f'Get one {label}',
    )

    if schemas.create is not None:
        router.add_api_route(
            path,
            _create_endpoint(resource, schemas, writer),
            methods=['POST'],
            status_code=201,
            response_model=schemas.created,
            responses=_errors(401, 403, 409, 413, 422, 429),
            tags=tags,
            operation_id=f'create_{snake}',
            summary=f'Create a {label}',
            description='Validated by the same rules as the form; a 422 says every mistake at once, a value '
            'another record holds or a related record that does not exist beside a malformed field. With an '
            f'`Idempotency-Key`, a retry gets the first answer and creates nothing new. Needs `write:{resource.key}`.',
        )
    if schemas.update is not None:
        router.add_api_route(
            one,
            _update_endpoint(resource, schemas, writer),
            methods=['PATCH'],
            response_model=schemas.record,
            responses=_errors(401, 403, 404, 409, 413, 422, 429),
            tags=tags,
            operation_id=f'update_{snake}',
            summary=f'Change a {label}',
            description='Only the fields sent change. `version` is the version read: if someone saved the record '
            'since, nothing changes and the answer is 409. A 422 says every mistake at once, a value another record '
            f'holds or a related record that does not exist beside a malformed field. Needs `write:{resource.key}`.',
        )
    if resource.soft_delete:

        def delete_record(
            record_id: RecordId,
            key: Annotated[ApiKey, Depends(writer)],
            version: Annotated[
                int | None, Query(ge=1, le=INT32_MAX, description='The version read (409 if stale)')
            ] = None,
        ) -> Any:
            with _answering(), session_scope() as session, _through(key):
                actor = api_keys.acting_user(session, key)
                trashed = crud.delete_record(
                    session=session, actor=actor, resource=resource, record_id=record_id, version=version
                )
                return record_for(schemas, resource, actor, trashed)

        router.add_api_route(
            one,
            delete_record,
            methods=['DELETE'],
            response_model=schemas.record,
            responses=_errors(401, 403, 404, 409, 422, 429),
            tags=tags,
            operation_id=f'delete_{snake}',
            summary=f'Move a {label} to the trash',
            description=f'It can be restored from the trash on its screen. Needs `write:{resource.key}`.',
        )

        def restore_record(record_id: RecordId, key: Annotated[ApiKey, Depends(writer)]) -> Any:
            with _answering(), session_scope() as session, _through(key):
                actor = api_keys.acting_user(session, key)
                found = crud.get_record(session=session, actor=actor, resource=resource, record_id=record_id)
                if found.deleted_at is None:  # type: ignore[attr-defined]  # a resource with a trash has deleted_at
                    raise HTTPException(409, _('This {label} is not in the trash.').format(label=_(label)))
                restored = crud.restore_record(session=session, actor=actor, resource=resource, record_id=record_id)
                return record_for(schemas, resource, actor, restored)

        router.add_api_route(
            f'{one}/restore',
            restore_record,
            methods=['POST'],
            response_model=schemas.record,
            responses=_errors(401, 403, 404, 409, 422, 429),
            tags=tags,
            operation_id=f'restore_{snake}',
            summary=f'Restore a {label} from the trash',
            description=f'As Restore in the trash of its screen; 409 if it is not in the trash. '
            f'Needs `write:{resource.key}`.',
        )

    shown_changes = {f.name for f in resource.fields if f.kind != 'password'} - HIDDEN_FIELDS | {'deleted_at'}

    def record_history(
        record_id: RecordId,
        key: Annotated[ApiKey, Depends(reader)],
        before: Annotated[
            int | None, Query(ge=1, le=INT32_MAX, description='`next_before` of the page before: older entries')
        ] = None,
        limit: Annotated[int, Query(ge=1, le=HISTORY_PAGE_MAX, description='Entries per page')] = 50,
    ) -> Any:
        with _answering('query'), read_session() as session:
            actor = api_keys.acting_user(session, key)
            entries = crud.history(
                session=session, actor=actor, resource=resource, record_id=record_id, before=before, limit=limit + 1
            )
        items = [_history_entry(entry, shown_changes) for entry in entries[:limit]]
        return HistoryPage(items=items, next_before=items[-1].id if len(entries) > limit else None)

    router.add_api_route(
        f'{one}/history',
        record_history,
        methods=['GET'],
        response_model=HistoryPage,
        responses=_errors(401, 403, 404, 422, 429),
        tags=tags,
        operation_id=f'history_{snake}',
        summary=f"A {label}'s history",
        description='Its changes, newest first, as the History tab of its page shows them: when, who, what and the '
        f'fields before and after. Then `next_before` for older ones (keyset). Needs `read:{resource.key}`.',
    )
    result = create_model(
        f'{name}ActionResult',
        record=(Optional[schemas.record], Field(description='The record after the action')),  # type: ignore[arg-type]  # noqa: UP045
        message=(str, Field(default='', description='What the action said (in the Accept-Language)')),
        secret=(str | None, SECRET),
    )
    for action_key, (action, inputs) in schemas.actions.items():
        router.add_api_route(
            f'{one}/actions/{action_key}',
            _action_endpoint(resource, schemas, action, inputs, result, writer),
            methods=['POST'],
            response_model=result,
            response_model_exclude_unset=True,  # `secret` only when the action made one
            responses=_errors(401, 403, 404, 409, 413, 422, 429),
            tags=tags,
            operation_id=f'{action_key.replace("-", "_")}_{snake}',
            summary=f'{action.label} ({label})',
            description=f'The action "{action.label}" of the {resource.key} screen. Needs `write:{resource.key}` '
            'and the permission the action asks of the staff member.',
        )


def _history_entry(entry: AuditEntry, shown_changes: set[str]) -> HistoryEntry:
    changes = {
        field: HistoryChange(before=values[0], after=values[1])
        for field, values in (entry.changes or {}).items()
        if field in shown_changes and isinstance(values, list | tuple) and len(values) == 2
    }
    return HistoryEntry(
        id=entry.id or 0,
        at=entry.at,
        actor=entry.actor_email,
        action=entry.action,
        summary=audit_story.summary_text(entry) or entry.action,
        version=entry.version,
        changes=changes,
    )


def _list_endpoint(resource: Resource, schemas: Schemas, reader: Callable[..., ApiKey]) -> Callable[..., Any]:
    def list_records(key: ApiKey, **parameters: Any) -> Any:
        request = query.ListRequest(
            search=parameters['q'],
            filters=_filters(schemas, parameters),
            sort=parameters['sort'],
            descending=parameters['descending'],
            page=parameters['page'],
            page_size=parameters['page_size'],
            trash=bool(parameters.get('trash')),
        )
        cursor = None
        if parameters['cursor']:
            try:
                cursor, page = resource_cursor.decode(resource, parameters['cursor'])
            except resource_cursor.BadCursor:
                raise HTTPException(
                    400, _('This cursor was not made for this list; start from the first page.')
                ) from None
            request = query.ListRequest(**{**request.__dict__, 'page': page})
        with _answering('query'), read_session() as session:
            actor = api_keys.acting_user(session, key)
            found = query.list_page(session=session, actor=actor, resource=resource, request=request, cursor=cursor)
            items = [record_for(schemas, resource, actor, row) for row in found.rows]
        sort_name = request.sort or resource.default_sort
        if found.page < request.page:  # past the last page: the screens show the last one, a program wants the end
            return schemas.page(
                items=[],
                total=found.total,
                exact=found.exact,
                page=request.page,
                page_size=found.page_size,
                next_cursor=None,
                previous_cursor=None,
            )
        more = found.page < found.last_page or (not found.exact and len(found.rows) == found.page_size)
        return schemas.page(
            items=items,
            total=found.total,
            exact=found.exact,
            page=found.page,
            page_size=found.page_size,
            next_cursor=resource_cursor.encode(resource, found.cursor, sort_name, 1) if more else None,
            previous_cursor=resource_cursor.encode(resource, found.cursor, sort_name, -1) if found.page > 1 else None,
        )

    list_records.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter('key', inspect.Parameter.KEYWORD_ONLY, annotation=Annotated[ApiKey, Depends(reader)]),
            *schemas.list_parameters,
        ]
    )
    return list_records


def _filters(schemas: Schemas, parameters: dict[str, Any]) -> dict[str, Any]:
    filters: dict[str, Any] = {}
    for name, read in schemas.filter_names.items():
        values = [parameters.get(item) for item in read]
        if len(read) == 2:
            if any(value is not None for value in values):
                filters[name] = tuple(values)
        elif values[0] is not None:
            filters[name] = values[0]
    return filters


def _create_endpoint(resource: Resource, schemas: Schemas, writer: Callable[..., ApiKey]) -> Callable[..., Any]:
    body = schemas.create

    def create_record(
        payload: BaseModel, request: Request, key: ApiKey, idempotency_key: str | None = None
    ) -> JSONResponse:
        def act(session: Session) -> tuple[dict[str, Any], int]:
            with _refusals(), _through(key):
                actor = api_keys.acting_user(session, key)
                made = crud.create_record(
                    session=session, actor=actor, resource=resource, data=payload.model_dump(exclude_unset=True)
                )
            record = made.record if isinstance(made, Outcome) else made
            body = record_for(schemas, resource, actor, record).model_dump(mode='json')
            if isinstance(made, Outcome) and made.secret:
                body['secret'] = made.secret
            return body, 201

        return answer_once(request, key, idempotency_key, payload, act, http_error, unrepeated=('secret',))

    checked_with_the_body(_declared_checks(resource))(create_record)
    create_record.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter('payload', inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=body),
            inspect.Parameter('request', inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request),
            inspect.Parameter('key', inspect.Parameter.KEYWORD_ONLY, annotation=Annotated[ApiKey, Depends(writer)]),
            inspect.Parameter(
                'idempotency_key', inspect.Parameter.KEYWORD_ONLY, default=None, annotation=IdempotencyKey
            ),
        ]
    )
    return create_record


def _update_endpoint(resource: Resource, schemas: Schemas, writer: Callable[..., ApiKey]) -> Callable[..., Any]:
    def update_record(record_id: int, payload: BaseModel, key: ApiKey) -> Any:
        changes = payload.model_dump(exclude_unset=True)
        version = changes.pop('version')
        with _answering(), session_scope() as session, _through(key):
            actor = api_keys.acting_user(session, key)
            changed = crud.update_record(
                session=session, actor=actor, resource=resource, record_id=record_id, version=version, changes=changes
            )
            return record_for(schemas, resource, actor, changed)

    checked_with_the_body(_declared_checks(resource))(update_record)
    update_record.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter('record_id', inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=RecordId),
            inspect.Parameter('payload', inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=schemas.update),
            inspect.Parameter('key', inspect.Parameter.KEYWORD_ONLY, annotation=Annotated[ApiKey, Depends(writer)]),
        ]
    )
    return update_record


def _action_endpoint(
    resource: Resource,
    schemas: Schemas,
    action: Action,
    inputs: type[BaseModel],
    result: type[BaseModel],
    writer: Callable[..., ApiKey],
) -> Callable[..., Any]:
    def run_action(record_id: int, payload: BaseModel | None, key: ApiKey) -> Any:
        values = (payload or inputs()).model_dump()  # an action that needs nothing may be sent without a body
        version = values.pop('version', None)
        confirmed = values.pop('confirmed', False)
        with _answering(), session_scope() as session, _through(key):
            actor = api_keys.acting_user(session, key)
            record = crud.get_record(session=session, actor=actor, resource=resource, record_id=record_id)
            if not action.visible(record):
                raise HTTPException(
                    409,
                    action.not_now(record) if action.not_now else _('This action does not apply to this record now.'),
                )
            if action.warn is not None and not confirmed:
                warning = action.warn(session=session, actor=actor, record_id=record_id, **values)
                if warning:
                    raise HTTPException(409, _('{warning} Send "confirmed": true to go ahead.').format(warning=warning))
            if confirmed:
                values['confirmed'] = True
            done = action.run(session=session, actor=actor, record_id=record_id, version=version, **values)
            after = _still_there(session, actor, resource, record_id)
            made = getattr(done, 'secret', None)
            return result(
                record=record_for(schemas, resource, actor, after) if after is not None else None,
                message=getattr(done, 'message', '') or '',
                **({'secret': made} if made else {}),
            )

    checked_with_the_body(_related_inputs_checked(action))(run_action)
    run_action.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter('record_id', inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=RecordId),
            _action_body(inputs),
            inspect.Parameter('key', inspect.Parameter.KEYWORD_ONLY, annotation=Annotated[ApiKey, Depends(writer)]),
        ]
    )
    return run_action


def _declared_checks(resource: Resource) -> BodyChecks:
    """A refused create or change body's fields that read, checked as the service checks them against the database
    (crud.check_unique_and_related: a unique value already taken, a related record that does not exist), so one 422
    says them beside the malformed field. An update's fields not sent read as None, which these checks pass over."""

    def checks(given: dict[str, Any], path: dict[str, str]) -> dict[str, str]:
        record_id = int(path['record_id']) if 'record_id' in path else None
        with read_session() as session:
            return crud.unique_and_related_mistakes(session, resource, given, record_id)

    return checks


def _related_inputs_checked(action: Action) -> BodyChecks:
    """A refused action body's related inputs that read, each checked to name an existing record (as its form's
    choice would), so one 422 says them beside the malformed field."""

    def checks(given: dict[str, Any], _path: dict[str, str]) -> dict[str, str]:
        with read_session() as session:
            return crud.missing_related(session, action.inputs, given)

    return checks


def _action_body(inputs: type[BaseModel]) -> inspect.Parameter:
    """The action's body: required when one of its inputs is, else optional (`curl -X POST …/rotate-secret` with no
    body at all is the same call as with `{}`)."""
    if any(field.is_required() for field in inputs.model_fields.values()):
        return inspect.Parameter('payload', inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=inputs)
    return inspect.Parameter(
        'payload',
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
        annotation=Annotated[Optional[inputs], Body()],  # noqa: UP045  (a type made at run time)
        default=None,
    )


def _still_there(session: Session, actor: User, resource: Resource, record_id: int) -> SQLModel | None:
    session.expire_all()  # what the action committed, read afresh
    try:
        return crud.get_record(session=session, actor=actor, resource=resource, record_id=record_id)
    except NotFound:
        return None


def _key_with(resource: Resource, access: str) -> Callable[..., ApiKey]:
    scope = api_keys.resource_scope(access, resource.key)

    def resource_key(request: Request, _credentials: Annotated[object, Depends(bearer)]) -> ApiKey:
        return calling_key(  # refuses a query parameter the route does not read, once the key is checked
            request,
            scope,
            ratelimit.api_keys,  # read at each call: the tests widen it
            _('Rate limit of {n} calls a minute for this API key reached.').format(n=ratelimit.api_keys.limit),
        )

    resource_key.__name__ = f'{access}_{resource.key.replace("-", "_")}_key'
    return resource_key


@contextmanager
def _through(key: ApiKey) -> Iterator[None]:
    """Audit entries name the staff member with the key they came through."""
    with audit.through(f'API key {key.prefix}'):
        yield


@contextmanager
def _refusals() -> Iterator[None]:
    """Refusals that are not ServiceErrors, as ones (answer_once turns ServiceErrors into answers)."""
    try:
        yield
    except PermissionDenied as error:
        raise Refused(str(error)) from None
    except IntegrityError:
        raise Conflict(_('Another record holds one of these values; nothing was saved.')) from None
    except DataError:
        raise ValidationFailed({'': _('A value does not fit its field; nothing was saved.')}) from None


@contextmanager
def _answering(where: str = 'body') -> Iterator[None]:
    """Any refusal of the service as its HTTP answer (field errors located in the body or the query)."""
    try:
        with _refusals():
            yield
    except ServiceError as error:
        raise http_error(error, where) from None


def http_error(error: ServiceError, where: str = 'body') -> HTTPException:
    if isinstance(error, ValidationFailed):  # FastAPI's own 422 shape
        return HTTPException(
            422,
            [
                {'loc': [where, *([field] if field else [])], 'msg': message, 'type': 'value_error'}
                for field, message in error.errors.items()
            ],
        )
    if isinstance(error, Refused | api_keys.KeyActsForNobody | api_keys.MissingScope):
        return HTTPException(403, str(error))
    if isinstance(error, NotFound):
        return HTTPException(404, str(error))
    if isinstance(error, StaleRecord):
        return HTTPException(409, error.for_a_program())
    return HTTPException(409, str(error))


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: ERRORS[code] for code in codes}


def key_with(resource: Resource, access: str) -> Callable[..., ApiKey]:
    """The dependency an extension's own route takes: a key holding `read:<resource>` or `write:<resource>`."""
    return _key_with(resource, access)


answering = _answering  # an extension's route: a service's refusal as its HTTP answer (403, 404, 409, 422)

router = build_router()
