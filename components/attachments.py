"""Files with a request's message: the picker a customer (in the portal) or an agent (with a reply or a note) attaches
images and PDFs with (checked again by the service), and the list of a message's files, each a button that downloads
it through a service that checks who asks."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from nicegui import events, ui

from backoffice import formatting
from backoffice.i18n import _
from backoffice.services.ticket_attachments import ACCEPT, MAX_BYTES, MAX_FILES, MAX_REPLY_BYTES, too_big_for_a_reply

from .forms import FAILED, call


class AttachmentPicker(ui.column):
    """Picked files wait here (name and bytes) until the message is sent; the service checks their type and size.
    `waiting`: a line shown while files wait (what becomes of them if the message is not sent). `for_replies`: the
    files may go out with a reply's email, which carries MAX_REPLY_BYTES in all: said in the label, and said at once
    when the files picked make more (the service refuses such a reply with the same words)."""

    def __init__(self, *, waiting: str | None = None, for_replies: bool = False) -> None:
        super().__init__()
        self.files: list[tuple[str, bytes]] = []
        self.for_replies = for_replies
        self._too_big: str | None = None  # the warning shown for the files' total, if any
        self._reading = 0  # uploads that arrived and are still being read
        self.classes('w-full gap-1 bo-attachments')  # components/shell.py's UPLOADER_CSS
        with self:
            self.upload = (
                ui.upload(
                    label=(
                        _('Attach images or PDFs (up to {n}, {limit} MB each, {total} MB in all with a reply)')
                        if for_replies
                        else _('Attach images or PDFs (up to {n}, {limit} MB each)')
                    ).format(n=MAX_FILES, limit=MAX_BYTES // 1024 // 1024, total=MAX_REPLY_BYTES // 1024 // 1024),
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
            self.chips = ui.row().classes('w-full min-w-0 gap-1 flex-wrap')
            self.waiting = ui.label(waiting or '').classes('text-xs text-amber-9').mark('attachments-waiting')
            self.waiting.set_visibility(False)
            self.message = ui.label().classes('text-xs text-negative').props('role=alert')
            self.message.set_visibility(False)

    async def _picked(self, event: events.UploadEventArguments) -> None:
        self._reading += 1
        try:
            data = await event.file.read()
        finally:
            self._reading -= 1
        self.files.append((browser_name(event.file.name), data))
        self.message.set_visibility(False)
        self._show()

    async def ready(self) -> list[tuple[str, bytes]]:
        """The picked files, once every upload that has arrived is read: the browser says a file is uploaded when the
        server has it, and a Send pressed at once must not go without it."""
        while self._reading:
            await asyncio.sleep(0.02)
        return list(self.files)

    def _rejected(self) -> None:
        self.message.text = _('A file may be at most {limit} MB').format(limit=MAX_BYTES // 1024 // 1024)
        self.message.set_visibility(True)

    def _show(self) -> None:
        self.waiting.set_visibility(bool(self.files and self.waiting.text))
        self._tell_total()
        self.chips.clear()
        with self.chips:
            for index, (name, data) in enumerate(self.files):
                chip = ui.chip(
                    f'{name} ({formatting.size(len(data))})',
                    icon='attach_file',
                    removable=True,
                    on_value_change=lambda _e, i=index: self._drop(i),
                ).props('dense')
                chip.props['title'] = name  # the whole name, where the chip cuts it
                chip.mark('attached-file')

    def _tell_total(self) -> None:
        """Say at once when the files picked make too much for a reply (and stop saying it once they no longer do)."""
        if not self.for_replies:
            return
        too_big = too_big_for_a_reply(sum(len(data) for _name, data in self.files))
        if too_big:
            self.error = too_big
        elif self._too_big is not None and self.error == self._too_big:
            self.error = None
        self._too_big = too_big

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

    def done(self, taken: list[tuple[str, bytes]]) -> None:
        """The message the files `ready` gave went with was saved: they leave the box; one picked meanwhile stays."""
        self.files = [item for item in self.files if not _among(item, taken)]
        if not self.files:
            self.upload.reset()
        self._show()


def _among(item: tuple[str, bytes], items: list[tuple[str, bytes]]) -> bool:
    return any(item is other for other in items)  # the very file picked: two picks of one file are two files


def browser_name(name: str) -> str:
    """A file's name as the person named it: a browser sends '"', a line feed and a carriage return in a form's file
    name as %22, %0A and %0D (the HTML standard's form encoding), and the server's form reader leaves them so."""
    return name.replace('%22', '"').replace('%0A', '\n').replace('%0D', '\r')


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
                'flat dense no-caps align=left'
            ).classes('max-w-full bo-attachment-link').mark('attachment')  # a long name wraps beside its icon (shell)
