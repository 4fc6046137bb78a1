"""A resource is declared once — model, columns, form fields, search, filters, sort, permissions, actions — and the
listing engine, the record service, export, import and every list and form in the UI are driven by it."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from string import Formatter
from typing import Any, Literal, Protocol

from annotated_types import MaxLen
from pydantic import BaseModel
from sqlalchemy import String
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, SQLModel

from backoffice.events import Topic, is_topic
from backoffice.formatting import display_value, shop_currency
from backoffice.i18n import N_, Verbatim, _, ngettext, pgettext
from backoffice.permissions import PERMISSIONS, can


class Template(str):
    """A declared text with values to put in once it is translated (the list of event names in a help text):
    `Template(N_('Comma-separated, or * for all: {events}'), events='order.paid, …')`; shown() does both."""

    values: dict[str, Any]

    def __new__(cls, text: str, **values: Any) -> Template:
        made = super().__new__(cls, text)
        made.values = values
        return made


def shown(text: str | None) -> str:
    """A declared text (a label, a help, a choice, a confirmation: marked with N_) in the reader's language; '' stays ''
    (gettext would answer the catalog's header)."""
    if not text:
        return ''
    if isinstance(text, Verbatim):  # shown as it is in every language (a language's own name)
        return str(text)
    context = getattr(text, 'context', None)
    translated = pgettext(context, text) if context else _(text)
    values = getattr(text, 'values', None)
    return translated.format(**values) if values else translated


def shown_choices(choices: dict[str, str] | None) -> dict[str, str]:
    """A declared choice table with its labels in the reader's language (for a select's options)."""
    return {value: shown(text) for value, text in (choices or {}).items()}


ColumnKind = Literal[
    'text', 'email', 'number', 'money', 'date', 'datetime', 'due', 'bool', 'choice', 'related', 'stored_text'
]
# 'stored_text': English text the app stored with its msgid and values in `<name>_key` / `<name>_params` beside it
# (backoffice/stored_text.py), shown in the reader's language: the audit log's summaries
# 'number': a quantity or a count, grouped as the reader writes numbers (1 234 in French); a number that names a record
# (a request's No., an HTTP status) is a 'text' column
# 'due': a deadline, shown counting down ('in 2 h 05 min', red once overdue)
FieldKind = Literal[
    'text',
    'email',
    'password',
    'long_text',
    'markdown',
    'number',
    'money',
    'choice',
    'date',
    'datetime',
    'bool',
    'related',
    'image',
]
# 'tags': a JSON list of words (a request's tags); the filter keeps the records holding any of the words given
FilterKind = Literal['choice', 'bool', 'present', 'date_range', 'related', 'number_range', 'tags']


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    kind: ColumnKind = 'text'
    sortable: bool = True
    on_phone: bool = True  # False: hidden under 600 px
    shown: bool = True  # False: listed under "Columns" but not shown until chosen (or a view shows it)
    wrap: bool = False  # long text (a subject) wraps over lines instead of widening the table
    choices: dict[str, str] | None = None
    # sorted in the order its choices are declared (low, normal, high, urgent), not by the alphabet of their values;
    # a choice column that is not nullable. The list reads it value by value, each a range of its (column, id) index
    ranked: bool = False
    related: str | None = None  # key of the resource whose record this column points at
    # a 'related' column: the field of that record shown instead of its resource's title (a movement's author by the
    # user's name, not the email that titles a user)
    shows: str = ''
    # the record's field holding the id of the `related` resource's record that the cell links to (a related column:
    # itself); the cell is a link when that resource's link is '…{id}…' and the reader may read it
    opens: str = ''
    # values that call for someone to act (a refund that failed): shown in red, and on a phone's card even when the
    # card does not list this column
    alarming: tuple[str, ...] = ()
    # another of the resource's columns whose value leads this one's cell when both have one ('30.00 · Refunded by
    # hand'); that column still stands alone in exports, the API and the Columns menu
    lead: str = ''
    # a 'money' column: the record's field naming its currency ('currency': an order's own); '' the shop's currency;
    # None the amount alone (a record that does not say its currency)
    currency: str | None = ''
    # a 'due' column's text for a record with no deadline counting ('Paused': a request waiting on the customer); None
    # or '' leaves the cell empty
    idle: Callable[[Any], str] | None = None
    # the value a service works out from the record, shown in place of the field's (an order's status once refunded:
    # services/orders.status_shown) by the list, a phone's card, the record page and exports; filters and the API
    # read the stored field, and so does sorting unless `sorted_by` says otherwise. A 'choice' column's choices then
    # name the values it gives too
    derived: Callable[[Any], Any] | None = None
    # a derived column's value in SQL, for the list's sort (keyset pages included) to follow what the column shows
    # rather than the stored field (a legal document's 'Live from': its version in force, not its next version's
    # date); called once per list request, so it may depend on the time. Its type: the field's. None: the field
    sorted_by: Callable[[], ColumnElement[Any]] | None = None
    # the API answers the derived value too, where it is the field's meaning made exact (a delivery's next attempt:
    # null once delivered or given up, not the stored time of a try that will not come); its type: the field's or null
    api_derived: bool = False
    # a line under the value on the record's own page, worked out from the record ('' for none): why it stands so (a
    # banned customer's reason); lists, cards, exports and the API show the value alone
    detail: Callable[[Any], str] | None = None

    def value(self, record: Any) -> Any:
        """This column's value of a record: the derived one where declared, else the record's field."""
        return self.derived(record) if self.derived is not None else getattr(record, self.name, None)

    def text(self, record: Any) -> str:
        """This column's value of a record as a person reads it: money with its currency (€1,234.50; 1 234,50 €)."""
        value = self.value(record)
        if self.kind != 'money' or self.currency is None:
            return display_value(value, self.kind, self.choices)
        currency = getattr(record, self.currency, None) if self.currency else shop_currency()
        return display_value(value, self.kind, self.choices, str(getattr(currency, 'value', currency) or '') or None)


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    kind: FieldKind = 'text'
    required: bool = False
    help: str = ''
    choices: dict[str, str] | None = None
    # a choice's values a record may hold that are not offered, set only by an action (a banned customer's status):
    # a record holding one shows it, read-only (the action undoes it), and an edit of other fields keeps it
    held: dict[str, str] | None = None
    related: str | None = None
    on_create: bool = True  # False: not asked when creating (set by the system or an action)
    on_edit: bool = True  # False: shown read-only when editing
    # a fact that applies to some records only (a delivered webhook has no next attempt): shown when this holds
    applies: Callable[[Any], bool] | None = None
    # a value that carries other resources' data (a webhook delivery's payload: the customer, the order): the record →
    # the permissions its reader must hold to see this value. Others get the record without it (the form says which
    # right it needs, the API answers null and names it in `withheld`); such a field is never a column, searched or
    # filtered on (lists, cards and exports show columns to every reader of the resource)
    needs: Callable[[Any], frozenset[str]] | None = None
    # a line under the value, worked out from the record when the form opens (a pending delivery's next attempt:
    # 'in 4 min'); '' for none
    note: Callable[[Any], str] | None = None
    # a new record's form starts with this value, where the screen's default differs from the create schema's (a staff
    # user's "Email an invitation" is ticked on the screen, off over the API); None: the schema's default
    default: Any = None
    # the value the form shows in place of the stored one (a webhook's address with its user:password@ masked); an
    # edit that leaves it untouched sends nothing for it, and the resource's update function keeps what the mask hides
    shown: Callable[[Any], Any] | None = None
    # the most characters its service takes, where no schema or column of the resource says it (an action's reason, a
    # value its own service checks); a text field counts up to it and stops there (Resource.most_characters)
    most: int | None = None


TEXT_KINDS = frozenset({'text', 'long_text', 'markdown', 'email', 'password'})


def most_characters(schemas: tuple[Any, ...], declared: FormField) -> int | None:
    """The most characters a text field takes: its declaration's `most`, else the least of the limits the resource's
    schemas and table column put on it (pydantic max_length, a String(n) column); None when nothing limits it."""
    if declared.kind not in TEXT_KINDS:
        return None
    if declared.most is not None:
        return declared.most
    limits: list[int] = []
    for schema in schemas:
        info = getattr(schema, 'model_fields', {}).get(declared.name)
        limits += [m.max_length for m in getattr(info, 'metadata', ()) if isinstance(m, MaxLen)]
        column_type = getattr(getattr(getattr(schema, '__table__', None), 'c', {}).get(declared.name), 'type', None)
        if isinstance(column_type, String) and column_type.length:
            limits.append(column_type.length)
    return min(limits, default=None)


def withheld(resource: Resource, actor: Any, record: Any) -> dict[str, list[str]]:
    """The form fields of `record` that `actor` may not see (FormField.needs), each with the permissions missing."""
    hidden = {}
    for declared in resource.fields:
        if declared.needs is not None:
            missing = sorted(name for name in declared.needs(record) if not can(actor, name))
            if missing:
                hidden[declared.name] = missing
    return hidden


@dataclass(frozen=True)
class Filter:
    name: str
    label: str
    kind: FilterKind
    choices: dict[str, str] | None = None
    related: str | None = None
    # a 'choice' filter's choices are all it takes (True), or what it offers of an open set (False: the audit log's
    # actions as found when its screen last opened; any other value filters too, finding nothing, in every process)
    closed: bool = True
    # the attribute it filters when not its name: a day's range beside a yes/no filter of the same column (requests
    # by the day their SLA was breached, beside "SLA breached: yes")
    column: str | None = None
    # a date filter on what is no column of the list's table (customers by their first order's day): the condition
    # for the instants [start, end) in UTC (None: unbounded), in place of a column's
    condition: Callable[[datetime | None, datetime | None], ColumnElement[bool]] | None = None
    # a 'choice' filter's choices whose meaning is more than the column's value (an order "Partly shipped": packed
    # with a parcel gone; "Packed": packed with none yet): each such choice's condition, in place of `column == value`;
    # a 'bool' filter's 'yes' and 'no' likewise (stock "Low": flagged low, of a product not in the trash)
    meanings: Mapping[str, Callable[[], ColumnElement[bool]]] | None = None
    # a related filter on what is no column of the list's table (an invoice's customer, through its order): the
    # condition for the record's id (None: no record), read by the indexes of the rows it goes through
    related_condition: Callable[[int | None], ColumnElement[bool]] | None = None


@dataclass(frozen=True)
class Card:
    """How a record reads on a phone, where the list is a list of cards: a title line, a status chip and two or three
    secondary values, each the name of one of the resource's columns."""

    title: str
    status: str | None = None
    secondary: tuple[str, ...] = ()
    # values shown after the secondary ones only once a record has one (a received return's 'Restocked: 2 of 3'),
    # so a card grows by a line only when it has something more to say
    once_set: tuple[str, ...] = ()
    # a column that names the record, shown before the title on the title line ('#1065 · Where is my parcel?'), so a
    # record known by its number keeps it on a phone without taking one of the secondary lines; `lead_format` puts
    # its value in words ('#{}')
    lead: str | None = None
    lead_format: str = '{}'


MAX_SECONDARY = 3


@dataclass(frozen=True)
class RelatedList:
    """A tab of a record's dialog listing the records of another resource that point at it (a company's contacts):
    `filter` is the name of that resource's 'related' filter."""

    label: str
    resource: str
    filter: str
    applies: Callable[[Any], bool] | None = None  # whether a record can have such records (None: all can)


@dataclass(frozen=True)
class LinkWording:
    """What becomes of the records that point at one by a field while it is in the trash, counted, declared whole by
    the resource that points (a translation agrees it): `one` speaks of one trashed record ("3 products are in this
    category: they will show no category while it is in the trash."), `many` of several; each a function of n calling
    ngettext that returns the sentence with `{n}` still in it."""

    one: Callable[[int], str]
    many: Callable[[int], str]


@dataclass(frozen=True)
class SectionRow:
    """One record in a record page's section: what names it, a line of details, and the address of its own page."""

    title: str
    detail: str = ''
    href: str = ''
    status: str = ''  # a stored value, shown by the section's label for it
    at: datetime | None = None


@dataclass(frozen=True)
class SectionRows:
    """What a section shows: its first rows (the most recent first), how many there are in all (`total`, or at least
    `total` when `more`), and the address of the whole filtered list."""

    rows: list[SectionRow]
    total: int
    more: bool = False
    see_all: str = ''


class LoadSection(Protocol):
    """A section's query: a core service function that checks `permission` itself and reads by an index."""

    def __call__(self, *, session: Session, actor: Any, record_id: int, limit: int) -> SectionRows: ...


@dataclass(frozen=True)
class RecordSection:
    """A section of a record's page (a customer's orders): shown only to those holding `permission`, which `load`
    enforces as well."""

    key: str
    label: str
    permission: str
    load: LoadSection
    statuses: dict[str, str] | None = None  # labels of the rows' status values
    empty: str = N_('None yet.')


@dataclass(frozen=True)
class LineChange:
    """One line of a text compared with the text it replaced: 'added', 'removed', 'same', or 'skipped' (`text` then
    says how many unchanged lines are folded away)."""

    kind: str
    text: str


@dataclass(frozen=True)
class Changes:
    """What changed in a record's text from the record it replaced (`against` names that one; '' for the first,
    which replaced nothing)."""

    against: str
    lines: list[LineChange]


class LoadChanges(Protocol):
    def __call__(self, *, session: Session, actor: Any, record_id: int) -> Changes: ...


@dataclass(frozen=True)
class Comparison:
    """A record that replaces an earlier one (a legal document's version): a tab of its dialog shows what changed from
    that one, line by line. `load` checks its permission itself."""

    label: str
    load: LoadChanges
    applies: Callable[[Any], bool] | None = None  # whether a record has an earlier one to compare with (None: all do)


@dataclass(frozen=True)
class LedgerRow:
    """One change of a quantity a record holds (a product's stock): when, by how much (signed), what it was after,
    why (in the reader's language), what it came from (an order's number, linked when the reader may open it) and
    who made it ('' for the system)."""

    at: datetime
    change: int
    after: int
    reason: str
    reference: str = ''
    href: str = ''
    by: str = ''


@dataclass(frozen=True)
class LedgerPage:
    """One page of a record's ledger, newest first: `page` of `pages` (1-based), `total` rows in all."""

    rows: list[LedgerRow]
    page: int
    pages: int
    total: int


class LoadLedger(Protocol):
    def __call__(self, *, session: Session, actor: Any, record_id: int, page: int) -> LedgerPage: ...


@dataclass(frozen=True)
class Ledger:
    """A tab of a record's dialog listing each change of a quantity it holds, newest first, a page at a time (a
    product's stock history: why its stock is what it is). `load` checks its permission itself."""

    label: str
    load: LoadLedger
    empty: str
    applies: Callable[[Any], bool] | None = None  # whether a record has such a ledger (None: all do)


@dataclass(frozen=True)
class PersonalData:
    """A resource whose records are people (GDPR): on the record page, holders of `permission` export everything held
    about one (in the background, to a link that expires) and erase their personal data after a preview by kind and
    the record's `confirm_with` field typed to confirm. Every function checks the permission itself."""

    permission: str
    export: Callable[..., tuple[Any, str]]  # (session=, actor=, record_id=, progress=) → (path of the ZIP, file name)
    preview: Callable[..., dict[str, int]]  # (session=, actor=, record_id=) → how many records of each kind change
    erase: Callable[..., dict[str, int]]  # (session=, actor=, record_id=, version=, confirmation=) → the same counts
    kinds: dict[str, str]  # kind → what changes in it, marked with N_
    erased: Callable[[Any], bool]  # whether the record is already erased (no Erase button then)
    confirm_with: str = 'email'


@dataclass(frozen=True)
class Foreseen:
    """A part of what an action will do, said in its dialog under a heading of its own ('What customers see'), one
    short line each: a long paragraph of consequences was not read."""

    heading: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Outcome:
    """What a create or an action may return besides the record: a message, and a secret to show only once
    (a generated password, an API key)."""

    record: Any
    message: str = ''
    secret: str | None = None
    secret_label: str = ''
    secret_note: str = ''  # why the secret is shown (a staff member's password when no invitation could be emailed)


class RunAction(Protocol):
    """An action's service function; `inputs` are the values of the action's input fields."""

    def __call__(
        self, *, session: Session, actor: Any, record_id: int, version: int | None = ..., **inputs: Any
    ) -> Any: ...


class CreateWith(Protocol):
    """A resource's own create (staff users: hashing, a generated password): returns the record or an Outcome."""

    def __call__(self, *, session: Session, actor: Any, data: dict[str, Any]) -> Any: ...


class UpdateWith(Protocol):
    """A resource's own update: refuses a stale `version`, returns the record."""

    def __call__(
        self, *, session: Session, actor: Any, record_id: int, version: int | None, changes: dict[str, Any]
    ) -> Any: ...


@dataclass(frozen=True)
class Action:
    """A named operation on one record (ban, unban, publish…), run by a service function with its own rules;
    `inputs` names FormFields asked in a small dialog."""

    key: str
    label: str
    run: RunAction
    permission: str
    inputs: tuple[FormField, ...] = ()
    visible: Callable[[Any], bool] = lambda record: True
    # why it does not apply to a record `visible` turns away, and what to do (`(record) → text`): the API's 409 says
    # it; without it, that the action does not apply to this record now
    not_now: Callable[[Any], str] | None = None
    # whether this actor is offered it on this record (`(record, actor) → bool`): what the service refuses for them
    # (deactivating or resetting one's own account) is not offered; the service still refuses it if called anyway
    for_actor: Callable[[Any, Any], bool] = lambda record, actor: True
    icon: str = 'bolt'
    confirm: str = ''
    # a question the inputs call for (`warn(session=, actor=, record_id=, **inputs)` → text or None); once the person
    # confirms it, `run` gets confirmed=True
    warn: Callable[..., str | None] | None = None
    # what running it does beyond the record, said in its dialog before the person confirms (`foresee(session=,
    # actor=, record_id=)` → text, '' for nothing: who becomes a company's admin when its last one is banned; or, for
    # more than a sentence or two, parts each under its heading, `Foreseen`); the API does not ask it, the outcome's
    # message says it again
    foresee: Callable[..., str | tuple[Foreseen, ...]] | None = None
    # pressed with unsaved edits in the form, the action saves them first and runs on the saved record, in one
    # transaction (`crud.save_then_run`: the form's version checked, so a colleague's save meanwhile is refused, not
    # overwritten); without it the form says in place that it works on the saved record and offers "Save and continue"
    # (the same, once asked)
    saves_edits: bool = False

    def offered(self, record: Any, actor: Any) -> bool:
        """Whether the action applies to the record now and this actor is not refused it for who they are (the
        permission is checked beside it, with `can`)."""
        return self.visible(record) and self.for_actor(record, actor)


@dataclass(frozen=True)
class Wording:
    """The sentences that speak of a resource's records, declared whole: a translation agrees them with the noun
    ("Nouveau client", "Nouvelle commande"), so they are never glued from a label. Texts are marked with N_ and
    translated where shown; a count is a function of n calling ngettext (each language has its own plural forms) that
    returns the sentence with `{n}` still in it."""

    count: Callable[[int], str]  # lambda n: ngettext('{n} customer', '{n} customers', n)
    arrived: Callable[[int], str]  # lambda n: ngettext('{n} new customer', '{n} new customers', n)
    none_yet: str  # N_('There are no customers yet.')
    new: str = ''  # N_('New customer'): a resource one may create
    create: str = ''  # N_('Create customer'): its form's button
    created: str = ''  # N_('Customer created')
    trashed: str = ''  # N_('Customer moved to the trash'): a resource with a trash
    restored: str = ''  # N_('Customer restored')


@dataclass(frozen=True)
class KindWords:
    """How one kind of a resource's records is named when a field's value decides what a record is (content holds
    pages, texts and legal documents: a legal document's form said "Create page"); texts marked with N_."""

    singular: str  # N_('legal document')
    new: str  # N_('New legal document'): its form's title
    create: str  # N_('Create legal document'): its form's button
    created: str  # N_('Legal document created')


@dataclass(frozen=True)
class MoreExport:
    """Another file the list's Export menu offers besides its rows (the lines of the orders listed), made from the
    list's current search, filters and sort."""

    key: str  # 'order-lines': its menu items are marked export-order-lines-csv / -xlsx
    label: str  # N_('Export order lines to CSV'): its CSV item; `label_xlsx` the Excel one
    label_xlsx: str
    # (session=, actor=, resource=, request=, fmt=, progress=) → transfer.exports.ExportFile; checks the permission
    write: Callable[..., Any]


@dataclass(frozen=True)
class Resource:
    key: Topic | str  # URL segment; a Topic when its changes are published (Topic.customers)
    label: str  # 'Customers'
    singular: str  # 'customer'
    model: type[SQLModel]
    create: type[BaseModel] | None  # validates a new record (None: a read-only resource)
    update: type[BaseModel] | None  # validates changes (every field optional)
    columns: tuple[Column, ...]
    fields: tuple[FormField, ...]
    permission: str  # 'customers' → 'customers.read' / 'customers.write'
    title: str = 'name'  # the field that names a record in messages and type-aheads
    search: tuple[str, ...] = ()
    # (field, resource key): a search term also finds the rows whose field points at a record that the other
    # resource's own `search` finds (a request by its customer's name or email: ('customer_id', 'customers')), read
    # by that resource's search index; only for readers of that resource, and one level deep (not its search_related)
    search_related: tuple[tuple[str, str], ...] = ()
    # (session, term) → ids of more records the term finds, looked up by another table's index (an order by its
    # shipment's tracking number): read with the list's own search, for the list's readers
    search_ids: Callable[[Session, str], list[int]] | None = None
    filters: tuple[Filter, ...] = ()
    # a money column whose total over every row the list shows (its search and filters) the list's caption says, per
    # currency when its column names the record's: '12 orders · €1,234.50 · £80.00'
    summed: str = ''
    # values the model reads only when asked (deferred column_property: an invoice's customer through its order) that
    # the list's rows, cards and exports show: read with each page instead of one query per row
    undeferred: tuple[str, ...] = ()
    default_sort: str = 'id'
    default_descending: bool = False
    unique: tuple[str, ...] = ()  # fields whose duplicates are refused with a field error
    soft_delete: bool = True  # delete moves to the trash (the model has deleted_at)
    # whether a record may be deleted at all (None: every one); a record it refuses shows no Delete button
    deletable: Callable[[Any], bool] | None = None
    # whether this actor may change this record at all (`(record, actor) → bool`, None: whoever may write the resource):
    # a record its service refuses them (a colleague whose role holds rights theirs does not) opens read-only, without
    # Save or actions; the service still refuses it if called anyway
    changeable_by: Callable[[Any, Any], bool] | None = None
    actions: tuple[Action, ...] = ()
    check_change: Callable[[Any, dict[str, Any]], dict[str, str]] | None = None  # extra rules on an update
    # yes/no fields only the person themselves agrees to (marketing consent): an import never turns one on for an
    # existing record (a spreadsheet made before they opted out would opt them back in); it may still turn one off
    own_consent: tuple[str, ...] = ()
    # the work a saved change brings, in its transaction (session, record, diff {field: [before, after]}), whether a
    # form, an import or a revert saved it: a product stocked again reserves for the open orders holding it
    after_change: Callable[[Any, Any, dict[str, list[Any]]], None] | None = None
    # what moving these records to the trash does beyond the links pointing at them, said before it is done
    # (`(session, ids) → sentences`, crud.trash_consequences): a company's last admin is replaced
    trash_said: Callable[[Any, list[int]], list[str]] | None = None
    # what a record's form says first, above its fields, when there is something to act on ('' for nothing): a
    # product not stocked with units still recorded on its shelf
    note: Callable[[Any], str] | None = None
    # what the form says once an edit is saved, when "Changes saved" would mislead (the saved record → a sentence, or
    # '' for the usual words): a legal document's edits are not live until a version is published
    saved_note: Callable[[Any], str] | None = None
    # what a notification says of one record when the wording's sentence would misname it ('created', 'trashed' or
    # 'restored' and the record → a sentence, '' for the wording's): content holds pages, texts and legal documents
    said_of: Callable[[str, Any], str] | None = None
    # (field, {value: KindWords}): a record's own words by the value of that field (content's kind), in its form (as
    # the kind is chosen), its notifications and the audit log; a value without words reads as the resource
    kind_words: tuple[str, dict[str, KindWords]] | None = None
    # A resource whose writes need more than the generic service (e.g. staff users: hashing, sessions) names its own;
    # the generic service then validates nothing for them: their service does it all.
    create_with: CreateWith | None = None
    update_with: UpdateWith | None = None
    read: str | None = None  # permission names when they are not '<permission>.read/.write'
    write: str | None = None
    audit_entity: str | None = None  # the name its audit entries use, when not the key
    related_lists: tuple[RelatedList, ...] = ()  # detail tabs of other resources' records that point at a record
    lookup_where: Callable[[], list[Any]] | None = None  # conditions on what a related select offers (type-ahead)
    # conditions on the rows this actor may read, applied to every list, count, export and record read (the audit
    # log shows an entry only to those who may read the record it is about)
    row_filter: Callable[[Any], list[Any]] | None = None
    # the record's own page, a path with the record's attributes in braces ('/customers/{id}'), and its sections
    page: str = ''
    sections: tuple[RecordSection, ...] = ()
    icon: str = 'table_rows'
    description: str = ''
    plural: str = ''  # how a count reads ('12 changes'); default: the label in lower case
    # where one record is shown, as a path with the record's fields in braces: '/orders/{number}', or its list opening
    # it: '/customers?open={id}'. A related column's field stands for its record's title ('/orders/{order_id}' →
    # '/orders/103002'). '' : no screen shows one record (the audit log links to nothing then).
    link: str = ''
    # when a purge must keep a record that others still refer to (a customer's orders are accounting records): erase
    # its personal data in place, (session, record) inside the purge's transaction; returns whether anything changed
    erase_when_kept: Callable[[Any, Any], bool] | None = None
    personal_data: PersonalData | None = None  # its records are people: export and erase them (GDPR)
    card: Card | None = None  # how a record reads as a card on a phone; default: see phone_card()
    # the sentences naming its records, in every language (a resource without one reads "3 records", "New record")
    wording: Wording | None = None
    # field → what its records show while the record that field points at is in the trash (see LinkWording); a
    # pointing field without one is spoken of in generic words
    link_wording: dict[str, LinkWording] = field(default_factory=dict)
    comparison: Comparison | None = None  # a tab of a record's dialog: what changed from the record it replaced
    ledger: Ledger | None = None  # a tab of a record's dialog: each change of a quantity it holds (its stock)
    extra: dict[str, Any] = field(default_factory=dict)
    more_exports: tuple[MoreExport, ...] = ()  # other files its Export menu offers (an order list's lines)

    def most_characters(self, declared: FormField) -> int | None:
        """The most characters its form's text field `declared` takes (None: no limit), from its declaration, its
        create and update schemas and its table's column, so every form counts up to the limit its save checks."""
        return most_characters((self.create, self.update, self.model), declared)

    def changeable(self, record: Any, actor: Any) -> bool:
        """Whether the actor, who may write the resource, may change this record (a new one: yes)."""
        return record is None or self.changeable_by is None or self.changeable_by(record, actor)

    def count_noun(self, count: int) -> str:
        """The English noun for a count, as stored texts (audit summaries) say it; a screen uses counted()."""
        return self.singular if count == 1 else (self.plural or self.label.lower())

    # --- what a person reads, in their language ---------------------------------------------------------------------

    def counted(self, n: int) -> str:
        """'3,000 customers' / '3 000 clients'."""
        sentence = self.wording.count(n) if self.wording else ngettext('{n} record', '{n} records', n)
        return sentence.format(n=number(n))

    def arrivals(self, n: int) -> str:
        """'2 new requests': records created since the list was shown."""
        sentence = self.wording.arrived(n) if self.wording else ngettext('{n} new record', '{n} new records', n)
        return sentence.format(n=number(n))

    def said(
        self, what: Literal['none_yet', 'new', 'create', 'created', 'trashed', 'restored'], record: Any = None
    ) -> str:
        """One of the declared sentences (Wording), translated; a generic one when the resource declares none. With a
        record (or a new record's values), its kind's own words when it has them ('Create legal document')."""
        words = self.words_of(record)
        declared = getattr(words, what, '') if words is not None else ''
        declared = declared or (getattr(self.wording, what, '') if self.wording else '')
        return shown(declared or GENERIC_WORDING[what])

    def words_of(self, record: Any) -> KindWords | None:
        """The words of this record's kind (a record, or a dict of a new record's values), None for the resource's."""
        if self.kind_words is None or record is None:
            return None
        name, words = self.kind_words
        value = record.get(name) if isinstance(record, dict) else getattr(record, name, None)
        return words.get(str(getattr(value, 'value', value) or ''))

    def singular_of(self, record: Any) -> str:
        """What one record is called (a msgid, translated where shown): its kind's noun, else the resource's."""
        words = self.words_of(record)
        return words.singular if words is not None else self.singular

    def said_about(self, what: Literal['created', 'trashed', 'restored'], record: Any) -> str:
        """The notification about this record: the resource's own words for it (said_of), else the wording's."""
        return (self.said_of(what, record) if self.said_of is not None and record is not None else '') or self.said(
            what, record
        )

    @property
    def entity(self) -> str:
        return self.audit_entity or self.key

    @property
    def read_only(self) -> bool:
        return self.create is None and self.update is None

    @property
    def read_permission(self) -> str:
        return self.read or f'{self.permission}.read'

    @property
    def write_permission(self) -> str:
        return self.write or f'{self.permission}.write'

    def page_of(self, record: Any) -> str:
        """The address of a record's own page ('' when the resource has none)."""
        return self.page.format_map({name: getattr(record, name) for name in _path_names(self.page)})

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    def sortable(self) -> set[str]:
        return {c.name for c in self.columns if c.sortable} | {'id'}

    def phone_card(self) -> Card:
        """The declared card, or one made from the columns: the title column, the 'status' column if there is one,
        then the next two columns shown, those kept on a phone first."""
        if self.card is not None:
            return self.card
        names = [c.name for c in self.columns]
        title = self.title if self.title in names else names[0]
        status = 'status' if 'status' in names and title != 'status' else None
        rest = [c for c in self.columns if c.shown and c.name not in (title, status)]
        ranked = [c.name for c in rest if c.on_phone] + [c.name for c in rest if not c.on_phone]
        return Card(title=title, status=status, secondary=tuple(ranked[:2]))


GENERIC_WORDING = {
    'none_yet': N_('There are no records yet.'),
    'new': N_('New record'),
    'create': N_('Create'),
    'created': N_('Record created'),
    'trashed': N_('Moved to the trash'),
    'restored': N_('Record restored'),
}


def number(n: int) -> str:
    """A count as the reader writes numbers: 3,000 / 3 000."""
    from babel.numbers import format_decimal

    from backoffice.i18n import current

    return format_decimal(n, locale=current())


RESOURCES: dict[str, Resource] = {}


class DeclarationError(Exception):
    """A resource declaration names something that does not exist; raised at registration, i.e. at start-up."""


def register(resource: Resource) -> Resource:
    """Check a declaration against its model, schemas and the permissions, then make it known by its key."""
    problems = _problems(resource)
    if problems:
        raise DeclarationError(f'resource {resource.key!r}: ' + '; '.join(problems))
    RESOURCES[resource.key] = resource
    return resource


def check_references() -> None:
    """Once every resource is registered: each related resource and related list points at a declared resource and
    an existing filter of it, and each related search at a declared resource that has a search."""
    problems = []
    for declared in RESOURCES.values():
        for kind, item in (
            [('column', c) for c in declared.columns]
            + [('field', f) for f in declared.fields]
            + [('filter', f) for f in declared.filters]
            + [('action input', i) for a in declared.actions for i in a.inputs]
        ):
            if item.related is not None and item.related not in RESOURCES:
                problems.append(
                    f'resource {declared.key!r}: {kind} {item.name!r} is related to an unknown resource '
                    f'{item.related!r}'
                )
        for name, key in declared.search_related:
            target = RESOURCES.get(key)
            if target is None:
                problems.append(
                    f'resource {declared.key!r}: search_related ({name!r}, {key!r}): {key!r} is not a declared resource'
                )
            elif not target.search:
                problems.append(
                    f'resource {declared.key!r}: search_related ({name!r}, {key!r}): {key!r} declares no search'
                )
        for tab in declared.related_lists:
            target = RESOURCES.get(tab.resource)
            if target is None:
                problems.append(
                    f'resource {declared.key!r}: related list {tab.label!r} shows an unknown resource {tab.resource!r}'
                )
            elif tab.filter not in {f.name for f in target.filters}:
                problems.append(
                    f'resource {declared.key!r}: related list {tab.label!r} filters {tab.resource!r} by '
                    f'{tab.filter!r}, which is not one of its filters'
                )
    if problems:
        raise DeclarationError('; '.join(problems))


def pointing_at(key: str) -> tuple[tuple[Resource, str], ...]:
    """The (resource, field) pairs whose field holds the id of a `key` record: every declared related column, field
    and filter (related=key) that is a column of its resource's table, once each, in the order resources were
    registered."""
    found: dict[tuple[str, str], tuple[Resource, str]] = {}
    for declared in RESOURCES.values():
        table = declared.model.__table__.columns.keys() if hasattr(declared.model, '__table__') else ()
        items: list[Column | FormField | Filter] = [*declared.columns, *declared.fields, *declared.filters]
        for item in items:
            if item.kind == 'related' and item.related == key and item.name in table:
                found.setdefault((declared.key, item.name), (declared, item.name))
    return tuple(found.values())


def _problems(resource: Resource) -> list[str]:
    model = resource.model
    table_columns = set(model.__table__.columns.keys()) if hasattr(model, '__table__') else set()
    schema_fields = set(model.model_fields)
    for schema in (resource.create, resource.update):
        if schema is not None:
            schema_fields |= set(schema.model_fields)
    problems = []
    if resource.key in RESOURCES and RESOURCES[resource.key].model is not model:
        problems.append('the key is declared twice')
    writable = resource.create is not None or resource.update is not None or resource.actions or resource.soft_delete
    if writable and not is_topic(resource.key):
        problems.append('a resource that changes publishes its changes: its key must be a Topic (backoffice/events.py)')

    def attribute(kind: str, name: str) -> None:
        if not hasattr(model, name):
            problems.append(f'{kind} {name!r} is not an attribute of {model.__name__}')

    for column in resource.columns:
        attribute('column', column.name)
        if column.lead and column.lead not in {c.name for c in resource.columns}:
            problems.append(f'column {column.name!r} is led by {column.lead!r}, which is not one of its columns')
        if column.ranked:
            table_column = model.__table__.columns.get(column.name) if hasattr(model, '__table__') else None
            if column.kind != 'choice' or not column.choices or not column.sortable:
                problems.append(f'column {column.name!r} is ranked but is not a sortable choice column')
            elif table_column is None or table_column.nullable:
                problems.append(f'column {column.name!r} is ranked but is not a column that is never NULL')
    for form_field in resource.fields:
        if form_field.name not in schema_fields and not hasattr(model, form_field.name):
            problems.append(f'field {form_field.name!r} is in neither {model.__name__} nor its create/update schemas')
        shown_to_all = {c.name for c in resource.columns} | set(resource.search) | {f.name for f in resource.filters}
        if form_field.needs is not None and form_field.name in shown_to_all:
            problems.append(
                f'field {form_field.name!r} needs more than the read permission: it may not be a column, a search '
                'or a filter (they show it to every reader)'
            )
    for spec in resource.filters:
        offered = set(spec.choices or ()) if spec.kind == 'choice' else {'yes', 'no'} if spec.kind == 'bool' else set()
        if spec.meanings and not set(spec.meanings) <= offered:
            problems.append(f'filter {spec.name!r} gives meanings to what are not its choices')
        if spec.condition is not None and spec.kind != 'date_range':
            problems.append(f'filter {spec.name!r} has a condition but is not a date range')
        elif spec.related_condition is not None and spec.kind != 'related':
            problems.append(f'filter {spec.name!r} has a related condition but is not a related filter')
        elif spec.condition is None:
            attribute('filter', spec.column or spec.name)
    for name in resource.undeferred:
        attribute('undeferred value', name)
    for name in resource.search:
        if name not in table_columns:
            problems.append(f'search {name!r} is not a column of {model.__name__}')
    for name, key in resource.search_related:
        if name not in table_columns:
            problems.append(f'search_related ({name!r}, {key!r}): {name!r} is not a column of {model.__name__}')
    for name in resource.unique:
        if name not in table_columns:
            problems.append(f'unique {name!r} is not a column of {model.__name__}')
    attribute('title', resource.title)
    if resource.link and (not resource.link.startswith('/') or resource.link.startswith('//')):
        problems.append(f'link {resource.link!r} is not a path on this site (/…)')
    for name in link_fields(resource.link):
        attribute('link field', name)
    problems += _card_problems(resource)
    problems += _wording_problems(resource)
    attribute('default sort', resource.default_sort)
    permissions = [('read permission', resource.read_permission)]
    if not resource.read_only:
        permissions.append(('write permission', resource.write_permission))
    permissions += [(f'action {a.key!r} permission', a.permission) for a in resource.actions]
    permissions += [(f'section {s.key!r} permission', s.permission) for s in resource.sections]
    if resource.personal_data is not None:
        permissions.append(('personal data permission', resource.personal_data.permission))
    for name in _path_names(resource.page):
        attribute('page', name)
    if resource.sections and not resource.page:
        problems.append('sections are shown on the record page: declare its `page`')
    for kind, name in permissions:
        if name not in PERMISSIONS:
            problems.append(f'{kind} {name!r} is not a known permission')
    return problems


def link_fields(link: str) -> list[str]:
    """The record's fields a link template names: '/orders/{number}' → ['number']."""
    return [name for _, name, _, _ in Formatter().parse(link) if name]


def _path_names(path: str) -> list[str]:
    return re.findall(r'\{(\w+)\}', path)


def _card_problems(resource: Resource) -> list[str]:
    card = resource.card
    if card is None:
        return []
    columns = {c.name for c in resource.columns}
    named = [('title', card.title)] + ([('status', card.status)] if card.status else [])
    named += [('lead', card.lead)] if card.lead else []
    named += [('secondary value', name) for name in card.secondary]
    named += [('value once set', name) for name in card.once_set]
    problems = [f'card {kind} {name!r} is not one of its columns' for kind, name in named if name not in columns]
    if len(card.secondary) > MAX_SECONDARY:
        problems.append(f'card shows {len(card.secondary)} secondary values; at most {MAX_SECONDARY} fit a phone')
    names = [name for _, name in named]
    if len(set(names)) != len(names):
        problems.append('card shows a column twice')
    return problems


def _wording_problems(resource: Resource) -> list[str]:
    """A declared wording has the sentences its screens show: New/Create/created where records may be created (the
    list's New button), moved to the trash/restored where they have a trash."""
    wording = resource.wording
    if wording is None:
        return []
    needed = ['new', 'create', 'created'] if not resource.read_only else []
    needed += ['trashed', 'restored'] if resource.soft_delete else []
    missing = [name for name in needed if not getattr(wording, name)]
    return [f'its wording lacks {", ".join(missing)}'] if missing else []


def resource(key: str) -> Resource:
    return RESOURCES[key]
