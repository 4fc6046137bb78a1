"""Saved views: a user keeps a list's filter, sort and columns under a name, for themselves or for the team."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, or_, select

from backoffice.db import one_at_a_time
from backoffice.engine.declaration import Resource
from backoffice.errors import NotFound, ValidationFailed
from backoffice.i18n import N_, _
from backoffice.models import SavedView, User
from backoffice.permissions import can, require
from backoffice.services import audit
from backoffice.stored_text import sentence, word
from backoffice.validation import clean_name

DELETE_ANY = 'users.manage'  # besides its owner, who may delete a view (an admin tidying the team's)
STATE_KEYS = {'search', 'filters', 'sort', 'descending', 'page_size', 'columns', 'trash'}


def list_views(*, session: Session, actor: User, resource: Resource) -> list[SavedView]:
    """The user's own views and those shared with the team, by name."""
    require(actor, resource.read_permission)
    statement = (
        select(SavedView)
        .where(SavedView.resource == resource.key)
        .where(or_(SavedView.owner_id == actor.id, col(SavedView.shared).is_(True)))
        .order_by(SavedView.name)
    )
    return list(session.exec(statement))


def save_view(
    *, session: Session, actor: User, resource: Resource, name: str, state: dict[str, Any], shared: bool = False
) -> SavedView:
    """Create the view, or replace the user's own view of the same name."""
    require(actor, resource.read_permission)
    name = (name or '').strip()
    if not name:
        raise ValidationFailed({'name': _('Give the view a name')})
    try:
        name = clean_name(name)
    except ValueError as error:
        raise ValidationFailed({'name': str(error)}) from None
    state = {key: value for key, value in state.items() if key in STATE_KEYS}
    # no unique key on (resource, owner, name): two saves of one name at once take turns, the second replaces the first
    one_at_a_time(session, f'saved_view:{actor.id}:{resource.key}')
    view = session.exec(
        select(SavedView).where(
            SavedView.resource == resource.key, SavedView.owner_id == actor.id, SavedView.name == name
        )
    ).first()
    if view is None:
        view = SavedView(resource=resource.key, owner_id=actor.id, name=name)
    view.state, view.shared = _json_safe(state), shared
    session.add(view)
    session.flush()
    audit.record(
        session,
        actor,
        'view.saved',
        'saved_views',
        view.id,
        summary=sentence(
            N_('Saved view "{name}" on {list} (shared)') if shared else N_('Saved view "{name}" on {list}'),
            name=name,
            list=word(resource.label),
        ),
    )
    session.commit()
    return view


def rename_view(*, session: Session, actor: User, view_id: int, name: str) -> SavedView:
    """Give one's own view another name (a typo, a view whose filters outgrew its name), keeping what it holds, its
    sharing and its spreadsheet feed; refused when the person already has a view of that name on the list (saving
    under it would replace that one, so two never share a name)."""
    view = session.get(SavedView, view_id)
    if view is None:
        raise NotFound(_('This view no longer exists.'))
    if view.owner_id != actor.id:
        raise ValidationFailed({'': _('Only the person who saved a view can rename it')})
    try:
        name = clean_name(name)
    except ValueError as error:
        raise ValidationFailed({'name': str(error)}) from None
    if name == view.name:
        return view
    # two renames to one name at once (two tabs), or a rename and a save of it, take turns: the second sees the first's
    one_at_a_time(session, f'saved_view:{actor.id}:{view.resource}')
    taken = session.exec(
        select(SavedView.id).where(
            SavedView.resource == view.resource,
            SavedView.owner_id == actor.id,
            SavedView.name == name,
            SavedView.id != view.id,
        )
    ).first()
    if taken is not None:
        raise ValidationFailed({'name': _('You already have a view named "{name}" on this list').format(name=name)})
    before, view.name = view.name, name
    session.add(view)
    audit.record(
        session,
        actor,
        'view.renamed',
        'saved_views',
        view.id,
        changes={'name': [before, name]},
        summary=sentence(N_('Renamed view "{before}" to "{name}"'), before=before, name=name),
    )
    session.commit()
    return view


def delete_view(*, session: Session, actor: User, view_id: int) -> None:
    view = session.get(SavedView, view_id)
    if view is None:
        raise NotFound(_('This view no longer exists.'))
    if view.owner_id != actor.id and not can(actor, DELETE_ANY):
        raise ValidationFailed({'': _('Only the person who saved a view (or an admin) can delete it')})
    session.delete(view)
    audit.record(
        session,
        actor,
        'view.deleted',
        'saved_views',
        view_id,
        summary=sentence(N_('Deleted view "{name}"'), name=view.name),
    )
    session.commit()


def _json_safe(state: dict[str, Any]) -> dict[str, Any]:
    filters = {}
    for name, value in (state.get('filters') or {}).items():
        if isinstance(value, tuple | list) and len(value) == 2 and not all(isinstance(v, str) for v in value if v):
            value = [v.isoformat() if v is not None else None for v in value]  # a date range
        filters[name] = value
    return {**state, 'filters': filters}
