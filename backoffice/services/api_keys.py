"""API keys for machine clients: create (the secret shown once), list, change a key's scopes, revoke, and authenticate
a request by one; plus the idempotency records that make a retried API call return its first answer instead of acting
twice.

Only a SHA-256 of each secret is stored, not an argon2 hash: argon2 is slow on purpose to protect low-entropy
passwords against guessing, but a key is 40 random characters (~238 bits), which no speed of hashing makes
guessable. A fast hash keeps every API call cheap (argon2 would add tens of milliseconds and megabytes of memory
per request, a lever for overload), and the lookup goes by the prefix, so only one hash is compared."""

from __future__ import annotations

import difflib
import hashlib
import hmac
import json
import secrets
import string
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select, update

from backoffice import permissions
from backoffice.engine import declaration
from backoffice.errors import NotFound, ServiceError, StaleRecord, ValidationFailed
from backoffice.i18n import N_, _
from backoffice.models import ApiKey, IdempotencyRecord, User, utcnow
from backoffice.permissions import can, require
from backoffice.services import audit, roles
from backoffice.stored_text import sentence
from backoffice.validation import name_problem

SCOPES: dict[str, str] = {
    'requests:write': N_('Submit customer requests and follow-ups'),
    'events:write': N_('Send usage events'),
    'orders:write': N_('Send orders'),
    # the events key is public (it sits in every shop page): moving last_seen_at needs this scope, kept server-side
    'customers:seen': N_("Let usage events move customers' last-seen time (a server-side key only)"),
    'customers:read': N_("Read a customer's orders, requests and messages (the shop's own account page)"),
    'acceptances:write': N_("Record customers' acceptances of the legal documents"),
}

# an intake scope that reads personal data, or changes what only some roles may change, is given only by someone who
# may do that: a role with settings.manage but not customers.read must not reach customers through a key it makes, nor
# one without orders.write place orders (at any discount) through it (resource scopes act as their creator instead)
SCOPE_PERMISSIONS: dict[str, str] = {
    'customers:read': 'customers.read',
    'acceptances:write': 'customers.read',  # its answer tells whether an email is a customer's
    'orders:write': 'orders.write',  # places orders: reserves stock, creates customers, discounts up to 100 %
    'customers:seen': 'customers.write',  # moves customers' last-seen time, which segments and KPIs read
}

# per declared resource, for /api/v1/{resource}: 'read:customers' reads; 'write:customers' reads and writes (create,
# update, trash, actions). Another namespace than the scopes above, so no key of before gains a right ('orders:write'
# sends orders to /api/orders and is not 'write:orders').
RESOURCE_ACCESS: tuple[str, ...] = ('read', 'write')

PERMISSION = 'settings.manage'
PREFIX_LENGTH = 8
SECRET_LENGTH = 40
LAST_USED_PRECISION = timedelta(minutes=1)  # writing last_used_at on every call would make every call a write
IDEMPOTENCY_TTL = timedelta(hours=24)  # a retry later than this is a new request
IN_PROGRESS_TIMEOUT = timedelta(minutes=1)  # a reservation this old belongs to a call that died half-way

_ALPHABET = string.ascii_letters + string.digits  # no '_' or '-': the secret selects whole on a double-click
_PREFIX_ALPHABET = string.ascii_lowercase + string.digits


class KeyNotAccepted(ServiceError):
    """The request is not authenticated (→ 401)."""


class MissingKey(KeyNotAccepted):
    def __init__(self) -> None:
        super().__init__(_('An API key is required: send it as "Authorization: Bearer <key>".'))


class InvalidKey(KeyNotAccepted):
    def __init__(self) -> None:
        super().__init__(_('The API key is not valid.'))


class RevokedKey(KeyNotAccepted):
    def __init__(self) -> None:
        super().__init__(_('The API key has been revoked.'))


class KeyActsForNobody(ServiceError):
    """A key without a staff member to act as: it may not use the resource API (→ 403)."""

    def __init__(self) -> None:
        super().__init__(
            _('This API key acts for no active staff member, so its calls are refused; create a key at /settings.')
        )


class MissingScope(ServiceError):
    """A valid key that may not do this (→ 403)."""

    def __init__(self, scope: str) -> None:
        super().__init__(_('The API key does not have the {scope} scope.').format(scope=repr(scope)))
        self.scope = scope


