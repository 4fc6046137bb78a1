"""The intake API: the front office submits customer requests and follow-ups with an API key, and customers rate a
solved request with the token from their link. Every refusal has its own status code, documented in OpenAPI.

Checks run cheapest first: body size (413), then the key (401/403) and its rate (429), then the input (422)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPBearer
from pydantic import (
    BaseModel,
    Field,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
    model_validator,
)
from sqlmodel import Session

from backoffice import i18n, validation
from backoffice.api.common import IDEMPOTENCY_RESPONSES, IdempotencyKey, Problem, answer_once, calling_key, within_rate
from backoffice.api.input_rules import (
    INT32_MAX,
    StrictRoute,
    Whole,
    checked_with_the_body,
    language_of,
    refuse_unknown_query,
)
from backoffice.db import read_session, session_scope
from backoffice.errors import NotFound, PermissionDenied, ServiceError, ValidationFailed
from backoffice.i18n import _
from backoffice.models import ApiKey, Ticket, TicketSource, TicketType
from backoffice.runtime import ratelimit
from backoffice.services import ticket_attachments, tickets

MAX_BODY_BYTES = 64 * 1024
# A new request's attachments come in its JSON as base64 (4 characters for 3 bytes): 10 MB of files make 13.4 MB of
# text, under this limit with the request's own 64 KB
MAX_FILES_BYTES = 10 * 1024 * 1024
MAX_BODY_WITH_FILES = 14 * 1024 * 1024


class SizeLimitedRoute(StrictRoute):
    """Refuses a body over MAX_BODY_BYTES before it is parsed: by its Content-Length when declared, else by
    counting while it streams in (a chunked upload declares none), so a huge body is never held in memory.
    A body within the limit is then read strictly (input_rules.StrictRoute)."""

    max_body_bytes = MAX_BODY_BYTES  # a subclass sets its own (the events batch is larger)

    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()
        limit = getattr(self.endpoint, 'max_body_bytes', self.max_body_bytes)  # a route with files takes more

        async def limited(request: Request) -> Response:
            declared = request.headers.get('content-length', '')
            if declared.isdecimal() and int(declared) > limit:
                return _too_large(request, limit)
            if request.method in {'POST', 'PUT', 'PATCH'}:
                body = bytearray()
                async for chunk in request.stream():
                    body += chunk
                    if len(body) > limit:
                        return _too_large(request, limit)
                request._body = bytes(body)  # what FastAPI reads next (Starlette caches the body here)
            return await handler(request)

        return limited


router = APIRouter(prefix='/api/requests', tags=['requests'], route_class=SizeLimitedRoute)
bearer = HTTPBearer(auto_error=False, description='An API key from /settings or `python -m backoffice create-api-key`')
RequestNumber = Annotated[int, Path(ge=1, le=INT32_MAX, description="The request's number, e.g. 1042")]


class NewAttachment(BaseModel):
    """A file the customer attached: a picture (PNG, JPEG, WebP, GIF) or a PDF, its type read from its bytes."""

    model_config = {'extra': 'forbid'}

    file_name: str = Field(min_length=1, max_length=200, description='As the customer named it, e.g. "parcel.jpg"')
    content_base64: str = Field(
        min_length=1, description='The file\'s bytes in base64 (RFC 4648, with or without the trailing "=")'
    )

    @field_validator('content_base64')
    @classmethod
    def _decodes(cls, value: str) -> str:
        try:
            base64.b64decode(value + '=' * (-len(value) % 4), validate=True)
        except (binascii.Error, ValueError):
            raise ValueError(_("This is not base64: send the file's bytes encoded in base64")) from None
        return value

    @model_validator(mode='after')
    def _a_file_kept(self) -> NewAttachment:
        # checked here, each at its place in the list (['body', 'attachments', 2]) beside the body's other mistakes;
        # the service, which checks them again, could only say "attachments"
        try:
            ticket_attachments.check([(self.file_name, self.content())])
        except ValidationFailed as refused:
            raise ValueError(' '.join(refused.errors.values())) from None
        return self

    def content(self) -> bytes:
        return base64.b64decode(self.content_base64 + '=' * (-len(self.content_base64) % 4))


ATTACHMENTS = (
    f'Pictures and PDFs with the message: at most {ticket_attachments.MAX_FILES} files, '
    f'{MAX_FILES_BYTES // (1024 * 1024)} MB in all (the body may then reach {MAX_BODY_WITH_FILES // (1024 * 1024)} '
    'MB); shown to the agent, downloadable by the customer in the portal'
)


def _without_no_files(dumped: dict[str, Any]) -> dict[str, Any]:
    """No attachments leave the dump as it was before there could be any: an Idempotency-Key's fingerprint
    (api_keys.request_fingerprint) of a call sent before stays the same."""
    if not dumped.get('attachments'):
        dumped.pop('attachments', None)
    return dumped


def an_email_address(value: str) -> str:
    """The email as sent, once it reads as an address: checked with the body's other fields, so a caller who also
    misspelt the type hears of both at once (the service, which checks it again, spoke only after the model passed)."""
    validation.normalize_email(value)  # its sentence, 'Enter a valid email address', is the service's own
    return value


TEXT: dict[str, Any] = {'minLength': 1}  # a text a_text_given checks: blank (or only spaces) is refused


def a_text_given(value: str) -> str:
    """The text as sent, unless it is only spaces: then refused with the body's other mistakes (the service, which
    trims it, found it blank only once everything else had passed)."""
    if not value.strip():
        raise ValueError(_('This field is required'))
    return value


class NewRequest(BaseModel):
    email: str = Field(max_length=254, description="The customer's email; the customer is found or created by it")
    name: str | None = Field(default=None, max_length=120, description="The customer's name, if known")
    # not blank: said by a_text_given, for '' as for spaces ('This field is required'), the schema's minLength beside
    subject: str = Field(max_length=200, description='Shown as text, never as HTML; not blank', json_schema_extra=TEXT)
    body: str = Field(max_length=20_000, description='Shown as text, never as HTML; not blank', json_schema_extra=TEXT)
    type: TicketType | None = Field(default=None, description='Default: question')
    order_number: str | None = Field(
        default=None,
        max_length=40,
        description="For a return_exchange: one of this customer's orders, or of their company's while they are a "
        "member who acts for it (a company admin or buyer, as the portal lets them return it; a viewer's own orders "
        'only); another number is refused at this field',
    )
    attachments: list[NewAttachment] = Field(
        default_factory=list, max_length=ticket_attachments.MAX_FILES, description=ATTACHMENTS
    )

    _email = field_validator('email')(an_email_address)
    _texts = field_validator('subject', 'body')(a_text_given)

    @model_serializer(mode='wrap')
    def _without_no_files(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        return _without_no_files(handler(self))

    model_config = {
        'extra': 'forbid',  # a misspelt field (orderNumber) is refused at its name, never dropped unseen
        'json_schema_extra': {
            'examples': [
                {
                    'email': 'jo@example.com',
                    'name': 'Jo Miller',
                    'subject': 'Where is my parcel?',
                    'body': 'I ordered a week ago and have heard nothing since.',
                    'type': 'question',
                    'order_number': 'A-1042',
                }
            ]
        },
    }


class RequestCreated(BaseModel):
    id: int
    number: int = Field(description='The number people quote, e.g. 1042')


class FollowUp(BaseModel):
    model_config = {'extra': 'forbid'}

    email: str = Field(max_length=254, description='Must be the email of the customer who opened the request')
    body: str = Field(max_length=20_000, description='Not blank', json_schema_extra=TEXT)
    attachments: list[NewAttachment] = Field(
        default_factory=list, max_length=ticket_attachments.MAX_FILES, description=ATTACHMENTS
    )

    _body = field_validator('body')(a_text_given)

    @model_serializer(mode='wrap')
    def _without_no_files(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        return _without_no_files(handler(self))


class FollowUpAdded(BaseModel):
    id: int = Field(description="The message's id in the request's thread")
    number: int = Field(
        description='The request the message joined: the one sent, or the request it was merged into (show that one)'
    )


class Rating(BaseModel):
    model_config = {'extra': 'forbid'}

    token: str = Field(max_length=64, description='The token from the link the customer received')
    score: Whole = Field(ge=1, le=5, description='1 (bad) to 5 (very good)')
    comment: str | None = Field(default=None, max_length=2000)


class Rated(BaseModel):
    number: int
    score: int


_SIZE = {413: {'model': Problem, 'description': f'The body is larger than {MAX_BODY_BYTES // 1024} KB'}}
_SIZE_WITH_FILES = {
    413: {
        'model': Problem,
        'description': f'The body is larger than {MAX_BODY_WITH_FILES // (1024 * 1024)} MB, or its attachments '
        f'than {MAX_FILES_BYTES // (1024 * 1024)} MB in all',
    }
}
_KEY = {
    401: {'model': Problem, 'description': 'No API key, or an unknown or revoked one (with `WWW-Authenticate`)'},
    429: {
        'model': Problem,
        'description': f'More than {ratelimit.API_KEY_CALLS_PER_MINUTE} calls a minute with this '
        'key; `Retry-After` says how many seconds to wait',
    },
}


def requests_key(request: Request, _credentials: Annotated[object, Depends(bearer)]) -> ApiKey:
    """The calling key, if it may write requests and is within its rate."""
    return calling_key(
        request,
        'requests:write',
        ratelimit.api_keys,
        _('Rate limit of {n} calls a minute for this API key reached.').format(n=ratelimit.api_keys.limit),
    )


def _return_order_mistake(given: dict[str, Any], _path: dict[str, str]) -> dict[str, str]:
    """A return's order number checked in the database when the body is refused (its type and email read), so it is
    said with the body's other mistakes; a body otherwise right has it checked by the service."""
    if given.get('type') != TicketType.return_exchange or 'email' not in given or 'order_number' not in given:
        return {}
    with read_session() as session:
        problem = tickets.return_order_problem(
            session, email=validation.normalize_email(given['email']), order_number=given['order_number']
        )
    return {'order_number': problem} if problem else {}


