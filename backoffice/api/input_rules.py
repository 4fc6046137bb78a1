"""Strict reading of API input at the edge, for every route: malformed input is refused with 422 and a sentence saying
what is wrong, before any endpoint, database or log sees it.

Refused anywhere in a JSON body: a key given twice in one object (a reader keeps only the last one), NaN and Infinity,
numbers too large for a 64-bit float (1e400), integers outside signed 64 bits, and strings (keys too) holding a lone
UTF-16 surrogate or a NUL character, which no database column stores. Path, query and header values are held to the
same rules for text, and integer parameters to 64 bits. A database too busy to take a write in time answers 503 with
Retry-After, a full disk 507 (nothing written either way), never 500."""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Callable, Sequence
from types import UnionType
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from fastapi import HTTPException, Request, params
from fastapi.dependencies.models import Dependant
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, BeforeValidator, TypeAdapter, ValidationError
from pydantic_core import PydanticCustomError
from starlette.concurrency import run_in_threadpool

from backoffice import i18n, write_failures, writer_queue
from backoffice.errors import ServiceError, readable
from backoffice.i18n import _
from backoffice.validation import INT32_MAX as INT32_MAX  # the routes bound ids by it, as the services do

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_BAD_TEXT = re.compile('[\x00\ud800-\udfff]')
# Strict JSON refuses a raw control character in a string, and valid UTF-8 holds no surrogate: a NUL or a lone
# surrogate can only come in escaped. No such escape in the text (a look that may also find an escaped backslash
# followed by "u0000": then the walk decides), no such character in the document.
_ESCAPED_BAD_TEXT = re.compile(r'\\u(?:0000|[dD][89a-fA-F])')
_INTEGER = re.compile(r'\s*[+-]?\d+\s*')
MAX_ECHOED_INPUT = 200  # characters: a refusal says what was wrong with a long value without sending it back


def _not_true_or_false(value: Any) -> Any:
    """JSON's true and false where a whole number is expected: pydantic reads them as 1 and 0 (a customer sent with
    `"company_id": true` was linked to company 1, an order line's `"quantity": true` ordered one)."""
    if isinstance(value, bool):
        raise PydanticCustomError('int_type', 'Input should be a valid integer')
    return value


NOT_A_BOOLEAN = BeforeValidator(_not_true_or_false)
# a whole number in a JSON body: what pydantic's int takes (digits in a string too), except true and false
Whole = Annotated[int, NOT_A_BOOLEAN]


def _true_or_false_only(value: Any) -> Any:
    """Text or a number where a boolean is expected: pydantic reads "yes", "on", "1" and 1 as true, so a typo or a
    translated word ("oui" is refused, "yes" taken) decided a customer's consent. JSON's true and false only."""
    if value is None or isinstance(value, bool):
        return value
    raise ValueError(_('Send true or false (JSON booleans): text such as "yes", or a number, is not read as one'))


TRUE_OR_FALSE = BeforeValidator(_true_or_false_only)


def strict_scalars(annotation: Any) -> Any:
    """`annotation` taking only JSON's true and false when it is a boolean (bool, bool | None), and refusing true and
    false when it takes an integer (whole_numbers_only)."""
    if annotation is bool or (bool in get_args(annotation) and not _takes_int(annotation)):
        return Annotated[annotation, TRUE_OR_FALSE]
    return whole_numbers_only(annotation)


def whole_numbers_only(annotation: Any) -> Any:
    """`annotation` refusing true and false when it takes an integer (int, int | None, a constrained int)."""
    return Annotated[annotation, NOT_A_BOOLEAN] if _takes_int(annotation) else annotation


def _takes_int(annotation: Any) -> bool:
    """Whether a type is or holds int (`Annotated[int, …] | None`), not a bool (`bool` would refuse its own values)."""
    if annotation is int:
        return True
    if annotation is bool:
        return False
    members = get_args(annotation)
    return any(_takes_int(member) for member in members) and bool not in members


class MalformedInput(ValueError):
    """The input cannot be read safely; the message says why, the location where."""

    def __init__(self, location: list[str | int], message: str) -> None:
        super().__init__(message)
        self.location = location