def create_key(
    *,
    session: Session,
    actor: User | None,
    name: str,
    scopes: list[str] | set[str] | tuple[str, ...],
    system: bool = False,
    acting_as: User | None = None,
    usable_only: bool = False,
) -> tuple[ApiKey, str]:
    """A new key and its secret (`bo_<prefix>_<random>`), which is shown once and never stored. Its calls to /api/v1
    act as its creator (`acting_as` for the command line). `system=True` is for the command line, which has no
    actor."""
    if not system:
        require(actor, PERMISSION)
    acting_as = acting_as or actor
    name = (name or '').strip()
    chosen = list(dict.fromkeys(scope.strip() for scope in scopes if scope.strip()))
    errors = {}
    if not name:
        errors['name'] = _('Give the key a name that says who uses it.')
    elif name_problem(name):
        errors['name'] = name_problem(name)
    known = known_scopes()
    # `usable_only` (the command line): no scope beyond what the person the key acts as may do, whose calls would
    # only be refused; a key whose holder's role loses a right later is refused at each call (the API checks it)
    holder = acting_as if usable_only else None
    if problem := _scopes_problem(
        chosen, acts_for_someone=acting_as is not None, giver=None if system else actor, holder=holder
    ):
        errors['scopes'] = problem
    if errors:
        raise ValidationFailed(errors)
    for _attempt in range(5):  # a clash of random prefixes is very unlikely; the unique index catches it anyway
        prefix = ''.join(secrets.choice(_PREFIX_ALPHABET) for _i in range(PREFIX_LENGTH))
        secret = f'bo_{prefix}_' + ''.join(secrets.choice(_ALPHABET) for _i in range(SECRET_LENGTH))
        key = ApiKey(
            name=name,
            prefix=prefix,
            hash=_digest(secret),
            scopes=sorted(chosen, key=list(known).index),
            created_by=actor.email if actor else 'system',
            user_id=acting_as.id if acting_as else None,
        )
        session.add(key)
        try:
            session.flush()
        except IntegrityError:
            session.rollback()
            continue
        audit.record(
            session,
            actor,
            'api_key.created',
            'api_key',
            key.id,
            summary=sentence(
                N_('API key “{name}” ({prefix}) created with {scopes}'),
                name=name,
                prefix=prefix,
                scopes=', '.join(key.scopes),
            ),
            changes={'name': [None, name], 'scopes': [None, key.scopes]},
        )
        session.commit()
        return key, secret
    raise ServiceError(_('Could not create a unique key; try again.'))


def list_keys(*, session: Session, actor: User) -> list[ApiKey]:
    """Every key, newest first (revoked ones too, so the list explains why a client stopped working)."""
    require(actor, PERMISSION)
    return list(session.exec(select(ApiKey).order_by(col(ApiKey.id).desc())))


def change_scopes(
    *, session: Session, actor: User, key_id: int, scopes: list[str] | tuple[str, ...], expected: list[str]
) -> ApiKey:
    """Give a key other scopes, keeping its secret (its clients go on working with what it may now do). `expected`:
    the scopes the editor was shown; if they changed since (someone else's edit), nothing is saved (StaleRecord)."""
    require(actor, PERMISSION)
    key = session.get(ApiKey, key_id, with_for_update=session.bind.dialect.name != 'sqlite')
    if key is None:
        raise NotFound(_('This API key does not exist.'))
    if sorted(key.scopes) != sorted(expected):
        last = audit.last_change(session, 'api_key', key.id)
        raise StaleRecord(
            N_('API key'), audit.named(session, last.actor_email) if last else None, last.at if last else None, 0
        )
    if key.revoked_at is not None:
        raise ValidationFailed({'scopes': _('This API key is revoked: its scopes can no longer change.')})
    owner = session.get(User, key.user_id) if key.user_id is not None else None
    if owner is not None and owner.id != actor.id and permissions.beyond(actor, permissions.permissions_of(owner.role)):
        # its calls act as its owner: widening it would let the editor's scopes reach what only the owner may do
        raise ValidationFailed(
            {
                'scopes': _(
                    'This key acts as {email}, whose role holds rights your own does not: ask an admin.'
                ).format(email=owner.email)
            }
        )
    known = known_scopes()
    chosen = list(dict.fromkeys(scope.strip() for scope in scopes if scope.strip()))
    if problem := _scopes_problem(chosen, acts_for_someone=key.user_id is not None, giver=actor):
        raise ValidationFailed({'scopes': problem})
    after = sorted(chosen, key=list(known).index)
    if after == key.scopes:
        return key
    before = list(key.scopes)
    key.scopes = after
    session.add(key)
    audit.record(
        session,
        actor,
        'api_key.scopes_changed',
        'api_key',
        key.id,
        summary=sentence(
            N_('API key “{name}” ({prefix}) now has {scopes}'),
            name=key.name,
            prefix=key.prefix,
            scopes=', '.join(after),
        ),
        changes={'scopes': [before, after]},
    )
    session.commit()
    return key


