"""The content screen as a manager and an agent use it: write a page in Markdown, publish it, read it back."""

from __future__ import annotations

from datetime import timedelta

from nicegui import ui
from nicegui.element_filter import ElementFilter
from nicegui.testing import User
from nicegui.testing.user_interaction import UserInteraction
from sqlmodel import select

from backoffice import formatting, i18n
from backoffice.db import session_scope
from backoffice.models import AuditEntry, ContentEntry, ContentStatus, utcnow
from backoffice.services import content, users

from .support.factories import edit_content, make_content, make_user, publish_content
from .support.signin import signed_in
from .support.waiting import eventually


def table_in(user: User, marker: str) -> ui.table:
    with user:
        tables = list(ElementFilter(kind=ui.table).within(marker=marker))
    assert tables, f'no list under {marker} yet'
    return tables[0]


async def rows_show(user: User, marker: str, column: str, *values: str) -> list[dict]:
    """Wait until the list under `marker` shows these values in `column`; returns its rows."""

    def shown() -> list[dict]:
        rows = table_in(user, marker).rows
        assert all(value in [row[column] for row in rows] for value in values), (
            f'{marker} shows {[row[column] for row in rows]}, expected {values}'
        )
        return rows

    return await eventually(shown, message=f'{marker} shows {values}')


def open_row(user: User, marker: str, column: str, value: str) -> None:
    table = table_in(user, marker)
    row = next(r for r in table.rows if r[column] == value)
    UserInteraction(user, {table}, ui.table).trigger('rowClick', [{}, row, 0])


def markdown_input(user: User) -> ui.textarea:
    return user.find(kind=ui.textarea, content='Text (Markdown)').elements.pop()


def title_input(user: User) -> ui.input:
    return next(e for e in user.find(kind=ui.input, content='Title *').elements)


def stored(slug: str) -> ContentEntry | None:
    with session_scope() as session:
        return session.exec(select(ContentEntry).where(ContentEntry.slug == slug)).first()


async def test_a_manager_writes_a_page_publishes_it_and_an_agent_reads_it_without_changing_it(
    user: User, create_user
) -> None:
    manager = make_user('manager')
    await signed_in(user, manager.email, path='/content')
    await user.should_see('Pages and texts')
    user.find('New page').click()
    user.find('Title *').type('Opening hours')
    user.find('Slug *').type('Opening Hours')
    user.find('Text (Markdown)').type('We are open **Monday to Friday**.')
    user.find(kind=ui.button, content='Create page').click()
    await user.should_see('Page "Opening hours" created')
    rows = await rows_show(user, 'content', 'slug', 'opening-hours')
    assert next(r for r in rows if r['slug'] == 'opening-hours')['status'] == 'Draft'

    open_row(user, 'content', 'slug', 'opening-hours')
    await user.should_see('Save changes')
    user.find(kind=ui.button, content='Publish').click()
    await user.should_see('Published; live on the front office now')
    page = stored('opening-hours')
    assert (page.status, page.body) == (ContentStatus.published, 'We are open **Monday to Friday**.')
    with session_scope() as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == 'page.published')).one()
    assert entry.actor_email == manager.email

    agent = make_user('agent')
    agents_browser = create_user()
    await signed_in(agents_browser, agent.email, path='/content')
    await agents_browser.should_see('Pages and texts')
    await agents_browser.should_not_see('New page')
    rows = await rows_show(agents_browser, 'content', 'slug', 'opening-hours')
    assert next(r for r in rows if r['slug'] == 'opening-hours')['status'] == 'Published'
    open_row(agents_browser, 'content', 'slug', 'opening-hours')
    await agents_browser.should_see('Close')
    await agents_browser.should_not_see('Save changes')
    await agents_browser.should_not_see(kind=ui.button, content='Unpublish')
    await agents_browser.should_see(kind=ui.markdown)  # the preview: rendered and sanitised by NiceGUI