def read_json(raw: bytes) -> Any:
    """The JSON document in `raw`, read strictly; MalformedInput when it is not valid, strict JSON."""
    try:
        text = raw.decode('utf-8')
    except UnicodeDecodeError:
        raise MalformedInput(['body'], _('The body is not valid UTF-8.')) from None
    try:
        value = json.loads(
            text,
            parse_constant=_no_constant,
            parse_float=_finite_float,
            parse_int=_int64,
            object_pairs_hook=_no_repeated_key,
        )
    except MalformedInput:
        raise
    except (ValueError, RecursionError) as error:
        raise MalformedInput(['body'], _('The body is not valid JSON: {error}.').format(error=error)) from None
    if _ESCAPED_BAD_TEXT.search(text):  # else no string in it can hold one: the walk is skipped (most bodies)
        _check_text(value, ['body'])
    return value


def check_text(value: str, location: list[str | int]) -> None:
    """MalformedInput when `value` holds a lone surrogate or a NUL character."""
    if _BAD_TEXT.search(value):
        raise MalformedInput(location, _('Text may not contain NUL characters or lone UTF-16 surrogates.'))


RATE_LIMIT_HEADERS: dict[str, dict[str, Any]] = {
    'RateLimit-Limit': {'description': 'Calls allowed in a row (the burst)', 'schema': {'type': 'integer'}},
    'RateLimit-Remaining': {'description': 'Calls left now', 'schema': {'type': 'integer'}},
    'RateLimit-Reset': {
        'description': 'Seconds until every call of the burst is allowed again',
        'schema': {'type': 'integer'},
    },
}
RETRY_AFTER_HEADER = {
    'Retry-After': {'description': 'Seconds to wait before calling again', 'schema': {'type': 'integer'}}
}