def _scopes_problem(
    chosen: list[str], *, acts_for_someone: bool, giver: User | None, holder: User | None = None
) -> str | None:
    known = known_scopes()
    unknown = [scope for scope in chosen if scope not in known]
    if unknown:
        return _unknown_scope(unknown[0], known)
    if not chosen:
        return _('Choose at least one scope.')
    if not acts_for_someone and any(scope not in SCOPES for scope in chosen):
        return _('A key with resource scopes acts for a staff member: name one (--as EMAIL).')
    beyond = [scope for scope in chosen if giver is not None and not can(giver, SCOPE_PERMISSIONS.get(scope))]
    if beyond and SCOPE_PERMISSIONS[beyond[0]].endswith('.read'):
        return _('You may not give the scope {scope}: it reads what your role may not.').format(scope=repr(beyond[0]))
    if beyond:
        return _('You may not give the scope {scope}: it changes what your role may not.').format(scope=repr(beyond[0]))
    denied = [scope for scope in chosen if holder is not None and not can(holder, _needs(scope))]
    if denied:
        return _('{email} may not use the scope {scope}: their role does not allow it ({permission}).').format(
            email=holder.email if holder is not None else '', scope=repr(denied[0]), permission=_needs(denied[0])
        )
    return None


def _needs(scope: str) -> str | None:
    """The permission a key's calls need for the scope to be of any use: a resource's read or write permission."""
    access, _colon, resource_key = scope.partition(':')
    resource = declaration.RESOURCES.get(resource_key)
    if access in RESOURCE_ACCESS and resource is not None:
        return resource.read_permission if access == 'read' else resource.write_permission
    return SCOPE_PERMISSIONS.get(scope)


def revoke_key(*, session: Session, actor: User, key_id: int) -> ApiKey:
    """Stop a key from working, at once and for good (revoking twice is harmless)."""
    require(actor, PERMISSION)
    key = session.get(ApiKey, key_id)
    if key is None:
        raise NotFound(_('This API key does not exist.'))
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        session.add(key)
        audit.record(
            session,
            actor,
            'api_key.revoked',
            'api_key',
            key.id,
            summary=sentence(N_('API key “{name}” ({prefix}) revoked'), name=key.name, prefix=key.prefix),
            changes={'revoked_at': [None, key.revoked_at.isoformat()]},
        )
        session.commit()
    return key


def _unknown_scope(scope: str, known: dict[str, str]) -> str:
    """Why a scope is unknown, naming what exists and the nearest one: a misspelt resource (`read:custmers`), a write
    scope of a resource only read over the API (`write:audit`), or something else."""
    resources = list(declaration.RESOURCES)
    access, colon, resource_key = scope.partition(':')
    if colon and access in RESOURCE_ACCESS:
        if resource_key in declaration.RESOURCES:
            return _('Unknown scope {scope}: {resource} can only be read over the API; choose {read}.').format(
                scope=repr(scope), resource=repr(resource_key), read=repr(resource_scope('read', resource_key))
            )
        near = difflib.get_close_matches(resource_key, resources, n=1)
        if near:
            return _(
                'Unknown scope {scope}: no resource is called {resource}; did you mean {guess}? Resources: {resources}.'
            ).format(
                scope=repr(scope),
                resource=repr(resource_key),
                guess=repr(resource_scope(access, near[0])),
                resources=', '.join(resources),
            )
        return _('Unknown scope {scope}: no resource is called {resource}. Resources: {resources}.').format(
            scope=repr(scope), resource=repr(resource_key), resources=', '.join(resources)
        )
    near = difflib.get_close_matches(scope, list(known), n=1)
    if near:
        return _(
            'Unknown scope {scope}; did you mean {guess}? Choose from {choices}, or read:<resource> / write:<resource> '
            'for one of: {resources}.'
        ).format(scope=repr(scope), guess=repr(near[0]), choices=', '.join(SCOPES), resources=', '.join(resources))
    return _(
        'Unknown scope {scope}; choose from {choices}, or read:<resource> / write:<resource> for one of: {resources}.'
    ).format(scope=repr(scope), choices=', '.join(SCOPES), resources=', '.join(resources))


