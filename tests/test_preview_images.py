"""A Markdown preview's HTML keeps nothing the browser would fetch from another site by itself (a tracking pixel in a
customer's text), however the address is written; the app's own images, data: images and links stay."""

from __future__ import annotations

import pytest

from components.preview_images import without_remote_images

HOSTILE = 'Zoë "Z" O\'Hara: <script>alert(1)</script>'


@pytest.mark.parametrize(
    'markup',
    [
        '<img src="https://tracker.example/p.gif?to=op">',
        '<IMG SRC="HTTPS://tracker.example/p.gif">',
        '<img src=" //tracker.example/p.gif">',
        '<img src="\\\\tracker.example/p.gif">',
        '<img src="/\\tracker.example/p.gif">',
        '<img src="ht\ttps://tracker.example/p.gif">',
        '<img src="h&#116;tps://tracker.example/p.gif">',
        '<img srcset="/ok.png 1x, https://tracker.example/p.gif 2x">',
        '<picture><source srcset="https://tracker.example/p.gif"><img src="/ok.png"></picture>',
        '<video poster="https://tracker.example/p.gif"></video>',
        '<audio src="https://tracker.example/p.mp3"></audio>',
        '<p style="background:url(https://tracker.example/p.gif)">x</p>',
        '<p style="background:u\\72l(https://tracker.example/p.gif)">x</p>',
        '<p style="background-image:image-set(\'https://tracker.example/p.gif\' 1x)">x</p>',
        '<style>p{background:url(https://tracker.example/p.gif)}</style>',
        '<link rel=stylesheet href="https://tracker.example/s.css">',
        '<svg><image href="https://tracker.example/p.gif"></image></svg>',
        '<svg><image xlink:href="https://tracker.example/p.gif"></image></svg>',
        '<table background="https://tracker.example/p.gif"><tr><td>x</td></tr></table>',
        '<input type=image src="https://tracker.example/p.gif">',
        '<object data="https://tracker.example/p.svg"></object>',
    ],
)
def test_nothing_is_fetched_from_another_site(markup: str) -> None:
    shown = without_remote_images(f'<p>{HOSTILE}</p>{markup}')
    assert 'tracker.example/p' not in shown.replace('Image from tracker.example', '')
    assert 'tracker.example/s.css' not in shown


def test_an_image_from_elsewhere_says_from_where_and_ours_stay() -> None:
    shown = without_remote_images(
        '<p>Read <img src="https://tracker.example/p.gif" alt="a &quot;pixel&quot;"> then '
        '<img src="/portal/logo" alt="ours"> <img src="data:image/gif;base64,R0lGOD"> '
        '<a href="https://example.com/terms">terms</a> <b>bold</b></p>'
    )
    assert '[Image from tracker.example not shown in the preview]</span> then' in shown
    assert '<img src="/portal/logo" alt="ours">' in shown and 'data:image/gif;base64,R0lGOD' in shown
    assert '<a href="https://example.com/terms">terms</a>' in shown and '<b>bold</b>' in shown


def test_an_empty_preview_stays_empty() -> None:
    assert without_remote_images('') == ''
