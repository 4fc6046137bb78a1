"""A resource list on a phone: the same q-table in Quasar's grid mode, each record a compact card (a title line, a
status chip, the secondary values its declaration names) that opens the record when tapped."""

from __future__ import annotations

from collections.abc import Callable

from nicegui import ui

from backoffice.engine.declaration import Card, Resource, shown
from backoffice.formatting import display_value
from backoffice.i18n import _

# Quasar's reactive screen size, read by the browser: under 600 px the table renders its rows as cards, so turning a
# phone or resizing a window switches between the two without asking the server
GRID_BELOW_600_PX = ':grid="Quasar.Screen.lt.sm"'

# One template for every resource; it reads only the row's `_card` (made by card_of) through Vue bindings ({{ }} shows
# text as text): nothing from data or from a declaration is formatted into it. The card, its status chip and its tick
# are the markup Quasar's q-card, q-badge and q-checkbox draw (same classes, same look), not those components: three
# components per row were 75 of a phone's list page's first paint (issue 20, first rows).
_CARD_OPEN = """
<div class="col-12 q-pa-xs">
  <div class="q-card q-card--bordered q-card--flat no-shadow bo-card cursor-pointer"
          :class="[props.selected ? 'bo-card--selected' : '', $q.dark.isActive ? 'q-card--dark q-dark' : '']"
          tabindex="0" role="button"
          @click="$parent.$emit('rowClick', $event, props.row, props.rowIndex)"
          @keydown.enter="$parent.$emit('rowClick', $event, props.row, props.rowIndex)">
    <div class="row no-wrap items-start q-px-sm q-py-xs bo-card-body">
"""
_CARD_CLOSE = """
      <div class="col bo-card-text">
        <div class="bo-card-head">
          <div class="text-weight-medium bo-card-title">{{ props.row._card.title }}</div>
          <div v-if="props.row._card.status" role="status"
               class="q-badge flex inline items-center no-wrap q-badge--single-line q-badge--outline text-primary
                      bo-card-status">{{ props.row._card.status }}</div>
        </div>
        <div v-for="line in props.row._card.lines" :key="line.label" class="text-body2 bo-card-line">
          <span class="text-grey-7 bo-card-label">{{ line.label }}</span>
          <span :class="line.late ? 'text-red-8 text-weight-bold' : ''" class="bo-card-value">{{ line.value }}</span>
        </div>
      </div>
    </div>
  </div>
</div>
"""
_TICK = (
    '<div @click.stop @keydown.enter.stop class="bo-card-tick">'
    '<div class="q-checkbox cursor-pointer no-outline row inline no-wrap items-center q-checkbox--dense" '
    ":class=\"$q.dark.isActive ? 'q-checkbox--dark' : ''\" "
    'tabindex="0" role="checkbox" :aria-label="props.row._card.select" '
    ':aria-checked="props.selected ? \'true\' : \'false\'" @click="props.selected = !props.selected" '
    '@keydown.space.prevent @keyup.space="props.selected = !props.selected" '
    '@keyup.enter="props.selected = !props.selected">'
    '<div class="q-checkbox__inner relative-position non-selectable" aria-hidden="true" '
    ":class=\"props.selected ? 'q-checkbox__inner--truthy' : 'q-checkbox__inner--falsy'\">"
    '<div class="q-checkbox__bg absolute"><svg class="q-checkbox__svg fit absolute-full" viewBox="0 0 24 24">'
    '<path class="q-checkbox__truthy" fill="none" d="M1.73,12.91 8.1,19.28 22.79,4.59"></path>'
    '<path class="q-checkbox__indet" d="M4,14H20V10H4"></path></svg></div></div></div></div>'
)
CARD_TEMPLATE = _CARD_OPEN + _CARD_CLOSE
SELECTABLE_CARD_TEMPLATE = _CARD_OPEN + _TICK + _CARD_CLOSE