async def test_only_a_legal_documents_dialog_has_a_versions_tab(user: User) -> None:
    """A page or a text keeps no versions: its dialog's Versions tab was always empty, as if its history were lost."""
    manager = make_user('manager')
    make_content('hours-tab', title='Hours: "open" <script>x</script>', body='Monday')
    make_content('terms-tab', title='Terms: "tab"', kind='legal', body='Article 1', published=True)
    await signed_in(user, manager.email, path='/content')
    await rows_show(user, 'content', 'slug', 'hours-tab', 'terms-tab')
    open_row(user, 'content', 'slug', 'hours-tab')
    await user.should_see('Save changes')
    await user.should_see(kind=ui.tab, content='History')
    await user.should_not_see(kind=ui.tab, content='Versions')
    user.find(kind=ui.button, content='Cancel').click()
    open_row(user, 'content', 'slug', 'terms-tab')
    await user.should_see(kind=ui.tab, content='Versions')


async def test_the_legal_versions_tab_lists_every_published_version_with_its_dates(user: User) -> None:
    manager = make_user('manager')
    terms = make_content('terms-of-sale', title='Terms of sale', kind='legal', body='First terms')
    terms = publish_content(terms, actor=manager, now=utcnow() - timedelta(days=90))
    publish_content(edit_content(terms, manager, body='Second terms'), actor=manager)

    await signed_in(user, manager.email, path='/content')
    await user.should_see('Pages and texts')
    user.find(marker='legal-versions-tab').click()
    rows = await rows_show(user, 'legal-versions', 'number', '1', '2')
    assert {(r['document_id'], r['number']) for r in rows} == {('Terms of sale', '1'), ('Terms of sale', '2')}
    first = next(r for r in rows if r['number'] == '1')
    assert (
        first['effective_until']
        and first['effective_until'] == next(r for r in rows if r['number'] == '2')['effective_from']
    )

    open_row(user, 'legal-versions', 'number', '1')
    await user.should_see('Close')
    await user.should_not_see('Save changes')
    await user.should_not_see(kind=ui.button, content='Delete')


async def test_live_from_says_when_the_version_in_force_took_effect_and_the_next_ones_date_apart(user: User) -> None:
    """Version 1 of the privacy policy was in force and version 2 scheduled: the list's 'Live from' showed only
    version 2's date, as if the policy were not live yet."""
    manager = make_user('manager')
    since, later = utcnow() - timedelta(days=30), utcnow() + timedelta(days=14)
    privacy = make_content('privacy-live', title='Privacy "<b>x</b>": \'policy\'', kind='legal', body='First')
    privacy = publish_content(privacy, actor=manager, now=since)
    publish_content(edit_content(privacy, manager, body='Second', publish_at=later), actor=manager)
    scheduled = make_content('cookies-live', title='Cookies: "<b>x</b>"', kind='legal', body='One', publish_at=later)
    publish_content(scheduled, actor=manager)  # none in force yet: its first version's date
    make_content('hours-live', title='Hours: "<b>x</b>"', body='Monday', publish_at=later)

    await signed_in(user, manager.email, path='/content')
    rows = {
        r['slug']: r for r in await rows_show(user, 'content', 'slug', 'privacy-live', 'cookies-live', 'hours-live')
    }
    assert (
        rows['privacy-live']['publish_at'] == f'{formatting.when(since)} · next version from {formatting.when(later)}'
    )
    assert rows['cookies-live']['publish_at'] == formatting.when(later)
    assert rows['hours-live']['publish_at'] == formatting.when(later)  # a page's: its scheduled time, as before


async def test_publishing_with_unsaved_edits_saves_them_and_publishes_them_in_one_step(user: User) -> None:
    """Publishing a legal document after typing a new clause without saving asked to save first, then to publish: two
    steps for one intent. Publish version now says the edits are saved first and publishes the text as typed."""
    manager = make_user('manager')
    make_content('terms-of-sale', title='Terms of sale', kind='legal', body='First terms', published=True)
    await signed_in(user, manager.email, path='/content')
    await rows_show(user, 'content', 'slug', 'terms-of-sale')
    open_row(user, 'content', 'slug', 'terms-of-sale')
    await user.should_see('Save changes')
    clause = 'First terms\n\nNew clause "Q" : <script>alert(1)</script>'
    markdown_input(user).set_value(clause)
    user.find(kind=ui.button, content='Publish version').click()
    await user.should_see('Publish this text as a new version?')
    await user.should_see('Your unsaved changes are saved first, as part of it.')
    await user.should_not_see('Save your changes first')
    assert stored('terms-of-sale').legal_version == 1  # asked first: nothing saved or published yet
    user.find(marker='confirm-action').click()
    await eventually(lambda: stored('terms-of-sale').legal_version == 2, message='version 2 is published')
    assert stored('terms-of-sale').body == clause  # the text as typed is the version published
    await user.should_see('Published')


