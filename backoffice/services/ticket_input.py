"""What customers and agents may send about a support request: the checked shapes of a new request, an agent's
change, a message body and a rating comment, with their limits and messages at the field."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, ValidationError

from backoffice.errors import ValidationFailed, field_errors
from backoffice.i18n import _
from backoffice.models import BugSeverity, BugStatus, TicketPriority, TicketStatus, TicketType
from backoffice.validation import Email, OptionalId, name_problem, too_long

SUBJECT_MAX, BODY_MAX, NAME_MAX, COMMENT_MAX, TAGS_MAX, TAG_MAX = 200, 20_000, 120, 2_000, 20, 40
SHORT_LINE_MAX = 40  # an order number, a version (Ticket.order_number, Ticket.fixed_in_version)


def _without_nul(value: Any) -> Any:
    return '' if value is None else value.replace('\x00', '') if isinstance(value, str) else value


def _text(limit: int, *, required: bool = True, one_line: bool = False):
    def check(value: str) -> str | None:
        value = ' '.join(value.split()) if one_line else value.strip()
        if not value:
            if required:
                raise ValueError(_('This field is required'))
            return None
        if len(value) > limit:
            raise ValueError(too_long(limit, len(value)))
        return value

    return Annotated[str | None if not required else str, BeforeValidator(_without_nul), AfterValidator(check)]


def _tags(value: Any) -> list[str]:
    if value is None or isinstance(value, str | list | tuple):
        items = value.split(',') if isinstance(value, str) else list(value or [])
    else:  # a number, an object: said at the field, not a server error
        raise ValueError(_('Tags are a list, or words separated by commas'))
    tags: list[str] = []
    for item in items:
        tag = ' '.join(_without_nul(str(item)).split()).lower()
        if len(tag) > TAG_MAX:
            raise ValueError(_('A tag has at most {n} characters').format(n=TAG_MAX))
        if tag and name_problem(tag, maximum=TAG_MAX):
            raise ValueError(
                _('Tag {tag}: {problem}').format(tag=repr(tag), problem=name_problem(tag, maximum=TAG_MAX))
            )
        if tag and tag not in tags:
            tags.append(tag)
    if len(tags) > TAGS_MAX:
        raise ValueError(_('At most {n} tags').format(n=TAGS_MAX))
    return tags


Subject = _text(SUBJECT_MAX, one_line=True)
Body = _text(BODY_MAX)
Name = _text(NAME_MAX, required=False, one_line=True)
ShortLine = _text(SHORT_LINE_MAX, required=False, one_line=True)  # an order number, a version
LongText = _text(BODY_MAX, required=False)
Comment = _text(COMMENT_MAX, required=False)
Tags = Annotated[list[str], BeforeValidator(_tags)]


class RequestIn(BaseModel):
    """A request as the front office, the contact form or an agent sends it."""

    model_config = ConfigDict(extra='forbid')

    email: Email
    name: Name = None
    subject: Subject
    body: Body
    type: TicketType | None = None
    order_number: ShortLine = None
    priority: TicketPriority | None = None


class TicketChange(BaseModel):
    """What an agent may change on a request; every field optional."""

    model_config = ConfigDict(extra='forbid')

    subject: Subject | None = None
    status: TicketStatus | None = None
    priority: TicketPriority | None = None
    type: TicketType | None = None
    assignee_id: OptionalId = None
    tags: Tags | None = None
    order_number: ShortLine = None
    severity: BugSeverity | None = None
    steps: LongText = None
    bug_status: BugStatus | None = None
    fixed_in_version: ShortLine = None


class _BodyIn(BaseModel):
    body: Body


class _CommentIn(BaseModel):
    comment: Comment = None


def _valid(schema: type[BaseModel], data: dict[str, Any], *, partial: bool = False) -> dict[str, Any]:
    try:
        return schema.model_validate(data).model_dump(exclude_unset=partial)
    except ValidationError as error:
        raise ValidationFailed(field_errors(error)) from None
