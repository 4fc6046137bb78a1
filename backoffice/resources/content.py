"""Content for the front office (pages, texts, legal documents) and the published versions of legal documents,
declared once."""

from __future__ import annotations

from backoffice.engine.declaration import Action, Card, Column, Filter, FormField, RelatedList, Resource, register
from backoffice.events import Topic
from backoffice.models import ContentCreate, ContentEntry, ContentKind, ContentStatus, ContentUpdate, LegalVersion
from backoffice.services.content import check_content_change, publish_content, unpublish_content, versions_are_final

KINDS = {'page': 'Page', 'text': 'Text', 'legal': 'Legal document'}
STATUSES = {'draft': 'Draft', 'published': 'Published'}


CONTENT = register(
    Resource(
        key=Topic.content,
        link='/content?open={id}',
        label='Content',
        singular='page',
        plural='pages and texts',
        model=ContentEntry,
        create=ContentCreate,
        update=ContentUpdate,
        permission='content',
        title='title',
        icon='article',
        description='Pages and texts for the front office; legal documents keep every published version',
        columns=(
            Column('title', 'Title'),
            Column('slug', 'Slug'),
            Column('kind', 'Kind', kind='choice', choices=KINDS),
            Column('status', 'Status', kind='choice', choices=STATUSES),
            Column('legal_version', 'Version', kind='number', on_phone=False),
            Column('publish_at', 'Live from', kind='datetime', on_phone=False),
            Column('updated_at', 'Changed', kind='datetime', on_phone=False),
        ),
        fields=(
            FormField('title', 'Title', required=True),
            FormField(
                'slug',
                'Slug',
                required=True,
                help='Lowercase letters, digits and dashes; the front office reads /api/content/<slug>',
            ),
            FormField(
                'kind',
                'Kind',
                kind='choice',
                choices=KINDS,
                required=True,
                help='A legal document keeps every published version, with the dates it was in force',
            ),
            FormField('body', 'Text (Markdown)', kind='markdown'),
            FormField(
                'publish_at',
                'Live from (UTC)',
                kind='datetime',
                help='Empty: as soon as it is published. A legal document: when its next version takes effect',
            ),
            FormField(
                'status',
                'Status',
                kind='choice',
                choices=STATUSES,
                on_create=False,
                on_edit=False,
                help='Publish and Unpublish are actions; saving an edit keeps a published page published',
            ),
            FormField('published_at', 'Last published', kind='datetime', on_create=False, on_edit=False),
            FormField('legal_version', 'Latest version', kind='number', on_create=False, on_edit=False),
        ),
        search=('title', 'slug'),
        filters=(
            Filter('kind', 'Kind', 'choice', choices=KINDS),
            Filter('status', 'Status', 'choice', choices=STATUSES),
            Filter('updated_at', 'Changed', 'date_range'),
        ),
        default_sort='slug',
        card=Card(title='title', status='status', secondary=('kind', 'slug', 'updated_at')),
        unique=('slug',),
        check_change=check_content_change,
        related_lists=(RelatedList('Versions', 'legal-versions', 'document_id'),),
        actions=(
            Action(
                'publish',
                'Publish',
                publish_content,
                'content.write',
                icon='publish',
                visible=lambda e: e.kind != ContentKind.legal and e.status == ContentStatus.draft,
            ),
            Action(
                'publish-version',
                'Publish version',
                publish_content,
                'content.write',
                icon='history_edu',
                visible=lambda e: e.kind == ContentKind.legal,
                confirm='Publish this text as a new version? A published version stays as it is, for good.',
            ),
            Action(
                'unpublish',
                'Unpublish',
                unpublish_content,
                'content.write',
                icon='unpublished',
                visible=lambda e: e.status == ContentStatus.published,
                confirm='Take this off the front office? It stays here as a draft.',
            ),
        ),
    )
)

# Read-only: a published version is final. The list filtered by document shows a legal document's versions.
LEGAL_VERSIONS = register(
    Resource(
        key=Topic.legal_versions,
        label='Legal versions',
        singular='legal version',
        model=LegalVersion,
        create=None,
        update=None,
        create_with=versions_are_final,
        update_with=versions_are_final,
        permission='content',
        title='title',
        icon='history_edu',
        soft_delete=False,
        description='Every published version of the legal documents, with the dates it was in force',
        columns=(
            Column('document_id', 'Document', kind='related', related='content', sortable=False),
            Column('number', 'Version', kind='number'),
            Column('title', 'Title', on_phone=False),
            Column('effective_from', 'In force from', kind='datetime'),
            Column('effective_until', 'In force until', kind='datetime'),
            Column('published_by', 'Published by', on_phone=False),
        ),
        fields=(
            FormField('document_id', 'Document', kind='related', related='content', on_edit=False),
            FormField('number', 'Version', kind='number', on_edit=False),
            FormField('title', 'Title', on_edit=False),
            FormField('body', 'Text (Markdown)', kind='markdown', on_edit=False),
            FormField('effective_from', 'In force from', kind='datetime', on_edit=False),
            FormField(
                'effective_until',
                'In force until',
                kind='datetime',
                on_edit=False,
                help='Empty: in force now (or from its start date)',
            ),
            FormField('published_at', 'Published', kind='datetime', on_edit=False),
            FormField('published_by', 'Published by', on_edit=False),
        ),
        search=('title',),
        filters=(
            Filter('document_id', 'Document', 'related', related='content'),
            Filter('effective_from', 'In force from', 'date_range'),
        ),
        default_sort='effective_from',
        default_descending=True,
    )
)
