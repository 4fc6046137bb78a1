"""A list's search through a related resource (`search_related`): the Requests list finds a request by its customer's
name or email as well as by its subject and number, pages and counts what it finds like any search, and does so only
for those who may read customers; the Returns list alike."""

from __future__ import annotations

import pytest
from sqlalchemy import event
from sqlmodel import select

from backoffice.db import read_session, session_scope
from backoffice.listing import query, search
from backoffice.models import Ticket, User
from backoffice.resources import resource
from backoffice.services import tickets

from .support.factories import advance, make_product, make_role, make_user, pay, place, start_return, submit_request

R = query.ListRequest
NAME = 'Zoë "Z" O\'Hara: <script>alert(1)</script>'
EMAIL = "o'hara+%_z@example.com"  # an email holds no ':' nor '<' (refused at the intake): a quote and LIKE's wildcards


@pytest.fixture(params=['index', 'like'])
def search_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both ways a search of three characters or more can run: through the search index, or by LIKE in list order."""
    common = 0 if request.param == 'like' else 10**9
    monkeypatch.setattr(search, 'COMMON_TERM', max(common, 1))
    monkeypatch.setattr(search, 'COMMON_TERM_POSTGRESQL', common)
    return request.param


def listed(actor: User, term: str, key: str = 'tickets', **request) -> query.Page:
    with read_session() as session:
        return query.list_page(session=session, actor=actor, resource=resource(key), request=R(search=term, **request))


def subjects(actor: User, term: str) -> list[str]:
    page = listed(actor, term, page_size=100)
    assert (page.total, page.exact) == (len(page.rows), True)
    return [row.subject for row in page.rows]


@pytest.mark.usefixtures('search_path')
def test_a_request_is_found_by_its_customers_email_or_name_as_well_as_its_subject() -> None:
    agent = make_user('agent')
    submit_request('Parcel lost', email=EMAIL, name=NAME)
    submit_request('Wrong size', email=EMAIL, name=NAME)
    submit_request('Where is my parcel?', email='cora@example.com', name='Cora Customer')
    submit_request('100% refund?', email='percy@example.com', name='Percy')
    zoe = ['Wrong size', 'Parcel lost']  # the most recent first, as the list reads
    assert subjects(agent, EMAIL) == zoe
    assert subjects(agent, EMAIL.upper()) == zoe  # in any case
    assert subjects(agent, "O'HARA: <script>") == zoe  # a fragment of the name, taken as text
    assert subjects(agent, '"Z"') == zoe
    assert subjects(agent, '%_z@') == zoe  # wildcards are looked for, not matched as wildcards
    assert subjects(agent, '%') == ['100% refund?', 'Wrong size', 'Parcel lost']  # a subject's and an email's
    assert subjects(agent, 'parcel') == ['Where is my parcel?', 'Parcel lost']  # the subject, as before
    assert subjects(agent, 'nobody@example.com') == []


@pytest.mark.usefixtures('search_path')
def test_several_words_find_a_request_holding_each_in_its_subject_or_its_customer_in_any_order() -> None:
    agent = make_user('agent')
    submit_request('Refund "now": the mug broke', email=EMAIL, name=NAME)
    submit_request('Mug arrived', email='cora@example.com', name='Cora Customer')
    submit_request('Refund please', email='percy@example.com', name='Percy')
    assert subjects(agent, 'refund now') == ['Refund "now": the mug broke']  # not a phrase: each word somewhere
    assert subjects(agent, 'mug refund') == ['Refund "now": the mug broke']
    assert subjects(agent, "mug o'hara") == ['Refund "now": the mug broke']  # one in the subject, one the customer
    assert subjects(agent, 'mug cora') == ['Mug arrived']
    assert subjects(agent, 'refund zzz') == []


@pytest.mark.usefixtures('search_path')
def test_a_word_in_a_subject_and_in_a_customers_name_finds_both() -> None:
    agent = make_user('agent')
    submit_request('Marsh mud on the parcel', email='ann@example.com', name='Ann Other')
    submit_request('Wrong size', email='cleo@example.com', name='Cleo Marsh')
    submit_request('Late', email='dan@example.com', name='Dan Day')
    assert subjects(agent, 'marsh') == ['Wrong size', 'Marsh mud on the parcel']


@pytest.mark.usefixtures('search_path')
def test_paging_through_a_search_by_customer_reads_every_match_once_and_counts_them() -> None:
    agent = make_user('agent')
    for n in range(12):
        submit_request(f'Question {n}', email='busy.buyer@example.com', name='Busy Buyer')
        submit_request(f'Other {n}', email=f'someone{n}@example.com', name='Someone Else')
    submit_request('A busy buyer wrote', email='third@example.com', name='Third Party')
    with read_session() as session:
        expected = [
            ticket.id
            for ticket in session.exec(select(Ticket).order_by(Ticket.updated_at.desc(), Ticket.id.desc()))  # type: ignore[attr-defined]
            if ticket.subject.startswith(('Question', 'A busy'))
        ]
    assert len(expected) == 13
    first = listed(agent, 'busy buyer', page_size=5)
    assert (first.total, first.exact, first.last_page) == (13, True, 3)
    with read_session() as session:
        tickets = resource('tickets')
        second = query.list_page(
            session=session,
            actor=agent,
            resource=tickets,
            request=R(search='busy buyer', page_size=5, page=2),
            cursor=first.cursor,
        )  # by keyset, after the first page's last row
        third = query.list_page(
            session=session,
            actor=agent,
            resource=tickets,
            request=R(search='busy buyer', page_size=5, page=3),
            cursor=second.cursor,
        )
    assert [row.id for page in (first, second, third) for row in page.rows] == expected
    assert (second.total, third.total, len(third.rows)) == (13, 13, 3)
    # without a cursor: the second page by OFFSET, the last one backward from the end; the same rows
    assert [row.id for row in listed(agent, 'busy buyer', page_size=5, page=2).rows] == expected[5:10]
    assert [row.id for row in listed(agent, 'busy buyer', page_size=5, page=3).rows] == expected[10:]


def test_who_may_not_read_customers_finds_no_request_by_a_customers_email_or_name() -> None:
    """Finding a request by an email would tell who wrote it: for a role with the requests but not the customers,
    the search reads the request's own subject and number only (its count and cursor are its own too)."""
    agent = make_user('agent')
    desk_only = make_user(make_role('tickets.read', name='Desk only').key)
    mine = submit_request('Parcel lost', email=EMAIL, name=NAME)
    submit_request(f'About {EMAIL}', email='cora@example.com', name='Cora Customer')  # the email in a subject
    assert subjects(desk_only, EMAIL) == [f'About {EMAIL}']
    assert subjects(desk_only, 'hara:') == []
    assert subjects(desk_only, 'parcel') == ['Parcel lost']
    assert subjects(agent, EMAIL) == [f'About {EMAIL}', 'Parcel lost']
    assert listed(agent, EMAIL).cursor.counted != listed(desk_only, EMAIL).cursor.counted
    with read_session() as session:  # a live list asks which changed records its search matches: the same answer
        ask = {'session': session, 'resource': resource('tickets'), 'request': R(search=EMAIL), 'ids': {mine.id}}
        assert query.matching_among(actor=agent, **ask) == {mine.id}
        assert query.matching_among(actor=desk_only, **ask) == set()