class StrictRoute(APIRoute):
    """An API route that reads its input strictly (see the module's docstring) before FastAPI parses it. A route that
    declares a 429 is rate limited: every answer of a call it counted carries the RateLimit-* headers (put on
    `request.state` by common.within_rate), and its OpenAPI description says so."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if 429 in self.responses:
            success = self.status_code or 200
            self.responses = {
                **self.responses,
                success: {**self.responses.get(success, {}), 'headers': RATE_LIMIT_HEADERS},
                429: {**self.responses[429], 'headers': {**RETRY_AFTER_HEADER, **RATE_LIMIT_HEADERS}},
            }

    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()
        takes_json = bool(self.dependant.body_params) and not any(
            isinstance(field.field_info, params.Form | params.File) for field in self.dependant.body_params
        )
        integer_params = {
            field.alias
            for field in (*self.dependant.path_params, *self.dependant.query_params)
            if _is_int(field.field_info.annotation)
        }

        async def strict(request: Request) -> Response:
            with i18n.use(language_of(request)):  # the human-readable messages in the caller's language
                return await _strict(request)

        async def _strict(request: Request) -> Response:
            try:
                _check_parameters(request, integer_params)
                body = await request.body()
                content_type = request.headers.get('content-type')
                if body and takes_json and not (content_type and _is_json(content_type)):
                    # FastAPI reads such a body as text (`curl -d` sends a form's type, some clients none) and would
                    # answer that "a valid dictionary" was expected: say what to send instead
                    raise MalformedInput(
                        ['header', 'content-type'],
                        _('Send the body as JSON, with the header Content-Type: application/json.'),
                    )
                if body and _is_json(content_type):
                    request._json = read_json(body)  # what FastAPI reads next (Starlette caches the JSON here)
            except MalformedInput as error:
                return JSONResponse(
                    {'detail': [{'loc': error.location, 'msg': str(error), 'type': 'malformed_input'}]}, status_code=422
                )
            try:
                response = await handler(request)
            except RequestValidationError as error:  # FastAPI's own 422, answered here while the language is known
                errors = in_words(tidied(error.errors()))
                errors += await run_in_threadpool(self._checked_too, request, errors)
                response = JSONResponse({'detail': jsonable_encoder(errors)}, status_code=422)
            except HTTPException as error:  # a refusal after the call was counted says what is left too
                if counted := getattr(request.state, 'rate_limit_headers', None):
                    error.headers = {**counted, **(error.headers or {})}
                raise
            except write_failures.MACHINE_ERRORS as error:
                failure = write_failures.classify(error)
                if failure is None:
                    raise
                response = failure_answer(failure)
            if counted := getattr(request.state, 'rate_limit_headers', None):
                for name, value in counted.items():
                    response.headers.setdefault(name, value)
            return response

        return strict

    def _checked_too(self, request: Request, errors: list[Any]) -> list[dict[str, Any]]:
        """The mistakes the endpoint's `checks` (set by `checked_with_the_body`) find in the body's fields that were
        read, in the 422's shape, for an answer that says every mistake at once: the fields that parsed are checked
        against the database too (an unknown customer beside a malformed version), not only after a second call."""
        checks: BodyChecks | None = getattr(self.endpoint, 'body_checks', None)
        model = (
            _body_model(self.dependant.body_params[0].field_info.annotation)
            if len(self.dependant.body_params) == 1
            else None
        )
        body = getattr(request, '_json', None)
        if (
            checks is None
            or not (isinstance(model, type) and issubclass(model, BaseModel))
            or not isinstance(body, dict)
        ):
            return []
        failed = {tuple(item['loc']) for item in errors if isinstance(item, dict) and 'loc' in item}
        path = {name: value for name, value in request.path_params.items() if ('path', name) not in failed}
        more = []
        for field, message in checks(parsed_fields(model, body, failed), path).items():
            location = body_location(field)
            if tuple(location) not in failed:  # a field is said once, its own mistake first
                more.append({'loc': location, 'msg': message, 'type': 'value_error'})
        return more


def _body_model(annotation: Any) -> Any:
    """The model of a body, also of one that may be left out (`Model | None`: an action with no required input)."""
    members = [member for member in get_args(annotation) if member is not type(None)]
    return members[0] if get_origin(annotation) in (Union, UnionType) and len(members) == 1 else annotation


Endpoint = TypeVar('Endpoint', bound=Callable[..., Any])
# What an endpoint checks in the database of the fields of its body that were read (each by its name: absent, it was
# not read), as {'lines.0.sku': message}, a path parameter's as {'path.number': message}; it is given the body's fields
# and the path's parameters that read (as sent, text): run when the body is refused, so those mistakes come in the same
# answer.
BodyChecks = Callable[[dict[str, Any], dict[str, str]], dict[str, str]]


def checked_with_the_body(checks: BodyChecks) -> Callable[[Endpoint], Endpoint]:
    """Mark an endpoint (under its @router decorator) whose body's database checks run beside the body's own
    validation: a refused body's answer also says the unknown customer, SKU… of the fields that were read."""

    def mark(endpoint: Endpoint) -> Endpoint:
        endpoint.body_checks = checks  # type: ignore[attr-defined]
        return endpoint

    return mark


def body_location(field: str) -> list[str | int]:
    """A service's field name as a 422's location: 'lines.0.sku' → ['body', 'lines', 0, 'sku'], 'path.number' →
    ['path', 'number']."""
    if field.startswith('path.'):
        return ['path', field.removeprefix('path.')]
    return ['body', *(int(part) if part.isdigit() else part for part in field.split('.') if part)]


def parsed_fields(
    model: type[BaseModel], raw: Any, failed: set[tuple[Any, ...]], at: tuple[Any, ...] = ('body',)
) -> dict[str, Any]:
    """The fields of `raw` (a body, or an item of one of its lists) that `model` reads without a mistake, as it reads
    them (a default for one not sent); a field refused (a location in `failed` at or under it) is left out, except a
    list of models whose items are read the same way, each as far as it goes."""
    if not isinstance(raw, dict):
        return {}
    values: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        key = field.alias or name
        here = (*at, key)
        if here in failed:
            continue
        if key not in raw:
            if not field.is_required():
                values[name] = field.get_default(call_default_factory=True)
            continue
        if any(location[: len(here)] == here for location in failed):
            item = _list_item_model(field.annotation)
            if item is not None and isinstance(raw[key], list):
                values[name] = [parsed_fields(item, entry, failed, (*here, i)) for i, entry in enumerate(raw[key])]
            continue
        try:
            read: Any = Annotated[(field.annotation, *field.metadata)] if field.metadata else field.annotation
            adapter = TypeAdapter(read)
            values[name] = adapter.dump_python(adapter.validate_python(raw[key]))  # a model's items as dicts
        except ValidationError:
            continue
    return values


