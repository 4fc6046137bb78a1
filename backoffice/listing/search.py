"""Full-text search over a list: the indexes each table declares (SQLite FTS5, PostgreSQL trigrams) and the conditions a
search term becomes."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import (
    JSON,
    Connection,
    Integer,
    LargeBinary,
    String,
    and_,
    any_,
    cast,
    column,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    table,
    text,
    union,
)
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import BinaryExpression, ColumnElement
from sqlmodel import Session

from backoffice.engine.declaration import RESOURCES, Resource
from backoffice.listing.counts import planned_rows
from backoffice.listing.folding import fold
from backoffice.models import User
from backoffice.permissions import can

T = TypeVar('T')
K = TypeVar('K')

COMMON_TERM = 2000  # SQLite: a search term with this many hits in the FTS index is read by LIKE, in list order
COMMON_TERM_POSTGRESQL = 20_000  # ... and on PostgreSQL, with this many hits by the planner's estimate


@dataclass(frozen=True)
class SearchIndex:
    """Trigram search over some text columns of a table, made by a migration (see 0003_search_indexes.py).

    SQLite: an FTS5 table `<table>_fts` (tokenize='trigram', external content on the table, kept in sync by triggers).
    PostgreSQL: GIN trigram indexes on lower(<column>), which `lower(column) LIKE '%…%'` uses by itself."""

    table: str
    columns: tuple[str, ...]
    # accents folded (backoffice/listing/folding.py): the index holds bo_fold(column), and a term is folded to match
    folded: bool = False

    @property
    def fts_table(self) -> str:
        return f'{self.table}_fts'


SEARCH_INDEXES: dict[str, SearchIndex] = {}
_FTS_TABLES = ('', '_data', '_idx', '_docsize', '_config', '_content')  # an FTS5 table and its shadow tables


def register_search_index(table_name: str, *columns: str, folded: bool = False) -> SearchIndex:
    """Declare that a migration made a search index for these columns (a resource's other search fields use LIKE)."""
    SEARCH_INDEXES[table_name] = SearchIndex(table_name, columns, folded)
    return SEARCH_INDEXES[table_name]


# people's names and what they write are searched without their accents ('Lopez' finds 'López'; migration 0064); an
# order number, an email or an audit entry's action has none worth folding, and keeps its lower() index
register_search_index('customers', 'email', 'name', folded=True)
# migration 0071: a company's list, and the customers list by their company's name ('Acme' finds its contacts)
register_search_index('companies', 'name', 'vat_number', folded=True)
register_search_index('orders', 'number', 'email')
register_search_index('audit_log', 'actor_email', 'action', 'summary')
# migrations 0053 and 0064 (the tags, as their JSON text: a tag is found by a search); the number is read as below
register_search_index('tickets', 'subject', 'tags', folded=True)

# words typed without their accents in the lists that have no search index (read by LIKE, each row folded only where
# it holds a letter beyond ASCII on SQLite): a French team types 'creme' for the product 'Crème brûlée', 'helene'
# for the colleague 'Hélène', 'francois' for the supplier 'François & Fils'; a SKU, an email or a code stays as typed
FOLDED_WITHOUT_INDEX: dict[str, tuple[str, ...]] = {
    'products': ('name',),
    'categories': ('name',),
    'suppliers': ('name',),
    'purchases': ('supplier',),
    'users': ('name',),
    'canned_replies': ('title', 'body'),
    'content_entries': ('title',),
    'legal_versions': ('title',),
    'carriers': ('name',),
    'mailboxes': ('name',),
    'mailbox_mails': ('subject',),
    'loyalty_entries': ('reason',),
}


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Alembic filter: SQLite's FTS5 tables are made by migrations by hand, not from the models; leave them out."""
    if type_ != 'table' or not name:
        return True
    return not any(name == index.fts_table + suffix for index in SEARCH_INDEXES.values() for suffix in _FTS_TABLES)


@contextmanager
def search_index_suspended(session: Session | Connection, table_name: str) -> Iterator[None]:
    """For bulk loads on SQLite: the search index's triggers are dropped for the load and the index is rebuilt once
    at the end (several times faster than a trigger per row), all inside the caller's transaction — which must roll
    back if the load fails (DDL is transactional in SQLite: the triggers come back with the rollback)."""
    index = SEARCH_INDEXES.get(table_name)
    connection = session.connection() if isinstance(session, Session) else session
    if index is None or connection.dialect.name != 'sqlite':
        yield
        return
    triggers = [
        (name, sql)
        for name, sql in connection.execute(
            text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :table"),
            {'table': table_name},
        )
        if name.startswith(f'{index.fts_table}_')
    ]
    for name, _ in triggers:
        connection.exec_driver_sql(f'DROP TRIGGER {name}')
    yield
    connection.exec_driver_sql(f"INSERT INTO {index.fts_table}({index.fts_table}) VALUES ('rebuild')")
    for _, sql in triggers:
        connection.exec_driver_sql(sql)


MAX_WORDS = 5  # a search of more words than this is read as one phrase only


def readings(term: str) -> list[tuple[str, ...]]:
    """How what was typed is read, in turn (`first_reading`): one word as itself ('doe  doe' is 'doe'); several words
    as typed first (a name, a phrase, a phone number with spaces), then each word on its own, in any order ('Smith
    Anna' finds 'Anna Smith'); more than MAX_WORDS words as typed only."""
    words = tuple(dict.fromkeys(term.split()))
    if len(words) <= 1:
        return [words] if words else []
    return [(term,)] if len(words) > MAX_WORDS else [(term,), words]


def first_reading(term: str, read: Callable[[tuple[str, ...]], T], found: Callable[[T], bool] = bool) -> T | None:
    """The one rule every search of several words follows — a list's search, the header's search, a type-ahead: what
    `read` gives for the term as typed when `found` says it finds something, else for each word on its own
    (`readings`); None for a blank term. Not always by words: 'Person 1234' would also find every 'Person 12340' and
    request '#1234', and cost ~15 times the phrase's read (bench/requests_search.py)."""
    result: T | None = None
    ways = readings(term)
    for number, terms in enumerate(ways, start=1):
        result = read(terms)
        if number == len(ways) or found(result):
            break
    return result


def search_conditions(
    session: Session, resource: Resource, term: str, dialect: str, actor: User | None = None
) -> tuple[list[ColumnElement[bool]], list[ColumnElement[bool]]]:
    """Case-insensitive 'contains' over the resource's search fields, and over those of the resources it searches
    through (`search_related`, for an actor who may read them): (the condition to read with, its LIKE twin).

    Several words are read as `first_reading` says: as typed when any record holds them so, else as each word
    somewhere in the record's fields, in any order: 'refund now' finds 'Refund "now": the mug broke'. Each word is
    searched as one term is (its index on SQLite; on PostgreSQL its LIKE twin, which the trigram indexes serve by
    themselves: the one-term form names a CTE per table, which two words would name twice)."""

    def read(terms: tuple[str, ...]) -> tuple[list[ColumnElement[bool]], list[ColumnElement[bool]]]:
        if len(terms) == 1:
            return _term_conditions(session, resource, terms[0], dialect, actor)
        each = [_term_conditions(session, resource, word, dialect, actor) for word in terms]
        chosen = [conditions if dialect != 'postgresql' else like for conditions, like in each]
        return [and_(*(and_(*conditions) for conditions in chosen))], [and_(*(and_(*like) for _, like in each))]

    found = first_reading(term, read, lambda conditions: _any(session, resource, actor, conditions[0]))
    return found if found is not None else ([], [])


def term_conditions(
    session: Session, resource: Resource, term: str, dialect: str, actor: User | None = None
) -> tuple[list[ColumnElement[bool]], list[ColumnElement[bool]]]:
    """search_conditions of one term as typed, never read word by word: for a search that reads several words itself
    by `first_reading` (the related-request search, which asks whether it finds a request it may show)."""
    return _term_conditions(session, resource, term, dialect, actor)


def type_ahead(session: Session, resource: Resource, term: str, read: Callable[[ColumnElement[bool]], T]) -> T | None:
    """What a type-ahead (crud.lookup, the customer merge's picker) finds for what was typed, read as a list's search
    reads several words (`first_reading`): `read` runs its query with the condition that the records hold the term
    as typed, and when that finds nothing, each word (`contains`), in any order: 'Smith Anna' finds 'Anna Smith'."""
    return first_reading(term, lambda terms: read(and_(*(contains(session, resource, word) for word in terms))))


def in_labels(labels: dict[K, str], term: str) -> dict[K, str]:
    """The choices a type-ahead whose whole list is in the page (staff, products, suppliers) keeps for what was typed,
    read as every search reads it (`first_reading`), case and accents ignored: 'okafor sam' keeps 'Sam Okafor'. All
    of them for a blank term."""

    def read(terms: tuple[str, ...]) -> dict[K, str]:
        wanted = [fold(word) or '' for word in terms]
        return {key: label for key, label in labels.items() if all(w in (fold(str(label)) or '') for w in wanted)}

    found = first_reading(term, read)
    return dict(labels) if found is None else found


def _any(session: Session, resource: Resource, actor: User | None, conditions: list[ColumnElement[bool]]) -> bool:
    """Whether any record the actor may see holds the search (trashed ones too: a cheap, rough question)."""
    readable = resource.row_filter(actor) if resource.row_filter is not None else []
    found = select(literal(1)).select_from(resource.model).where(*readable, *conditions).limit(1)
    return session.execute(found).first() is not None


def _term_conditions(
    session: Session, resource: Resource, term: str, dialect: str, actor: User | None = None
) -> tuple[list[ColumnElement[bool]], list[ColumnElement[bool]]]:
    """search_conditions of one term, as typed.

    A related resource's search is its own (its search index, as its list reads it) and becomes
    `field IN (its matching ids)`: a request's customer_id among the customers the term finds."""
    if not term:
        return [], []
    extra = resource.search_ids(session, term) if resource.search_ids is not None else []
    if not searched_through(resource, actor):
        return _own_conditions(session, resource, term, dialect, extra)
    through = [
        _through(session, resource, name, RESOURCES[key], term, dialect, actor)
        for name, key in resource.search_related
        if key in searched_through(resource, actor)
    ]
    if dialect == 'postgresql':  # one OR its planner reads by a BitmapOr of the indexes, or in list order
        either = or_(_likes(resource, term, dialect), *_ids_in(resource, extra), *(found for found, _ in through))
        hits = _rare_hits(session, resource, term, through, extra)
        return [either if hits is None else hits], [either]
    conditions, like = _own_conditions(session, resource, term, dialect, extra)
    return [or_(*conditions, *(found for found, _ in through))], [or_(*like, *(twin for _, twin in through))]


def _rare_hits(
    session: Session,
    resource: Resource,
    term: str,
    through: list[tuple[ColumnElement[bool], ColumnElement[bool]]],
    extra: list[int],
) -> ColumnElement[bool] | None:
    """PostgreSQL, a term rare in the list's own index and in every related one: the hits of each, read by its own
    index (the trigram indexes; the field's index over the related hits) into one materialized set that the list and
    its count read by id, as a list without `search_related` reads its own rare hits (`_own_conditions`). The plain
    OR of both made the planner read the orders in their list order testing each row (bench/orders_list.py, 200,000
    orders: a search by email 24 → 68 ms, by number 11 → 74 ms). None: the plain OR (a common or short term)."""
    model = resource.model
    own = _field_likes(resource, term, 'postgresql')
    index = SEARCH_INDEXES.get(model.__tablename__)
    if len(term) < 3 or any(name not in (index.columns if index else ()) for name in own):
        return None
    if any(isinstance(found, BinaryExpression) and found.operator is not operators.eq for found, _ in through):
        return None  # a related term common enough to be read in list order (`_through`)
    like = or_(*own.values()) if own else false()
    if own and planned_rows(session, select(literal(1)).select_from(model).where(like)) >= COMMON_TERM_POSTGRESQL:
        return None
    branches = [select(model.id).where(like)] if own else []
    branches += [select(model.id).where(found) for found, _ in through]
    branches += [select(model.id).where(found) for found in _ids_in(resource, extra)]  # `search_ids`
    hits = union(*branches).cte(f'{model.__tablename__}_hits').prefix_with('MATERIALIZED')
    return model.id.in_(select(hits.c.id))


def searched_through(resource: Resource, actor: User | None) -> tuple[str, ...]:
    """The related resources whose search a list's search goes through for this actor: those they may read (someone
    who may not read customers finds no request by a customer's email, which would tell them who wrote it)."""
    return tuple(
        key for _, key in resource.search_related if key in RESOURCES and can(actor, RESOURCES[key].read_permission)
    )


def _through(
    session: Session, resource: Resource, name: str, related: Resource, term: str, dialect: str, actor: User | None
) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """The rows whose field points at a related record the term finds (its row filter holds): read and LIKE twin.

    A term the related index finds rarely is read by the field's index: SQLite `field IN (its hits)`, which an OR
    with the list's own hits reads by both indexes (MULTI-INDEX OR); PostgreSQL `field = ANY(ARRAY(…))` over the
    related LIKE, read once then by the field's index in a BitmapOr with the list's trigram indexes (an
    `IN (subquery)` is a hashed subplan there, which no index serves and which the planner takes for half the rows).
    A common one (thousands of customers: 'example') is kept off the field's index, so that the list is read in its
    order and a page is found at once, instead of fetching every row the related records point at to sort them."""
    field = getattr(resource.model, name)
    readable = related.row_filter(actor) if related.row_filter is not None else []
    like = _likes(related, term, dialect)
    ids = select(related.model.id).where(*readable, like)
    if dialect == 'postgresql':
        if planned_rows(session, select(literal(1)).select_from(related.model).where(*readable, like)) >= COMMON_TERM:
            found = field.in_(ids)
        else:
            found = field == any_(func.array(ids.scalar_subquery()))
        return found, found
    hits, twin = _own_conditions(session, related, term, dialect)
    if hits[0] is twin[0]:  # a common term (or a short one): read by LIKE, in list order
        unindexed = literal_column(f'+{resource.model.__tablename__}.{field.property.columns[0].name}')
        return unindexed.in_(ids), field.in_(ids)
    return field.in_(select(related.model.id).where(*readable, *hits)), field.in_(ids)


def _own_conditions(
    session: Session, resource: Resource, term: str, dialect: str, extra: list[int] | None = None
) -> tuple[list[ColumnElement[bool]], list[ColumnElement[bool]]]:
    """The resource's own search fields (see search_conditions on how the read is chosen).

    Which way is fastest depends on how common the term is. A rare term is best looked up in the search index and
    its hits sorted; a common one by reading the list in order and testing each row with LIKE, which finds a page
    within a few thousand rows — while looking it up would fetch and sort a large part of the table. So:
    SQLite reads the term's hits from the FTS5 trigram table, up to COMMON_TERM; PostgreSQL asks its planner, whose
    own choice goes wrong when the hits cluster (it expects them spread evenly and scans the sort index).
    `extra`: ids of more records the term finds (`search_ids`), read with the hits (PostgreSQL: in the same
    materialized hits, which an OR beside them would give up)."""
    if not term or not resource.search:
        return [], []
    model = resource.model
    likes = _field_likes(resource, term, dialect)
    if not likes and not extra:  # no field could hold the term
        return [false()], [false()]
    like = or_(*likes.values(), *_ids_in(resource, extra))
    index = SEARCH_INDEXES.get(model.__tablename__)
    indexed = [name for name in likes if index and name in index.columns]
    if len(term) < 3 or not indexed:  # trigram indexes need three characters
        return [like], [like]
    if dialect == 'postgresql':
        if (
            len(indexed) < len(likes)
            or planned_rows(session, select(literal(1)).select_from(model).where(like)) >= COMMON_TERM_POSTGRESQL
        ):
            return [like], [like]
        hits = select(model.id).where(like).cte(f'{model.__tablename__}_hits').prefix_with('MATERIALIZED')
        return [model.id.in_(select(hits.c.id))], [like]
    if dialect != 'sqlite':
        return [like], [like]
    fts = table(index.fts_table, column('rowid'), column(index.fts_table))
    match = fts.c[index.fts_table].op('MATCH')(_fts_query(model, index, indexed, term))
    # the hits themselves, not their count: the index is asked once, and the list and its count read the hits by id
    # (a term whose trigrams are each in most rows — 'customer12345' — costs its long posting lists once, not twice)
    hits = session.execute(select(fts.c.rowid).where(match).limit(COMMON_TERM)).scalars().all()
    if len(hits) >= COMMON_TERM:
        return [like], [like]
    found = model.id.in_([*hits, *(extra or ())])
    rest = [likes[name] for name in likes if name not in indexed]
    return [or_(found, *rest) if rest else found], [like]


def rare_hits(session: Session, resource: Resource, term: str) -> ColumnElement[bool] | None:
    """The condition a resource's own list reads a term's hits with by its search index, for a search that goes the
    other way round (the companies whose contacts a term finds); None for a term read by LIKE (a common one, or too
    short for the index), which names nobody in particular and would read the whole table."""
    conditions, like = _own_conditions(session, resource, term, session.connection().dialect.name)
    if not conditions or conditions[0] is like[0]:
        return None
    return conditions[0]


def _fts_query(model: Any, index: SearchIndex, indexed: list[str], term: str) -> str:
    """One FTS5 query string: the term as a phrase in the indexed columns, as each column holds it (a JSON column its
    escaped text: a tag `"vip"` is `\\"vip\\"` there), folded where the index is."""
    by_form: dict[str, list[str]] = {}
    for name in indexed:
        wanted = _as_stored(getattr(model, name), term)
        by_form.setdefault((fold(wanted) or '') if index.folded else wanted, []).append(name)
    phrases = []
    for wanted, names in by_form.items():
        phrase = '"' + wanted.replace('"', '""') + '"'
        if len(by_form) == 1 and set(names) == set(index.columns):
            return phrase
        phrases.append('{' + ' '.join(names) + '} : ' + phrase)
    return ' OR '.join(phrases)


def _as_stored(attribute: InstrumentedAttribute, term: str) -> str:
    """The term as a column's text holds it: a JSON column (a request's tags) holds its strings JSON-escaped, so a
    quote or a backslash typed is looked for as `\\"` or `\\\\` (the filter reads the tags themselves)."""
    return json.dumps(term, ensure_ascii=False)[1:-1] if isinstance(attribute.type, JSON) else term


def _ids_in(resource: Resource, ids: list[int] | None) -> list[ColumnElement[bool]]:
    return [resource.model.id.in_(ids)] if ids else []


def contains(session: Session, resource: Resource, term: str) -> ColumnElement[bool]:
    """Whether one of the resource's search fields holds the term, as the list's search compares (accents folded
    where its index folds them), or its `search_ids` find the record (a customer by phone, however typed): a
    type-ahead's condition (crud.lookup, the customer merge's picker)."""
    extra = resource.search_ids(session, term) if resource.search_ids is not None else []
    return or_(_likes(resource, term, session.connection().dialect.name), *_ids_in(resource, extra))


def _likes(resource: Resource, term: str, dialect: str) -> ColumnElement[bool]:
    likes = _field_likes(resource, term, dialect)
    return or_(*likes.values()) if likes else false()


def _field_likes(resource: Resource, term: str, dialect: str) -> dict[str, ColumnElement[bool]]:
    """The LIKE of each search field that could hold the term: bo_fold(field) LIKE the folded term for a field of a
    folded search index (as the index holds it) or of FOLDED_WITHOUT_INDEX, else lower(field) on PostgreSQL (SQLite's
    LIKE ignores ASCII case)."""
    lower = dialect != 'sqlite'
    index = SEARCH_INDEXES.get(resource.model.__tablename__)
    table_name = resource.model.__tablename__
    folded = (index.columns if index is not None and index.folded else ()) + FOLDED_WITHOUT_INDEX.get(table_name, ())
    likes = {}
    for name in resource.search:
        attribute = getattr(resource.model, name)
        if not _could_hold(attribute, term):
            continue
        stored = _as_stored(attribute, term)
        if name in folded:
            likes[name] = _folded_like(_text(attribute, False), f'%{_escaped(fold(stored) or "")}%', dialect)
        else:
            likes[name] = _text(attribute, lower).like(
                f'%{_escaped(stored.lower() if lower else stored)}%', escape='\\'
            )
    return likes


def _folded_like(value: ColumnElement[str], pattern: str, dialect: str) -> ColumnElement[bool]:
    """bo_fold(value) LIKE pattern. On SQLite bo_fold is a Python function, 3–5 times the cost of LIKE on each row a
    common term reads in list order (or counts): a text all ASCII (as many bytes as characters) folds to itself in
    lower case, which LIKE ignores there, so only the others are folded."""
    if dialect != 'sqlite':
        return func.bo_fold(value).like(pattern, escape='\\')
    accented = func.length(value) != func.length(cast(value, LargeBinary))
    return or_(value.like(pattern, escape='\\'), and_(accented, func.bo_fold(value).like(pattern, escape='\\')))


def _escaped(term: str) -> str:
    return term.replace('\\', '\\\\').replace('%', '\\%').replace('_', '\\_')


def _could_hold(attribute: InstrumentedAttribute, term: str) -> bool:
    """Whether the column's text could contain the term: a whole number's only holds digits and a minus sign, so a
    request's number is not read (every row of it: it has no search index) for 'refund' or an email."""
    return not isinstance(attribute.type, Integer) or not term.strip('0123456789-')


def _text(attribute: InstrumentedAttribute, lower: bool) -> ColumnElement[str]:
    value = attribute if isinstance(attribute.type, String) else cast(attribute, String)
    return func.lower(value) if lower else value