async def test_an_edit_saved_to_terms_taken_off_the_front_office_does_not_say_customers_still_read_them(
    user: User,
) -> None:
    """Saving an edit to terms that were unpublished said "The front office still shows version 1": it shows none."""
    manager = make_user('manager')
    terms = make_content('terms-off', title='Terms: "off"', kind='legal', body='First terms', published=True)
    with session_scope() as session:
        content.unpublish_content(session=session, actor=manager, record_id=terms.id, version=terms.version)
    await signed_in(user, manager.email, path='/content')
    await rows_show(user, 'content', 'slug', 'terms-off')
    open_row(user, 'content', 'slug', 'terms-off')
    await user.should_see('Save changes')
    markdown_input(user).set_value('First terms\n\nNew clause "Q" : <script>alert(1)</script>')
    user.find(kind=ui.button, content='Save changes').click()
    await user.should_see('Saved here. It is off the front office: publish a version to put this text live.')
    await user.should_not_see('The front office still shows version 1')


async def test_publishing_edits_after_a_colleagues_save_loses_neither_and_publishes_nothing_unseen(
    user: User,
) -> None:
    """The form's version is checked: a colleague's save meanwhile is refused, not overwritten (nor published unseen);
    the typed text stays, and after Reload one press saves and publishes both."""
    manager, colleague = make_user('manager'), make_user('manager')
    entry = make_content('privacy', title='Privacy', kind='legal', body='First privacy', published=True)
    await signed_in(user, manager.email, path='/content')
    await rows_show(user, 'content', 'slug', 'privacy')
    open_row(user, 'content', 'slug', 'privacy')
    await user.should_see('Save changes')
    clause = 'First privacy\n\nCookies: "none" <b>'
    markdown_input(user).set_value(clause)
    edit_content(stored('privacy'), colleague, title='Privacy policy')  # saved meanwhile, elsewhere
    user.find(kind=ui.button, content='Publish version').click()
    await user.should_see('Your unsaved changes are saved first, as part of it.')
    user.find(marker='confirm-action').click()
    await user.should_see(f'changed by {colleague.name}')
    saved = stored('privacy')
    assert (saved.legal_version, saved.title, saved.body) == (1, 'Privacy policy', 'First privacy')
    assert markdown_input(user).value == clause  # what was typed is kept

    user.find(kind=ui.button, content='Reload').click()
    await eventually(lambda: title_input(user).value == 'Privacy policy', message="the colleague's title shown")
    user.find(kind=ui.button, content='Publish version').click()
    await user.should_see('Publish this text as a new version?')
    with user:
        confirms = [e for e in ElementFilter(marker='confirm-action') if e.visible]
    UserInteraction(user, {confirms[-1]}, None).click()  # the new question's (the first one's is closed)
    await eventually(lambda: stored('privacy').legal_version == 2, message='version 2 is published')
    saved = stored('privacy')
    assert (saved.title, saved.body) == ('Privacy policy', clause)  # the colleague's title and the typed text
    assert entry.id == saved.id


async def test_a_title_too_long_says_so_in_the_screens_words_and_nothing_is_saved(user: User) -> None:
    """The operator's day found "String should have at most 200 characters" (pydantic's English) at the field, where
    every other screen says "Use at most 200 characters"."""
    manager = make_user('manager')
    await signed_in(user, manager.email, path='/content')
    user.find('New page').click()
    user.find('Title *').type('"Terms": <script>x</script> ' + 'x' * 200)
    user.find('Slug *').type('too-long-title')
    user.find(kind=ui.button, content='Create page').click()
    await user.should_see('Use at most 200 characters')
    await user.should_not_see('String should have')
    assert stored('too-long-title') is None


