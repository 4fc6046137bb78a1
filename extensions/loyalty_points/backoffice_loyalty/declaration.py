"""The ledger as a declared resource: its screen's list and form (an adjustment by hand, with its reason), its
exports, its audit entries and `/api/v1/loyalty-points`, all from the core's resource engine."""

from pydantic import BaseModel, ConfigDict, field_validator
from pydantic import Field as PydanticField

from backoffice.engine.declaration import Card, Column, Filter, FormField, Resource, Wording
from backoffice.events import add_topic
from backoffice.i18n import N_, _, ngettext
from backoffice.validation import RequiredText
from backoffice_loyalty.models import LoyaltyEntry

KINDS = {'manual': N_('Adjusted by hand'), 'order': N_('Paid order'), 'automation': N_('Automation')}


class Adjustment(BaseModel):
    """Points given or taken back by hand: never zero, and always with a reason."""

    model_config = ConfigDict(extra='forbid')

    customer_id: int = PydanticField(ge=1, le=2_147_483_647)
    points: int = PydanticField(ge=-1_000_000, le=1_000_000)
    reason: RequiredText = PydanticField(max_length=200)

    @field_validator('points')
    @classmethod
    def _not_zero(cls, points: int) -> int:
        if points == 0:
            raise ValueError(_('Give or take back at least one point'))
        return points


LOYALTY = Resource(
    key=add_topic('loyalty-points'),  # its changes are published: the list refreshes live, webhooks hear them
    label=N_('Loyalty points'),
    singular=N_('loyalty entry'),  # capitalised where a list names record types (the audit log): N_ below
    plural=N_('loyalty entries'),
    wording=Wording(
        count=lambda n: ngettext('{n} loyalty entry', '{n} loyalty entries', n),
        arrived=lambda n: ngettext('{n} new loyalty entry', '{n} new loyalty entries', n),
        none_yet=N_('No loyalty points given yet.'),
        new=N_('Adjust points'),
        create=N_('Save the adjustment'),
        created=N_('Points adjusted'),
    ),
    model=LoyaltyEntry,
    create=Adjustment,
    update=None,  # a ledger: a mistake is corrected by another adjustment, never by editing or deleting
    soft_delete=False,
    permission='loyalty',
    title='reason',
    icon='loyalty',
    link='/loyalty?open={id}',
    description=N_('Points customers earn with their paid orders, and adjustments by hand with their reason'),
    columns=(
        Column('created_at', N_('When'), kind='datetime'),
        Column('customer_id', N_('Customer'), kind='related', related='customers', sortable=False),
        Column('points', N_('Points'), kind='number'),
        Column('kind', N_('Kind'), kind='choice', choices=KINDS, sortable=False),
        Column('reason', N_('Reason'), sortable=False, wrap=True),
        Column('order_id', N_('Order'), kind='related', related='orders', sortable=False, on_phone=False),
    ),
    fields=(
        FormField('customer_id', N_('Customer'), kind='related', related='customers', required=True),
        FormField('points', N_('Points'), kind='number', required=True, help=N_('Negative to take points back')),
        FormField('reason', N_('Reason'), required=True, help=N_('Why: shown in the ledger and the audit log')),
    ),
    search=('reason',),
    filters=(
        Filter('customer_id', N_('Customer'), 'related', related='customers'),
        Filter('kind', N_('Kind'), 'choice', choices=KINDS),
        Filter('created_at', N_('When'), 'date_range'),
    ),
    default_sort='created_at',
    default_descending=True,
    card=Card(title='customer_id', status='kind', secondary=('points', 'reason', 'created_at')),
)

CAPITALISED = N_('Loyalty entry')  # the audit log's record-type filter names it so: marked for the catalog
