"""Content for the front office (pages, texts, legal documents) and the published versions of legal documents,
declared once."""

from __future__ import annotations

from backoffice.engine.declaration import (
    Action,
    Card,
    Column,
    Comparison,
    Filter,
    FormField,
    KindWords,
    RelatedList,
    Resource,
    Wording,
    register,
)
from backoffice.events import Topic
from backoffice.i18n import N_, NP_, _, ngettext
from backoffice.models import ContentCreate, ContentEntry, ContentKind, ContentStatus, ContentUpdate, LegalVersion
from backoffice.services import legal_acceptances
from backoffice.services.content import (
    changes_from_previous,
    changes_since_published,
    check_content_change,
    live_from_order,
    live_from_shown,
    publish_content,
    saved_note,
    unpublish_content,
    unpublish_foreseen,
    until_note,
    until_shown,
    versions_are_final,
)

KINDS = {'page': N_('Page'), 'text': N_('Text'), 'legal': N_('Legal document')}
# 'Published' in French agreed with pages only ('Document légal · Publiée'): content has its own word for it
STATUSES = {'draft': N_('Draft'), 'published': NP_('content status', 'Published')}


# a notification names what it speaks of: "Page created" was said of a new legal document too
SAID_OF = {
    ('created', ContentKind.page): N_('Page "{title}" created'),
    ('created', ContentKind.text): N_('Text "{title}" created'),
    ('created', ContentKind.legal): N_('Legal document "{title}" created'),
    ('trashed', ContentKind.page): N_('Page "{title}" moved to the trash'),
    ('trashed', ContentKind.text): N_('Text "{title}" moved to the trash'),
    ('trashed', ContentKind.legal): N_('Legal document "{title}" moved to the trash'),
    ('restored', ContentKind.page): N_('Page "{title}" restored'),
    ('restored', ContentKind.text): N_('Text "{title}" restored'),
    ('restored', ContentKind.legal): N_('Legal document "{title}" restored'),
}


# a record named by its kind, in its form as the kind is chosen and in the audit log: a legal document's form said
# "New page" and "Create page", its audit entries "Page …"
KIND_WORDS = {
    'page': KindWords(N_('page'), N_('New page'), N_('Create page'), N_('Page created')),
    'text': KindWords(N_('text'), N_('New text'), N_('Create text'), N_('Text created')),
    'legal': KindWords(
        N_('legal document'), N_('New legal document'), N_('Create legal document'), N_('Legal document created')
    ),
}


# what the Status field says of a text and a legal document (its help speaks of a page): a legal document's saved edit
# is not live at all until it is published as a new version
STATUS_NOTES = {
    ContentKind.text: N_('Publish and Unpublish are actions; saving an edit keeps a published text published'),
    ContentKind.legal: N_(
        'Publish version and Unpublish are actions; a saved edit goes live only once published as a new version'
    ),
}


def status_note(entry: ContentEntry) -> str:
    said = STATUS_NOTES.get(ContentKind(entry.kind))
    return _(said) if said else ''


def said_of(what: str, entry: ContentEntry) -> str:
    sentence = SAID_OF.get((what, ContentKind(entry.kind)))
    return _(sentence).format(title=entry.title) if sentence else ''


