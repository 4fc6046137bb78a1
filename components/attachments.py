"""Files with a request's message: the picker a customer attaches images and PDFs with (checked again by the service),
and the list of a message's files, each a button that downloads it through a service that checks who asks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nicegui import events, ui

from backoffice import formatting
from backoffice.i18n import _
from backoffice.services.ticket_attachments import ACCEPT, MAX_BYTES, MAX_FILES

from .forms import FAILED, call


class AttachmentPicker(ui.column):
    """Picked files wait here (name and bytes) until the message is sent; the service checks their type and size."""

    def __init__(self) -> None:
        super().__init__()
        self.files: list[tuple[str, bytes]] = []
        self.classes('w-full gap-1')
        with self:
            self.upload = (
                ui.upload(
                    label=_('Attach images or PDFs (up to {n}, {limit} MB each)').format(
                        n=MAX_FILES, limit=MAX_BYTES // 1024 // 1024
                    ),
                    multiple=True,
                    auto_upload=True,
                    max_file_size=MAX_BYTES,
                    on_upload=self._picked,
                    on_rejected=self._rejected,
                )
                .props('flat bordered')
                .classes('w-full')
                .mark('attachments')
            )
            self.upload.props['accept'] = ACCEPT
            self.chips = ui.row().classes('gap-1 flex-wrap')
            self.message = ui.label().classes('text-xs text-negative').props('role=alert')
            self.message.set_visibility(False)

    async def _picked(self, event: events.UploadEventArguments) -> None:
        data = await event.file.read()
        self.files.append((event.file.name, data))
        self.message.set_visibility(False)
        self._show()

    def _rejected(self) -> None:
        self.message.text = _('A file may be at most {limit} MB').format(limit=MAX_BYTES // 1024 // 1024)
        self.message.set_visibility(True)

    def _show(self) -> None:
        self.chips.clear()
        with self.chips:
            for index, (name, data) in enumerate(self.files):
                ui.chip(
                    f'{name} ({formatting.size(len(data))})',
                    icon='attach_file',
                    removable=True,
                    on_value_change=lambda _e, i=index: self._drop(i),
                ).props('dense').mark('attached-file')

    def _drop(self, index: int) -> None:
        if 0 <= index < len(self.files):
            self.files.pop(index)
        self._show()

    @property
    def error(self) -> str | None:  # the service's error at the 'attachments' field lands here (forms.show_error)
        return self.message.text if self.message.visible else None

    @error.setter
    def error(self, text: str | None) -> None:
        self.message.text = text or ''
        self.message.set_visibility(bool(text))

    def reset(self) -> None:
        self.files = []
        self.upload.reset()
        self._show()


def attachment_buttons(
    files: Any, fetch: Callable[[Any, int], tuple[bytes, str, str]], asker: Callable[[], Any | None]
) -> None:
    """One download button per file (`files`: items with id, file_name, size); `fetch(who, id)` runs in a worker
    thread and checks who may have it, `who` being `asker()` at the click (the staff member or customer signed in
    now, with the rights of now: not the one the page was built for), nothing when it is None."""
    if not files:
        return
    message = ui.label().classes('text-xs text-negative')
    message.set_visibility(False)
    with ui.row().classes('gap-1 flex-wrap').mark('attachment-list'):
        for item in files:

            async def download(attachment_id: int = item.id) -> None:
                who = asker()
                if who is None:
                    return
                made = await call(fetch, who, attachment_id, message=message)
                if made is not FAILED:
                    ui.download.content(made[0], made[1], made[2])

            ui.button(f'{item.file_name} ({formatting.size(item.size)})', icon='attach_file', on_click=download).props(
                'flat dense no-caps'
            ).classes('max-w-full').mark('attachment')
