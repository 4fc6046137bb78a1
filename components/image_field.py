"""A form input for an uploaded image: the current thumbnail, an upload checked on the server, and Remove."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nicegui import events, ui

from backoffice.i18n import N_, _
from backoffice.resources import FormField
from backoffice.runtime.uploads import IMAGE_TYPES, MAX_IMAGE_BYTES, image_url, store_image

from .forms import FAILED, call

ACCEPT = 'image/png,image/jpeg,image/webp,image/gif'  # what the browser offers; the server checks the bytes
TOO_BIG = N_('Choose a {types} image of at most {size} MB')


def too_big() -> str:
    return _(TOO_BIG).format(types=', '.join(IMAGE_TYPES.values()), size=MAX_IMAGE_BYTES // 1024 // 1024)


def image_input(declared: FormField, value: str | None, *, folder: str | None = None) -> ImageInput:
    """The input for an image field; `.value` is the stored path relative to the uploads folder, or None.

    Files go to <data_dir>/uploads/<folder>/, `folder` defaulting to the field's `related` (the resource key)."""
    return ImageInput(declared, value, folder=folder or declared.related or 'images')


class ImageInput(ui.column):
    """Behaves like the other inputs of a form: `.value`, `.error`, and the `readonly` prop."""

    def __init__(self, declared: FormField, value: str | None, *, folder: str) -> None:
        super().__init__()
        self.folder = folder
        self._value: str | None = None
        self._error: str | None = None
        self._watchers: list[Callable[[], Any]] = []
        self.classes('gap-1')
        with self:
            ui.label(_(declared.label) + (' *' if declared.required else '')).classes('text-sm text-gray-600')
            with ui.row().classes('w-full items-start gap-3 no-wrap'):
                with ui.element('div').classes(
                    'w-24 h-24 shrink-0 rounded border bg-gray-50 overflow-hidden flex items-center justify-center'
                ):
                    self.thumbnail = ui.image().classes('w-24 h-24').props('fit=contain')
                    self.placeholder = ui.icon('image', size='2rem').classes('text-gray-400')
                with ui.column().classes('grow gap-1 min-w-0') as self.controls:
                    self.upload = (
                        ui.upload(
                            label=_('Upload an image'),
                            auto_upload=True,
                            max_file_size=MAX_IMAGE_BYTES,
                            on_upload=self._uploaded,
                            on_rejected=self._rejected,
                        )
                        .props('flat bordered')
                        .classes('w-full max-w-xs')
                    )
                    self.upload.props['accept'] = ACCEPT
                    self.remove_button = ui.button(_('Remove image'), icon='delete', on_click=self._remove).props(
                        'flat dense no-caps'
                    )
            self.message = ui.label().classes('text-xs text-negative')
            if declared.help:
                ui.label(_(declared.help)).classes('text-xs text-gray-500')
        self.value = value
        self.error = None

    @property
    def value(self) -> str | None:
        return self._value

    @value.setter
    def value(self, value: str | None) -> None:
        changed = (value or None) != self._value
        self._value = value or None
        url = image_url(self._value)
        self.thumbnail.set_source(url or '')
        self.thumbnail.visible = url is not None
        self.placeholder.visible = url is None
        self.remove_button.visible = self._value is not None
        if changed:
            for watcher in self._watchers:
                watcher()

    def on_value_change(self, callback: Callable[[], Any]) -> ImageInput:
        """Call back when the picture is uploaded or removed, as the other inputs do (the record dialog's guard of
        unsaved edits counted no new picture: Escape closed it and the upload was lost)."""
        self._watchers.append(callback)
        return self

    @property
    def error(self) -> str | None:
        return self._error

    @error.setter
    def error(self, message: str | None) -> None:
        self._error = message
        self.message.text = message or ''
        self.message.visible = bool(message)

    @property
    def editable(self) -> bool:
        return not (self.props.get('readonly') or self.props.get('disable'))

    def update(self) -> None:
        # the form marks a field read-only with .props('readonly'): then there is nothing to upload or remove
        if hasattr(self, 'upload'):
            self.controls.visible = self.editable
            self.upload.set_enabled(self.editable)
        super().update()

    async def _uploaded(self, event: events.UploadEventArguments) -> None:
        try:
            if not self.editable:
                return
            data = await event.file.read()
            stored = await call(store_image, data, event.file.name, folder=self.folder, fields={'image': self})
            if stored is FAILED:
                return
            self.error = None
            self.value = stored
        finally:
            self.upload.reset()

    def _rejected(self) -> None:
        self.error = too_big()

    def _remove(self) -> None:
        # the file stays on disk: the record's history may still show it, and a revert may bring it back
        if self.editable:
            self.value = None
            self.error = None