@router.post(
    '',
    status_code=201,
    response_model=RequestCreated,
    responses={
        **_SIZE_WITH_FILES,
        **_KEY,
        **IDEMPOTENCY_RESPONSES,
        403: {'model': Problem, 'description': 'The key lacks the `requests:write` scope, or the customer is banned'},
    },
)
@checked_with_the_body(_return_order_mistake)
def submit_request(
    payload: NewRequest,
    request: Request,
    key: Annotated[ApiKey, Depends(requests_key)],
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Open a customer request. The customer is found by email, or created."""

    files = _files(payload.attachments)
    if files is None:
        return _files_too_large(request)

    def act(session: Session) -> tuple[dict[str, Any], int]:
        ticket = tickets.submit_request(
            session=session, source=TicketSource.api, files=files, **payload.model_dump(exclude={'attachments'})
        )
        return RequestCreated(id=ticket.id, number=ticket.number).model_dump(), 201

    return answer_once(request, key, idempotency_key, payload, act, _http_error)


submit_request.max_body_bytes = MAX_BODY_WITH_FILES  # type: ignore[attr-defined]


def _follow_up_mistake(given: dict[str, Any], path: dict[str, str]) -> dict[str, str]:
    """The request and the customer's email checked in the database when the body is refused (its email read): no
    such request of theirs, or a closed one, is said at the number with the body's other mistakes."""
    if 'email' not in given or 'number' not in path:
        return {}
    with read_session() as session:
        problem = tickets.follow_up_problem(session, number=int(path['number']), email=given['email'])
    return {'path.number': problem} if problem else {}


@router.post(
    '/{number}/messages',
    status_code=201,
    response_model=FollowUpAdded,
    responses={
        **_SIZE_WITH_FILES,
        **_KEY,
        **IDEMPOTENCY_RESPONSES,
        403: {'model': Problem, 'description': 'The key lacks the `requests:write` scope, or the customer is banned'},
        404: {'model': Problem, 'description': 'No request with this number for this email'},
    },
)
@checked_with_the_body(_follow_up_mistake)
def add_follow_up(
    number: RequestNumber,
    payload: FollowUp,
    request: Request,
    key: Annotated[ApiKey, Depends(requests_key)],
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Add the customer's follow-up to a request's thread (it reopens a solved request). A body refused with 422
    also says, at `number`, when no request of this customer has this number or it is closed."""

    files = _files(payload.attachments)
    if files is None:
        return _files_too_large(request)

    def act(session: Session) -> tuple[dict[str, Any], int]:
        message = tickets.add_customer_message(
            session=session, number=number, email=payload.email, body=payload.body, files=files
        )
        landed = session.get(Ticket, message.ticket_id)  # a merged request's conversation goes on in the other one
        return FollowUpAdded(id=message.id, number=landed.number if landed else number).model_dump(), 201

    return answer_once(request, key, idempotency_key, payload, act, _http_error)


add_follow_up.max_body_bytes = MAX_BODY_WITH_FILES  # type: ignore[attr-defined]


@router.post(
    '/{number}/rating',
    status_code=200,
    response_model=Rated,
    responses={
        **_SIZE,
        404: {'model': Problem, 'description': 'No request with this number and token'},
        429: {
            'model': Problem,
            'description': 'Too many ratings from this address; `Retry-After` says how long to wait',
        },
    },
)
def rate_request(number: RequestNumber, payload: Rating, request: Request) -> Rated:
    """Rate a solved request 1–5, once. No API key: the token from the customer's link authorises it.
    A request not solved yet, already rated, or merged into another (its conversation goes on there, rated there) is
    refused with 422."""
    address = request.client.host if request.client else 'unknown'
    within_rate(ratelimit.ratings, f'address:{address}', _('Too many ratings from this address.'), request)
    refuse_unknown_query(request)  # no key here: the rate is the check that comes first
    with session_scope() as session:
        try:
            tickets.rate(
                session=session, number=number, token=payload.token, score=payload.score, comment=payload.comment
            )
        except ServiceError as error:
            raise _http_error(error) from None
    return Rated(number=number, score=payload.score)


def _files(attachments: list[NewAttachment]) -> list[tuple[str, bytes]] | None:
    """The attachments' names and bytes; None when together they pass MAX_FILES_BYTES."""
    files = [(attached.file_name, attached.content()) for attached in attachments]
    return None if sum(len(data) for _name, data in files) > MAX_FILES_BYTES else files


def _files_too_large(request: Request) -> JSONResponse:
    with i18n.use(language_of(request)):
        message = _('The attachments are larger than {n} MB in all.').format(n=MAX_FILES_BYTES // (1024 * 1024))
    return JSONResponse({'detail': message}, status_code=413)


def _http_error(error: ServiceError) -> HTTPException:
    if isinstance(error, ValidationFailed):  # the same shape as FastAPI's own 422: a list of {loc, msg, type}
        return HTTPException(
            422,
            [
                {'loc': _location(field), 'msg': message, 'type': 'value_error'}
                for field, message in error.errors.items()
            ],
        )
    if isinstance(error, tickets.CustomerBanned | PermissionDenied):
        return HTTPException(403, str(error))
    if isinstance(error, NotFound):
        return HTTPException(404, str(error))
    return HTTPException(409, str(error))


def _location(field: str) -> list[str]:
    if field == 'number':
        return ['path', 'number']
    return ['body', field] if field else ['body']


def _too_large(request: Request, limit: int = MAX_BODY_BYTES) -> JSONResponse:
    with i18n.use(language_of(request)):  # refused before StrictRoute's handler, which sets the language
        message = _('The request body is larger than {n} KB.').format(n=limit // 1024)
    return JSONResponse({'detail': message}, status_code=413)