@pytest.mark.usefixtures('search_path')
def test_a_return_is_found_by_its_customers_name() -> None:
    manager = make_user('manager')
    make_product('SEARCH-MUG', stock_on_hand=10, actor=manager)
    order = place(('SEARCH-MUG', 1), email=EMAIL, name=NAME)
    pay(manager, order)
    advance(manager, order, 'pack', 'ship', 'deliver')
    rma = start_return(manager, order, line_reason='Too small')
    assert [r.number for r in listed(manager, "o'hara: <SCRIPT>", 'returns').rows] == [rma.number]
    assert [r.number for r in listed(manager, EMAIL, 'returns').rows] == [rma.number]
    assert listed(manager, 'nobody@example.com', 'returns').rows == []


def test_the_search_reads_the_requests_and_the_customers_indexes_and_follows_a_changed_subject() -> None:
    """A rare term is looked up in both search indexes (migration 0053 for the subjects), so the list and its count
    read the hits by id instead of every request; a request's number is still found by its digits."""
    agent = make_user('agent')
    mine = submit_request('Quokka in the parcel', email='wren@example.com', name='Wren Walker')
    asked: list[str] = []
    with read_session() as session:
        dialect = session.connection().dialect.name
        listen = lambda conn, cursor, statement, *rest: asked.append(statement)  # noqa: E731
        event.listen(session.connection(), 'before_cursor_execute', listen)
        found, _ = search.search_conditions(session, resource('tickets'), 'walker', dialect, agent)
        event.remove(session.connection(), 'before_cursor_execute', listen)
    read = str(found[0].compile())
    if dialect == 'sqlite':
        assert any('tickets_fts MATCH' in statement for statement in asked), 'the subjects are looked up'
        assert any('customers_fts MATCH' in statement for statement in asked), '... and the customers'
        assert 'tickets.id IN' in read and 'tickets.customer_id IN' in read
    else:
        # the subjects' trigram index, and the customer_id index over the customers the term finds (by theirs)
        assert 'tickets.subject' in read and 'tickets.customer_id = ANY (array(' in read
    assert 'tickets.number' not in read  # a word is not looked for in the numbers
    assert subjects(agent, 'quokka') == ['Quokka in the parcel']
    assert subjects(agent, str(mine.number)) == ['Quokka in the parcel']
    with session_scope() as session:
        tickets.change(session=session, actor=agent, ticket_id=mine.id, version=mine.version, subject='Wombat: "late"')
    assert subjects(agent, 'quokka') == []
    assert subjects(agent, 'wombat: "LATE"') == ['Wombat: "late"']


