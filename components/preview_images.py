"""A preview's HTML without anything fetched from another site: an image (or a video's poster, a style's picture)
written into a customer's or an imported text would tell its sender the operator's address and the moment they read
it (a tracking pixel). The app's CSP (`img-src 'self' data: blob:`) blocks such a fetch already; this keeps the preview
from trying, and says where the image would have come from. Applied on the server before the browser sanitizes."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from backoffice.i18n import _

if TYPE_CHECKING:
    from lxml.html import HtmlElement

# attributes a browser fetches from on its own (an <a href> waits for a click: kept)
FETCHED = ('src', 'srcset', 'poster', 'background', 'data', 'lowsrc', 'dynsrc', 'href', 'xlink:href', 'imagesrcset')
LINKS = ('a', 'area')
DROPPED = ('style', 'link', 'base', 'meta')  # a style sheet's url(), a preload, another base for relative addresses
STYLE_FETCH = re.compile(r'url|image|\\', re.IGNORECASE)  # url(), image-set(), and CSS escapes hiding either
SCHEME = re.compile(r'([a-z][a-z0-9+.-]*):', re.IGNORECASE)
IGNORED_BY_BROWSERS = re.compile(r'[\x00-\x20\x7f]')  # spaces around, tabs and newlines anywhere: dropped from a URL


def without_remote_images(markup: str) -> str:
    """The HTML with every address outside the app (another host, or a scheme but data: and blob:) taken out of what
    the browser would fetch by itself; an <img> from elsewhere becomes a line saying from where."""
    if not markup.strip():
        return markup
    from lxml import html as lxml_html  # imported when a preview is opened (not with every app start)

    root = lxml_html.fragment_fromstring(markup, create_parent='div')
    for element in list(root.iter()):
        if not isinstance(element.tag, str):  # a comment or a processing instruction
            continue
        tag = element.tag.lower()
        if tag in DROPPED:
            element.drop_tree()
            continue
        style = element.get('style')
        if style is not None and STYLE_FETCH.search(style):
            del element.attrib['style']
        remote = [name for name in element.attrib if name.lower() in FETCHED and _remote(name, element.get(name))]
        if tag in LINKS:
            remote = [name for name in remote if name.lower() != 'href']
        if not remote:
            continue
        if tag == 'img' and 'src' in remote:
            _replace_with_a_note(element, element.get('src') or '')
            continue
        for name in remote:
            del element.attrib[name]
    return lxml_html.tostring(root, encoding='unicode')


def _remote(name: str, value: str | None) -> bool:
    if name.lower().endswith('srcset'):
        return any(_remote_address(part.split()[0]) for part in (value or '').split(',') if part.split())
    return _remote_address(value or '')


def _remote_address(address: str) -> bool:
    """Whether the browser would fetch this from outside the app: protocol-relative (//, and \\ read as /) or with a
    scheme other than data: and blob:."""
    plain = IGNORED_BY_BROWSERS.sub('', address)
    if plain[:2].replace('\\', '/') == '//':
        return True
    scheme = SCHEME.match(plain)
    return scheme is not None and scheme.group(1).lower() not in ('data', 'blob')


def _replace_with_a_note(image: HtmlElement, address: str) -> None:
    from lxml import html as lxml_html

    note = lxml_html.Element('span')
    note.set('class', 'text-xs text-gray-600')
    host = urlsplit(IGNORED_BY_BROWSERS.sub('', address).replace('\\', '/')).netloc or '?'
    note.text = '[' + _('Image from {host} not shown in the preview').format(host=host) + ']'
    note.tail = image.tail
    parent = image.getparent()
    if parent is not None:
        parent.replace(image, note)