async def test_the_preview_shows_the_text_once_opened_and_follows_what_is_typed(user: User) -> None:
    """The Markdown preview is rendered while it is open (while closed, every keystroke of a long text converted it on
    the server: a 3,000-character body delayed "Create page" by seconds on a busy machine)."""
    manager = make_user('manager')
    await signed_in(user, manager.email, path='/content')
    user.find('New page').click()
    text = 'Open **Monday** "to" Friday: <script>window.__x=1</script>'
    markdown_input(user).set_value(text)
    preview = user.find(kind=ui.markdown).elements.pop()
    assert preview.content == ''  # closed: not converted
    box = user.find(kind=ui.expansion, content='Preview').elements.pop()
    box.set_value(True)
    assert preview.content == text  # shown as Markdown, sanitized in the browser
    markdown_input(user).set_value(text + ' and Saturday')
    assert preview.content == text + ' and Saturday'
    box.set_value(False)
    markdown_input(user).set_value('Closed again')
    assert preview.content == text + ' and Saturday'  # not converted while closed


async def test_a_legal_versions_changes_tab_shows_what_it_changed_from_the_one_before(user: User) -> None:
    manager = make_user('manager')
    terms = make_content('terms-of-sale', title='Terms of sale', kind='legal', body='Returns: 14 days.\nCourts: Paris.')
    terms = publish_content(terms, actor=manager, now=utcnow() - timedelta(days=90))
    hostile = 'Returns: 30 days, "free" <script>alert(1)</script>'
    publish_content(edit_content(terms, manager, body=f'{hostile}\nCourts: Paris.'), actor=manager)

    await signed_in(user, manager.email, path='/content')
    await user.should_see('Pages and texts')
    user.find(marker='legal-versions-tab').click()
    await rows_show(user, 'legal-versions', 'number', '1', '2')
    open_row(user, 'legal-versions', 'number', '2')
    await user.should_see('Changes')
    user.find(kind=ui.tab, content='Changes').click()
    await user.should_see('Changes from version 1')
    await user.should_see(f'+ {hostile}')  # as text: the script is words on the screen
    await user.should_see('− Returns: 14 days.')
    await user.should_see(marker='change-same', content='Courts: Paris.')


async def test_a_legal_document_with_published_versions_offers_no_delete_that_would_be_refused(user: User) -> None:
    manager = make_user('manager')
    publish_content(make_content('cgv', title='CGV: "v1" <script>', kind='legal', body='Article 1.'), actor=manager)
    make_content('draft-terms', title='Draft terms', kind='legal', body='Not yet.')
    await signed_in(user, manager.email, path='/content')
    await rows_show(user, 'content', 'slug', 'cgv', 'draft-terms')
    open_row(user, 'content', 'slug', 'cgv')
    await user.should_see('Unpublish')
    await user.should_not_see(kind=ui.button, content='Delete')  # it was offered, and always refused
    user.find('Cancel').click()
    open_row(user, 'content', 'slug', 'draft-terms')  # never published: it may go to the trash
    await user.should_see(kind=ui.button, content='Delete')


async def test_before_publishing_a_legal_documents_changes_tab_shows_what_a_new_version_would_change(
    user: User,
) -> None:
    manager = make_user('manager')
    terms = make_content('cgv', title='CGV', kind='legal', body='Returns: 14 days.\nCourts: Paris.')
    terms = publish_content(terms, actor=manager)
    edit_content(terms, manager, body='Returns: 30 days, "free" <script>x</script>\nCourts: Paris.')
    make_content('about-us', title='About us', body='Hello.')  # a page: no versions, no Changes tab

    await signed_in(user, manager.email, path='/content')
    await rows_show(user, 'content', 'slug', 'cgv', 'about-us')
    open_row(user, 'content', 'slug', 'about-us')
    await user.should_see('Save changes')
    await user.should_not_see(kind=ui.tab, content='Changes')
    user.find('Cancel').click()
    open_row(user, 'content', 'slug', 'cgv')
    await user.should_see('Unpublish')
    user.find(kind=ui.tab, content='Changes').click()
    await user.should_see('The saved text against version 1: what publishing a version would change')
    await user.should_see('− Returns: 14 days.')
    await user.should_see('+ Returns: 30 days, "free" <script>x</script>')


