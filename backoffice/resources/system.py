"""The system's own records shown through the engine: the audit log (read-only), each entry shown only to those who
may read the record it is about."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, SQLModel, col

from backoffice.engine.declaration import RESOURCES, Card, Column, Filter, FormField, Resource, Wording, register
from backoffice.i18n import N_, Verbatim, ngettext
from backoffice.models import AuditEntry
from backoffice.permissions import can
from backoffice.services import audit


@dataclass(frozen=True)
class AuditedType:
    """A kind of record the log has entries about that is not a declared resource: who may read its entries (else
    admins only; tests/test_audit_visibility.py fails on an undeclared one), what the log calls it, where it is."""

    permission: str
    label: str  # 'Invoices', as the record-type filter offers it
    singular: str  # 'invoice', as a sentence names one
    link: str = ''  # the screen that shows it, as a resource's link: '/orders/{order_id}'
    model: type[SQLModel] | None = None  # its table, when an entry's record id finds a row there
    related: dict[str, str] = field(default_factory=dict)  # link fields that stand for another resource's record


OTHER_AUDITED_TYPES = {
    'settings': AuditedType('settings.manage', N_('Settings'), N_('settings'), '/settings'),
    'api_key': AuditedType('settings.manage', N_('API keys'), N_('API key'), '/settings'),
    'system': AuditedType('system.manage', N_('System'), N_('system'), '/system'),
    'receipts': AuditedType('finance.read', N_('Payments received'), N_('payment received'), '/finance/receivables'),
    'reminders': AuditedType('finance.read', N_('Payment reminders'), N_('payment reminder'), '/finance/receivables'),
    'bank_accounts': AuditedType('finance.read', N_('Bank accounts'), N_('bank account'), '/finance/bank'),
    'bank_statements': AuditedType('finance.read', N_('Bank statements'), N_('bank statement'), '/finance/bank'),
    'bank_lines': AuditedType('finance.read', N_('Bank lines'), N_('bank line'), '/finance/bank'),
    'segments': AuditedType('segments.read', N_('Segments'), N_('segment'), '/segments'),
    'kpi_definitions': AuditedType('kpis.read', N_('KPI definitions'), N_('KPI definition')),
    'objective': AuditedType('kpis.read', N_('Goals'), N_('objective'), '/goals'),
    'alert_rule': AuditedType('kpis.read', N_('Alert rules'), N_('alert rule'), '/alerts'),
    'saved_views': AuditedType('audit.read', N_('Saved views'), N_('saved view')),
    'report_schedule': AuditedType('reports.read', N_('Report schedules'), N_('report schedule'), '/reports'),
    'automations': AuditedType('automations.manage', N_('Automations'), N_('automation'), '/automations'),
    'role': AuditedType('users.manage', N_('Roles'), N_('role'), '/roles'),
    'sheet_feeds': AuditedType('users.manage', N_('Spreadsheet feeds'), N_('spreadsheet feed'), '/feeds'),
    'digest': AuditedType('users.manage', N_('Digests'), N_('digest')),  # each person's own choice
    'bank_rules': AuditedType('finance.read', N_('Bank rules'), N_('bank rule'), '/finance/bank'),
}
# the record-type filter names a record by its singular, capitalised (name_record_types): marked here for the catalog
CAPITALISED_SINGULARS = (
    N_('Payment received'),
    N_('Payment reminder'),
    N_('Bank account'),
    N_('Bank statement'),
    N_('Bank line'),
    N_('Objective'),
    N_('Alert rule'),
    N_('Report schedule'),
    N_('Automation'),
    N_('Spreadsheet feed'),
    N_('Digest'),
    N_('Bank rule'),
)
ENTITY_PERMISSIONS = {entity: audited.permission for entity, audited in OTHER_AUDITED_TYPES.items()}
# where a resource's own label does not say what its records are once outside its screen
LABELS_IN_THE_LOG = {
    'stock': N_('Stock levels'),
    'stock-movements': N_('Stock movements'),
    'webhook-deliveries': N_('Webhook deliveries'),
}


def entity_permissions() -> dict[str, str]:
    """Every audit entity and the permission needed to read its entries."""
    return {**ENTITY_PERMISSIONS, **{r.entity: r.read_permission for r in audited_resources().values()}}


def audited_resources() -> dict[str, Resource]:
    """entity → the declared resource whose records its entries are about (the first one, when two share an entity)."""
    found: dict[str, Resource] = {}
    for declared in RESOURCES.values():
        if declared.key != 'audit':
            found.setdefault(declared.entity, declared)
    return found


def readable_entries(actor: Any) -> list[Any]:
    """The audit entries this actor may read: those about records they may read (all of them for an admin)."""
    if all(can(actor, permission) for permission in set(entity_permissions().values())):
        return []
    allowed = sorted(entity for entity, permission in entity_permissions().items() if can(actor, permission))
    return [col(AuditEntry.entity).in_(allowed)]


# a row names its record's type by the resource's singular, capitalised ('Order'): marked here for the catalog, those
# that are not already a column label somewhere (the audit log's type column translates them where it shows them)
RECORD_TYPE_NAMES = (
    N_('Page'),
    N_('Legal version'),
    N_('Return'),
    N_('Purchase'),
    N_('Stock level'),
    N_('Movement'),
    N_('Carrier'),
    N_('User'),
    N_('Request'),
    N_('Canned reply'),
    N_('Company'),
    N_('Category'),
    N_('Delivery'),
    N_('Settings'),
    N_('API key'),
    N_('System'),
    N_('Invoice'),
    N_('Payment'),
    N_('Segment'),
    N_('KPI definition'),
    N_('Saved view'),
)

# What the record-type filter offers ('Orders') and a row shows ('Order'): every audited type, filled in by
# name_record_types() once every resource is registered (backoffice/resources/__init__.py), so that a new resource
# is offered without anyone adding it here.
RECORD_TYPES: dict[str, str] = {}
RECORD_TYPE: dict[str, str] = {}


def name_record_types() -> None:
    """Fill RECORD_TYPES and RECORD_TYPE from the registry and OTHER_AUDITED_TYPES; a resource that is another view
    of a model already listed (staff: the staff users who answer requests) is left out."""
    plural, singular, models = {}, {}, set()
    for entity, declared in audited_resources().items():
        if declared.model in models:
            continue
        models.add(declared.model)
        entity = getattr(entity, 'value', entity)  # a Topic: its plain name, as stored in the log
        plural[entity] = LABELS_IN_THE_LOG.get(entity, declared.label)
        singular[entity] = declared.singular[:1].upper() + declared.singular[1:]
    for entity, audited in OTHER_AUDITED_TYPES.items():
        plural[entity] = audited.label
        singular[entity] = audited.singular[:1].upper() + audited.singular[1:]
    RECORD_TYPES.clear()
    RECORD_TYPES.update(sorted(plural.items(), key=lambda item: item[1].lower()))
    RECORD_TYPE.clear()
    RECORD_TYPE.update(singular)


# What the "What" filter offers: the actions the log holds ('order.paid'), as stored (they name no sentence of their
# own); kept current in place by know_audited_actions() when the log's screen is opened
AUDITED_ACTIONS: dict[str, str] = {}


def know_audited_actions(session: Session) -> None:
    """Fill AUDITED_ACTIONS with the actions the log holds now (a new kind of change is offered from the next visit)."""
    found = {action: Verbatim(action) for action in audit.actions_in_the_log(session)}
    AUDITED_ACTIONS.update(found)


AUDIT = register(
    Resource(
        key='audit',
        label=N_('Audit log'),
        singular=N_('change'),
        wording=Wording(
            count=lambda n: ngettext('{n} change', '{n} changes', n),
            arrived=lambda n: ngettext('{n} new change', '{n} new changes', n),
            none_yet=N_('There are no changes yet.'),
        ),
        model=AuditEntry,
        create=None,
        update=None,
        permission='audit',
        title='summary',
        card=Card(title='summary', status='entity', secondary=('at', 'actor_email')),
        icon='history',
        soft_delete=False,
        plural=N_('changes'),
        description=N_('Every change and sign-in: who, what, when, before and after'),
        columns=(
            Column('at', N_('When'), kind='datetime'),
            Column('actor_email', N_('Who')),
            Column('action', N_('What'), on_phone=False),
            Column('entity', N_('Record type'), kind='choice', choices=RECORD_TYPE, on_phone=False),
            Column('entity_id', N_('Record'), sortable=False, on_phone=False),
            Column('summary', N_('Summary'), kind='stored_text', sortable=False),
        ),
        fields=(
            FormField('at', N_('When'), kind='datetime', on_edit=False),
            FormField('actor_email', N_('Who'), on_edit=False),
            FormField('action', N_('What'), on_edit=False),
            FormField('entity', N_('Record type'), on_edit=False),
            FormField('entity_id', N_('Record'), on_edit=False),
            FormField('summary', N_('Summary'), kind='long_text', on_edit=False),
            FormField('changes', N_('Changes (before → after)'), kind='long_text', on_edit=False),
        ),
        search=('actor_email', 'action', 'summary'),
        filters=(
            # who made the change: a staff member (offered to those who may read staff users, as any related filter)
            Filter('actor_id', N_('Who'), 'related', related='users'),
            Filter('action', N_('What'), 'choice', choices=AUDITED_ACTIONS, closed=False),
            Filter('entity', N_('Record type'), 'choice', choices=RECORD_TYPES),
            Filter('at', N_('When'), 'date_range'),
        ),
        default_sort='at',
        default_descending=True,
        row_filter=readable_entries,
    )
)