def _list_item_model(annotation: Any) -> type[BaseModel] | None:
    if get_origin(annotation) is list:
        (item,) = get_args(annotation)
        if isinstance(item, type) and issubclass(item, BaseModel):
            return item
    return None


def tidied(errors: Sequence[Any]) -> list[Any]:
    """FastAPI's validation errors without the `input` they echo when it is long (over MAX_ECHOED_INPUT characters of
    JSON: a 20,000-character text, a whole batch of events or, for a missing field, the whole body would come back
    in the refusal — into the caller's logs — while `loc`, `msg` and `ctx` already say what is wrong), without
    the exception object in `ctx.error` (it reads as `{}` in JSON; `msg` holds its sentence), and with our validators'
    sentences as written (pydantic leads them with "Value error, ")."""
    return [_tidy(item) if isinstance(item, dict) else item for item in errors]


def _tidy(item: dict[str, Any]) -> dict[str, Any]:
    item = dict(item)
    if item.get('type') == 'value_error' and isinstance(item.get('msg'), str):  # our validators' sentence, as written
        item['msg'] = item['msg'].removeprefix('Value error, ')
    if 'input' in item and _echo_length(item['input']) > MAX_ECHOED_INPUT:
        del item['input']
    context = item.get('ctx')
    if isinstance(context, dict) and isinstance(context.get('error'), BaseException):
        context = {name: value for name, value in context.items() if name != 'error'}
        if context:
            item['ctx'] = context
        else:
            del item['ctx']
    return item


def _echo_length(value: Any) -> int:
    if isinstance(value, str):
        return len(value)
    try:
        return len(json.dumps(jsonable_encoder(value), default=str))
    except (TypeError, ValueError, RecursionError):
        return MAX_ECHOED_INPUT + 1


def in_words(errors: Sequence[Any]) -> list[Any]:
    """FastAPI's validation errors with each `msg` in the caller's language (pydantic's own English for an English
    caller, as it always was); `type`, `loc`, `input` and `ctx` are for machines and stay as they are."""
    if i18n.current() == i18n.SOURCE_LOCALE:
        return list(errors)
    return [{**item, 'msg': readable(item)} if isinstance(item, dict) and 'msg' in item else item for item in errors]


def failure_answer(failure: ServiceError) -> JSONResponse:
    """503 with Retry-After for a busy database, 507 for a full disk; nothing was written either way (the transaction
    never began or was rolled back), so the same call, with the same Idempotency-Key, may be sent again."""
    if isinstance(failure, write_failures.DiskFull):
        return JSONResponse({'detail': str(failure)}, status_code=507)
    seconds = writer_queue.RETRY_AFTER_SECONDS
    return JSONResponse({'detail': str(failure)}, status_code=503, headers={'Retry-After': str(seconds)})


def language_of(request: Request) -> str:
    """The language an API caller reads: the best of its Accept-Language we have, else English (never the staff's
    default: a front office that asks for nothing gets the messages its developers wrote against)."""
    return i18n.from_accept_language(request.headers.get('accept-language')) or i18n.SOURCE_LOCALE


def refuse_unknown_query(request: Request) -> None:
    """422 for each query parameter the request's route does not read, at its name, saying what the route takes: a
    misspelt filter (`?stauts=open`) would otherwise be ignored and the list answered unfiltered, as if it were the
    answer asked for. Every keyed route calls it once the key is checked (its checks run in that order): the resource
    API's, the intake's (/api/requests), the customer view's (/api/customer) and the legal acceptances'."""
    route = request.scope.get('route')
    if not isinstance(route, APIRoute):
        return
    known: tuple[str, ...] | None = getattr(route, 'known_query', None)  # read once per route
    if known is None:
        known = _query_names(route.dependant)
        route.known_query = known  # type: ignore[attr-defined]
    unknown = [name for name in dict.fromkeys(request.query_params.keys()) if name not in known]
    if unknown:
        raise HTTPException(
            422, [{'loc': ['query', name], 'msg': _unknown(name, known), 'type': 'extra_forbidden'} for name in unknown]
        )