CONTENT = register(
    Resource(
        key=Topic.content,
        link='/content?open={id}',
        label=N_('Content'),
        singular=N_('page'),
        wording=Wording(
            count=lambda n: ngettext('{n} page', '{n} pages and texts', n),
            arrived=lambda n: ngettext('{n} new page', '{n} new pages and texts', n),
            none_yet=N_('There are no pages and texts yet.'),
            new=N_('New page'),
            create=N_('Create page'),
            created=N_('Page created'),
            trashed=N_('Page moved to the trash'),
            restored=N_('Page restored'),
        ),
        plural=N_('pages and texts'),
        kind_words=('kind', KIND_WORDS),
        model=ContentEntry,
        create=ContentCreate,
        update=ContentUpdate,
        permission='content',
        title='title',
        icon='article',
        description=N_('Pages and texts for the front office; legal documents keep every published version'),
        columns=(
            Column('title', N_('Title')),
            Column('slug', N_('Slug')),
            Column('kind', N_('Kind'), kind='choice', choices=KINDS),
            Column('status', N_('Status'), kind='choice', choices=STATUSES),
            Column('legal_version', N_('Version'), on_phone=False),  # names a version: not a quantity
            # a legal document's: when its version in force took effect (its field holds the next version's date)
            Column(
                'publish_at',
                N_('Live from'),
                kind='datetime',
                on_phone=False,
                derived=live_from_shown,
                sorted_by=live_from_order,  # sorted as shown, not by the next version's date
            ),
            Column('updated_at', N_('Changed'), kind='datetime', on_phone=False),
        ),
        fields=(
            FormField('title', N_('Title'), required=True),
            FormField(
                'slug',
                N_('Slug'),
                required=True,
                help=N_('Lowercase letters, digits and dashes; the front office reads /api/content/<slug>'),
            ),
            FormField(
                'kind',
                N_('Kind'),
                kind='choice',
                choices=KINDS,
                required=True,
                help=N_('A legal document keeps every published version, with the dates it was in force'),
            ),
            FormField('body', N_('Text (Markdown)'), kind='markdown'),
            FormField(
                'publish_at',
                N_('Live from'),  # in the shop's time zone, which the field says
                kind='datetime',
                help=N_('Empty: as soon as it is published. A legal document: when its next version takes effect'),
            ),
            FormField(
                'status',
                N_('Status'),
                kind='choice',
                choices=STATUSES,
                on_create=False,
                on_edit=False,
                help=N_('Publish and Unpublish are actions; saving an edit keeps a published page published'),
                note=status_note,  # a text's and a legal document's own words
            ),
            FormField('published_at', N_('Last published'), kind='datetime', on_create=False, on_edit=False),
            FormField('legal_version', N_('Latest version'), kind='number', on_create=False, on_edit=False),
        ),
        search=('title', 'slug'),
        filters=(
            Filter('kind', N_('Kind'), 'choice', choices=KINDS),
            Filter('status', N_('Status'), 'choice', choices=STATUSES),
            Filter('updated_at', N_('Changed'), 'date_range'),
        ),
        default_sort='slug',
        card=Card(title='title', status='status', secondary=('kind', 'slug', 'updated_at')),
        unique=('slug',),
        deletable=lambda entry: not entry.legal_version,  # customers agreed to its versions: it stays on record
        # before publishing a new version, what it would change from the one in force
        comparison=Comparison(
            N_('Changes'),
            changes_since_published,
            applies=lambda entry: entry.kind == ContentKind.legal and entry.legal_version,
        ),
        check_change=check_content_change,
        saved_note=saved_note,
        said_of=said_of,
        # only a legal document keeps versions: a page's or a text's Versions tab was always empty
        related_lists=(
            RelatedList(
                N_('Versions'), 'legal-versions', 'document_id', applies=lambda entry: entry.kind == ContentKind.legal
            ),
        ),
        actions=(
            Action(
                'publish',
                N_('Publish'),
                publish_content,
                'content.write',
                icon='publish',
                visible=lambda e: e.kind != ContentKind.legal and e.status == ContentStatus.draft,
                saves_edits=True,  # a page corrected then published: one press
            ),
            Action(
                'publish-version',
                N_('Publish version'),
                publish_content,
                'content.write',
                icon='history_edu',
                visible=lambda e: e.kind == ContentKind.legal,
                confirm=N_('Publish this text as a new version? A published version stays as it is, for good.'),
                saves_edits=True,  # the text just edited is the version published, in one step
            ),
            Action(
                'unpublish',
                N_('Unpublish'),
                unpublish_content,
                'content.write',
                icon='unpublished',
                visible=lambda e: e.status == ContentStatus.published,
                confirm=N_('Take this off the front office? It stays here as a draft.'),
                foresee=unpublish_foreseen,  # who stops seeing it, its versions, the acceptances: said before
            ),
        ),
    )
)

# Read-only: a published version is final. The list filtered by document shows a legal document's versions.
LEGAL_VERSIONS = register(
    Resource(
        key=Topic.legal_versions,
        # the content screen's legal versions tab, the version open with its text (a customer's acceptance links here)
        link=legal_acceptances.VERSION_PAGE,
        label=N_('Legal versions'),
        singular=N_('legal version'),
        wording=Wording(
            count=lambda n: ngettext('{n} legal version', '{n} legal versions', n),
            arrived=lambda n: ngettext('{n} new legal version', '{n} new legal versions', n),
            none_yet=N_('There are no legal versions yet.'),
        ),
        model=LegalVersion,
        create=None,
        update=None,
        create_with=versions_are_final,
        update_with=versions_are_final,
        permission='content',
        title='title',
        icon='history_edu',
        soft_delete=False,
        description=N_('Every published version of the legal documents, with the dates it was in force'),
        columns=(
            Column('document_id', N_('Document'), kind='related', related='content', sortable=False),
            Column('number', N_('Version')),  # names a version: not a quantity
            Column('title', N_('Title'), on_phone=False),
            Column('effective_from', N_('In force from'), kind='datetime'),
            # one withdrawn before it took effect says so: 'from 12 Dec until 12 Dec' said nothing
            Column('effective_until', N_('In force until'), kind='datetime', derived=until_shown),
            Column('published_by', N_('Published by'), on_phone=False),
        ),
        fields=(
            FormField('document_id', N_('Document'), kind='related', related='content', on_edit=False),
            FormField('number', N_('Version'), kind='number', on_edit=False),
            FormField('title', N_('Title'), on_edit=False),
            FormField('body', N_('Text (Markdown)'), kind='markdown', on_edit=False),
            FormField('effective_from', N_('In force from'), kind='datetime', on_edit=False),
            FormField(
                'effective_until',
                N_('In force until'),
                kind='datetime',
                on_edit=False,
                help=N_('Empty: in force now (or from its start date)'),
                note=until_note,
            ),
            FormField('published_at', N_('Published'), kind='datetime', on_edit=False),
            FormField('published_by', N_('Published by'), on_edit=False),
        ),
        search=('title',),
        filters=(
            Filter('document_id', N_('Document'), 'related', related='content'),
            Filter('effective_from', N_('In force from'), 'date_range'),
        ),
        default_sort='effective_from',
        default_descending=True,
        # on a phone: when each version was in force, not its document's name again (its title is that name)
        card=Card(title='title', secondary=('number', 'effective_from', 'effective_until')),
        comparison=Comparison(N_('Changes'), changes_from_previous),
    )
)