async def test_a_dialog_with_unsaved_edits_is_not_closed_by_escape_or_a_click_beside_it(user: User) -> None:
    """Escape, or a click beside the dialog, closed a page's dialog with its edits unsaved, without a word: the
    words typed were gone. With edits it holds (Quasar shakes it); undone, or untouched, it closes as before."""
    manager = make_user('manager')
    make_content('held-open', title='Held: "open" <script>', body='First words')
    await signed_in(user, manager.email, path='/content')
    await rows_show(user, 'content', 'slug', 'held-open')
    open_row(user, 'content', 'slug', 'held-open')
    await user.should_see('Save changes')
    [dialog] = [d for d in user.find(kind=ui.dialog).elements if d.value]
    assert not dialog.props.get('persistent')  # untouched: Escape closes it
    markdown_input(user).value = 'First words, and more: "<script>"'
    assert dialog.props['persistent'] is True
    markdown_input(user).value = 'First words'  # undone: nothing to lose
    assert not dialog.props['persistent']


async def test_a_new_legal_document_is_said_created_as_a_legal_document_not_a_page(user: User) -> None:
    title = 'CGV: "2027" <script>alert(1)</script>'
    await signed_in(user, make_user('manager').email, path='/content')
    user.find('New page').click()
    user.find('Title *').type(title)
    user.find('Slug *').type('cgv-2027')
    kind = next(s for s in user.find(kind=ui.select).elements if s.props.get('label', '').startswith('Kind *'))
    kind.value = 'legal'
    await user.should_see('New legal document')  # the form named what is made: it said "New page", "Create page"
    await user.should_not_see('Create page')
    user.find('Text (Markdown)').type('Article 1.')
    user.find(kind=ui.button, content='Create legal document').click()
    await user.should_see(f'Legal document "{title}" created')  # it said "Page created"
    await user.should_not_see('Page created')
    assert stored('cgv-2027').kind == 'legal'


async def test_a_new_text_is_named_a_text_in_its_form_and_in_french(user: User) -> None:
    """The form's title and button follow the kind chosen, back and forth, in the reader's language."""
    manager = make_user('manager')
    with session_scope() as session:
        users.set_language(session=session, actor=manager, language='fr')
    await signed_in(user, manager.email, path='/content')
    user.find('Nouvelle page').click()
    kind = next(
        s for s in user.find(kind=ui.select).elements if s.props.get('label') == 'Type *'
    )  # the form's (the list has a Type filter)
    kind.value = 'legal'
    await user.should_see('Nouveau document légal')
    await user.should_see('Créer le document légal')
    kind.value = 'text'
    await user.should_see('Nouveau texte')
    await user.should_not_see('Nouveau document légal')
    kind.value = 'page'
    await user.should_see('Créer la page')


async def test_a_version_withdrawn_before_it_took_effect_says_so_instead_of_from_a_day_until_the_same_day(
    user: User,
) -> None:
    """Scheduled for next month, then the terms were unpublished: version 2 read 'In force from 6 Jan' and 'In force
    until 6 Jan', a period that means nothing; it says it was withdrawn before it took effect."""
    manager = make_user('manager')
    hostile = 'Terms: "withdrawn" <script>x</script>'
    terms = publish_content(make_content('cgv-cut', title=hostile, kind='legal', body='One'), actor=manager)
    terms = edit_content(terms, manager, body='Two', publish_at=utcnow() + timedelta(days=30))
    terms = publish_content(terms, actor=manager)
    with session_scope() as session:
        content.unpublish_content(session=session, actor=manager, record_id=terms.id, version=terms.version)

    await signed_in(user, manager.email, path='/content')
    await user.should_see('Pages and texts')
    user.find(marker='legal-versions-tab').click()
    rows = await rows_show(user, 'legal-versions', 'number', '1', '2')
    until = {row['number']: row['effective_until'] for row in rows}
    assert until['2'] == 'Withdrawn before it took effect'
    assert until['1'] and until['1'] != until['2']  # the day it was taken off
    open_row(user, 'legal-versions', 'number', '2')
    await user.should_see(marker='record-title')

    def until_hint() -> str:
        with user:
            fields = [e for e in ElementFilter(content='In force until') if e.props.get('label') == 'In force until']
        assert fields, 'the version is not open yet'
        return fields[0].props.get('hint')

    assert await eventually(until_hint) == (
        'Withdrawn before it took effect: it was never in force, and never on the front office.'
    )