@pytest.mark.usefixtures('search_path')
def test_a_request_is_found_by_its_number_as_quoted_and_by_the_number_of_its_order() -> None:
    """Customers (and our canned replies) quote '#1042'; an agent on the phone has the order's number."""
    agent = make_user('agent')
    wanted = submit_request('Lid cracked: "again" <script>alert(1)</script>', order_number='ZX-771204')
    submit_request('Another about it', order_number='zx-771204')
    submit_request('Unrelated', order_number='ZX-771205')
    assert subjects(agent, f'#{wanted.number}') == [wanted.subject]
    assert sorted(subjects(agent, 'ZX-771204')) == sorted([wanted.subject, 'Another about it'])
    assert subjects(agent, '#99999999') == []


@pytest.mark.usefixtures('search_path')
def test_a_search_finds_names_and_subjects_with_or_without_their_accents() -> None:
    """'Lopez' did not find 'López', nor 'Francois' 'François': typed either way, the accents are not looked at, in
    the requests (their subject, their customer's name) and in the customers alike."""
    agent = make_user('agent')
    submit_request('Colis: "abîmé" <script>x</script>', email='lopez@example.com', name='Inés López')
    submit_request('Question for François', email='fr@example.com', name='Francois Dupont')
    submit_request('Nothing to see', email='other@example.com', name='Zed')
    assert subjects(agent, 'Lopez') == ['Colis: "abîmé" <script>x</script>']  # her name, without its accent
    assert subjects(agent, 'INÉS LÓPEZ') == ['Colis: "abîmé" <script>x</script>']  # typed with them, in capitals
    assert subjects(agent, 'abime') == ['Colis: "abîmé" <script>x</script>']  # the subject's word
    assert subjects(agent, '"abîmé" <script>') == ['Colis: "abîmé" <script>x</script>']  # as text
    # 'Francois' finds the subject's 'François' and the customer 'Francois'; 'françois' the same two
    assert subjects(agent, 'Francois') == subjects(agent, 'françois') == ['Question for François']
    names = [row.name for row in listed(agent, 'lopez', key='customers', page_size=100).rows]
    assert names == ['Inés López']
    assert [row.name for row in listed(agent, 'FRANÇOIS', key='customers', page_size=100).rows] == ['Francois Dupont']


@pytest.mark.usefixtures('search_path')
def test_a_request_is_found_by_a_tag_and_filtered_by_its_tags() -> None:
    """An agent wants every request tagged 'refund': the Tags filter keeps them (a whole tag: not 'refunds'), and a
    search finds a tag as it finds a subject."""
    agent = make_user('agent')
    tagged = submit_request('Money back: "please"', email='t1@example.com')
    other = submit_request('Broken <b>lid</b>', email='t2@example.com')
    plain = submit_request('Nothing tagged', email='t3@example.com')
    with session_scope() as session:
        tickets.change(
            session=session, actor=agent, ticket_id=tagged.id, version=tagged.version, tags=['refund', 'remboursé']
        )
        tickets.change(session=session, actor=agent, ticket_id=other.id, version=other.version, tags=['refunds: "x"'])
    mine = {tagged.id, other.id, plain.id}

    def kept(**filters) -> list[str]:
        with read_session() as session:
            page = query.list_page(
                session=session, actor=agent, resource=resource('tickets'), request=R(filters=filters, page_size=500)
            )
        return [row.subject for row in page.rows if row.id in mine]

    assert kept(tags=['refund']) == ['Money back: "please"']
    assert kept(tags=['REMBOURSÉ']) == ['Money back: "please"']  # as tags are kept: in lower case
    assert kept(tags=['refunds: "x"', 'refund']) == ['Broken <b>lid</b>', 'Money back: "please"']
    assert kept(tags=['nothing']) == []
    assert subjects(agent, 'rembourse') == ['Money back: "please"']  # a search finds a tag, without its accent
    assert subjects(agent, 'refunds:') == ['Broken <b>lid</b>']


@pytest.mark.usefixtures('search_path')
def test_a_tag_with_a_quote_or_a_backslash_is_found_by_the_search_as_typed() -> None:
    """A tag is held in the tags' JSON text, where a quote is written \\" and a backslash \\\\: the search looks for
    it as it is held, so that what the Tags filter finds the search box finds too."""
    agent = make_user('agent')
    vip = submit_request('Tagged: special', email='v1@example.com')
    irish = submit_request('Tagged: a name', email='v2@example.com')
    odd = submit_request('Tagged <script>', email='v3@example.com')
    with session_scope() as session:
        for ticket, tags in ((vip, ['"vip"']), (irish, ["o'brien"]), (odd, ['a\\b: <script>'])):
            tickets.change(session=session, actor=agent, ticket_id=ticket.id, version=ticket.version, tags=tags)
    assert subjects(agent, '"vip"') == ['Tagged: special']
    assert subjects(agent, '"VIP') == ['Tagged: special']
    assert subjects(agent, "o'brien") == ['Tagged: a name']
    assert subjects(agent, 'a\\b: <script>') == ['Tagged <script>']  # only in the tag
    assert subjects(agent, '\\b:') == ['Tagged <script>']