def _unknown(name: str, known: tuple[str, ...]) -> str:
    """What to say of one unknown parameter: the nearest the route takes, if one is near enough, then all of them."""
    if not known:  # 'this route takes: -.' read like a typo of ours
        return _('Unknown query parameter; this route takes no query parameters.')
    takes = ', '.join(known)
    near = difflib.get_close_matches(name, known, n=1)
    if near:
        return _('Unknown query parameter; did you mean {guess}? This route takes: {names}.').format(
            guess=near[0], names=takes
        )
    return _('Unknown query parameter; this route takes: {names}.').format(names=takes)


def _query_names(dependant: Dependant) -> tuple[str, ...]:
    """The query parameters a route reads: its own and its dependencies'."""
    names: list[str] = []
    pending = [dependant]
    while pending:
        current = pending.pop(0)
        names += [field.alias for field in current.query_params]
        pending += current.dependencies
    return tuple(dict.fromkeys(names))


def _check_parameters(request: Request, integer_params: set[str]) -> None:
    for kind, values in (
        ('path', request.path_params.items()),
        ('query', request.query_params.multi_items()),
        ('header', request.headers.items()),
    ):
        for name, value in values:
            if not isinstance(value, str):
                continue
            check_text(value, [kind, name])
            if name in integer_params and _INTEGER.fullmatch(value) and not INT64_MIN <= _integer(value) <= INT64_MAX:
                raise MalformedInput([kind, name], _('The number is out of range (signed 64-bit integers only).'))


def _integer(value: str) -> int:
    """The integer a parameter spells, or 0 when int() does not read it (regex whitespace is wider than int()'s: a
    trailing '\\x1f'); the route's own validation then answers 422 for it."""
    try:
        return int(value)
    except ValueError:
        return 0


def _check_text(value: Any, location: list[str | int]) -> None:
    if isinstance(value, str):
        check_text(value, location)
    elif isinstance(value, dict):
        for key, item in value.items():
            check_text(key, location)
            _check_text(item, [*location, key])
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_text(item, [*location, index])


def _no_repeated_key(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object, refused when a key comes twice: JSON readers keep the last one, so `{"events": [A], "events": [B]}`
    dropped A unseen with a 202. Cost measured: a batch of 1,000 events read in 5.7 ms instead of 3.1 ms."""
    value = dict(pairs)
    if len(value) == len(pairs):
        return value
    seen: set[str] = set()
    for key, _item in pairs:
        if key in seen:
            raise MalformedInput(
                ['body', key[:MAX_ECHOED_INPUT]], _('The key appears twice in one object: send it once.')
            )
        seen.add(key)
    return value  # not reached: a shorter dict means a key came twice


def _no_constant(name: str) -> Any:
    raise MalformedInput(['body'], _('{name} is not a JSON number.').format(name=name))


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise MalformedInput(['body'], _('The number {number} is too large.').format(number=text[:40]))
    return value


def _int64(text: str) -> int:
    if len(text) > 20:  # more digits than any 64-bit integer: refused before converting a huge number
        raise MalformedInput(['body'], _('A number is out of range (signed 64-bit integers only).'))
    value = int(text)
    if not INT64_MIN <= value <= INT64_MAX:
        raise MalformedInput(
            ['body'], _('The number {number} is out of range (signed 64-bit integers only).').format(number=text)
        )
    return value


def _is_json(content_type: str | None) -> bool:
    if not content_type:
        return True  # read strictly all the same (a route taking JSON has refused it by then, StrictRoute)
    media = content_type.split(';', 1)[0].strip().lower()
    return media == 'application/json' or (media.startswith('application/') and media.endswith('+json'))


def _is_int(annotation: Any) -> bool:
    return annotation is int or int in get_args(annotation)