async def test_the_unpublish_confirmation_says_who_stops_seeing_it_and_what_becomes_of_versions_and_acceptances(
    user: User,
) -> None:
    manager = make_user('manager')
    terms = make_content('cgv-off', title='CGV: "off" <script>x</script>', kind='legal', body='One')
    terms = publish_content(terms, actor=manager)
    later = (utcnow() + timedelta(days=30)).replace(microsecond=0)
    publish_content(edit_content(terms, manager, body='Two', publish_at=later), actor=manager)
    make_content('about-off', title='About: "us" <b>', body='Hello.', published=True)

    await signed_in(user, manager.email, path='/content')
    await rows_show(user, 'content', 'slug', 'cgv-off', 'about-off')
    open_row(user, 'content', 'slug', 'cgv-off')
    await user.should_see('Unpublish')
    user.find(kind=ui.button, content='Unpublish').click()
    await user.should_see('Take this off the front office? It stays here as a draft.')
    await user.should_see(marker='action-foreseen')
    # one short line each, under what it is about: one paragraph of it all was not read
    with user:
        parts = list(ElementFilter(kind=ui.label).within(marker='action-foreseen'))
    headings = [e.text for e in parts if e.props.get('role') == 'heading']
    lines = [e.text for e in parts if e.props.get('role') != 'heading']
    assert headings == ['What customers see', 'Acceptances', 'Publishing again']
    assert lines[:2] == [
        'Version 1 stops being in force now.',
        'The portal no longer shows it; /api/content/cgv-off answers "not found".',
    ]
    assert lines[2] == f'Version 2, scheduled for {formatting.when(later)}, will never take effect.'
    assert lines[3:] == [
        'Those already recorded are kept, shown as no longer published.',
        'None can be recorded until a version is published again.',
        'No earlier version comes back into force.',
        'Publish version puts it back as a new version, in force from then.',
    ]
    assert all(len(line) <= 80 for line in lines)  # short lines, each read at a glance
    with i18n.use('fr'), session_scope() as session:  # and in French, part by part
        said_fr = content.unpublish_foreseen(session=session, actor=manager, record_id=terms.id)
    assert [part.heading for part in said_fr] == ['Ce que voient les clients', 'Acceptations', 'Republier']
    assert said_fr[1].lines == (
        'Celles déjà enregistrées sont conservées, marquées «\u00a0Plus publié\u00a0».',
        'Aucune ne peut être enregistrée avant qu’une version soit de nouveau publiée.',
    )
    with session_scope() as session:  # a page: taken off, kept as a draft
        page = session.exec(select(ContentEntry).where(ContentEntry.slug == 'about-off')).one()
        said = content.unpublish_foreseen(session=session, actor=manager, record_id=page.id)
    assert said == (
        'Customers stop seeing it at once: the front office gets "not found" for /api/content/about-off. It stays '
        'here as a draft; Publish puts it back.'
    )
    soon = make_content('soon-off', title='Soon: "x" <b>', body='Later.', published=True, publish_at=later)
    with session_scope() as session:  # scheduled for later: nobody sees it yet, and it will not go live
        said = content.unpublish_foreseen(session=session, actor=manager, record_id=soon.id)
    assert said.startswith('Customers do not see it yet: it was to go live on ') and 'and will not.' in said