def authenticate(session: Session, header_value: str | None, scope: str, *, touch: bool = True) -> ApiKey:
    """The key an `Authorization: Bearer <key>` header names, if it is valid, not revoked and holds the scope.
    Raises MissingKey / InvalidKey / RevokedKey (401), MissingScope, KeyActsForNobody or PermissionDenied (403: its
    person, `check_maker`). `touch=False`: only read (the caller
    uses a read session and calls `touch_if_stale` itself, so most calls take no write turn)."""
    if scope not in SCOPES and scope not in known_scopes():
        raise KeyError(f'unknown scope {scope!r}')
    if not header_value or not header_value.strip():
        raise MissingKey()
    kind, _space, secret = header_value.strip().partition(' ')
    secret = secret.strip()
    if kind.lower() != 'bearer' or not secret:
        raise MissingKey()
    parts = secret.split('_', 2)
    if len(parts) != 3 or parts[0] != 'bo' or len(parts[1]) != PREFIX_LENGTH:
        raise InvalidKey()
    key = session.exec(select(ApiKey).where(ApiKey.prefix == parts[1])).first()
    if key is None or not hmac.compare_digest(key.hash, _digest(secret)):
        raise InvalidKey()
    if key.revoked_at is not None:
        raise RevokedKey()
    if not holds(key, scope):
        raise MissingScope(scope)
    check_maker(session, key, scope)
    if touch:
        touch_if_stale(session, key)
    return key


def known_scopes() -> dict[str, str]:
    """Every scope a key may hold, in the order they are offered: the four of the intake APIs, then read and write for
    each declared resource (a resource declared later gets its scopes with no code)."""
    scopes = dict(SCOPES)
    for key, resource in declaration.RESOURCES.items():
        for access in RESOURCE_ACCESS if writable(resource) else ('read',):
            scopes[resource_scope(access, key)] = ''
    return scopes


def writable(resource: declaration.Resource) -> bool:
    """Whether /api/v1 can change its records (create, update, trash or an action): else it has only a read scope."""
    return bool(resource.create or resource.update or resource.soft_delete or resource.actions)


def resource_scope(access: str, resource_key: str) -> str:
    """'read:customers' / 'write:customers'."""
    return f'{access}:{resource_key}'


def holds(key: ApiKey, scope: str) -> bool:
    """Whether the key holds the scope; a resource's write scope includes its read scope."""
    if scope in key.scopes:
        return True
    access, _colon, resource_key = scope.partition(':')
    return access == 'read' and resource_scope('write', resource_key) in key.scopes


def acts_as(*, session: Session, actor: User, keys: list[ApiKey]) -> dict[int, tuple[str, bool]]:
    """Per key (by id) whom its /api/v1 calls act as: their email and whether they are active (a deactivated one's key
    is refused there, while the list would say 'active')."""
    require(actor, PERMISSION)
    ids = {key.user_id for key in keys if key.user_id is not None}
    people = {row.id: (row.email, row.is_active) for row in session.exec(select(User).where(col(User.id).in_(ids)))}
    return {key.id or 0: people[key.user_id] for key in keys if key.user_id in people}


def uses_the_resource_api(key: ApiKey) -> bool:
    """Whether the key holds a read:<resource> / write:<resource> scope (those act as a staff member)."""
    return any(scope not in SCOPES for scope in key.scopes)


def acting_user(session: Session, key: ApiKey) -> User:
    """The staff member a key's calls to /api/v1 act as, read afresh (a role changed since counts now); KeyActsForNobody
    when there is none or they were deactivated."""
    user = session.get(User, key.user_id) if key.user_id is not None else None
    if user is None or not user.is_active:
        raise KeyActsForNobody()
    roles.sync(session)  # a custom role changed by another process counts from this call on, as on a page
    return user


def check_maker(session: Session, key: ApiKey, scope: str) -> None:
    """At every call of a key, the staff member it acts for (who made it at /settings, or `--as`), read afresh as
    /api/v1 reads them: KeyActsForNobody once they are deactivated or deleted, PermissionDenied once their role lost
    the right an intake scope needs (SCOPE_PERMISSIONS; a resource scope's rights are the services' to check). A key
    the command line made for nobody (the front office's, `created_by='system'`) acts for nobody on the intake routes,
    and /api/v1 refuses it (`acting_user`)."""
    if key.user_id is None and key.created_by == 'system':
        return
    require(acting_user(session, key), SCOPE_PERMISSIONS.get(scope))


