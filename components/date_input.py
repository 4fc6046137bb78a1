"""A day (or a day and a time) typed or picked, shown in the reader's format (03/12/2026 in French, 2026-12-03 in
English) instead of a native date input, which follows the browser's language rather than the reader's.

Its `value` stays the ISO text the forms and filters always read ('2026-12-03', '2026-12-03T14:05', an instant in UTC
as stored); the field shows and takes the reader's format, a time in the shop's time zone (the settings', said beside
it), and a calendar (Quasar's, in the page's language pack) opens from its icon."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

from babel.dates import parse_date
from nicegui import ui
from nicegui.events import GenericEventArguments

from backoffice import formatting, i18n
from backoffice.i18n import _

from .menu_on_open import MenuOnOpen

_ISO_DAY = re.compile(r'^\d{4}-\d{2}-\d{2}$')
_ISO_MOMENT = re.compile(r'^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})')
_TIME = re.compile(r'^([01]?\d|2[0-3]):([0-5]\d)$')


class DateInput(ui.input):
    """`with_time`: a day and a time of day ('YYYY-MM-DDTHH:MM'), for what a native datetime-local input took."""

    def __init__(
        self,
        label: str,
        *,
        value: str | None = '',
        with_time: bool = False,
        on_change: Callable[..., Any] | None = None,
    ) -> None:
        self.with_time = with_time
        super().__init__(label, value=value or '', on_change=on_change)
        # the format by example ('e.g. 31/12/2026'), shown once the field has the focus, the label above it: said as
        # an example and greyed in italics (the shell's DATE_CSS), so that an empty field does not read as holding a day
        example = self._shown(_iso(date(2026, 12, 31)) + ('T23:59' if with_time else ''))
        self.props['placeholder'] = _('e.g. {example}').format(example=example)
        self.classes('bo-date-input')
        if with_time:  # typed and shown in the shop's time zone, which the field says (a value, never parsed)
            self.props['suffix'] = formatting.time_zone()
        with self.add_slot('append'):
            self.icon = icon = ui.icon('event').classes('cursor-pointer')
        icon.props['aria-label'] = label
        # the calendar is built on the icon's first click: a list's filters are built with every page, their calendars
        # are seldom opened (issue 20, first paint)
        self._picker: ui.date | None = None
        # under the whole field (its left edge), not under the icon: on a phone a calendar under the icon had less
        # than its width left and was squeezed
        self.calendar = MenuOnOpen(icon, self._build_picker, place=self.default_slot)

    def read_only(self) -> None:
        """Shown, not typed or picked (a record's day in a viewer's form): no calendar icon inviting a click that does
        nothing, no example of the format to type."""
        self.props(remove='placeholder')
        self.props('readonly')
        self.icon.set_visibility(False)

    @property
    def picker(self) -> ui.date:
        """The calendar (built now if nobody opened it yet)."""
        self.calendar.build()
        assert self._picker is not None
        return self._picker

    def _build_picker(self) -> None:
        self._picker = ui.date(
            value=self._day_of(self._local(str(self.value or ''))) or None, on_change=self._picked
        ).props('minimal')

    # --- what the browser shows and sends ---------------------------------------------------------------------------

    def _value_to_model_value(self, value: Any) -> Any:
        return self._shown(value)

    def _event_args_to_value(self, e: GenericEventArguments) -> Any:
        return self._read(str(e.args or ''))

    def _handle_value_change(self, value: Any) -> None:
        super()._handle_value_change(value)
        picker = getattr(self, '_picker', None)  # a calendar not built yet takes the value when it is
        day = self._day_of(self._local('' if value is None else str(value)))
        if picker is not None and day and picker.value != day:
            picker.value = day

    # --- helpers ----------------------------------------------------------------------------------------------------

    def _picked(self, event: Any) -> None:
        day = event.value
        local = self._local(str(self.value or ''))
        if not day or day == self._day_of(local):
            return
        time = self._time_of(local) or '00:00'
        self.value = formatting.moment_from_zone(f'{day}T{time}') if self.with_time else day
        self.calendar.close()

    def _shown(self, value: Any) -> str:
        """ISO → the reader's format; anything else (text being typed, not a date yet) as it is."""
        text = self._local('' if value is None else str(value))
        day = self._day_of(text)
        if not day:
            return text
        shown = formatting.day(date.fromisoformat(day))
        return f'{shown} {self._time_of(text) or "00:00"}' if self.with_time else shown

    def _read(self, typed: str) -> str:
        """The reader's format (or ISO) → ISO; text that is no whole date yet stays as typed (the service refuses
        it at the field if it is sent so)."""
        typed = ' '.join(typed.split())
        if not typed:
            return ''
        if self._day_of(typed):
            return formatting.moment_from_zone(typed.replace(' ', 'T', 1)) if self.with_time else typed
        day_part, _space, time_part = typed.partition(' ') if self.with_time else (typed, '', '')
        if not re.search(r'\d{4}', day_part):  # a year still being typed
            return typed
        try:
            day = parse_date(day_part, locale=i18n.current())
        except (ValueError, IndexError):
            return typed
        if not self.with_time:
            return _iso(day)
        time = _TIME.match(time_part or '00:00')
        return formatting.moment_from_zone(f'{_iso(day)}T{int(time[1]):02d}:{time[2]}') if time else typed

    def _local(self, value: str) -> str:
        """The value (a day, or an instant in UTC) as the reader reads it: an instant in the shop's time zone."""
        return formatting.moment_in_zone(value) if self.with_time and _ISO_MOMENT.match(value) else value

    @staticmethod
    def _day_of(value: Any) -> str:
        text = '' if value is None else str(value)
        if _ISO_DAY.match(text):
            return text
        moment = _ISO_MOMENT.match(text)
        return moment[1] if moment else ''

    @staticmethod
    def _time_of(value: Any) -> str:
        moment = _ISO_MOMENT.match('' if value is None else str(value))
        return moment[2] if moment else ''


def _iso(day: date) -> str:
    return day.isoformat()  # the value's machine format, not text for a person