# a value that does not fit beside its label goes whole to the next line (an email is never cut in the middle unless it
# is wider than the card); likewise the status chip goes under a long title
CARD_CSS = (
    '.bo-card-body { gap: 8px } '
    '.bo-card-text { min-width: 0 } '
    '.bo-card-head { display: flex; flex-wrap: wrap; align-items: flex-start; gap: 2px 8px } '
    '.bo-card-title { flex: 1 1 auto; min-width: 0; overflow-wrap: break-word } '
    '.bo-card-status { flex: none; margin-top: 2px } '
    '.bo-card-line { display: flex; flex-wrap: wrap; column-gap: 6px; min-width: 0 } '
    '.bo-card-label { flex: none } '
    '.bo-card-value { min-width: 0; overflow-wrap: break-word } '
    '.bo-card-tick { padding-top: 2px } '
    '.bo-card--selected { background: rgba(25, 118, 210, 0.08) } '
    '.bo-card:focus-visible { outline: 2px solid var(--q-primary) }'
)


def as_cards(table: ui.table, *, selectable: bool) -> None:
    """Let a resource table show its rows as cards under 600 px; its rows need `_card` (card_of)."""
    table.props(GRID_BELOW_600_PX)
    table.add_slot('item', SELECTABLE_CARD_TEMPLATE if selectable else CARD_TEMPLATE)
    ui.add_css(CARD_CSS)


def card_of(resource: Resource, row: dict) -> dict:
    """What a row's card shows, from the row's display values (a deadline's countdown and lateness included)."""
    card: Card = resource.phone_card()
    status = ''
    if card.status:
        column = resource.column(card.status)
        status = row.get(card.status) or ''
        if column.kind == 'bool':  # a flag reads as its label when set ('Low', 'Active'), and not at all when not
            status = shown(column.label) if status == display_value(True, 'bool') else ''
    shows = [*card.secondary, *card.once_set]  # those declared once set are left out below while empty
    # and a value that calls for someone to act (a failed refund), whatever the card lists
    shows += [c.name for c in resource.columns if c.alarming and row.get(f'_late_{c.name}') and c.name not in shows]
    lines = [
        {'label': shown(resource.column(name).label), 'value': row.get(name), 'late': bool(row.get(f'_late_{name}'))}
        for name in shows
        if row.get(name) not in (None, '')
    ]
    # the tick's name for a screen reader comes with the row (a value), never formatted into the template
    title = row.get(card.title) or ''
    if card.lead and row.get(card.lead) not in (None, ''):  # the record's number first: '#1065 · Where is my parcel?'
        title = ' · '.join(part for part in (card.lead_format.format(row[card.lead]), title) if part)
    return {'title': title, 'status': status, 'lines': lines, 'select': _('Select')}


class PhoneSort:
    """Sorting where a list of cards has no column headers to tap: the sortable columns to choose from and a button
    that reverses the order; shown under 600 px only, like the cards."""

    def __init__(self, resource: Resource, *, state: dict, change: Callable[..., None], now: bool = True) -> None:
        """`now=False`: built when `build` is called (on a wide screen, where it is hidden, after the first paint)."""
        self.options = {c.name: shown(c.label) for c in resource.columns if c.sortable}
        self.state, self.change = state, change
        self._place = ui.context.slot
        self.select: ui.select | None = None
        if now:
            self.build()

    def build(self) -> None:
        if self.select is not None or self._place.parent.is_deleted:
            return
        with self._place, ui.row().classes('lt-sm items-center gap-1 no-wrap'):
            self.select = (
                ui.select(self.options, label=_('Sort by'), on_change=self._chosen)
                .props('outlined dense options-dense')
                .classes('min-w-40')
                .mark('phone-sort')
            )
            self.direction = (
                ui.button(on_click=lambda: self.change(descending=not self.state['descending']))
                .props('flat round dense')
                .mark('phone-sort-direction')
            )
            self.direction.props['aria-label'] = _('Reverse the order')
            self.direction.tooltip(_('Reverse the order'))
        self.show()

    def show(self) -> None:
        """Reflect the list's sort (a saved view or a desktop header may have changed it)."""
        if self.select is None:
            return
        chosen = self.state['sort'] if self.state['sort'] in self.options else None
        if self.select.value != chosen:
            self.select.value = chosen
        self.direction.props['icon'] = 'arrow_downward' if self.state['descending'] else 'arrow_upward'
        self.direction.update()

    def _chosen(self, event) -> None:
        if event.value and event.value != self.state['sort']:
            self.change(sort=event.value)