def is_stale(key: ApiKey) -> bool:
    """Its "last used" is older than the precision kept (a minute): the call should record it."""
    return key.last_used_at is None or utcnow() - key.last_used_at >= LAST_USED_PRECISION


def touch_if_stale(session: Session, key: ApiKey) -> None:
    now = utcnow()
    if not is_stale(key):
        return
    # a conditional UPDATE: concurrent calls of the same key do not fight over the row's version
    session.exec(
        update(ApiKey)
        .where(
            ApiKey.id == key.id,
            (col(ApiKey.last_used_at).is_(None)) | (col(ApiKey.last_used_at) < now - LAST_USED_PRECISION),
        )
        .values(last_used_at=now)
    )
    session.commit()
    key.last_used_at = now


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


# --- idempotency -------------------------------------------------------------------------------------------------


class IdempotencyConflict(ServiceError):
    """The Idempotency-Key was used before with a different request (→ 422)."""

    def __init__(self) -> None:
        super().__init__(
            _(
                'This Idempotency-Key was already used with a different request. '
                'Send a new key for a new request, or repeat the original request exactly.'
            )
        )


class IdempotencyInProgress(ServiceError):
    """The first call with this Idempotency-Key has not finished yet (→ 409)."""

    def __init__(self) -> None:
        super().__init__(_('A request with this Idempotency-Key is still being processed. Retry in a moment.'))


def request_fingerprint(method: str, path: str, body: Any) -> str:
    """The same call with the same JSON (in any key order or spacing) gives the same fingerprint."""
    canonical = json.dumps(body, sort_keys=True, separators=(',', ':'), ensure_ascii=False, default=str)
    return hashlib.sha256(f'{method.upper()} {path}\n{canonical}'.encode()).hexdigest()


def reserve_idempotency_key(
    *, session: Session, api_key: ApiKey, idempotency_key: str, fingerprint: str
) -> IdempotencyRecord | None:
    """Inside the caller's transaction, which then does the work and `remember_response` and commits all three
    together: the change and its answer are kept together or not at all, so a retry after any failure gets the first
    answer or runs once. None: this is the first call (the key is now held by this transaction: a concurrent retry
    waits for it, on SQLite at BEGIN, on PostgreSQL at the key's unique index, then gets its answer). A record: the
    answer given to the first call, to give again. Raises IdempotencyConflict for a different request under the same
    key; IdempotencyInProgress for a reservation left by an earlier version that reserved in its own transaction."""
    now = utcnow()
    for _attempt in range(3):
        existing = session.exec(
            select(IdempotencyRecord).where(
                IdempotencyRecord.api_key_id == api_key.id, IdempotencyRecord.idempotency_key == idempotency_key
            )
        ).first()
        if existing is not None:
            expired = now - existing.created_at > IDEMPOTENCY_TTL
            abandoned = existing.status_code == 0 and now - existing.created_at > IN_PROGRESS_TIMEOUT
            if not (expired or abandoned):
                if not hmac.compare_digest(existing.request_hash, fingerprint):
                    raise IdempotencyConflict()
                if existing.status_code == 0:
                    raise IdempotencyInProgress()
                return existing
            session.delete(existing)
            session.flush()
        session.add(
            IdempotencyRecord(
                api_key_id=api_key.id,
                idempotency_key=idempotency_key,
                request_hash=fingerprint,
                status_code=0,
                created_at=now,
            )
        )
        try:
            session.flush()
            return None
        except IntegrityError:  # a concurrent first call held the key and has committed: read its answer
            session.rollback()
    raise IdempotencyInProgress()


def remember_response(
    *,
    session: Session,
    api_key: ApiKey,
    idempotency_key: str,
    fingerprint: str,
    status_code: int,
    response: dict[str, Any],
) -> None:
    """The answer to give again, in the transaction of the work it answers (the caller commits). If the service
    rolled its transaction back on the way (a race it lost and answered from the winner), the key is held again."""
    result = session.exec(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.api_key_id == api_key.id, IdempotencyRecord.idempotency_key == idempotency_key)
        .values(status_code=status_code, response=response)
    )
    if not result.rowcount:
        session.add(
            IdempotencyRecord(
                api_key_id=api_key.id,
                idempotency_key=idempotency_key,
                request_hash=fingerprint,
                status_code=status_code,
                response=response,
                created_at=utcnow(),
            )
        )


def purge_idempotency_records(*, session: Session) -> int:
    """Forget answers older than the retry window (for a scheduled job)."""
    result = session.exec(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < utcnow() - IDEMPOTENCY_TTL))
    session.commit()
    return result.rowcount or 0
